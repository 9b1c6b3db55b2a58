/* Id extraction as MLflow reads it, and every ambiguity it must refuse. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "authz/mlflow_params.h"

static struct param_values *pv;

static int ex(const char *method, const char *q, const char *body, const char *field)
{
	const char *err;
	return mlflow_params_extract(method, q, strlen(q), body, strlen(body), field, pv, &err);
}

static void test_query_and_body(void **state)
{
	assert_int_equal(ex("GET", "experiment_id=12", "", "experiment_id"), 0);
	assert_int_equal(pv->n, 1);
	assert_string_equal(pv->v[0], "12");
	/* repeated keys, percent-encoded key and value, '+' */
	assert_int_equal(ex("GET", "run_ids=a&run%5Fids=b%2Fc&other=x&run_ids=d+e", "", "run_ids"), 0);
	assert_int_equal(pv->n, 3);
	assert_string_equal(pv->v[1], "b/c");
	assert_string_equal(pv->v[2], "d e");
	/* GET with an empty query reads the JSON body, as MLflow does */
	assert_int_equal(ex("GET", "", "{\"experiment_id\": \"7\"}", "experiment_id"), 0);
	assert_string_equal(pv->v[0], "7");
	/* POST reads the body and ignores the query */
	assert_int_equal(ex("POST", "experiment_id=1", "{\"experiment_id\": 5}", "experiment_id"), 0);
	assert_int_equal(pv->n, 1);
	assert_string_equal(pv->v[0], "5");
	assert_int_equal(ex("POST", "", "{\"experiment_ids\": [\"1\", 2]}", "experiment_ids"), 0);
	assert_int_equal(pv->n, 2);
	assert_string_equal(pv->v[1], "2");
	/* camelCase alone is what MLflow reads too */
	assert_int_equal(ex("POST", "", "{\"experimentId\": \"3\"}", "experiment_id"), 0);
	assert_string_equal(pv->v[0], "3");
	/* absent: zero values */
	assert_int_equal(ex("POST", "", "{}", "experiment_id"), 0);
	assert_int_equal(pv->n, 0);
	assert_int_equal(ex("POST", "", "", "experiment_id"), 0);
	assert_int_equal(pv->n, 0);
	/* run_id, else run_uuid */
	assert_int_equal(ex("POST", "", "{\"run_uuid\": \"u\"}", "run_id"), 0);
	assert_string_equal(pv->v[0], "u");
	assert_int_equal(pv->n, 1);
	assert_int_equal(ex("POST", "", "{\"run_id\": \"r\", \"run_uuid\": \"u\"}", "run_id"), 0);
	assert_string_equal(pv->v[0], "r");
	assert_int_equal(pv->n, 1);
	assert_int_equal(ex("POST", "", "{\"run_id\": \"\", \"run_uuid\": \"u\"}", "run_id"), 0);
	assert_string_equal(pv->v[0], "u");
	assert_int_equal(pv->n, 1);
	assert_int_equal(ex("GET", "run_uuid=q", "", "run_id"), 0);
	assert_string_equal(pv->v[0], "q");
	assert_int_equal(pv->n, 1);
	assert_int_equal(ex("GET", "run_uuid=q&run_uuid=s", "", "run_id"), 0);
	assert_int_equal(pv->n, 2);
	assert_string_equal(pv->v[1], "s");
	assert_int_equal(ex("GET", "run_id=a&run_uuid=q&run_uuid=s", "", "run_id"), 0);
	assert_int_equal(pv->n, 1);
	assert_string_equal(pv->v[0], "a");
}

/* One parse serves every field; its verdict (a bad body) sticks. */
static void test_shared_parse(void **state)
{
	const char *err = NULL;
	struct params_body b = { 0 };
	const char *body = "{\"run_id\": \"r1\", \"experiment_ids\": [\"1\", \"2\"], \"config\": {\"dataset_id\": \"d\"}}";
	params_body_set(&b, body, strlen(body));
	assert_int_equal(mlflow_params_extract_body("POST", "", 0, &b, "run_id", pv, &err), 0);
	assert_string_equal(pv->v[0], "r1");
	assert_int_equal(b.state, 1);
	assert_int_equal(mlflow_params_extract_body("POST", "", 0, &b, "experiment_ids", pv, &err), 0);
	assert_int_equal(pv->n, 2);
	assert_int_equal(mlflow_params_extract_body("POST", "", 0, &b, "config.dataset_id", pv, &err), 0);
	assert_string_equal(pv->v[0], "d");
	/* a GET with a query reads the query, never the body it must not have */
	assert_int_equal(mlflow_params_extract_body("GET", "run_id=q", 8, &b, "run_id", pv, &err), -EINVAL);
	assert_int_equal(mlflow_params_extract_body("GET", "run_id=q", 8, NULL, "run_id", pv, &err), 0);
	assert_string_equal(pv->v[0], "q");
	/* a field read twice is refused; a key nothing reads is not judged */
	params_body_set(&b, "{\"a\": 1, \"a\": 2, \"run_id\": \"x\", \"runId\": \"y\"}", 45);
	assert_int_equal(mlflow_params_extract_body("POST", "", 0, &b, "name", pv, &err), 0);
	assert_int_equal(pv->n, 0);
	assert_int_equal(mlflow_params_extract_body("POST", "", 0, &b, "run_id", pv, &err), -EINVAL);
	assert_non_null(err);
	/* a body that is no JSON object: every field refused, checked once */
	params_body_set(&b, "{\"a\": 1,}", 9);
	err = NULL;
	assert_int_equal(mlflow_params_extract_body("POST", "", 0, &b, "run_id", pv, &err), -EINVAL);
	assert_non_null(err);
	assert_int_equal(b.state, -1);
	err = NULL;
	assert_int_equal(mlflow_params_extract_body("POST", "", 0, &b, "name", pv, &err), -EINVAL);
	assert_non_null(err);
	params_body_clear(&b);
	assert_int_equal(b.state, 0);
	/* integers as MLflow's protobuf reads them into strings; reals, booleans,
	 * objects and 64-bit overflow refused */
	assert_int_equal(ex("POST", "", "{\"experiment_id\": -0}", "experiment_id"), 0);
	assert_string_equal(pv->v[0], "0");
	assert_int_equal(ex("POST", "", "{\"experiment_id\": 9223372036854775807}", "experiment_id"), 0);
	assert_string_equal(pv->v[0], "9223372036854775807");
	assert_int_equal(ex("POST", "", "{\"experiment_id\": 9223372036854775808}", "experiment_id"), -EINVAL);
	assert_int_equal(ex("POST", "", "{\"experiment_id\": true}", "experiment_id"), -EINVAL);
	assert_int_equal(ex("POST", "", "{\"experiment_id\": 1e3}", "experiment_id"), -EINVAL);
	assert_int_equal(ex("POST", "", "{\"experiment_id\": \"a\\u0000b\"}", "experiment_id"), -EINVAL);
	assert_int_equal(ex("POST", "", "{\"experiment_ids\": [\"1\", null, 2]}", "experiment_ids"), 0);
	assert_int_equal(pv->n, 2);
	assert_int_equal(ex("POST", "", " \n{\"experiment_id\": \"caf\\u00e9\"} ", "experiment_id"), 0);
	assert_string_equal(pv->v[0], "caf\xc3\xa9");
}

static void test_rejections(void **state)
{
	const char *bad[][4] = {
		{ "POST", "", "{\"experiment_id\": \"1\", \"experimentId\": \"2\"}", "experiment_id" },
		{ "GET", "experiment_id=1&experimentId=2", "", "experiment_id" },
		{ "POST", "", "{\"experiment_id\": \"1\", \"experiment_id\": \"2\"}", "experiment_id" },
		{ "POST", "", "[\"experiment_id\"]", "experiment_id" },
		{ "POST", "", "{\"experiment_id\": ", "experiment_id" },
		{ "GET", "experiment_id=1", "{\"experiment_id\": \"2\"}", "experiment_id" },
		{ "POST", "", "{\"experiment_id\": {\"x\": 1}}", "experiment_id" },
		{ "POST", "", "{\"experiment_id\": 1.5}", "experiment_id" },
		{ "POST", "", "{\"run_id\": \"a\", \"runId\": \"b\"}", "run_id" },
		{ "POST", "", "{\"run_uuid\": \"a\", \"runUuid\": \"b\"}", "run_id" },
		{ "POST", "", "{\"experiment_id\": \"a\\u0000b\"}", "experiment_id" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (ex(bad[i][0], bad[i][1], bad[i][2], bad[i][3]) != -EINVAL)
			fail_msg("accepted case %zu: %s %s", i, bad[i][1], bad[i][2]);
	char camel[64];
	mlflow_params_camel("experiment_ids", camel, sizeof camel);
	assert_string_equal(camel, "experimentIds");
	mlflow_params_camel("name", camel, sizeof camel);
	assert_string_equal(camel, "name");
}

static void test_bounds(void **state)
{
	char *q = malloc(200000);
	size_t o = 0;
	for (int i = 0; i < 200; i++)
		o += (size_t)sprintf(q + o, "run_ids=%d&", i);
	q[o] = '\0';
	assert_int_equal(ex("GET", q, "", "run_ids"), -EINVAL);	/* more than PARAMS_MAX_VALUES */
	memset(q, 'a', 5000);
	memcpy(q, "name=", 5);
	q[5000] = '\0';
	assert_int_equal(ex("GET", q, "", "name"), -EINVAL);	/* value too long */
	free(q);
}

/* "outer.field": a field of an object field (a prompt optimization job's
 * config.dataset_id), either spelling at either level, never both. */
static void test_nested(void **state)
{
	assert_int_equal(ex("POST", "", "{\"config\": {\"dataset_id\": \"d-1\"}}", "config.dataset_id"), 0);
	assert_int_equal(pv->n, 1);
	assert_string_equal(pv->v[0], "d-1");
	assert_int_equal(ex("POST", "", "{\"config\": {\"datasetId\": \"d-2\"}}", "config.dataset_id"), 0);
	assert_string_equal(pv->v[0], "d-2");
	assert_int_equal(ex("POST", "", "{\"config\": {}}", "config.dataset_id"), 0);
	assert_int_equal(pv->n, 0);
	assert_int_equal(ex("POST", "", "{\"config\": null}", "config.dataset_id"), 0);
	assert_int_equal(pv->n, 0);
	assert_int_equal(ex("POST", "", "{\"dataset_id\": \"top\"}", "config.dataset_id"), 0);
	assert_int_equal(pv->n, 0);
	assert_int_equal(ex("POST", "", "{\"config\": {\"dataset_id\": \"a\", \"datasetId\": \"b\"}}",
			    "config.dataset_id"), -EINVAL);
	assert_int_equal(ex("POST", "", "{\"experiment_ids\": [], \"experimentIds\": []}", "experiment_ids"), -EINVAL);
	assert_int_equal(ex("POST", "", "{\"config\": \"d-1\"}", "config.dataset_id"), -EINVAL);
	assert_int_equal(ex("POST", "", "{\"config\": {\"dataset_id\": {\"x\": 1}}}", "config.dataset_id"), -EINVAL);
	/* a query string never carries an object */
	assert_int_equal(ex("GET", "config.dataset_id=x", "", "config.dataset_id"), 0);
	assert_int_equal(pv->n, 0);
}

int main(void)
{
	pv = malloc(sizeof *pv);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_and_body),
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_shared_parse),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_nested),
	};
	int rc = cmocka_run_group_tests_name("mlflow_params", tests, NULL, NULL);
	free(pv);
	return rc;
}
