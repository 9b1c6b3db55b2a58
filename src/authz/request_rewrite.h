/* Checks and rewrites of MLflow create calls before MLflow sees them (pure,
 * fuzzed): URIs that MLflow will later read (experiments/create
 * artifact_location, model-versions/create source and run_link) must pass
 * uri_check; runs/create is attributed to the authenticated user (user_id
 * and the mlflow.user tag), as are the GenAI calls that record a person:
 * created_by (issues, review queues), completed_by (a reviewed queue item)
 * and the source_id of a HUMAN assessment. Both spellings (snake_case, lowerCamelCase) are
 * handled, as MLflow's JSON parser accepts both. */
#ifndef MG_REQUEST_REWRITE_H
#define MG_REQUEST_REWRITE_H
#include <stddef.h>

enum attribution_mode {
	ATTRIBUTION_REWRITE = 0,	/* user_id and mlflow.user become the caller (clients send the OS user) */
	ATTRIBUTION_REJECT,		/* a different user_id or mlflow.user is refused (403) */
	ATTRIBUTION_OFF,
};

struct rewrite_opts {
	const char *user;		/* the authenticated user */
	const char *schemes;		/* allowed URI schemes, comma-separated */
	enum attribution_mode attribution;
};

/* rpc: the route's RPC name. Returns 0 (body unchanged, *out NULL), 1 with a
 * new body in *out (malloc'd, *outlen bytes), -EINVAL with *why (answer 400)
 * or -EACCES with *why (answer 403). */
int request_rewrite(const char *rpc, const char *body, size_t len, const struct rewrite_opts *o, char **out,
		    size_t *outlen, const char **why);

#endif
