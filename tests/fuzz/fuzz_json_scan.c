/* libFuzzer target: the zero-copy JSON reader used to filter MLflow search
 * pages. Whatever it accepts, jansson must accept too (it is strict JSON),
 * and every element span it hands out must lie inside the input. */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/json_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *doc = (const char *)data;
	struct jspan arr;
	int rc = json_scan_member(doc, size, "experiments", &arr);
	if (rc == -EINVAL)
		return 0;
	/* the scanner accepted the document: so must a real parser (which also
	 * refuses what we refuse to judge, such as \u0000 -- allowed there) */
	json_error_t jerr;
	json_t *j = json_loadb(doc, size, JSON_ALLOW_NUL, &jerr);
	if (j == NULL && json_error_code(&jerr) != json_error_numeric_overflow &&
	    json_error_code(&jerr) != json_error_null_byte_in_key)
		abort();	/* (huge numbers and NUL in keys are limits of jansson, not syntax) */
	json_decref(j);
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
