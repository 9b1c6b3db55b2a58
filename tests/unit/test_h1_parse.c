/* Unit tests for the strict HTTP/1.1 head parser: accept and reject tables. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "http/h1_parse.h"

static const struct h1_limits lim = { .max_head = 8192, .max_target = 2048 };

struct reject_case {
	const char *name;
	const char *raw;
	int status;
};

static const struct reject_case rejects[] = {
	{ "CL and TE", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
	{ "two CL same", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", 400 },
	{ "two CL differ", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400 },
	{ "CL list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\n", 400 },
	{ "CL sign", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\n", 400 },
	{ "CL hex", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x3\r\n\r\n", 400 },
	{ "CL empty", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n", 400 },
	{ "CL overflow", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", 400 },
	{ "TE gzip", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 400 },
	{ "TE gzip,chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 400 },
	{ "TE chunked,chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400 },
	{ "TE twice", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
	{ "TE ,chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,chunked\r\n\r\n", 400 },
	{ "TE in 1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
	{ "obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", 400 },
	{ "bare CR in value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n", 400 },
	{ "bare LF header", "GET / HTTP/1.1\r\nHost: a\nX-A: b\r\n\r\n", 400 },
	{ "bare LF request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", 400 },
	{ "space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400 },
	{ "tab before colon", "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400 },
	{ "NUL in value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\0c\r\n\r\n", 400 },
	{ "no Host", "GET / HTTP/1.1\r\n\r\n", 400 },
	{ "two Host", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400 },
	{ "bad Host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400 },
	{ "no colon", "GET / HTTP/1.1\r\nHost: a\r\nnocolon\r\n\r\n", 400 },
	{ "empty name", "GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n", 400 },
	{ "bad name char", "GET / HTTP/1.1\r\nHost: a\r\nX(A): v\r\n\r\n", 400 },
	{ "absolute form", "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "fragment", "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "two spaces", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "lowercase version", "GET / http/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505 },
	{ "HTTP/1.2", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505 },
	{ "CONNECT", "CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n", 501 },
	{ "expect other", "POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\n", 417 },
	{ "control in target", "GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "DEL in value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x7f\r\n\r\n", 400 },
	{ "whitespace line after request line", "GET / HTTP/1.1\r\n \r\nHost: a\r\n\r\n", 400 },
};

static void test_rejects(void **state)
{
	for (size_t i = 0; i < sizeof rejects / sizeof rejects[0]; i++) {
		const struct reject_case *rc = &rejects[i];
		size_t len = strlen(rc->raw);
		if (strcmp(rc->name, "NUL in value") == 0)
			len = sizeof "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\0c\r\n\r\n" - 1;
		struct h1_message m;
		const char *err = NULL;
		int r = h1_parse_request(rc->raw, len, &lim, &m, &err);
		if (r != -rc->status)
			fail_msg("%s: got %d, want %d", rc->name, r, -rc->status);
		assert_non_null(err);
	}
}

static void test_accept_simple(void **state)
{
	const char *raw = "GET /api/2.0/mlflow/experiments/get?experiment_id=1 HTTP/1.1\r\n"
			  "Host: localhost:8080\r\nAccept: */*\r\nX-Empty:\r\n\r\nNEXT";
	struct h1_message m;
	const char *err;
	int r = h1_parse_request(raw, strlen(raw), &lim, &m, &err);
	assert_int_equal(r, (int)strlen(raw) - 4);
	assert_int_equal(m.method_len, 3);
	assert_memory_equal(m.method, "GET", 3);
	assert_int_equal(m.target_len, strlen("/api/2.0/mlflow/experiments/get?experiment_id=1"));
	assert_int_equal(m.minor_version, 1);
	assert_int_equal(m.nheaders, 3);
	assert_true(m.keep_alive);
	assert_int_equal(m.framing, H1_BODY_NONE);
	assert_int_equal(m.host_len, strlen("localhost:8080"));
	assert_int_equal(m.headers[2].value_len, 0);
}

static void test_accept_framing(void **state)
{
	struct h1_message m;
	const char *err;
	const char *cl = "PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1073741824\r\n\r\n";
	assert_true(h1_parse_request(cl, strlen(cl), &lim, &m, &err) > 0);
	assert_int_equal(m.framing, H1_BODY_LENGTH);
	assert_true(m.content_length == 1073741824ULL);
	const char *te = "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\nExpect: 100-continue\r\n\r\n";
	assert_true(h1_parse_request(te, strlen(te), &lim, &m, &err) > 0);
	assert_int_equal(m.framing, H1_BODY_CHUNKED);
	assert_true(m.expect_continue);
	const char *h10 = "GET / HTTP/1.0\r\n\r\n";
	assert_true(h1_parse_request(h10, strlen(h10), &lim, &m, &err) > 0);
	assert_false(m.keep_alive);
	const char *h10ka = "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n";
	assert_true(h1_parse_request(h10ka, strlen(h10ka), &lim, &m, &err) > 0);
	assert_true(m.keep_alive);
	const char *close = "GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\n\r\n";
	assert_true(h1_parse_request(close, strlen(close), &lim, &m, &err) > 0);
	assert_false(m.keep_alive);
	const char *lead = "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
	assert_int_equal(h1_parse_request(lead, strlen(lead), &lim, &m, &err), (int)strlen(lead));
	const char *star = "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n";
	assert_true(h1_parse_request(star, strlen(star), &lim, &m, &err) > 0);
}

static void test_incremental(void **state)
{
	const char *raw = "POST /api/2.0/mlflow/runs/create HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}";
	size_t head = strlen(raw) - 2;
	struct h1_message m;
	const char *err;
	for (size_t i = 0; i < head; i++)
		assert_int_equal(h1_parse_request(raw, i, &lim, &m, &err), 0);
	assert_int_equal(h1_parse_request(raw, head, &lim, &m, &err), (int)head);
}

static void test_limits(void **state)
{
	char big[12000];
	struct h1_message m;
	const char *err;
	/* over-long target, complete line */
	int n = snprintf(big, sizeof big, "GET /");
	memset(big + n, 'a', 3000);
	n += 3000;
	n += snprintf(big + n, sizeof big - (size_t)n, " HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_int_equal(h1_parse_request(big, (size_t)n, &lim, &m, &err), -414);
	/* over-long target, incomplete line */
	assert_int_equal(h1_parse_request(big, 2200, &lim, &m, &err), -414);
	/* header section too large, incomplete */
	n = snprintf(big, sizeof big, "GET / HTTP/1.1\r\nHost: a\r\nX-Big: ");
	memset(big + n, 'b', 9000);
	assert_int_equal(h1_parse_request(big, (size_t)n + 9000, &lim, &m, &err), -431);
	/* too many fields */
	n = snprintf(big, sizeof big, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (int i = 0; i < 120; i++)
		n += snprintf(big + n, sizeof big - (size_t)n, "X-%d: v\r\n", i);
	n += snprintf(big + n, sizeof big - (size_t)n, "\r\n");
	assert_int_equal(h1_parse_request(big, (size_t)n, &lim, &m, &err), -431);
}

static void test_response(void **state)
{
	struct h1_message m;
	const char *err;
	const char *ok = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
	assert_int_equal(h1_parse_response(ok, strlen(ok), &lim, false, &m, &err), (int)strlen(ok) - 5);
	assert_int_equal(m.status, 200);
	assert_int_equal(m.framing, H1_BODY_LENGTH);
	assert_int_equal(h1_parse_response(ok, strlen(ok), &lim, true, &m, &err), (int)strlen(ok) - 5);
	assert_int_equal(m.framing, H1_BODY_NONE);
	const char *close = "HTTP/1.0 200 OK\r\n\r\n";
	assert_true(h1_parse_response(close, strlen(close), &lim, false, &m, &err) > 0);
	assert_int_equal(m.framing, H1_BODY_CLOSE);
	assert_false(m.keep_alive);
	const char *nc = "HTTP/1.1 204 No Content\r\n\r\n";
	assert_true(h1_parse_response(nc, strlen(nc), &lim, false, &m, &err) > 0);
	assert_int_equal(m.framing, H1_BODY_NONE);
	const char *cont = "HTTP/1.1 100 Continue\r\n\r\n";
	assert_true(h1_parse_response(cont, strlen(cont), &lim, false, &m, &err) > 0);
	assert_int_equal(m.status, 100);
	const char *bad[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
		"HTTP/1.1 2x0 OK\r\n\r\n",
		"HTTP/1.1 200 OK\nX: y\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX : y\r\n\r\n",
		"ICY 200 OK\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(h1_parse_response(bad[i], strlen(bad[i]), &lim, false, &m, &err), -502);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_accept_simple),
		cmocka_unit_test(test_accept_framing),
		cmocka_unit_test(test_incremental),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_response),
	};
	return cmocka_run_group_tests_name("h1_parse", tests, NULL, NULL);
}
