/* Bearer token parsing: scheme case-insensitive, token68 characters only. */
#include "authn/bearer.h"
#include <errno.h>
#include <string.h>
#include <strings.h>

int bearer_parse(const char *value, size_t len, char out[BEARER_MAX])
{
	if (len < 7 || strncasecmp(value, "bearer ", 7) != 0)
		return -ENOENT;
	const char *t = value + 7;
	size_t n = len - 7;
	while (n && *t == ' ') {
		t++;
		n--;
	}
	if (n == 0 || n >= BEARER_MAX)
		return -EINVAL;
	size_t i = 0;
	/* token68; note strchr would also "find" a NUL byte, hence the t[i] test */
	while (i < n && t[i] != '\0' &&
	       (((t[i] | 0x20) >= 'a' && (t[i] | 0x20) <= 'z') || (t[i] >= '0' && t[i] <= '9') ||
		strchr("-._~+/", t[i]) != NULL))
		i++;
	while (i < n && t[i] == '=')
		i++;
	if (i != n || t[0] == '=')
		return -EINVAL;
	memcpy(out, t, n);
	out[n] = '\0';
	return 0;
}
