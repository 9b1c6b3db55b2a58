/* Authorisation of one MLflow request for an authenticated user: the route
 * (matched once), the ids read from it as MLflow reads them, resolved to the
 * experiment or registered model they belong to, and the user's effective
 * level there (src/authz/policy.c) against the route's need. Runs after
 * authentication and, for JSON API calls, after the body was read whole. */
#ifndef MG_AUTHZ_STAGE_H
#define MG_AUTHZ_STAGE_H
#include "authz/mlflow_routes.h"
#include <stdbool.h>
#include "authz/policy.h"

struct conn;
struct worker;
struct route_match;

/* Decides, now or later (store and MLflow look-ups run off the request's
 * path, results are cached). On success calls proxy_connect(c); otherwise
 * answers 400/403/404/502/503 itself. m is the matched route or NULL. */
void authz_stage_run(struct conn *c, const struct route_match *m);

/* The caller's decision inputs, held across asynchronous steps (searches
 * filter page after page with them). */
struct az_user;
struct az_user *authz_user_hold(struct conn *c);
void authz_user_release(struct az_user *u);
/* The held user's effective level on an experiment (id, name) or model. */
enum perm_level authz_level(struct conn *c, const struct az_user *u, enum resource_kind kind, const char *id,
			    const char *name);
bool authz_user_is_admin(const struct az_user *u);
/* May the held user READ the experiment (id, name) or model (name)? */
bool authz_can_read(struct conn *c, const struct az_user *u, enum resource_kind kind, const char *id,
		    const char *name);

/* The ids the current request named, as a JSON object for the audit log
 * ({"experiment": [..]} style, kinds as keys), or NULL. */
#include <jansson.h>
json_t *authz_job_resources(struct conn *c);
/* The ids authorisation read (kinds[i] says what ids[i] names); 0 when none.
 * Valid until the request ends. */
size_t authz_job_ids(struct conn *c, const enum route_resource **kinds, char *const **ids);

/* Frees what the current request's authorisation kept. */
void authz_job_free(struct conn *c);
/* Frees the worker's per-user decision cache. */
void authz_worker_free(struct worker *w);

#endif
