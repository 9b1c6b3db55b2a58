/* Reading access-log lines (src/audit/log_line.c): the request field's
 * method and path for requests of every length and shape, escaped quotes,
 * and lines that are not requests at all. */
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
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

/* The reference: a field of digits only, as a number (at most 19 digits). */
static int ref_uint(const char *f, uint64_t *v)
{
	size_t n = strlen(f);
	if (n == 0 || n > 19)
		return -1;
	uint64_t x = 0;
	for (size_t i = 0; i < n; i++) {
		if (f[i] < '0' || f[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(f[i] - '0');
	}
	*v = x;
	return 0;
}

/* The reference: seconds with any number of decimals, as ms (three kept). */
static int ref_ms(const char *f, int64_t *ms)
{
	size_t i = 0, n = strlen(f);
	int64_t whole = 0, frac = 0;
	int fd = 0;
	while (i < n && f[i] >= '0' && f[i] <= '9')
		whole = whole * 10 + (f[i++] - '0');
	if (i == 0)
		return -1;
	if (i < n && f[i] == '.')
		for (i++; i < n && f[i] >= '0' && f[i] <= '9'; i++)
			if (fd < 3) {
				frac = frac * 10 + (f[i] - '0');
				fd++;
			}
	if (i != n)
		return -1;
	while (fd++ < 3)
		frac *= 10;
	*ms = whole * 1000 + frac;
	return 0;
}

/* The body size, request time and upstream time, read eight bytes at a time
 * when they are short: every length and every kind of byte around a digit
 * gives what the byte-by-byte reference gives, the field last on the line
 * (no bytes after it to read) included. */
static void test_numbers(void **state)
{
	const char *sizes[] = { "0", "7", "42", "1234567", "12345678", "123456789", "18446744073709551615",
				"00000001", "9999999", "", "-", "12a4", "1 2", "123456x", "1234567x", "12345678x",
				"x", "1/", ":", "1:2", "9~" };
	const char *times[] = { "0.000", "0.123", "9.999", "1.5", "12.345", "0.1234", "10", "0.12", "0.12x",
				"0/123", "0,123", "a.123", "0.1a3", "0.12:", ".123", "0.", "-", "", "9:999", "0.123 " };
	char line[256];
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		for (int last = 0; last < 2; last++) {
			snprintf(line, sizeof line, "10.1.2.3 - alice [01/Nov/2026:00:00:07 +0000] \"GET /x HTTP/1.1\" 200 %s%s",
				 sizes[i], last ? "" : " \"-\" \"ua\"");
			size_t n = strlen(line);
			char *exact = malloc(n);
			assert_non_null(exact);
			memcpy(exact, line, n);
			struct log_rec r;
			uint64_t want;
			int ok = ref_uint(sizes[i], &want) == 0;
			int rc = log_line_parse(exact, n, &r, NULL);
			free(exact);
			if (!ok) {
				assert_int_equal(rc, -EINVAL);
				continue;
			}
			assert_int_equal(rc, 0);
			assert_true(r.bytes == want);
		}
	}
	for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
		for (size_t j = 0; j < sizeof times / sizeof times[0]; j++) {
			/* request time then upstream time (last on the line) */
			snprintf(line, sizeof line, "10.1.2.3 - - [01/Nov/2026:00:00:07 +0000] \"GET /x HTTP/1.1\" 200 5 \"-\" \"ua\" %s %s",
				 times[i], times[j]);
			size_t n = strlen(line);
			char *exact = malloc(n);
			assert_non_null(exact);
			memcpy(exact, line, n);
			struct log_rec r;
			int rc = log_line_parse(exact, n, &r, NULL);
			free(exact);
			int64_t rq, up;
			/* fields that hold no space of their own and read as times */
			bool plain = strchr(times[i], ' ') == NULL && strchr(times[j], ' ') == NULL && times[i][0] &&
				     times[j][0] && ref_ms(times[i], &rq) == 0 &&
				     (strcmp(times[j], "-") == 0 ? (up = -1, 1) : ref_ms(times[j], &up) == 0);
			if (!plain)
				continue;	/* lists, request ids and the like: other tests */
			assert_int_equal(rc, 0);
			assert_int_equal(r.request_ms, rq);
			assert_int_equal(r.upstream_ms, up);
			assert_int_equal(r.format, LOG_FMT_MLFLOW_ACCESS);
		}
		/* the request time last on the line */
		snprintf(line, sizeof line, "10.1.2.3 - - [01/Nov/2026:00:00:07 +0000] \"GET /x HTTP/1.1\" 200 5 \"-\" \"ua\" %s", times[i]);
		size_t n = strlen(line);
		struct log_rec r;
		int64_t rq;
		int rc = log_line_parse(line, n, &r, NULL);
		if (times[i][0] && strchr(times[i], ' ') == NULL && ref_ms(times[i], &rq) == 0) {
			assert_int_equal(rc, 0);
			assert_int_equal(r.request_ms, rq);
		} else if (times[i][0] && strchr(times[i], ' ') == NULL) {
			assert_int_equal(rc, -EINVAL);
		}
	}
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_shapes),
		cmocka_unit_test(test_time_cache),
		cmocka_unit_test(test_numbers),
	};
	return cmocka_run_group_tests_name("log_line", tests, NULL, NULL);
}
