/* Request-target routing before authentication: the gateway's own paths,
 * the mount prefix, public paths, and which callers get JSON errors. Pure. */
#ifndef MG_URL_H
#define MG_URL_H
#include <stdbool.h>
#include <stddef.h>
#include "config/config.h"

enum url_kind {
	URL_PROXY = 0,		/* for MLflow */
	URL_HEALTH,		/* GET /-/health, the gateway's own */
	URL_MOUNT_REDIRECT,	/* "/mlflow" without the slash */
	URL_OUTSIDE_MOUNT,	/* not under the mount: 404 */
};

struct url_route {
	enum url_kind kind;
	const char *path;		/* after the mount, before '?' */
	size_t path_len;
	const char *upstream_target;	/* after the mount, with the query */
	size_t upstream_target_len;
	const char *query;		/* from '?' (inclusive), or "" */
	size_t query_len;
};

/* Routes target (origin-form or "*") under mount ("" or "/prefix"). The
 * result points into target. */
void url_route(const char *target, size_t len, const char *mount, struct url_route *r);
/* true only for a canonical path (no %-escapes, dot segments, "//", "\\" or
 * ';') equal to an entry, or under an entry that ends in '/'. */
bool url_is_public(const char *path, const struct strlist *public_paths);
/* mlflow-artifacts routes under /api/2.0 and /ajax-api/2.0. */
bool url_is_artifact(const char *path);
/* API paths whose callers expect MLflow's JSON errors. */
bool url_wants_json(const char *path);
/* The Accept header (may be NULL) names text/html. */
struct h1_header;
bool url_accepts_html(const struct h1_header *accept);

#endif
