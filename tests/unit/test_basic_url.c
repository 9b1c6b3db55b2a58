/* Unit tests for Basic credential parsing and request-target routing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "authn/basic.h"
#include "authn/bearer.h"
#include "http/url.h"

static void test_basic(void **state)
{
	char u[BASIC_MAX_USER], p[BASIC_MAX_PASSWORD];
	const char *ok = "Basic YWxpY2U6c2VjcmV0";	/* alice:secret */
	assert_int_equal(basic_parse(ok, strlen(ok), u, p), 0);
	assert_string_equal(u, "alice");
	assert_string_equal(p, "secret");
	const char *lower = "basic YWxpY2U6czpl";	/* alice:s:e */
	assert_int_equal(basic_parse(lower, strlen(lower), u, p), 0);
	assert_string_equal(p, "s:e");
	const char *empty_pw = "Basic YWxpY2U6";	/* alice: */
	assert_int_equal(basic_parse(empty_pw, strlen(empty_pw), u, p), 0);
	assert_string_equal(p, "");
	assert_int_equal(basic_parse("Bearer abc", 10, u, p), -ENOENT);
	assert_int_equal(basic_parse("Basic", 5, u, p), -ENOENT);
	const char *bad[] = {
		"Basic YWxpY2U",		/* not a multiple of 4 */
		"Basic YWxpY2Vz",		/* no colon after decode? (alices) */
		"Basic Og==",			/* ":" empty user */
		"Basic YW=pY2U6c2VjcmV0",	/* padding in the middle */
		"Basic YWxp*2U6c2VjcmV0",	/* bad char */
		"Basic YQphOmI=",		/* a\na:b control char */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (basic_parse(bad[i], strlen(bad[i]), u, p) != -EINVAL)
			fail_msg("accepted %s", bad[i]);
	char huge[4000] = "Basic ";
	memset(huge + 6, 'A', 3000);
	huge[3006] = '\0';
	assert_int_equal(basic_parse(huge, strlen(huge), u, p), -EINVAL);
}

static void test_bearer(void **state)
{
	char t[BEARER_MAX];
	assert_int_equal(bearer_parse("Bearer mlg_ab_cd-EF", 19, t), 0);
	assert_string_equal(t, "mlg_ab_cd-EF");
	assert_int_equal(bearer_parse("bearer abc==", 12, t), 0);
	assert_int_equal(bearer_parse("Basic abc", 9, t), -ENOENT);
	assert_int_equal(bearer_parse("Bearer ", 7, t), -EINVAL);
	assert_int_equal(bearer_parse("Bearer a b", 10, t), -EINVAL);
	assert_int_equal(bearer_parse("Bearer =a", 9, t), -EINVAL);
	assert_int_equal(bearer_parse("Bearer a=b", 10, t), -EINVAL);
	/* found by fuzzing: a NUL byte must not pass as a token character */
	assert_int_equal(bearer_parse("Bearer ab\0cd", 13, t), -EINVAL);
}

static void test_route(void **state)
{
	struct url_route r;
	const char *t = "/mlflow/api/2.0/mlflow/runs/get?run_id=1";
	url_route(t, strlen(t), "/mlflow", &r);
	assert_int_equal(r.kind, URL_PROXY);
	assert_int_equal(r.path_len, strlen("/api/2.0/mlflow/runs/get"));
	assert_memory_equal(r.upstream_target, "/api/2.0/mlflow/runs/get?run_id=1", r.upstream_target_len);
	url_route("/mlflow", 7, "/mlflow", &r);
	assert_int_equal(r.kind, URL_MOUNT_REDIRECT);
	url_route("/mlflowx/a", 10, "/mlflow", &r);
	assert_int_equal(r.kind, URL_OUTSIDE_MOUNT);
	url_route("/api/2.0/x", 10, "/mlflow", &r);
	assert_int_equal(r.kind, URL_OUTSIDE_MOUNT);
	url_route("/-/health", 9, "/mlflow", &r);
	assert_int_equal(r.kind, URL_HEALTH);
	url_route("/-/health", 9, "", &r);
	assert_int_equal(r.kind, URL_HEALTH);
	url_route("/x?y", 4, "", &r);
	assert_int_equal(r.kind, URL_PROXY);
	assert_int_equal(r.path_len, 2);
}

static void test_public(void **state)
{
	struct strlist l = { .items = { "/health", "/static-files/" }, .n = 2 };
	assert_true(url_is_public("/health", &l));
	assert_true(url_is_public("/static-files/app.js", &l));
	assert_false(url_is_public("/healthz", &l));
	assert_false(url_is_public("/health/", &l));
	assert_false(url_is_public("/static-files/../api/2.0/mlflow/experiments/search", &l));
	assert_false(url_is_public("/static-files/%2e%2e/api", &l));
	assert_false(url_is_public("/static-files/./x", &l));
	assert_false(url_is_public("/static-files//x", &l));
	assert_false(url_is_public("/static-files\\..\\x", &l));
	assert_false(url_is_public("/static-files/x;y", &l));
	assert_false(url_is_public("/static-files/..", &l));
	assert_true(url_is_public("/static-files/.well-known", &l));	/* a dot name, not a dot segment */
	assert_true(url_is_artifact("/api/2.0/mlflow-artifacts/artifacts/1/a"));
	assert_true(url_is_artifact("/ajax-api/2.0/mlflow-artifacts/artifacts/1/a"));
	assert_false(url_is_artifact("/api/2.0/mlflow/runs/get"));
	assert_true(url_wants_json("/api/2.0/mlflow/runs/get"));
	assert_false(url_wants_json("/"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_bearer),
		cmocka_unit_test(test_route),
		cmocka_unit_test(test_public),
	};
	return cmocka_run_group_tests_name("basic_url", tests, NULL, NULL);
}
