/* URI checks for create calls. */
#include "authz/uri_check.h"
#include "authz/artifact_path.h"
#include "core/pct.h"
#include <errno.h>
#include <string.h>
#include <strings.h>

static int scheme_allowed(const char *scheme, size_t n, const char *schemes)
{
	const char *p = schemes;
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t l = comma ? (size_t)(comma - p) : strlen(p);
		if (l == n && strncasecmp(p, scheme, n) == 0)
			return 1;
		p += l + (comma ? 1 : 0);
	}
	return 0;
}

int uri_check(const char *uri, size_t len, const char *schemes, const char **why)
{
	char buf[ARTIFACT_PATH_MAX];
	if (len == 0 || len >= sizeof buf || memchr(uri, '\0', len)) {
		*why = "empty or over-long URI";
		return -EINVAL;
	}
	memcpy(buf, uri, len);
	buf[len] = '\0';
	if (pct_decode_stable(buf, 8)) {
		*why = "URI encoded too many times, or with %00";
		return -EINVAL;
	}
	for (const char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\') {
			*why = "control character or backslash in URI";
			return -EINVAL;
		}
	if (strchr(buf, '#')) {
		*why = "'#' in URI";
		return -EINVAL;
	}
	const char *colon = strchr(buf, ':');
	size_t sn = colon ? (size_t)(colon - buf) : 0;
	for (size_t i = 0; i < sn; i++) {
		char c = buf[i];
		if (!((c | 0x20) >= 'a' && (c | 0x20) <= 'z') && !(i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))) {
			sn = 0;
			break;
		}
	}
	if (sn < 2) {	/* no scheme (or a Windows drive letter): a local path */
		*why = "local paths are not accepted; use an allowed scheme";
		return -EINVAL;
	}
	if (!scheme_allowed(buf, sn, schemes)) {
		*why = "URI scheme not in the allowed list";
		return -EINVAL;
	}
	for (const char *seg = colon + 1; seg;) {
		while (*seg == '/')
			seg++;
		const char *slash = strchr(seg, '/');
		size_t n = slash ? (size_t)(slash - seg) : strlen(seg);
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			*why = "'..' in URI";
			return -EINVAL;
		}
		seg = slash ? slash + 1 : NULL;
	}
	return 0;
}
