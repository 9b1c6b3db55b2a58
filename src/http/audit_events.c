/* Audit records of MLflow changes. The resource is what authorisation read
 * from the request (experiment, run, model name, trace, logged model), the
 * outcome MLflow's status or mlgate's refusal. Committed in groups (≤ 100
 * ms); the gateway's own security events are written durably where they
 * happen (src/http/admin_api.c). */
#include "http/audit_events.h"
#include "http/authz_stage.h"
#include "http/conn.h"
#include "audit/audit_log.h"
#include "authz/mlflow_params.h"
#include "authz/mlflow_routes.h"
#include "core/log.h"
#include "core/mem.h"
#include <jansson.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

bool audit_route_changes_state(const struct mlflow_route *r)
{
	if (r == NULL || strcmp(r->method, "GET") == 0 || r->resource == RES_GRAPHQL)
		return false;
	static const char *const reads[] = { "Search", "Get", "List", "BatchGet", "Calculate", "Query", "Auth",
					     "Mlgate" };
	for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++)
		if (strncmp(r->rpc, reads[i], strlen(reads[i])) == 0)
			return false;	/* reads (POST searches), and the admin API (audited where it acts) */
	return true;
}

static void iso_now(char out[32])
{
	/* the date and time change once a second: formatted once a second per thread */
	static __thread time_t sec = -1;
	static __thread char head[24];
	static __thread size_t hn;
	struct timeval tv;
	gettimeofday(&tv, NULL);
	if (tv.tv_sec != sec) {
		struct tm tm;
		gmtime_r(&tv.tv_sec, &tm);
		hn = strftime(head, sizeof head, "%Y-%m-%dT%H:%M:%S", &tm);
		sec = tv.tv_sec;
	}
	memcpy(out, head, hn);
	int ms = (int)(tv.tv_usec / 1000);
	out[hn] = '.';
	out[hn + 1] = (char)('0' + ms / 100);
	out[hn + 2] = (char)('0' + ms / 10 % 10);
	out[hn + 3] = (char)('0' + ms % 10);
	out[hn + 4] = 'Z';
	out[hn + 5] = '\0';
}

/* A JSON string of s[0..n): valid UTF-8 passes through, anything else
 * (controls, quotes, invalid bytes) is escaped, so a record is always one
 * valid JSON line. */
static void jw_string(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[6];
	buf_append(b, "\"", 1);
	size_t i = 0, run = 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t len = 1;
		bool plain = c >= 0x20 && c != '"' && c != '\\' && c < 0x7f;
		if (c >= 0x80) {
			/* one UTF-8 sequence, checked (no overlongs, no surrogates) */
			len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c <= 0xdf ? 2 : 0;
			plain = len > 0 && i + len <= n;
			for (size_t k = 1; plain && k < len; k++)
				plain = ((unsigned char)s[i + k] & 0xc0) == 0x80;
			if (plain && len == 3) {
				unsigned char c1 = (unsigned char)s[i + 1];
				plain = !(c == 0xe0 && c1 < 0xa0) && !(c == 0xed && c1 >= 0xa0);
			} else if (plain && len == 4) {
				unsigned char c1 = (unsigned char)s[i + 1];
				plain = !(c == 0xf0 && c1 < 0x90) && !(c == 0xf4 && c1 >= 0x90);
			}
			if (!plain)
				len = 1;
		}
		if (plain) {
			run += len;
			i += len;
			continue;
		}
		buf_append(b, s + i - run, run);
		run = 0;
		if (c == '"' || c == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)c;
			buf_append(b, tmp, 2);
		} else {
			memcpy(tmp, "\\u00", 4);
			tmp[4] = hex[c >> 4];
			tmp[5] = hex[c & 15];
			buf_append(b, tmp, 6);
		}
		i++;
	}
	buf_append(b, s + n - run, run);
	buf_append(b, "\"", 1);
}

static void jw_member(struct buf *b, const char *key, const char *value, bool first)
{
	if (!first)
		buf_append(b, ",", 1);
	buf_append(b, "\"", 1);
	buf_appends(b, key);
	buf_append(b, "\":", 2);
	if (value)
		jw_string(b, value, strlen(value));
	else
		buf_append(b, "null", 4);
}

static void jw_json(struct buf *b, const char *key, json_t *v)
{
	buf_append(b, ",\"", 2);
	buf_appends(b, key);
	buf_append(b, "\":", 2);
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY) : NULL;
	if (s) {
		buf_appends(b, s);
		free(s);
	} else {
		buf_append(b, "null", 4);
	}
}

/* Creates name no resource to authorise: the record names what they made. */
static json_t *created_resource(struct conn *c)
{
	const char *q = strchr(c->ri.target, '?');
	const char *err = NULL;
	struct param_values *pv = c->w->params;
	if (mlflow_params_extract(c->ri.method, q ? q + 1 : "", q ? strlen(q + 1) : 0, c->body.data ? c->body.data : "",
				  c->body.len, "name", pv, &err) || pv->n != 1)
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

static const char *resource_key(enum route_resource k)
{
	switch (k) {
	case RES_MODEL: return "model";
	case RES_RUN: case RES_RUN_LIST: return "run";
	case RES_TRACE: case RES_TRACE_LIST: return "trace";
	case RES_LOGGED_MODEL: return "logged_model";
	case RES_EXPERIMENT_NAME: return "experiment_name";
	default: return "experiment";
	}
}

/* ,"resource":{"run":["1"],...}: the ids authorisation read, grouped by
 * kind in order of first appearance (as authz_job_resources builds them).
 * false when there are none. */
static bool jw_resources(struct conn *c, struct buf *b)
{
	const enum route_resource *kinds;
	char *const *ids;
	size_t n = authz_job_ids(c, &kinds, &ids);
	if (n == 0)
		return false;
	buf_appends(b, ",\"resource\":{");
	const char *done[8];
	size_t ndone = 0;
	for (size_t i = 0; i < n; i++) {
		const char *k = resource_key(kinds[i]);
		bool seen = false;
		for (size_t d = 0; d < ndone && !seen; d++)
			seen = done[d] == k;
		if (seen)
			continue;
		if (ndone < sizeof done / sizeof done[0])
			done[ndone++] = k;
		if (ndone > 1)
			buf_append(b, ",", 1);
		buf_append(b, "\"", 1);
		buf_appends(b, k);
		buf_append(b, "\":[", 3);
		bool first = true;
		for (size_t m = i; m < n; m++) {
			if (resource_key(kinds[m]) != k)
				continue;
			if (!first)
				buf_append(b, ",", 1);
			jw_string(b, ids[m], strlen(ids[m]));
			first = false;
		}
		buf_append(b, "]", 1);
	}
	buf_append(b, "}", 1);
	return true;
}

/* Writes the record's members (without braces) into the worker's queue and
 * enqueues it; outcome_status 0: none (an intent). Built by hand, not as a
 * jansson tree: this runs for every change MLflow is asked to make. */
static void enqueue(struct conn *c, const char *phase, int outcome_status, struct conn *waiting)
{
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
	iso_now(when);
	jw_member(b, "time", when, true);
	jw_member(b, "event", "mlflow", false);
	jw_member(b, "phase", phase, false);
	jw_member(b, "request_id", c->ri.request_id, false);
	jw_member(b, "user", c->ri.user, false);
	jw_member(b, "auth", c->ri.auth, false);
	jw_member(b, "ip", c->ri.client, false);
	jw_member(b, "action", c->route->rpc, false);
	jw_member(b, "method", c->ri.method, false);
	jw_member(b, "path", c->ri.path ? c->ri.path : "", false);
	if (!jw_resources(c, b)) {
		json_t *res = c->body_buffered ? created_resource(c) : NULL;
		jw_json(b, "resource", res);
		json_decref(res);
	}
	if (outcome_status) {
		char o[96];
		snprintf(o, sizeof o, ",\"outcome\":{\"status\":%d,\"by\":\"%s\"}", outcome_status,
			 c->ri.upstream_used ? "mlflow" : "mlgate");
		buf_appends(b, o);
	}
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
		proxy_connect(c);
		return;
	}
	if (c->rt->cfg->audit_on_failure == 0 && audit_log_failed(al)) {
		refuse(c);
		return;
	}
	/* MLflow is asked once the intent is in the file (this loop iteration) */
	enqueue(c, "intent", 0, c);
}

void audit_worker_flush(struct worker *w)
{
	struct audit_queue *q = &w->aq;
	if (q->n == 0)
		return;
	size_t n = q->n;
	q->n = 0;
	int rc = audit_log_append_raw(w->srv->audit, q->members.data, q->off, n);
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
