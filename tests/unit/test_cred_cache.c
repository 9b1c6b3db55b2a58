/* Unit tests for the verified-credential cache: keying, TTL, generations,
 * clearing and the size bound. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "authn/cred_cache.h"

static void test_keying(void **state)
{
	struct cred_cache *c = cred_cache_new(64, 1000);
	uint8_t k1[CRED_KEY_LEN], k2[CRED_KEY_LEN], k3[CRED_KEY_LEN], k4[CRED_KEY_LEN];
	cred_cache_key(c, "ab", 2, "c", 1, k1);
	cred_cache_key(c, "a", 1, "bc", 1 + 1, k2);
	cred_cache_key(c, "ab", 2, "c", 1, k3);
	cred_cache_key(c, "ab", 2, "C", 1, k4);
	assert_memory_not_equal(k1, k2, CRED_KEY_LEN);	/* user/password boundary counts */
	assert_memory_equal(k1, k3, CRED_KEY_LEN);
	assert_memory_not_equal(k1, k4, CRED_KEY_LEN);
	/* another process (another random key) derives other keys */
	struct cred_cache *d = cred_cache_new(64, 1000);
	uint8_t k5[CRED_KEY_LEN];
	cred_cache_key(d, "ab", 2, "c", 1, k5);
	assert_memory_not_equal(k1, k5, CRED_KEY_LEN);
	cred_cache_free(d);
	cred_cache_free(c);
}

static void test_ttl_and_generation(void **state)
{
	struct cred_cache *c = cred_cache_new(64, 1000);
	uint8_t k[CRED_KEY_LEN], other[CRED_KEY_LEN];
	cred_cache_key(c, "alice", 5, "pw", 2, k);
	cred_cache_key(c, "alice", 5, "pw2", 3, other);
	assert_false(cred_cache_expiry(c, k, 7, 100) != 0);
	cred_cache_insert(c, k, 7, 100);
	assert_true(cred_cache_expiry(c, k, 7, 100) != 0);
	assert_true(cred_cache_expiry(c, k, 7, 1099) != 0);
	assert_false(cred_cache_expiry(c, k, 7, 1100) != 0);	/* expired */
	assert_false(cred_cache_expiry(c, other, 7, 200) != 0);	/* only what was verified */
	assert_false(cred_cache_expiry(c, k, 8, 200) != 0);		/* htpasswd changed */
	cred_cache_insert(c, k, 8, 2000);
	assert_true(cred_cache_expiry(c, k, 8, 2001) != 0);
	/* the expiry a refresh is timed by, and a refresh moving it on */
	assert_int_equal(cred_cache_expiry(c, k, 8, 2001), 3000);
	assert_int_equal(cred_cache_expiry(c, k, 7, 2001), 0);
	assert_int_equal(cred_cache_expiry(c, k, 8, 3000), 0);
	assert_int_equal(cred_cache_refresh_window(c), 250);
	cred_cache_insert(c, k, 8, 2800);
	assert_int_equal(cred_cache_expiry(c, k, 8, 2900), 3800);
	cred_cache_clear(c);
	assert_false(cred_cache_expiry(c, k, 8, 2001) != 0);
	cred_cache_free(c);
	struct cred_cache *hour = cred_cache_new(64, 3600000);
	assert_int_equal(cred_cache_refresh_window(hour), 60000);	/* a minute at most */
	cred_cache_free(hour);
	struct cred_cache *off = cred_cache_new(64, 0);
	cred_cache_insert(off, k, 1, 1);
	assert_false(cred_cache_expiry(off, k, 1, 1) != 0);
	cred_cache_free(off);
}

static void test_user_kept(void **state)
{
	struct cred_cache *c = cred_cache_new(16, 1000);
	uint8_t k[CRED_KEY_LEN];
	cred_cache_key(c, "", 0, "mlg_token", 9, k);
	char who[128] = "unchanged";
	assert_false(cred_cache_lookup_user(c, k, 1, 10, who));
	assert_string_equal(who, "unchanged");
	cred_cache_insert_user(c, k, 1, 10, "alice");
	assert_true(cred_cache_lookup_user(c, k, 1, 11, who));
	assert_string_equal(who, "alice");
	cred_cache_free(c);
}

static void test_bound(void **state)
{
	struct cred_cache *c = cred_cache_new(100, 100000);
	for (int i = 0; i < 5000; i++) {
		char pw[16];
		int n = snprintf(pw, sizeof pw, "pw%d", i);
		uint8_t k[CRED_KEY_LEN];
		cred_cache_key(c, "u", 1, pw, (size_t)n, k);
		cred_cache_insert(c, k, 1, (uint64_t)i + 1);
	}
	size_t n = cred_cache_count(c, 5001);
	assert_true(n <= 128);	/* 100 rounded up to a power-of-two number of sets */
	assert_true(n >= 64);
	/* the newest entry survives */
	uint8_t k[CRED_KEY_LEN];
	cred_cache_key(c, "u", 1, "pw4999", 6, k);
	assert_true(cred_cache_expiry(c, k, 1, 5001) != 0);
	cred_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keying),
		cmocka_unit_test(test_ttl_and_generation),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_user_kept),
	};
	return cmocka_run_group_tests_name("cred_cache", tests, NULL, NULL);
}
