/* libFuzzer target: Basic credential parsing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "authn/basic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char u[BASIC_MAX_USER], p[BASIC_MAX_PASSWORD];
	if (basic_parse((const char *)data, size, u, p) == 0) {
		if (u[0] == '\0' || strlen(u) >= BASIC_MAX_USER || strlen(p) >= BASIC_MAX_PASSWORD ||
		    strchr(u, ':') != NULL)
			abort();
	}
	return 0;
}
