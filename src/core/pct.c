/* In-place percent-decoding. */
#include "core/pct.h"
#include "core/buf.h"
#include "core/mem.h"
#include <string.h>

int pct_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

static int decode_once(char *s)
{
	char *r = s, *w = s;
	int changed = 0;
	while (*r) {
		if (r[0] == '%' && pct_hex(r[1]) >= 0 && pct_hex(r[2]) >= 0) {
			int v = pct_hex(r[1]) * 16 + pct_hex(r[2]);
			if (v == 0)
				return -1;	/* %00 would cut the string short */
			*w++ = (char)v;
			r += 3;
			changed = 1;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return changed;
}

int pct_decode_stable(char *s, int max_rounds)
{
	for (int round = 0;; round++) {
		int rc = decode_once(s);
		if (rc < 0 || (rc > 0 && round >= max_rounds))
			return -1;
		if (rc == 0)
			return 0;
	}
}

void pct_encode(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
		    ch == '_' || ch == '.' || ch == '~') {
			buf_append(b, s + i, 1);
		} else {
			char e[3] = { '%', hex[ch >> 4], hex[ch & 15] };
			buf_append(b, e, 3);
		}
	}
}

static char *form_decode(const char *s, size_t n)
{
	char *out = mem_alloc(n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+')
			out[o++] = ' ';
		else if (s[i] == '%' && i + 2 < n && pct_hex(s[i + 1]) >= 0 && pct_hex(s[i + 2]) >= 0) {
			out[o++] = (char)(pct_hex(s[i + 1]) * 16 + pct_hex(s[i + 2]));
			i += 2;
		} else
			out[o++] = s[i];
	}
	out[o] = '\0';
	return out;
}

int pct_query_next(const char **pp, char **key, char **val)
{
	const char *p = *pp;
	if (*p == '\0')
		return 0;
	const char *amp = strchr(p, '&');
	size_t n = amp ? (size_t)(amp - p) : strlen(p);
	const char *eq = memchr(p, '=', n);
	*key = form_decode(p, eq ? (size_t)(eq - p) : n);
	*val = eq ? form_decode(eq + 1, n - (size_t)(eq - p) - 1) : form_decode("", 0);
	*pp = p + n + (amp ? 1 : 0);
	return 1;
}

void hex_encode(const void *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = in;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}
