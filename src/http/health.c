/* Health probe: connect, "GET /health", read the status line, answer the
 * client with JSON; bounded by upstream.connect_timeout and 5 s overall. */
#include "http/health.h"
#include "core/log.h"
#include "core/mem.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct probe {
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_connect_t creq;
	uv_write_t wreq;
	health_probe_cb cb;
	void *ctx;
	char req[400];
	char resp[64];
	size_t resp_len;
	uint64_t start;
	int closes;
	bool answered;
};

static void probe_closed(uv_handle_t *h)
{
	struct probe *p = h->data;
	if (--p->closes == 0)
		free(p);
}

static void probe_finish(struct probe *p, int http_status, const char *error)
{
	if (p->answered)
		return;
	p->answered = true;
	p->cb(p->ctx, http_status, error, server_now_ms() - p->start);
	p->closes = 2;
	uv_close((uv_handle_t *)&p->tcp, probe_closed);
	uv_close((uv_handle_t *)&p->timer, probe_closed);
}

static void probe_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct probe *p = h->data;
	*buf = uv_buf_init(p->resp + p->resp_len, (unsigned)(sizeof p->resp - 1 - p->resp_len));
}

static void probe_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct probe *p = s->data;
	if (n < 0) {
		probe_finish(p, 0, n == UV_EOF ? "closed without a response" : uv_strerror((int)n));
		return;
	}
	p->resp_len += (size_t)n;
	p->resp[p->resp_len] = '\0';
	if (p->resp_len >= 12 || memchr(p->resp, '\n', p->resp_len)) {
		int code = 0;
		if (sscanf(p->resp, "HTTP/1.%*1[01] %3d", &code) != 1)
			code = 0;
		probe_finish(p, code, code == 200 ? NULL : "unexpected answer from /health");
	}
}

static void probe_written(uv_write_t *w, int status)
{
	struct probe *p = w->data;
	if (status < 0)
		probe_finish(p, 0, uv_strerror(status));
}

static void probe_connected(uv_connect_t *req, int status)
{
	struct probe *p = req->data;
	if (p->answered)
		return;
	if (status < 0) {
		probe_finish(p, 0, uv_strerror(status));
		return;
	}
	uv_buf_t b = uv_buf_init(p->req, (unsigned)strlen(p->req));
	p->wreq.data = p;
	uv_write(&p->wreq, (uv_stream_t *)&p->tcp, &b, 1, probe_written);
	uv_read_start((uv_stream_t *)&p->tcp, probe_alloc, probe_read);
}

static void probe_timeout(uv_timer_t *t)
{
	probe_finish(t->data, 0, "timed out");
}

void health_probe_upstream(uv_loop_t *loop, const struct runtime *rt, uint64_t timeout_ms, health_probe_cb cb,
			   void *ctx)
{
	struct probe *p = mem_calloc(1, sizeof *p);
	p->cb = cb;
	p->ctx = ctx;
	p->start = server_now_ms();
	snprintf(p->req, sizeof p->req, "GET /health HTTP/1.1\r\nHost: %s\r\nUser-Agent: mlgate-health\r\n"
		 "Connection: close\r\n\r\n", rt->upstream_hosthdr[0] ? rt->upstream_hosthdr : rt->upstream_name);
	uv_tcp_init(loop, &p->tcp);
	uv_timer_init(loop, &p->timer);
	p->tcp.data = p;
	p->timer.data = p;
	p->creq.data = p;
	uv_timer_start(&p->timer, probe_timeout, timeout_ms, 0);
	int rc = uv_tcp_connect(&p->creq, &p->tcp, (const struct sockaddr *)&rt->upstream_addr, probe_connected);
	if (rc < 0)
		probe_finish(p, 0, uv_strerror(rc));
}

/* The client's answer. */
static void answer(void *ctx, int http_status, const char *error, uint64_t latency_ms)
{
	struct conn *c = ctx;
	if (c->state != CS_CLOSING) {
		bool up = http_status == 200;
		json_t *o = json_pack("{s:s, s:s, s:{s:s, s:s, s:I}}", "status", up ? "ok" : "unavailable",
				      "gateway", "ok", "upstream", "status", up ? "ok" : "down", "error",
				      error ? error : "", "latency_ms", (json_int_t)latency_ms);
		if (http_status > 0)
			json_object_set_new(json_object_get(o, "upstream"), "http_status", json_integer(http_status));
		char *body = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		char head[512];
		int hl = snprintf(head, sizeof head,
				  "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
				  "Cache-Control: no-store\r\nX-Request-Id: %s\r\n%s\r\n",
				  up ? 200 : 503, up ? "OK" : "Service Unavailable", strlen(body), c->ri.request_id,
				  c->keep_alive ? "" : "Connection: close\r\n");
		c->state = CS_LOCAL;
		c->ri.status = up ? 200 : 503;
		conn_write_str(c, head, (size_t)hl);
		if (!c->ri.head) {
			conn_write_str(c, body, strlen(body));
			c->ri.body_bytes_sent = strlen(body);
		}
		free(body);
		if (!up)
			log_warn("health: upstream %s %s", c->rt->upstream_name, error ? error : "unhealthy");
	}
	conn_unpin(c);
}

void health_probe(struct conn *c)
{
	c->state = CS_LOCAL;
	conn_pin(c);
	uint64_t to = c->rt->cfg->upstream_connect_timeout < 5000 ? c->rt->cfg->upstream_connect_timeout : 5000;
	health_probe_upstream(&c->w->loop, c->rt, to, answer, c);
}
