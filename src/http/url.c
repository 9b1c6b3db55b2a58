/* Request-target routing. Everything that decides "no login needed" works on
 * canonical paths only: a path that would need decoding or dot-segment
 * removal is never public, so no spelling of a private path can pass as a
 * public one. */
#include "http/url.h"
#include "http/h1_parse.h"
#include <string.h>

static bool starts(const char *p, size_t n, const char *lit)
{
	size_t l = strlen(lit);
	return n >= l && memcmp(p, lit, l) == 0;
}

void url_route(const char *target, size_t len, const char *mount, struct url_route *r)
{
	const char *q = memchr(target, '?', len);
	size_t plen = q ? (size_t)(q - target) : len;
	r->kind = URL_PROXY;
	r->query = q ? q : "";
	r->query_len = q ? len - plen : 0;
	if (plen == 9 && memcmp(target, "/-/health", 9) == 0) {
		r->kind = URL_HEALTH;
		r->path = target;
		r->path_len = plen;
		r->upstream_target = target;
		r->upstream_target_len = len;
		return;
	}
	size_t ml = strlen(mount);
	if (ml == 0) {
		r->path = target;
		r->path_len = plen;
		r->upstream_target = target;
		r->upstream_target_len = len;
		return;
	}
	if (plen == ml && memcmp(target, mount, ml) == 0) {
		r->kind = URL_MOUNT_REDIRECT;
		r->path = target;
		r->path_len = plen;
		r->upstream_target = target;
		r->upstream_target_len = len;
		return;
	}
	if (plen > ml && memcmp(target, mount, ml) == 0 && target[ml] == '/') {
		r->path = target + ml;
		r->path_len = plen - ml;
		r->upstream_target = target + ml;
		r->upstream_target_len = len - ml;
		return;
	}
	r->kind = URL_OUTSIDE_MOUNT;
	r->path = target;
	r->path_len = plen;
	r->upstream_target = target;
	r->upstream_target_len = len;
}

static bool is_canonical(const char *p)
{
	if (p[0] != '/' || strpbrk(p, "%\\;") != NULL || strstr(p, "//") != NULL)
		return false;
	for (const char *s = p; (s = strstr(s, "/.")) != NULL; s++) {
		if (s[2] == '\0' || s[2] == '/')
			return false;
		if (s[2] == '.' && (s[3] == '\0' || s[3] == '/'))
			return false;
	}
	return true;
}

bool url_is_public(const char *path, const struct strlist *public_paths)
{
	if (!is_canonical(path))
		return false;
	size_t n = strlen(path);
	for (size_t i = 0; i < public_paths->n; i++) {
		const char *e = public_paths->items[i];
		size_t el = strlen(e);
		if (el > 0 && e[el - 1] == '/') {
			if (n >= el && memcmp(path, e, el) == 0)
				return true;
		} else if (n == el && memcmp(path, e, el) == 0) {
			return true;
		}
	}
	return false;
}

bool url_is_artifact(const char *path)
{
	size_t n = strlen(path);
	return starts(path, n, "/api/2.0/mlflow-artifacts/") || starts(path, n, "/ajax-api/2.0/mlflow-artifacts/");
}

bool url_wants_json(const char *path)
{
	size_t n = strlen(path);
	return starts(path, n, "/api/") || starts(path, n, "/ajax-api/") || starts(path, n, "/graphql");
}

bool url_accepts_html(const struct h1_header *accept)
{
	if (accept == NULL)
		return false;
	return memmem(accept->value, accept->value_len, "text/html", 9) != NULL;
}
