/* The verified-credential cache's precomputed HMAC must equal OpenSSL's
 * one-shot HMAC-SHA256 over the same message (includes the .c to reach the
 * per-process key). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "../../src/authn/cred_cache.c"

static void test_matches_openssl(void **state)
{
	struct cred_cache *c = cred_cache_new(16, 1000);
	const char *users[] = { "alice", "", "a-very-long-user-name-with-many-bytes" };
	const char *pws[] = { "secret", "x", "" };
	for (int i = 0; i < 3; i++) {
		uint8_t got[CRED_KEY_LEN], want[32];
		size_t ul = strlen(users[i]), pl = strlen(pws[i]);
		cred_cache_key(c, users[i], ul, pws[i], pl, got);
		uint8_t msg[256];
		msg[0] = (uint8_t)(ul >> 24);
		msg[1] = (uint8_t)(ul >> 16);
		msg[2] = (uint8_t)(ul >> 8);
		msg[3] = (uint8_t)ul;
		memcpy(msg + 4, users[i], ul);
		memcpy(msg + 4 + ul, pws[i], pl);
		unsigned int n = 0;
		HMAC(EVP_sha256(), c->hmac_key, sizeof c->hmac_key, msg, 4 + ul + pl, want, &n);
		assert_int_equal(n, 32);
		assert_memory_equal(got, want, 32);
	}
	cred_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_openssl),
	};
	return cmocka_run_group_tests_name("cred_hmac", tests, NULL, NULL);
}
