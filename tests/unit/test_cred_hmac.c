/* The verified-credential cache's precomputed HMAC must equal OpenSSL's
 * one-shot HMAC-SHA256 over the same message (includes the .c to reach the
 * per-process key); so must the pads (core/sha256.c) for every key length
 * up to a block and any split of the message, and sha256_2 SHA-256. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
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

static void test_pads_match_openssl(void **state)
{
	uint8_t key[64], msg[300];
	for (size_t i = 0; i < sizeof key; i++)
		key[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < sizeof msg; i++)
		msg[i] = (uint8_t)(i * 13 + 5);
	const size_t keylens[] = { 0, 1, 32, 63, 64 };
	const size_t cuts[][2] = { { 0, 0 }, { 1, 2 }, { 55, 64 }, { 64, 200 }, { 300, 300 } };
	for (size_t k = 0; k < sizeof keylens / sizeof keylens[0]; k++) {
		struct hmac_pads p;
		hmac_pads_init(&p, key, keylens[k]);
		for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
			size_t a = cuts[c][0], b = cuts[c][1];
			uint8_t got[32], want[32];
			unsigned int n = 0;
			hmac_pads_mac(&p, msg, a, msg + a, b - a, msg + b, sizeof msg - b, got);
			HMAC(EVP_sha256(), key, (int)keylens[k], msg, sizeof msg, want, &n);
			assert_int_equal(n, 32);
			assert_memory_equal(got, want, 32);
		}
		uint8_t got[32], want[32];
		unsigned int n = 0;
		hmac_pads_mac(&p, msg, 10, NULL, 0, NULL, 0, got);	/* b and c left out */
		HMAC(EVP_sha256(), key, (int)keylens[k], msg, 10, want, &n);
		assert_memory_equal(got, want, 32);
	}
	uint8_t got[32], want[32];
	unsigned int n = 0;
	sha256_2(msg, 100, msg + 100, 200, got);
	EVP_Digest(msg, sizeof msg, want, &n, EVP_sha256(), NULL);
	assert_memory_equal(got, want, 32);
	sha256_2(msg, 0, NULL, 0, got);
	EVP_Digest(msg, 0, want, &n, EVP_sha256(), NULL);
	assert_memory_equal(got, want, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_openssl),
		cmocka_unit_test(test_pads_match_openssl),
	};
	return cmocka_run_group_tests_name("cred_hmac", tests, NULL, NULL);
}
