/* libFuzzer target: the zero-copy JSON reader used to filter MLflow search
 * pages. Whatever it accepts, jansson must accept too (it is strict JSON),
 * and the reverse for objects within its nesting bound; every element span
 * it hands out must lie inside the input; several members looked up in one
 * pass are what one-at-a-time look-ups find. */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/json_scan.h"
#include "jansson_depth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_span(struct jspan a, int rc, struct jspan b)
{
	if (rc == -ENOENT)
		return a.p == NULL;
	return a.p == b.p && a.n == b.n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *doc = (const char *)data;
	struct jspan arr;
	int rc = json_scan_member(doc, size, "experiments", &arr);
	if (rc == -EINVAL) {
		/* refused: a strict parser must refuse it too, or find it nested
		 * beyond our bound (or repeating a key, which we refuse on purpose) */
		json_t *j = json_loadb(doc, size, JSON_REJECT_DUPLICATES, NULL);
		if (j && json_is_object(j) && jansson_depth(j) <= 60 && memchr(doc, 0, size) == NULL)
			abort();
		json_decref(j);
		return 0;
	}
	/* the scanner accepted the document: so must a real parser (which also
	 * refuses what we refuse to judge, such as \u0000 -- allowed there) */
	json_error_t jerr;
	json_t *j = json_loadb(doc, size, JSON_ALLOW_NUL, &jerr);
	if (j == NULL && json_error_code(&jerr) != json_error_numeric_overflow &&
	    json_error_code(&jerr) != json_error_null_byte_in_key)
		abort();	/* (huge numbers and NUL in keys are limits of jansson, not syntax) */
	json_decref(j);
	/* several keys in one pass: refused exactly when one of them, looked up
	 * alone, is refused (given twice); else the same spans */
	const char *keys[3] = { "experiments", "next_page_token", "info" };
	struct jspan m[3], one[3];
	int single[3], twice = 0;
	for (int k = 0; k < 3; k++) {
		single[k] = json_scan_member(doc, size, keys[k], &one[k]);
		twice |= single[k] == -EINVAL;
	}
	int mrc = json_scan_members(doc, size, 3, keys, m);
	if ((mrc != 0) != twice)
		abort();
	for (int k = 0; mrc == 0 && k < 3; k++)
		if (!same_span(m[k], single[k], one[k]))
			abort();
	if (rc != 0)
		return 0;
	if (arr.p < doc || arr.p + arr.n > doc + size)
		abort();
	size_t pos = 0;
	struct jspan it;
	char buf[256];
	int n;
	while ((n = json_scan_next(arr, &pos, &it)) == 1) {
		if (it.p < arr.p || it.p + it.n > arr.p + arr.n)
			abort();
		(void)json_scan_string(it, "experiment_id", buf, sizeof buf);
		struct jspan o;
		if (json_scan_object(it, "info", &o) == 0 && (o.p < it.p || o.p + o.n > it.p + it.n))
			abort();
	}
	return 0;
}
