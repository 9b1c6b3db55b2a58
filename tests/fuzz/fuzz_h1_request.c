/* libFuzzer target: the request-head parser, whole and in two pieces (the
 * incremental path must agree with the one-shot path). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "http/h1_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct h1_limits lim = { .max_head = 4096, .max_target = 1024 };
	struct h1_message *m = malloc(sizeof *m);
	const char *err;
	int full = h1_parse_request((const char *)data, size, &lim, m, &err);
	if (full > 0) {
		if ((size_t)full > size || m->head_len != (size_t)full)
			abort();
		for (size_t i = 0; i < m->nheaders; i++) {
			const struct h1_header *h = &m->headers[i];
			if (memchr(h->value, '\r', h->value_len) || memchr(h->value, '\n', h->value_len) ||
			    memchr(h->value, '\0', h->value_len))
				abort();	/* values never carry CR, LF or NUL */
		}
		if (m->framing == H1_BODY_CHUNKED && h1_find(m, "content-length"))
			abort();
		/* every strict prefix is incomplete or the same error class */
		int prefix = h1_parse_request((const char *)data, (size_t)full - 1, &lim, m, &err);
		if (prefix > 0)
			abort();
	}
	free(m);
	return 0;
}
