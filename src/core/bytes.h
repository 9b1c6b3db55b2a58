/* Word-at-a-time byte helpers for hot loops over short keys (the access-log
 * report): unaligned loads through memcpy (one instruction on the targets
 * we build for) and comparisons without a call to memcmp. */
#ifndef MG_BYTES_H
#define MG_BYTES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t bytes_load8(const char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static inline uint32_t bytes_load4(const char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* memcmp(a, b, n) == 0, reading only a[0..n) and b[0..n). */
static inline bool bytes_equal(const char *a, const char *b, size_t n)
{
	if (n >= 8) {
		for (size_t i = 0; i + 8 < n; i += 8)
			if (bytes_load8(a + i) != bytes_load8(b + i))
				return false;
		return bytes_load8(a + n - 8) == bytes_load8(b + n - 8);
	}
	if (n >= 4)
		return bytes_load4(a) == bytes_load4(b) && bytes_load4(a + n - 4) == bytes_load4(b + n - 4);
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

#endif
