/* libFuzzer target: MLflow id extraction from query strings and JSON bodies.
 * Input: first byte picks method and field, then query '\n' body. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "authz/mlflow_params.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	if (mlflow_params_extract(method, in, ql, body, bl, field, pv, &err) == 0) {
		if (pv->n > PARAMS_MAX_VALUES)
			abort();
		for (size_t i = 0; i < pv->n; i++)
			if (strlen(pv->v[i]) >= PARAMS_MAX_VALUE)
				abort();
	}
	free(pv);
	return 0;
}
