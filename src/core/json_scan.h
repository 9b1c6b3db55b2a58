/* Zero-copy reading of a JSON document's structure: where a member's value
 * is, the elements of an array, a string member of an object -- for
 * filtering large MLflow answers (search pages) by copying the byte ranges
 * of the items kept, without building a tree (jansson's DOM costs an
 * allocation per value, and search filtering is on a hot path). Strict
 * RFC 8259 syntax, bounded nesting; pure; fuzzed. Everything else JSON in
 * mlgate uses jansson. */
#ifndef MG_JSON_SCAN_H
#define MG_JSON_SCAN_H
#include <stddef.h>

struct jspan {
	const char *p;
	size_t n;
};

/* Checks that doc[0..len) is one JSON object (surrounding whitespace
 * allowed) and finds the value of its member `key`: 0 and *out, -ENOENT
 * (valid, no such member), -EINVAL (not a valid JSON object, or a key twice). */
int json_scan_member(const char *doc, size_t len, const char *key, struct jspan *out);

/* json_scan_member for n keys in one pass: out[i] is the value of keys[i],
 * or {NULL, 0} when absent. 0 or -EINVAL (not a valid JSON object, or a
 * wanted key twice). */
int json_scan_members(const char *doc, size_t len, size_t n, const char *const *keys, struct jspan *out);

/* Walks the elements of the array span arr (as found above, so valid):
 * *pos starts at 0. Returns 1 with *elem, 0 after the last, -EINVAL. */
int json_scan_next(struct jspan arr, size_t *pos, struct jspan *elem);

/* The string (or number, as text) value of member key of the object span
 * obj, decoded into out (NUL-terminated): 0, -ENOENT (absent, or another
 * type), -EINVAL (too long for cap, or a NUL escape). */
int json_scan_string(struct jspan obj, const char *key, char *out, size_t cap);

/* json_scan_string on a value span found by json_scan_members (p == NULL:
 * -ENOENT). */
int json_span_string(struct jspan v, char *out, size_t cap);

/* The object span of member key of obj: 0, -ENOENT, -EINVAL. */
int json_scan_object(struct jspan obj, const char *key, struct jspan *out);

#endif
