/* Percent-decoding helpers shared by the path and URI checks. */
#ifndef MG_PCT_H
#define MG_PCT_H
#include <stddef.h>

/* Decodes %XX escapes in place until nothing changes; returns 0, or -1 when
 * that takes more than max_rounds rounds (encoded suspiciously often) or an
 * escape decodes to NUL. */
int pct_decode_stable(char *s, int max_rounds);

struct buf;
/* Appends s[0..n) with everything but RFC 3986 unreserved characters
 * percent-encoded (for query values and path segments). */
void pct_encode(struct buf *b, const char *s, size_t n);

/* The next key=value pair of a query string at *p (advanced past it), both
 * form-decoded ('+' is a space) into malloc'd copies the caller frees.
 * Returns 0 at the end. */
int pct_query_next(const char **p, char **key, char **val);

/* Lowercase hex of in[0..n) into out (2n characters and a NUL). */
void hex_encode(const void *in, size_t n, char *out);

/* The value of one hex digit, or -1. */
int pct_hex(char c);

#endif
