/* The verified-credential cache. Four-way set-associative table, one lock per
 * group of sets; an entry is the HMAC of the credentials, the htpasswd
 * generation and an expiry, so nothing in it reveals a password. */
#include "authn/cred_cache.h"
#include "core/mem.h"
#include "core/sha256.h"
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAYS 4
#define LOCKS 16

struct cred_entry {
	uint8_t key[CRED_KEY_LEN];
	uint64_t gen;
	uint64_t expires;	/* 0: empty */
	char user[128];		/* who the credential belongs to (tokens name no user) */
};

struct cred_cache {
	uint8_t hmac_key[32];
	/* HMAC-SHA256 with the key's inner and outer pads already absorbed: a key
	 * costs two short hashes, no allocation */
	struct hmac_pads pads;
	uint64_t ttl;
	size_t nsets;		/* power of two */
	struct cred_entry *e;	/* nsets * WAYS */
	pthread_mutex_t locks[LOCKS];
};

struct cred_cache *cred_cache_new(size_t size, uint64_t ttl_ms)
{
	struct cred_cache *c = mem_calloc(1, sizeof *c);
	if (RAND_bytes(c->hmac_key, sizeof c->hmac_key) != 1)
		abort();
	c->ttl = ttl_ms;
	hmac_pads_init(&c->pads, c->hmac_key, sizeof c->hmac_key);
	size_t sets = 1;
	while (sets * WAYS < size)
		sets *= 2;
	c->nsets = sets;
	c->e = mem_calloc(sets * WAYS, sizeof *c->e);
	for (int i = 0; i < LOCKS; i++)
		pthread_mutex_init(&c->locks[i], NULL);
	return c;
}

void cred_cache_free(struct cred_cache *c)
{
	if (c == NULL)
		return;
	mem_wipe(c->hmac_key, sizeof c->hmac_key);
	mem_wipe(&c->pads, sizeof c->pads);
	for (int i = 0; i < LOCKS; i++)
		pthread_mutex_destroy(&c->locks[i]);
	free(c->e);
	free(c);
}

void cred_cache_key(const struct cred_cache *c, const char *user, size_t ulen, const char *pw,
		    size_t pwlen, uint8_t key[CRED_KEY_LEN])
{
	/* HMAC-SHA256(key, len(user) || user || password): the length prefix
	 * keeps ("ab","c") and ("a","bc") apart. */
	uint8_t lenb[4] = { (uint8_t)(ulen >> 24), (uint8_t)(ulen >> 16), (uint8_t)(ulen >> 8), (uint8_t)ulen };
	hmac_pads_mac(&c->pads, lenb, 4, user, ulen, pw, pwlen, key);
}

static size_t set_of(const struct cred_cache *c, const uint8_t key[CRED_KEY_LEN])
{
	uint64_t v;
	memcpy(&v, key, sizeof v);
	return (size_t)(v & (c->nsets - 1));
}

/* The expiry of the entry for key under gen (0: none, or expired); its user
 * copied to user_out when given. */
static uint64_t find(struct cred_cache *c, const uint8_t key[CRED_KEY_LEN], uint64_t gen, uint64_t now_ms,
		     char user_out[128])
{
	if (c->ttl == 0)
		return 0;
	size_t s = set_of(c, key);
	pthread_mutex_t *l = &c->locks[s % LOCKS];
	uint64_t expires = 0;
	pthread_mutex_lock(l);
	for (int i = 0; i < WAYS; i++) {
		struct cred_entry *e = &c->e[s * WAYS + (size_t)i];
		if (e->expires > now_ms && e->gen == gen && CRYPTO_memcmp(e->key, key, CRED_KEY_LEN) == 0) {
			expires = e->expires;
			if (user_out)
				memcpy(user_out, e->user, sizeof e->user);
			break;
		}
	}
	pthread_mutex_unlock(l);
	return expires;
}

uint64_t cred_cache_expiry(struct cred_cache *c, const uint8_t key[CRED_KEY_LEN], uint64_t gen, uint64_t now_ms)
{
	return find(c, key, gen, now_ms, NULL);
}

uint64_t cred_cache_refresh_window(const struct cred_cache *c)
{
	uint64_t w = c->ttl / 4;
	return w < 60000 ? w : 60000;
}

void cred_cache_insert(struct cred_cache *c, const uint8_t key[CRED_KEY_LEN], uint64_t gen, uint64_t now_ms)
{
	cred_cache_insert_user(c, key, gen, now_ms, NULL);
}

bool cred_cache_lookup_user(struct cred_cache *c, const uint8_t key[CRED_KEY_LEN], uint64_t gen, uint64_t now_ms,
			    char user_out[128])
{
	return find(c, key, gen, now_ms, user_out) != 0;
}

uint64_t cred_cache_insert_user(struct cred_cache *c, const uint8_t key[CRED_KEY_LEN], uint64_t gen, uint64_t now_ms,
				const char *user)
{
	if (c->ttl == 0)
		return 0;
	size_t s = set_of(c, key);
	pthread_mutex_t *l = &c->locks[s % LOCKS];
	pthread_mutex_lock(l);
	struct cred_entry *victim = NULL;
	for (int i = 0; i < WAYS; i++) {
		struct cred_entry *e = &c->e[s * WAYS + (size_t)i];
		if (CRYPTO_memcmp(e->key, key, CRED_KEY_LEN) == 0) {
			victim = e;	/* refresh in place */
			break;
		}
		if (victim == NULL || e->expires < victim->expires)
			victim = e;	/* empty or soonest to expire */
	}
	memcpy(victim->key, key, CRED_KEY_LEN);
	victim->gen = gen;
	victim->expires = now_ms + c->ttl;
	snprintf(victim->user, sizeof victim->user, "%s", user ? user : "");
	pthread_mutex_unlock(l);
	return now_ms + c->ttl;
}

void cred_cache_clear(struct cred_cache *c)
{
	for (size_t s = 0; s < c->nsets; s++) {
		pthread_mutex_t *l = &c->locks[s % LOCKS];
		pthread_mutex_lock(l);
		memset(&c->e[s * WAYS], 0, WAYS * sizeof *c->e);
		pthread_mutex_unlock(l);
	}
}

size_t cred_cache_count(struct cred_cache *c, uint64_t now_ms)
{
	size_t n = 0;
	for (size_t s = 0; s < c->nsets; s++) {
		pthread_mutex_t *l = &c->locks[s % LOCKS];
		pthread_mutex_lock(l);
		for (int i = 0; i < WAYS; i++)
			if (c->e[s * WAYS + (size_t)i].expires > now_ms)
				n++;
		pthread_mutex_unlock(l);
	}
	return n;
}
