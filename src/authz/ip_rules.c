/* IP allow/deny rules per path prefix and the client address behind trusted
 * proxies. */
#include "authz/ip_rules.h"
#include "core/mem.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct ip_rule_set *set_for(struct ip_rules *r, const char *prefix, size_t plen)
{
	for (size_t i = 0; i < r->nsets; i++)
		if (strlen(r->sets[i].prefix) == plen && memcmp(r->sets[i].prefix, prefix, plen) == 0)
			return &r->sets[i];
	r->sets = mem_realloc(r->sets, (r->nsets + 1) * sizeof *r->sets);
	struct ip_rule_set *s = &r->sets[r->nsets++];
	memset(s, 0, sizeof *s);
	s->prefix = mem_strndup(prefix, plen);
	return s;
}

static int compile_rule(struct ip_rules *r, const char *line, char *why, size_t cap)
{
	const char *p = line;
	const char *prefix = "/";
	size_t plen = 1;
	if (*p == '/') {
		prefix = p;
		plen = strcspn(p, " \t");
		p += plen;
		if (memchr(prefix, '%', plen) || memchr(prefix, '?', plen)) {
			snprintf(why, cap, "\"%s\": a path prefix is plain (no %% or ?)", line);
			return -EINVAL;
		}
	}
	p += strspn(p, " \t");
	bool allow;
	if (strncmp(p, "allow", 5) == 0 && (p[5] == ' ' || p[5] == '\t'))
		allow = true;
	else if (strncmp(p, "deny", 4) == 0 && (p[4] == ' ' || p[4] == '\t'))
		allow = false;
	else {
		snprintf(why, cap, "\"%s\": expected [PATH-PREFIX] allow|deny ADDRESS[/BITS]|all", line);
		return -EINVAL;
	}
	p += allow ? 5 : 4;
	p += strspn(p, " \t");
	size_t alen = strcspn(p, " \t");
	if (alen == 0 || p[alen + strspn(p + alen, " \t")] != '\0') {
		snprintf(why, cap, "\"%s\": expected one address or prefix after %s", line, allow ? "allow" : "deny");
		return -EINVAL;
	}
	char addr[80];
	if (alen >= sizeof addr) {
		snprintf(why, cap, "\"%s\": address too long", line);
		return -EINVAL;
	}
	memcpy(addr, p, alen);
	addr[alen] = '\0';
	struct cidr net;
	const char *cwhy = NULL;
	if (cidr_parse(addr, &net, &cwhy)) {
		snprintf(why, cap, "\"%s\": %s", line, cwhy);
		return -EINVAL;
	}
	struct ip_rule_set *s = set_for(r, prefix, plen);
	s->rules = mem_realloc(s->rules, (s->n + 1) * sizeof *s->rules);
	s->rules[s->n++] = (struct ip_rule){ .allow = allow, .net = net, .text = mem_strdup(line) };
	return 0;
}

int ip_rules_compile(char *const *rules, size_t nrules, char *const *trusted, size_t ntrusted,
		     struct ip_rules **out, char *why, size_t cap)
{
	struct ip_rules *r = mem_calloc(1, sizeof *r);
	for (size_t i = 0; i < nrules; i++) {
		if (compile_rule(r, rules[i], why, cap)) {
			ip_rules_free(r);
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < ntrusted; i++) {
		if (strcmp(trusted[i], "all") == 0) {
			snprintf(why, cap, "trusted_proxies: \"all\" would let every client choose its own address");
			ip_rules_free(r);
			return -EINVAL;
		}
	}
	if (cidr_list_parse(trusted, ntrusted, false, &r->trusted, why, cap)) {
		ip_rules_free(r);
		return -EINVAL;
	}
	*out = r;
	return 0;
}

void ip_rules_free(struct ip_rules *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nsets; i++) {
		for (size_t j = 0; j < r->sets[i].n; j++)
			free(r->sets[i].rules[j].text);
		free(r->sets[i].rules);
		free(r->sets[i].prefix);
	}
	free(r->sets);
	cidr_list_free(&r->trusted);
	free(r);
}

bool ip_rules_empty(const struct ip_rules *r)
{
	return r == NULL || r->nsets == 0;
}

bool ip_rules_allow(const struct ip_rules *r, const char *path, size_t len, const struct ipaddr *a,
		    const char **rule)
{
	*rule = NULL;
	const struct ip_rule_set *best = NULL;
	size_t best_len = 0;
	for (size_t i = 0; r && i < r->nsets; i++) {
		const struct ip_rule_set *s = &r->sets[i];
		size_t pl = strlen(s->prefix);
		if (pl <= len && memcmp(s->prefix, path, pl) == 0 && (best == NULL || pl > best_len)) {
			best = s;
			best_len = pl;
		}
	}
	if (best == NULL)
		return true;
	for (size_t j = 0; j < best->n; j++) {
		if (cidr_match(&best->rules[j].net, a)) {
			*rule = best->rules[j].text;
			return best->rules[j].allow;
		}
	}
	return true;
}

bool ip_rules_trusted(const struct ip_rules *r, const struct ipaddr *a)
{
	return r != NULL && cidr_list_match(&r->trusted, a);
}

void ip_rules_client(const struct ip_rules *r, const struct ipaddr *peer, const char *xff, size_t xlen,
		     struct ipaddr *client)
{
	*client = *peer;
	if (xff == NULL || !ip_rules_trusted(r, peer))
		return;
	size_t end = xlen;
	while (end > 0) {
		size_t start = end;
		while (start > 0 && xff[start - 1] != ',')
			start--;
		size_t a = start, b = end;
		while (a < b && (xff[a] == ' ' || xff[a] == '\t'))
			a++;
		while (b > a && (xff[b - 1] == ' ' || xff[b - 1] == '\t'))
			b--;
		struct ipaddr hop;
		if (cidr_addr_parse(xff + a, b - a, &hop))
			return;	/* malformed: keep the last address believed */
		*client = hop;
		if (!ip_rules_trusted(r, &hop))
			return;
		end = start > 0 ? start - 1 : 0;
	}
}
