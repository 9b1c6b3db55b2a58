/* MLflow's health, asked on a fresh connection (so a broken pool cannot hide
 * an outage): GET /health, the status line read, bounded by a timeout.
 * health_probe answers a client's GET /-/health with it; admin_listen.c's
 * /readyz uses health_probe_upstream directly. */
#ifndef MG_HEALTH_H
#define MG_HEALTH_H
#include "http/conn.h"

/* Called once, on loop's thread: http_status 200 when healthy, 0 when no
 * answer came (error says why), another status otherwise. */
typedef void (*health_probe_cb)(void *ctx, int http_status, const char *error, uint64_t latency_ms);

/* Asks the upstream of rt (the caller keeps rt alive until cb). */
void health_probe_upstream(uv_loop_t *loop, const struct runtime *rt, uint64_t timeout_ms, health_probe_cb cb,
			   void *ctx);
/* Answers c's GET /-/health: the gateway itself and MLflow, as JSON. */
void health_probe(struct conn *c);

#endif
