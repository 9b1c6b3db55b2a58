/* The verified-credential cache. Four-way set-associative table, one lock per
 * group of sets; an entry is the HMAC of the credentials, the htpasswd
 * generation and an expiry, so nothing in it reveals a password. */
#include "authn/cred_cache.h"
#include "core/mem.h"
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
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
	 * costs two context copies and two short hashes, no provider look-ups. */
	EVP_MD_CTX *inner, *outer;
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
	uint8_t ipad[64], opad[64];
	for (int i = 0; i < 64; i++) {
		uint8_t k = i < 32 ? c->hmac_key[i] : 0;
		ipad[i] = k ^ 0x36;
		opad[i] = k ^ 0x5c;
	}
	c->inner = EVP_MD_CTX_new();
	c->outer = EVP_MD_CTX_new();
	if (c->inner == NULL || c->outer == NULL || !EVP_DigestInit_ex(c->inner, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(c->inner, ipad, 64) || !EVP_DigestInit_ex(c->outer, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(c->outer, opad, 64))
		abort();
	mem_wipe(ipad, sizeof ipad);
	mem_wipe(opad, sizeof opad);
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
	EVP_MD_CTX_free(c->inner);
	EVP_MD_CTX_free(c->outer);
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
	uint8_t ih[32];
	unsigned int n = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx == NULL || !EVP_MD_CTX_copy_ex(ctx, c->inner) || !EVP_DigestUpdate(ctx, lenb, 4) ||
	    !EVP_DigestUpdate(ctx, user, ulen) || !EVP_DigestUpdate(ctx, pw, pwlen) ||
	    !EVP_DigestFinal_ex(ctx, ih, &n) || !EVP_MD_CTX_copy_ex(ctx, c->outer) ||
	    !EVP_DigestUpdate(ctx, ih, sizeof ih) || !EVP_DigestFinal_ex(ctx, key, &n))
		abort();
	EVP_MD_CTX_free(ctx);
	mem_wipe(ih, sizeof ih);
}

static size_t set_of(const struct cred_cache *c, const uint8_t key[CRED_KEY_LEN])
{
	uint64_t v;
	memcpy(&v, key, sizeof v);
	return (size_t)(v & (c->nsets - 1));
}

bool cred_cache_lookup(struct cred_cache *c, const uint8_t key[CRED_KEY_LEN], uint64_t gen, uint64_t now_ms)
{
	return cred_cache_lookup_user(c, key, gen, now_ms, NULL);
}

void cred_cache_insert(struct cred_cache *c, const uint8_t key[CRED_KEY_LEN], uint64_t gen, uint64_t now_ms)
{
	cred_cache_insert_user(c, key, gen, now_ms, NULL);
}

bool cred_cache_lookup_user(struct cred_cache *c, const uint8_t key[CRED_KEY_LEN], uint64_t gen, uint64_t now_ms,
			    char user_out[128])
{
	if (c->ttl == 0)
		return false;
	size_t s = set_of(c, key);
	pthread_mutex_t *l = &c->locks[s % LOCKS];
	bool hit = false;
	pthread_mutex_lock(l);
	for (int i = 0; i < WAYS; i++) {
		struct cred_entry *e = &c->e[s * WAYS + (size_t)i];
		if (e->expires > now_ms && e->gen == gen && CRYPTO_memcmp(e->key, key, CRED_KEY_LEN) == 0) {
			hit = true;
			if (user_out)
				memcpy(user_out, e->user, sizeof e->user);
			break;
		}
	}
	pthread_mutex_unlock(l);
	return hit;
}

void cred_cache_insert_user(struct cred_cache *c, const uint8_t key[CRED_KEY_LEN], uint64_t gen, uint64_t now_ms,
			    const char *user)
{
	if (c->ttl == 0)
		return;
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
