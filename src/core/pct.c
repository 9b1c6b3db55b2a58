/* In-place percent-decoding. */
#include "core/pct.h"
#include "core/buf.h"
#include "core/mem.h"
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

/* Lower-case hex of n bytes, NUL-terminated (2n + 1 bytes). Each audit
 * record encodes two digests: with SSE2 (every x86-64) sixteen bytes take a
 * dozen instructions -- a nibble above 9 is lifted past the gap from '9'
 * to 'a' by a compare and a mask. */
void hex_encode(const void *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = in;
	size_t i = 0;
#ifdef __SSE2__
	const __m128i nibble = _mm_set1_epi8(0x0f), nine = _mm_set1_epi8(9), zero = _mm_set1_epi8('0'),
		      gap = _mm_set1_epi8('a' - '0' - 10);
	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(p + i));
		__m128i hi = _mm_and_si128(_mm_srli_epi16(v, 4), nibble), lo = _mm_and_si128(v, nibble);
		__m128i a = _mm_unpacklo_epi8(hi, lo), b = _mm_unpackhi_epi8(hi, lo);	/* high nibble first */
		a = _mm_add_epi8(_mm_add_epi8(a, zero), _mm_and_si128(_mm_cmpgt_epi8(a, nine), gap));
		b = _mm_add_epi8(_mm_add_epi8(b, zero), _mm_and_si128(_mm_cmpgt_epi8(b, nine), gap));
		_mm_storeu_si128((__m128i *)(out + 2 * i), a);
		_mm_storeu_si128((__m128i *)(out + 2 * i + 16), b);
	}
#endif
	for (; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}
