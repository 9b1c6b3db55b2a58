/* The gateway's own requests to MLflow. Each has its own connection, so a
 * slow answer never holds a pooled one and nothing is pipelined behind it;
 * they are rare (answers are cached, search refills are bounded). */
#include "http/upfetch.h"
#include "http/conn.h"
#include "core/log.h"
#include "core/mem.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ANSWER_MAX (16u << 20)	/* a run with all its data, a search page */

struct upfetch {
	uv_tcp_t tcp;
	uv_connect_t creq;
	uv_write_t wreq;
	uv_timer_t timer;
	struct worker *w;
	struct upfetch *next;
	char *req;
	size_t req_len;
	struct buf in;
	upfetch_cb cb;
	void *arg;
	int closes_pending;
	bool finished;
};

static void on_closed(uv_handle_t *h)
{
	struct upfetch *f = h->data;
	if (--f->closes_pending == 0) {
		buf_free(&f->in);
		free(f->req);
		free(f);
	}
}

static void finish(struct upfetch *f, const struct upfetch_result *r)
{
	if (f->finished)
		return;
	f->finished = true;
	struct upfetch **pp = &f->w->upfetches;
	while (*pp && *pp != f)
		pp = &(*pp)->next;
	if (*pp)
		*pp = f->next;
	f->cb(f->arg, r);
	f->closes_pending = 2;
	uv_close((uv_handle_t *)&f->tcp, on_closed);
	uv_close((uv_handle_t *)&f->timer, on_closed);
}

static void fail(struct upfetch *f, const char *why)
{
	struct upfetch_result r = { .status = 0, .why = why };
	finish(f, &r);
}

/* The whole answer is in f->in (the peer closed): parse the head and body. */
static void answer_complete(struct upfetch *f)
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
	struct upfetch_result r = { .status = m->status, .body = body, .len = blen };
	finish(f, &r);
	free(decoded);
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
	if (n == UV_EOF)
		answer_complete(f);
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
	uv_buf_t b = uv_buf_init(f->req, (unsigned)f->req_len);
	f->wreq.data = f;
	if (uv_write(&f->wreq, (uv_stream_t *)&f->tcp, &b, 1, on_written) < 0 ||
	    uv_read_start((uv_stream_t *)&f->tcp, on_alloc, on_read) < 0)
		fail(f, "cannot send");
}

static void on_timeout(uv_timer_t *t)
{
	fail(t->data, "MLflow did not answer in time");
}

void upfetch_abort_all(struct worker *w)
{
	while (w->upfetches)
		fail(w->upfetches, "shutting down");
}

void upfetch_start(struct worker *w, const struct runtime *rt, const char *method, const char *target,
		   const char *extra_headers, const char *body, size_t len, upfetch_cb cb, void *arg)
{
	struct upfetch *f = mem_calloc(1, sizeof *f);
	f->w = w;
	f->cb = cb;
	f->arg = arg;
	f->next = w->upfetches;
	w->upfetches = f;
	buf_init(&f->in, ANSWER_MAX);
	struct buf b;
	buf_init(&b, strlen(target) + len + 4096 + (extra_headers ? strlen(extra_headers) : 0));
	buf_printf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nAccept: application/json\r\nUser-Agent: mlgate-authz\r\n"
		   "Connection: close\r\n", method, target, rt->upstream_hosthdr[0] ? rt->upstream_hosthdr : rt->upstream_name);
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
	f->req = b.data;
	f->req_len = b.len;
	uv_tcp_init(&w->loop, &f->tcp);
	uv_timer_init(&w->loop, &f->timer);
	f->tcp.data = f;
	f->timer.data = f;
	f->creq.data = f;
	const struct config *cfg = rt->cfg;
	uv_timer_start(&f->timer, on_timeout, cfg->upstream_connect_timeout + cfg->upstream_response_timeout, 0);
	int rc = uv_tcp_connect(&f->creq, &f->tcp, (const struct sockaddr *)&rt->upstream_addr, on_connect);
	if (rc < 0) {
		/* cb must run later, never inside the caller */
		uv_timer_start(&f->timer, on_timeout, 0, 0);
		log_error("connecting to MLflow for a look-up failed: %s", uv_strerror(rc));
	}
}
