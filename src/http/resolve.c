/* Asking MLflow which experiment a run, trace, logged model or GenAI
 * resource belongs to (and experiment names <-> ids) through
 * src/http/upfetch.c; the answer parsed with jansson and cached per worker:
 * runs, traces, logged models, issues, label schemas, review queues and
 * optimization jobs never move between experiments (authz.resolve_ttl);
 * names can be renamed or reused and a dataset linked to other experiments
 * (authz.name_ttl, short). Nothing negative is cached: a run created a
 * moment later must be found. */
#include "http/resolve.h"
#include "http/conn.h"
#include "http/upfetch.h"
#include "audit/metrics.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/pct.h"
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAYS 4

struct rc_entry {
	uint64_t hash;
	uint64_t expires;	/* 0: empty */
	uint8_t kind;
	char key[RESOLVE_MAX_KEY];
	char value[RESOLVE_MAX_VALUE];
};

struct resolve_cache {
	size_t nsets;
	struct rc_entry *e;	/* nsets * WAYS */
};

struct rwaiter {
	struct conn *c;
	resolve_cb cb;
	struct rwaiter *next;
};

struct resolve_fetch {
	struct worker *w;
	struct resolve_fetch *next;
	enum resolve_kind kind;
	char key[RESOLVE_MAX_KEY];
	struct rwaiter *waiters;
};

static uint64_t fnv(enum resolve_kind k, const char *s)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)k;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

static struct resolve_cache *cache_of(struct worker *w)
{
	if (w->rcache == NULL) {
		struct resolve_cache *rc = mem_calloc(1, sizeof *rc);
		size_t want = (size_t)w->rt->cfg->resolve_cache_size / WAYS;
		rc->nsets = 1;
		while (rc->nsets < want)
			rc->nsets <<= 1;
		rc->e = mem_calloc(rc->nsets * WAYS, sizeof *rc->e);
		w->rcache = rc;
	}
	return w->rcache;
}

void resolve_worker_free(struct worker *w)
{
	if (w->rcache) {
		free(w->rcache->e);
		free(w->rcache);
		w->rcache = NULL;
	}
}

bool resolve_cached(struct worker *w, enum resolve_kind k, const char *key, char *out, size_t cap)
{
	struct resolve_cache *rc = cache_of(w);
	uint64_t h = fnv(k, key), now = server_now_ms();
	struct rc_entry *set = &rc->e[(h & (rc->nsets - 1)) * WAYS];
	for (int i = 0; i < WAYS; i++) {
		struct rc_entry *e = &set[i];
		if (e->expires > now && e->hash == h && e->kind == k && strcmp(e->key, key) == 0) {
			snprintf(out, cap, "%s", e->value);
			metrics_count(w->srv->metrics, w->id, MC_RESOLVE_CACHE_HIT);
			return true;
		}
	}
	metrics_count(w->srv->metrics, w->id, MC_RESOLVE_CACHE_MISS);
	return false;
}

static void cache_put(struct worker *w, enum resolve_kind k, const char *key, const char *value)
{
	if (strlen(key) >= RESOLVE_MAX_KEY || strlen(value) >= RESOLVE_MAX_VALUE)
		return;
	struct resolve_cache *rc = cache_of(w);
	const struct config *cfg = w->rt->cfg;
	bool mutable = k == RESOLVE_EXPERIMENT_NAME || k == RESOLVE_EXPERIMENT_ID || k == RESOLVE_DATASET;
	uint64_t ttl = mutable ? cfg->name_ttl : cfg->resolve_ttl;
	if (ttl == 0)
		return;
	uint64_t h = fnv(k, key), now = server_now_ms();
	struct rc_entry *set = &rc->e[(h & (rc->nsets - 1)) * WAYS], *victim = &set[0];
	for (int i = 0; i < WAYS; i++) {
		if (set[i].expires <= now || (set[i].hash == h && set[i].kind == k && strcmp(set[i].key, key) == 0)) {
			victim = &set[i];
			break;
		}
		if (set[i].expires < victim->expires)
			victim = &set[i];
	}
	victim->hash = h;
	victim->kind = (uint8_t)k;
	victim->expires = now + ttl;
	snprintf(victim->key, sizeof victim->key, "%s", key);
	snprintf(victim->value, sizeof victim->value, "%s", value);
}

/* ---- the answer ---- */

static const char *str_or_int(json_t *v, char *tmp, size_t cap)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(tmp, cap, "%lld", (long long)json_integer_value(v));
		return tmp;
	}
	return NULL;
}

bool resolve_kind_is_list(enum resolve_kind k)
{
	return k >= RESOLVE_DATASET && k < RESOLVE_KINDS;
}

/* "N:ID,ID" from an array of ids (strings or integers); an id holding a
 * comma, an empty one or a list too long for cap is -EINVAL (fail closed). */
static int list_value(json_t *arr, char *value, size_t cap)
{
	if (!json_is_array(arr))
		return -EINVAL;
	size_t n = json_array_size(arr);
	int at = snprintf(value, cap, "%zu:", n);
	if (at < 0 || (size_t)at >= cap)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char tmp[32];
		const char *s = str_or_int(json_array_get(arr, i), tmp, sizeof tmp);
		if (s == NULL || s[0] == '\0' || strchr(s, ',') != NULL)
			return -EINVAL;
		int w = snprintf(value + at, cap - (size_t)at, "%s%s", i ? "," : "", s);
		if (w < 0 || (size_t)w >= cap - (size_t)at)
			return -EINVAL;
		at += w;
	}
	return 0;
}

int resolve_list_item(const char *list, size_t i, char *out, size_t cap)
{
	const char *p = strchr(list, ':');
	if (p == NULL || p[1] == '\0')
		return -ENOENT;
	p++;
	for (size_t k = 0; k < i; k++) {
		p = strchr(p, ',');
		if (p == NULL)
			return -ENOENT;
		p++;
	}
	size_t n = strcspn(p, ",");
	if (n == 0 || n >= cap)
		return -ENOENT;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

/* The experiment of a GenAI resource's answer {"<object>": {"experiment_id"}}
 * as a list of one, or "0:" when it has none. */
static int owner_value(json_t *root, const char *object, char *value, size_t cap)
{
	json_t *o = json_object_get(root, object);
	if (!json_is_object(o))
		return -EINVAL;
	json_t *e = json_object_get(o, "experiment_id");
	if (e == NULL || json_is_null(e) || (json_is_string(e) && json_string_value(e)[0] == '\0')) {
		snprintf(value, cap, "0:");
		return 0;
	}
	json_t *one = json_pack("[O]", e);
	int rc = list_value(one, value, cap);
	json_decref(one);
	return rc;
}

int resolve_parse_answer(enum resolve_kind k, const char *body, size_t len, char *value, size_t cap)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return -EINVAL;
	if (resolve_kind_is_list(k)) {
		static const char *const objects[] = { [RESOLVE_ISSUE] = "issue", [RESOLVE_LABEL_SCHEMA] = "label_schema",
						       [RESOLVE_REVIEW_QUEUE] = "review_queue", [RESOLVE_PROMPT_JOB] = "job" };
		int rc = k == RESOLVE_DATASET ? list_value(json_object_get(root, "experiment_ids"), value, cap)
					      : owner_value(root, objects[k], value, cap);
		json_decref(root);
		return rc;
	}
	json_t *v = NULL;
	switch (k) {
	case RESOLVE_RUN:
		v = json_object_get(json_object_get(json_object_get(root, "run"), "info"), "experiment_id");
		break;
	case RESOLVE_LOGGED_MODEL:
		v = json_object_get(json_object_get(json_object_get(root, "model"), "info"), "experiment_id");
		break;
	case RESOLVE_TRACE: {
		/* v2: {"trace_info": {"experiment_id"}}; v3 shape inside a trace too */
		json_t *ti = json_object_get(root, "trace_info");
		if (ti == NULL)
			ti = json_object_get(json_object_get(root, "trace"), "trace_info");
		v = json_object_get(ti, "experiment_id");
		if (v == NULL)
			v = json_object_get(json_object_get(json_object_get(ti, "trace_location"), "mlflow_experiment"),
					    "experiment_id");
		break;
	}
	case RESOLVE_EXPERIMENT_NAME:
		v = json_object_get(json_object_get(root, "experiment"), "experiment_id");
		break;
	case RESOLVE_EXPERIMENT_ID:
		v = json_object_get(json_object_get(root, "experiment"), "name");
		break;
	default:
		break;
	}
	char tmp[32];
	const char *s = str_or_int(v, tmp, sizeof tmp);
	int rc = -EINVAL;
	if (s && s[0] && strlen(s) < cap) {
		snprintf(value, cap, "%s", s);
		rc = 0;
	}
	json_decref(root);
	return rc;
}

/* ---- the request ---- */

static char *build_target(enum resolve_kind k, const char *key)
{
	struct buf b;
	buf_init(&b, 4 * RESOLVE_MAX_KEY + 256);
	switch (k) {
	case RESOLVE_RUN:
		buf_appends(&b, "/api/2.0/mlflow/runs/get?run_id=");
		pct_encode(&b, key, strlen(key));
		break;
	case RESOLVE_TRACE:
		buf_appends(&b, "/api/2.0/mlflow/traces/");
		pct_encode(&b, key, strlen(key));
		buf_appends(&b, "/info");
		break;
	case RESOLVE_LOGGED_MODEL:
		buf_appends(&b, "/api/2.0/mlflow/logged-models/");
		pct_encode(&b, key, strlen(key));
		break;
	case RESOLVE_EXPERIMENT_NAME:
		buf_appends(&b, "/api/2.0/mlflow/experiments/get-by-name?experiment_name=");
		pct_encode(&b, key, strlen(key));
		break;
	case RESOLVE_DATASET:
		buf_appends(&b, "/api/3.0/mlflow/datasets/");
		pct_encode(&b, key, strlen(key));
		buf_appends(&b, "/experiment-ids");
		break;
	case RESOLVE_ISSUE:
		buf_appends(&b, "/api/3.0/mlflow/issues/");
		pct_encode(&b, key, strlen(key));
		break;
	case RESOLVE_LABEL_SCHEMA:
		buf_appends(&b, "/api/3.0/mlflow/label-schemas/get?schema_id=");
		pct_encode(&b, key, strlen(key));
		break;
	case RESOLVE_REVIEW_QUEUE:
		buf_appends(&b, "/api/3.0/mlflow/review-queues/get?queue_id=");
		pct_encode(&b, key, strlen(key));
		break;
	case RESOLVE_PROMPT_JOB:
		buf_appends(&b, "/api/3.0/mlflow/prompt-optimization/jobs/");
		pct_encode(&b, key, strlen(key));
		break;
	default:
		buf_appends(&b, "/api/2.0/mlflow/experiments/get?experiment_id=");
		pct_encode(&b, key, strlen(key));
		break;
	}
	return b.data;
}

static void fetch_finish(struct resolve_fetch *f, struct resolve_result *r)
{
	struct worker *w = f->w;
	struct resolve_fetch **pp = &w->fetches;
	while (*pp && *pp != f)
		pp = &(*pp)->next;
	if (*pp)
		*pp = f->next;
	if (r->status == RESOLVE_OK)
		cache_put(w, f->kind, f->key, r->value);
	struct rwaiter *wt = f->waiters;
	while (wt) {
		struct rwaiter *next = wt->next;
		if (wt->c->state != CS_CLOSING)
			wt->cb(wt->c, r);
		conn_unpin(wt->c);
		free(wt);
		wt = next;
	}
	free(f);
}

static void on_answer(void *arg, const struct upfetch_result *a)
{
	struct resolve_fetch *f = arg;
	struct resolve_result r = { .status = RESOLVE_OK, .http_status = a->status };
	if (a->status == 200 && resolve_parse_answer(f->kind, a->body, a->len, r.value, sizeof r.value) == 0) {
		fetch_finish(f, &r);
		return;
	}
	if (a->status == 404 || a->status == 400) {
		/* MLflow's own "does not exist" (its stores answer 404, some 400):
		 * passed on as it is, so clients see what they would without us */
		r.status = RESOLVE_NOT_FOUND;
		json_t *root = json_loadb(a->body, a->len, 0, NULL);
		const char *code = json_string_value(json_object_get(root, "error_code"));
		const char *msg = json_string_value(json_object_get(root, "message"));
		snprintf(r.error_code, sizeof r.error_code, "%s", code ? code : "RESOURCE_DOES_NOT_EXIST");
		snprintf(r.message, sizeof r.message, "%s", msg ? msg : "Resource does not exist");
		json_decref(root);
		fetch_finish(f, &r);
		return;
	}
	char why[64];
	snprintf(why, sizeof why, a->status == 200 ? "unreadable answer" : "status %d", a->status);
	log_error("resolving %s of \"%.80s\" through MLflow failed: %s",
		  f->kind == RESOLVE_EXPERIMENT_ID ? "the name" : "the experiment", f->key, a->status ? why : a->why);
	r.status = RESOLVE_FAILED;
	fetch_finish(f, &r);
}

void resolve_fetch(struct conn *c, enum resolve_kind k, const char *key, resolve_cb cb)
{
	struct worker *w = c->w;
	struct rwaiter *wt = mem_alloc(sizeof *wt);
	wt->c = c;
	wt->cb = cb;
	conn_pin(c);
	for (struct resolve_fetch *f = w->fetches; f; f = f->next) {
		if (f->kind == k && strcmp(f->key, key) == 0) {
			wt->next = f->waiters;
			f->waiters = wt;
			return;
		}
	}
	struct resolve_fetch *f = mem_calloc(1, sizeof *f);
	f->w = w;
	f->kind = k;
	snprintf(f->key, sizeof f->key, "%s", key);
	wt->next = NULL;
	f->waiters = wt;
	f->next = w->fetches;
	w->fetches = f;
	char *target = build_target(k, key);
	upfetch_start(w, c->rt, "GET", target, NULL, NULL, 0, on_answer, f);
	free(target);
}
