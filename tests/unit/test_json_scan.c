/* The zero-copy JSON reader behind search filtering. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "core/json_scan.h"
#include "core/json_write.h"
#include <jansson.h>
#include <stdlib.h>

static void test_pages(void **state)
{
	const char *doc = " {\"experiments\": [ {\"experiment_id\": \"1\", \"name\": \"caf\\u00e9 \\ud83d\\ude00\"},"
			  "{\"experiment_id\": 22, \"name\": \"b\", \"tags\": [{\"k\": [1, 2.5e-3, true, null]}]} ],"
			  "\"next_page_token\": \"tok\"} ";
	struct jspan arr, it;
	assert_int_equal(json_scan_member(doc, strlen(doc), "experiments", &arr), 0);
	assert_int_equal(arr.p[0], '[');
	size_t pos = 0;
	char v[64];
	assert_int_equal(json_scan_next(arr, &pos, &it), 1);
	assert_int_equal(json_scan_string(it, "experiment_id", v, sizeof v), 0);
	assert_string_equal(v, "1");
	assert_int_equal(json_scan_string(it, "name", v, sizeof v), 0);
	assert_string_equal(v, "caf\xc3\xa9 \xf0\x9f\x98\x80");
	assert_int_equal(json_scan_next(arr, &pos, &it), 1);
	assert_int_equal(json_scan_string(it, "experiment_id", v, sizeof v), 0);
	assert_string_equal(v, "22");
	assert_int_equal(json_scan_string(it, "tags", v, sizeof v), -ENOENT);
	assert_int_equal(json_scan_string(it, "nope", v, sizeof v), -ENOENT);
	assert_int_equal(json_scan_next(arr, &pos, &it), 0);
	assert_int_equal(json_scan_member(doc, strlen(doc), "absent", &arr), -ENOENT);
	assert_int_equal(json_scan_string((struct jspan){ doc, strlen(doc) }, "next_page_token", v, 4), -EINVAL);
}

static void test_refused(void **state)
{
	const char *bad[] = {
		"{\"a\": 1, \"a\": 2}",		/* the key we look for, twice */
		"[1]", "", "{", "{\"a\" 1}", "{\"a\": 01}", "{\"a\": 1.}", "{\"a\": -}", "{\"a\": tru}",
		"{\"a\": \"\x01\"}", "{\"a\": \"\\x\"}", "{\"a\": \"\\u12\"}", "{\"a\": \"\\udc00\"}",
		"{\"a\": \"\\ud800x\"}", "{\"a\": \"\xc0\xaf\"}", "{\"a\": \"\xed\xa0\x80\"}", "{\"a\": \"\xff\"}",
		"{\"a\": [1,]}", "{\"a\": 1,}", "{\"a\": 1} x", "{\"a\": \"x}",
	};
	struct jspan out;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (json_scan_member(bad[i], strlen(bad[i]), "a", &out) != -EINVAL)
			fail_msg("accepted %s", bad[i]);
	char deep[200] = "{\"a\":";
	for (int i = 0; i < 70; i++)
		strcat(deep, "[");
	for (int i = 0; i < 70; i++)
		strcat(deep, "]");
	strcat(deep, "}");
	assert_int_equal(json_scan_member(deep, strlen(deep), "a", &out), -EINVAL);
}

/* Strings are skipped eight bytes at a time: a quote, backslash, control
 * or non-ASCII byte at every offset of a word, and at the very end. */
static void test_word_offsets(void **state)
{
	const char *special[] = { "\\\"", "\\n", "\\u00e9", "\xc3\xa9", "\x01" };
	int ok[] = { 1, 1, 1, 1, 0 };
	for (size_t k = 0; k < sizeof special / sizeof special[0]; k++) {
		for (int pre = 0; pre < 19; pre++) {
			char doc[128], v[64];
			int n = snprintf(doc, sizeof doc, "{\"a\":\"%.*s%s%.*s\",\"b\":\"x\"}", pre,
					 "abcdefghijklmnopqrstuvwxyz", special[k], pre % 9, "ABCDEFGHIJ");
			struct jspan m[2];
			const char *keys[2] = { "a", "b" };
			int rc = json_scan_members(doc, (size_t)n, 2, keys, m);
			if (!ok[k]) {
				assert_int_equal(rc, -EINVAL);
				continue;
			}
			assert_int_equal(rc, 0);
			assert_int_equal(json_span_string(m[1], v, sizeof v), 0);
			assert_string_equal(v, "x");
			assert_int_equal(json_span_string(m[0], v, sizeof v), 0);
			assert_int_equal(strncmp(v, "abcdefghijklmnopqrstuvwxyz", (size_t)pre), 0);
		}
	}
	/* an unterminated string ends at the end of the input, whatever its length */
	for (int len = 0; len < 20; len++) {
		char doc[64];
		int n = snprintf(doc, sizeof doc, "{\"a\":\"%.*s", len, "0123456789012345678901234");
		struct jspan out;
		assert_int_equal(json_scan_member(doc, (size_t)n, "a", &out), -EINVAL);
	}
}

/* Several members in one pass: absent ones stay NULL, a wanted key twice
 * is refused, an unwanted one twice is not judged. */
static void test_members(void **state)
{
	const char *keys[3] = { "experiments", "next_page_token", "x" };
	struct jspan m[3];
	const char *doc = "{\"next_page_token\": \"t\", \"o\": 1, \"o\": 2, \"experiments\": []}";
	assert_int_equal(json_scan_members(doc, strlen(doc), 3, keys, m), 0);
	assert_int_equal(m[0].n, 2);
	assert_memory_equal(m[1].p, "\"t\"", 3);
	assert_null(m[2].p);
	char v[8];
	assert_int_equal(json_span_string(m[2], v, sizeof v), -ENOENT);
	const char *twice = "{\"next_page_token\": \"t\", \"next_page_token\": \"u\"}";
	assert_int_equal(json_scan_members(twice, strlen(twice), 3, keys, m), -EINVAL);
	assert_int_equal(json_scan_members("{} x", 4, 3, keys, m), -EINVAL);
}

/* The writer behind audit records: every string, at every length around
 * its eight-byte steps, comes back from a JSON parser as it went in (valid
 * UTF-8) or as valid JSON (not); nothing is written past the closing quote. */
static void test_put_string(void **state)
{
	(void)state;
	static const char *const pieces[] = { "a", "Z", "/", " ", "\"", "\\", "\n", "\x01", "\x1f", "\x7f",
					      "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "~" };
	static const char *const broken[] = { "\xc3", "\xed\xa0\x80", "\xe0\x80\x80", "\xff", "\xf4\x90\x80\x80" };
	srand(7);
	for (int round = 0; round < 4000; round++) {
		char in[64], out[6 * 64 + 8];
		size_t n = 0, want = (size_t)(round % 40);
		bool bad = round % 5 == 4;
		while (n < want) {
			const char *pc = bad && rand() % 8 == 0 ? broken[rand() % 5] : pieces[rand() % 14];
			if (round % 3 == 0 && rand() % 4)
				pc = "m";	/* long plain runs */
			size_t l = strlen(pc);
			if (n + l > sizeof in - 1)
				break;
			memcpy(in + n, pc, l);
			n += l;
		}
		memset(out, '#', sizeof out);
		char *end = json_put_string(out, in, n);
		assert_true((size_t)(end - out) <= 6 * n + 2);
		assert_int_equal(*end, '#');
		json_error_t err;
		json_t *v = json_loadb(out, (size_t)(end - out), JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
		assert_non_null(v);
		assert_true(json_is_string(v));
		if (!bad) {	/* valid UTF-8 comes back as it went in */
			assert_int_equal(json_string_length(v), n);
			assert_memory_equal(json_string_value(v), in, n);
		}
		json_decref(v);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_string),
		cmocka_unit_test(test_pages),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_word_offsets),
		cmocka_unit_test(test_members),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
