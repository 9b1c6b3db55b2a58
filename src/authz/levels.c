/* Level names as MLflow spells them. */
#include "authz/levels.h"
#include <errno.h>
#include <strings.h>

static const char *const names[] = { "NO_PERMISSIONS", "READ", "EDIT", "MANAGE" };

int level_parse(const char *s, enum perm_level *out)
{
	for (int i = 0; i < 4; i++) {
		if (strcasecmp(s, names[i]) == 0) {
			*out = (enum perm_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *level_name(enum perm_level l)
{
	return (unsigned)l < 4 ? names[l] : "NO_PERMISSIONS";
}
