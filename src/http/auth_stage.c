/* Authentication stage. Cache hits cost one HMAC; misses run the slow hash on
 * the thread pool, never on the loop thread. An unknown user is verified
 * against a real entry's hash (and then refused), so it costs what a wrong
 * password costs and response time does not reveal which users exist. */
#include "http/auth_stage.h"
#include "authn/basic.h"
#include "authn/cred_cache.h"
#include "authn/htpasswd.h"
#include "core/log.h"
#include "core/mem.h"
#include <stdlib.h>
#include <string.h>

struct waiter {
	struct conn *c;
	struct waiter *next;
};

struct auth_flight {
	uv_work_t work;
	struct worker *w;
	struct auth_flight *next;
	struct runtime *rt;
	uint8_t key[CRED_KEY_LEN];
	char user[BASIC_MAX_USER];
	char pw[BASIC_MAX_PASSWORD];
	bool ok;
	struct waiter *waiters;
};

static void flight_work(uv_work_t *req)
{
	struct auth_flight *f = req->data;
	const struct htpasswd *users = f->rt->users;
	const struct htpasswd_entry *e = htpasswd_find(users, f->user, strlen(f->user));
	if (e != NULL) {
		f->ok = htpasswd_verify(e->hash, e->scheme, f->pw) == 0;
	} else {
		if (users->n > 0)
			(void)htpasswd_verify(users->entries[0].hash, users->entries[0].scheme, f->pw);
		f->ok = false;
	}
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
	if (ok)
		cred_cache_insert(w->srv->cache, f->key, f->rt->users->generation, server_now_ms());
	struct waiter *wt = f->waiters;
	while (wt) {
		struct waiter *next = wt->next;
		struct conn *c = wt->c;
		free(wt);
		if (c->state != CS_CLOSING)
			conn_after_auth(c, ok);
		conn_unpin(c);
		wt = next;
	}
	mem_wipe(f->pw, sizeof f->pw);
	runtime_unref(f->rt);
	free(f);
}

void auth_stage_run(struct conn *c, const char *user, const char *pw)
{
	struct worker *w = c->w;
	uint8_t key[CRED_KEY_LEN];
	size_t ul = strlen(user), pl = strlen(pw);
	cred_cache_key(w->srv->cache, user, ul, pw, pl, key);
	if (cred_cache_lookup(w->srv->cache, key, c->rt->users->generation, server_now_ms())) {
		conn_after_auth(c, true);
		return;
	}
	struct waiter *wt = mem_alloc(sizeof *wt);
	wt->c = c;
	conn_pin(c);
	for (struct auth_flight *f = w->flights; f; f = f->next) {
		if (f->rt->users == c->rt->users && memcmp(f->key, key, CRED_KEY_LEN) == 0) {
			wt->next = f->waiters;
			f->waiters = wt;
			return;
		}
	}
	struct auth_flight *f = mem_calloc(1, sizeof *f);
	f->w = w;
	f->rt = runtime_ref(c->rt);
	memcpy(f->key, key, CRED_KEY_LEN);
	memcpy(f->user, user, ul + 1);
	memcpy(f->pw, pw, pl + 1);
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
