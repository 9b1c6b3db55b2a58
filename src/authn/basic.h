/* HTTP Basic credentials (RFC 7617): parsing the Authorization value. Pure. */
#ifndef MG_BASIC_H
#define MG_BASIC_H
#include <stddef.h>

#define BASIC_MAX_USER 128
#define BASIC_MAX_PASSWORD 512

/* Parses an Authorization header value "Basic <base64>" (scheme
 * case-insensitive). On success writes NUL-terminated user and password and
 * returns 0. Returns -ENOENT when the scheme is not Basic, -EINVAL for bad
 * base64, a missing colon, an empty or over-long user, or control
 * characters. The caller wipes pw after use. */
int basic_parse(const char *value, size_t len, char user[BASIC_MAX_USER], char pw[BASIC_MAX_PASSWORD]);

#endif
