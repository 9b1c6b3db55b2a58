/* Create-call checks and run attribution. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "authz/request_rewrite.h"
#include "authz/uri_check.h"

static int rw(const char *rpc, const char *body, enum attribution_mode m, char **out)
{
	struct rewrite_opts o = { .user = "alice", .schemes = URI_CHECK_DEFAULT_SCHEMES, .attribution = m };
	size_t n;
	const char *why = NULL;
	int rc = request_rewrite(rpc, body, strlen(body), &o, out, &n, &why);
	if (rc < 0)
		assert_non_null(why);
	return rc;
}

static void test_uris(void **state)
{
	char *out = NULL;
	assert_int_equal(rw("CreateExperiment", "{\"name\":\"e\",\"artifact_location\":\"s3://b/x\"}", 0, &out), 0);
	assert_int_equal(rw("CreateExperiment", "{\"name\":\"e\"}", 0, &out), 0);
	assert_int_equal(rw("CreateExperiment", "{\"name\":\"e\",\"artifact_location\":\"file:///etc\"}", 0, &out), -EINVAL);
	assert_int_equal(rw("CreateExperiment", "{\"name\":\"e\",\"artifactLocation\":\"/etc\"}", 0, &out), -EINVAL);
	assert_int_equal(rw("CreateExperiment", "{\"name\":\"e\",\"artifact_location\":\"http:///#/../../etc/\"}", 0, &out),
			 -EINVAL);
	assert_int_equal(rw("CreateModelVersion", "{\"name\":\"m\",\"source\":\"runs:/abc/model\"}", 0, &out), 0);
	assert_int_equal(rw("CreateModelVersion", "{\"name\":\"m\",\"source\":\"//proc/self/root/etc\"}", 0, &out), -EINVAL);
	assert_int_equal(rw("CreateModelVersion", "{\"name\":\"m\",\"source\":\"s3://b/x\",\"runLink\":\"file:/x\"}", 0, &out),
			 -EINVAL);
	assert_int_equal(rw("CreateModelVersion", "{\"name\":\"m\",\"source\":7}", 0, &out), -EINVAL);
	assert_int_equal(rw("GetRun", "not json at all", 0, &out), 0);
}

static void test_attribution(void **state)
{
	char *out = NULL;
	assert_int_equal(rw("CreateRun", "{\"experiment_id\":\"1\",\"user_id\":\"jovyan\","
				"\"tags\":[{\"key\":\"mlflow.user\",\"value\":\"jovyan\"}]}", ATTRIBUTION_REWRITE, &out), 1);
	assert_non_null(strstr(out, "\"user_id\":\"alice\""));
	assert_non_null(strstr(out, "{\"key\":\"mlflow.user\",\"value\":\"alice\"}"));
	assert_null(strstr(out, "jovyan"));
	free(out);
	assert_int_equal(rw("CreateRun", "{\"experiment_id\":\"1\",\"userId\":\"bob\"}", ATTRIBUTION_REWRITE, &out), 1);
	assert_null(strstr(out, "userId"));
	assert_non_null(strstr(out, "\"user_id\":\"alice\""));
	free(out);
	assert_int_equal(rw("CreateRun", "{\"experiment_id\":\"1\",\"user_id\":\"bob\"}", ATTRIBUTION_REJECT, &out), -EACCES);
	assert_int_equal(rw("CreateRun", "{\"experiment_id\":\"1\",\"tags\":[{\"key\":\"mlflow.user\",\"value\":\"bob\"}]}",
			    ATTRIBUTION_REJECT, &out), -EACCES);
	assert_int_equal(rw("CreateRun", "{\"experiment_id\":\"1\",\"user_id\":\"alice\","
				"\"tags\":[{\"key\":\"mlflow.user\",\"value\":\"alice\"}]}", ATTRIBUTION_REJECT, &out), 0);
	assert_int_equal(rw("CreateRun", "{\"experiment_id\":\"1\",\"user_id\":\"bob\"}", ATTRIBUTION_OFF, &out), 0);
	assert_int_equal(rw("CreateRun", "{\"experiment_id\":\"1\",\"tags\":{}}", ATTRIBUTION_REWRITE, &out), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uris),
		cmocka_unit_test(test_attribution),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
