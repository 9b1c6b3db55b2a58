/* The zero-copy JSON reader behind search filtering. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include "core/json_scan.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pages),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
