/* Test helper: the config's string lists are mutable (char **); tests write
 * them as literals. dupv copies n strings into one of 64 rotating slots of
 * up to 16 (freed when the slot is reused; the rest is reclaimed at exit). */
#ifndef MG_TEST_STRV_H
#define MG_TEST_STRV_H
#include <stdlib.h>
#include <string.h>

static inline char **dupv(const char *const *v, size_t n)
{
	static char *keep[64][16];
	static int used;
	char **out = keep[used++ % 64];
	for (size_t i = 0; i < n && i < 16; i++) {
		free(out[i]);
		out[i] = strdup(v[i]);
	}
	return out;
}

#endif
