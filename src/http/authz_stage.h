/* Authorisation of one MLflow request for an authenticated user: the route
 * (matched once), the ids read from it as MLflow reads them, resolved to the
 * experiment or registered model they belong to, and the user's effective
 * level there (src/authz/policy.c) against the route's need. Runs after
 * authentication and, for JSON API calls, after the body was read whole. */
#ifndef MG_AUTHZ_STAGE_H
#define MG_AUTHZ_STAGE_H
#include <stdbool.h>

struct conn;
struct worker;
struct route_match;

/* Decides, now or later (store and MLflow look-ups run off the request's
 * path, results are cached). On success calls proxy_connect(c); otherwise
 * answers 400/403/404/502/503 itself. m is the matched route or NULL. */
void authz_stage_run(struct conn *c, const struct route_match *m);

/* Frees what the current request's authorisation kept. */
void authz_job_free(struct conn *c);
/* Frees the worker's per-user decision cache. */
void authz_worker_free(struct worker *w);

#endif
