/* MLflow's REST surface as a static table: for each route the method, the
 * path (after /api/N.0 or /ajax-api/N.0), the resource it touches, where the
 * id comes from and the level it needs. Matching is exact on the method (HEAD
 * as GET) and on the path with {param} segments; anything not in the table
 * does not match (the caller denies it to non-admins: fail closed). Pure. */
#ifndef MG_MLFLOW_ROUTES_H
#define MG_MLFLOW_ROUTES_H
#include <stdbool.h>
#include <stddef.h>
#include "authz/levels.h"

enum route_resource {
	RES_NONE = 0,		/* any authenticated user (creates, searches filtered later) */
	RES_EXPERIMENT,		/* field: experiment id */
	RES_EXPERIMENT_NAME,	/* field: experiment name (resolved to an id) */
	RES_EXPERIMENT_LIST,	/* field: repeated experiment ids, every one checked */
	RES_RUN,		/* field: run id (run_id, else run_uuid), resolved to its experiment */
	RES_RUN_LIST,		/* field: repeated run ids */
	RES_MODEL,		/* field: registered-model name */
	RES_LOGGED_MODEL,	/* field: logged-model id, resolved to its experiment */
	RES_TRACE,		/* field: trace id, resolved to its experiment */
	RES_TRACE_LIST,		/* field: repeated trace ids, every one checked */
	RES_ARTIFACT,		/* path after the route prefix: experiment id is its first segment */
	RES_ADMIN,		/* admins only */
	RES_GRAPHQL,		/* the body's GraphQL operations name experiments and runs (src/authz/graphql.c) */
	RES_LOCAL,		/* answered by mlgate itself (users, grants, groups, tokens); never forwarded */
	/* GenAI (3.x) resources that live inside experiments: resolved to theirs */
	RES_DATASET,		/* evaluation dataset id -> every experiment it is linked to (none: admins only) */
	RES_ISSUE,		/* issue id -> its experiment */
	RES_LABEL_SCHEMA,	/* label schema id -> its experiment */
	RES_REVIEW_QUEUE,	/* review queue id -> its experiment */
	RES_PROMPT_JOB,		/* prompt optimization job id -> its experiment */
	RES_PROMPT_URI,		/* field: "prompts:/NAME/..." -> the registered model (prompt) NAME */
	RES_COUNT
};

/* Where the id is read from. */
enum route_id_source {
	ID_PARAMS = 0,		/* as MLflow reads parameters: query for GET with a query, else JSON */
	ID_PATH,		/* the {param} path segment named by field */
	ID_QUERY,		/* query string only (hand-registered Flask routes) */
	ID_HEADER,		/* a request header named by field (OTel trace ingest) */
};

/* A further resource a route needs a level on (besides its main one). */
struct route_extra {
	enum route_resource resource;
	const char *field;		/* read as the route's parameters are; "a.b": field b of object a in the body */
	enum perm_level level;
	bool required;			/* absent or empty: 400 */
};

#define ROUTE_NONEMPTY 1u		/* a list resource must name at least one id (else 400) */

struct mlflow_route {
	const char *method;		/* "GET", "POST", "PATCH", "DELETE", "PUT" */
	const char *path;		/* e.g. "/mlflow/runs/get", "/mlflow/traces/{trace_id}/info" */
	unsigned versions;		/* bit 2: /api/2.0, bit 3: /api/3.0 (and the ajax twins) */
	enum route_resource resource;
	enum route_id_source source;
	const char *field;		/* parameter or path segment holding the id */
	enum perm_level level;		/* needed on the resource */
	const char *rpc;		/* MLflow's RPC name, for logs and the audit trail */
	unsigned flags;			/* ROUTE_* */
	const struct route_extra *extra;	/* further requirements, ended by RES_NONE; or NULL */
};

/* The name a resource kind has in `mlgate routes` ("experiment_list") and
 * the key the audit trail groups its ids under ("experiment"). */
const char *mlflow_routes_resource_name(enum route_resource r);
const char *mlflow_routes_resource_key(enum route_resource r);

struct route_match {
	const struct mlflow_route *route;
	int version;			/* 2 or 3 */
	bool ajax;			/* /ajax-api/ twin */
	const char *rest;		/* for RES_ARTIFACT: the artifact path after the route */
	size_t rest_len;
	const char *param;		/* the {param} value for ID_PATH */
	size_t param_len;
};

/* Matches method + path (no query). Accepts /api/N.0, /ajax-api/N.0, the
 * malformed "/api/2.0mlflow/" spelling MLflow really registers, and the
 * hand-registered routes. Returns 0 and fills m, or -ENOENT. */
int mlflow_routes_match(const char *method, const char *path, size_t len, struct route_match *m);
/* Route families: what metrics count by and rate limits apply to. */
enum route_family {
	FAM_API_READ = 0,	/* MLflow API reads (GET) */
	FAM_API_WRITE,		/* MLflow API changes */
	FAM_SEARCH,		/* search and list calls (the expensive reads) */
	FAM_GRAPHQL,
	FAM_ARTIFACT_READ,	/* artifact downloads and listings */
	FAM_ARTIFACT_WRITE,	/* artifact uploads and deletes */
	FAM_ADMIN,		/* answered by mlgate (users, grants, tokens) */
	FAM_API_OTHER,		/* an API path not in the table */
	FAM_UI,			/* the web UI and its static files */
	FAM_HEALTH,
	FAM_COUNT
};
/* The family of method + path (after the mount, no query). */
enum route_family mlflow_routes_family(const char *method, const char *path, size_t len);
/* The same from a match already made (m NULL: nothing matched). */
enum route_family mlflow_routes_family_of(const struct route_match *m, const char *method, const char *path,
					 size_t len);
const char *mlflow_routes_family_name(enum route_family f);
/* FAM_COUNT when name is not a family. */
enum route_family mlflow_routes_family_parse(const char *name);
/* The whole table (for the permission-matrix tests and docs). */
const struct mlflow_route *mlflow_routes_table(size_t *n);

#endif
