/* Verified-credential cache: remembers successful Basic logins only, keyed by
 * HMAC-SHA256(per-process random key, user, password), bounded in size, with a
 * TTL, and tied to the htpasswd generation it was verified against. Shared by
 * all workers; safe from any thread. */
#ifndef MG_CRED_CACHE_H
#define MG_CRED_CACHE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRED_KEY_LEN 32

struct cred_cache;

/* Creates a cache holding at most `size` entries (rounded up to a multiple of
 * the associativity) for ttl_ms. */
struct cred_cache *cred_cache_new(size_t size, uint64_t ttl_ms);
void cred_cache_free(struct cred_cache *c);
/* Computes the lookup key for user/password. */
void cred_cache_key(const struct cred_cache *c, const char *user, size_t ulen, const char *pw,
		    size_t pwlen, uint8_t key[CRED_KEY_LEN]);
/* When the entry for key, verified against htpasswd generation gen, expires
 * (ms, as now_ms; ttl after its verification), or 0: none, or expired. */
uint64_t cred_cache_expiry(struct cred_cache *c, const uint8_t key[CRED_KEY_LEN], uint64_t gen, uint64_t now_ms);
/* How long before its expiry an entry in use is verified again in the
 * background (a quarter of the TTL, at most a minute): a credential in
 * steady use never expires under its requests, so none of them waits for
 * the slow hash. */
uint64_t cred_cache_refresh_window(const struct cred_cache *c);
/* Records a successful verification. */
void cred_cache_insert(struct cred_cache *c, const uint8_t key[CRED_KEY_LEN], uint64_t gen, uint64_t now_ms);
/* The same, remembering (and returning) whose credential it was: for bearer
 * tokens, where the request names no user. */
bool cred_cache_lookup_user(struct cred_cache *c, const uint8_t key[CRED_KEY_LEN], uint64_t gen, uint64_t now_ms,
			    char user_out[128]);
/* (The insert returns the new entry's expiry, 0 with no cache.) */
uint64_t cred_cache_insert_user(struct cred_cache *c, const uint8_t key[CRED_KEY_LEN], uint64_t gen, uint64_t now_ms,
				const char *user);
/* Forgets everything (the htpasswd file changed). */
void cred_cache_clear(struct cred_cache *c);
/* Entries currently held (for tests and metrics). */
size_t cred_cache_count(struct cred_cache *c, uint64_t now_ms);

#endif
