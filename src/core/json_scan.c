/* A validating skipper for JSON values plus member look-up. Strings are
 * checked for escapes, control characters and UTF-8 (no overlongs, no
 * surrogates); numbers follow the RFC grammar; nesting is bounded. */
#include "core/json_scan.h"
#include "core/bytes.h"
#include "core/pct.h"
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "bytes_json_special8 assumes little-endian words"
#endif

#define MAX_DEPTH 64

struct sc {
	const char *p, *end;
	int depth;
};

static inline void ws(struct sc *s)
{
	/* ' ', '\t', '\n', '\r': one comparison for every other byte */
	const uint64_t blanks = 1ULL << ' ' | 1ULL << '\t' | 1ULL << '\n' | 1ULL << '\r';
	while (s->p < s->end && (unsigned char)*s->p <= ' ' && (blanks >> (unsigned char)*s->p & 1))
		s->p++;
}

/* The 4 hex digits at p, or -1. */
static int hex4(const char *p)
{
	int v = 0;
	for (int i = 0; i < 4; i++) {
		int h = pct_hex(p[i]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/* Length of the valid UTF-8 sequence at p (multi-byte), or 0. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned char c = p[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;	/* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/* s->p at '"': skips the string; the raw contents are [*b, *e). */
static int skip_string(struct sc *s, const char **b, const char **e)
{
	s->p++;
	const char *start = s->p;
	while (s->p < s->end) {
		if (s->end - s->p >= 8) {
			uint64_t m = bytes_json_special8(bytes_load8(s->p));	/* DEL too: then bytewise */
			if (m == 0) {
				s->p += 8;
				continue;
			}
			s->p += __builtin_ctzll(m) >> 3;
		}
		unsigned char c = (unsigned char)*s->p;
		if (c == '"') {
			if (b) {
				*b = start;
				*e = s->p;
			}
			s->p++;
			return 0;
		}
		if (c < 0x20)
			return -EINVAL;
		if (c >= 0x80) {
			size_t n = utf8_len((const unsigned char *)s->p, (const unsigned char *)s->end);
			if (n == 0)
				return -EINVAL;
			s->p += n;
			continue;
		}
		if (c == '\\') {
			if (s->end - s->p < 2)
				return -EINVAL;
			char x = s->p[1];
			if (x == 'u') {
				int v = s->end - s->p >= 6 ? hex4(s->p + 2) : -1;
				if (v < 0)
					return -EINVAL;
				s->p += 6;
				if (v >= 0xdc00 && v < 0xe000)
					return -EINVAL;	/* a low surrogate alone */
				if (v >= 0xd800 && v < 0xdc00) {	/* must pair with a low one */
					int lo = s->end - s->p >= 6 && s->p[0] == '\\' && s->p[1] == 'u' ? hex4(s->p + 2) : -1;
					if (lo < 0xdc00 || lo >= 0xe000)
						return -EINVAL;
					s->p += 6;
				}
				continue;
			}
			if (!strchr("\"\\/bfnrt", x) || x == '\0')
				return -EINVAL;
			s->p += 2;
			continue;
		}
		s->p++;
	}
	return -EINVAL;
}

/* Do the raw string bytes [b, e) spell key (no escapes in keys we look for)? */
static bool key_is(const char *b, const char *e, const char *key)
{
	size_t n = strlen(key);
	return (size_t)(e - b) == n && memcmp(b, key, n) == 0;
}

static bool digit(const struct sc *s)
{
	return s->p < s->end && *s->p >= '0' && *s->p <= '9';
}

static int skip_number(struct sc *s)
{
	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (!digit(s))
		return -EINVAL;
	if (*s->p == '0')
		s->p++;
	else
		while (digit(s))
			s->p++;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (!digit(s))
			return -EINVAL;
		while (digit(s))
			s->p++;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (!digit(s))
			return -EINVAL;
		while (digit(s))
			s->p++;
	}
	return 0;
}

static int skip_value(struct sc *s);

static int literal(struct sc *s, const char *lit)
{
	size_t n = strlen(lit);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
		return -EINVAL;
	s->p += n;
	return 0;
}

/* The members a caller looks for in one object: out[i].p stays NULL for
 * a key that is not there. */
struct want {
	const char *const *keys;
	size_t n;
	struct jspan *out;
};

/* s->p at '{': skips the object; with w, also finds the wanted members'
 * values (a wanted key given twice is -EINVAL). */
static int skip_object(struct sc *s, const struct want *w)
{
	if (++s->depth > MAX_DEPTH)
		return -EINVAL;
	s->p++;
	ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		s->depth--;
		return 0;
	}
	for (;;) {
		const char *kb, *ke;
		if (s->p >= s->end || *s->p != '"' || skip_string(s, &kb, &ke))
			return -EINVAL;
		ws(s);
		if (s->p >= s->end || *s->p != ':')
			return -EINVAL;
		s->p++;
		ws(s);
		const char *vb = s->p;
		if (skip_value(s))
			return -EINVAL;
		for (size_t i = 0; w && i < w->n; i++) {
			if (!key_is(kb, ke, w->keys[i]))
				continue;
			if (w->out[i].p != NULL)
				return -EINVAL;	/* twice: which one would the client read? */
			w->out[i].p = vb;
			w->out[i].n = (size_t)(s->p - vb);
			break;
		}
		ws(s);
		if (s->p >= s->end)
			return -EINVAL;
		if (*s->p == ',') {
			s->p++;
			ws(s);
			continue;
		}
		if (*s->p != '}')
			return -EINVAL;
		s->p++;
		s->depth--;
		return 0;
	}
}

/* s->p at '['. */
static int skip_array(struct sc *s)
{
	if (++s->depth > MAX_DEPTH)
		return -EINVAL;
	s->p++;
	ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		s->depth--;
		return 0;
	}
	for (;;) {
		if (skip_value(s))
			return -EINVAL;
		ws(s);
		if (s->p >= s->end)
			return -EINVAL;
		if (*s->p == ',') {
			s->p++;
			ws(s);
			continue;
		}
		if (*s->p != ']')
			return -EINVAL;
		s->p++;
		s->depth--;
		return 0;
	}
}

static int skip_value(struct sc *s)
{
	if (s->p >= s->end)
		return -EINVAL;
	switch (*s->p) {
	case '"':
		return skip_string(s, NULL, NULL);
	case '{':
		return skip_object(s, NULL);
	case '[':
		return skip_array(s);
	case 't':
		return literal(s, "true");
	case 'f':
		return literal(s, "false");
	case 'n':
		return literal(s, "null");
	default:
		return skip_number(s);
	}
}

/* Finds the wanted members of the object at s->p, validating the whole
 * object. */
static int find_members(struct sc *s, const struct want *w)
{
	for (size_t i = 0; i < w->n; i++)
		w->out[i] = (struct jspan){ NULL, 0 };
	ws(s);
	if (s->p >= s->end || *s->p != '{')
		return -EINVAL;
	s->depth = 0;
	return skip_object(s, w) ? -EINVAL : 0;
}

int json_scan_members(const char *doc, size_t len, size_t n, const char *const *keys, struct jspan *out)
{
	struct sc s = { doc, doc + len, 0 };
	struct want w = { keys, n, out };
	if (find_members(&s, &w))
		return -EINVAL;
	ws(&s);
	return s.p == s.end ? 0 : -EINVAL;
}

int json_scan_member(const char *doc, size_t len, const char *key, struct jspan *out)
{
	int rc = json_scan_members(doc, len, 1, &key, out);
	return rc ? rc : out->p ? 0 : -ENOENT;
}

int json_scan_next(struct jspan arr, size_t *pos, struct jspan *elem)
{
	struct sc s = { arr.p + *pos, arr.p + arr.n, 1 };
	if (*pos == 0) {
		if (arr.n == 0 || arr.p[0] != '[')
			return -EINVAL;
		s.p++;
	}
	ws(&s);
	if (s.p >= s.end)
		return -EINVAL;
	if (*s.p == ']')
		return 0;
	if (*s.p == ',' && *pos != 0) {
		s.p++;
		ws(&s);
	}
	const char *b = s.p;
	if (skip_value(&s))
		return -EINVAL;
	elem->p = b;
	elem->n = (size_t)(s.p - b);
	*pos = (size_t)(s.p - arr.p);
	return 1;
}

static void put_utf8(char *out, size_t *o, unsigned cp)
{
	if (cp < 0x80)
		out[(*o)++] = (char)cp;
	else if (cp < 0x800) {
		out[(*o)++] = (char)(0xc0 | (cp >> 6));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		out[(*o)++] = (char)(0xe0 | (cp >> 12));
		out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		out[(*o)++] = (char)(0xf0 | (cp >> 18));
		out[(*o)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	}
}

/* Decodes the (validated) raw string [b, e) into out. */
static int decode(const char *b, const char *e, char *out, size_t cap)
{
	size_t o = 0;
	while (b < e) {
		if (o + 5 > cap)
			return -EINVAL;
		if (*b != '\\') {
			out[o++] = *b++;
			continue;
		}
		char x = b[1];
		b += 2;
		switch (x) {
		case 'b': out[o++] = '\b'; break;
		case 'f': out[o++] = '\f'; break;
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 't': out[o++] = '\t'; break;
		case 'u': {
			unsigned cp = (unsigned)hex4(b);
			b += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && e - b >= 6 && b[0] == '\\' && b[1] == 'u') {
				unsigned lo = (unsigned)hex4(b + 2);
				if (lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					b += 6;
				}
			}
			if (cp == 0)
				return -EINVAL;
			if (cp >= 0xd800 && cp < 0xe000)
				cp = 0xfffd;	/* a lone surrogate */
			put_utf8(out, &o, cp);
			break;
		}
		default: out[o++] = x; break;
		}
	}
	out[o] = '\0';
	return 0;
}

/* The member's value span in the (valid) object obj. */
static int member_of(struct jspan obj, const char *key, struct jspan *v)
{
	struct sc s = { obj.p, obj.p + obj.n, 0 };
	struct want w = { &key, 1, v };
	if (find_members(&s, &w))
		return -EINVAL;
	return v->p ? 0 : -ENOENT;
}

int json_scan_string(struct jspan obj, const char *key, char *out, size_t cap)
{
	struct jspan v;
	int rc = member_of(obj, key, &v);
	return rc ? rc : json_span_string(v, out, cap);
}

int json_span_string(struct jspan v, char *out, size_t cap)
{
	if (v.p == NULL)
		return -ENOENT;
	if (v.n >= 2 && v.p[0] == '"')
		return decode(v.p + 1, v.p + v.n - 1, out, cap);
	if (v.n > 0 && (v.p[0] == '-' || (v.p[0] >= '0' && v.p[0] <= '9'))) {
		if (v.n >= cap)
			return -EINVAL;
		memcpy(out, v.p, v.n);
		out[v.n] = '\0';
		return 0;
	}
	return -ENOENT;
}

int json_scan_object(struct jspan obj, const char *key, struct jspan *out)
{
	int rc = member_of(obj, key, out);
	if (rc)
		return rc;
	return out->n > 0 && out->p[0] == '{' ? 0 : -ENOENT;
}
