/* Effective-permission resolution. Pattern grants are fnmatch(3) globs such
 * as "team-a/" followed by a star; a pattern never matches an id, only a name. */
#include "authz/policy.h"
#include <errno.h>
#include <fnmatch.h>
#include <string.h>

static bool in_groups(const char *g, const char *const *groups, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(groups[i], g) == 0)
			return true;
	return false;
}

static bool concerns_user(const struct grant *gr, const char *user, const char *const *groups, size_t ngroups)
{
	if (gr->principal_kind == PRINCIPAL_USER)
		return strcmp(gr->principal, user) == 0;
	return in_groups(gr->principal, groups, ngroups);
}

void policy_decide(const char *user, bool is_admin, const char *const *groups, size_t ngroups,
		   enum resource_kind kind, const char *id, const char *name, const struct grant *grants,
		   size_t ngrants, enum perm_level def, struct decision *out)
{
	if (is_admin) {
		*out = (struct decision){ LEVEL_MANAGE, SOURCE_ADMIN, NULL };
		return;
	}
	const char *key = kind == RESOURCE_MODEL ? name : id;
	/* 1. the user's own grant on this resource */
	for (size_t i = 0; i < ngrants; i++) {
		const struct grant *g = &grants[i];
		if (g->principal_kind == PRINCIPAL_USER && g->resource_kind == kind && key &&
		    strcmp(g->principal, user) == 0 && strcmp(g->resource, key) == 0) {
			*out = (struct decision){ g->level, SOURCE_DIRECT, NULL };
			return;
		}
	}
	/* 2. the highest of group grants and matching patterns */
	bool found = false;
	struct decision best = { LEVEL_NO_PERMISSIONS, SOURCE_DEFAULT, NULL };
	for (size_t i = 0; i < ngrants; i++) {
		const struct grant *g = &grants[i];
		if (!concerns_user(g, user, groups, ngroups))
			continue;
		enum decision_source src;
		if (g->resource_kind == kind && g->principal_kind == PRINCIPAL_GROUP && key &&
		    strcmp(g->resource, key) == 0)
			src = SOURCE_GROUP;
		else if (g->resource_kind == RESOURCE_PATTERN && name && fnmatch(g->resource, name, 0) == 0)
			src = SOURCE_PATTERN;
		else
			continue;
		if (!found || g->level > best.level) {
			best = (struct decision){ g->level, src, src == SOURCE_GROUP ? g->principal : g->resource };
			found = true;
		}
	}
	if (found) {
		*out = best;
		return;
	}
	*out = (struct decision){ def, SOURCE_DEFAULT, NULL };
}

const char *policy_source_name(enum decision_source s)
{
	static const char *const n[] = { "admin", "direct", "group", "pattern", "default" };
	return (unsigned)s < 5 ? n[s] : "default";
}

int policy_parse_resource_kind(const char *s, enum resource_kind *out)
{
	static const char *const n[] = { "experiment", "model", "pattern" };
	for (int i = 0; i < 3; i++) {
		if (strcmp(s, n[i]) == 0) {
			*out = (enum resource_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *policy_resource_kind_name(enum resource_kind k)
{
	static const char *const n[] = { "experiment", "model", "pattern" };
	return (unsigned)k < 3 ? n[k] : "experiment";
}
