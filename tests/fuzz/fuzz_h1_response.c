/* libFuzzer target: the response-head parser. */
#include <stdint.h>
#include <stdlib.h>
#include "http/h1_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct h1_limits lim = { .max_head = 4096, .max_target = 1024 };
	struct h1_message *m = malloc(sizeof *m);
	const char *err;
	for (int head = 0; head < 2; head++) {
		int rc = h1_parse_response((const char *)data, size, &lim, head, m, &err);
		if (rc > 0 && (m->status < 100 || m->status > 999 || (head && m->framing != H1_BODY_NONE)))
			abort();
	}
	free(m);
	return 0;
}
