/* The MLflow route table: prefixes and twins, HEAD as GET, the malformed
 * spelling, literal before pattern, path parameters, artifact rests, and
 * fail-closed misses. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "authz/mlflow_routes.h"

static const struct mlflow_route *match(const char *method, const char *path, struct route_match *m)
{
	return mlflow_routes_match(method, path, strlen(path), m) == 0 ? m->route : NULL;
}

static void test_prefixes(void **state)
{
	struct route_match m;
	const struct mlflow_route *r = match("GET", "/api/2.0/mlflow/runs/get", &m);
	assert_non_null(r);
	assert_string_equal(r->rpc, "GetRun");
	assert_int_equal(r->resource, RES_RUN);
	assert_int_equal(m.version, 2);
	assert_false(m.ajax);
	r = match("GET", "/ajax-api/2.0/mlflow/runs/get", &m);
	assert_non_null(r);
	assert_true(m.ajax);
	r = match("HEAD", "/api/2.0/mlflow/runs/get", &m);	/* HEAD is GET */
	assert_non_null(r);
	assert_string_equal(r->rpc, "GetRun");
	assert_null(match("POST", "/api/2.0/mlflow/runs/get", &m));	/* wrong method */
	assert_null(match("GET", "/api/3.0/mlflow/runs/get", &m));	/* v2 only */
	assert_null(match("GET", "/api/2.0/mlflow/runs/get/", &m));
	assert_null(match("GET", "/api/2.0/mlflow/runs/getx", &m));
	assert_null(match("GET", "/api/2.1/mlflow/runs/get", &m));
	assert_null(match("GET", "/api/2.0/mlflow/unknown", &m));	/* fail closed */
	assert_null(match("GET", "/other", &m));
	r = match("POST", "/api/2.0mlflow/experiments/search-datasets", &m);
	assert_non_null(r);
	assert_int_equal(r->resource, RES_EXPERIMENT_LIST);
	r = match("POST", "/ajax-api/2.0mlflow/experiments/search-datasets", &m);
	assert_non_null(r);
	assert_null(match("POST", "/api/2.0mlflow/runs/get", &m));
}

static void test_params_and_literals(void **state)
{
	struct route_match m;
	const struct mlflow_route *r = match("GET", "/api/3.0/mlflow/traces/get", &m);
	assert_non_null(r);
	assert_string_equal(r->rpc, "GetTrace");
	r = match("GET", "/api/3.0/mlflow/traces/tr-123", &m);
	assert_non_null(r);
	assert_string_equal(r->rpc, "GetTraceInfoV3");
	assert_int_equal(m.param_len, 6);
	assert_memory_equal(m.param, "tr-123", 6);
	r = match("GET", "/api/2.0/mlflow/traces/abc/info", &m);
	assert_non_null(r);
	assert_string_equal(r->rpc, "GetTraceInfo");
	assert_memory_equal(m.param, "abc", 3);
	r = match("DELETE", "/api/2.0/mlflow/logged-models/m-1/tags/k", &m);
	assert_non_null(r);
	assert_memory_equal(m.param, "m-1", 3);
	r = match("POST", "/api/2.0/mlflow/logged-models/search", &m);
	assert_string_equal(r->rpc, "SearchLoggedModels");
	assert_null(match("GET", "/api/2.0/mlflow/logged-models//tags", &m));
}

static void test_artifacts_and_hand_routes(void **state)
{
	struct route_match m;
	const struct mlflow_route *r = match("PUT", "/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/m.pkl", &m);
	assert_non_null(r);
	assert_int_equal(r->resource, RES_ARTIFACT);
	assert_int_equal(r->level, LEVEL_EDIT);
	assert_int_equal(m.rest_len, strlen("1/abc/artifacts/m.pkl"));
	r = match("DELETE", "/ajax-api/2.0/mlflow-artifacts/artifacts/1/x", &m);
	assert_int_equal(r->level, LEVEL_MANAGE);
	r = match("POST", "/api/2.0/mlflow-artifacts/mpu/create/1/x", &m);
	assert_non_null(r);
	assert_null(match("GET", "/api/2.0/mlflow-artifacts/artifacts/", &m));	/* no path */
	r = match("GET", "/get-artifact", &m);
	assert_non_null(r);
	assert_int_equal(r->source, ID_QUERY);
	r = match("HEAD", "/model-versions/get-artifact", &m);
	assert_int_equal(r->resource, RES_MODEL);
	assert_null(match("GET", "/api/2.0/get-artifact", &m));
	r = match("POST", "/api/2.0/mlflow/webhooks", &m);
	assert_int_equal(r->resource, RES_ADMIN);
}

/* The GenAI families: literal rows win over {param} rows ("search" is no
 * dataset or job id), the first {param} is the id, 3.0 only. */
static void test_genai_families(void **state)
{
	struct route_match m;
	const struct mlflow_route *r = match("GET", "/api/3.0/mlflow/datasets/search", &m);
	assert_non_null(r);
	assert_string_equal(r->rpc, "SearchEvaluationDatasets");
	assert_true(r->flags & ROUTE_NONEMPTY);
	r = match("DELETE", "/ajax-api/3.0/mlflow/datasets/d-1/tags/team", &m);
	assert_non_null(r);
	assert_int_equal(r->resource, RES_DATASET);
	assert_int_equal(m.param_len, 3);
	assert_memory_equal(m.param, "d-1", 3);
	assert_null(match("GET", "/api/2.0/mlflow/datasets/d-1", &m));	/* 3.x only */
	r = match("POST", "/api/3.0/mlflow/datasets/d-1/add-experiments", &m);
	assert_non_null(r->extra);
	assert_int_equal(r->extra[0].resource, RES_EXPERIMENT_LIST);
	assert_int_equal(r->extra[1].resource, RES_NONE);
	r = match("GET", "/api/3.0/mlflow/prompt-optimization/jobs/search", &m);
	assert_string_equal(r->rpc, "SearchPromptOptimizationJobs");
	r = match("GET", "/api/3.0/mlflow/prompt-optimization/jobs/j-9", &m);
	assert_int_equal(r->resource, RES_PROMPT_JOB);
	r = match("POST", "/api/3.0/mlflow/issues/search", &m);
	assert_string_equal(r->rpc, "SearchIssues");
	r = match("GET", "/api/3.0/mlflow/issues/search", &m);	/* GET: an issue called "search" */
	assert_int_equal(r->resource, RES_ISSUE);
	r = match("POST", "/api/3.0/mlflow/review-queues/items/set-status", &m);
	assert_int_equal(r->resource, RES_REVIEW_QUEUE);
	assert_int_equal(r->level, LEVEL_EDIT);
	r = match("DELETE", "/api/3.0/mlflow/label-schemas/delete", &m);
	assert_int_equal(r->level, LEVEL_MANAGE);
	assert_string_equal(mlflow_routes_resource_name(RES_LABEL_SCHEMA), "label_schema");
	assert_string_equal(mlflow_routes_resource_key(RES_PROMPT_URI), "model");
}

static void test_table_is_sound(void **state)
{
	size_t n;
	const struct mlflow_route *t = mlflow_routes_table(&n);
	assert_true(n > 70);
	for (size_t i = 0; i < n; i++) {
		const struct mlflow_route *r = &t[i];
		bool needs_field = r->resource != RES_NONE && r->resource != RES_ADMIN && r->resource != RES_ARTIFACT &&
				   r->resource != RES_GRAPHQL && r->resource != RES_LOCAL;
		if (needs_field && r->field == NULL)
			fail_msg("%s %s has no id field", r->method, r->path);
		if (r->source == ID_PATH && needs_field && strstr(r->path, "{") == NULL)
			fail_msg("%s %s reads a path id but has no {param}", r->method, r->path);
		/* deletes need MANAGE, as in MLflow (whose auth app lets EDIT remove
		 * tags and a dataset's records) */
		if (strncmp(r->rpc, "Delete", 6) == 0 && r->resource != RES_ADMIN && r->level != LEVEL_MANAGE &&
		    strstr(r->rpc, "Tag") == NULL && strcmp(r->rpc, "DeleteDatasetRecords") != 0)
			fail_msg("%s needs MANAGE", r->rpc);
		/* further requirements name a field and a resource that can be decided */
		for (const struct route_extra *x = r->extra; x && x->resource != RES_NONE; x++)
			if (x->field == NULL || x->resource == RES_ADMIN || x->resource == RES_LOCAL ||
			    x->resource == RES_ARTIFACT || x->resource == RES_GRAPHQL)
				fail_msg("%s %s has an unusable further requirement", r->method, r->path);
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(r->method, t[j].method) == 0 && strcmp(r->path, t[j].path) == 0 &&
			    (r->versions & t[j].versions))
				fail_msg("duplicate row %s %s", r->method, r->path);
	}
}

/* `mlgate report` caches a prefix route (path ending in '/') by its prefix:
 * no other row of the same method may lie under one, or its lines would be
 * counted under the prefix route. */
static void test_no_rows_under_prefix_routes(void **state)
{
	size_t n;
	const struct mlflow_route *t = mlflow_routes_table(&n);
	for (size_t i = 0; i < n; i++) {
		size_t pl = strlen(t[i].path);
		if (pl < 2 || t[i].path[pl - 1] != '/')
			continue;
		for (size_t j = 0; j < n; j++) {
			bool same_space = t[i].versions == t[j].versions || (t[i].versions & t[j].versions) != 0;
			if (j == i || strcmp(t[i].method, t[j].method) != 0 || !same_space)
				continue;
			if (strlen(t[j].path) > pl && strncmp(t[j].path, t[i].path, pl) == 0)
				fail_msg("%s %s lies under the prefix route %s", t[j].method, t[j].path, t[i].path);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_params_and_literals),
		cmocka_unit_test(test_artifacts_and_hand_routes),
		cmocka_unit_test(test_genai_families),
		cmocka_unit_test(test_table_is_sound),
		cmocka_unit_test(test_no_rows_under_prefix_routes),
	};
	return cmocka_run_group_tests_name("mlflow_routes", tests, NULL, NULL);
}
