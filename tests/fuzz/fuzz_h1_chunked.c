/* libFuzzer target: the chunked decoder, fed whole and byte by byte; both
 * must decode the same body and stop at the same place. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "http/h1_chunked.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run(const uint8_t *data, size_t size, size_t step, uint8_t *out, size_t *outlen, size_t *end)
{
	struct h1_chunked c;
	h1_chunked_init(&c);
	*outlen = 0;
	size_t off = 0;
	while (off < size) {
		size_t n = size - off < step ? size - off : step;
		const char *p = (const char *)data + off;
		size_t left = n;
		while (left) {
			size_t used = 0, dl = 0;
			const char *d = NULL, *err = NULL;
			int rc = h1_chunked_decode(&c, p, left, &used, &d, &dl, &err);
			if (used > left)
				abort();
			if (rc == H1C_ERROR)
				return rc;
			if (rc == H1C_DATA) {
				if (d < p || d + dl > p + used)
					abort();
				memcpy(out + *outlen, d, dl);
				*outlen += dl;
			}
			p += used;
			left -= used;
			if (rc == H1C_DONE) {
				*end = off + (n - left);
				return rc;
			}
			if (rc == H1C_NEED_MORE)
				break;
		}
		off += n;
	}
	return H1C_NEED_MORE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *a = malloc(size + 1), *b = malloc(size + 1);
	size_t al = 0, bl = 0, ae = 0, be = 0;
	int ra = run(data, size, size ? size : 1, a, &al, &ae);
	int rb = run(data, size, 1, b, &bl, &be);
	if (ra != rb || (ra != H1C_ERROR && (al != bl || memcmp(a, b, al) != 0)) || (ra == H1C_DONE && ae != be))
		abort();
	free(a);
	free(b);
	return 0;
}
