/* Incremental, strict decoder for the chunked transfer coding (RFC 9112
 * §7.1): pure and bounded. Bare LF, signs, "0x", whitespace or overflow in
 * chunk sizes, and over-long extensions or trailers are errors. */
#ifndef MG_H1_CHUNKED_H
#define MG_H1_CHUNKED_H
#include <stddef.h>
#include <stdint.h>

#define H1_CHUNK_MAX_LINE 4096		/* chunk-size line with extensions */
#define H1_CHUNK_MAX_TRAILERS 16384	/* the whole trailer section */

struct h1_chunked {
	int state;
	uint64_t remaining;	/* data bytes left in the current chunk */
	size_t line_len;	/* bytes of the current size or trailer line */
	size_t trailer_len;
	int digits;
};

enum {
	H1C_NEED_MORE = 0,	/* all input consumed, body not finished */
	H1C_DATA = 1,		/* the data span is body data */
	H1C_DONE = 2,		/* last chunk and trailers read */
	H1C_ERROR = -1,
};

void h1_chunked_init(struct h1_chunked *c);
/* Decodes from in[0..len). Sets *consumed to the bytes used. Returns H1C_DATA
 * with a span of in (call again with the rest), H1C_NEED_MORE, H1C_DONE (bytes
 * after *consumed belong to the next message), or H1C_ERROR with *err set. */
int h1_chunked_decode(struct h1_chunked *c, const char *in, size_t len, size_t *consumed,
		      const char **data, size_t *data_len, const char **err);

#endif
