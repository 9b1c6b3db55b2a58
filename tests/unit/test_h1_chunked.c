/* Unit tests for the chunked decoder: valid bodies fed whole and byte by
 * byte, and every class of invalid framing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "http/h1_chunked.h"

/* Decodes raw in pieces of `step` bytes; returns H1C_DONE/H1C_ERROR/H1C_NEED_MORE
 * and the decoded body in out. *rest gets the bytes after the body. */
static int decode(const char *raw, size_t len, size_t step, char *out, size_t *outlen, size_t *rest)
{
	struct h1_chunked c;
	h1_chunked_init(&c);
	*outlen = 0;
	size_t off = 0;
	while (off < len) {
		size_t n = len - off < step ? len - off : step;
		const char *p = raw + off;
		size_t left = n;
		while (left > 0) {
			size_t used = 0, dl = 0;
			const char *d = NULL, *err = NULL;
			int rc = h1_chunked_decode(&c, p, left, &used, &d, &dl, &err);
			if (rc == H1C_ERROR)
				return rc;
			if (rc == H1C_DATA) {
				memcpy(out + *outlen, d, dl);
				*outlen += dl;
			}
			p += used;
			left -= used;
			if (rc == H1C_DONE) {
				*rest = len - (off + (n - left));
				return rc;
			}
			if (rc == H1C_NEED_MORE)
				break;
		}
		off += n;
	}
	return H1C_NEED_MORE;
}

static void test_valid(void **state)
{
	const char *cases[][2] = {
		{ "5\r\nhello\r\n0\r\n\r\n", "hello" },
		{ "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world" },
		{ "A\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n", "0123456789" },
		{ "a \t;x\r\n0123456789\r\n0\r\n\r\n", "0123456789" },
		{ "0\r\n\r\n", "" },
		{ "000001\r\nz\r\n0\r\n\r\n", "z" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		for (size_t step = 1; step <= strlen(cases[i][0]); step++) {
			char out[256];
			size_t ol, rest = 99;
			int rc = decode(cases[i][0], strlen(cases[i][0]), step, out, &ol, &rest);
			assert_int_equal(rc, H1C_DONE);
			assert_int_equal(ol, strlen(cases[i][1]));
			assert_memory_equal(out, cases[i][1], ol);
			assert_int_equal(rest, 0);
		}
	}
	char out[64];
	size_t ol, rest;
	const char *pipelined = "1\r\na\r\n0\r\n\r\nGET / HTTP/1.1\r\n";
	assert_int_equal(decode(pipelined, strlen(pipelined), 1000, out, &ol, &rest), H1C_DONE);
	assert_int_equal(rest, strlen("GET / HTTP/1.1\r\n"));
}

static void test_invalid(void **state)
{
	const char *bad[] = {
		"0x5\r\nhello\r\n0\r\n\r\n",		/* 0x prefix */
		"+5\r\nhello\r\n0\r\n\r\n",		/* sign */
		"-5\r\nhello\r\n0\r\n\r\n",
		" 5\r\nhello\r\n0\r\n\r\n",		/* leading space */
		"5\nhello\r\n0\r\n\r\n",		/* bare LF after size */
		"5\r\nhello\n0\r\n\r\n",		/* bare LF after data */
		"5\r\nhelloXX0\r\n\r\n",		/* data longer than size */
		"5\rX\nhello\r\n0\r\n\r\n",		/* bare CR */
		"fffffffffffffffff\r\n",		/* overflow */
		"g\r\n",				/* not hex */
		"\r\n",					/* empty size */
		"5_0\r\n",				/* underscore */
		"5;a\rb\r\nhello\r\n0\r\n\r\n",	/* CR in extension */
		"5;\x01\r\nhello\r\n0\r\n\r\n",		/* control in extension */
		"0\r\nX: y\n\r\n",			/* bare LF in trailer */
		"0\r\n\n",				/* bare LF at end */
		"0\r\n y\r\n\r\n",			/* trailer starts with space */
		"5 x\r\nhello\r\n0\r\n\r\n",		/* junk after size */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char out[256];
		size_t ol, rest;
		int rc = decode(bad[i], strlen(bad[i]), 1000, out, &ol, &rest);
		if (rc != H1C_ERROR)
			fail_msg("case %zu accepted: %s", i, bad[i]);
		rc = decode(bad[i], strlen(bad[i]), 1, out, &ol, &rest);
		if (rc != H1C_ERROR)
			fail_msg("case %zu accepted byte-wise", i);
	}
}

static void test_bounds(void **state)
{
	char raw[8000];
	memset(raw, 0, sizeof raw);
	int n = snprintf(raw, sizeof raw, "1;");
	memset(raw + n, 'e', 5000);
	char out[16];
	size_t ol, rest;
	assert_int_equal(decode(raw, (size_t)n + 5000, 1000, out, &ol, &rest), H1C_ERROR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_bounds),
	};
	return cmocka_run_group_tests_name("h1_chunked", tests, NULL, NULL);
}
