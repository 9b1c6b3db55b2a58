/* Admin listener: /metrics, /healthz, /readyz (see admin_listen.h). */
#include "http/admin_listen.h"
#include "http/health.h"
#include "audit/audit_log.h"
#include "audit/metrics.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/store.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADMIN_MAX_HEAD 8192
#define ADMIN_TIMEOUT_MS 5000
#define PROBE_TIMEOUT_MS 2000

struct admin_listener {
	uv_tcp_t tcp;
	struct server *srv;
};

struct admin_conn {
	uv_tcp_t tcp;
	uv_timer_t timer;
	struct server *srv;
	char in[ADMIN_MAX_HEAD];
	size_t len;
	bool answered;
	bool head;
	int closes;
	bool probing;			/* /readyz waits for MLflow's answer */
	bool dead;			/* closed while probing: close when the answer comes */
};

static void ac_closed(uv_handle_t *h)
{
	struct admin_conn *ac = h->data;
	if (--ac->closes == 0)
		free(ac);
}

static void ac_close(struct admin_conn *ac)
{
	if (ac->closes)
		return;
	if (ac->probing) {
		ac->dead = true;	/* the probe's callback still holds ac */
		uv_read_stop((uv_stream_t *)&ac->tcp);
		return;
	}
	ac->closes = 2;
	uv_close((uv_handle_t *)&ac->tcp, ac_closed);
	uv_close((uv_handle_t *)&ac->timer, ac_closed);
}

struct admin_write {
	uv_write_t req;
	struct admin_conn *ac;
	char *data;
};

static void on_written(uv_write_t *req, int status)
{
	struct admin_write *aw = (struct admin_write *)req;
	(void)status;
	ac_close(aw->ac);
	free(aw->data);
	free(aw);
}

static void respond(struct admin_conn *ac, int status, const char *reason, const char *ctype, const char *body,
		    size_t blen)
{
	if (ac->answered)
		return;
	ac->answered = true;
	uv_read_stop((uv_stream_t *)&ac->tcp);
	size_t cap = blen + 512;
	struct admin_write *aw = mem_alloc(sizeof *aw);
	aw->ac = ac;
	aw->data = mem_alloc(cap);
	int hl = snprintf(aw->data, cap,
			  "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nCache-Control: no-store\r\n"
			  "Connection: close\r\n\r\n",
			  status, reason, ctype, blen);
	size_t n = (size_t)hl;
	if (!ac->head) {
		memcpy(aw->data + n, body, blen);
		n += blen;
	}
	uv_buf_t b = uv_buf_init(aw->data, (unsigned)n);
	if (uv_write(&aw->req, (uv_stream_t *)&ac->tcp, &b, 1, on_written) != 0) {
		free(aw->data);
		free(aw);
		ac_close(ac);
	}
}

static void send_metrics(struct admin_conn *ac)
{
	struct server *srv = ac->srv;
	struct metrics_gauges g = { .workers = (uint64_t)srv->nworkers, .audit_ok = -1 };
	for (int i = 0; i < srv->nworkers; i++) {
		/* read without the owner's cooperation: a gauge may be a moment old */
		g.connections += __atomic_load_n(&srv->workers[i].nconns, __ATOMIC_RELAXED);
		size_t idle = __atomic_load_n(&srv->workers[i].nidle, __ATOMIC_RELAXED);
		size_t open = __atomic_load_n(&srv->workers[i].nup_open, __ATOMIC_RELAXED);
		g.upstream_idle += idle;
		g.upstream_busy += open > idle ? open - idle : 0;
	}
	if (srv->audit)
		g.audit_ok = audit_log_failed(srv->audit) ? 0 : 1;
	struct buf out;
	buf_init(&out, 8 << 20);
	metrics_render(srv->metrics, &g, &out);
	respond(ac, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", out.data ? out.data : "", out.len);
	buf_free(&out);
}

/* Readiness: the store and the audit log are checked when MLflow's answer
 * to /health (fresh connection, PROBE_TIMEOUT_MS) comes. */
static void ready_answer(void *ctx, int upstream_status, const char *upstream_error, uint64_t latency_ms)
{
	struct admin_conn *ac = ctx;
	ac->probing = false;
	if (ac->dead) {
		ac_close(ac);
		return;
	}
	struct server *srv = ac->srv;
	long long v;
	char *err = NULL;
	bool store_ok = store_generation_get(srv->store, "grants", &v, &err) == 0;
	bool audit_ok = srv->audit == NULL || !audit_log_failed(srv->audit);
	bool up_ok = upstream_status == 200;
	json_t *o = json_pack("{s:s, s:{s:{s:b, s:s, s:I}, s:{s:b, s:s}, s:{s:b, s:s}}}", "status",
			      store_ok && audit_ok && up_ok ? "ready" : "not ready", "checks", "upstream", "ok", up_ok,
			      "detail", up_ok ? "MLflow /health answered 200" : upstream_error ? upstream_error : "unhealthy",
			      "latency_ms", (json_int_t)latency_ms, "store", "ok", store_ok, "detail",
			      store_ok ? "query answered" : (err ? err : "store error"), "audit_log", "ok", audit_ok, "detail",
			      srv->audit == NULL ? "off" : audit_ok ? "writable" : "failed (see the error log)");
	free(err);
	char *body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	bool ok = store_ok && audit_ok && up_ok;
	if (!ok)
		log_warn("readyz: not ready (%s%s%s)", up_ok ? "" : "upstream ", store_ok ? "" : "store ",
			 audit_ok ? "" : "audit log");
	respond(ac, ok ? 200 : 503, ok ? "OK" : "Service Unavailable", "application/json", body, strlen(body));
	free(body);
}

static void send_ready(struct admin_conn *ac)
{
	ac->probing = true;
	uv_timer_stop(&ac->timer);	/* the probe's own timeout bounds the wait */
	health_probe_upstream(&ac->srv->loop, ac->srv->rt, PROBE_TIMEOUT_MS, ready_answer, ac);
}

static void handle(struct admin_conn *ac, const struct h1_message *m)
{
	char path[64];
	size_t tl = strcspn(m->target, "?");
	if (tl > m->target_len)
		tl = m->target_len;
	snprintf(path, sizeof path, "%.*s", (int)(tl < sizeof path ? tl : sizeof path - 1), m->target);
	bool get = m->method_len == 3 && memcmp(m->method, "GET", 3) == 0;
	ac->head = m->method_len == 4 && memcmp(m->method, "HEAD", 4) == 0;
	if (!get && !ac->head) {
		respond(ac, 405, "Method Not Allowed", "text/plain", "use GET\n", 8);
		return;
	}
	if (strcmp(path, "/metrics") == 0)
		send_metrics(ac);
	else if (strcmp(path, "/healthz") == 0)
		respond(ac, 200, "OK", "application/json", "{\"status\":\"alive\"}", 18);
	else if (strcmp(path, "/readyz") == 0)
		send_ready(ac);
	else
		respond(ac, 404, "Not Found", "text/plain", "not found: /metrics, /healthz, /readyz\n", 39);
}

static void ac_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct admin_conn *ac = h->data;
	(void)hint;
	*buf = uv_buf_init(ac->in + ac->len, (unsigned)(sizeof ac->in - ac->len));
}

static void ac_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct admin_conn *ac = s->data;
	(void)buf;
	if (n < 0) {
		ac_close(ac);
		return;
	}
	ac->len += (size_t)n;
	struct h1_message *m = mem_calloc(1, sizeof *m);
	struct h1_limits lim = { .max_head = ADMIN_MAX_HEAD, .max_target = 1024 };
	const char *err = NULL;
	int rc = h1_parse_request(ac->in, ac->len, &lim, m, &err);
	if (rc > 0)
		handle(ac, m);
	else if (rc < 0 || ac->len == sizeof ac->in)
		respond(ac, 400, "Bad Request", "text/plain", "bad request\n", 12);
	free(m);
}

static void ac_timeout(uv_timer_t *t)
{
	ac_close(t->data);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct admin_listener *al = server->data;
	if (status < 0)
		return;
	struct admin_conn *ac = mem_calloc(1, sizeof *ac);
	ac->srv = al->srv;
	uv_tcp_init(&al->srv->loop, &ac->tcp);
	uv_timer_init(&al->srv->loop, &ac->timer);
	ac->tcp.data = ac->timer.data = ac;
	if (uv_accept(server, (uv_stream_t *)&ac->tcp) != 0) {
		ac_close(ac);
		return;
	}
	uv_timer_start(&ac->timer, ac_timeout, ADMIN_TIMEOUT_MS, 0);
	uv_read_start((uv_stream_t *)&ac->tcp, ac_alloc, ac_read);
}

static void al_closed(uv_handle_t *h)
{
	free(h->data);
}

int admin_listen_start(struct server *srv, const char *host, int port)
{
	struct sockaddr_storage ss;
	int rc = uv_ip4_addr(host, port, (struct sockaddr_in *)&ss);
	if (rc)
		rc = uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss);
	if (rc) {
		log_error("admin.listen: %s is not an IP address", host);
		return rc;
	}
	struct admin_listener *al = mem_calloc(1, sizeof *al);
	al->srv = srv;
	uv_tcp_init(&srv->loop, &al->tcp);
	al->tcp.data = al;
	if ((rc = uv_tcp_bind(&al->tcp, (const struct sockaddr *)&ss, 0)) == 0)
		rc = uv_listen((uv_stream_t *)&al->tcp, 64, on_connection);
	if (rc) {
		log_error("admin.listen %s:%d: %s", host, port, uv_strerror(rc));
		uv_close((uv_handle_t *)&al->tcp, al_closed);
		return rc;
	}
	srv->admin = al;
	log_info("admin listener (metrics, health) on %s:%d", host, port);
	return 0;
}

void admin_listen_stop(struct server *srv)
{
	if (srv->admin) {
		uv_close((uv_handle_t *)&srv->admin->tcp, al_closed);
		srv->admin = NULL;
	}
}
