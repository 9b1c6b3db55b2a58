/* The admin listener (admin.listen, default 127.0.0.1:9180): Prometheus
 * metrics at /metrics, liveness at /healthz, readiness at /readyz (MLflow
 * answers /health, the store answers a query, the audit log is writable).
 * Runs on the main thread's loop, apart from the workers, so it answers
 * while they are busy; one request per connection; GET and HEAD only. */
#ifndef MG_ADMIN_LISTEN_H
#define MG_ADMIN_LISTEN_H
#include "http/server.h"

/* Binds host:port on srv->loop. 0, or a libuv error (logged). */
int admin_listen_start(struct server *srv, const char *host, int port);
void admin_listen_stop(struct server *srv);

#endif
