/* The proxied exchange: sends the regenerated request head, streams the
 * request body to MLflow and the response back, each direction through
 * bounded blocks with back-pressure (reading stops while the other side's
 * write queue is above HIGH_WATER). Framing toward each side is regenerated
 * from our own parse; nothing the peer sent about framing is copied. */
#include "http/conn.h"
#include "core/log.h"
#include "core/mem.h"
#include "authz/mlflow_params.h"
#include "authz/mlflow_routes.h"
#include "http/authz_stage.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HIGH_WATER (256 * 1024)
#define LOW_WATER (64 * 1024)

const char *errpage_reason(int status);

static const char crlf[] = "\r\n";

static void upstream_failed(struct conn *c, int status, const char *why)
{
	if (c->resp_head_done) {
		/* Part of the response is out: the only honest signal left is to close. */
		log_error("upstream %s: %s after the response started request_id=%s", c->rt->upstream_name, why,
			  c->ri.request_id);
		proxy_abort(c);
		return;
	}
	log_error("upstream %s: %s request_id=%s", c->rt->upstream_name, why, c->ri.request_id);
	c->ri.upstream_end_ms = server_now_ms();
	if (status == 504)
		errpage_send(c, 504, "DEADLINE_EXCEEDED", "MLflow did not answer in time; try again shortly", NULL);
	else
		errpage_send(c, 502, "TEMPORARILY_UNAVAILABLE", "MLflow is unavailable; try again shortly", NULL);
}

void proxy_abort(struct conn *c)
{
	if (c->state == CS_CLOSING)
		return;
	if (c->ri.method[0] && c->state != CS_IDLE) {
		if (c->ri.status == 0 || !c->resp_done)
			c->ri.status = c->resp_head_done ? c->ri.status : 499;	/* nginx: client closed request */
		conn_log_access(c);
	}
	conn_close(c);
}

static void response_complete(struct conn *c);

static void body_limit_exceeded(struct conn *c);

static void write_up(struct conn *c, uv_buf_t *bufs, unsigned n, struct block *blk)
{
	if (c->req_discard)
		return;
	if (c->req_buffering) {
		for (unsigned i = 0; i < n; i++) {
			if (buf_append(&c->body, bufs[i].base, bufs[i].len)) {
				body_limit_exceeded(c);
				return;
			}
		}
		return;
	}
	upstream_write(c->up, bufs, n, blk);
	if (c->state == CS_PROXY && c->up && upstream_write_queue(c->up) > HIGH_WATER)
		conn_read_stop(c);
}

static void body_limit_exceeded(struct conn *c)
{
	log_info("request body from %s over the limit request_id=%s", c->peer, c->ri.request_id);
	c->keep_alive = false;
	if (!c->resp_head_done)
		errpage_send(c, 413, "REQUEST_LIMIT_EXCEEDED", "Request body too large", NULL);
	else
		proxy_abort(c);
}

static bool request_is_unambiguous(struct conn *c);

/* The request is complete enough to decide on: authorise it (authenticated
 * callers) or send it (public paths). */
static void proxy_go(struct conn *c)
{
	if (c->authed)
		authz_stage_run(c, c->route ? &c->rmatch : NULL);
	else
		proxy_connect(c);
}

static void req_body_finished(struct conn *c, const char *rest, size_t rest_len)
{
	c->req_body_done = true;
	if (c->req_buffering) {
		c->req_buffering = false;
		c->body_buffered = true;
		if (rest_len && buf_append(&c->in, rest, rest_len))
			c->keep_alive = false;
		conn_set_timer(c, 0);
		if (c->route && !request_is_unambiguous(c))
			return;
		proxy_go(c);
		return;
	}
	conn_set_timer(c, 0);
	if (rest_len && buf_append(&c->in, rest, rest_len)) {
		c->keep_alive = false;
		conn_read_stop(c);
	} else if (c->in.len >= (size_t)c->rt->cfg->max_header_size) {
		conn_read_stop(c);
	}
	if (c->resp_done)
		conn_request_done(c);
}

void proxy_client_body(struct conn *c, struct block *blk, const char *data, size_t len)
{
	conn_set_timer(c, c->rt->cfg->body_timeout);
	while (len > 0 && !c->req_body_done && c->state == CS_PROXY) {
		if (c->req_framing == H1_BODY_LENGTH) {
			size_t take = len < c->req_remaining ? len : (size_t)c->req_remaining;
			uv_buf_t ub = block_buf(data, take);
			c->req_remaining -= take;
			c->req_body_bytes += take;
			data += take;
			len -= take;
			if (c->req_body_limit && c->req_body_bytes > c->req_body_limit) {
				body_limit_exceeded(c);
				return;
			}
			write_up(c, &ub, 1, blk);
			if (c->req_remaining == 0)
				req_body_finished(c, data, len);
			return;
		}
		size_t used = 0, dlen = 0;
		const char *d = NULL, *err = NULL;
		int rc = h1_chunked_decode(&c->req_chunked, data, len, &used, &d, &dlen, &err);
		data += used;
		len -= used;
		if (rc == H1C_ERROR) {
			log_info("bad chunked request body from %s: %s request_id=%s", c->peer, err, c->ri.request_id);
			c->keep_alive = false;
			if (!c->resp_head_done)
				errpage_send(c, 400, "BAD_REQUEST", err, NULL);
			else
				proxy_abort(c);
			return;
		}
		if (rc == H1C_DATA && dlen > 0) {
			c->req_body_bytes += dlen;
			if (c->req_body_limit && c->req_body_bytes > c->req_body_limit) {
				body_limit_exceeded(c);
				return;
			}
			/* uv_write keeps pointers, not copies: the chunk-size line goes in
			 * a block of its own. */
			if (c->req_discard)
				continue;
			if (c->req_buffering) {
				uv_buf_t db = block_buf(d, dlen);
				write_up(c, &db, 1, blk);
				continue;
			}
			struct block *fb = block_get(&c->w->blocks);
			int fl = snprintf(fb->data, 24, "%zx\r\n", dlen);
			uv_buf_t ub[3] = { uv_buf_init(fb->data, (unsigned)fl), block_buf(d, dlen),
					   block_buf(crlf, 2) };
			upstream_write(c->up, ub, 1, fb);
			block_unref(fb);
			write_up(c, ub + 1, 2, blk);
		} else if (rc == H1C_DONE) {
			if (!c->req_buffering) {
				static char last[] = "0\r\n\r\n";
				uv_buf_t ub = uv_buf_init(last, 5);
				write_up(c, &ub, 1, NULL);
			}
			req_body_finished(c, data, len);
			return;
		}
	}
}

/* MLflow stopped taking the request (it may have answered early and
 * closed): stop sending, keep reading. The read side decides: an answer is
 * relayed (and the rest of the client's body read away), an EOF without one
 * is a 502. */
void proxy_upstream_write_failed(struct conn *c, int status)
{
	if (c->state != CS_PROXY || c->up == NULL)
		return;
	log_debug("upstream %s stopped reading the request (%s) request_id=%s", c->rt->upstream_name,
		  uv_strerror(status), c->ri.request_id);
	c->up->reusable = false;
	if (!c->req_body_done)
		c->req_discard = true;
	upstream_read_start(c->up);
}

void proxy_upstream_written(struct conn *c, int status)
{
	if (status < 0) {
		proxy_upstream_write_failed(c, status);
		return;
	}
	if (c->state == CS_PROXY && !c->req_body_done && c->up && upstream_write_queue(c->up) < LOW_WATER)
		conn_read_start(c);
}

void proxy_client_drained(struct conn *c)
{
	if (c->up_paused && c->up && conn_write_queue(c) < LOW_WATER) {
		c->up_paused = false;
		upstream_read_start(c->up);
	}
}

/* Headers never copied from MLflow's response as they are (Content-Length
 * is kept on bodiless answers such as HEAD and 304, where it describes the
 * resource, not this message). */
static bool drop_response_header(const struct h1_header *h, const struct h1_message *m,
				 const struct h1_header *conn_hdr)
{
	if (H1_NAME_IS(h, "content-length"))
		return m->framing != H1_BODY_NONE || m->status == 204;
	if (conn_hdr && h1_token_list_has(conn_hdr, h->name, h->name_len))
		return true;	/* named in MLflow's Connection: hop-by-hop */
	return H1_NAME_IS(h, "connection") || H1_NAME_IS(h, "keep-alive") || H1_NAME_IS(h, "proxy-connection") ||
	       H1_NAME_IS(h, "te") || H1_NAME_IS(h, "transfer-encoding") || H1_NAME_IS(h, "upgrade") ||
	       H1_NAME_IS(h, "trailer") || H1_NAME_IS(h, "x-request-id");
}

/* Writes the regenerated response head. Body bytes that came with it and fit
 * in the same block go out in the same write (one syscall for a typical API
 * answer); returns how many of them were taken. */
static size_t send_response_head(struct conn *c, const struct h1_message *m, const char *reason, size_t rlen,
				 const char *body, size_t body_len)
{
	bool extra_bytes = body_len > 0;
	c->resp_head_done = true;
	c->ri.status = m->status;
	c->resp_framing = m->framing;
	c->resp_remaining = m->content_length;
	h1_chunked_init(&c->resp_chunked);
	c->up->reusable = m->keep_alive && m->framing != H1_BODY_CLOSE &&
			  !(m->framing == H1_BODY_NONE && extra_bytes);
	c->resp_chunk_out = false;
	c->resp_close_out = false;
	if (m->framing == H1_BODY_CHUNKED || m->framing == H1_BODY_CLOSE) {
		if (c->ri.minor_version == 1)
			c->resp_chunk_out = true;
		else
			c->resp_close_out = true;
	}
	if (c->resp_close_out || !c->req_body_done)
		c->keep_alive = c->keep_alive && !c->resp_close_out;
	struct buf h = c->w->head_scratch;	/* reused: no allocation per response */
	buf_reset(&h);
	bool clean_reason = rlen > 0 && rlen < 64;
	for (size_t i = 0; i < rlen && clean_reason; i++)
		clean_reason = reason[i] >= 0x20 && reason[i] < 0x7f;
	buf_appends(&h, "HTTP/1.1 ");
	buf_u64(&h, (unsigned long long)m->status);
	buf_append(&h, " ", 1);
	if (clean_reason)
		buf_append(&h, reason, rlen);
	else
		buf_appends(&h, errpage_reason(m->status));
	buf_append(&h, "\r\n", 2);
	const struct h1_header *conn_hdr = h1_find(m, "connection");
	for (size_t i = 0; i < m->nheaders; i++) {
		const struct h1_header *hd = &m->headers[i];
		if (drop_response_header(hd, m, conn_hdr))
			continue;
		buf_append(&h, hd->name, hd->name_len);
		buf_append(&h, ": ", 2);
		buf_append(&h, hd->value, hd->value_len);
		buf_append(&h, "\r\n", 2);
	}
	if (m->framing == H1_BODY_LENGTH) {
		buf_appends(&h, "Content-Length: ");
		buf_u64(&h, (unsigned long long)m->content_length);
		buf_append(&h, "\r\n", 2);
	} else if (c->resp_chunk_out)
		buf_appends(&h, "Transfer-Encoding: chunked\r\n");
	else if (m->framing == H1_BODY_NONE && m->status >= 200 && m->status != 204 && m->status != 304 &&
		 !c->ri.head && h1_find(m, "content-length") == NULL)
		buf_appends(&h, "Content-Length: 0\r\n");
	buf_header(&h, "X-Request-Id", c->ri.request_id, strlen(c->ri.request_id));
	if (c->tls_listener && c->rt->cfg->hsts_max_age > 0)
		buf_printf(&h, "Strict-Transport-Security: max-age=%lld\r\n", (long long)c->rt->cfg->hsts_max_age);
	if (!c->keep_alive || c->w->draining)
		buf_appends(&h, "Connection: close\r\n");
	else if (c->ri.minor_version == 0)
		buf_appends(&h, "Connection: keep-alive\r\n");
	buf_appends(&h, "\r\n");
	size_t take = 0;
	if (m->framing == H1_BODY_LENGTH && body_len > 0) {
		take = body_len < c->resp_remaining ? body_len : (size_t)c->resp_remaining;
		if (h.len + take > BLOCK_SIZE)
			take = 0;
	}
	if (take > 0) {
		struct block *b = block_get(&c->w->blocks);
		memcpy(b->data, h.data, h.len);
		memcpy(b->data + h.len, body, take);
		uv_buf_t ub = uv_buf_init(b->data, (unsigned)(h.len + take));
		conn_write(c, &ub, 1, b);
		block_unref(b);
		c->resp_remaining -= take;
		c->ri.body_bytes_sent += take;
	} else {
		conn_write_str(c, h.data, h.len);
	}
	c->w->head_scratch = h;
	if (m->framing == H1_BODY_NONE || (m->framing == H1_BODY_LENGTH && c->resp_remaining == 0)) {
		if (body_len > take && c->up)
			c->up->reusable = false;	/* bytes past the response */
		response_complete(c);
	}
	return take;
}

static void write_client_data(struct conn *c, struct block *blk, const char *d, size_t n)
{
	if (n == 0)
		return;
	c->ri.body_bytes_sent += n;
	if (c->resp_chunk_out) {
		struct block *fb = block_get(&c->w->blocks);
		int fl = snprintf(fb->data, 24, "%zx\r\n", n);
		uv_buf_t ub[3] = { uv_buf_init(fb->data, (unsigned)fl), block_buf(d, n),
				   block_buf(crlf, 2) };
		conn_write(c, ub, 1, fb);
		block_unref(fb);
		conn_write(c, ub + 1, 2, blk);
	} else {
		uv_buf_t ub = block_buf(d, n);
		conn_write(c, &ub, 1, blk);
	}
	if (c->state == CS_PROXY && c->up && conn_write_queue(c) > HIGH_WATER) {
		c->up_paused = true;
		upstream_read_stop(c->up);
	}
	/* While the request body still streams, the timer watches the body. */
	if (c->state == CS_PROXY && c->req_body_done)
		conn_set_timer(c, conn_write_queue(c) ? c->rt->cfg->send_timeout : 0);
}

static void response_body(struct conn *c, struct block *blk, const char *data, size_t len)
{
	while (len > 0 && c->state == CS_PROXY && !c->resp_done) {
		switch (c->resp_framing) {
		case H1_BODY_LENGTH: {
			size_t take = len < c->resp_remaining ? len : (size_t)c->resp_remaining;
			write_client_data(c, blk, data, take);
			c->resp_remaining -= take;
			len -= take;
			if (c->resp_remaining == 0) {
				if (len > 0 && c->up)
					c->up->reusable = false;	/* bytes past the body */
				response_complete(c);
			}
			return;
		}
		case H1_BODY_CHUNKED: {
			size_t used = 0, dlen = 0;
			const char *d = NULL, *err = NULL;
			int rc = h1_chunked_decode(&c->resp_chunked, data, len, &used, &d, &dlen, &err);
			data += used;
			len -= used;
			if (rc == H1C_ERROR) {
				upstream_failed(c, 502, err);
				return;
			}
			if (rc == H1C_DATA)
				write_client_data(c, blk, d, dlen);
			else if (rc == H1C_DONE) {
				if (len > 0 && c->up)
					c->up->reusable = false;
				response_complete(c);
				return;
			}
			break;
		}
		case H1_BODY_CLOSE:
			write_client_data(c, blk, data, len);
			return;
		default:
			return;
		}
	}
}

static void response_complete(struct conn *c)
{
	if (c->resp_done)
		return;
	c->resp_done = true;
	c->ri.upstream_end_ms = server_now_ms();
	if (c->up)
		upstream_set_timer(c->up, 0);
	if (c->resp_chunk_out) {
		static char last[] = "0\r\n\r\n";
		uv_buf_t ub = uv_buf_init(last, 5);
		conn_write(c, &ub, 1, NULL);
	}
	if (c->state != CS_PROXY)
		return;
	if (!c->req_body_done) {
		/* MLflow answered before the body was in (an early error, or an
		 * upstream that does not read bodies). Closing now would reset the
		 * client mid-upload and could destroy the answer; instead drop the
		 * MLflow connection and read the rest of the body away (bounded by
		 * timeouts.body per stall), then carry on. */
		if (c->up) {
			c->up->reusable = false;
			upstream_close(c->up);
			c->up = NULL;
		}
		c->req_discard = true;
		conn_set_timer(c, c->rt->cfg->body_timeout);
		conn_read_start(c);
		return;
	}
	if (c->resp_close_out)
		c->keep_alive = false;
	conn_set_timer(c, 0);
	conn_request_done(c);
}

/* ---- capture: the answer read whole before the client sees it ---- */

static void capture_complete(struct conn *c)
{
	c->resp_done = true;
	c->ri.upstream_end_ms = server_now_ms();
	if (c->up) {
		struct upstream *u = c->up;
		upstream_set_timer(u, 0);
		c->up = NULL;
		u->c = NULL;
		if (u->reusable)
			upstream_release(u);
		else
			upstream_close(u);
	}
	c->cap_done(c);
}

static void capture_body(struct conn *c, const char *data, size_t len)
{
	while (len > 0 && c->state == CS_PROXY && !c->resp_done) {
		const char *d = data;
		size_t n = len;
		if (c->resp_framing == H1_BODY_LENGTH) {
			n = len < c->resp_remaining ? len : (size_t)c->resp_remaining;
			c->resp_remaining -= n;
			if (len > n && c->up)
				c->up->reusable = false;
			len = 0;
		} else if (c->resp_framing == H1_BODY_CHUNKED) {
			size_t used = 0;
			const char *err = NULL;
			int rc = h1_chunked_decode(&c->resp_chunked, data, len, &used, &d, &n, &err);
			data += used;
			len -= used;
			if (rc == H1C_ERROR) {
				upstream_failed(c, 502, err);
				return;
			}
			if (rc == H1C_DONE) {
				if (len > 0 && c->up)
					c->up->reusable = false;
				capture_complete(c);
				return;
			}
			if (rc != H1C_DATA)
				return;
		} else {
			len = 0;
		}
		if (n && buf_append(&c->cap_body, d, n)) {
			if (c->up)
				c->up->reusable = false;
			upstream_failed(c, 502, "answer too large to inspect");
			return;
		}
		if (c->resp_framing == H1_BODY_LENGTH && c->resp_remaining == 0) {
			capture_complete(c);
			return;
		}
	}
}

static void capture_head(struct conn *c, const struct h1_message *m, const char *rest, size_t rest_len)
{
	c->cap_head_done = true;
	c->cap_status = m->status;
	c->resp_framing = m->framing;
	c->resp_remaining = m->content_length;
	h1_chunked_init(&c->resp_chunked);
	c->up->reusable = m->keep_alive && m->framing != H1_BODY_CLOSE;
	const struct h1_header *ct = h1_find(m, "content-type");
	if (ct && ct->value_len < sizeof c->cap_ctype)
		snprintf(c->cap_ctype, sizeof c->cap_ctype, "%.*s", (int)ct->value_len, ct->value);
	else
		snprintf(c->cap_ctype, sizeof c->cap_ctype, "application/json");
	buf_init(&c->cap_body, (size_t)c->rt->cfg->max_json_body_size);
	if (m->framing == H1_BODY_NONE || (m->framing == H1_BODY_LENGTH && m->content_length == 0)) {
		if (rest_len && c->up)
			c->up->reusable = false;
		capture_complete(c);
		return;
	}
	capture_body(c, rest, rest_len);
}

void proxy_send_captured(struct conn *c)
{
	if (c->state != CS_PROXY)
		return;
	local_response(c, c->cap_status, c->cap_ctype, NULL, c->cap_body.data ? c->cap_body.data : "", c->cap_body.len);
}

void proxy_upstream_read(struct conn *c, struct block *blk, const char *data, size_t len)
{
	if (c->state != CS_PROXY)
		return;
	upstream_set_timer(c->up, c->rt->cfg->upstream_response_timeout);
	if (c->cap_head_done) {
		capture_body(c, data, len);
		return;
	}
	if (c->resp_head_done) {
		response_body(c, blk, data, len);
		return;
	}
	struct upstream *u = c->up;
	if (buf_append(&u->in, data, len)) {
		u->reusable = false;
		upstream_failed(c, 502, "response head too large");
		return;
	}
	struct h1_limits lim = { .max_head = 60 * 1024, .max_target = 8192 };
	for (;;) {
		struct h1_message *m = &c->w->resp_msg;
		const char *err = NULL;
		int rc = h1_parse_response(u->in.data, u->in.len, &lim, c->ri.head, m, &err);
		if (rc == 0)
			return;
		if (rc < 0) {
			u->reusable = false;
			upstream_failed(c, 502, err);
			return;
		}
		if (m->status < 200) {
			if (m->status == 101) {
				u->reusable = false;
				upstream_failed(c, 502, "protocol switch not supported");
				return;
			}
			buf_consume(&u->in, (size_t)rc);	/* interim 1xx: dropped */
			continue;
		}
		const char *reason = u->in.data + 13;
		const char *eol = memchr(u->in.data, '\r', u->in.len);
		size_t rlen = eol && eol > reason ? (size_t)(eol - reason) : 0;
		size_t rest = u->in.len - (size_t)rc;
		if (c->capture) {
			char *copy = mem_alloc(rest + 1);
			memcpy(copy, u->in.data + rc, rest);
			buf_reset(&u->in);
			capture_head(c, m, copy, rest);
			free(copy);
			return;
		}
		/* Body bytes that came with the head are copied out first: finishing
		 * this response may start the next pipelined request on u. */
		struct block *b = NULL;
		if (rest > 0) {
			b = block_get(&c->w->blocks);
			memcpy(b->data, u->in.data + rc, rest);	/* rest < u->in.max == BLOCK_SIZE */
		}
		buf_reset(&u->in);	/* reason stays readable: reset keeps the bytes */
		size_t took = send_response_head(c, m, reason, rlen, b ? b->data : NULL, rest);
		if (b) {
			if (c->state == CS_PROXY && c->up == u && !c->resp_done && rest > took)
				response_body(c, b, b->data + took, rest - took);
			block_unref(b);
		}
		return;
	}
}

static void on_retry_ready(struct conn *c, int status);

void proxy_upstream_eof(struct conn *c, int status)
{
	if (c->state != CS_PROXY)
		return;
	if (c->resp_head_done && c->resp_framing == H1_BODY_CLOSE && status == UV_EOF) {
		response_complete(c);
		return;
	}
	if (c->cap_head_done && c->resp_framing == H1_BODY_CLOSE && status == UV_EOF) {
		if (c->up)
			c->up->reusable = false;
		capture_complete(c);
		return;
	}
	if (!c->resp_head_done && !c->cap_head_done && c->up && c->up->reused && c->up->in.len == 0 &&
	    (c->req_framing == H1_BODY_NONE || c->body_buffered) && !c->retried) {
		/* A pooled connection MLflow had just closed: try once on a new one. */
		upstream_close(c->up);
		c->up = NULL;
		c->retried = true;
		c->head_sent = false;
		upstream_acquire(c->w, c, on_retry_ready);
		return;
	}
	upstream_failed(c, 502, status == UV_EOF ? "closed the connection before the response was complete"
						 : uv_strerror(status));
}

void proxy_upstream_timeout(struct conn *c)
{
	if (c->state != CS_PROXY)
		return;
	if (c->up)
		c->up->reusable = false;
	upstream_failed(c, 504, "no response within upstream.response_timeout");
}

/* Body bytes that arrived with the head sit in c->in (with any pipelined
 * request after them): feed them through the body path. */
static void feed_pending_body(struct conn *c)
{
	if (c->in.len == 0 || c->req_body_done)
		return;
	struct buf pending = c->in;
	buf_init(&c->in, pending.max);
	size_t off = 0;
	while (off < pending.len && c->state == CS_PROXY) {
		if (c->req_body_done) {
			if (buf_append(&c->in, pending.data + off, pending.len - off))
				c->keep_alive = false;
			break;
		}
		struct block *pb = block_get(&c->w->blocks);
		size_t n = pending.len - off < BLOCK_SIZE ? pending.len - off : BLOCK_SIZE;
		memcpy(pb->data, pending.data + off, n);
		proxy_client_body(c, pb, pb->data, n);
		block_unref(pb);
		off += n;
	}
	buf_free(&pending);
}

/* Sends the head (with the identity header) and whatever body bytes came
 * with it, then lets the client's body flow. */
static void send_request(struct conn *c)
{
	struct upstream *u = c->up;
	if (!c->retried) {	/* a retry resends the finished head */
		/* framing regenerated from our own parse (or the buffered body) */
		if (c->body_buffered) {
			buf_appends(&c->uphead, "Content-Length: ");
			buf_u64(&c->uphead, (unsigned long long)c->body.len);
			buf_appends(&c->uphead, "\r\n");
		} else if (c->req_framing == H1_BODY_LENGTH) {
			buf_appends(&c->uphead, "Content-Length: ");
			buf_u64(&c->uphead, (unsigned long long)c->req_content_length);
			buf_appends(&c->uphead, "\r\n");
		} else if (c->req_framing == H1_BODY_CHUNKED) {
			buf_appends(&c->uphead, "Transfer-Encoding: chunked\r\n");
		} else if (c->req_cl_zero) {
			buf_appends(&c->uphead, "Content-Length: 0\r\n");
		}
		if (c->ri.user[0])
			buf_header(&c->uphead, c->rt->cfg->user_header, c->ri.user, strlen(c->ri.user));
		buf_appends(&c->uphead, "\r\n");
	}
	/* A length-framed body that came with the head (a typical JSON API call)
	 * goes out in the same write as the head. */
	size_t take = 0;
	if (c->req_framing == H1_BODY_LENGTH && !c->req_body_done && c->in.len > 0) {
		take = c->in.len < c->req_remaining ? c->in.len : (size_t)c->req_remaining;
		if (c->uphead.len + take > BLOCK_SIZE)
			take = 0;
	}
	/* so does a buffered body that fits in the head's block (one write, one
	 * segment, one wake-up of MLflow instead of two) */
	size_t with = c->body_buffered && c->uphead.len + take + c->body.len <= BLOCK_SIZE ? c->body.len : 0;
	struct block *b = block_get(&c->w->blocks);
	if (c->uphead.len + take <= BLOCK_SIZE) {
		memcpy(b->data, c->uphead.data, c->uphead.len);
		if (take)
			memcpy(b->data + c->uphead.len, c->in.data, take);
		if (with)
			memcpy(b->data + c->uphead.len + take, c->body.data, with);
		uv_buf_t ub = uv_buf_init(b->data, (unsigned)(c->uphead.len + take + with));
		upstream_write(u, &ub, 1, b);
	} else {
		for (size_t off = 0; off < c->uphead.len;) {
			size_t n = c->uphead.len - off < BLOCK_SIZE ? c->uphead.len - off : BLOCK_SIZE;
			memcpy(b->data, c->uphead.data + off, n);
			uv_buf_t ub = uv_buf_init(b->data, (unsigned)n);
			upstream_write(u, &ub, 1, b);
			block_unref(b);
			b = block_get(&c->w->blocks);
			off += n;
		}
	}
	block_unref(b);
	c->head_sent = true;
	for (size_t off = with; c->body_buffered && off < c->body.len;) {
		size_t n = c->body.len - off < BLOCK_SIZE ? c->body.len - off : BLOCK_SIZE;
		struct block *bb = block_get(&c->w->blocks);
		memcpy(bb->data, c->body.data + off, n);
		uv_buf_t ub = uv_buf_init(bb->data, (unsigned)n);
		upstream_write(u, &ub, 1, bb);
		block_unref(bb);
		off += n;
	}
	if (take > 0) {
		buf_consume(&c->in, take);
		c->req_remaining -= take;
		c->req_body_bytes += take;
		if (c->req_remaining == 0)
			req_body_finished(c, NULL, 0);
	}
	if (c->state != CS_PROXY || c->up == NULL)
		return;
	upstream_read_start(u);
	upstream_set_timer(u, c->rt->cfg->upstream_response_timeout);
	if (c->req_body_done)
		return;
	if (c->expect_continue)
		conn_write_str(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	feed_pending_body(c);
	if (c->state == CS_PROXY && !c->req_body_done) {
		conn_set_timer(c, c->rt->cfg->body_timeout);
		if (upstream_write_queue(u) < HIGH_WATER)
			conn_read_start(c);
	}
}

static void on_upstream_ready(struct conn *c, int status)
{
	if (c->state != CS_PROXY)
		return;
	if (status < 0) {
		c->ri.upstream_end_ms = server_now_ms();
		errpage_send(c, 502, "TEMPORARILY_UNAVAILABLE", "MLflow is unavailable; try again shortly", NULL);
		return;
	}
	send_request(c);
}

static void on_retry_ready(struct conn *c, int status)
{
	on_upstream_ready(c, status);
}

void proxy_connect(struct conn *c)
{
	c->ri.upstream_used = true;
	c->ri.upstream_start_ms = server_now_ms();
	upstream_acquire(c->w, c, on_upstream_ready);
}

void proxy_connect_soon(struct conn *c)
{
	struct worker *w = c->w;
	if (w->later.n == w->later.cap) {
		w->later.cap = w->later.cap ? 2 * w->later.cap : 64;
		w->later.c = mem_realloc(w->later.c, w->later.cap * sizeof *w->later.c);
	}
	w->later.c[w->later.n++] = c;
	conn_pin(c);
}

void proxy_connect_queued(struct worker *w)
{
	/* one closed meanwhile is only let go; one queued by this loop (the
	 * next pipelined request, after one answered at once) is taken too */
	for (size_t i = 0; i < w->later.n; i++) {
		struct conn *c = w->later.c[i];
		if (c->state == CS_PROXY && c->up == NULL)
			proxy_connect(c);
		conn_unpin(c);
	}
	w->later.n = 0;
}

/* Refuses what MLflow would read differently from a careful reader
 * (mlflow-api.md §1.2, the oidc-plugin bypasses): a GET or HEAD with a body,
 * an id field given in both snake_case and camelCase, duplicate JSON keys,
 * a body that is not a JSON object. Answers 400 and returns false. */
static bool request_is_unambiguous(struct conn *c)
{
	const struct mlflow_route *r = c->route;
	if (r->source != ID_PARAMS || r->field == NULL)
		return true;
	const char *q = strchr(c->ri.target, '?');
	const char *query = q ? q + 1 : "";
	const char *err = NULL;
	int rc = mlflow_params_extract_body(c->ri.method, query, strlen(query), conn_params_body(c), r->field,
					    c->w->params, &err);
	if (rc == 0)
		return true;
	log_info("refused %s %s from %s: %s request_id=%s", c->ri.method, c->ri.path, c->ri.client, err,
		 c->ri.request_id);
	c->keep_alive = c->keep_alive && c->req_body_done;
	errpage_send(c, 400, "INVALID_PARAMETER_VALUE", err, NULL);
	return false;
}

/* Routes whose parameters MLflow may read from a JSON body: everything but
 * artifact contents (mlflow-artifacts uploads and the raw upload-artifact
 * body). */
static bool route_reads_json(const struct mlflow_route *r)
{
	if (r->resource == RES_ARTIFACT)	/* multipart-upload calls carry a JSON body naming a path */
		return strstr(r->rpc, "MultipartUpload") != NULL;
	if (r->source == ID_HEADER)	/* OTLP bodies are protobuf or JSON we do not read */
		return false;
	return !(r->source == ID_QUERY && strcmp(r->method, "POST") == 0);
}

/* MLflow API calls whose parameters are in a JSON body are read whole
 * (bounded by limits.max_json_body_size) before MLflow is contacted, so the
 * request can be inspected; MLflow gets the same bytes with a Content-Length.
 * Artifact bodies and unknown routes stream as they come. */
void proxy_start(struct conn *c)
{
	c->state = CS_PROXY;
	bool matched = mlflow_routes_match(c->ri.method, c->ri.path, strlen(c->ri.path), &c->rmatch) == 0;
	c->route = matched ? c->rmatch.route : NULL;
	if (!matched || !route_reads_json(c->route)) {
		proxy_go(c);	/* not an API call read from a JSON body: decide now, stream the body */
		return;
	}
	if (!c->req_body_done && (strcmp(c->ri.method, "GET") == 0 || c->ri.head)) {
		/* MLflow would read the body when the query is empty: refuse. */
		log_info("refused %s %s with a body from %s request_id=%s", c->ri.method, c->ri.path, c->peer,
			 c->ri.request_id);
		errpage_send(c, 400, "INVALID_PARAMETER_VALUE", "GET or HEAD request with a body", NULL);
		return;
	}
	if (c->req_body_done) {
		if (request_is_unambiguous(c))
			proxy_go(c);
		return;
	}
	uint64_t limit = (uint64_t)c->rt->cfg->max_json_body_size;
	if (c->req_body_limit && c->req_body_limit < limit)
		limit = c->req_body_limit;
	if (c->req_framing == H1_BODY_LENGTH && c->req_content_length > limit) {
		body_limit_exceeded(c);
		return;
	}
	c->req_buffering = true;
	buf_init(&c->body, (size_t)limit);
	if (c->expect_continue)
		conn_write_str(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	feed_pending_body(c);
	if (c->state == CS_PROXY && c->req_buffering) {
		conn_set_timer(c, c->rt->cfg->body_timeout);
		conn_read_start(c);
	}
}
