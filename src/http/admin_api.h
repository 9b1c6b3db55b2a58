/* The identity store over HTTP, answered by mlgate itself (never forwarded):
 * MLflow's auth REST API (mlflow-api.md §2.6) with the same paths, fields
 * and answers, so AuthServiceClient and scripts written for it work; and
 * mlgate's groups, grants (patterns included) and tokens under
 * /api/2.0/mlgate/. Checks happen on the loop thread with the caller's
 * cached grants; store work runs on the thread pool. */
#ifndef MG_ADMIN_API_H
#define MG_ADMIN_API_H

struct conn;
struct az_user;

/* c->route is a RES_LOCAL row; u is the caller's held decision inputs
 * (released here). Answers the request. */
void admin_api_start(struct conn *c, struct az_user *u);

#endif
