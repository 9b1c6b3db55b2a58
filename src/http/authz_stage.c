/* The authorisation stage. Per worker, a cache of each active user's
 * decision inputs (admin flag, own and groups' grants) that is dropped as a
 * whole when the store's "grants" counter moves (polled by the main thread
 * every 200 ms, so a grant or revocation reaches every worker within a
 * second). Misses load on libuv's thread pool, never on the loop thread;
 * concurrent misses for one user share a load. Ids that need MLflow to say
 * which experiment they belong to go through src/http/resolve.c.
 *
 * Fail closed: an unknown route, a missing id, an id MLflow would read
 * differently, a store error or an unreadable MLflow answer never lets a
 * non-admin through. */
#include "http/authz_stage.h"
#include "http/conn.h"
#include "http/admin_api.h"
#include "http/audit_events.h"
#include "http/grant_hooks.h"
#include "http/resolve.h"
#include "http/search_filter.h"
#include "authz/artifact_path.h"
#include "authz/grants.h"
#include "authz/graphql.h"
#include "authz/mlflow_params.h"
#include "authz/mlflow_routes.h"
#include "authz/policy.h"
#include "authz/request_rewrite.h"
#include "authn/users.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/pct.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USER_BUCKETS 256

struct az_user {
	struct az_user *next;
	int refs;		/* the cache's, and searches' under way */
	char name[128];
	uint64_t gen;
	bool is_admin;
	bool has_patterns;
	struct grant_set gs;
	struct policy_index *ix;	/* over gs: O(1) decisions */
};

struct az_cache {
	struct az_user *b[USER_BUCKETS];
	size_t n;
};

struct az_waiter {
	struct conn *c;
	struct az_waiter *next;
};

struct az_load {
	uv_work_t work;
	struct worker *w;
	struct az_load *next;
	char user[128];
	uint64_t gen;
	int rc;
	struct az_user *result;
	struct az_waiter *waiters;
};

/* What one request's authorisation carries across asynchronous steps. */
struct authz_job {
	const struct mlflow_route *route;
	char **ids;
	enum route_resource *kinds;	/* what each id is (GraphQL mixes them) */
	enum perm_level *levels;	/* the level each needs (a route's extras differ) */
	bool collected;
	size_t nids, next;
	/* the answer of the last resolution, used once even if not cacheable */
	int last_kind;
	char last_key[RESOLVE_MAX_KEY];
	char last_value[RESOLVE_MAX_VALUE];
};

static void step(struct conn *c);
static struct az_user *user_lookup(struct worker *w, const char *name);

/* ---- the per-user cache ---- */

static unsigned bucket(const char *s)
{
	unsigned h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % USER_BUCKETS;
}

static void user_free(struct az_user *u)
{
	if (--u->refs > 0)
		return;
	policy_index_free(u->ix);
	grants_set_free(&u->gs);
	free(u);
}

struct az_user *authz_user_hold(struct conn *c)
{
	struct az_user *u = user_lookup(c->w, c->ri.user);
	if (u)
		u->refs++;
	return u;
}

void authz_user_release(struct az_user *u)
{
	if (u)
		user_free(u);
}

enum perm_level authz_level(struct conn *c, const struct az_user *u, enum resource_kind kind, const char *id,
			    const char *name)
{
	if (u->is_admin)
		return LEVEL_MANAGE;
	struct decision d;
	policy_index_decide(u->ix, false, kind, id, name, (enum perm_level)c->rt->cfg->default_permission, &d);
	return d.level;
}

bool authz_can_read(struct conn *c, const struct az_user *u, enum resource_kind kind, const char *id,
		    const char *name)
{
	return authz_level(c, u, kind, id, name) >= LEVEL_READ;
}

bool authz_user_is_admin(const struct az_user *u)
{
	return u->is_admin;
}

static void cache_clear(struct az_cache *ac)
{
	for (int i = 0; i < USER_BUCKETS; i++) {
		struct az_user *u = ac->b[i];
		while (u) {
			struct az_user *next = u->next;
			user_free(u);
			u = next;
		}
		ac->b[i] = NULL;
	}
	ac->n = 0;
}

void authz_worker_free(struct worker *w)
{
	if (w->azcache) {
		cache_clear(w->azcache);
		free(w->azcache);
		w->azcache = NULL;
	}
}

static uint64_t current_gen(struct worker *w)
{
	return atomic_load(&w->srv->gen_grants);
}

static struct az_user *user_lookup(struct worker *w, const char *name)
{
	if (w->azcache == NULL)
		w->azcache = mem_calloc(1, sizeof *w->azcache);
	struct az_cache *ac = w->azcache;
	uint64_t gen = current_gen(w);
	struct az_user **pp = &ac->b[bucket(name)];
	for (struct az_user *u = *pp; u; pp = &u->next, u = u->next) {
		if (strcmp(u->name, name) != 0)
			continue;
		if (u->gen == gen)
			return u;
		*pp = u->next;	/* stale: the grants changed */
		user_free(u);
		ac->n--;
		return NULL;
	}
	return NULL;
}

static void user_insert(struct worker *w, struct az_user *u)
{
	struct az_cache *ac = w->azcache;
	if (ac->n >= (size_t)w->rt->cfg->cache_size)
		cache_clear(ac);	/* bounded; a full cache refills from the store */
	unsigned b = bucket(u->name);
	u->next = ac->b[b];
	ac->b[b] = u;
	ac->n++;
}

static void load_work(uv_work_t *req)
{
	struct az_load *l = req->data;
	struct store *s = l->w->srv->store;
	struct az_user *u = mem_calloc(1, sizeof *u);
	u->refs = 1;
	snprintf(u->name, sizeof u->name, "%s", l->user);
	u->gen = l->gen;
	struct user_rec *rec = mem_alloc(sizeof *rec);
	char *err = NULL;
	int rc = users_get(s, l->user, rec, &err);
	if (rc == 0)
		u->is_admin = rec->is_admin && !rec->disabled;
	else if (rc == -ENOENT)
		rc = 0;		/* an htpasswd user without a profile: grants by name still apply */
	mem_wipe(rec, sizeof *rec);
	free(rec);
	if (rc == 0)
		rc = grants_for_user(s, l->user, &u->gs, &err);
	if (rc) {
		log_error("loading the grants of \"%s\" failed: %s", l->user, err ? err : "store error");
		free(err);
		free(u);
		l->rc = rc;
		return;
	}
	u->ix = policy_index_build(u->name, (const char *const *)u->gs.groups, u->gs.ngroups, u->gs.grants, u->gs.n);
	u->has_patterns = policy_index_has_patterns(u->ix);
	l->result = u;
}

static void load_done(uv_work_t *req, int status)
{
	struct az_load *l = req->data;
	struct worker *w = l->w;
	struct az_load **pp = &w->azloads;
	while (*pp && *pp != l)
		pp = &(*pp)->next;
	if (*pp)
		*pp = l->next;
	bool ok = status == 0 && l->rc == 0 && l->result;
	if (ok) {
		if (user_lookup(w, l->user) == NULL && l->gen == current_gen(w))
			user_insert(w, l->result);
		else
			user_free(l->result);	/* raced with a newer load or a change: use the cache or reload */
	}
	struct az_waiter *wt = l->waiters;
	while (wt) {
		struct az_waiter *next = wt->next;
		struct conn *c = wt->c;
		free(wt);
		if (c->state != CS_CLOSING) {
			if (ok)
				step(c);
			else
				errpage_send(c, 503, "TEMPORARILY_UNAVAILABLE",
					     "The permission store is unavailable; try again shortly", "Retry-After: 1\r\n");
		}
		conn_unpin(c);
		wt = next;
	}
	free(l);
}

static void user_load(struct conn *c)
{
	struct worker *w = c->w;
	struct az_waiter *wt = mem_alloc(sizeof *wt);
	wt->c = c;
	conn_pin(c);
	for (struct az_load *l = w->azloads; l; l = l->next) {
		if (strcmp(l->user, c->ri.user) == 0 && l->gen == current_gen(w)) {
			wt->next = l->waiters;
			l->waiters = wt;
			return;
		}
	}
	struct az_load *l = mem_calloc(1, sizeof *l);
	l->w = w;
	snprintf(l->user, sizeof l->user, "%s", c->ri.user);
	l->gen = current_gen(w);
	wt->next = NULL;
	l->waiters = wt;
	l->work.data = l;
	l->next = w->azloads;
	w->azloads = l;
	if (uv_queue_work(&w->loop, &l->work, load_work, load_done) != 0) {
		l->rc = -EIO;
		load_done(&l->work, -1);
	}
}

/* ---- the request's ids ---- */

static void job_free(struct authz_job *j)
{
	for (size_t i = 0; i < j->nids; i++)
		free(j->ids[i]);
	free(j->ids);
	free(j->kinds);
	free(j->levels);
	free(j);
}

void authz_job_free(struct conn *c)
{
	if (c->az) {
		job_free(c->az);
		c->az = NULL;
	}
}

json_t *authz_job_resources(struct conn *c)
{
	struct authz_job *j = c->az;
	if (j == NULL || j->nids == 0)
		return NULL;
	json_t *o = json_object();
	for (size_t i = 0; i < j->nids; i++) {
		const char *k = mlflow_routes_resource_key(j->kinds[i]);
		json_t *a = json_object_get(o, k);
		if (a == NULL) {
			a = json_array();
			json_object_set_new(o, k, a);
		}
		json_array_append_new(a, json_string(j->ids[i]));
	}
	return o;
}

size_t authz_job_ids(struct conn *c, const enum route_resource **kinds, char *const **ids)
{
	struct authz_job *j = c->az;
	if (j == NULL || j->nids == 0)
		return 0;
	*kinds = j->kinds;
	*ids = j->ids;
	return j->nids;
}

static void add_need(struct authz_job *j, enum route_resource k, const char *v, enum perm_level level)
{
	j->ids = mem_realloc(j->ids, (j->nids + 1) * sizeof *j->ids);
	j->kinds = mem_realloc(j->kinds, (j->nids + 1) * sizeof *j->kinds);
	j->levels = mem_realloc(j->levels, (j->nids + 1) * sizeof *j->levels);
	j->kinds[j->nids] = k;
	j->levels[j->nids] = level;
	j->ids[j->nids++] = mem_strdup(v);
}

static void add_kind_id(struct authz_job *j, enum route_resource k, const char *v)
{
	add_need(j, k, v, j->route->level);
}

static void add_id(struct authz_job *j, const char *v)
{
	add_kind_id(j, j->route->resource, v);
}

static void bad_request(struct conn *c, const char *msg)
{
	log_info("refused %s %s from %s: %s request_id=%s", c->ri.method, c->ri.path, c->ri.client, msg, c->ri.request_id);
	c->keep_alive = c->keep_alive && c->req_body_done;
	errpage_send(c, 400, "INVALID_PARAMETER_VALUE", msg, NULL);
}

static void deny(struct conn *c, const char *why)
{
	log_info("permission denied: user \"%s\" %s %s: %s request_id=%s", c->ri.user, c->ri.method, c->ri.path, why,
		 c->ri.request_id);
	c->keep_alive = c->keep_alive && c->req_body_done;
	errpage_send(c, 403, "PERMISSION_DENIED", "Permission denied", NULL);
}

static bool is_run_field(const char *f)
{
	return strcmp(f, "run_id") == 0 || strcmp(f, "run_uuid") == 0;
}

/* Where a request's parameters are: its query (after the '?') and its
 * buffered body (empty when it streams), parsed once per request. */
static struct params_body *request_params(struct conn *c, const char **query)
{
	const char *q = strchr(c->ri.target, '?');
	*query = q ? q + 1 : "";
	return conn_params_body(c);
}

/* Reads the ids the route's main resource names into j. Returns 0, or
 * answers 400 and returns -1. */
static int collect_main(struct conn *c, const struct route_match *m, struct authz_job *j)
{
	const struct mlflow_route *r = m->route;
	const char *query;
	struct params_body *pb = request_params(c, &query);
	struct param_values *pv = c->w->params;
	const char *err = NULL;
	char msg[256];
	if (r->resource == RES_GRAPHQL) {
		struct gql_needs *gn = mem_alloc(sizeof *gn);
		int rc = graphql_needs(pb->data, pb->len, gn, &err);
		for (size_t i = 0; rc == 0 && i < gn->n; i++)
			add_kind_id(j, gn->need[i].kind == GQL_RUN ? RES_RUN : RES_EXPERIMENT, gn->need[i].id);
		free(gn);
		if (rc) {
			bad_request(c, err);
			return -1;
		}
		return 0;
	}
	if (r->resource == RES_ARTIFACT) {
		const char *raw;
		size_t rlen;
		if (r->source == ID_QUERY) {
			if (mlflow_params_extract_body("GET", query, strlen(query), NULL, r->field, pv, &err)) {
				bad_request(c, err);
				return -1;
			}
			if (pv->n != 1) {
				bad_request(c, pv->n ? "Repeated parameter 'path'" : "Missing value for required parameter 'path'");
				return -1;
			}
			raw = pv->v[0];
			rlen = strlen(raw);
		} else {
			raw = m->rest;
			rlen = m->rest_len;
		}
		char canon[ARTIFACT_PATH_MAX], exp[32];
		if (artifact_path_canonical(raw, rlen, canon, &err)) {
			bad_request(c, err);
			return -1;
		}
		if (strstr(r->rpc, "MultipartUpload")) {
			/* the body's "path" is joined to the URL's: it must stay inside */
			if (mlflow_params_extract_body("POST", "", 0, pb, "path", pv, &err)) {
				bad_request(c, err);
				return -1;
			}
			char inner[ARTIFACT_PATH_MAX];
			for (size_t i = 0; i < pv->n; i++) {
				if (artifact_path_canonical(pv->v[i], strlen(pv->v[i]), inner, &err)) {
					bad_request(c, err);
					return -1;
				}
			}
		}
		if (artifact_path_experiment(canon, exp) != 0) {
			add_id(j, "");	/* no experiment: only admins */
			return 0;
		}
		add_id(j, exp);
		return 0;
	}
	if (r->field == NULL)
		return 0;
	if (r->source == ID_HEADER) {
		const char *v = c->ri.experiment_header;
		if (v == NULL || v[0] == '\0') {
			bad_request(c, "Missing X-MLflow-Experiment-Id header");
			return -1;
		}
		add_id(j, v);
		return 0;
	}
	if (r->source == ID_PATH) {
		char v[PARAMS_MAX_VALUE];
		if (m->param_len == 0 || m->param_len >= sizeof v) {
			bad_request(c, "Invalid path parameter");
			return -1;
		}
		memcpy(v, m->param, m->param_len);
		v[m->param_len] = '\0';
		if (pct_decode_stable(v, 4) != 0 || strchr(v, '/') != NULL) {
			bad_request(c, "Invalid path parameter");
			return -1;
		}
		/* the same id in the body or query must agree with the path */
		if (mlflow_params_extract_body(c->ri.method, query, strlen(query), pb, r->field, pv, &err)) {
			bad_request(c, err);
			return -1;
		}
		for (size_t i = 0; i < pv->n; i++) {
			if (strcmp(pv->v[i], v) != 0) {
				snprintf(msg, sizeof msg, "'%s' in the path and in the request disagree", r->field);
				bad_request(c, msg);
				return -1;
			}
		}
		add_id(j, v);
		return 0;
	}
	bool query_only = r->source == ID_QUERY;
	const char *meth = query_only ? "GET" : c->ri.method;
	const char *field = r->field;
	if (mlflow_params_extract_body(meth, query, strlen(query), query_only ? NULL : pb, field, pv, &err)) {
		bad_request(c, err);
		return -1;
	}
	if (pv->n == 0 && is_run_field(field)) {
		/* run_id, else run_uuid (and the reverse for routes named by run_uuid) */
		field = strcmp(field, "run_id") == 0 ? "run_uuid" : "run_id";
		if (mlflow_params_extract_body(meth, query, strlen(query), query_only ? NULL : pb, field, pv, &err)) {
			bad_request(c, err);
			return -1;
		}
	}
	bool list = r->resource == RES_EXPERIMENT_LIST || r->resource == RES_RUN_LIST || r->resource == RES_TRACE_LIST;
	if (pv->n == 0 && list && (r->flags & ROUTE_NONEMPTY)) {
		add_id(j, "");	/* names none: administrators only */
		return 0;
	}
	if (pv->n == 0 && !list) {
		snprintf(msg, sizeof msg, "Missing value for required parameter '%s'", r->field);
		bad_request(c, msg);
		return -1;
	}
	if (pv->n > 1 && !list) {
		snprintf(msg, sizeof msg, "Parameter '%s' given more than once", r->field);
		bad_request(c, msg);
		return -1;
	}
	for (size_t i = 0; i < pv->n; i++)
		add_id(j, pv->v[i]);
	return 0;
}

/* The prompt name of a prompt URI: "prompts:/NAME/VERSION",
 * "prompts:/NAME@ALIAS" or "prompts:/NAME". 0, or -EINVAL. */
static int prompt_name(const char *uri, char *out, size_t cap)
{
	static const char scheme[] = "prompts:/";
	if (strncmp(uri, scheme, sizeof scheme - 1) != 0)
		return -EINVAL;
	const char *name = uri + sizeof scheme - 1;
	const char *end = strrchr(name, '@');
	if (end == NULL)
		end = strrchr(name, '/');
	size_t n = end ? (size_t)(end - name) : strlen(name);
	if (n == 0 || n >= cap || (end && end[1] == '\0'))
		return -EINVAL;
	memcpy(out, name, n);
	out[n] = '\0';
	return 0;
}

/* Reads what the route's further requirements name (route_extra). */
static int collect_extra(struct conn *c, struct authz_job *j, const struct route_extra *x)
{
	const char *query;
	struct params_body *pb = request_params(c, &query);
	struct param_values *pv = c->w->params;
	const char *err = NULL;
	char msg[256];
	if (mlflow_params_extract_body(c->ri.method, query, strlen(query), pb, x->field, pv, &err)) {
		bad_request(c, err);
		return -1;
	}
	size_t n = 0;
	for (size_t i = 0; i < pv->n; i++)
		n += pv->v[i][0] != '\0';
	if (n == 0) {
		if (!x->required)
			return 0;
		if (x->resource == RES_EXPERIMENT_LIST) {
			add_need(j, RES_EXPERIMENT, "", x->level);	/* names none: administrators only */
			return 0;
		}
		snprintf(msg, sizeof msg, "Missing value for required parameter '%s'", x->field);
		bad_request(c, msg);
		return -1;
	}
	if (pv->n > 1 && x->resource != RES_EXPERIMENT_LIST) {
		snprintf(msg, sizeof msg, "Parameter '%s' given more than once", x->field);
		bad_request(c, msg);
		return -1;
	}
	for (size_t i = 0; i < pv->n; i++) {
		if (pv->v[i][0] == '\0')
			continue;
		if (x->resource == RES_PROMPT_URI) {
			char name[RESOLVE_MAX_VALUE];
			if (prompt_name(pv->v[i], name, sizeof name)) {
				snprintf(msg, sizeof msg, "'%s' is not a prompts:/NAME/VERSION URI", x->field);
				bad_request(c, msg);
				return -1;
			}
			add_need(j, RES_MODEL, name, x->level);
		} else {
			add_need(j, x->resource == RES_EXPERIMENT_LIST ? RES_EXPERIMENT : x->resource, pv->v[i], x->level);
		}
	}
	return 0;
}

static int collect_ids(struct conn *c, const struct route_match *m, struct authz_job *j)
{
	if (collect_main(c, m, j) != 0)
		return -1;
	for (const struct route_extra *x = m->route->extra; x && x->resource != RES_NONE; x++)
		if (collect_extra(c, j, x) != 0)
			return -1;
	return 0;
}

/* ---- deciding ---- */

static void on_resolved(struct conn *c, const struct resolve_result *r)
{
	struct authz_job *j = c->az;
	if (j == NULL)
		return;
	if (r->status == RESOLVE_NOT_FOUND) {
		log_info("%s %s from user \"%s\": MLflow does not know the resource (%d %s) request_id=%s", c->ri.method,
			 c->ri.path, c->ri.user, r->http_status, r->error_code, c->ri.request_id);
		c->keep_alive = c->keep_alive && c->req_body_done;
		errpage_send(c, r->http_status, r->error_code, r->message, NULL);
		return;
	}
	if (r->status != RESOLVE_OK) {
		c->keep_alive = c->keep_alive && c->req_body_done;
		errpage_send(c, 502, "TEMPORARILY_UNAVAILABLE", "MLflow is unavailable; try again shortly", NULL);
		return;
	}
	snprintf(j->last_value, sizeof j->last_value, "%s", r->value);
	step(c);
}

/* The answer to (kind, key) if known now: from the job's last answer or the
 * cache. Otherwise starts a fetch (step runs again when it is back) and
 * returns false. */
static bool resolved(struct conn *c, enum resolve_kind k, const char *key, char *out, size_t cap)
{
	struct authz_job *j = c->az;
	if (j->last_kind == (int)k && strcmp(j->last_key, key) == 0 && j->last_value[0]) {
		snprintf(out, cap, "%s", j->last_value);
		return true;
	}
	if (resolve_cached(c->w, k, key, out, cap))
		return true;
	j->last_kind = (int)k;
	snprintf(j->last_key, sizeof j->last_key, "%s", key);
	j->last_value[0] = '\0';
	resolve_fetch(c, k, key, on_resolved);
	return false;
}

static const char *resource_word(enum resource_kind k)
{
	return k == RESOURCE_MODEL ? "registered model" : "experiment";
}

/* Decides the next id; returns 1 when it passed, 0 when it waits for an
 * answer, -1 when it answered (denied or failed). */
static enum resolve_kind owner_kind(enum route_resource res)
{
	switch (res) {
	case RES_DATASET: return RESOLVE_DATASET;
	case RES_ISSUE: return RESOLVE_ISSUE;
	case RES_LABEL_SCHEMA: return RESOLVE_LABEL_SCHEMA;
	case RES_REVIEW_QUEUE: return RESOLVE_REVIEW_QUEUE;
	case RES_PROMPT_JOB: return RESOLVE_PROMPT_JOB;
	default: return RESOLVE_KINDS;
	}
}

/* A GenAI resource: its experiments (resolved through MLflow) are added to
 * the job at the same level, so each is decided (and name patterns
 * resolved) like any experiment. 1: expanded, 0: waiting, -1: answered. */
static int expand_owner(struct conn *c, const char *id, enum route_resource res, enum perm_level level)
{
	struct authz_job *j = c->az;
	char list[RESOLVE_MAX_VALUE], exp[RESOLVE_MAX_VALUE], why[300];
	if (id[0] == '\0' || strcmp(id, ".") == 0 || strcmp(id, "..") == 0) {
		bad_request(c, "Invalid identifier");
		return -1;
	}
	if (!resolved(c, owner_kind(res), id, list, sizeof list))
		return 0;
	if (resolve_list_item(list, 0, exp, sizeof exp) != 0) {
		snprintf(why, sizeof why, "%s %s %.120s belongs to no experiment (administrators only)", j->route->rpc,
			 mlflow_routes_resource_name(res), id);
		deny(c, why);
		return -1;
	}
	for (size_t i = 0; resolve_list_item(list, i, exp, sizeof exp) == 0; i++)
		add_need(j, RES_EXPERIMENT, exp, level);
	return 1;
}

static int decide_one(struct conn *c, struct az_user *u, const char *id, enum route_resource res,
		      enum perm_level level)
{
	struct authz_job *j = c->az;
	const struct mlflow_route *r = j->route;
	enum resource_kind kind = RESOURCE_EXPERIMENT;
	char exp[RESOLVE_MAX_VALUE] = "", name[RESOLVE_MAX_VALUE] = "";
	const char *rid = exp, *rname = NULL;
	if (strlen(id) >= RESOLVE_MAX_KEY) {
		bad_request(c, "Identifier too long");
		return -1;
	}
	switch (res) {
	case RES_MODEL:
		kind = RESOURCE_MODEL;
		rid = id;
		rname = id;
		break;
	case RES_EXPERIMENT:
	case RES_EXPERIMENT_LIST:
	case RES_ARTIFACT:
		if (id[0] == '\0') {
			deny(c, res == RES_ARTIFACT ? "artifact path outside any experiment"
						    : "names no experiment (administrators only)");
			return -1;
		}
		snprintf(exp, sizeof exp, "%s", id);
		break;
	case RES_EXPERIMENT_NAME:
		snprintf(name, sizeof name, "%s", id);
		if (!resolved(c, RESOLVE_EXPERIMENT_NAME, id, exp, sizeof exp))
			return 0;
		rname = name;
		break;
	case RES_RUN:
	case RES_RUN_LIST:
		if (!resolved(c, RESOLVE_RUN, id, exp, sizeof exp))
			return 0;
		break;
	case RES_TRACE:
	case RES_TRACE_LIST:
		if (!resolved(c, RESOLVE_TRACE, id, exp, sizeof exp))
			return 0;
		break;
	case RES_LOGGED_MODEL:
		if (!resolved(c, RESOLVE_LOGGED_MODEL, id, exp, sizeof exp))
			return 0;
		break;
	case RES_DATASET:
	case RES_ISSUE:
	case RES_LABEL_SCHEMA:
	case RES_REVIEW_QUEUE:
	case RES_PROMPT_JOB:
		return expand_owner(c, id, res, level);
	default:
		deny(c, "route without a resource rule");
		return -1;
	}
	if (kind == RESOURCE_EXPERIMENT && rname == NULL && u->has_patterns) {
		/* name patterns apply to experiments by name */
		if (!resolved(c, RESOLVE_EXPERIMENT_ID, exp, name, sizeof name))
			return 0;
		rname = name;
	}
	struct decision d;
	policy_index_decide(u->ix, false, kind, rid, rname, (enum perm_level)c->rt->cfg->default_permission, &d);
	if (d.level >= level)
		return 1;
	char why[600];
	snprintf(why, sizeof why, "%s needs %s on %s %s, has %s (%s%s%s)", r->rpc, level_name(level),
		 resource_word(kind), rid, level_name(d.level), policy_source_name(d.source), d.via ? " " : "",
		 d.via ? d.via : "");
	deny(c, why);
	return -1;
}

/* Allowed: create calls are checked and attributed, then MLflow is asked. */
static void pass(struct conn *c)
{
	const struct mlflow_route *r = c->az->route;
	if (r && c->body_buffered) {
		struct rewrite_opts o = { .user = c->ri.user, .schemes = c->rt->cfg->uri_schemes,
					  .attribution = (enum attribution_mode)c->rt->cfg->attribution };
		char *nb = NULL;
		size_t nl = 0;
		const char *why = NULL;
		int rc = request_rewrite(r->rpc, c->body.data ? c->body.data : "", c->body.len, &o, &nb, &nl, &why);
		if (rc == -EINVAL) {
			bad_request(c, why);
			return;
		}
		if (rc == -EACCES) {
			log_info("refused %s from user \"%s\": %s request_id=%s", r->rpc, c->ri.user, why, c->ri.request_id);
			c->keep_alive = c->keep_alive && c->req_body_done;
			errpage_send(c, 403, "PERMISSION_DENIED", why, NULL);
			return;
		}
		if (rc == 1) {
			buf_reset(&c->body);
			c->body.max = nl > c->body.max ? nl : c->body.max;
			buf_append(&c->body, nb, nl);
			params_body_clear(&c->pbody);	/* the parse was of the old bytes */
			free(nb);
		}
	}
	if (grant_hooks_wanted(r)) {
		c->capture = true;
		c->cap_done = grant_hooks_after;
	}
	audit_intent_then_connect(c);
}

static void step(struct conn *c)
{
	struct authz_job *j = c->az;
	struct az_user *u = user_lookup(c->w, c->ri.user);
	if (u == NULL) {
		user_load(c);
		return;
	}
	if (j->route && j->route->resource == RES_LOCAL) {
		u->refs++;
		admin_api_start(c, u);	/* answered here, with its own checks */
		return;
	}
	if (u->is_admin) {
		if (j->route == NULL && !c->rt->cfg->admin_unknown_routes) {
			deny(c, "not an MLflow route mlgate knows (authz.admin_unknown_routes is off)");
			return;
		}
		pass(c);
		return;
	}
	if (j->route == NULL) {
		deny(c, "not an MLflow route mlgate knows");
		return;
	}
	if (j->route->resource == RES_ADMIN) {
		deny(c, "administrators only");
		return;
	}
	if (j->route->resource == RES_GRAPHQL && !j->collected) {
		j->collected = true;
		if (collect_ids(c, &c->rmatch, j) != 0)
			return;
	}
	while (j->next < j->nids) {
		int rc = decide_one(c, u, j->ids[j->next], j->kinds[j->next], j->levels[j->next]);
		if (rc <= 0)
			return;
		j->next++;
		j->last_value[0] = '\0';
	}
	if (search_filter_wanted(j->route)) {
		search_filter_start(c);	/* only what the caller may read */
		return;
	}
	pass(c);
}

void authz_stage_run(struct conn *c, const struct route_match *m)
{
	authz_job_free(c);
	struct authz_job *j = mem_calloc(1, sizeof *j);
	j->last_kind = -1;
	c->az = j;
	if (m && m->route) {
		j->route = m->route;
		/* GraphQL documents are read for non-admins only: admins may send
		 * anything MLflow accepts (introspection, other operations) */
		if (j->route->resource != RES_NONE && j->route->resource != RES_ADMIN &&
		    j->route->resource != RES_GRAPHQL && collect_ids(c, m, j) != 0)
			return;
	}
	step(c);
}
