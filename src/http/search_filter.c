/* Search results a non-admin may READ, refilled to the page size the caller
 * asked for (mlflow-api.md §2.7). The gateway asks MLflow page after page
 * itself (src/http/upfetch.c), keeps the readable items, and when it has
 * enough hands back a page token of its own: "mlg1." + base64url of
 * [MLflow's token for the page it stopped in, items of that page already
 * consumed]. A token MLflow issued is passed through as it is. The number of
 * pages asked for one answer is bounded; a short page with a token is the
 * honest answer past it. Tampering with a token can only skip items: every
 * item is still filtered. */
#include "http/search_filter.h"
#include "http/authz_stage.h"
#include "http/conn.h"
#include "http/resolve.h"
#include "http/upfetch.h"
#include "authz/mlflow_routes.h"
#include "core/json_scan.h"
#include "core/json_write.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/pct.h"
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROUNDS 20
#define TOKEN_PREFIX "mlg1."

enum search_kind { SK_EXPERIMENTS = 0, SK_REGISTERED_MODELS, SK_MODEL_VERSIONS, SK_LOGGED_MODELS };

static const char *const items_key[] = { "experiments", "registered_models", "model_versions", "models" };

struct search_job {
	struct conn *c;
	struct az_user *u;
	enum search_kind kind;
	bool get;		/* parameters in the query (GET), else a JSON body */
	json_t *params;		/* body object, or an array of [key, value] query pairs */
	long long target;	/* the page size asked for; 0: as MLflow pages */
	char *token;		/* MLflow's page token for the next request ("" for the first page) */
	long long skip;		/* items of that page already handed out */
	bool client_token;	/* the caller sent a page token */
	struct buf items;	/* the kept items, raw JSON, comma-separated */
	long long nitems;
	int rounds;
};

static int kind_of(const struct mlflow_route *r, enum search_kind *k)
{
	if (r == NULL)
		return -1;
	if (strcmp(r->rpc, "SearchExperiments") == 0)
		*k = SK_EXPERIMENTS;
	else if (strcmp(r->rpc, "SearchRegisteredModels") == 0)
		*k = SK_REGISTERED_MODELS;
	else if (strcmp(r->rpc, "SearchModelVersions") == 0)
		*k = SK_MODEL_VERSIONS;
	else if (strcmp(r->rpc, "SearchLoggedModels") == 0)
		*k = SK_LOGGED_MODELS;
	else
		return -1;
	return 0;
}

bool search_filter_wanted(const struct mlflow_route *r)
{
	enum search_kind k;
	return kind_of(r, &k) == 0;
}

/* ---- page tokens ---- */

/* Our token: TOKEN_PREFIX, then base64url of the JSON ["MLflow's token", skip],
 * written without a tree (one per answered page cost more than the rest of
 * the token). Bytes that are not UTF-8, which a client's query-string token
 * may hold, are escaped (json_pack refused them and its NULL reached strlen). */
static char *token_encode(const char *upstream, long long skip)
{
	size_t ul = strlen(upstream);
	struct buf js;
	buf_init(&js, 6 * ul + 64);
	buf_appends(&js, "[");
	char *q = buf_space(&js, 6 * ul + 2);
	if (q == NULL)
		abort();	/* within the bound just set */
	buf_advance(&js, (size_t)(json_put_string(q, upstream, ul) - q));
	buf_appends(&js, ",");
	buf_u64(&js, (unsigned long long)(skip > 0 ? skip : 0));
	buf_appends(&js, "]");
	size_t n = js.len;
	char *out = mem_alloc(sizeof TOKEN_PREFIX + 4 * (n / 3 + 2));
	strcpy(out, TOKEN_PREFIX);
	int len = EVP_EncodeBlock((unsigned char *)out + strlen(TOKEN_PREFIX), (const unsigned char *)js.data, (int)n);
	buf_free(&js);
	char *p = out + strlen(TOKEN_PREFIX);
	for (int i = 0; i < len; i++) {
		if (p[i] == '+')
			p[i] = '-';
		else if (p[i] == '/')
			p[i] = '_';
		else if (p[i] == '=') {
			p[i] = '\0';
			break;
		}
	}
	return out;
}

/* Our token -> (MLflow's token, skip); -EINVAL for a damaged one. */
static int token_decode(const char *tok, char **upstream, long long *skip)
{
	const char *b = tok + strlen(TOKEN_PREFIX);
	size_t n = strlen(b);
	if (n == 0 || n > 8192)
		return -EINVAL;
	char *std = mem_alloc(n + 4);
	size_t i;
	for (i = 0; i < n; i++)
		std[i] = b[i] == '-' ? '+' : b[i] == '_' ? '/' : b[i];
	while (i % 4)
		std[i++] = '=';
	std[i] = '\0';
	unsigned char *raw = mem_alloc(i);
	int len = EVP_DecodeBlock(raw, (unsigned char *)std, (int)i);
	free(std);
	if (len < 0) {
		free(raw);
		return -EINVAL;
	}
	while (len > 0 && raw[len - 1] == '\0')	/* EVP_DecodeBlock counts the padding */
		len--;
	json_t *a = json_loadb((const char *)raw, (size_t)len, 0, NULL);
	free(raw);
	const char *t = json_string_value(json_array_get(a, 0));
	json_t *s = json_array_get(a, 1);
	int rc = -EINVAL;
	if (json_array_size(a) == 2 && t && json_is_integer(s) && json_integer_value(s) >= 0) {
		*upstream = mem_strdup(t);
		*skip = (long long)json_integer_value(s);
		rc = 0;
	}
	json_decref(a);
	return rc;
}

/* ---- the caller's parameters ---- */

static bool is_key(const char *k, const char *snake, const char *camel)
{
	return strcmp(k, snake) == 0 || strcmp(k, camel) == 0;
}

/* Reads the caller's parameters; takes max_results and page_token out.
 * Returns 0 or -EINVAL with *why. */
static int read_params(struct search_job *j, const char **why)
{
	struct conn *c = j->c;
	const char *max = NULL, *tok = NULL;
	char maxbuf[32] = "";
	char *tokbuf = NULL;
	if (j->get) {
		j->params = json_array();
		const char *q = strchr(c->ri.target, '?');
		const char *p = q ? q + 1 : "";
		char *k, *v;
		while (pct_query_next(&p, &k, &v)) {
			if (is_key(k, "max_results", "maxResults")) {
				snprintf(maxbuf, sizeof maxbuf, "%s", v);
				max = maxbuf;
			} else if (is_key(k, "page_token", "pageToken")) {
				free(tokbuf);
				tokbuf = mem_strdup(v);
				tok = tokbuf;
			} else if (k[0]) {
				json_array_append_new(j->params, json_pack("[s, s]", k, v));
			}
			free(k);
			free(v);
		}
	} else {
		/* read in place; the body is parsed into a tree only when a later
		 * page has to be asked for (post_params) */
		struct param_values *pv = c->w->params;
		struct params_body *pb = conn_params_body(c);
		if (mlflow_params_extract_body("POST", "", 0, pb, "max_results", pv, why))
			return -EINVAL;
		if (pv->n > 1 || (pv->n == 1 && strlen(pv->v[0]) >= sizeof maxbuf)) {
			*why = "Invalid value for max_results";
			return -EINVAL;
		}
		if (pv->n == 1) {
			memcpy(maxbuf, pv->v[0], strlen(pv->v[0]) + 1);
			max = maxbuf;
		}
		if (mlflow_params_extract_body("POST", "", 0, pb, "page_token", pv, why))
			return -EINVAL;
		if (pv->n > 1) {
			*why = "Invalid page token";
			return -EINVAL;
		}
		if (pv->n == 1) {
			tokbuf = mem_strdup(pv->v[0]);
			tok = tokbuf;
		}
	}
	if (max && max[0]) {
		char *end;
		long long v = strtoll(max, &end, 10);
		if (*end || v <= 0 || v > 1000000) {
			free(tokbuf);
			*why = "Invalid value for max_results";
			return -EINVAL;
		}
		j->target = v;
	}
	j->client_token = tok != NULL;
	if (tok && strncmp(tok, TOKEN_PREFIX, strlen(TOKEN_PREFIX)) == 0) {
		if (token_decode(tok, &j->token, &j->skip)) {
			free(tokbuf);
			*why = "Invalid page token";
			return -EINVAL;
		}
		free(tokbuf);
	} else {
		j->token = tokbuf ? tokbuf : mem_strdup("");
	}
	return 0;
}

/* ---- asking MLflow ---- */

static void on_page(void *arg, const struct upfetch_result *r);

static void job_end(struct search_job *j);

/* The caller's search body as a tree without its paging fields, for asking
 * MLflow for a later page (the first goes as it came). */
static int post_params(struct search_job *j)
{
	if (j->params)
		return 0;
	struct conn *c = j->c;
	j->params = json_loadb(c->body.len ? c->body.data : "{}", c->body.len ? c->body.len : 2, 0, NULL);
	if (!json_is_object(j->params))
		return -EINVAL;
	static const char *const keys[] = { "max_results", "maxResults", "page_token", "pageToken" };
	for (int i = 0; i < 4; i++)
		json_object_del(j->params, keys[i]);
	return 0;
}

static void ask(struct search_job *j)
{
	struct conn *c = j->c;
	char hdr[512];
	snprintf(hdr, sizeof hdr, "%s: %s\r\n", c->rt->cfg->user_header, c->ri.user);
	char maxs[32];
	snprintf(maxs, sizeof maxs, "%lld", j->target);
	if (j->get) {
		struct buf t;
		buf_init(&t, 64 * 1024);
		buf_appends(&t, c->ri.path);
		char sep = '?';
		size_t i;
		json_t *pair;
		json_array_foreach(j->params, i, pair) {
			const char *k = json_string_value(json_array_get(pair, 0));
			const char *v = json_string_value(json_array_get(pair, 1));
			buf_append(&t, &sep, 1);
			pct_encode(&t, k, strlen(k));
			buf_append(&t, "=", 1);
			pct_encode(&t, v, strlen(v));
			sep = '&';
		}
		if (j->target) {
			buf_append(&t, &sep, 1);
			buf_appends(&t, "max_results=");
			buf_appends(&t, maxs);
			sep = '&';
		}
		if (j->token[0]) {
			buf_append(&t, &sep, 1);
			buf_appends(&t, "page_token=");
			pct_encode(&t, j->token, strlen(j->token));
		}
		upfetch_start(c->w, c->rt, "GET", t.data, hdr, NULL, 0, on_page, j);
		buf_free(&t);
		return;
	}
	if (j->rounds == 0 && !j->client_token && c->body.len) {
		/* the first page: the caller's own body, as it came */
		upfetch_start(c->w, c->rt, c->ri.method, c->ri.path, hdr, c->body.data, c->body.len, on_page, j);
		return;
	}
	if (post_params(j) != 0) {
		errpage_send(c, 400, "INVALID_PARAMETER_VALUE", "Request body must be a JSON object", NULL);
		job_end(j);
		return;
	}
	json_t *body = json_deep_copy(j->params);
	if (j->target)
		json_object_set_new(body, "max_results", json_integer(j->target));
	if (j->token[0])
		json_object_set_new(body, "page_token", json_string(j->token));
	char *s = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	upfetch_start(c->w, c->rt, c->ri.method, c->ri.path, hdr, s, strlen(s), on_page, j);
	free(s);
}

static void job_end(struct search_job *j)
{
	struct conn *c = j->c;
	authz_user_release(j->u);
	json_decref(j->params);
	buf_free(&j->items);
	free(j->token);
	free(j);
	conn_unpin(c);
}

static bool readable(struct search_job *j, struct jspan it)
{
	struct conn *c = j->c;
	char id[RESOLVE_MAX_VALUE], name[RESOLVE_MAX_VALUE];
	switch (j->kind) {
	case SK_EXPERIMENTS: {
		static const char *const keys[2] = { "experiment_id", "name" };
		struct jspan m[2];
		if (json_scan_members(it.p, it.n, 2, keys, m) || json_span_string(m[0], id, sizeof id))
			return false;
		return authz_can_read(c, j->u, RESOURCE_EXPERIMENT, id,
				      json_span_string(m[1], name, sizeof name) == 0 ? name : NULL);
	}
	case SK_REGISTERED_MODELS:
	case SK_MODEL_VERSIONS:
		return json_scan_string(it, "name", name, sizeof name) == 0 &&
		       authz_can_read(c, j->u, RESOURCE_MODEL, name, name);
	default: {
		struct jspan info;
		if (json_scan_object(it, "info", &info) || json_scan_string(info, "experiment_id", id, sizeof id))
			return false;
		bool named = resolve_cached(c->w, RESOLVE_EXPERIMENT_ID, id, name, sizeof name);
		return authz_can_read(c, j->u, RESOURCE_EXPERIMENT, id, named ? name : NULL);
	}
	}
}

static void answer(struct search_job *j, const char *next)
{
	struct buf out;
	buf_init(&out, j->items.len + 8192);
	buf_printf(&out, "{\"%s\":[", items_key[j->kind]);
	buf_append(&out, j->items.data ? j->items.data : "", j->items.len);
	buf_appends(&out, "]");
	if (next) {
		json_t *t = json_string(next);
		char *s = t ? json_dumps(t, JSON_ENCODE_ANY) : NULL;
		if (s) {
			buf_appends(&out, ",\"next_page_token\":");
			buf_appends(&out, s);
		}
		free(s);
		json_decref(t);
	}
	buf_appends(&out, "}");
	local_response(j->c, 200, "application/json", NULL, out.data, out.len);
	buf_free(&out);
}

static void on_page(void *arg, const struct upfetch_result *r)
{
	struct search_job *j = arg;
	struct conn *c = j->c;
	if (c->state != CS_PROXY) {
		job_end(j);
		return;
	}
	c->ri.upstream_end_ms = server_now_ms();
	if (r->status != 200) {
		if (r->status == 0) {
			log_error("search for user \"%s\": %s request_id=%s", c->ri.user, r->why, c->ri.request_id);
			errpage_send(c, 502, "TEMPORARILY_UNAVAILABLE", "MLflow is unavailable; try again shortly", NULL);
		} else {
			local_response(c, r->status, "application/json", NULL, r->body, r->len);	/* MLflow's own error */
		}
		job_end(j);
		return;
	}
	/* one validating pass finds the items and the token */
	const char *keys[2] = { items_key[j->kind], "next_page_token" };
	struct jspan m[2];
	char next[4096] = "";
	int rc = json_scan_members(r->body, r->len, 2, keys, m);
	struct jspan raw = rc == 0 && m[0].p ? m[0] : (struct jspan){ "[]", 2 };
	if (rc == 0 && raw.n > 0 && raw.p[0] != '[')
		rc = -EINVAL;
	if (rc == 0 && m[1].p && m[1].n >= 2 && m[1].p[0] == '"' && json_span_string(m[1], next, sizeof next) != 0)
		rc = -EINVAL;
	if (rc != 0) {
		log_error("search for user \"%s\": unreadable answer from MLflow request_id=%s", c->ri.user,
			  c->ri.request_id);
		errpage_send(c, 502, "TEMPORARILY_UNAVAILABLE", "Unreadable answer from MLflow", NULL);
		job_end(j);
		return;
	}
	struct jspan it;
	size_t pos = 0;
	if (j->target == 0) {
		/* the page size MLflow chose, when the caller gave none */
		long long n = 0;
		while (json_scan_next(raw, &pos, &it) == 1)
			n++;
		j->target = next[0] ? n : 1000000;	/* MLflow's own page size */
		pos = 0;
	}
	long long i = 0;
	while (json_scan_next(raw, &pos, &it) == 1) {
		if (i++ < j->skip || !readable(j, it))
			continue;
		if (j->nitems++)
			buf_append(&j->items, ",", 1);
		if (buf_append(&j->items, it.p, it.n)) {
			errpage_send(c, 502, "TEMPORARILY_UNAVAILABLE", "Search answer too large", NULL);
			job_end(j);
			return;
		}
		if (j->nitems >= j->target) {
			/* full: the rest of this page, or the next one, comes with our token */
			char *tok = NULL;
			size_t peek = pos;
			struct jspan more;
			if (json_scan_next(raw, &peek, &more) == 1)
				tok = token_encode(j->token, i);
			else if (next[0])
				tok = mem_strdup(next);
			answer(j, tok);
			free(tok);
			job_end(j);
			return;
		}
	}
	if (!next[0]) {
		answer(j, NULL);
		job_end(j);
		return;
	}
	free(j->token);
	j->token = mem_strdup(next);
	j->skip = 0;
	if (++j->rounds >= MAX_ROUNDS) {
		answer(j, j->token);	/* bounded: a short page, and the way on */
		job_end(j);
		return;
	}
	ask(j);
}

void search_filter_start(struct conn *c)
{
	struct search_job *j = mem_calloc(1, sizeof *j);
	j->c = c;
	kind_of(c->route, &j->kind);
	j->get = strcmp(c->ri.method, "GET") == 0 || c->ri.head;
	buf_init(&j->items, 16u << 20);
	const char *why = NULL;
	conn_pin(c);
	j->u = authz_user_hold(c);
	if (j->u == NULL) {	/* cannot happen: authorisation just used it */
		errpage_send(c, 503, "TEMPORARILY_UNAVAILABLE", "Try again shortly", NULL);
		job_end(j);
		return;
	}
	if (read_params(j, &why)) {
		c->keep_alive = c->keep_alive && c->req_body_done;
		errpage_send(c, 400, "INVALID_PARAMETER_VALUE", why, NULL);
		job_end(j);
		return;
	}
	c->ri.upstream_used = true;
	c->ri.upstream_start_ms = server_now_ms();
	ask(j);
}
