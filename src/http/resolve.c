/* Asking MLflow which experiment a run, trace or logged model belongs to
 * (and experiment names <-> ids). One short-lived HTTP/1.1 connection per
 * question ("Connection: close", the answer read to the end, bounded), the
 * answer parsed with jansson and cached per worker: ids of runs, traces and
 * logged models never move between experiments (authz.resolve_ttl); names
 * can be renamed or reused (authz.name_ttl, short). Nothing negative is
 * cached: a run created a moment later must be found. */
#include "http/resolve.h"
#include "http/conn.h"
#include "core/log.h"
#include "core/mem.h"
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ANSWER_MAX (8u << 20)	/* a run with all its data can be large */
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
	struct resolve_stats stats;
};

struct rwaiter {
	struct conn *c;
	resolve_cb cb;
	struct rwaiter *next;
};

struct resolve_fetch {
	uv_tcp_t tcp;
	uv_connect_t creq;
	uv_write_t wreq;
	uv_timer_t timer;
	struct worker *w;
	struct resolve_fetch *next;
	enum resolve_kind kind;
	char key[RESOLVE_MAX_KEY];
	char *req;
	size_t req_len;
	struct buf in;
	struct rwaiter *waiters;
	int closes_pending;
	bool finished;
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
			rc->stats.hits++;
			return true;
		}
	}
	rc->stats.misses++;
	return false;
}

static void cache_put(struct worker *w, enum resolve_kind k, const char *key, const char *value)
{
	if (strlen(key) >= RESOLVE_MAX_KEY || strlen(value) >= RESOLVE_MAX_VALUE)
		return;
	struct resolve_cache *rc = cache_of(w);
	const struct config *cfg = w->rt->cfg;
	uint64_t ttl = k == RESOLVE_EXPERIMENT_NAME || k == RESOLVE_EXPERIMENT_ID ? cfg->name_ttl : cfg->resolve_ttl;
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

int resolve_parse_answer(enum resolve_kind k, const char *body, size_t len, char *value, size_t cap)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return -EINVAL;
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

static void pct_encode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
		    ch == '_' || ch == '.' || ch == '~') {
			buf_append(b, s, 1);
		} else {
			char e[3] = { '%', hex[ch >> 4], hex[ch & 15] };
			buf_append(b, e, 3);
		}
	}
}

static void build_request(struct resolve_fetch *f, const struct runtime *rt)
{
	struct buf b;
	buf_init(&b, 4 * RESOLVE_MAX_KEY + 1024);
	buf_appends(&b, "GET ");
	switch (f->kind) {
	case RESOLVE_RUN:
		buf_appends(&b, "/api/2.0/mlflow/runs/get?run_id=");
		pct_encode(&b, f->key);
		break;
	case RESOLVE_TRACE:
		buf_appends(&b, "/api/2.0/mlflow/traces/");
		pct_encode(&b, f->key);
		buf_appends(&b, "/info");
		break;
	case RESOLVE_LOGGED_MODEL:
		buf_appends(&b, "/api/2.0/mlflow/logged-models/");
		pct_encode(&b, f->key);
		break;
	case RESOLVE_EXPERIMENT_NAME:
		buf_appends(&b, "/api/2.0/mlflow/experiments/get-by-name?experiment_name=");
		pct_encode(&b, f->key);
		break;
	default:
		buf_appends(&b, "/api/2.0/mlflow/experiments/get?experiment_id=");
		pct_encode(&b, f->key);
		break;
	}
	buf_printf(&b, " HTTP/1.1\r\nHost: %s\r\nAccept: application/json\r\nUser-Agent: mlgate-authz\r\n"
		   "Connection: close\r\n\r\n", rt->upstream_hosthdr[0] ? rt->upstream_hosthdr : rt->upstream_name);
	f->req = b.data;
	f->req_len = b.len;
}

static void on_fetch_closed(uv_handle_t *h)
{
	struct resolve_fetch *f = h->data;
	if (--f->closes_pending == 0) {
		buf_free(&f->in);
		free(f->req);
		free(f);
	}
}

static void fetch_finish(struct resolve_fetch *f, struct resolve_result *r)
{
	if (f->finished)
		return;
	f->finished = true;
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
	f->closes_pending = 2;
	uv_close((uv_handle_t *)&f->tcp, on_fetch_closed);
	uv_close((uv_handle_t *)&f->timer, on_fetch_closed);
}

static void fail(struct resolve_fetch *f, const char *why)
{
	log_error("resolving %s of \"%.80s\" through MLflow failed: %s", f->kind == RESOLVE_EXPERIMENT_ID ? "the name"
		  : "the experiment", f->key, why);
	struct resolve_result r = { .status = RESOLVE_FAILED };
	fetch_finish(f, &r);
}

/* The whole answer is in f->in (the peer closed): parse the head and body. */
static void answer_complete(struct resolve_fetch *f)
{
	struct h1_message *m = &f->w->resp_msg;
	const char *err = NULL;
	struct h1_limits lim = { .max_head = 64 * 1024, .max_target = 0 };
	int hl = h1_parse_response(f->in.data, f->in.len, &lim, false, m, &err);
	if (hl <= 0) {
		fail(f, hl == 0 ? "truncated answer" : err);
		return;
	}
	const char *body = f->in.data + hl;
	size_t blen = f->in.len - (size_t)hl;
	char *decoded = NULL;
	if (m->framing == H1_BODY_LENGTH) {
		if (blen < m->content_length) {
			fail(f, "truncated body");
			return;
		}
		blen = (size_t)m->content_length;
	} else if (m->framing == H1_BODY_CHUNKED) {
		struct h1_chunked ch;
		h1_chunked_init(&ch);
		decoded = mem_alloc(blen + 1);
		size_t out = 0;
		const char *p = body;
		size_t left = blen;
		int rc;
		do {
			size_t used = 0, dlen = 0;
			const char *d = NULL;
			rc = h1_chunked_decode(&ch, p, left, &used, &d, &dlen, &err);
			if (rc == H1C_DATA) {
				memcpy(decoded + out, d, dlen);
				out += dlen;
			}
			p += used;
			left -= used;
		} while (rc == H1C_DATA);
		if (rc != H1C_DONE) {
			free(decoded);
			fail(f, rc == H1C_ERROR ? err : "truncated chunked body");
			return;
		}
		body = decoded;
		blen = out;
	} else if (m->framing == H1_BODY_NONE) {
		blen = 0;
	}
	struct resolve_result r = { .status = RESOLVE_OK, .http_status = m->status };
	if (m->status == 200 && resolve_parse_answer(f->kind, body, blen, r.value, sizeof r.value) == 0) {
		fetch_finish(f, &r);
	} else if (m->status == 404 || m->status == 400) {
		/* MLflow's own "does not exist" (its stores answer 404, some 400):
		 * passed on as it is, so clients see what they would without us */
		r.status = RESOLVE_NOT_FOUND;
		json_t *root = json_loadb(body, blen, 0, NULL);
		const char *code = json_string_value(json_object_get(root, "error_code"));
		const char *msg = json_string_value(json_object_get(root, "message"));
		snprintf(r.error_code, sizeof r.error_code, "%s", code ? code : "RESOURCE_DOES_NOT_EXIST");
		snprintf(r.message, sizeof r.message, "%s", msg ? msg : "Resource does not exist");
		json_decref(root);
		fetch_finish(f, &r);
	} else {
		char why[64];
		snprintf(why, sizeof why, m->status == 200 ? "unreadable answer" : "status %d", m->status);
		fail(f, why);
	}
	free(decoded);
}

static void on_fetch_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	(void)hint;
	static char dummy[1];
	struct resolve_fetch *f = h->data;
	/* read straight into the buffer, growing it as needed (bounded) */
	size_t want = 64 * 1024;
	if (f->in.len + want > f->in.max)
		want = f->in.max - f->in.len;
	if (want == 0) {
		*b = uv_buf_init(dummy, 1);
		return;
	}
	if (f->in.cap < f->in.len + want) {
		size_t nc = f->in.cap ? f->in.cap * 2 : 64 * 1024;
		while (nc < f->in.len + want)
			nc *= 2;
		if (nc > f->in.max)
			nc = f->in.max;
		f->in.data = mem_realloc(f->in.data, nc);
		f->in.cap = nc;
	}
	*b = uv_buf_init(f->in.data + f->in.len, (unsigned)want);
}

static void on_fetch_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct resolve_fetch *f = s->data;
	if (f->finished)
		return;
	if (n > 0) {
		if (b->base < f->in.data || b->base >= f->in.data + f->in.cap) {
			fail(f, "answer too large");
			return;
		}
		f->in.len += (size_t)n;
		return;
	}
	if (n == UV_EOF) {
		answer_complete(f);
		return;
	}
	if (n < 0)
		fail(f, uv_strerror((int)n));
}

static void on_fetch_written(uv_write_t *req, int status)
{
	struct resolve_fetch *f = req->data;
	if (status < 0 && !f->finished)
		fail(f, uv_strerror(status));
}

static void on_fetch_connect(uv_connect_t *req, int status)
{
	struct resolve_fetch *f = req->data;
	if (f->finished)
		return;
	if (status < 0) {
		fail(f, uv_strerror(status));
		return;
	}
	uv_buf_t b = uv_buf_init(f->req, (unsigned)f->req_len);
	f->wreq.data = f;
	if (uv_write(&f->wreq, (uv_stream_t *)&f->tcp, &b, 1, on_fetch_written) < 0 ||
	    uv_read_start((uv_stream_t *)&f->tcp, on_fetch_alloc, on_fetch_read) < 0)
		fail(f, "cannot send");
}

void resolve_abort_all(struct worker *w)
{
	while (w->fetches)
		fail(w->fetches, "shutting down");
}

static void on_fetch_timeout(uv_timer_t *t)
{
	struct resolve_fetch *f = t->data;
	fail(f, "MLflow did not answer in time");
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
	cache_of(w)->stats.fetches++;
	buf_init(&f->in, ANSWER_MAX);
	build_request(f, c->rt);
	uv_tcp_init(&w->loop, &f->tcp);
	uv_timer_init(&w->loop, &f->timer);
	f->tcp.data = f;
	f->timer.data = f;
	f->creq.data = f;
	const struct config *cfg = c->rt->cfg;
	uv_timer_start(&f->timer, on_fetch_timeout, cfg->upstream_connect_timeout + cfg->upstream_response_timeout, 0);
	int rc = uv_tcp_connect(&f->creq, &f->tcp, (const struct sockaddr *)&c->rt->upstream_addr, on_fetch_connect);
	if (rc < 0)
		fail(f, uv_strerror(rc));
}
