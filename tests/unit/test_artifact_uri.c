/* Artifact path canonicalisation and URI checks (the LFI/SSRF history). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "authz/artifact_path.h"
#include "authz/uri_check.h"

static void test_paths(void **state)
{
	char out[ARTIFACT_PATH_MAX], exp[32];
	const char *why;
	const char *ok[][3] = {
		{ "12/abc/artifacts/model.pkl", "12/abc/artifacts/model.pkl", "12" },
		{ "%31%32/abc", "12/abc", "12" },			/* decoded once */
		{ "%2531%2532/abc", "12/abc", "12" },			/* decoded until stable */
		{ "file:7/x", "7/x", "7" },
		{ "workspaces/team/42/run/a", "workspaces/team/42/run/a", "42" },
		{ "3", "3", "3" },
		{ "a..b/c", "a..b/c", NULL },				/* a name with dots, no experiment */
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		if (artifact_path_canonical(ok[i][0], strlen(ok[i][0]), out, &why))
			fail_msg("refused %s: %s", ok[i][0], why);
		assert_string_equal(out, ok[i][1]);
		int rc = artifact_path_experiment(out, exp);
		if (ok[i][2]) {
			assert_int_equal(rc, 0);
			assert_string_equal(exp, ok[i][2]);
		} else {
			assert_int_equal(rc, -ENOENT);
		}
	}
	const char *bad[] = {
		"../1/x", "1/../2/x", "1/%2e%2e/2", "1/%252e%252e/2", "/etc/passwd", "file:///etc/passwd",
		"1/a#frag", "1\\..\\2", "C:/x", "1/a%00b", "1/\x01", "%25252525252525252525252531",
		"file:/abs", "",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (artifact_path_canonical(bad[i], strlen(bad[i]), out, &why) != -EINVAL)
			fail_msg("accepted %s", bad[i]);
	assert_int_equal(artifact_path_experiment("12abc/x", exp), -ENOENT);
	assert_int_equal(artifact_path_experiment("workspaces//1", exp), -ENOENT);
	assert_int_equal(artifact_path_experiment("x/1", exp), -ENOENT);
}

static void test_uris(void **state)
{
	const char *why;
	const char *s = URI_CHECK_DEFAULT_SCHEMES;
	const char *ok[] = { "s3://bucket/mlflow/1", "mlflow-artifacts:/1/abc", "runs:/abc123/model",
			     "models:/churn/3", "gs://b/p" };
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (uri_check(ok[i], strlen(ok[i]), s, &why))
			fail_msg("refused %s: %s", ok[i], why);
	const char *bad[] = {
		"/etc/passwd", "file:///etc/passwd", "FILE:/etc", "relative/path", "C:\\x", "c:/x",
		"s3://b/../../x", "runs:/abc/../../etc", "s3://b/x#y", "ftp://h/x", "s3://b/%2e%2e/x",
		"mlflow-artifacts:/1/%252e%252e/2", "s3://b/\x01", "", "HTTPS://example.com/x",
		"http://169.254.169.254/latest/meta-data",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (uri_check(bad[i], strlen(bad[i]), s, &why) != -EINVAL)
			fail_msg("accepted %s", bad[i]);
	assert_int_equal(uri_check("ftp://h/x", 9, "ftp", &why), 0);
	assert_int_equal(uri_check("HTTPS://example.com/x", 21, "s3,https", &why), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_uris),
	};
	return cmocka_run_group_tests_name("artifact_uri", tests, NULL, NULL);
}
