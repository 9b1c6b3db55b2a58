/* Reads resource ids from an MLflow request exactly as MLflow's handlers do
 * (mlflow-api.md §1.2): the query string for GET/HEAD when it is non-empty,
 * else the JSON body; snake_case or lowerCamelCase (never both); run_id, else
 * run_uuid. Pure and bounded; everything ambiguous is rejected. */
#ifndef MG_MLFLOW_PARAMS_H
#define MG_MLFLOW_PARAMS_H
#include <stdbool.h>
#include <stddef.h>

#define PARAMS_MAX_VALUES 128
#define PARAMS_MAX_VALUE 1024

struct param_values {
	size_t n;
	char v[PARAMS_MAX_VALUES][PARAMS_MAX_VALUE];
};

/* Fills out with every value of field (a repeated field gives several);
 * "outer.field" reads a field of the body's object field outer.
 * method: "GET"/"HEAD" read the query when it is non-empty. query excludes
 * the '?'. Returns 0 (possibly with n == 0: the field is absent), or -EINVAL
 * with *err for: both spellings of a field, duplicate JSON keys, a body that
 * is not a JSON object, a GET/HEAD with both a query and a body, values that
 * are not strings or integers, too many or too long values, bad escapes. */
int mlflow_params_extract(const char *method, const char *query, size_t qlen, const char *body, size_t blen,
			  const char *field, struct param_values *out, const char **err);

/* A request body checked at most once for several fields (the verdict is
 * kept until params_body_clear or the next params_body_set). */
struct params_body {
	const char *data;
	size_t len;
	int state;		/* 0 not checked, 1 a JSON object, -1 not acceptable */
	const char *err;
};
void params_body_set(struct params_body *b, const char *data, size_t len);
void params_body_clear(struct params_body *b);

/* mlflow_params_extract on a body that is parsed once (b may be NULL: no body). */
int mlflow_params_extract_body(const char *method, const char *query, size_t qlen, struct params_body *b,
			       const char *field, struct param_values *out, const char **err);

/* lowerCamelCase of a snake_case name ("experiment_ids" -> "experimentIds"). */
void mlflow_params_camel(const char *snake, char *out, size_t cap);

#endif
