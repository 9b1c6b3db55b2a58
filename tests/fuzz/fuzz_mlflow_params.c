/* libFuzzer target: MLflow id extraction from query strings and JSON bodies.
 * Input: first byte picks method and field, then query '\n' body.
 * Differential: whenever jansson (strict, duplicate keys refused) accepts the
 * body (without NUL bytes, which it lets through), the in-place scanner must find exactly what a reading of jansson's
 * tree finds, or refuse exactly when that reading does. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "authz/mlflow_params.h"
#include "jansson_depth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ref {
	size_t n;
	char v[PARAMS_MAX_VALUES + 1][PARAMS_MAX_VALUE];
	int skip;	/* a value the comparison does not judge (length bounds) */
};

static int either(json_t *o, const char *snake, json_t **v)
{
	char camel[128];
	mlflow_params_camel(snake, camel, sizeof camel);
	json_t *a = json_object_get(o, snake), *b = strcmp(snake, camel) ? json_object_get(o, camel) : NULL;
	if (a && b)
		return -1;
	*v = a ? a : b;
	return 0;
}

static int ref_value(json_t *x, struct ref *r)
{
	if (json_is_null(x))
		return 0;
	if (r->n == PARAMS_MAX_VALUES)
		return -1;
	if (json_is_string(x)) {
		if (json_string_length(x) >= 1000) {
			r->skip = 1;
			return 0;
		}
		snprintf(r->v[r->n++], PARAMS_MAX_VALUE, "%s", json_string_value(x));
		return 0;
	}
	if (json_is_integer(x)) {
		snprintf(r->v[r->n++], PARAMS_MAX_VALUE, "%" JSON_INTEGER_FORMAT, json_integer_value(x));
		return 0;
	}
	return -1;
}

static int ref_field(json_t *root, const char *field, struct ref *r)
{
	char outer[128];
	const char *dot = strchr(field, '.');
	json_t *o = root, *v;
	if (dot) {
		snprintf(outer, sizeof outer, "%.*s", (int)(dot - field), field);
		if (either(root, outer, &o))
			return -1;
		if (o == NULL || json_is_null(o))
			return 0;
		if (!json_is_object(o))
			return -1;
		field = dot + 1;
	}
	if (either(o, field, &v))
		return -1;
	if (v == NULL)
		return 0;
	if (!json_is_array(v))
		return ref_value(v, r);
	size_t i;
	json_t *x;
	json_array_foreach(v, i, x)
		if (ref_value(x, r))
			return -1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fields[] = { "experiment_id", "run_id", "experiment_ids", "name",
					      "config.dataset_id", "source_prompt_uri", "run_ids", "trace_id" };
	if (size < 1)
		return 0;
	const char *method = (data[0] & 1) ? "GET" : "POST";
	const char *field = fields[(data[0] >> 1) & 7];
	const char *in = (const char *)data + 1;
	size_t n = size - 1;
	const char *nl = memchr(in, '\n', n);
	size_t ql = nl ? (size_t)(nl - in) : n;
	const char *body = nl ? nl + 1 : in + n;
	size_t bl = nl ? n - ql - 1 : 0;
	struct param_values *pv = malloc(sizeof *pv);
	const char *err;
	int rc = mlflow_params_extract(method, in, ql, body, bl, field, pv, &err);
	if (rc == 0) {
		if (pv->n > PARAMS_MAX_VALUES)
			abort();
		for (size_t i = 0; i < pv->n; i++)
			if (strlen(pv->v[i]) >= PARAMS_MAX_VALUE)
				abort();
	}
	bool from_body = bl > 0 && (strcmp(method, "POST") == 0 || ql == 0);
	json_t *root = from_body ? json_loadb(body, bl, JSON_REJECT_DUPLICATES, NULL) : NULL;
	if (root && json_is_object(root) && jansson_depth(root) <= 60 && memchr(body, 0, bl) == NULL) {
		struct ref *r = calloc(1, sizeof *r);
		int want = ref_field(root, field, r);
		if (want == 0 && strcmp(field, "run_id") == 0) {
			size_t n0 = r->n;
			want = ref_field(root, "run_uuid", r);
			if (want == 0 && (r->n == n0 || (n0 > 0 && r->v[0][0] != '\0')))
				r->n = n0;	/* run_id's, unless it gave none (or one empty) and run_uuid some */
			else if (want == 0) {
				memmove(r->v[0], r->v[n0], (r->n - n0) * sizeof r->v[0]);
				r->n -= n0;
			}
		}
		if (!r->skip) {
			if ((want == 0) != (rc == 0))
				abort();
			if (rc == 0 && pv->n != r->n)
				abort();
			for (size_t i = 0; rc == 0 && i < r->n; i++)
				if (strcmp(pv->v[i], r->v[i]) != 0)
					abort();
		}
		free(r);
	}
	json_decref(root);
	free(pv);
	return 0;
}
