/* libFuzzer target: Bearer token parsing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "authn/bearer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[BEARER_MAX];
	if (bearer_parse((const char *)data, size, out) == 0) {
		size_t n = strlen(out);
		if (n == 0 || n >= BEARER_MAX || strpbrk(out, " \r\n\t:,;\"") != NULL)
			abort();
	}
	return 0;
}
