/* Writing JSON strings without a tree. */
#ifndef MG_JSON_WRITE_H
#define MG_JSON_WRITE_H
#include <stddef.h>

/* Writes s[0..n) as a quoted JSON string at p and returns its end: valid
 * UTF-8 passes through, anything else (controls, DEL, quotes, backslashes,
 * bytes that are not UTF-8) is escaped, so the result is always valid JSON.
 * p must have room for 6 * n + 2 bytes. */
char *json_put_string(char *p, const char *s, size_t n);

#endif
