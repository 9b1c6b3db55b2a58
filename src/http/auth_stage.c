/* Authentication stage. Cache hits cost one HMAC; misses run the slow hash
 * (or the token look-up) on the thread pool, never on the loop thread, and a
 * cached password in use near its expiry is verified again there in the
 * background, so steady use never waits for the slow hash. An
 * unknown user is verified against a real entry's hash and then refused, so
 * it costs what a wrong password costs and timing does not reveal which users
 * exist. Token successes are remembered for one second only, so a revoked
 * token stops working on every worker within a second. */
#include "http/auth_stage.h"
#include "authn/basic.h"
#include "authn/cred_cache.h"
#include "authn/htpasswd.h"
#include "authn/lockout.h"
#include "audit/metrics.h"
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
	char ipkey[80];			/* the address's lockout key ("" when exempt) */
	bool password_path;		/* verified as a password (lockout applies) */
	int64_t locked_until;		/* refused by a lockout (Unix ms), or 0 */
	bool locked_by_address;
	bool first_use;			/* a token's first use */
	char new_locks[2][200];		/* keys this failure locked */
	int64_t new_until[2];
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
	int rc = tokens_verify(f->w->srv->store, token, (int64_t)time(NULL), owner, &f->first_use, &err);
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

static struct lockout_params lockout_params(const struct config *cfg, bool by_address)
{
	return (struct lockout_params){
		.max_failures = by_address ? cfg->lockout_ip_max_failures : cfg->lockout_max_failures,
		.window = cfg->lockout_window,
		.duration = cfg->lockout_duration,
		.max_duration = cfg->lockout_max_duration,
	};
}

/* Before a password is checked: is its user or address locked in the store
 * (by this instance or another)? */
static bool store_locked(struct auth_flight *f)
{
	const struct config *cfg = f->rt->cfg;
	struct store *st = f->w->srv->store;
	int64_t now = defence_wall_ms();
	char key[200];
	struct lockout_state ls;
	char *err = NULL;
	if (cfg->lockout_max_failures > 0 && f->user[0]) {
		snprintf(key, sizeof key, "user:%s", f->user);
		if (lockout_get(st, key, &ls, &err) == 0 && ls.locked_until > now) {
			f->locked_until = ls.locked_until;
			return true;
		}
		free(err);
		err = NULL;
	}
	if (f->ipkey[0]) {
		snprintf(key, sizeof key, "ip:%s", f->ipkey);
		if (lockout_get(st, key, &ls, &err) == 0 && ls.locked_until > now) {
			f->locked_until = ls.locked_until;
			f->locked_by_address = true;
			return true;
		}
		free(err);
	}
	return false;
}

/* Counts a failure against key; a lockout it starts is a security event. */
static void count_failure(struct auth_flight *f, const char *key, bool by_address)
{
	struct lockout_params p = lockout_params(f->rt->cfg, by_address);
	struct lockout_state ls;
	bool locked = false;
	char *err = NULL;
	if (lockout_fail(f->w->srv->store, key, defence_wall_ms(), &p, &ls, &locked, &err)) {
		log_error("lockout counter %s: %s", key, err ? err : "store error");
		free(err);
		return;
	}
	if (!locked)
		return;
	int i = f->new_locks[0][0] ? 1 : 0;
	snprintf(f->new_locks[i], sizeof f->new_locks[i], "%s", key);
	f->new_until[i] = ls.locked_until;
	metrics_lockout(f->w->srv->metrics, by_address);
	uint64_t secs = lockout_duration(ls.strikes, &p) / 1000;
	log_warn("lockout: %s %s locked for %llus after %lld failed logins within %llus (lockout #%lld) request_id=%s",
		 by_address ? "address" : "user", key + (by_address ? 3 : 5), (unsigned long long)secs,
		 (long long)p.max_failures, (unsigned long long)(p.window / 1000), (long long)ls.strikes, f->request_id);
	json_t *d = json_pack("{s:s, s:s, s:I, s:I, s:I}", "by", by_address ? "address" : "user", "key", key,
			      "failures", (json_int_t)p.max_failures, "seconds", (json_int_t)secs, "lockout",
			      (json_int_t)ls.strikes);
	(void)audit_log_security(f->w->srv->audit, "Lockout", f->user[0] ? f->user : NULL, "password", f->ip,
				 f->request_id, d, 429);
}

/* A verification (not a cache hit) is a security event: a login or a failed
 * one, written durably before the answer goes out. Failures count toward
 * lockouts; a password success clears its user's count. */
static void flight_work(uv_work_t *req)
{
	struct auth_flight *f = req->data;
	verify_flight(f);
	if (f->locked_until)
		return;	/* refused unseen: the lockout was the event */
	const char *who = f->ok ? f->who : f->user;
	(void)audit_log_security(f->w->srv->audit, f->ok ? "Login" : "LoginFailed", who[0] ? who : NULL,
				 f->by_token || f->kind == AUTH_BEARER ? "token" : "password", f->ip, f->request_id, NULL,
				 f->ok ? 200 : 401);
	if (f->ok && f->by_token && f->first_use) {
		char id[17];
		memcpy(id, f->secret + 4, 16);	/* the token's public id, never its secret */
		id[16] = '\0';
		json_t *d = json_pack("{s:s}", "token_id", id);
		(void)audit_log_security(f->w->srv->audit, "TokenFirstUse", f->who, "token", f->ip, f->request_id, d, 200);
	}
	char key[200];
	if (!f->ok) {
		if (f->password_path && f->user[0] && f->rt->cfg->lockout_max_failures > 0) {
			snprintf(key, sizeof key, "user:%s", f->user);
			count_failure(f, key, false);
		}
		if (f->ipkey[0]) {
			snprintf(key, sizeof key, "ip:%s", f->ipkey);
			count_failure(f, key, true);
		}
	} else if (f->password_path && f->rt->cfg->lockout_max_failures > 0) {
		char *err = NULL;
		snprintf(key, sizeof key, "user:%s", f->user);
		int rc = lockout_clear(f->w->srv->store, key, &err);
		if (rc && rc != -ENOENT)
			log_error("lockout counter %s: %s", key, err ? err : "store error");
		free(err);
	}
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
	f->password_path = true;
	snprintf(f->who, sizeof f->who, "%s", f->user);
	if (store_locked(f)) {
		f->ok = false;
		return;
	}
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

/* Remembers key for a second, but not past until: the shared entry's
 * refresh window, where every use has to reach the shared cache. */
static void l1_fill(struct worker *w, const uint8_t key[CRED_KEY_LEN], uint64_t gen, uint64_t now, uint64_t until)
{
	if (until <= now)
		return;
	struct cred_l1 *e = l1_slot(w, key);
	memcpy(e->key, key, CRED_KEY_LEN);
	e->gen = gen;
	e->expires = now + 1000 < until ? now + 1000 : until;
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
			uint64_t now = server_now_ms();
			uint64_t expires = cred_cache_insert_user(w->srv->cache, f->key, f->gen, now, f->who);
			if (f->rt->cfg->cache_ttl >= 1000 && expires)
				l1_fill(w, f->key, f->gen, now, expires - cred_cache_refresh_window(w->srv->cache));
		}
	}
	for (int i = 0; i < 2; i++)
		if (f->new_locks[i][0])
			defence_mark_locked(w, f->new_locks[i], f->new_until[i]);
	if (f->locked_until) {
		char key[200];
		if (f->locked_by_address)
			snprintf(key, sizeof key, "ip:%s", f->ipkey);
		else
			snprintf(key, sizeof key, "user:%s", f->user);
		defence_mark_locked(w, key, f->locked_until);
	}
	struct waiter *wt = f->waiters;
	while (wt) {
		struct waiter *next = wt->next;
		struct conn *c = wt->c;
		free(wt);
		if (c->state != CS_CLOSING) {
			c->ri.auth = f->by_token ? "token" : "password";
			if (f->locked_until)
				defence_send_locked(c, f->locked_until, f->locked_by_address);
			else
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

/* The verification of key under way on this worker, or NULL. */
static struct auth_flight *flight_of(struct worker *w, enum auth_kind kind, const uint8_t key[CRED_KEY_LEN],
				     uint64_t gen)
{
	for (struct auth_flight *f = w->flights; f; f = f->next)
		if (f->gen == gen && f->kind == kind && memcmp(f->key, key, CRED_KEY_LEN) == 0)
			return f;
	return NULL;
}

/* Verifies key on the thread pool for the waiter wt, or with no waiter (a
 * background refresh of a cached credential: only the cache hears of it). */
static void start_flight(struct conn *c, enum auth_kind kind, const uint8_t key[CRED_KEY_LEN], uint64_t gen,
			 const char *user, const char *secret, struct waiter *wt)
{
	struct worker *w = c->w;
	struct auth_flight *f = mem_calloc(1, sizeof *f);
	f->w = w;
	f->kind = kind;
	f->rt = runtime_ref(c->rt);
	f->gen = gen;
	memcpy(f->key, key, CRED_KEY_LEN);
	snprintf(f->user, sizeof f->user, "%s", user);
	snprintf(f->secret, sizeof f->secret, "%s", secret);
	snprintf(f->ip, sizeof f->ip, "%s", c->ri.client);
	snprintf(f->request_id, sizeof f->request_id, "%s", c->ri.request_id);
	if (c->rt->cfg->lockout_ip_max_failures > 0 && !cidr_list_match(&c->rt->cfg->lockout_exempt, &c->client_addr))
		cidr_addr_key(&c->client_addr, f->ipkey, sizeof f->ipkey);
	if (wt)
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
	uint64_t expires;
	c->ri.auth = "password";
	if (kind == AUTH_BASIC && l1_hit(w, key, gen, now)) {
		metrics_count(w->srv->metrics, w->id, MC_CRED_CACHE_HIT);
		conn_after_auth(c, user);
		return;
	}
	if (kind == AUTH_BASIC && (expires = cred_cache_expiry(w->srv->cache, key, gen, now)) != 0) {
		uint64_t refresh_at = expires - cred_cache_refresh_window(w->srv->cache);
		if (now >= refresh_at) {
			/* in use near its expiry: verified again in the background
			 * while the entry still answers, so a credential in steady
			 * use never makes its requests wait for the slow hash. One
			 * start a second at most (a quarter of the window for short
			 * TTLs): a refresh refused by a lockout is not renewed, and
			 * a busy client must not turn into a store query a request */
			uint64_t *last = &w->cred_refreshed[key[1] & 63];
			uint64_t every = cred_cache_refresh_window(w->srv->cache) / 4;
			if (every > 1000)
				every = 1000;
			if ((*last == 0 || now - *last >= every) && flight_of(w, kind, key, gen) == NULL) {
				*last = now;
				start_flight(c, kind, key, gen, user, secret, NULL);
			}
		} else if (c->rt->cfg->cache_ttl >= 1000) {
			/* refilled only from the shared cache and never into its
			 * refresh window, so an entry never outlives the shared one */
			l1_fill(w, key, gen, now, refresh_at);
		}
		metrics_count(w->srv->metrics, w->id, MC_CRED_CACHE_HIT);
		conn_after_auth(c, user);
		return;
	}
	if (cred_cache_lookup_user(w->srv->token_cache, key, 0, now, who) &&
	    (kind == AUTH_BEARER || strcmp(who, user) == 0)) {
		c->ri.auth = "token";
		metrics_count(w->srv->metrics, w->id, MC_CRED_CACHE_HIT);
		conn_after_auth(c, who);
		return;
	}
	metrics_count(w->srv->metrics, w->id, MC_CRED_CACHE_MISS);
	if (kind == AUTH_BASIC && !looks_like_token(secret) && defence_locked(c, user))
		return;
	struct waiter *wt = mem_alloc(sizeof *wt);
	wt->c = c;
	conn_pin(c);
	struct auth_flight *f = flight_of(w, kind, key, gen);
	if (f) {
		wt->next = f->waiters;
		f->waiters = wt;
		return;
	}
	start_flight(c, kind, key, gen, user, secret, wt);
}
