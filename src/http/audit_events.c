/* Audit records of MLflow changes. The resource is what authorisation read
 * from the request (experiment, run, model name, trace, logged model), the
 * outcome MLflow's status or mlgate's refusal. Committed in groups (≤ 100
 * ms); the gateway's own security events are written durably where they
 * happen (src/http/admin_api.c). */
#include "http/audit_events.h"
#include "core/json_write.h"
#include "http/authz_stage.h"
#include "http/conn.h"
#include "audit/audit_log.h"
#include "authz/mlflow_params.h"
#include "authz/mlflow_routes.h"
#include "core/log.h"
#include "core/mem.h"
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

bool audit_route_changes_state(const struct mlflow_route *r)
{
	if (r == NULL || strcmp(r->method, "GET") == 0 || r->resource == RES_GRAPHQL)
		return false;
	/* reads (POST searches), and the admin API (audited where it acts); the
	 * prefixes start with different letters: one comparison per request */
	static const char *const reads[] = { "Search", "Get", "List", "BatchGet", "Calculate", "Query", "Auth",
					     "Mlgate" };
	for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++)
		if (r->rpc[0] == reads[i][0])
			return strncmp(r->rpc, reads[i], strlen(reads[i])) != 0;
	return true;
}

/* The record's time: the worker loop's clock (read once per loop turn, in
 * ms) plus the offset of the wall clock from it, read again once a second
 * -- two clock reads a second instead of two per change. The date and time
 * are formatted once a second per thread. */
static void iso_now(uv_loop_t *loop, char out[32])
{
	static __thread uint64_t mono_sec = UINT64_MAX, wall_sec = UINT64_MAX;
	static __thread int64_t offset_ms;
	static __thread char head[24];
	static __thread size_t hn;
	uint64_t mono = uv_now(loop);
	if (mono / 1000 != mono_sec) {
		struct timespec rt, mt;
		clock_gettime(CLOCK_REALTIME, &rt);
		clock_gettime(CLOCK_MONOTONIC, &mt);
		offset_ms = ((int64_t)rt.tv_sec - (int64_t)mt.tv_sec) * 1000 + (rt.tv_nsec - mt.tv_nsec) / 1000000;
		mono_sec = mono / 1000;
	}
	uint64_t wall = (uint64_t)((int64_t)mono + offset_ms);
	if (wall / 1000 != wall_sec) {
		time_t t = (time_t)(wall / 1000);
		struct tm tm;
		gmtime_r(&t, &tm);
		hn = strftime(head, sizeof head, "%Y-%m-%dT%H:%M:%S", &tm);
		wall_sec = wall / 1000;
	}
	memcpy(out, head, hn);
	unsigned ms = (unsigned)(wall % 1000);
	out[hn] = '.';
	out[hn + 1] = (char)('0' + ms / 100);
	out[hn + 2] = (char)('0' + ms / 10 % 10);
	out[hn + 3] = (char)('0' + ms % 10);
	out[hn + 4] = 'Z';
	out[hn + 5] = '\0';
}

/* Writing a record: one reservation of a bound (every byte may become a
 * six-byte escape), then plain stores -- this runs twice per MLflow change. */
struct jw {
	char *p;
};

/* inlined: a literal key then copies as a few fixed-size moves */
#define JW_INLINE static inline __attribute__((always_inline))

JW_INLINE void jw_raw(struct jw *w, const char *s, size_t n)
{
	memcpy(w->p, s, n);
	w->p += n;
}

/* A JSON string of s[0..n) (at most 6 * n + 2 bytes). */
JW_INLINE void jw_string(struct jw *w, const char *s, size_t n)
{
	w->p = json_put_string(w->p, s, n);
}

/* ,"key":"value" (or null); key is a literal (no escaping). */
JW_INLINE void jw_member(struct jw *w, const char *key, size_t klen, const char *value, size_t vlen)
{
	*w->p++ = ',';
	*w->p++ = '"';
	jw_raw(w, key, klen);
	jw_raw(w, "\":", 2);
	if (value)
		jw_string(w, value, vlen);
	else
		jw_raw(w, "null", 4);
}

/* ,"key":"value" for a value JSON-safe by construction, copied as it is:
 * the time, literals (phase, auth, action), the request id (ours, or a
 * client's restricted to [A-Za-z0-9._-] in conn.c) and the method (RFC 9110
 * token characters, checked by the parser). lit is ",\"key\":\"". */
#define JW_PLAIN(w, lit, v, n)                                                                 \
	do {                                                                                   \
		jw_raw(w, lit, sizeof lit - 1);                                                \
		jw_raw(w, v, n);                                                               \
		*(w)->p++ = '"';                                                               \
	} while (0)

/* Creates name no resource to authorise: the record names what they made. */
static json_t *created_resource(struct conn *c)
{
	const char *q = strchr(c->ri.target, '?');
	const char *err = NULL;
	struct param_values *pv = c->w->params;
	if (mlflow_params_extract_body(c->ri.method, q ? q + 1 : "", q ? strlen(q + 1) : 0, conn_params_body(c), "name",
				       pv, &err) || pv->n != 1)
		return NULL;
	const char *key = strstr(c->route->rpc, "RegisteredModel") ? "model"
			  : strstr(c->route->rpc, "Experiment") ? "experiment_name" : "name";
	json_t *o = json_pack("{s:[s]}", key, pv->v[0]);
	if (c->capture && c->cap_status == 200 && c->cap_body.len) {
		json_t *a = json_loadb(c->cap_body.data, c->cap_body.len, 0, NULL);
		json_t *id = json_object_get(a, "experiment_id");
		if (json_is_string(id))
			json_object_set_new(o, "experiment", json_pack("[s]", json_string_value(id)));
		json_decref(a);
	}
	return o;
}

/* ,"resource":{"run":["1"],...}: the ids authorisation read, grouped by
 * kind in order of first appearance (as authz_job_resources builds them).
 * The bytes it may need, or 0 when there are none. */
static size_t resources_bound(struct conn *c)
{
	const enum route_resource *kinds;
	char *const *ids;
	size_t n = authz_job_ids(c, &kinds, &ids), need = 0;
	for (size_t i = 0; i < n; i++)
		need += 6 * strlen(ids[i]) + 40;
	return n ? need + 16 : 0;
}

static void jw_resources(struct conn *c, struct jw *w)
{
	const enum route_resource *kinds;
	char *const *ids;
	size_t n = authz_job_ids(c, &kinds, &ids);
	jw_raw(w, ",\"resource\":{", 13);
	const char *done[8];
	size_t ndone = 0;
	for (size_t i = 0; i < n; i++) {
		const char *k = mlflow_routes_resource_key(kinds[i]);
		bool seen = false;
		for (size_t d = 0; d < ndone && !seen; d++)
			seen = done[d] == k;
		if (seen)
			continue;
		if (ndone < sizeof done / sizeof done[0])
			done[ndone++] = k;
		if (ndone > 1)
			*w->p++ = ',';
		*w->p++ = '"';
		jw_raw(w, k, strlen(k));
		jw_raw(w, "\":[", 3);
		bool first = true;
		for (size_t m = i; m < n; m++) {
			if (mlflow_routes_resource_key(kinds[m]) != k)
				continue;
			if (!first)
				*w->p++ = ',';
			jw_string(w, ids[m], strlen(ids[m]));
			first = false;
		}
		*w->p++ = ']';
	}
	*w->p++ = '}';
}

/* Writes the record's members (without braces) into the worker's queue and
 * enqueues it; outcome_status 0: none (an intent); phase "done": the short
 * form (no auth, ip, method, path: its intent has them). Built by hand, not as a
 * jansson tree: this runs for every change MLflow is asked to make. */
static void enqueue(struct conn *c, const char *phase, int outcome_status, struct conn *waiting)
{
	/* a "done" record follows its intent (same request_id), which holds how
	 * and from where the request came: it repeats only who, what, which and
	 * the outcome (every change writes two records: the bytes count) */
	bool outcome_only = strcmp(phase, "done") == 0;
	struct audit_queue *q = &c->w->aq;
	if (q->cap == 0)
		buf_init(&q->members, 64 << 20);
	if (q->n + 1 >= q->cap) {
		q->cap = q->cap ? 2 * q->cap : 64;
		q->off = mem_realloc(q->off, q->cap * sizeof *q->off);
		q->waiting = mem_realloc(q->waiting, q->cap * sizeof *q->waiting);
	}
	if (q->n == 0)
		q->off[0] = q->members.len;
	struct buf *b = &q->members;
	char when[32];
	iso_now(&c->w->loop, when);
	const char *path = c->ri.path ? c->ri.path : "";
	size_t lu = strlen(c->ri.user), lc = strlen(c->ri.client), lp = strlen(path), lr = strlen(c->ri.request_id);
	size_t lm = strlen(c->ri.method), la = strlen(c->route->rpc);
	size_t rb = resources_bound(c);
	json_t *created = NULL;
	char *created_s = NULL;
	if (rb == 0 && c->body_buffered && (created = created_resource(c)) != NULL)
		created_s = json_dumps(created, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(created);
	size_t bound = 6 * (lu + lc + lp + lr + lm + la) + rb + (created_s ? strlen(created_s) : 0) + 400;
	char *start = buf_space(b, bound);
	if (start == NULL) {
		free(created_s);
		log_error("audit record dropped: the worker's batch is full request_id=%s", c->ri.request_id);
		return;
	}
	struct jw w = { start };
	JW_PLAIN(&w, "\"time\":\"", when, strlen(when));
	jw_raw(&w, ",\"event\":\"mlflow\"", 17);
	JW_PLAIN(&w, ",\"phase\":\"", phase, strlen(phase));
	JW_PLAIN(&w, ",\"request_id\":\"", c->ri.request_id, lr);
	jw_member(&w, "user", 4, c->ri.user, lu);
	if (!outcome_only) {
		if (c->ri.auth)
			JW_PLAIN(&w, ",\"auth\":\"", c->ri.auth, strlen(c->ri.auth));
		else
			jw_raw(&w, ",\"auth\":null", 12);
		jw_member(&w, "ip", 2, c->ri.client, lc);
	}
	JW_PLAIN(&w, ",\"action\":\"", c->route->rpc, la);
	if (!outcome_only) {
		JW_PLAIN(&w, ",\"method\":\"", c->ri.method, lm);
		jw_member(&w, "path", 4, path, lp);
	}
	if (rb) {
		jw_resources(c, &w);
	} else if (created_s) {
		jw_raw(&w, ",\"resource\":", 12);
		jw_raw(&w, created_s, strlen(created_s));
	} else {
		jw_raw(&w, ",\"resource\":null", 16);
	}
	free(created_s);
	if (outcome_status) {
		char num[24];
		const char *digits = fmt_u64(num, (unsigned long long)outcome_status);
		jw_raw(&w, ",\"outcome\":{\"status\":", 21);
		jw_raw(&w, digits, (size_t)(num + sizeof num - digits));
		jw_raw(&w, c->ri.upstream_used ? ",\"by\":\"mlflow\"}" : ",\"by\":\"mlgate\"}", 15);
	}
	buf_advance(b, (size_t)(w.p - start));
	q->off[q->n + 1] = b->len;
	q->waiting[q->n++] = waiting;
	if (waiting)
		conn_pin(waiting);
}

void audit_request_done(struct conn *c)
{
	struct audit_log *al = c->w->srv->audit;
	if (al == NULL || c->route == NULL || !audit_route_changes_state(c->route) || c->ri.status == 0)
		return;
	/* "done" follows the intent written before MLflow was asked; "refused"
	 * stands alone: nothing reached MLflow */
	enqueue(c, c->ri.upstream_used ? "done" : "refused", c->ri.status, NULL);
}

static void refuse(struct conn *c)
{
	c->keep_alive = c->keep_alive && c->req_body_done;
	errpage_send(c, 503, "TEMPORARILY_UNAVAILABLE",
		     "The audit log cannot be written: changes are refused until it can (audit.on_failure)", NULL);
}

void audit_intent_then_connect(struct conn *c)
{
	struct audit_log *al = c->w->srv->audit;
	if (al == NULL || !audit_route_changes_state(c->route)) {
		proxy_connect_soon(c);
		return;
	}
	if (c->rt->cfg->audit_on_failure == 0 && audit_log_failed(al)) {
		refuse(c);
		return;
	}
	/* MLflow is asked once the intent is in the file (this loop iteration) */
	enqueue(c, "intent", 0, c);
}

/* Tries before a worker waits for the log's lock: each costs it a turn of
 * its loop (which serves its other connections meanwhile); the other
 * worker holds the lock for some 2 us per record it writes. */
#define FLUSH_TRIES 64

static void on_retry(uv_idle_t *h)
{
	(void)h;	/* its being active keeps the loop from sleeping: the flush runs again */
}

void audit_worker_flush(struct worker *w, bool wait)
{
	struct audit_queue *q = &w->aq;
	if (q->n == 0)
		return;
	size_t n = q->n;
	int rc;
	if (!wait && q->tries < FLUSH_TRIES) {
		rc = audit_log_try_append_raw(w->srv->audit, q->members.data, q->off, n);
		if (rc == -EBUSY) {
			q->tries++;
			if (!uv_is_active((uv_handle_t *)&w->audit_retry))
				uv_idle_start(&w->audit_retry, on_retry);
			return;
		}
	} else {
		rc = audit_log_append_raw(w->srv->audit, q->members.data, q->off, n);
	}
	q->n = 0;
	q->tries = 0;
	if (uv_is_active((uv_handle_t *)&w->audit_retry))
		uv_idle_stop(&w->audit_retry);
	bool strict = w->rt->cfg->audit_on_failure == 0;
	if (rc) {
		for (size_t i = 0; i < n; i++)
			log_error("audit record not written: {%.*s}", (int)(q->off[i + 1] - q->off[i]),
				  q->members.data + q->off[i]);
	}
	buf_reset(&q->members);
	for (size_t i = 0; i < n; i++) {
		struct conn *c = q->waiting[i];
		if (c == NULL)
			continue;
		if (c->state == CS_PROXY) {
			if (rc && strict)
				refuse(c);
			else
				proxy_connect(c);
		}
		conn_unpin(c);
	}
}
