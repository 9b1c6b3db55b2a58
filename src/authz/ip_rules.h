/* Who the client is and whether its address may come in, decided before
 * authentication.
 *
 * Rules are nginx's allow/deny, optionally per path prefix:
 *     "allow 10.0.0.0/8"   "deny all"   "/api/2.0/mlflow/registered-models/ allow 10.1.0.0/16"
 * A request is judged by the rules of the longest prefix that matches its
 * path (rules without a path belong to "/"); within them the first rule
 * whose address matches decides; when none matches (or no prefix has rules)
 * the request is allowed, as in nginx.
 *
 * The client address is the socket's peer unless the peer is a trusted
 * proxy: then X-Forwarded-For is read from the right, skipping trusted
 * proxies, and the first address that is not one is the client (nginx's
 * real_ip_recursive). A malformed entry stops the walk at the last address
 * that was believed. Pure. */
#ifndef MG_IP_RULES_H
#define MG_IP_RULES_H
#include <stdbool.h>
#include <stddef.h>
#include "core/cidr.h"

struct ip_rule {
	bool allow;
	struct cidr net;
	char *text;		/* as configured, for the log and the error */
};

struct ip_rule_set {
	char *prefix;		/* "/" for rules without a path */
	struct ip_rule *rules;
	size_t n;
};

struct ip_rules {
	struct ip_rule_set *sets;
	size_t nsets;
	struct cidr_list trusted;	/* trusted proxies */
};

/* Compiles the rule lines and the trusted-proxy list. Returns 0 and a new
 * object in *out, or -EINVAL with "entry: reason" in why (cap bytes). */
int ip_rules_compile(char *const *rules, size_t nrules, char *const *trusted, size_t ntrusted,
		     struct ip_rules **out, char *why, size_t cap);
void ip_rules_free(struct ip_rules *r);
bool ip_rules_empty(const struct ip_rules *r);
/* Whether a is let in for path (len bytes); *rule is the deciding rule's
 * text or NULL (no rule matched). */
bool ip_rules_allow(const struct ip_rules *r, const char *path, size_t len, const struct ipaddr *a,
		    const char **rule);
/* The client address: peer, or from X-Forwarded-For (xff, xlen; NULL when
 * absent) when peer is a trusted proxy. */
void ip_rules_client(const struct ip_rules *r, const struct ipaddr *peer, const char *xff, size_t xlen,
		     struct ipaddr *client);
bool ip_rules_trusted(const struct ip_rules *r, const struct ipaddr *a);

#endif
