/* Percent-decoding helpers shared by the path and URI checks. */
#ifndef MG_PCT_H
#define MG_PCT_H

/* Decodes %XX escapes in place until nothing changes; returns 0, or -1 when
 * that takes more than max_rounds rounds (encoded suspiciously often) or an
 * escape decodes to NUL. */
int pct_decode_stable(char *s, int max_rounds);

/* The value of one hex digit, or -1. */
int pct_hex(char c);

#endif
