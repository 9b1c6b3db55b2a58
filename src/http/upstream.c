/* Connections to MLflow: connect with a timeout, a per-worker pool of idle
 * keep-alive connections (closed when idle too long or when MLflow closes
 * them), writes and reads on behalf of the proxy. Loop-thread only. */
#include "http/conn.h"
#include "core/log.h"
#include "audit/metrics.h"
#include "core/mem.h"
#include <stdlib.h>
#include <string.h>


struct uwreq {
	uv_write_t req;
	struct upstream *u;
	struct block *blk;
};

struct pending_connect {
	struct conn *c;
	upstream_ready_cb cb;
};

static void on_up_closed(uv_handle_t *h)
{
	struct upstream *u = h->data;
	if (--u->closes_pending == 0) {
		u->w->nup_open--;
		buf_free(&u->in);
		free(u->creq.data);
		free(u);
	}
}

static void pool_remove(struct upstream *u)
{
	struct worker *w = u->w;
	if (u->prev)
		u->prev->next = u->next;
	else if (w->idle == u)
		w->idle = u->next;
	if (u->next)
		u->next->prev = u->prev;
	u->next = u->prev = NULL;
	w->nidle--;
}

void upstream_close(struct upstream *u)
{
	if (u->closes_pending)
		return;
	if (u->c == NULL && (u->next || u->prev || u->w->idle == u))
		pool_remove(u);
	u->c = NULL;
	u->closes_pending = 2;
	uv_close((uv_handle_t *)&u->tcp, on_up_closed);
	uv_close((uv_handle_t *)&u->timer, on_up_closed);
}

static void on_up_timer(uv_timer_t *t)
{
	struct upstream *u = t->data;
	if (u->c == NULL) {
		upstream_close(u);	/* idle too long */
		return;
	}
	proxy_upstream_timeout(u->c);
}

void upstream_set_timer(struct upstream *u, uint64_t ms)
{
	if (u->closes_pending)
		return;
	if (ms == 0)
		uv_timer_stop(&u->timer);
	else
		uv_timer_start(&u->timer, on_up_timer, ms, 0);
}

static void on_up_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct upstream *u = h->data;
	struct block *b = block_get(&u->w->blocks);
	*buf = uv_buf_init(b->data, BLOCK_SIZE);
}

static void on_up_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct upstream *u = s->data;
	struct block *b = buf->base ? block_of(buf->base) : NULL;
	if (nread == 0) {
		if (b)
			block_unref(b);
		return;
	}
	if (u->c == NULL) {
		/* Idle in the pool: MLflow closed it, or sent bytes nobody asked for. */
		if (b)
			block_unref(b);
		upstream_close(u);
		return;
	}
	if (nread < 0) {
		if (b)
			block_unref(b);
		u->reusable = false;
		proxy_upstream_eof(u->c, (int)nread);
		return;
	}
	proxy_upstream_read(u->c, b, b->data, (size_t)nread);
	block_unref(b);
}

void upstream_read_start(struct upstream *u)
{
	if (u->reading || u->closes_pending)
		return;
	if (uv_read_start((uv_stream_t *)&u->tcp, on_up_alloc, on_up_read) == 0)
		u->reading = true;
}

void upstream_read_stop(struct upstream *u)
{
	if (!u->reading)
		return;
	uv_read_stop((uv_stream_t *)&u->tcp);
	u->reading = false;
}

static void on_up_written(uv_write_t *req, int status)
{
	struct uwreq *wr = (struct uwreq *)req;
	struct upstream *u = wr->u;
	if (wr->blk)
		block_unref(wr->blk);
	free(wr);
	if (u->closes_pending || u->c == NULL)
		return;
	proxy_upstream_written(u->c, status);
}

void upstream_write(struct upstream *u, uv_buf_t *bufs, unsigned n, struct block *blk)
{
	uv_buf_t copy[4];
	if (n <= 4) {
		memcpy(copy, bufs, n * sizeof *bufs);
		bufs = copy;
		int rc = block_try_write((uv_stream_t *)&u->tcp, &bufs, &n);
		if (rc == 1)
			return;
		if (rc < 0) {
			u->reusable = false;
			if (u->c)
				proxy_upstream_write_failed(u->c, rc);
			return;
		}
	}
	struct uwreq *wr = mem_alloc(sizeof *wr);
	wr->u = u;
	wr->blk = blk;
	if (blk)
		block_ref(blk);
	int rc = uv_write(&wr->req, (uv_stream_t *)&u->tcp, bufs, n, on_up_written);
	if (rc < 0) {
		if (blk)
			block_unref(blk);
		free(wr);
		u->reusable = false;
		if (u->c)
			proxy_upstream_write_failed(u->c, rc);
	}
}

size_t upstream_write_queue(struct upstream *u)
{
	return uv_stream_get_write_queue_size((uv_stream_t *)&u->tcp);
}

static void on_connect(uv_connect_t *req, int status)
{
	struct upstream *u = req->handle->data;
	struct pending_connect *pc = req->data;
	if (u->closes_pending || u->c == NULL)
		return;	/* the client went away; close already under way */
	uv_timer_stop(&u->timer);
	if (status < 0) {
		struct conn *c = u->c;
		log_error("connect to upstream %s failed: %s request_id=%s", c->rt->upstream_name,
			  uv_strerror(status), c->ri.request_id);
		c->up = NULL;
		upstream_close(u);
		pc->cb(c, status);
		return;
	}
	u->connected = true;
	uv_tcp_nodelay(&u->tcp, 1);
	pc->cb(u->c, 0);
}

static void on_connect_timeout(uv_timer_t *t)
{
	struct upstream *u = t->data;
	struct conn *c = u->c;
	struct pending_connect *pc = u->creq.data;
	if (c == NULL)
		return;
	log_error("connect to upstream %s timed out (upstream.connect_timeout) request_id=%s",
		  c->rt->upstream_name, c->ri.request_id);
	c->up = NULL;
	upstream_close(u);
	pc->cb(c, UV_ETIMEDOUT);
}

void upstream_acquire(struct worker *w, struct conn *c, upstream_ready_cb cb)
{
	uint64_t now = server_now_ms();
	while (w->idle && !c->retried) {
		struct upstream *u = w->idle;
		pool_remove(u);
		if (now - u->idle_since >= c->rt->cfg->upstream_keepalive_timeout) {
			upstream_close(u);
			continue;
		}
		uv_timer_stop(&u->timer);
		u->c = c;
		u->reused = true;
		u->reusable = true;
		buf_reset(&u->in);
		c->up = u;
		metrics_count(w->srv->metrics, w->id, MC_UPSTREAM_REUSE);
		cb(c, 0);
		return;
	}
	metrics_count(w->srv->metrics, w->id, MC_UPSTREAM_CONNECT);
	struct upstream *u = mem_calloc(1, sizeof *u);
	w->nup_open++;
	u->w = w;
	u->c = c;
	u->reusable = true;
	buf_init(&u->in, 65536);
	uv_tcp_init(&w->loop, &u->tcp);
	uv_timer_init(&w->loop, &u->timer);
	u->tcp.data = u;
	u->timer.data = u;
	c->up = u;
	struct pending_connect *pc = mem_alloc(sizeof *pc);
	pc->c = c;
	pc->cb = cb;
	u->creq.data = pc;
	int rc = uv_tcp_connect(&u->creq, &u->tcp, (const struct sockaddr *)&c->rt->upstream_addr, on_connect);
	if (rc < 0) {
		log_error("connect to upstream %s failed: %s request_id=%s", c->rt->upstream_name,
			  uv_strerror(rc), c->ri.request_id);
		c->up = NULL;
		u->c = NULL;
		upstream_close(u);
		cb(c, rc);
		return;
	}
	uv_timer_start(&u->timer, on_connect_timeout, c->rt->cfg->upstream_connect_timeout, 0);
}

void upstream_release(struct upstream *u)
{
	struct worker *w = u->w;
	if (u->closes_pending)
		return;
	if (w->draining || w->nidle >= (size_t)w->rt->cfg->upstream_max_idle || w->rt->cfg->upstream_max_idle == 0) {
		upstream_close(u);
		return;
	}
	u->c = NULL;
	u->idle_since = server_now_ms();
	u->next = w->idle;
	u->prev = NULL;
	if (w->idle)
		w->idle->prev = u;
	w->idle = u;
	w->nidle++;
	buf_reset(&u->in);
	upstream_read_start(u);	/* notice MLflow closing it */
	uv_timer_start(&u->timer, on_up_timer, w->rt->cfg->upstream_keepalive_timeout, 0);
}

void upstream_pool_close_all(struct worker *w)
{
	while (w->idle)
		upstream_close(w->idle);
}
