/* Authentication stage. Cache hits cost one HMAC; misses run the slow hash
 * (or the token look-up) on the thread pool, never on the loop thread. An
 * unknown user is verified against a real entry's hash and then refused, so
 * it costs what a wrong password costs and timing does not reveal which users
 * exist. Token successes are remembered for one second only, so a revoked
 * token stops working on every worker within a second. */
#include "http/auth_stage.h"
#include "authn/basic.h"
#include "authn/cred_cache.h"
#include "authn/htpasswd.h"
#include "authn/tokens.h"
#include "authn/users.h"
#include "audit/audit_log.h"
#include "core/log.h"
#include "core/mem.h"
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct waiter {
	struct conn *c;
	struct waiter *next;
};

struct auth_flight {
	uv_work_t work;
	struct worker *w;
	struct auth_flight *next;
	struct runtime *rt;
	enum auth_kind kind;
	uint64_t gen;			/* credential generation when it started */
	uint8_t key[CRED_KEY_LEN];
	char user[BASIC_MAX_USER];
	char secret[BASIC_MAX_PASSWORD];
	bool ok;
	bool by_token;			/* a token decided (short cache) */
	char who[BASIC_MAX_USER];	/* the authenticated user */
	char ip[64];			/* of the request that started it */
	char request_id[72];
	struct waiter *waiters;
};

static bool looks_like_token(const char *s)
{
	return strncmp(s, "mlg_", 4) == 0 && strlen(s) == TOKEN_MAX - 32;
}

static bool verify_token(struct auth_flight *f, const char *token)
{
	char owner[128], *err = NULL;
	int rc = tokens_verify(f->w->srv->store, token, (int64_t)time(NULL), owner, &err);
	if (rc != 0 && rc != -EACCES)
		log_error("token check failed: %s", err ? err : "store error");
	free(err);
	if (rc != 0)
		return false;
	/* a disabled store user's tokens stop working too */
	struct user_rec *u = mem_alloc(sizeof *u);
	err = NULL;
	bool disabled = users_get(f->w->srv->store, owner, u, &err) == 0 && u->disabled;
	free(err);
	mem_wipe(u, sizeof *u);
	free(u);
	if (disabled)
		return false;
	snprintf(f->who, sizeof f->who, "%s", owner);
	f->by_token = true;
	return true;
}

static void verify_flight(struct auth_flight *f);

/* A verification (not a cache hit) is a security event: a login or a failed
 * one, written durably before the answer goes out. */
static void flight_work(uv_work_t *req)
{
	struct auth_flight *f = req->data;
	verify_flight(f);
	const char *who = f->ok ? f->who : f->user;
	(void)audit_log_security(f->w->srv->audit, f->ok ? "Login" : "LoginFailed", who[0] ? who : NULL,
				 f->by_token || f->kind == AUTH_BEARER ? "token" : "password", f->ip, f->request_id, NULL,
				 f->ok ? 200 : 401);
}

static void verify_flight(struct auth_flight *f)
{
	if (f->kind == AUTH_BEARER) {
		f->ok = looks_like_token(f->secret) && verify_token(f, f->secret);
		return;
	}
	/* Basic: a token given as the password must belong to the named user. */
	if (looks_like_token(f->secret) && verify_token(f, f->secret)) {
		f->ok = strcmp(f->who, f->user) == 0;
		return;
	}
	f->by_token = false;
	snprintf(f->who, sizeof f->who, "%s", f->user);
	const struct htpasswd *users = f->rt->users;
	const struct htpasswd_entry *e = htpasswd_find(users, f->user, strlen(f->user));
	if (e != NULL) {
		f->ok = htpasswd_verify(e->hash, e->scheme, f->secret) == 0;
		return;
	}
	struct user_rec u;
	char *err = NULL;
	enum htpasswd_scheme sch;
	if (f->w->srv->store && users_get(f->w->srv->store, f->user, &u, &err) == 0 && u.password_hash[0] &&
	    htpasswd_classify(u.password_hash, &sch) == 0) {
		f->ok = htpasswd_verify(u.password_hash, sch, f->secret) == 0 && !u.disabled;
		if (f->ok)
			users_touch_login(f->w->srv->store, f->user, (int64_t)time(NULL));
		mem_wipe(u.password_hash, sizeof u.password_hash);
		return;
	}
	free(err);
	if (users->n > 0)	/* unknown user: pay for a hash anyway */
		(void)htpasswd_verify(users->entries[0].hash, users->entries[0].scheme, f->secret);
	f->ok = false;
}

/* The worker's own first-level cache: a hit takes no lock (the shared cache's
 * stripes would be contended by every worker for one busy user). Entries
 * live one second, tied to the htpasswd generation like the shared ones. */
static struct cred_l1 *l1_slot(struct worker *w, const uint8_t key[CRED_KEY_LEN])
{
	return &w->cred_l1[key[1] & 63];
}

static bool l1_hit(struct worker *w, const uint8_t key[CRED_KEY_LEN], uint64_t gen, uint64_t now)
{
	struct cred_l1 *e = l1_slot(w, key);
	return e->expires > now && e->gen == gen && CRYPTO_memcmp(e->key, key, CRED_KEY_LEN) == 0;
}

static void l1_fill(struct worker *w, const uint8_t key[CRED_KEY_LEN], uint64_t gen, uint64_t now)
{
	struct cred_l1 *e = l1_slot(w, key);
	memcpy(e->key, key, CRED_KEY_LEN);
	e->gen = gen;
	e->expires = now + 1000;
}

static void flight_done(uv_work_t *req, int status)
{
	struct auth_flight *f = req->data;
	struct worker *w = f->w;
	struct auth_flight **pp = &w->flights;
	while (*pp && *pp != f)
		pp = &(*pp)->next;
	if (*pp)
		*pp = f->next;
	bool ok = status == 0 && f->ok;
	if (ok) {
		if (f->by_token)
			cred_cache_insert_user(w->srv->token_cache, f->key, 0, server_now_ms(), f->who);
		else {
			cred_cache_insert_user(w->srv->cache, f->key, f->gen, server_now_ms(), f->who);
			if (f->rt->cfg->cache_ttl >= 1000)
				l1_fill(w, f->key, f->gen, server_now_ms());
		}
	}
	struct waiter *wt = f->waiters;
	while (wt) {
		struct waiter *next = wt->next;
		struct conn *c = wt->c;
		free(wt);
		if (c->state != CS_CLOSING) {
			c->ri.auth = f->by_token ? "token" : "password";
			conn_after_auth(c, ok ? f->who : NULL);
		}
		conn_unpin(c);
		wt = next;
	}
	mem_wipe(f->secret, sizeof f->secret);
	runtime_unref(f->rt);
	free(f);
}

/* Cached successes are tied to the htpasswd file's generation and to the
 * store's "credentials" counter: a password change, a disabled or deleted
 * user anywhere makes every cached success a miss. */
static uint64_t cred_gen(const struct conn *c)
{
	return c->rt->users->generation + (atomic_load(&c->w->srv->gen_creds) << 32);
}

void auth_stage_run(struct conn *c, enum auth_kind kind, const char *user, const char *secret)
{
	struct worker *w = c->w;
	uint8_t key[CRED_KEY_LEN];
	size_t ul = strlen(user), sl = strlen(secret);
	/* Bearer tokens are keyed with an empty user: Basic users are never empty. */
	cred_cache_key(w->srv->cache, kind == AUTH_BEARER ? "" : user, kind == AUTH_BEARER ? 0 : ul, secret, sl, key);
	char who[128];
	uint64_t now = server_now_ms();
	uint64_t gen = cred_gen(c);
	c->ri.auth = "password";
	if (kind == AUTH_BASIC && l1_hit(w, key, gen, now)) {
		conn_after_auth(c, user);
		return;
	}
	if (kind == AUTH_BASIC && cred_cache_lookup(w->srv->cache, key, gen, now)) {
		/* refilled only from the shared cache, so an entry outlives the
		 * shared one's TTL by one second at most */
		if (c->rt->cfg->cache_ttl >= 1000)
			l1_fill(w, key, gen, now);
		conn_after_auth(c, user);
		return;
	}
	if (cred_cache_lookup_user(w->srv->token_cache, key, 0, now, who) &&
	    (kind == AUTH_BEARER || strcmp(who, user) == 0)) {
		c->ri.auth = "token";
		conn_after_auth(c, who);
		return;
	}
	struct waiter *wt = mem_alloc(sizeof *wt);
	wt->c = c;
	conn_pin(c);
	for (struct auth_flight *f = w->flights; f; f = f->next) {
		if (f->gen == gen && f->kind == kind && memcmp(f->key, key, CRED_KEY_LEN) == 0) {
			wt->next = f->waiters;
			f->waiters = wt;
			return;
		}
	}
	struct auth_flight *f = mem_calloc(1, sizeof *f);
	f->w = w;
	f->kind = kind;
	f->rt = runtime_ref(c->rt);
	f->gen = gen;
	memcpy(f->key, key, CRED_KEY_LEN);
	snprintf(f->user, sizeof f->user, "%s", user);
	snprintf(f->secret, sizeof f->secret, "%s", secret);
	snprintf(f->ip, sizeof f->ip, "%s", c->peer);
	snprintf(f->request_id, sizeof f->request_id, "%s", c->ri.request_id);
	wt->next = NULL;
	f->waiters = wt;
	f->work.data = f;
	f->next = w->flights;
	w->flights = f;
	if (uv_queue_work(&w->loop, &f->work, flight_work, flight_done) != 0) {
		log_error("cannot queue credential verification");
		f->ok = false;
		flight_done(&f->work, -1);
	}
}
