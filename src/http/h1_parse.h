/* Strict HTTP/1.1 message-head parser (RFC 9112): pure, no I/O, no
 * allocation, bounded. Names and values point into the caller's buffer. */
#ifndef MG_H1_PARSE_H
#define MG_H1_PARSE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <strings.h>

#define H1_MAX_HEADERS 100

struct h1_header {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

enum h1_framing {
	H1_BODY_NONE = 0,	/* no body */
	H1_BODY_LENGTH,		/* Content-Length bytes */
	H1_BODY_CHUNKED,	/* chunked transfer coding */
	H1_BODY_CLOSE,		/* response only: until the connection closes */
};

struct h1_limits {
	size_t max_head;	/* whole header section, bytes (431 past it) */
	size_t max_target;	/* request target, bytes (414 past it) */
};

struct h1_message {
	/* request line (requests) */
	const char *method;
	size_t method_len;
	const char *target;
	size_t target_len;
	/* status line (responses) */
	int status;
	int minor_version;	/* HTTP/1.<minor>: 0 or 1 */
	struct h1_header headers[H1_MAX_HEADERS];
	size_t nheaders;
	enum h1_framing framing;
	uint64_t content_length;
	const char *host;	/* requests: the one Host value, or NULL */
	size_t host_len;
	bool keep_alive;	/* after version and Connection tokens */
	bool expect_continue;
	bool upgrade;		/* Connection: upgrade was named */
	size_t head_len;	/* bytes of the head, including the final CRLF */
};

/* Parses a request head from buf[0..len). Returns the head length (> 0) when
 * complete, 0 when more bytes are needed, or the negated HTTP status to answer
 * (-400, -414, -417, -431, -501, -505) with *err naming the rule broken.
 * Rejects everything listed in docs/internals/http.md: CL with TE, several or
 * invalid CL, any coding but a lone "chunked", obs-fold, bare CR or LF,
 * whitespace before a colon, NUL/CR/LF in values, missing or repeated Host. */
int h1_parse_request(const char *buf, size_t len, const struct h1_limits *lim,
		     struct h1_message *msg, const char **err);

/* Parses a response head; head_request tells whether the request was HEAD
 * (so the response has no body). Same return convention; any error means the
 * upstream misbehaved (502). Interim 1xx responses parse as complete messages
 * with framing NONE. */
int h1_parse_response(const char *buf, size_t len, const struct h1_limits *lim,
		      bool head_request, struct h1_message *msg, const char **err);

/* Case-insensitive header-name comparison. H1_NAME_IS takes a string
 * literal and compares lengths first (the common mismatch costs nothing). */
bool h1_name_is(const struct h1_header *h, const char *name);
#define H1_NAME_IS(h, lit) ((h)->name_len == sizeof(lit) - 1 && strncasecmp((h)->name, (lit), sizeof(lit) - 1) == 0)
/* Returns the first header named `name`, or NULL. */
const struct h1_header *h1_find(const struct h1_message *msg, const char *name);
/* true when the comma-separated token list in h's value names the len
 * bytes at name (case-insensitive), e.g. a header listed in Connection. */
bool h1_token_list_has(const struct h1_header *h, const char *name, size_t len);
/* true when c is an RFC 9110 tchar. */
bool h1_is_tchar(unsigned char c);

#endif
