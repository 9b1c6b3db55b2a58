/* Token-bucket rate limits (see rate_limit.h). A slot holds the bucket's
 * tokens (in millionths, so integer slots suffice) and the time of its last
 * refill. */
#include "authz/rate_limit.h"
#include "core/mem.h"
#include "core/slot_table.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MICRO 1000000.0
#define RATE_SLOTS 65536

struct rate_limits {
	struct rate_rule *rules;
	size_t n;
	struct slot_table *buckets;
};

static int compile_rule(const char *line, struct rate_rule *r, char *why, size_t cap)
{
	char who[16], fam[32], rate[32], kw[16];
	double burst = 0;
	int n = sscanf(line, "%15s %31s %31s %15s %lf", who, fam, rate, kw, &burst);
	if (n != 3 && !(n == 5 && strcmp(kw, "burst") == 0)) {
		snprintf(why, cap, "\"%s\": expected user|ip FAMILY COUNT/s|m|h [burst N]", line);
		return -EINVAL;
	}
	if (strcmp(who, "user") == 0)
		r->who = RATE_USER;
	else if (strcmp(who, "ip") == 0)
		r->who = RATE_IP;
	else {
		snprintf(why, cap, "\"%s\": the first word is user or ip", line);
		return -EINVAL;
	}
	if (strcmp(fam, "all") == 0)
		r->family = -1;
	else if ((r->family = (int)mlflow_routes_family_parse(fam)) == FAM_COUNT) {
		snprintf(why, cap, "\"%s\": unknown route family \"%s\" (all, api_read, api_write, search, graphql, "
			 "artifact_read, artifact_write, admin, api_other, ui)", line, fam);
		return -EINVAL;
	}
	char *end;
	double count = strtod(rate, &end);
	double per;
	if (end == rate || !(count > 0) || count > 1e9 || *end != '/')
		per = 0;
	else if (strcmp(end, "/s") == 0)
		per = 1000;
	else if (strcmp(end, "/m") == 0)
		per = 60000;
	else if (strcmp(end, "/h") == 0)
		per = 3600000;
	else
		per = 0;
	if (per == 0) {
		snprintf(why, cap, "\"%s\": the rate is COUNT/s, COUNT/m or COUNT/h with COUNT > 0", line);
		return -EINVAL;
	}
	if (n == 5 && !(burst >= 1 && burst <= 1e9)) {
		snprintf(why, cap, "\"%s\": burst must be between 1 and 1e9", line);
		return -EINVAL;
	}
	r->per_ms = count / per;
	r->burst = n == 5 ? burst : (count >= 1 ? floor(count) : 1);
	r->text = mem_strdup(line);
	return 0;
}

int rate_limits_compile(char *const *lines, size_t n, struct rate_limits **out, char *why, size_t cap)
{
	*out = NULL;
	if (n == 0)
		return 0;
	struct rate_limits *rl = mem_calloc(1, sizeof *rl);
	rl->rules = mem_calloc(n, sizeof *rl->rules);
	for (size_t i = 0; i < n; i++) {
		if (compile_rule(lines[i], &rl->rules[i], why, cap)) {
			rate_limits_free(rl);
			return -EINVAL;
		}
		rl->n++;
	}
	rl->buckets = slot_table_new(RATE_SLOTS);
	*out = rl;
	return 0;
}

void rate_limits_free(struct rate_limits *rl)
{
	if (rl == NULL)
		return;
	for (size_t i = 0; i < rl->n; i++)
		free(rl->rules[i].text);
	free(rl->rules);
	slot_table_free(rl->buckets);
	free(rl);
}

bool rate_limits_any(const struct rate_limits *rl, enum rate_who who)
{
	for (size_t i = 0; rl && i < rl->n; i++)
		if (rl->rules[i].who == who)
			return true;
	return false;
}

/* Refills s for rule r at now; returns the tokens (in millionths). */
static int64_t refill(const struct rate_rule *r, struct slot *s, int64_t now)
{
	int64_t full = (int64_t)(r->burst * MICRO);
	if (s->b == 0) {	/* new bucket: full */
		s->a = full;
		s->b = now;
		return s->a;
	}
	int64_t dt = now - s->b;
	if (dt > 0) {
		double add = (double)dt * r->per_ms * MICRO;
		s->a = add >= (double)(full - s->a) ? full : s->a + (int64_t)add;
		s->b = now;
	}
	return s->a;
}

uint64_t rate_limits_take(struct rate_limits *rl, enum rate_who who, const char *key, enum route_family family,
			  int64_t now, const char **rule)
{
	*rule = NULL;
	if (rl == NULL)
		return 0;
	if (now <= 0)
		now = 1;	/* 0 marks a new bucket */
	size_t klen = strlen(key);
	char k[300];
	/* Check every rule first, then charge: a refused request costs nothing. */
	uint64_t wait = 0;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < rl->n; i++) {
			const struct rate_rule *r = &rl->rules[i];
			if (r->who != who || (r->family >= 0 && r->family != (int)family))
				continue;
			int kl = snprintf(k, sizeof k, "%zu:%.*s", i, (int)(klen > 256 ? 256 : klen), key);
			struct slot *s = slot_table_acquire(rl->buckets, k, (size_t)kl, now, true);
			int64_t tokens = refill(r, s, now);
			if (pass == 0 && tokens < (int64_t)MICRO) {
				uint64_t ms = (uint64_t)ceil(((double)MICRO - (double)tokens) / (r->per_ms * MICRO));
				if (ms > wait) {
					wait = ms;
					*rule = r->text;
				}
			} else if (pass == 1) {
				s->a -= (int64_t)MICRO;
			}
			slot_table_release(rl->buckets, s);
		}
		if (wait)
			return wait;
	}
	return 0;
}
