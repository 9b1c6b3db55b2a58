/* Lockout counting (window, back-off, reset) and rate-limit buckets. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <stdlib.h>
#include "authn/lockout.h"
#include "authz/rate_limit.h"

#include "strv.h"

static const struct lockout_params P = { .max_failures = 3, .window = 60000, .duration = 1000,
					 .max_duration = 8000 };

static void test_step(void **state)
{
	struct lockout_state s = { 0 };
	int64_t t = 1000000;
	assert_false(lockout_step(&s, t, &P));
	assert_false(lockout_step(&s, t + 1, &P));
	assert_true(lockout_step(&s, t + 2, &P));
	assert_int_equal(s.locked_until, t + 2 + 1000);
	assert_int_equal(s.strikes, 1);
	/* failures while locked add nothing */
	assert_false(lockout_step(&s, t + 500, &P));
	assert_int_equal(s.failures, 0);
	/* back-off doubles: 2 s, 4 s, 8 s, then stays at the cap */
	int64_t now = s.locked_until + 1;
	int64_t want[] = { 2000, 4000, 8000, 8000 };
	for (int i = 0; i < 4; i++) {
		assert_false(lockout_step(&s, now, &P));
		assert_false(lockout_step(&s, now, &P));
		assert_true(lockout_step(&s, now, &P));
		assert_int_equal(s.locked_until - now, want[i]);
		now = s.locked_until + 1;
	}
	/* failures spread wider than the window never lock */
	struct lockout_state w = { 0 };
	for (int i = 0; i < 10; i++)
		assert_false(lockout_step(&w, t + (int64_t)i * 40000, &P));
	/* a long quiet period forgets the strikes */
	assert_true(s.strikes >= 4);
	now = s.locked_until + 8000 + 1;
	lockout_step(&s, now, &P);
	lockout_step(&s, now, &P);
	assert_true(lockout_step(&s, now, &P));
	assert_int_equal(s.locked_until - now, 1000);
	/* off */
	struct lockout_params off = P;
	off.max_failures = 0;
	struct lockout_state o = { 0 };
	for (int i = 0; i < 10; i++)
		assert_false(lockout_step(&o, t, &off));
}

static void test_store(void **state)
{
	char path[] = "/tmp/mlgate-lockout-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	char uri[300];
	snprintf(uri, sizeof uri, "sqlite:///%s", path);
	struct store *s = NULL;
	char *err = NULL;
	assert_int_equal(store_open(uri, &s, &err), 0);
	struct lockout_state st;
	bool locked = false;
	int64_t t = 5000000;
	assert_int_equal(lockout_fail(s, "user:eve", t, &P, &st, &locked, &err), 0);
	assert_false(locked);
	assert_int_equal(lockout_fail(s, "user:eve", t + 1, &P, &st, &locked, &err), 0);
	assert_int_equal(lockout_fail(s, "user:eve", t + 2, &P, &st, &locked, &err), 0);
	assert_true(locked);
	struct lockout_state got;
	assert_int_equal(lockout_get(s, "user:eve", &got, &err), 0);
	assert_int_equal(got.locked_until, t + 2 + 1000);
	struct store_rows r;
	assert_int_equal(lockout_list(s, t + 3, false, &r, &err), 0);
	assert_int_equal(r.nrows, 1);
	assert_string_equal(store_value(&r, 0, 0), "user:eve");
	store_rows_free(&r);
	assert_int_equal(lockout_list(s, t + 5000, false, &r, &err), 0);
	assert_int_equal(r.nrows, 0);
	store_rows_free(&r);
	assert_int_equal(lockout_clear(s, "user:eve", &err), 0);
	assert_int_equal(lockout_clear(s, "user:eve", &err), -ENOENT);
	assert_int_equal(lockout_get(s, "user:eve", &got, &err), 0);
	assert_int_equal(got.locked_until, 0);
	store_close(s);
	unlink(path);
}

static void test_rate(void **state)
{
	const char *lines[] = { "user all 2/s burst 3", "user search 1/m", "ip graphql 10/s" };
	struct rate_limits *rl = NULL;
	char why[200];
	assert_int_equal(rate_limits_compile(dupv(lines, 3), 3, &rl, why, sizeof why), 0);
	const char *rule;
	int64_t t = 1000;
	/* burst 3, then refused with the wait for one token (500 ms at 2/s) */
	for (int i = 0; i < 3; i++)
		assert_int_equal(rate_limits_take(rl, RATE_USER, "alice", FAM_API_READ, t, &rule), 0);
	assert_int_equal(rate_limits_take(rl, RATE_USER, "alice", FAM_API_READ, t, &rule), 500);
	assert_string_equal(rule, "user all 2/s burst 3");
	/* another user has its own bucket; ip rules do not apply to users */
	assert_int_equal(rate_limits_take(rl, RATE_USER, "bob", FAM_API_READ, t, &rule), 0);
	assert_int_equal(rate_limits_take(rl, RATE_IP, "alice", FAM_API_READ, t, &rule), 0);
	/* refills at the rate */
	assert_int_equal(rate_limits_take(rl, RATE_USER, "alice", FAM_API_READ, t + 500, &rule), 0);
	assert_true(rate_limits_take(rl, RATE_USER, "alice", FAM_API_READ, t + 500, &rule) > 0);
	/* a family rule adds to "all": one search a minute */
	assert_int_equal(rate_limits_take(rl, RATE_USER, "carol", FAM_SEARCH, t, &rule), 0);
	uint64_t wait = rate_limits_take(rl, RATE_USER, "carol", FAM_SEARCH, t + 1, &rule);
	assert_true(wait > 59000 && wait <= 60000);
	assert_string_equal(rule, "user search 1/m");
	/* the refused search charged nothing: carol still has "all" tokens */
	assert_int_equal(rate_limits_take(rl, RATE_USER, "carol", FAM_API_READ, t + 2, &rule), 0);
	assert_int_equal(rate_limits_take(rl, RATE_USER, "carol", FAM_API_READ, t + 3, &rule), 0);
	rate_limits_free(rl);
	const char *bad[] = { "users all 1/s", "user everything 1/s", "user all 0/s", "user all 5/d", "user all 5/s burst 0",
			      "user all 5/s bursts 3", "user all" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(rate_limits_compile(dupv(&bad[i], 1), 1, &rl, why, sizeof why), -EINVAL);
		assert_non_null(strstr(why, bad[i]));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_step),
		cmocka_unit_test(test_store),
		cmocka_unit_test(test_rate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
