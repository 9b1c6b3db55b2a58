/* Access log lines: the combined+timings format field by field, escaping,
 * bounds, and the JSON format. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "audit/access_log.h"

static void test_combined(void **state)
{
	setenv("TZ", "UTC", 1);
	struct access_entry e = {
		.remote_addr = "10.1.2.3", .user = "alice", .method = "GET",
		.target = "/api/2.0/mlflow/runs/get?run_id=\"x\"", .minor_version = 1, .status = 200,
		.body_bytes_sent = 1234, .referer = NULL, .user_agent = "mlflow-python-client/2.9\x01",
		.request_time_ms = 1234, .upstream_time_ms = 7, .request_id = "abc123",
	};
	char out[4096];
	size_t n = access_log_format_line(ACCESS_LOG_COMBINED, &e, 1795000000, out, sizeof out);
	out[n] = '\0';
	assert_string_equal(out, "10.1.2.3 - alice [18/Nov/2026:11:06:40 +0000] "
				 "\"GET /api/2.0/mlflow/runs/get?run_id=\\x22x\\x22 HTTP/1.1\" 200 1234 \"-\" "
				 "\"mlflow-python-client/2.9\\x01\" 1.234 0.007 abc123\n");
	e.user = "";
	e.upstream_time_ms = -1;
	e.minor_version = 0;
	n = access_log_format_line(ACCESS_LOG_COMBINED, &e, 1795000000, out, sizeof out);
	out[n] = '\0';
	assert_non_null(strstr(out, "10.1.2.3 - - ["));
	assert_non_null(strstr(out, " HTTP/1.0\" 200 "));
	assert_non_null(strstr(out, " 1.234 - abc123\n"));
	/* a huge target is cut, the line still ends in a newline */
	char *big = malloc(20000);
	memset(big, 'a', 19999);
	big[19999] = '\0';
	e.target = big;
	n = access_log_format_line(ACCESS_LOG_COMBINED, &e, 1795000000, out, 512);
	assert_true(n <= 512);
	assert_int_equal(out[n - 1], '\n');
	free(big);
}

static void test_json(void **state)
{
	struct access_entry e = {
		.remote_addr = "::1", .user = "bob", .method = "POST", .target = "/api/2.0/mlflow/runs/create",
		.minor_version = 1, .status = 401, .body_bytes_sent = 10, .referer = "http://x/",
		.user_agent = "ua", .request_time_ms = 5, .upstream_time_ms = -1, .request_id = "r1",
	};
	char out[4096];
	size_t n = access_log_format_line(ACCESS_LOG_JSON, &e, 1795000000, out, sizeof out);
	assert_int_equal(out[n - 1], '\n');
	out[n - 1] = '\0';
	json_error_t err;
	json_t *o = json_loads(out, 0, &err);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "user")), "bob");
	assert_int_equal(json_integer_value(json_object_get(o, "status")), 401);
	assert_true(json_is_null(json_object_get(o, "upstream_response_time")));
	assert_string_equal(json_string_value(json_object_get(o, "time")), "2026-11-18T11:06:40Z");
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_combined),
		cmocka_unit_test(test_json),
	};
	return cmocka_run_group_tests_name("access_log", tests, NULL, NULL);
}
