/* Lockout counters: the pure step and the store's compare-and-swap updates. */
#include "authn/lockout.h"
#include "core/mem.h"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t lockout_duration(int64_t strikes, const struct lockout_params *p)
{
	uint64_t d = p->duration;
	for (int64_t i = 1; i < strikes && d < p->max_duration; i++)
		d *= 2;
	return d < p->max_duration ? d : p->max_duration;
}

bool lockout_step(struct lockout_state *s, int64_t now, const struct lockout_params *p)
{
	if (p->max_failures <= 0)
		return false;
	if (s->locked_until > now)
		return false;	/* already locked: nothing to add */
	if (s->strikes > 0 && s->locked_until > 0 && now - s->locked_until > (int64_t)p->max_duration)
		s->strikes = 0;	/* long quiet since the last lockout: back-off starts over */
	if (s->failures == 0 || now - s->window_start > (int64_t)p->window) {
		s->failures = 0;
		s->window_start = now;
	}
	s->failures++;
	if (s->failures < p->max_failures)
		return false;
	s->strikes++;
	s->locked_until = now + (int64_t)lockout_duration(s->strikes, p);
	s->failures = 0;
	s->window_start = now;
	return true;
}

static void fmt(char out[24], int64_t v)
{
	snprintf(out, 24, "%" PRId64, v);
}

static int64_t num(const char *v)
{
	return v ? strtoll(v, NULL, 10) : 0;
}

int lockout_get(struct store *s, const char *key, struct lockout_state *out, char **err)
{
	memset(out, 0, sizeof *out);
	struct store_rows r;
	int rc = store_exec(s, "SELECT failures, window_start, locked_until, strikes FROM lockouts WHERE key = $1", 1,
			    &key, &r, err);
	if (rc)
		return rc;
	if (r.nrows == 1) {
		out->failures = num(store_value(&r, 0, 0));
		out->window_start = num(store_value(&r, 0, 1));
		out->locked_until = num(store_value(&r, 0, 2));
		out->strikes = num(store_value(&r, 0, 3));
	}
	store_rows_free(&r);
	return 0;
}

int lockout_fail(struct store *s, const char *key, int64_t now, const struct lockout_params *p,
		 struct lockout_state *out, bool *locked, char **err)
{
	for (int attempt = 0; attempt < 8; attempt++) {
		struct lockout_state old;
		int rc = lockout_get(s, key, &old, err);
		if (rc)
			return rc;
		struct lockout_state st = old;
		*locked = lockout_step(&st, now, p);
		char v[9][24];
		fmt(v[0], st.failures);
		fmt(v[1], st.window_start);
		fmt(v[2], st.locked_until);
		fmt(v[3], st.strikes);
		fmt(v[4], old.failures);
		fmt(v[5], old.window_start);
		fmt(v[6], old.locked_until);
		fmt(v[7], old.strikes);
		fmt(v[8], now);
		const char *params[] = { key, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8] };
		struct store_rows r;
		if (old.window_start == 0 && old.failures == 0 && old.strikes == 0 && old.locked_until == 0)
			rc = store_exec(s,
					"INSERT INTO lockouts (key, failures, window_start, locked_until, strikes, updated_at) "
					"VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key) DO NOTHING RETURNING key",
					6, (const char *const[]){ key, v[0], v[1], v[2], v[3], v[8] }, &r, err);
		else
			rc = store_exec(s,
					"UPDATE lockouts SET failures = $2, window_start = $3, locked_until = $4, strikes = $5, "
					"updated_at = $10 WHERE key = $1 AND failures = $6 AND window_start = $7 AND "
					"locked_until = $8 AND strikes = $9 RETURNING key",
					10, params, &r, err);
		if (rc)
			return rc;
		size_t n = r.nrows;
		store_rows_free(&r);
		if (n == 1) {
			*out = st;
			return 0;
		}
		/* another thread or instance changed it in between: read again */
	}
	*err = mem_strdup("lockout counter too contended");
	return -EAGAIN;
}

int lockout_clear(struct store *s, const char *key, char **err)
{
	struct store_rows r;
	int rc = store_exec(s, "DELETE FROM lockouts WHERE key = $1 RETURNING key", 1, &key, &r, err);
	if (rc)
		return rc;
	size_t n = r.nrows;
	store_rows_free(&r);
	return n ? 0 : -ENOENT;
}

int lockout_list(struct store *s, int64_t now, bool all, struct store_rows *rows, char **err)
{
	char t[24];
	fmt(t, now);
	const char *p = t;
	if (all)
		return store_exec(s, "SELECT key, failures, window_start, locked_until, strikes FROM lockouts ORDER BY key",
				  0, NULL, rows, err);
	return store_exec(s,
			  "SELECT key, failures, window_start, locked_until, strikes FROM lockouts "
			  "WHERE locked_until > $1 ORDER BY key",
			  1, &p, rows, err);
}

int lockout_prune(struct store *s, int64_t now, const struct lockout_params *user, const struct lockout_params *ip,
		  char **err)
{
	uint64_t keep = user->window > user->max_duration ? user->window : user->max_duration;
	uint64_t k2 = ip->window > ip->max_duration ? ip->window : ip->max_duration;
	if (k2 > keep)
		keep = k2;
	char t[24];
	fmt(t, now - (int64_t)keep);
	const char *p = t;
	return store_exec(s, "DELETE FROM lockouts WHERE locked_until < $1 AND window_start < $1", 1, &p, NULL, err);
}
