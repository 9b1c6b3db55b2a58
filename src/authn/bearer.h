/* "Authorization: Bearer <token>" (RFC 6750 token68) parsing. Pure. */
#ifndef MG_BEARER_H
#define MG_BEARER_H
#include <stddef.h>

#define BEARER_MAX 256

/* Writes the NUL-terminated token; returns 0, -ENOENT when the scheme is not
 * Bearer, or -EINVAL for an empty, over-long or ill-formed token. */
int bearer_parse(const char *value, size_t len, char out[BEARER_MAX]);

#endif
