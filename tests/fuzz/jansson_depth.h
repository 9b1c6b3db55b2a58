/* For the differential fuzz targets: how deeply a jansson tree nests (the
 * in-place scanner bounds nesting at 64; jansson at 2048). */
#ifndef MG_FUZZ_JANSSON_DEPTH_H
#define MG_FUZZ_JANSSON_DEPTH_H
#include <jansson.h>
#include <stddef.h>

static inline size_t jansson_depth(json_t *v)
{
	size_t d = 0, i;
	const char *k;
	json_t *x;
	if (json_is_object(v)) {
		json_object_foreach(v, k, x) {
			size_t e = jansson_depth(x);
			d = e > d ? e : d;
		}
		return d + 1;
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			size_t e = jansson_depth(x);
			d = e > d ? e : d;
		}
		return d + 1;
	}
	return 0;
}

#endif
