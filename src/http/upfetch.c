/* The gateway's own requests to MLflow, on connections of their own (never
 * the proxy's pool, so nothing is pipelined behind a client's exchange),
 * kept alive in a small per-worker pool between requests: an answer is
 * complete when its framing says so, and the connection goes back to the
 * pool when MLflow keeps it open. A pooled connection MLflow had closed is
 * retried once on a new one. */
#include "http/upfetch.h"
#include "http/conn.h"
#include "core/log.h"
#include "core/mem.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ANSWER_MAX (16u << 20)	/* a run with all its data, a search page */

#define POOL_MAX 32

struct upfetch {
	uv_tcp_t tcp;
	uv_connect_t creq;
	uv_write_t wreq;
	uv_timer_t timer;
	struct worker *w;
	struct upfetch *next;		/* in flight list, or the idle pool */
	struct runtime *rt;		/* a reference: pooled connections outlive requests */
	char *req;
	size_t req_len;
	struct buf in;
	upfetch_cb cb;
	void *arg;
	int closes_pending;
	bool finished;			/* the answer was handed over (or given up) */
	bool idle;			/* in the pool */
	bool reused;			/* this exchange runs on a pooled connection */
	bool retried;
	bool keep;			/* MLflow keeps the connection open */
};

static void start_on(struct upfetch *f);
static void restart_fresh(struct upfetch *f);

static void on_closed(uv_handle_t *h)
{
	struct upfetch *f = h->data;
	if (--f->closes_pending == 0) {
		buf_free(&f->in);
		free(f->req);
		runtime_unref(f->rt);
		free(f);
	}
}

static void unlink_from(struct upfetch **head, struct upfetch *f)
{
	while (*head && *head != f)
		head = &(*head)->next;
	if (*head)
		*head = f->next;
	f->next = NULL;
}

static void close_conn(struct upfetch *f)
{
	if (f->closes_pending)
		return;
	f->closes_pending = 2;
	uv_close((uv_handle_t *)&f->tcp, on_closed);
	uv_close((uv_handle_t *)&f->timer, on_closed);
}

static void on_idle_timeout(uv_timer_t *t)
{
	struct upfetch *f = t->data;
	unlink_from(&f->w->upf_idle, f);
	f->w->upf_nidle--;
	close_conn(f);
}

static void finish(struct upfetch *f, const struct upfetch_result *r, bool reusable)
{
	if (f->finished)
		return;
	f->finished = true;
	unlink_from(&f->w->upfetches, f);
	struct worker *w = f->w;
	/* pooled before the callback runs, so a follow-up request (a search's
	 * next page) reuses this connection; r->body stays readable meanwhile */
	bool pool = reusable && f->keep && !w->draining && w->upf_nidle < POOL_MAX &&
		    f->rt->cfg->upstream_keepalive_timeout;
	if (pool) {
		free(f->req);
		f->req = NULL;
		f->in.len = 0;
		f->idle = true;
		f->next = w->upf_idle;
		w->upf_idle = f;
		w->upf_nidle++;
		uv_timer_start(&f->timer, on_idle_timeout, f->rt->cfg->upstream_keepalive_timeout, 0);
	}
	f->cb(f->arg, r);
	if (!pool)
		close_conn(f);
}

static void fail(struct upfetch *f, const char *why)
{
	if (f->reused && !f->retried && f->in.len == 0 && !f->finished) {
		restart_fresh(f);	/* the pooled connection was closed by MLflow */
		return;
	}
	struct upfetch_result r = { .status = 0, .why = why };
	finish(f, &r, false);
}

/* Hands the answer over once it is complete: by its framing, or at the
 * end of the connection for an answer delimited by it (eof). Returns true
 * when it was handed over (or failed). */
static bool try_complete(struct upfetch *f, bool eof)
{
	struct h1_message *m = &f->w->resp_msg;
	const char *err = NULL;
	struct h1_limits lim = { .max_head = 64 * 1024, .max_target = 0 };
	int hl = h1_parse_response(f->in.data, f->in.len, &lim, false, m, &err);
	if (hl == 0 && !eof)
		return false;
	if (hl <= 0) {
		fail(f, hl == 0 ? "truncated answer" : err);
		return true;
	}
	const char *body = f->in.data + hl;
	size_t blen = f->in.len - (size_t)hl;
	char *decoded = NULL;
	bool exact = false;
	if (m->framing == H1_BODY_LENGTH) {
		if (blen < m->content_length) {
			if (eof)
				fail(f, "truncated body");
			return eof;
		}
		exact = blen == m->content_length;
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
			if (rc == H1C_ERROR)
				fail(f, err);
			else if (eof)
				fail(f, "truncated chunked body");
			return rc == H1C_ERROR || eof;
		}
		exact = left == 0;
		body = decoded;
		blen = out;
	} else if (m->framing == H1_BODY_NONE) {
		exact = blen == 0;
		blen = 0;
	} else if (!eof) {
		return false;	/* until the connection ends */
	}
	f->keep = m->keep_alive && m->framing != H1_BODY_CLOSE && !eof;
	struct upfetch_result r = { .status = m->status, .body = body, .len = blen };
	finish(f, &r, exact);
	free(decoded);
	return true;
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	(void)hint;
	static char dummy[1];
	struct upfetch *f = h->data;
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

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct upfetch *f = s->data;
	if (f->idle) {	/* MLflow closed (or spoke on) a pooled connection */
		if (n != 0) {
			unlink_from(&f->w->upf_idle, f);
			f->w->upf_nidle--;
			f->idle = false;
			close_conn(f);
		}
		return;
	}
	if (f->finished)
		return;
	if (n > 0) {
		if (b->base < f->in.data || b->base >= f->in.data + f->in.cap) {
			fail(f, "answer too large");
			return;
		}
		f->in.len += (size_t)n;
		try_complete(f, false);
		return;
	}
	if (n == UV_EOF)
		try_complete(f, true);
	else if (n < 0)
		fail(f, uv_strerror((int)n));
}

static void on_written(uv_write_t *req, int status)
{
	struct upfetch *f = req->data;
	if (status < 0 && !f->finished)
		fail(f, uv_strerror(status));
}

static void on_connect(uv_connect_t *req, int status)
{
	struct upfetch *f = req->data;
	if (f->finished)
		return;
	if (status < 0) {
		fail(f, uv_strerror(status));
		return;
	}
	start_on(f);
}

/* Sends the request on f's (connected) connection. */
static void start_on(struct upfetch *f)
{
	uv_buf_t b = uv_buf_init(f->req, (unsigned)f->req_len);
	f->wreq.data = f;
	/* a request fits the socket's buffer: written at once, it needs no write
	 * request (whose completion re-registers the socket with epoll) */
	int w = uv_try_write((uv_stream_t *)&f->tcp, &b, 1);
	if (w < 0 && w != UV_EAGAIN) {
		fail(f, uv_strerror(w));
		return;
	}
	if (w > 0) {
		b.base += w;
		b.len -= (size_t)w;
	}
	if ((b.len > 0 && uv_write(&f->wreq, (uv_stream_t *)&f->tcp, &b, 1, on_written) < 0) ||
	    (!f->reused && uv_read_start((uv_stream_t *)&f->tcp, on_alloc, on_read) < 0))
		fail(f, "cannot send");
}

static void on_timeout(uv_timer_t *t)
{
	fail(t->data, "MLflow did not answer in time");
}

void upfetch_abort_all(struct worker *w)
{
	while (w->upfetches) {
		w->upfetches->retried = true;	/* no retry now */
		fail(w->upfetches, "shutting down");
	}
	while (w->upf_idle) {
		struct upfetch *f = w->upf_idle;
		w->upf_idle = f->next;
		f->idle = false;
		close_conn(f);
	}
	w->upf_nidle = 0;
}

static void connect_new(struct upfetch *f)
{
	struct worker *w = f->w;
	uv_tcp_init(&w->loop, &f->tcp);
	uv_timer_init(&w->loop, &f->timer);
	f->tcp.data = f;
	f->timer.data = f;
	f->creq.data = f;
	const struct config *cfg = f->rt->cfg;
	uv_timer_start(&f->timer, on_timeout, cfg->upstream_connect_timeout + cfg->upstream_response_timeout, 0);
	int rc = uv_tcp_connect(&f->creq, &f->tcp, (const struct sockaddr *)&f->rt->upstream_addr, on_connect);
	if (rc < 0) {
		/* cb must run later, never inside the caller */
		uv_timer_start(&f->timer, on_timeout, 0, 0);
		log_error("connecting to MLflow for a look-up failed: %s", uv_strerror(rc));
	}
}

/* The same request again on a new connection; f's connection is closed
 * without its callback running. */
static void restart_fresh(struct upfetch *f)
{
	struct upfetch *g = mem_calloc(1, sizeof *g);
	g->w = f->w;
	g->rt = runtime_ref(f->rt);
	g->cb = f->cb;
	g->arg = f->arg;
	g->req = f->req;
	g->req_len = f->req_len;
	g->retried = true;
	f->req = NULL;
	buf_init(&g->in, ANSWER_MAX);
	unlink_from(&f->w->upfetches, f);
	f->finished = true;
	close_conn(f);
	g->next = g->w->upfetches;
	g->w->upfetches = g;
	connect_new(g);
}

void upfetch_start(struct worker *w, struct runtime *rt, const char *method, const char *target,
		   const char *extra_headers, const char *body, size_t len, upfetch_cb cb, void *arg)
{
	struct buf b;
	buf_init(&b, strlen(target) + len + 4096 + (extra_headers ? strlen(extra_headers) : 0));
	buf_printf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nAccept: application/json\r\nUser-Agent: mlgate-authz\r\n",
		   method, target, rt->upstream_hosthdr[0] ? rt->upstream_hosthdr : rt->upstream_name);
	if (extra_headers)
		buf_appends(&b, extra_headers);
	if (body) {
		buf_appends(&b, "Content-Type: application/json\r\nContent-Length: ");
		buf_u64(&b, (unsigned long long)len);
		buf_appends(&b, "\r\n\r\n");
		buf_append(&b, body, len);
	} else {
		buf_appends(&b, "\r\n");
	}
	struct upfetch *f = w->upf_idle;
	if (f && f->rt == rt) {
		w->upf_idle = f->next;
		w->upf_nidle--;
		f->idle = false;
		f->finished = false;
		f->reused = true;
		f->retried = false;
		f->keep = false;
		f->cb = cb;
		f->arg = arg;
		f->req = b.data;
		f->req_len = b.len;
		f->next = w->upfetches;
		w->upfetches = f;
		const struct config *cfg = rt->cfg;
		uv_timer_start(&f->timer, on_timeout, cfg->upstream_response_timeout, 0);
		start_on(f);
		return;
	}
	f = mem_calloc(1, sizeof *f);
	f->w = w;
	f->rt = runtime_ref(rt);
	f->cb = cb;
	f->arg = arg;
	f->req = b.data;
	f->req_len = b.len;
	buf_init(&f->in, ANSWER_MAX);
	f->next = w->upfetches;
	w->upfetches = f;
	connect_new(f);
}
