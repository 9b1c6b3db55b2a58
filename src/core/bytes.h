/* Word-at-a-time byte helpers for hot loops over short keys and strings (the
 * access-log report, JSON scanning and audit records): unaligned loads
 * through memcpy (one instruction on the targets we build for), comparisons
 * without a call to memcmp, and a plain-JSON-string test of eight bytes. */
#ifndef MG_BYTES_H
#define MG_BYTES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* For the small helpers of a per-line hot loop: -O2 leaves a static helper
 * with several callers out of line, and in `mlgate report` the calls'
 * prologues, epilogues and spills came to about a sixth of the time. */
#define HOT_INLINE static inline __attribute__((always_inline))

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

/* The bytes of w (eight string bytes, the first in the low byte on the
 * little-endian targets we build for) that end a plain JSON string run: '"',
 * '\\', a control character, DEL or a non-ASCII byte. The lowest flag is
 * exact (a borrow only flags bytes above a real match), so
 * __builtin_ctzll(m) >> 3 is the first such byte; 0 when all eight are plain. */
static inline uint64_t bytes_json_special8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\'), d = w ^ (ones * 0x7f);
	return (((q - ones) & ~q) | ((b - ones) & ~b) | ((d - ones) & ~d) | ((w - ones * 0x20) & ~w) | w) & high;
}

/* memcmp(a, b, n) == 0, reading only a[0..n) and b[0..n). */
static inline bool bytes_equal(const char *a, const char *b, size_t n)
{
#ifdef __SSE2__
	if (n >= 16) {	/* paths: sixteen bytes a step, the last step overlapping */
		for (size_t i = 0; i + 16 < n; i += 16)
			if (_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(a + i)),
							     _mm_loadu_si128((const __m128i *)(const void *)(b + i)))) != 0xffff)
				return false;
		return _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(a + n - 16)),
							_mm_loadu_si128((const __m128i *)(const void *)(b + n - 16)))) == 0xffff;
	}
#endif
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
