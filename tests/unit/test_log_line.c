/* Reading access-log lines (src/audit/log_line.c): the request field's
 * method and path for requests of every length and shape, escaped quotes,
 * and lines that are not requests at all. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "audit/log_line.h"

/* Parses a combined line around request; method and path as strings. */
static int parse_request(const char *request, char *method, char *path)
{
	char line[512];
	snprintf(line, sizeof line, "10.1.2.3 - alice [01/Nov/2026:00:00:07 +0000] \"%s\" 200 5 \"-\" \"ua\"", request);
	size_t n = strlen(line);
	char *exact = malloc(n);	/* exact size: a read past the line is caught by ASan */
	assert_non_null(exact);
	memcpy(exact, line, n);
	struct log_rec r;
	struct log_time_cache tc = { 0 };
	int rc = log_line_parse(exact, n, &r, &tc);
	if (rc == 0) {
		snprintf(method, 64, "%.*s", (int)r.method.n, r.method.p);
		snprintf(path, 256, "%.*s", (int)r.path.n, r.path.p);
		assert_int_equal(r.status, 200);
		assert_int_equal(r.bytes, 5);
	}
	free(exact);
	return rc;
}

static void expect(const char *request, const char *method, const char *path)
{
	char m[64], p[256];
	assert_int_equal(parse_request(request, m, p), 0);
	assert_string_equal(m, method);
	assert_string_equal(p, path);
}

static void test_request_shapes(void **state)
{
	expect("GET /a?b HTTP/1.1", "GET", "/a");
	expect("POST /api/2.0/mlflow/runs/log-batch HTTP/1.1", "POST", "/api/2.0/mlflow/runs/log-batch");
	expect("GET /x", "GET", "/x");				/* no protocol */
	expect("GET /p?q?r HTTP/1.1 extra", "GET", "/p");
	expect("GET /p HTTP/1.1?x", "GET", "/p");		/* a '?' after the target is not the path's */
	expect("GET /x\\\"y HTTP/1.1", "GET", "/x\\\"y");	/* an escaped quote stays in the field */
	expect("GET /x\\\\", "GET", "/x\\\\");			/* an escaped backslash before the closing quote */
	expect("-", "", "");					/* not a request line */
	expect("", "", "");
	expect(" GET /x HTTP/1.1", "", "");			/* no method */
	expect("GET  /x HTTP/1.1", "", "");			/* no target */
	expect("GET", "", "");
	/* every length across the 16-byte steps, with and without a query */
	for (size_t len = 1; len < 70; len++) {
		char want[128], req[256];
		want[0] = '/';
		for (size_t i = 1; i < len; i++)
			want[i] = (char)('a' + i % 26);
		want[len] = '\0';
		snprintf(req, sizeof req, "GET %s HTTP/1.1", want);
		expect(req, "GET", want);
		snprintf(req, sizeof req, "DELETE %s?run_id=1 HTTP/1.1", want);
		expect(req, "DELETE", want);
		snprintf(req, sizeof req, "PUT %s", want);
		expect(req, "PUT", want);
	}
	char line[] = "10.1.2.3 - - [01/Nov/2026:00:00:07 +0000] \"GET /x HTTP/1.1 200 5";	/* unclosed */
	struct log_rec r;
	assert_int_equal(log_line_parse(line, strlen(line), &r, NULL), -EINVAL);
	(void)state;
}

/* The time cache answers only for a text that differs in its seconds. */
static void test_time_cache(void **state)
{
	struct log_time_cache tc = { 0 };
	const char *lines[] = {
		"1.2.3.4 - - [01/Nov/2026:00:00:07 +0000] \"GET / HTTP/1.1\" 200 5",
		"1.2.3.4 - - [01/Nov/2026:00:00:59 +0000] \"GET / HTTP/1.1\" 200 5",
		"1.2.3.4 - - [01/Nov/2026:00:01:00 +0000] \"GET / HTTP/1.1\" 200 5",	/* another minute */
		"1.2.3.4 - - [01/Nov/2026:00:01:00 +0100] \"GET / HTTP/1.1\" 200 5",	/* another zone */
		"1.2.3.4 - - [02/Nov/2026:00:01:00 +0100] \"GET / HTTP/1.1\" 200 5",	/* another day */
		"1.2.3.4 - - [02/Nov/2026:00:01:3x +0100] \"GET / HTTP/1.1\" 200 5",	/* not seconds */
	};
	const int64_t want[] = { 1793491207, 1793491259, 1793491260, 1793487660, 1793574060, -1 };
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		struct log_rec a, b;
		int ra = log_line_parse(lines[i], strlen(lines[i]), &a, &tc);
		int rb = log_line_parse(lines[i], strlen(lines[i]), &b, NULL);
		assert_int_equal(ra, rb);
		if (want[i] < 0) {
			assert_int_equal(ra, -EINVAL);
			continue;
		}
		assert_int_equal(ra, 0);
		assert_int_equal(a.time, want[i]);
		assert_int_equal(b.time, want[i]);
	}
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_shapes),
		cmocka_unit_test(test_time_cache),
	};
	return cmocka_run_group_tests_name("log_line", tests, NULL, NULL);
}
