/* Access-log line parsing (see log_line.h). Written for speed: `mlgate
 * report` reads gigabytes, so there is one pass over each line and no
 * allocation. */
#include "audit/log_line.h"
#include "core/bytes.h"
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

static const char *const format_names[LOG_FMT_COUNT] = { "combined", "mlflow_access", "mlgate", "json" };

const char *log_line_format_name(enum log_format f)
{
	return f < LOG_FMT_COUNT ? format_names[f] : "unknown";
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int digits(const char *s, size_t n, size_t at, size_t count, int *out)
{
	if (at + count > n)
		return -1;
	int v = 0;
	for (size_t i = 0; i < count; i++) {
		char c = s[at + i];
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*out = v;
	return 0;
}

static int month_of(const char *m)
{
	static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	for (int i = 0; i < 12; i++)
		if (memcmp(names + i * 3, m, 3) == 0)
			return i + 1;
	return 0;
}

static int offset_seconds(const char *s, size_t n, size_t at, int64_t *off)
{
	/* "Z", "+hhmm", "+hh:mm", "-hhmm" */
	if (at < n && s[at] == 'Z') {
		*off = 0;
		return at + 1 == n ? 0 : -1;
	}
	if (at >= n || (s[at] != '+' && s[at] != '-'))
		return -1;
	int hh, mm;
	size_t p = at + 1;
	if (digits(s, n, p, 2, &hh))
		return -1;
	p += 2;
	if (p < n && s[p] == ':')
		p++;
	if (digits(s, n, p, 2, &mm) || p + 2 != n || hh > 23 || mm > 59)
		return -1;
	*off = (hh * 3600 + mm * 60) * (s[at] == '-' ? -1 : 1);
	return 0;
}

int log_line_time(const char *s, size_t n, int64_t *out)
{
	int y, mo, d, h, mi, se;
	int64_t off = 0;
	if (n >= 26 && s[2] == '/' && s[6] == '/' && s[11] == ':') {
		/* 10/Oct/2000:13:55:36 -0700 */
		if (digits(s, n, 0, 2, &d) || (mo = month_of(s + 3)) == 0 || digits(s, n, 7, 4, &y) ||
		    digits(s, n, 12, 2, &h) || s[14] != ':' || digits(s, n, 15, 2, &mi) || s[17] != ':' ||
		    digits(s, n, 18, 2, &se) || s[20] != ' ' || offset_seconds(s, n, 21, &off))
			return -EINVAL;
	} else if (n >= 19 && s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == ' ')) {
		if (digits(s, n, 0, 4, &y) || digits(s, n, 5, 2, &mo) || digits(s, n, 8, 2, &d) ||
		    digits(s, n, 11, 2, &h) || s[13] != ':' || digits(s, n, 14, 2, &mi) || s[16] != ':' ||
		    digits(s, n, 17, 2, &se))
			return -EINVAL;
		size_t p = 19;
		if (p < n && s[p] == '.') {
			p++;
			while (p < n && s[p] >= '0' && s[p] <= '9')
				p++;
		}
		if (p == n)
			off = 0;	/* no zone: read as UTC */
		else if (offset_seconds(s, n, p, &off))
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -EINVAL;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
	return 0;
}

static inline bool digit(char c)
{
	return c >= '0' && c <= '9';
}

static int seconds_ms_any(const char *s, size_t n, int64_t *ms);

/* The flagged bytes of t = w ^ ('0' in every byte) that were not a digit:
 * a digit's byte is 0..9 there, anything else has a bit in its high
 * nibble or carries into it when 6 is added. A carry only flags bytes
 * above a byte already flagged, so the lowest flag is exact. */
static inline uint64_t not_digits8(uint64_t t)
{
	return (t | (t + 0x0606060606060606ULL)) & 0xf0f0f0f0f0f0f0f0ULL;
}

/* The number in the digit bytes of t (each 0..9, the most significant in
 * the lowest byte; eight of them, leading zeros allowed): three multiplies
 * instead of one a digit. */
static inline uint64_t digits_value(uint64_t t)
{
	t = t * 10 + (t >> 8);	/* pairs */
	return (((t & 0x000000ff000000ffULL) * (100 + (1000000ULL << 32))) +
		(((t >> 16) & 0x000000ff000000ffULL) * (1 + (10000ULL << 32)))) >> 32;
}

/* "d.ddd" at s (five bytes, nothing read past them): ms, or -1. A word at a
 * time instead of a test per byte (two of them on every line). */
static inline int64_t ms5(const char *s)
{
	uint64_t w = (uint64_t)bytes_load4(s) | ((uint64_t)(unsigned char)s[4] << 32);
	uint64_t t = w ^ 0x303030302e30ULL;	/* "0.000": every byte 0..9, the dot 0 */
	if ((not_digits8(t) & 0xffffff00f0ULL) | (t & 0xff00))
		return -1;
	return (int64_t)((t & 0xff) * 1000 + ((t >> 16) & 0xff) * 100 + ((t >> 24) & 0xff) * 10 + ((t >> 32) & 0xff));
}

/* A number of seconds with up to three decimals ("0.123", "12") as ms. */
static inline int seconds_ms(const char *s, size_t n, int64_t *ms)
{
	int64_t v;
	if (n == 5 && (v = ms5(s)) >= 0) {	/* nginx's and mlgate's own "0.123" */
		*ms = v;
		return 0;
	}
	return seconds_ms_any(s, n, ms);
}

static int seconds_ms_any(const char *s, size_t n, int64_t *ms)
{
	size_t i = 0;
	int64_t whole = 0;
	if (n == 0)
		return -1;
	while (i < n && s[i] >= '0' && s[i] <= '9') {
		if (whole > 100000000)
			return -1;
		whole = whole * 10 + (s[i++] - '0');
	}
	if (i == 0)
		return -1;
	int64_t frac = 0;
	int fd = 0;
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (fd < 3) {
				frac = frac * 10 + (s[i] - '0');
				fd++;
			}
			i++;
		}
	}
	if (i != n)
		return -1;
	while (fd++ < 3)
		frac *= 10;
	*ms = whole * 1000 + frac;
	return 0;
}

/* nginx lists several upstream times ("0.010, 0.020" after a retry, " : "
 * after an internal redirect): their sum is MLflow's share. */
static int upstream_ms(const char *s, size_t n, int64_t *ms)
{
	if (n == 1 && s[0] == '-') {
		*ms = -1;
		return 0;
	}
	if (seconds_ms(s, n, ms) == 0)
		return 0;	/* one time, the usual case */
	int64_t sum = 0;
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && s[j] != ',' && s[j] != ' ' && s[j] != ':')
			j++;
		int64_t v;
		if (j > i) {
			if (j - i == 1 && s[i] == '-')
				v = 0;
			else if (seconds_ms(s + i, j - i, &v))
				return -1;
			sum += v;
		}
		i = j;
		while (i < n && (s[i] == ',' || s[i] == ' ' || s[i] == ':'))
			i++;
	}
	*ms = sum;
	return 0;
}

/* The index of the first c in s[i..n), or n. The fields of a line are tens
 * of bytes long, where an inline scan beats a call to memchr: sixteen bytes
 * a step with SSE2 (every x86-64 has it), else eight (a byte equal to c is
 * a zero byte of w ^ pattern; the lowest flagged is exact). */
static inline size_t find(const char *s, size_t i, size_t n, char c)
{
#ifdef __SSE2__
	const __m128i pat = _mm_set1_epi8(c);
	while (i + 16 <= n) {
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(s + i)), pat));
		if (m)
			return i + (size_t)__builtin_ctz(m);
		i += 16;
	}
#endif
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	const uint64_t pattern = ones * (uint8_t)c;
	while (i + 8 <= n) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		w ^= pattern;
		uint64_t z = (w - ones) & ~w & highs;
		if (z)
			return i + (size_t)(__builtin_ctzll(z) >> 3);
		i += 8;
	}
#endif
	while (i < n && s[i] != c)
		i++;
	return i;
}

/* The request field, whose opening quote is s[at]: one pass over it finds
 * its closing quote (nginx escapes '"' and '\' with a backslash) and, in
 * "GET /path?q HTTP/1.1", the method and the path (anything else leaves the
 * method empty). Sixteen bytes a step with SSE2: the spaces, question marks
 * and quotes of a chunk come as one mask, taken in order. The index of the
 * closing quote, or -1. */
static long request_field(const char *s, size_t n, size_t at, struct log_rec *r)
{
	size_t start = at + 1, sp1 = n, sp2 = n, q = n, i = start, end = n;
	while (end == n) {
		size_t base = i;
		unsigned m = 0;
#ifdef __SSE2__
		if (i + 16 <= n) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
			__m128i e = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')),
							      _mm_cmpeq_epi8(v, _mm_set1_epi8('?'))),
						 _mm_cmpeq_epi8(v, _mm_set1_epi8('"')));
			m = (unsigned)_mm_movemask_epi8(e);
			i += 16;
		} else
#endif
		if (i < n) {
			size_t stop = i + 16 < n ? i + 16 : n;
			for (size_t k = i; k < stop; k++)
				if (s[k] == ' ' || s[k] == '?' || s[k] == '"')
					m |= 1u << (k - i);
			i = stop;
		} else {
			return -1;	/* no closing quote */
		}
		while (m && end == n) {
			size_t k = base + (size_t)__builtin_ctz(m);
			m &= m - 1;
			if (s[k] == '"') {
				size_t b = 0;	/* the backslashes before it */
				while (k - b > start && s[k - b - 1] == '\\')
					b++;
				if (b % 2 == 0)
					end = k;
			} else if (s[k] == ' ') {
				if (sp1 == n)
					sp1 = k;
				else if (sp2 == n)
					sp2 = k;
			} else if (sp1 != n && sp2 == n && q == n) {
				q = k;	/* the first '?' of the target */
			}
		}
	}
	size_t tend = sp2 != n ? sp2 : end;	/* the target ends at the second space */
	if (sp1 == n || sp1 == start || tend == sp1 + 1)
		return (long)end;
	r->method = (struct log_str){ s + start, sp1 - start };
	r->path = (struct log_str){ s + sp1 + 1, (q != n ? q : tend) - sp1 - 1 };
	return (long)end;
}

/* "GET /path?q HTTP/1.1" in s[0..n) (a JSON line's request, unescaped);
 * anything else leaves the method empty. */
static void request_line(struct log_rec *r, const char *s, size_t n)
{
	size_t ml = find(s, 0, n, ' ');
	if (ml == n)
		return;
	const char *t = s + ml + 1;
	size_t rest = n - ml - 1;
	size_t tl = find(t, 0, rest, ' ');
	if (ml == 0 || tl == 0)
		return;
	r->method = (struct log_str){ s, ml };
	r->path = (struct log_str){ t, find(t, 0, tl, '?') };
}

static int parse_uint(const char *s, size_t n, uint64_t *v)
{
	if (n == 0 || n > 19)
		return -1;
	uint64_t x = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return 0;
}

/* Where the seconds of a time text are ("10/Oct/2000:13:55:36 -0700" or
 * "2026-11-26T16:00:36Z"), or -1. */
static int seconds_at(const char *s, size_t n)
{
	if (n >= 26 && s[2] == '/')
		return 18;
	if (n >= 19 && s[4] == '-')
		return 17;
	return -1;
}

/* Whether a[0..n) and b[0..n) differ at most at at and at + 1 (the seconds). */
HOT_INLINE bool same_but_seconds(const char *a, const char *b, size_t n, size_t at)
{
#ifdef __SSE2__
	if (n >= 16 && n <= 32) {
		/* two windows that cover the text, [0,16) and [n-16,n); the
		 * seconds' positions are left out of whichever holds them */
		unsigned lo = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)a),
									  _mm_loadu_si128((const __m128i *)(const void *)b)));
		unsigned hi = (unsigned)_mm_movemask_epi8(
			_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(a + n - 16)),
				       _mm_loadu_si128((const __m128i *)(const void *)(b + n - 16))));
		uint64_t skip = 3ull << at;	/* positions at and at + 1 */
		lo |= (unsigned)(skip & 0xffff);
		hi |= (unsigned)((skip >> (n - 16)) & 0xffff);
		return lo == 0xffff && hi == 0xffff;
	}
#endif
	return bytes_equal(a, b, at) && bytes_equal(a + at + 2, b + at + 2, n - at - 2);
}

/* Consecutive lines mostly share their minute: the cache keeps the text and
 * the value at second 0, and a line that differs only in its seconds costs
 * two comparisons (the conversion is linear in the seconds). */
HOT_INLINE int cached_time(const char *s, size_t n, struct log_time_cache *tc, int64_t *out)
{
	int at = seconds_at(s, n);
	if (tc && at >= 0 && tc->n == n && same_but_seconds(tc->text, s, n, (size_t)at) && s[at] >= '0' &&
	    s[at] <= '6' && s[at + 1] >= '0' && s[at + 1] <= '9') {
		int se = (s[at] - '0') * 10 + (s[at + 1] - '0');
		if (se <= 60) {
			*out = tc->value + se;
			return 0;
		}
	}
	int rc = log_line_time(s, n, out);
	if (rc == 0 && tc && at >= 0 && n <= sizeof tc->text) {
		memcpy(tc->text, s, n);
		tc->n = n;
		tc->value = *out - ((s[at] - '0') * 10 + (s[at + 1] - '0'));
	}
	return rc;
}

static int parse_text(const char *s, size_t n, struct log_rec *r, struct log_time_cache *tc)
{
	size_t i = find(s, 0, n, ' ');
	if (i == n || i == 0)
		return -EINVAL;
	r->addr = (struct log_str){ s, i };
	/* ident ("-", nearly always), then the user up to " [" (user names may hold spaces) */
	i = i + 2 < n && s[i + 1] == '-' && s[i + 2] == ' ' ? i + 2 : find(s, i + 1, n, ' ');
	if (i == n)
		return -EINVAL;
	size_t u = i + 1;
	size_t lb = find(s, u, n, '[');
	if (lb == n || lb == u || s[lb - 1] != ' ')
		return -EINVAL;
	size_t ul = lb - 1 - u;
	if (!(ul == 1 && s[u] == '-'))
		r->user = (struct log_str){ s + u, ul };
	i = lb + 1;
	/* nginx's $time_local is 26 bytes */
	size_t rb = i + 26 < n && s[i + 26] == ']' ? i + 26 : find(s, i, n, ']');
	if (rb == n || cached_time(s + i, rb - i, tc, &r->time))
		return -EINVAL;
	i = rb + 1;
	if (i + 1 >= n || s[i] != ' ' || s[i + 1] != '"')
		return -EINVAL;
	long qe = request_field(s, n, i + 1, r);
	if (qe < 0)
		return -EINVAL;
	i = (size_t)qe + 1;
	/* STATUS BYTES */
	if (i + 4 >= n || s[i] != ' ')
		return -EINVAL;
	i++;
	if (!digit(s[i]) || !digit(s[i + 1]) || !digit(s[i + 2]) || s[i] == '0' || (i + 3 < n && s[i + 3] != ' '))
		return -EINVAL;
	r->status = (s[i] - '0') * 100 + (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
	i += 3;
	if (i < n) {
		i++;
		uint64_t t, m;
		if (i + 8 <= n && (m = not_digits8(t = bytes_load8(s + i) ^ 0x3030303030303030ULL)) != 0) {
			/* fewer than eight digits, the usual case: read as one word */
			size_t len = (size_t)__builtin_ctzll(m) >> 3;
			if (len == 0 || s[i + len] != ' ')
				return -EINVAL;
			r->bytes = digits_value(t << (8 * (8 - len)));
			i += len;
		} else {
			size_t e = find(s, i, n, ' ');
			if (parse_uint(s + i, e - i, &r->bytes))
				return -EINVAL;
			i = e;
		}
	}
	/* "REFERER" "UA": nothing after them holds a quote, so the user agent
	 * ends at the line's last one (neither is read: no need to walk them) */
	if (i < n) {
		if (i + 1 >= n || s[i] != ' ' || s[i + 1] != '"')
			return -EINVAL;
		const char *lq = memrchr(s + i + 2, '"', n - i - 2);
		if (lq == NULL)
			return -EINVAL;
		i = (size_t)(lq - s) + 1;
	}
	r->format = LOG_FMT_COMBINED;
	if (i >= n)
		return 0;
	/* $request_time $upstream_response_time [request id] */
	if (s[i] != ' ')
		return -EINVAL;
	i++;
	int64_t ms;
	if (i + 5 < n && s[i + 5] == ' ' && (ms = ms5(s + i)) >= 0) {
		r->request_ms = ms;	/* "0.123 ", the usual case */
		i += 5;
	} else {
		size_t e = find(s, i, n, ' ');
		if (seconds_ms(s + i, e - i, &r->request_ms))
			return -EINVAL;
		i = e;
	}
	r->format = LOG_FMT_MLFLOW_ACCESS;
	if (i >= n)
		return 0;
	i++;
	/* nginx's upstream field may list several times ("0.1, 0.2", " : ");
	 * mlgate writes one and then the request id */
	if (n - i == 5 && (ms = ms5(s + i)) >= 0) {
		r->upstream_ms = ms;	/* the usual single "0.123" */
		return 0;
	}
	size_t end = n, sp = n, spaces = 0;
	bool list = false;
	for (size_t k = i; k < n; k++) {
		char c = s[k];
		if (c == ',' || c == ':') {
			list = true;
			break;
		}
		if (c == ' ' && spaces++ == 0)
			sp = k;
	}
	if (!list && spaces) {
		end = sp;
		if (spaces > 1 || end + 1 == n)
			return -EINVAL;
		r->format = LOG_FMT_MLGATE;
	}
	if (upstream_ms(s + i, end - i, &r->upstream_ms))
		return -EINVAL;
	return 0;
}

/* --- JSON lines ---------------------------------------------------------- */

static size_t skip_ws(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
		i++;
	return i;
}

/* A JSON string at s[i] == '"': its raw contents (escapes kept). */
static long json_string_end(const char *s, size_t n, size_t i)
{
	for (size_t k = i + 1; k < n; k++) {
		if (s[k] == '\\') {
			k++;
			continue;
		}
		if (s[k] == '"')
			return (long)k;
		if ((unsigned char)s[k] < 0x20)
			return -1;
	}
	return -1;
}

/* A scalar value (string, number, true/false/null) at s[i]. */
static long json_value(const char *s, size_t n, size_t i, struct log_str *v, bool *is_string)
{
	if (i >= n)
		return -1;
	if (s[i] == '"') {
		long e = json_string_end(s, n, i);
		if (e < 0)
			return -1;
		*v = (struct log_str){ s + i + 1, (size_t)e - i - 1 };
		*is_string = true;
		return e + 1;
	}
	size_t k = i;
	while (k < n && s[k] != ',' && s[k] != '}' && s[k] != ' ')
		k++;
	if (k == i)
		return -1;
	*v = (struct log_str){ s + i, k - i };
	*is_string = false;
	return (long)k;
}

static bool key_is(struct log_str k, const char *name)
{
	size_t l = strlen(name);
	return k.n == l && memcmp(k.p, name, l) == 0;
}

static int parse_json(const char *s, size_t n, struct log_rec *r, struct log_time_cache *tc)
{
	size_t i = skip_ws(s, n, 0);
	if (i >= n || s[i] != '{')
		return -EINVAL;
	i++;
	bool have_time = false, have_status = false;
	struct log_str uri = { 0 }, request = { 0 };
	for (;;) {
		i = skip_ws(s, n, i);
		if (i < n && s[i] == '}')
			break;
		if (i >= n || s[i] != '"')
			return -EINVAL;
		long ke = json_string_end(s, n, i);
		if (ke < 0)
			return -EINVAL;
		struct log_str k = { s + i + 1, (size_t)ke - i - 1 };
		i = skip_ws(s, n, (size_t)ke + 1);
		if (i >= n || s[i] != ':')
			return -EINVAL;
		i = skip_ws(s, n, i + 1);
		struct log_str v;
		bool str;
		long ve = json_value(s, n, i, &v, &str);
		if (ve < 0)
			return -EINVAL;
		i = (size_t)ve;
		bool null = !str && v.n == 4 && memcmp(v.p, "null", 4) == 0;
		if (key_is(k, "remote_addr") || key_is(k, "client"))
			r->addr = v;
		else if ((key_is(k, "user") || key_is(k, "remote_user")) && !null && !(v.n == 1 && v.p[0] == '-'))
			r->user = v;
		else if (key_is(k, "time") || key_is(k, "time_iso8601") || key_is(k, "time_local")) {
			if (cached_time(v.p, v.n, tc, &r->time))
				return -EINVAL;
			have_time = true;
		} else if (key_is(k, "method") || key_is(k, "request_method"))
			r->method = v;
		else if (key_is(k, "uri") || key_is(k, "request_uri"))
			uri = v;
		else if (key_is(k, "request"))
			request = v;
		else if (key_is(k, "status")) {
			uint64_t st;
			if (parse_uint(v.p, v.n, &st) || st < 100 || st > 999)
				return -EINVAL;
			r->status = (int)st;
			have_status = true;
		} else if (key_is(k, "body_bytes_sent") && !null) {
			if (parse_uint(v.p, v.n, &r->bytes))
				return -EINVAL;
		} else if (key_is(k, "request_time") && !null) {
			if (seconds_ms(v.p, v.n, &r->request_ms))
				return -EINVAL;
		} else if (key_is(k, "upstream_response_time") && !null && v.n) {
			if (upstream_ms(v.p, v.n, &r->upstream_ms))
				return -EINVAL;
		}
		i = skip_ws(s, n, i);
		if (i < n && s[i] == ',') {
			i++;
			continue;
		}
		if (i < n && s[i] == '}')
			break;
		return -EINVAL;
	}
	if (skip_ws(s, n, i + 1) != n || !have_time || !have_status || r->addr.n == 0)
		return -EINVAL;
	if (uri.n) {
		const char *q = memchr(uri.p, '?', uri.n);
		r->path = (struct log_str){ uri.p, q ? (size_t)(q - uri.p) : uri.n };
	} else if (request.n) {
		struct log_str m = r->method;
		request_line(r, request.p, request.n);
		if (m.n)
			r->method = m;
	}
	r->format = LOG_FMT_JSON;
	return 0;
}

int log_line_parse(const char *line, size_t len, struct log_rec *r, struct log_time_cache *tc)
{
	/* field by field: a struct clear compiles to rep stos, slow to start; and
	 * not chained (a = b = ...), which reads back what was just stored as one
	 * wider load, a store-forwarding stall (measured: 4% of a report) */
	r->addr = (struct log_str){ NULL, 0 };
	r->user = (struct log_str){ NULL, 0 };
	r->method = (struct log_str){ NULL, 0 };
	r->path = (struct log_str){ NULL, 0 };
	r->time = 0;
	r->status = 0;
	r->bytes = 0;
	r->request_ms = r->upstream_ms = -1;
	r->format = LOG_FMT_COMBINED;
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (len == 0)
		return -EINVAL;
	if (line[0] == '{')
		return parse_json(line, len, r, tc);
	return parse_text(line, len, r, tc);
}
