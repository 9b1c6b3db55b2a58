/* libFuzzer target: artifact path canonicalisation and URI checks. A
 * canonical path must itself be canonical (idempotent) and never hold '..'
 * segments, '#', or a leading '/'. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "authz/artifact_path.h"
#include "authz/uri_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[ARTIFACT_PATH_MAX], again[ARTIFACT_PATH_MAX], exp[32];
	const char *why;
	if (artifact_path_canonical((const char *)data, size, out, &why) == 0) {
		if (out[0] == '/' || strchr(out, '#') || strstr(out, "/../") || strncmp(out, "../", 3) == 0)
			abort();
		size_t n = strlen(out);
		if (n >= 3 && strcmp(out + n - 3, "/..") == 0)
			abort();
		/* a second pass must agree unless the path holds a literal '%' */
		if (strchr(out, '%') == NULL && strncmp(out, "file:", 5) != 0) {
			if (artifact_path_canonical(out, n, again, &why) != 0 || strcmp(out, again) != 0)
				abort();
		}
		(void)artifact_path_experiment(out, exp);
	}
	(void)uri_check((const char *)data, size, URI_CHECK_DEFAULT_SCHEMES, &why);
	return 0;
}
