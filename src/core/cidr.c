/* IP addresses and CIDR prefixes: inet_pton on a bounded copy, prefix
 * comparison byte by byte. */
#include "core/cidr.h"
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

int cidr_addr_parse(const char *s, size_t len, struct ipaddr *a)
{
	char tmp[64];
	if (len == 0 || len >= sizeof tmp)
		return -EINVAL;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	memset(a, 0, sizeof *a);
	if (memchr(tmp, ':', len) == NULL) {
		if (inet_pton(AF_INET, tmp, a->b) != 1)
			return -EINVAL;
		a->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, tmp, a->b) != 1)
		return -EINVAL;
	a->family = 6;
	if (memcmp(a->b, v4mapped, sizeof v4mapped) == 0) {
		memmove(a->b, a->b + 12, 4);
		memset(a->b + 4, 0, 12);
		a->family = 4;
	}
	return 0;
}

int cidr_parse(const char *s, struct cidr *c, const char **why)
{
	memset(c, 0, sizeof *c);
	if (strcmp(s, "all") == 0) {
		c->bits = -1;
		return 0;
	}
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	if (cidr_addr_parse(s, alen, &c->net)) {
		*why = "not an IPv4 or IPv6 address";
		return -EINVAL;
	}
	int max = c->net.family == 4 ? 32 : 128;
	/* an IPv4-mapped prefix is written against 128 bits */
	bool mapped = c->net.family == 4 && memchr(s, ':', alen) != NULL;
	if (slash == NULL) {
		c->bits = max;
		return 0;
	}
	char *end;
	errno = 0;
	long bits = strtol(slash + 1, &end, 10);
	if (errno || *end || end == slash + 1 || bits < 0 || bits > (mapped ? 128 : max) || slash[1] == '+' ||
	    slash[1] == '-' || slash[1] == ' ') {
		*why = "bad prefix length";
		return -EINVAL;
	}
	if (mapped) {
		if (bits < 96) {
			*why = "an IPv4-mapped prefix must be at least /96";
			return -EINVAL;
		}
		bits -= 96;
	}
	c->bits = (int)bits;
	for (int i = c->bits; i < max; i++) {
		if (c->net.b[i / 8] & (0x80 >> (i % 8))) {
			*why = "host bits set under the prefix length (write the network address)";
			return -EINVAL;
		}
	}
	return 0;
}

bool cidr_match(const struct cidr *c, const struct ipaddr *a)
{
	if (c->bits < 0)
		return true;
	if (c->net.family != a->family)
		return false;
	int full = c->bits / 8, rem = c->bits % 8;
	if (memcmp(c->net.b, a->b, (size_t)full) != 0)
		return false;
	if (rem == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rem));
	return (c->net.b[full] & mask) == (a->b[full] & mask);
}

void cidr_addr_format(const struct ipaddr *a, char *out, size_t cap)
{
	if (inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->b, out, (socklen_t)cap) == NULL)
		snprintf(out, cap, "-");
}

void cidr_addr_key(const struct ipaddr *a, char *out, size_t cap)
{
	if (a->family == 4) {
		cidr_addr_format(a, out, cap);
		return;
	}
	struct ipaddr p = *a;
	memset(p.b + 8, 0, 8);
	char txt[64];
	cidr_addr_format(&p, txt, sizeof txt);
	snprintf(out, cap, "%s/64", txt);
}

int cidr_list_parse(char *const *items, size_t n, bool allow_all, struct cidr_list *l, char *why, size_t cap)
{
	l->v = calloc(n ? n : 1, sizeof *l->v);
	l->n = 0;
	if (l->v == NULL) {
		snprintf(why, cap, "out of memory");
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		const char *cwhy = NULL;
		if (cidr_parse(items[i], &l->v[i], &cwhy) || (!allow_all && l->v[i].bits < 0)) {
			snprintf(why, cap, "\"%s\": %s", items[i], cwhy ? cwhy : "\"all\" is not allowed here");
			cidr_list_free(l);
			return -EINVAL;
		}
		l->n++;
	}
	return 0;
}

void cidr_list_free(struct cidr_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

bool cidr_list_match(const struct cidr_list *l, const struct ipaddr *a)
{
	for (size_t i = 0; i < l->n; i++)
		if (cidr_match(&l->v[i], a))
			return true;
	return false;
}
