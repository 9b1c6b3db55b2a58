/* Strict HTTP/1.1 head parser. Request framing is where proxies get smuggled
 * through, so this parser accepts only what RFC 9112 allows, fails closed on
 * everything ambiguous, and never looks beyond the bytes it is given. */
#include "http/h1_parse.h"
#include <string.h>
#include <strings.h>

static const char tchar_tab[256] = {
	['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1,
	['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1,
	['~'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,
	['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1,
	['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1,
	['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1,
	['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1,
	['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
	['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1,
	['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

bool h1_is_tchar(unsigned char c)
{
	return tchar_tab[c];
}

bool h1_name_is(const struct h1_header *h, const char *name)
{
	size_t n = strlen(name);
	return h->name_len == n && strncasecmp(h->name, name, n) == 0;
}

const struct h1_header *h1_find(const struct h1_message *msg, const char *name)
{
	for (size_t i = 0; i < msg->nheaders; i++)
		if (h1_name_is(&msg->headers[i], name))
			return &msg->headers[i];
	return NULL;
}

bool h1_token_list_has(const struct h1_header *h, const char *name, size_t len)
{
	const char *p = h->value, *end = h->value + h->value_len;
	while (p < end) {
		while (p < end && (*p == ' ' || *p == ',' || *p == '\t'))
			p++;
		const char *s = p;
		while (p < end && *p != ',' && *p != ' ' && *p != '\t')
			p++;
		if ((size_t)(p - s) == len && strncasecmp(s, name, len) == 0)
			return true;
	}
	return false;
}

static bool span_is(const char *p, size_t n, const char *lit)
{
	size_t l = strlen(lit);
	return n == l && strncasecmp(p, lit, l) == 0;
}

/* Finds the end of the line starting at p: returns the offset of the CR of a
 * CRLF, -1 when more bytes are needed, -2 on a bare CR or bare LF. */
static long find_crlf(const char *p, size_t n)
{
	const char *q = memchr(p, '\n', n);
	const char *cr = memchr(p, '\r', q ? (size_t)(q - p) : n);
	if (cr != NULL) {
		if ((size_t)(cr - p) + 1 >= n)
			return -1;		/* CR is last: wait for LF */
		if (cr[1] != '\n')
			return -2;		/* bare CR */
		return cr - p;
	}
	if (q != NULL)
		return -2;			/* bare LF */
	return -1;
}

/* uri-host and port characters (RFC 3986 reg-name, IP-literal, port). */
#define HOST_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:[]%"

#define FAIL(code, msg) do { *err = (msg); return -(code); } while (0)

/* Parses the header lines starting at buf+off up to and including the empty
 * line; fills msg->headers. Returns the head length, 0, or -status. */
static int parse_fields(const char *buf, size_t len, size_t off, const struct h1_limits *lim,
			struct h1_message *msg, const char **err)
{
	msg->nheaders = 0;
	for (;;) {
		if (off >= len)
			goto need_more;
		long eol = find_crlf(buf + off, len - off);
		if (eol == -2)
			FAIL(400, "bare CR or LF in header section");
		if (eol == -1)
			goto need_more;
		const char *line = buf + off;
		size_t n = (size_t)eol;
		off += n + 2;
		if (off > lim->max_head)
			FAIL(431, "header section too large");
		if (n == 0)
			return (int)off;
		if (line[0] == ' ' || line[0] == '\t')
			FAIL(400, "obsolete line folding");
		size_t i = 0;
		while (i < n && tchar_tab[(unsigned char)line[i]])
			i++;
		if (i == 0 || i == n)
			FAIL(400, "header line without a valid name and colon");
		if (line[i] != ':') {
			if (line[i] == ' ' || line[i] == '\t')
				FAIL(400, "whitespace between header name and colon");
			FAIL(400, "invalid character in header name");
		}
		if (msg->nheaders == H1_MAX_HEADERS)
			FAIL(431, "too many header fields");
		struct h1_header *h = &msg->headers[msg->nheaders++];
		h->name = line;
		h->name_len = i;
		size_t v = i + 1, e = n;
		while (v < e && (line[v] == ' ' || line[v] == '\t'))
			v++;
		while (e > v && (line[e - 1] == ' ' || line[e - 1] == '\t'))
			e--;
		for (size_t k = v; k < e; k++) {
			unsigned char c = (unsigned char)line[k];
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				FAIL(400, "control character in header value");
		}
		h->value = line + v;
		h->value_len = e - v;
	}
need_more:
	if (len > lim->max_head)
		FAIL(431, "header section too large");
	return 0;
}

/* Parses a Content-Length value: 1*DIGIT, no sign, no list, no overflow. */
static int parse_content_length(const char *p, size_t n, uint64_t *out)
{
	if (n == 0 || n > 18)
		return -1;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*out = v;
	return 0;
}

/* Walks a comma-separated token list; calls back for each element. */
static void connection_tokens(const struct h1_header *h, struct h1_message *msg, bool *close,
			      bool *keepalive)
{
	const char *p = h->value, *end = h->value + h->value_len;
	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		const char *s = p;
		while (p < end && *p != ',' && *p != ' ' && *p != '\t')
			p++;
		if (span_is(s, (size_t)(p - s), "close"))
			*close = true;
		else if (span_is(s, (size_t)(p - s), "keep-alive"))
			*keepalive = true;
		else if (span_is(s, (size_t)(p - s), "upgrade"))
			msg->upgrade = true;
	}
}

/* Applies the framing rules shared by requests and responses. */
static int apply_framing(struct h1_message *msg, bool is_request, const char **err)
{
	const struct h1_header *cl = NULL, *te = NULL;
	bool close = false, keepalive = false;
	for (size_t i = 0; i < msg->nheaders; i++) {
		const struct h1_header *h = &msg->headers[i];
		if (H1_NAME_IS(h, "content-length")) {
			if (cl != NULL)
				FAIL(400, "several Content-Length fields");
			cl = h;
		} else if (H1_NAME_IS(h, "transfer-encoding")) {
			if (te != NULL)
				FAIL(400, "several Transfer-Encoding fields");
			te = h;
		} else if (H1_NAME_IS(h, "connection")) {
			connection_tokens(h, msg, &close, &keepalive);
		} else if (is_request && H1_NAME_IS(h, "host")) {
			if (msg->host != NULL)
				FAIL(400, "several Host fields");
			msg->host = h->value;
			msg->host_len = h->value_len;
		} else if (is_request && H1_NAME_IS(h, "expect")) {
			if (!span_is(h->value, h->value_len, "100-continue"))
				FAIL(417, "unsupported expectation");
			msg->expect_continue = true;
		}
	}
	if (cl != NULL && te != NULL)
		FAIL(400, "both Content-Length and Transfer-Encoding");
	if (te != NULL) {
		if (msg->minor_version == 0)
			FAIL(400, "Transfer-Encoding in an HTTP/1.0 message");
		if (!span_is(te->value, te->value_len, "chunked"))
			FAIL(400, "transfer coding other than a lone chunked");
		msg->framing = H1_BODY_CHUNKED;
	} else if (cl != NULL) {
		if (parse_content_length(cl->value, cl->value_len, &msg->content_length))
			FAIL(400, "invalid Content-Length");
		msg->framing = msg->content_length ? H1_BODY_LENGTH : H1_BODY_NONE;
	} else {
		msg->framing = is_request ? H1_BODY_NONE : H1_BODY_CLOSE;
	}
	if (msg->minor_version == 1)
		msg->keep_alive = !close;
	else
		msg->keep_alive = keepalive && !close;
	return 0;
}

/* Parses "HTTP/1.x" at p (exactly 8 bytes); returns the minor version or
 * -status. */
static int parse_version(const char *p, size_t n)
{
	if (n != 8 || memcmp(p, "HTTP/", 5) != 0 || p[6] != '.' ||
	    p[5] < '0' || p[5] > '9' || p[7] < '0' || p[7] > '9')
		return -400;
	if (p[5] != '1')
		return -505;
	if (p[7] != '0' && p[7] != '1')
		return -505;
	return p[7] - '0';
}

int h1_parse_request(const char *buf, size_t len, const struct h1_limits *lim,
		     struct h1_message *msg, const char **err)
{
	memset(msg, 0, sizeof *msg);
	*err = NULL;
	size_t off = 0;
	/* RFC 9112 §2.2: ignore at least one empty line before the request line. */
	for (int i = 0; i < 2 && len - off >= 2 && buf[off] == '\r' && buf[off + 1] == '\n'; i++)
		off += 2;
	long eol = find_crlf(buf + off, len - off);
	if (eol == -2)
		FAIL(400, "bare CR or LF in request line");
	if (eol == -1) {
		if (len - off > lim->max_target + 32)
			FAIL(414, "request target too long");
		return 0;
	}
	const char *line = buf + off;
	size_t n = (size_t)eol;
	size_t i = 0;
	while (i < n && tchar_tab[(unsigned char)line[i]])
		i++;
	if (i == 0 || i >= n || line[i] != ' ')
		FAIL(400, "malformed request method");
	msg->method = line;
	msg->method_len = i;
	if (span_is(msg->method, msg->method_len, "CONNECT"))
		FAIL(501, "CONNECT is not supported");
	size_t t = ++i;
	while (i < n && line[i] > 0x20 && line[i] < 0x7f)
		i++;
	if (i == t || i >= n || line[i] != ' ')
		FAIL(400, "malformed request target");
	msg->target = line + t;
	msg->target_len = i - t;
	if (msg->target_len > lim->max_target)
		FAIL(414, "request target too long");
	if (msg->target[0] != '/') {
		if (!(msg->target_len == 1 && msg->target[0] == '*' && span_is(msg->method, msg->method_len, "OPTIONS")))
			FAIL(400, "only origin-form request targets are accepted");
	}
	if (memchr(msg->target, '#', msg->target_len) != NULL)
		FAIL(400, "fragment in request target");
	int v = parse_version(line + i + 1, n - i - 1);
	if (v < 0)
		FAIL(-v, v == -505 ? "unsupported HTTP version" : "malformed HTTP version");
	msg->minor_version = v;
	off += n + 2;
	if (off > lim->max_head)
		FAIL(431, "header section too large");
	int rc = parse_fields(buf, len, off, lim, msg, err);
	if (rc <= 0)
		return rc;
	msg->head_len = (size_t)rc;
	int frc = apply_framing(msg, true, err);
	if (frc)
		return frc;
	if (msg->minor_version == 1 && msg->host == NULL)
		FAIL(400, "missing Host");
	if (msg->host != NULL) {
		for (size_t k = 0; k < msg->host_len; k++)
			if (strchr(HOST_CHARS, msg->host[k]) == NULL || msg->host[k] == '\0')
				FAIL(400, "invalid Host");
	}
	return rc;
}

int h1_parse_response(const char *buf, size_t len, const struct h1_limits *lim,
		      bool head_request, struct h1_message *msg, const char **err)
{
	memset(msg, 0, sizeof *msg);
	*err = NULL;
	long eol = find_crlf(buf, len);
	if (eol == -2)
		FAIL(502, "bare CR or LF in status line");
	if (eol == -1) {
		if (len > lim->max_head)
			FAIL(502, "status line too long");
		return 0;
	}
	size_t n = (size_t)eol;
	if (n < 12 || buf[8] != ' ' || (n > 12 && buf[12] != ' '))
		FAIL(502, "malformed status line");
	int v = parse_version(buf, 8);
	if (v < 0)
		FAIL(502, "malformed HTTP version in status line");
	msg->minor_version = v;
	int status = 0;
	for (int k = 9; k < 12; k++) {
		if (buf[k] < '0' || buf[k] > '9')
			FAIL(502, "malformed status code");
		status = status * 10 + (buf[k] - '0');
	}
	if (status < 100)
		FAIL(502, "malformed status code");
	for (size_t k = 12; k < n; k++) {
		unsigned char c = (unsigned char)buf[k];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			FAIL(502, "control character in reason phrase");
	}
	msg->status = status;
	const char *ferr = NULL;
	int rc = parse_fields(buf, len, n + 2, lim, msg, &ferr);
	if (rc < 0)
		FAIL(502, ferr);
	if (rc == 0)
		return 0;
	msg->head_len = (size_t)rc;
	int frc = apply_framing(msg, false, &ferr);
	if (frc)
		FAIL(502, ferr);
	if (head_request || status < 200 || status == 204 || status == 304) {
		if (status == 204 && msg->framing == H1_BODY_CHUNKED)
			FAIL(502, "Transfer-Encoding on a 204 response");
		msg->framing = H1_BODY_NONE;
	}
	return rc;
}
