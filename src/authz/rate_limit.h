/* Rate limits: token buckets per user or per client address, for all
 * requests or one route family. A rule is written
 *     "user search 10/s burst 20"    "ip all 100/s"    "user artifact_write 60/m"
 * (who: user | ip; family: all or a route family; rate per s, m or h; burst
 * defaults to the rate's count, at least 1). A request takes one token from
 * every rule that applies to it; when one bucket is empty it is refused and
 * told when a token will be there. Buckets live in a bounded shared table
 * (src/core/slot_table.h): state for many keys costs fixed memory. */
#ifndef MG_RATE_LIMIT_H
#define MG_RATE_LIMIT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "authz/mlflow_routes.h"

enum rate_who { RATE_USER = 0, RATE_IP };

struct rate_rule {
	enum rate_who who;
	int family;		/* enum route_family, or -1 for all */
	double per_ms;		/* tokens added per millisecond */
	double burst;
	char *text;
};

struct rate_limits;

/* Compiles the rule lines. 0 and *out (NULL when there are none), or
 * -EINVAL with "entry: reason" in why. */
int rate_limits_compile(char *const *lines, size_t n, struct rate_limits **out, char *why, size_t cap);
void rate_limits_free(struct rate_limits *rl);
bool rate_limits_any(const struct rate_limits *rl, enum rate_who who);
/* Takes a token for key (a user name or an address key) from every rule of
 * kind who that covers family, at now (ms). Returns 0, or the milliseconds
 * until the emptiest bucket has a token again (the request is refused; no
 * bucket is charged) with that rule's text in *rule. */
uint64_t rate_limits_take(struct rate_limits *rl, enum rate_who who, const char *key, enum route_family family,
			  int64_t now, const char **rule);

#endif
