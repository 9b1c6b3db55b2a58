/* Artifact-path canonicalisation. A once-decoded "%2531%2532/..." or a
 * "file:12/..." must not name a different experiment for mlgate than for
 * MLflow, so decoding repeats until nothing changes and every form MLflow
 * refuses is refused here first. */
#include "authz/artifact_path.h"
#include "core/pct.h"
#include <errno.h>
#include <string.h>

int artifact_path_canonical(const char *raw, size_t len, char out[ARTIFACT_PATH_MAX], const char **why)
{
	if (len == 0 || len >= ARTIFACT_PATH_MAX) {
		*why = "empty or over-long artifact path";
		return -EINVAL;
	}
	if (memchr(raw, '\0', len)) {
		*why = "NUL in artifact path";
		return -EINVAL;
	}
	memcpy(out, raw, len);
	out[len] = '\0';
	if (pct_decode_stable(out, 8)) {
		*why = "artifact path encoded too many times, or with %00";
		return -EINVAL;
	}
	for (const char *p = out; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			*why = "control character in artifact path";
			return -EINVAL;
		}
	}
	if (strchr(out, '#') || strchr(out, '\\')) {
		*why = "'#' or '\\' in artifact path";
		return -EINVAL;
	}
	if (strncmp(out, "file:", 5) == 0) {
		/* MLflow turns a file: URI into a local path; such a path is refused
		 * below if absolute, and otherwise read without the scheme. */
		size_t skip = strncmp(out, "file://", 7) == 0 ? 7 : 5;
		memmove(out, out + skip, strlen(out + skip) + 1);
	}
	if (out[0] == '/' || (out[0] && out[1] == ':')) {
		*why = "absolute artifact path";
		return -EINVAL;
	}
	for (const char *seg = out; seg;) {
		const char *slash = strchr(seg, '/');
		size_t n = slash ? (size_t)(slash - seg) : strlen(seg);
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			*why = "'..' in artifact path";
			return -EINVAL;
		}
		seg = slash ? slash + 1 : NULL;
	}
	if (out[0] == '\0') {
		*why = "empty artifact path";
		return -EINVAL;
	}
	return 0;
}

int artifact_path_experiment(const char *canonical, char out[32])
{
	const char *p = canonical;
	if (strncmp(p, "workspaces/", 11) == 0) {
		const char *slash = strchr(p + 11, '/');
		if (slash == NULL || slash == p + 11)
			return -ENOENT;
		p = slash + 1;
	}
	size_t n = 0;
	while (p[n] >= '0' && p[n] <= '9')
		n++;
	if (n == 0 || n >= 32 || (p[n] != '/' && p[n] != '\0'))
		return -ENOENT;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}
