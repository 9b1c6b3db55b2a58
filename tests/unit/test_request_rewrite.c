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

/* GenAI calls that name a person: created_by, completed_by, a HUMAN
 * assessment's source_id. */
static void test_genai_attribution(void **state)
{
	char *out = NULL;
	assert_int_equal(rw("CreateIssue", "{\"experiment_id\":\"1\",\"name\":\"n\"}", ATTRIBUTION_REWRITE, &out), 1);
	assert_non_null(strstr(out, "\"created_by\":\"alice\""));
	free(out);
	assert_int_equal(rw("CreateReviewQueue", "{\"experiment_id\":\"1\",\"createdBy\":\"bob\"}", ATTRIBUTION_REWRITE,
			    &out), 1);
	assert_null(strstr(out, "bob"));
	assert_null(strstr(out, "createdBy"));
	free(out);
	assert_int_equal(rw("GetOrCreateUserQueue", "{\"experiment_id\":\"1\",\"user\":\"u\",\"created_by\":\"alice\"}",
			    ATTRIBUTION_REWRITE, &out), 0);
	assert_int_equal(rw("CreateIssue", "{\"experiment_id\":\"1\",\"created_by\":\"bob\"}", ATTRIBUTION_REJECT, &out),
			 -EACCES);
	assert_int_equal(rw("CreateIssue", "{\"experiment_id\":\"1\",\"created_by\":\"bob\"}", ATTRIBUTION_OFF, &out), 0);
	assert_int_equal(rw("CreateIssue", "{\"created_by\":\"a\",\"createdBy\":\"b\"}", ATTRIBUTION_REWRITE, &out),
			 -EINVAL);
	/* completed_by is rewritten when given, and stays absent when absent (a reopened item) */
	assert_int_equal(rw("SetReviewQueueItemStatus", "{\"queue_id\":\"q\",\"status\":\"COMPLETE\",\"completed_by\":\"bob\"}",
			    ATTRIBUTION_REWRITE, &out), 1);
	assert_non_null(strstr(out, "\"completed_by\":\"alice\""));
	free(out);
	assert_int_equal(rw("SetReviewQueueItemStatus", "{\"queue_id\":\"q\",\"status\":\"PENDING\"}", ATTRIBUTION_REWRITE,
			    &out), 0);
	/* a person's assessment is the caller's; a judge's names the judge */
	assert_int_equal(rw("CreateAssessment", "{\"assessment\":{\"name\":\"ok\",\"source\":{\"source_type\":\"HUMAN\","
					"\"source_id\":\"bob\"}}}", ATTRIBUTION_REWRITE, &out), 1);
	assert_non_null(strstr(out, "\"source_id\":\"alice\""));
	assert_null(strstr(out, "bob"));
	free(out);
	assert_int_equal(rw("CreateAssessment", "{\"assessment\":{\"source\":{\"sourceType\":\"HUMAN\",\"sourceId\":\"bob\"}}}",
			    ATTRIBUTION_REJECT, &out), -EACCES);
	assert_int_equal(rw("CreateAssessment", "{\"assessment\":{\"source\":{\"source_type\":\"LLM_JUDGE\","
					"\"source_id\":\"gpt\"}}}", ATTRIBUTION_REWRITE, &out), 0);
	assert_int_equal(rw("UpdateAssessment", "{\"assessment\":{\"source\":{\"source_type\":\"HUMAN\"}}}",
			    ATTRIBUTION_REWRITE, &out), 1);
	assert_non_null(strstr(out, "\"source_id\":\"alice\""));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uris),
		cmocka_unit_test(test_attribution),
		cmocka_unit_test(test_genai_attribution),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
