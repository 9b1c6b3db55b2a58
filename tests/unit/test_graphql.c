/* GraphQL operations the UI sends, and everything else refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "authz/graphql.h"

static struct gql_needs needs;

static int run(const char *body)
{
	const char *why = NULL;
	int rc = graphql_needs(body, strlen(body), &needs, &why);
	if (rc)
		assert_non_null(why);
	return rc;
}

static void test_ui_queries(void **state)
{
	assert_int_equal(run("{\"operationName\":\"MlflowGetRunQuery\",\"variables\":{\"data\":{\"runId\":\"abc\"}},"
			     "\"query\":\"query MlflowGetRunQuery($data: MlflowGetRunInput!) "
			     "@component(name: \\\"MLflow.ExperimentRunTracking\\\") { mlflowGetRun(input: $data) { "
			     "apiError { helpUrl code message } run { info { runUuid experimentId } "
			     "experiment { name } modelVersions { name version } } } }\"}"), 0);
	assert_int_equal(needs.n, 1);
	assert_int_equal(needs.need[0].kind, GQL_RUN);
	assert_string_equal(needs.need[0].id, "abc");
	assert_int_equal(run("{\"query\":\"query Q($d: MlflowGetMetricHistoryBulkIntervalInput!) { "
			     "mlflowGetMetricHistoryBulkInterval(input: $d) { __typename metrics { key step value } } }\","
			     "\"variables\":{\"d\":{\"runIds\":[\"r1\",\"r2\"],\"metricKey\":\"loss\"}}}"), 0);
	assert_int_equal(needs.n, 2);
	assert_string_equal(needs.need[1].id, "r2");
	/* literal arguments, aliases, comments, fragments below the top */
	assert_int_equal(run("{\"query\":\"# c\\n{ a: mlflowGetExperiment(input: {experimentId: \\\"7\\\"}) { "
			     "experiment { ...E } } b: mlflowSearchRuns(input: {experimentIds: [\\\"7\\\", 8]}) { "
			     "runs { info { runUuid } } } } fragment E on MlflowExperiment { name tags { key } }\"}"), 0);
	assert_int_equal(needs.n, 3);
	assert_int_equal(needs.need[0].kind, GQL_EXPERIMENT);
	assert_string_equal(needs.need[2].id, "8");
	assert_int_equal(run("{\"query\":\"{ __typename }\"}"), 0);
	assert_int_equal(needs.n, 0);
}

static void test_refused(void **state)
{
	const char *bad[] = {
		"[{\"query\":\"{ __typename }\"}]",				/* batch */
		"{\"query\":\"mutation { x }\"}",
		"{\"query\":\"subscription { x }\"}",
		"{\"query\":\"{ __schema { types { name } } }\"}",		/* introspection */
		"{\"query\":\"{ mlflowGetRun(input: {}) { run { info { runUuid } } } }\"}",	/* no id */
		"{\"query\":\"{ mlflowGetRun(input: {runId: \\\"a\\\", runUuid: \\\"b\\\"}) { run { info { runUuid } } } }\"}",
		"{\"query\":\"{ mlflowSearchRuns(input: {experimentIds: []}) { runs { info { runUuid } } } }\"}",
		"{\"query\":\"{ ...F } fragment F on Query { mlflowGetRun(input: {runId: \\\"a\\\"}) { run { info { runUuid } } } }\"}",
		"{\"query\":\"{ ... on Query { mlflowGetRun(input: {runId: \\\"a\\\"}) { run { info { runUuid } } } } }\"}",
		"{\"query\":\"query A { __typename } query B { __typename }\"}",
		"{\"query\":\"{ mlflowGetRun(input: $missing) { run { info { runUuid } } } }\"}",
		"{\"query\":\"{ mlflowGetRun(input: {runId: \\\"\\\"\\\"a\\\"\\\"\\\"}) { run } }\"}",
		"{\"query\":\"{ mlflowGetRun(input: {runId: \\\"a\\\"}, input: {runId: \\\"b\\\"}) { run } }\"}",
		"{\"query\":\"query Q { __typename }\",\"operationName\":\"Other\"}",
		"{\"query\":\"{ mlflowGetRun(input: {runId: \\\"a\\\"}) { run { info { runUuid } }\"}",	/* unclosed */
		"{\"query\":\"{ mlflowGetRun(input: {runId: \\\"a\\\"}) { run { info { runUuid } } } } }\"}",
		"{\"query\": 7}",
		"{\"query\":\"{ __typename }\",\"query\":\"mutation { x }\"}",	/* duplicate key */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (run(bad[i]) != -EINVAL)
			fail_msg("accepted %s", bad[i]);
	/* depth is bounded */
	char deep[4096] = "{\"query\":\"{ mlflowGetRun(input: {runId: \\\"a\\\"}) ";
	for (int i = 0; i < 100; i++)
		strcat(deep, "{ a ");
	for (int i = 0; i < 100; i++)
		strcat(deep, "} ");
	strcat(deep, "}\"}");
	assert_int_equal(run(deep), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ui_queries),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
