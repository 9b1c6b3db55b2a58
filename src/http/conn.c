/* Client connections: accept, read, parse request heads, run the request
 * through the pipeline stages (redirect, health, mount, public paths,
 * authentication) and hand it to the proxy; write responses; keep-alive,
 * pipelining, timeouts and closing. Loop-thread only. */
#include "http/conn.h"
#include "http/authz_stage.h"
#include "http/audit_events.h"
#include "audit/access_log.h"
#include "authn/basic.h"
#include "authn/bearer.h"
#include "core/log.h"
#include "core/mem.h"
#include "http/auth_stage.h"
#include "audit/metrics.h"
#include "http/health.h"
#include "http/url.h"
#include "tls/tls_filter.h"
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* lingering close, see on_shutdown */
#define LINGER_MS 2000
#define LINGER_MAX (1u << 20)

struct wreq {
	uv_write_t req;
	struct conn *c;
	struct block *blk;
};

static void conn_on_plain(struct conn *c, struct block *blk, const char *data, size_t len);
static void try_parse(struct conn *c);
static void conn_maybe_free(struct conn *c);

size_t conn_write_queue(struct conn *c)
{
	return uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp);
}

static void on_client_written(uv_write_t *req, int status)
{
	struct wreq *wr = (struct wreq *)req;
	struct conn *c = wr->c;
	if (wr->blk)
		block_unref(wr->blk);
	free(wr);
	if (c->state == CS_CLOSING)
		return;
	if (status < 0) {
		log_debug("write to client %s failed: %s", c->peer, uv_strerror(status));
		proxy_abort(c);
		return;
	}
	size_t q = conn_write_queue(c);
	if (c->state == CS_PROXY) {
		proxy_client_drained(c);
		if (c->state == CS_PROXY && c->req_body_done)
			conn_set_timer(c, q ? c->rt->cfg->send_timeout : 0);
	} else if (c->state == CS_LOCAL && q == 0) {
		conn_request_done(c);
	}
}

/* A local answer written whole: its request ends once this iteration's
 * callbacks are done (ending it here would start the next pipelined request
 * inside the writer's call chain). */
static void queue_written(struct conn *c)
{
	struct worker *w = c->w;
	if (w->written.n == w->written.cap) {
		w->written.cap = w->written.cap ? 2 * w->written.cap : 64;
		w->written.c = mem_realloc(w->written.c, w->written.cap * sizeof *w->written.c);
		w->written.req = mem_realloc(w->written.req, w->written.cap * sizeof *w->written.req);
	}
	w->written.c[w->written.n] = c;
	w->written.req[w->written.n++] = c->requests;
	conn_pin(c);
}

void conn_finish_written(struct worker *w)
{
	/* finishing one may queue another (a pipelined request answered
	 * locally): those are taken by the same loop */
	for (size_t i = 0; i < w->written.n; i++) {
		struct conn *c = w->written.c[i];
		if (c->state == CS_LOCAL && c->requests == w->written.req[i] && conn_write_queue(c) == 0)
			conn_request_done(c);
		conn_unpin(c);
	}
	w->written.n = 0;
}

static void raw_write(struct conn *c, uv_buf_t *bufs, unsigned n, struct block *blk)
{
	/* A write that completes at once needs no callback (a completed
	 * uv_write also re-registers the socket with epoll): while proxying the
	 * queue it would report on is unchanged; a local answer is finished
	 * after this iteration's callbacks. */
	uv_buf_t copy[4];
	if ((c->state == CS_PROXY || c->state == CS_LOCAL) && n <= 4 && conn_write_queue(c) == 0) {
		memcpy(copy, bufs, n * sizeof *bufs);
		bufs = copy;
		int rc = block_try_write((uv_stream_t *)&c->tcp, &bufs, &n);
		if (rc == 1) {
			if (c->state == CS_LOCAL)
				queue_written(c);
			return;
		}
		if (rc < 0) {
			log_debug("write to client %s failed: %s", c->peer, uv_strerror(rc));
			proxy_abort(c);
			return;
		}
	}
	struct wreq *wr = mem_alloc(sizeof *wr);
	wr->c = c;
	wr->blk = blk;
	if (blk)
		block_ref(blk);
	int rc = uv_write(&wr->req, (uv_stream_t *)&c->tcp, bufs, n, on_client_written);
	if (rc < 0) {
		if (blk)
			block_unref(blk);
		free(wr);
		log_debug("write to client %s failed: %s", c->peer, uv_strerror(rc));
		if (c->state != CS_CLOSING)
			conn_close(c);
	}
}

/* Sends whatever ciphertext the TLS engine has produced. */
static void tls_flush(struct conn *c)
{
	while (tls_conn_pending(c->tls) > 0) {
		struct block *b = block_get(&c->w->blocks);
		size_t n = tls_conn_take(c->tls, b->data, BLOCK_SIZE);
		uv_buf_t ub = uv_buf_init(b->data, (unsigned)n);
		raw_write(c, &ub, 1, b);
		block_unref(b);
		if (c->state == CS_CLOSING)
			return;
	}
}

void conn_write(struct conn *c, uv_buf_t *bufs, unsigned n, struct block *blk)
{
	if (c->state == CS_CLOSING)
		return;
	if (c->tls == NULL) {
		raw_write(c, bufs, n, blk);
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		if (tls_conn_write(c->tls, bufs[i].base, bufs[i].len) < 0) {
			log_debug("TLS write to %s failed: %s", c->peer, tls_conn_error(c->tls));
			conn_close(c);
			return;
		}
	}
	tls_flush(c);
}

void conn_write_str(struct conn *c, const char *s, size_t len)
{
	while (len > 0) {
		struct block *b = block_get(&c->w->blocks);
		size_t n = len < BLOCK_SIZE ? len : BLOCK_SIZE;
		memcpy(b->data, s, n);
		uv_buf_t ub = uv_buf_init(b->data, (unsigned)n);
		conn_write(c, &ub, 1, b);
		block_unref(b);
		s += n;
		len -= n;
	}
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct conn *c = h->data;
	struct block *b = block_get(&c->w->blocks);
	*buf = uv_buf_init(b->data, BLOCK_SIZE);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = s->data;
	struct block *b = buf->base ? block_of(buf->base) : NULL;
	if (c->state == CS_LINGER) {
		if (b)
			block_unref(b);
		if (nread < 0 || (c->linger_bytes += (size_t)nread) > LINGER_MAX)
			conn_close(c);
		return;
	}
	if (nread <= 0) {
		if (b)
			block_unref(b);
		if (nread == 0)
			return;
		c->client_eof = true;
		conn_read_stop(c);
		/* A client that goes away mid-exchange ends it; one that half-closes
		 * after a complete request still gets its response. */
		if (c->state == CS_IDLE || c->state == CS_HEAD ||
		    ((c->state == CS_PROXY || c->state == CS_AUTH) && !c->req_body_done) || nread != UV_EOF)
			proxy_abort(c);
		return;
	}
	if (c->tls == NULL) {
		conn_on_plain(c, b, b->data, (size_t)nread);
		block_unref(b);
		return;
	}
	tls_conn_feed(c->tls, b->data, (size_t)nread);
	block_unref(b);
	for (;;) {
		if (c->state == CS_CLOSING)
			return;
		struct block *pb = block_get(&c->w->blocks);
		long n = tls_conn_read(c->tls, pb->data, BLOCK_SIZE);
		if (n > 0) {
			tls_flush(c);
			conn_on_plain(c, pb, pb->data, (size_t)n);
			block_unref(pb);
			continue;
		}
		block_unref(pb);
		if (c->state != CS_CLOSING)
			tls_flush(c);	/* handshake records */
		if (n < 0) {
			if (n == -EPROTO)
				log_debug("TLS from %s: %s", c->peer, tls_conn_error(c->tls));
			if (c->state != CS_CLOSING)
				proxy_abort(c);
		}
		return;
	}
}

void conn_read_start(struct conn *c)
{
	if (c->reading || c->client_eof || c->state == CS_CLOSING)
		return;
	if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
		c->reading = true;
}

void conn_read_stop(struct conn *c)
{
	if (!c->reading)
		return;
	uv_read_stop((uv_stream_t *)&c->tcp);
	c->reading = false;
}

static void on_timer(uv_timer_t *t)
{
	struct conn *c = t->data;
	switch (c->state) {
	case CS_LINGER:
		conn_close(c);	/* the client did not finish within LINGER_MS */
		return;
	case CS_IDLE:
		conn_close(c);	/* idle keep-alive connection */
		return;
	case CS_HEAD:
		log_info("request head from %s not complete within timeouts.header", c->peer);
		c->keep_alive = false;
		c->ri.status = 408;
		errpage_send(c, 408, "REQUEST_TIMEOUT", "Request header not received in time", NULL);
		return;
	case CS_PROXY:
		if (!c->req_body_done && !c->resp_head_done) {
			log_info("request body from %s stalled (timeouts.body) request_id=%s", c->peer, c->ri.request_id);
			c->keep_alive = false;
			errpage_send(c, 408, "REQUEST_TIMEOUT", "Request body not received in time", NULL);
			return;
		}
		log_info("client %s stopped reading (timeouts.send) request_id=%s", c->peer, c->ri.request_id);
		proxy_abort(c);
		return;
	default:
		proxy_abort(c);
		return;
	}
}

void conn_set_timer(struct conn *c, uint64_t ms)
{
	if (c->state == CS_CLOSING)
		return;
	if (ms == 0)
		uv_timer_stop(&c->timer);
	else
		uv_timer_start(&c->timer, on_timer, ms, 0);
}

static void on_conn_closed(uv_handle_t *h)
{
	struct conn *c = h->data;
	c->closes_pending--;
	conn_maybe_free(c);
}

static void req_info_clear(struct req_info *ri)
{
	free(ri->target);
	free(ri->path);
	free(ri->referer);
	free(ri->user_agent);
	free(ri->host);
	free(ri->experiment_header);
	memset(ri, 0, sizeof *ri);
}

struct params_body *conn_params_body(struct conn *c)
{
	const char *d = c->body_buffered && c->body.data ? c->body.data : "";
	size_t n = c->body_buffered ? c->body.len : 0;
	if (c->pbody.data != d || c->pbody.len != n)
		params_body_set(&c->pbody, d, n);
	return &c->pbody;
}

void conn_pin(struct conn *c)
{
	c->pins++;
}

void conn_unpin(struct conn *c)
{
	c->pins--;
	conn_maybe_free(c);
}

static void conn_maybe_free(struct conn *c)
{
	if (c->closes_pending > 0 || c->pins > 0 || c->state != CS_CLOSING)
		return;
	struct worker *w = c->w;
	if (c->prev)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	w->nconns--;
	tls_conn_free(c->tls);
	buf_free(&c->in);
	buf_free(&c->uphead);
	buf_free(&c->body);
	params_body_clear(&c->pbody);
	buf_free(&c->cap_body);
	authz_job_free(c);
	req_info_clear(&c->ri);
	if (c->rt)
		runtime_unref(c->rt);
	free(c);
	if (w->draining && w->nconns == 0)
		uv_async_send(&w->async);	/* let the worker finish */
}

void conn_close(struct conn *c)
{
	if (c->state == CS_CLOSING)
		return;
	c->state = CS_CLOSING;
	if (c->up) {
		upstream_close(c->up);
		c->up = NULL;
	}
	c->reading = false;
	c->closes_pending = 2;
	uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
	uv_close((uv_handle_t *)&c->timer, on_conn_closed);
}

/* After an answer that refused a request whose body was not read whole (a
 * 413 for a body over the limit, an error before the body): the client may
 * still be sending it. Closing at once resets the connection under its send,
 * and a client that sees the broken pipe never reads the answer. So, as
 * nginx's lingering close does, what still comes is read away -- at most
 * LINGER_MAX bytes for at most LINGER_MS -- and the connection closes at the
 * client's EOF or then (LINGER_MS and LINGER_MAX are at the top). */
static void on_shutdown(uv_shutdown_t *req, int status)
{
	struct conn *c = req->data;
	free(req);
	if (status == 0 && c->state == CS_LOCAL && !c->client_eof && !c->req_body_done) {
		c->state = CS_LINGER;
		c->linger_bytes = 0;
		conn_set_timer(c, LINGER_MS);
		conn_read_start(c);
		return;
	}
	conn_close(c);
}

/* Closes after everything queued has been written. */
static void conn_close_graceful(struct conn *c)
{
	if (c->state == CS_CLOSING)
		return;
	if (c->tls) {
		tls_conn_shutdown(c->tls);
		tls_flush(c);
		if (c->state == CS_CLOSING)
			return;
	}
	conn_read_stop(c);
	uv_shutdown_t *req = mem_alloc(sizeof *req);
	req->data = c;
	if (uv_shutdown(req, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
		free(req);
		conn_close(c);
		return;
	}
	c->state = CS_LOCAL;	/* nothing more is read or parsed */
	c->keep_alive = false;
	conn_set_timer(c, c->rt->cfg->send_timeout);
}

void conn_log_access(struct conn *c)
{
	struct access_log *al = c->w->srv->alog;
	if (c->ri.method[0] == '\0')
		return;
	audit_request_done(c);	/* changes to MLflow, done or refused */
	uint64_t now = server_now_ms();
	metrics_request(c->w->srv->metrics, c->w->id, c->ri.family, c->ri.method, c->ri.status, now - c->ri.start_ms,
			c->ri.upstream_used ? (int64_t)((c->ri.upstream_end_ms ? c->ri.upstream_end_ms : now) -
							c->ri.upstream_start_ms)
					    : -1);
	if (al == NULL)
		return;
	struct access_entry e = {
		.remote_addr = c->ri.client[0] ? c->ri.client : c->peer,
		.user = c->ri.user[0] ? c->ri.user : c->ri.attempted,
		.method = c->ri.method,
		.target = c->ri.target,
		.minor_version = c->ri.minor_version,
		.status = c->ri.status,
		.body_bytes_sent = c->ri.body_bytes_sent,
		.referer = c->ri.referer,
		.user_agent = c->ri.user_agent,
		.request_time_ms = now - c->ri.start_ms,
		.upstream_time_ms = c->ri.upstream_used
			? (int64_t)((c->ri.upstream_end_ms ? c->ri.upstream_end_ms : now) - c->ri.upstream_start_ms)
			: -1,
		.request_id = c->ri.request_id,
	};
	access_log_append(al, &c->w->alog_pending, &e);
}


void conn_request_done(struct conn *c)
{
	if (c->state == CS_CLOSING)
		return;
	conn_log_access(c);
	if (c->up) {
		struct upstream *u = c->up;
		c->up = NULL;
		u->c = NULL;
		if (u->reusable && c->resp_done && c->req_body_done)
			upstream_release(u);
		else
			upstream_close(u);
	}
	bool keep = c->keep_alive && !c->w->draining && !c->client_eof;
	req_info_clear(&c->ri);
	buf_free(&c->uphead);
	c->resp_head_done = c->resp_done = false;
	c->req_discard = false;
	c->head_sent = false;
	c->req_buffering = false;
	c->body_buffered = false;
	c->route = NULL;
	c->authed = false;
	authz_job_free(c);
	buf_free(&c->body);
	params_body_clear(&c->pbody);
	c->capture = c->cap_head_done = false;
	c->cap_done = NULL;
	buf_free(&c->cap_body);
	c->up_paused = false;
	c->retried = false;
	c->requests++;
	if (!keep) {
		conn_close_graceful(c);
		return;
	}
	/* Between requests the connection adopts the worker's newest snapshot. */
	if (c->rt != c->w->rt) {
		runtime_unref(c->rt);
		c->rt = runtime_ref(c->w->rt);
	}
	c->state = CS_IDLE;
	if (c->in.len > 0) {
		try_parse(c);
		return;
	}
	if (c->in.cap > 4096)
		buf_free(&c->in);	/* idle connections hold no buffer */
	conn_set_timer(c, c->rt->cfg->keepalive_timeout);
	conn_read_start(c);
}

static char *dup_header(const struct h1_message *m, const char *name, size_t max)
{
	const struct h1_header *h = h1_find(m, name);
	if (h == NULL)
		return NULL;
	return mem_strndup(h->value, h->value_len < max ? h->value_len : max);
}

/* 16 hex digits of per-worker random prefix, 16 of a counter. */
static void conn_new_request_id(struct conn *c)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t seq = ++c->w->reqid_seq;
	memcpy(c->ri.request_id, c->w->reqid_prefix, 16);
	for (int i = 0; i < 16; i++)
		c->ri.request_id[16 + i] = hex[(seq >> (60 - 4 * i)) & 15];
	c->ri.request_id[32] = '\0';
}

static void make_request_id(struct conn *c, const struct h1_message *m)
{
	const struct h1_header *h = h1_find(m, "x-request-id");
	if (h && h->value_len >= 1 && h->value_len <= 64) {
		bool ok = true;
		for (size_t i = 0; i < h->value_len && ok; i++) {
			char ch = h->value[i];
			ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			     ch == '-' || ch == '_' || ch == '.';
		}
		if (ok) {
			memcpy(c->ri.request_id, h->value, h->value_len);
			c->ri.request_id[h->value_len] = '\0';
			return;
		}
	}
	conn_new_request_id(c);
}

struct hdr_name {
	const char *name;
	size_t len;
};
#define HN(s) { s, sizeof(s) - 1 }

/* Request headers never passed upstream as the client sent them. */
static const struct hdr_name drop_request[] = {
	HN("connection"), HN("keep-alive"), HN("proxy-connection"), HN("te"), HN("transfer-encoding"),
	HN("upgrade"), HN("trailer"), HN("proxy-authorization"), HN("proxy-authenticate"), HN("content-length"),
	HN("host"), HN("expect"), HN("x-forwarded-for"), HN("x-forwarded-proto"), HN("x-forwarded-host"),
	HN("x-real-ip"), HN("x-request-id"), HN("forwarded"),
};

/* Is this header one we never pass upstream as the client sent it?
 * conn_hdr: the client's Connection header, if any. */
static bool drop_request_header(const struct conn *c, const struct h1_header *h, const struct h1_header *conn_hdr)
{
	for (size_t i = 0; i < sizeof drop_request / sizeof drop_request[0]; i++)
		if (h->name_len == drop_request[i].len && strncasecmp(h->name, drop_request[i].name, h->name_len) == 0)
			return true;
	/* Underscores: WSGI servers fold X_Forwarded_User into the same variable as
	 * X-Forwarded-User, so such names could smuggle an identity header. */
	if (memchr(h->name, '_', h->name_len) != NULL)
		return true;
	if (h1_name_is(h, c->rt->cfg->user_header))
		return true;
	if (!c->rt->cfg->forward_authorization && H1_NAME_IS(h, "authorization"))
		return true;
	/* Anything the client listed in Connection is hop-by-hop too. */
	return conn_hdr && h1_token_list_has(conn_hdr, h->name, h->name_len);
}

/* Builds the head toward MLflow, without the identity header and final CRLF
 * (added once authentication is known). Framing is regenerated from our own
 * parse. Returns 0 or -ENOBUFS. */
static int build_upstream_head(struct conn *c, const struct h1_message *m, const char *target, size_t tlen)
{
	struct buf *b = &c->uphead;
	buf_init(b, (size_t)c->rt->cfg->max_header_size + 4096);
	int rc = 0;
	rc |= buf_append(b, m->method, m->method_len);
	rc |= buf_append(b, " ", 1);
	rc |= buf_append(b, target, tlen);
	rc |= buf_appends(b, " HTTP/1.1\r\n");
	if (c->rt->upstream_hosthdr[0])
		rc |= buf_header(b, "Host", c->rt->upstream_hosthdr, strlen(c->rt->upstream_hosthdr));
	else if (m->host && m->host_len)
		rc |= buf_header(b, "Host", m->host, m->host_len);
	else
		rc |= buf_header(b, "Host", c->rt->upstream_name, strlen(c->rt->upstream_name));
	const struct h1_header *conn_hdr = h1_find(m, "connection");
	for (size_t i = 0; i < m->nheaders; i++) {
		const struct h1_header *h = &m->headers[i];
		if (drop_request_header(c, h, conn_hdr))
			continue;
		rc |= buf_append(b, h->name, h->name_len);
		rc |= buf_append(b, ": ", 2);
		rc |= buf_append(b, h->value, h->value_len);
		rc |= buf_append(b, "\r\n", 2);
	}
	rc |= buf_header(b, "X-Forwarded-For", c->ri.client, strlen(c->ri.client));
	rc |= c->tls_listener ? buf_appends(b, "X-Forwarded-Proto: https\r\n")
			      : buf_appends(b, "X-Forwarded-Proto: http\r\n");
	if (m->host && m->host_len)
		rc |= buf_header(b, "X-Forwarded-Host", m->host, m->host_len);
	rc |= buf_header(b, "X-Request-Id", c->ri.request_id, strlen(c->ri.request_id));
	/* framing lines are added when the head is sent (proxy.c): a buffered
	 * body is sent with its own length */
	return rc ? -ENOBUFS : 0;
}

static void redirect_https(struct conn *c, const struct h1_message *m)
{
	if (m->host == NULL || m->host_len == 0) {
		errpage_send(c, 400, "BAD_REQUEST", "Host header required", NULL);
		return;
	}
	/* Host without its port; the port is the first TLS listener's (none
	 * when that is 443). */
	size_t hl = m->host_len;
	const char *colon = memrchr(m->host, ':', hl);
	const char *rb = memrchr(m->host, ']', hl);
	if (colon && (!rb || colon > rb))
		hl = (size_t)(colon - m->host);
	char port[8] = "";
	const struct config *cfg = c->rt->cfg;
	for (size_t i = 0; i < cfg->nlisten; i++) {
		if (cfg->listen[i].cert) {
			if (cfg->listen[i].port != 443)
				snprintf(port, sizeof port, ":%d", cfg->listen[i].port);
			break;
		}
	}
	char hdr[10240];
	snprintf(hdr, sizeof hdr, "Location: https://%.*s%s%.*s\r\n", (int)hl, m->host, port, (int)m->target_len,
		 m->target);
	errpage_send(c, 301, "MOVED", "Use HTTPS", hdr);
}

enum route_action { ACT_DONE = 0, ACT_PROXY, ACT_AUTH, ACT_BEARER, ACT_UNAUTHENTICATED };

/* Runs the stages that need the parsed head. Answers locally (ACT_DONE), or
 * says what comes next; fills user/pw for ACT_AUTH. m is valid only here. */
static enum route_action route_request(struct conn *c, struct h1_message *m, char *user, char *pw, int *prc)
{
	const struct config *cfg = c->rt->cfg;
	struct req_info *ri = &c->ri;
	c->state = CS_AUTH;
	conn_set_timer(c, 0);
	size_t ml = m->method_len < sizeof ri->method - 1 ? m->method_len : sizeof ri->method - 1;
	memcpy(ri->method, m->method, ml);
	ri->method[ml] = '\0';
	_Static_assert(sizeof ri->client == sizeof c->peer, "client and peer addresses are the same size");
	memcpy(ri->client, c->peer, sizeof ri->client);	/* NUL-terminated within */
	ri->family = FAM_API_OTHER;
	ri->target = mem_strndup(m->target, m->target_len);
	ri->referer = dup_header(m, "referer", 1024);
	ri->user_agent = dup_header(m, "user-agent", 1024);
	ri->host = m->host ? mem_strndup(m->host, m->host_len) : NULL;
	ri->experiment_header = dup_header(m, "x-mlflow-experiment-id", 256);
	int nexp = 0;
	for (size_t i = 0; i < m->nheaders; i++)
		nexp += H1_NAME_IS(&m->headers[i], "x-mlflow-experiment-id");
	ri->minor_version = m->minor_version;
	ri->head = strcmp(ri->method, "HEAD") == 0;
	make_request_id(c, m);
	c->keep_alive = m->keep_alive && !c->w->draining;
	c->req_framing = m->framing;
	c->req_remaining = m->content_length;
	c->req_content_length = m->content_length;
	c->req_cl_zero = m->framing == H1_BODY_NONE && h1_find(m, "content-length") != NULL;
	c->req_body_bytes = 0;
	c->req_body_done = m->framing == H1_BODY_NONE;
	c->expect_continue = m->expect_continue && m->framing != H1_BODY_NONE;
	h1_chunked_init(&c->req_chunked);

	const struct listen_cfg *lc = &cfg->listen[c->listener];
	if (nexp > 1) {
		/* which experiment would MLflow pick? */
		c->keep_alive = false;
		errpage_send(c, 400, "INVALID_PARAMETER_VALUE", "X-MLflow-Experiment-Id given more than once", NULL);
		return ACT_DONE;
	}
	if (lc->redirect_https) {
		redirect_https(c, m);
		return ACT_DONE;
	}
	struct url_route r;
	url_route(m->target, m->target_len, cfg->mount, &r);
	ri->path = mem_strndup(r.path, r.path_len);
	ri->wants_json = url_wants_json(ri->path) || !url_accepts_html(h1_find(m, "accept"));
	ri->family = (int)mlflow_routes_family(ri->method, ri->path, strlen(ri->path));
	if (defence_before_auth(c, m))
		return ACT_DONE;
	if (r.kind == URL_HEALTH) {
		if (strcmp(ri->method, "GET") != 0 && !ri->head) {
			errpage_send(c, 405, "METHOD_NOT_ALLOWED", "Use GET", "Allow: GET, HEAD\r\n");
			return ACT_DONE;
		}
		health_probe(c);
		return ACT_DONE;
	}
	if (r.kind == URL_MOUNT_REDIRECT) {
		char hdr[10240];
		snprintf(hdr, sizeof hdr, "Location: %s/%.*s\r\n", cfg->mount, (int)r.query_len, r.query);
		errpage_send(c, 301, "MOVED", "MLflow is under a sub-path", hdr);
		return ACT_DONE;
	}
	if (r.kind == URL_OUTSIDE_MOUNT) {
		errpage_send(c, 404, "ENDPOINT_NOT_FOUND", "Not found (MLflow is served under the mount path)", NULL);
		return ACT_DONE;
	}
	ri->artifact = url_is_artifact(ri->path);
	c->req_body_limit = (uint64_t)(ri->artifact ? cfg->max_artifact_body_size : cfg->max_body_size);
	if (c->req_body_limit && m->framing == H1_BODY_LENGTH && m->content_length > c->req_body_limit) {
		c->keep_alive = false;
		errpage_send(c, 413, "REQUEST_LIMIT_EXCEEDED", "Request body too large", NULL);
		return ACT_DONE;
	}
	if (build_upstream_head(c, m, r.upstream_target, r.upstream_target_len)) {
		c->keep_alive = false;
		errpage_send(c, 431, "BAD_REQUEST", "Request header fields too large", NULL);
		return ACT_DONE;
	}
	if (url_is_public(ri->path, &cfg->public_paths))
		return ACT_PROXY;
	const struct h1_header *auth = h1_find(m, "authorization");
	if (auth == NULL) {
		*prc = -ENOENT;
		return ACT_UNAUTHENTICATED;
	}
	*prc = basic_parse(auth->value, auth->value_len, user, pw);
	if (*prc == 0)
		return ACT_AUTH;
	if (*prc == -ENOENT) {
		/* Not Basic: a personal access token (what MLFLOW_TRACKING_TOKEN sends)? */
		int brc = bearer_parse(auth->value, auth->value_len, pw);
		if (brc == 0) {
			user[0] = '\0';
			return ACT_BEARER;
		}
		*prc = brc == -ENOENT ? -ENOENT : -EINVAL;
	}
	return ACT_UNAUTHENTICATED;
}

static void handle_request(struct conn *c, struct h1_message *m)
{
	char user[BASIC_MAX_USER], pw[BASIC_MAX_PASSWORD];
	int prc = -ENOENT;
	enum route_action act = route_request(c, m, user, pw, &prc);
	/* The head is no longer needed: what follows in c->in is body or the
	 * next request. */
	buf_consume(&c->in, m->head_len);
	switch (act) {
	case ACT_DONE:
		break;
	case ACT_PROXY:
		proxy_start(c);
		break;
	case ACT_UNAUTHENTICATED: {
		metrics_auth_failure(c->w->srv->metrics, prc == -ENOENT ? AF_MISSING : AF_MALFORMED);
		char hdr[300];
		snprintf(hdr, sizeof hdr, "WWW-Authenticate: Basic realm=\"%s\", charset=\"UTF-8\"\r\n",
			 c->rt->cfg->realm);
		errpage_send(c, 401, "UNAUTHENTICATED",
			     prc == -ENOENT ? "Authentication required" : "Malformed credentials", hdr);
		break;
	}
	case ACT_AUTH:
	case ACT_BEARER:
		snprintf(c->ri.user, sizeof c->ri.user, "%s", user);
		/* calls conn_after_auth, now or later */
		auth_stage_run(c, act == ACT_BEARER ? AUTH_BEARER : AUTH_BASIC, user, pw);
		mem_wipe(pw, sizeof pw);
		break;
	}
}

void conn_after_auth(struct conn *c, const char *user)
{
	if (c->state == CS_CLOSING)
		return;
	if (user == NULL) {
		metrics_auth_failure(c->w->srv->metrics, c->ri.auth && strcmp(c->ri.auth, "token") == 0 ? AF_INVALID_TOKEN : AF_INVALID);
		log_info("authentication failed for %s \"%s\" from %s request_id=%s", c->ri.user[0] ? "user" : "a token",
			 c->ri.user, c->ri.client, c->ri.request_id);
		memcpy(c->ri.attempted, c->ri.user, sizeof c->ri.attempted);
		c->ri.user[0] = '\0';
		char hdr[300];
		snprintf(hdr, sizeof hdr, "WWW-Authenticate: Basic realm=\"%s\", charset=\"UTF-8\"\r\n",
			 c->rt->cfg->realm);
		errpage_send(c, 401, "UNAUTHENTICATED", "Invalid credentials", hdr);
		return;
	}
	snprintf(c->ri.user, sizeof c->ri.user, "%s", user);
	c->authed = true;
	if (defence_after_auth(c))
		return;
	proxy_start(c);
}

static void try_parse(struct conn *c)
{
	struct h1_message *m = &c->w->req_msg;	/* ~3 KiB of worker scratch, not stack */
	const char *err = NULL;
	int rc = h1_parse_request(c->in.data, c->in.len, &c->rt->limits, m, &err);
	if (rc == 0) {
		if (c->state == CS_IDLE && c->in.len > 0) {
			c->state = CS_HEAD;
			c->ri.start_ms = server_now_ms();
			conn_set_timer(c, c->rt->cfg->header_timeout);
		}
		conn_read_start(c);
		return;
	}
	if (c->state == CS_IDLE)
		c->ri.start_ms = server_now_ms();
	if (rc < 0) {
		int status = -rc;
		log_info("rejected request from %s: %d %s", c->peer, status, err);
		conn_read_stop(c);
		c->keep_alive = false;
		snprintf(c->ri.method, sizeof c->ri.method, "-");
		c->ri.target = mem_strdup("-");
		c->ri.wants_json = true;
		conn_new_request_id(c);
		const char *code = status == 414 || status == 431 || status == 413 ? "REQUEST_LIMIT_EXCEEDED" : "BAD_REQUEST";
		errpage_send(c, status, code, err, NULL);
		return;
	}
	handle_request(c, m);
}

static void conn_on_plain(struct conn *c, struct block *blk, const char *data, size_t len)
{
	switch (c->state) {
	case CS_IDLE:
	case CS_HEAD:
		if (buf_append(&c->in, data, len)) {
			/* More than a head's worth without a complete head. */
			try_parse(c);
			if (c->state == CS_IDLE || c->state == CS_HEAD) {
				c->keep_alive = false;
				errpage_send(c, 431, "REQUEST_LIMIT_EXCEEDED", "Request header section too large", NULL);
			}
			return;
		}
		try_parse(c);
		break;
	case CS_PROXY:
		if (!c->req_body_done && (c->head_sent || c->req_discard || c->req_buffering)) {
			proxy_client_body(c, blk, data, len);
			return;
		}
		/* body bytes before MLflow is ready, or the next request */
		/* fall through */
	default:
		if (buf_append(&c->in, data, len)) {
			/* Cannot happen while reads stop at a head's worth (room for one
			 * more block remains); if it did, bytes would be lost: fail. */
			log_error("input buffer overflow from %s request_id=%s", c->peer, c->ri.request_id);
			proxy_abort(c);
			return;
		}
		break;
	}
	/* Body bytes that come while credentials are checked or MLflow is being
	 * connected, or the next pipelined request, wait in c->in; reading pauses
	 * once it holds a head's worth (the loop does not toggle per request). */
	if (c->state != CS_IDLE && c->state != CS_HEAD && c->state != CS_CLOSING &&
	    c->in.len >= (size_t)c->rt->cfg->max_header_size &&
	    !(c->state == CS_PROXY && !c->req_body_done && (c->head_sent || c->req_discard || c->req_buffering)))
		conn_read_stop(c);
}

void conn_accept(struct listener *l)
{
	struct worker *w = l->w;
	struct conn *c = mem_calloc(1, sizeof *c);
	c->w = w;
	uv_tcp_init(&w->loop, &c->tcp);
	uv_timer_init(&w->loop, &c->timer);
	c->tcp.data = c;
	c->timer.data = c;
	c->next = w->conns;
	if (w->conns)
		w->conns->prev = c;
	w->conns = c;
	w->nconns++;
	c->rt = runtime_ref(w->rt);
	c->listener = l->index;
	buf_init(&c->in, (size_t)c->rt->cfg->max_header_size + BLOCK_SIZE);
	if (uv_accept((uv_stream_t *)&l->tcp, (uv_stream_t *)&c->tcp) != 0) {
		conn_close(c);
		return;
	}
	if (w->nconns > (size_t)c->rt->cfg->max_connections || w->draining) {
		log_warn("worker %d: limits.max_connections (%lld) reached; connection refused", w->id,
			 (long long)c->rt->cfg->max_connections);
		conn_close(c);
		return;
	}
	struct sockaddr_storage ss;
	int sl = sizeof ss;
	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET)
			uv_ip4_name((struct sockaddr_in *)&ss, c->peer, sizeof c->peer);
		else
			uv_ip6_name((struct sockaddr_in6 *)&ss, c->peer, sizeof c->peer);
	} else {
		snprintf(c->peer, sizeof c->peer, "-");
	}
	if (cidr_addr_parse(c->peer, strlen(c->peer), &c->peer_addr)) {
		/* not an IP socket: treat as loopback-less unknown, matching no rule but "all" */
		memset(&c->peer_addr, 0, sizeof c->peer_addr);
		c->peer_addr.family = 6;
	}
	metrics_count(w->srv->metrics, w->id, MC_CONNECTIONS);
	uv_tcp_nodelay(&c->tcp, 1);
	struct tls_server *ts = c->rt->tls[l->index];
	if (ts) {
		c->tls = tls_conn_new(ts);
		c->tls_listener = true;
	}
	c->state = CS_IDLE;
	conn_set_timer(c, c->rt->cfg->header_timeout);
	conn_read_start(c);
}

void conn_close_idle(struct worker *w)
{
	struct conn *c = w->conns;
	while (c) {
		struct conn *next = c->next;
		if (c->state == CS_IDLE)
			conn_close(c);
		c = next;
	}
}
