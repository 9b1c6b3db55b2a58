/* Effective-permission resolution. Pattern grants are fnmatch(3) globs such
 * as "team-a/" followed by a star; a pattern never matches an id, only a name. */
#include "authz/policy.h"
#include "core/mem.h"
#include <stdint.h>
#include <stdlib.h>
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

struct pi_slot {
	const char *res;	/* NULL: empty */
	uint8_t kind;
	bool own_set, grp_set;
	uint8_t own_level, grp_level;
	size_t grp_idx;
	const char *grp_via;
};

struct policy_index {
	size_t cap;		/* power of two */
	struct pi_slot *slots;
	const struct grant **patterns;
	size_t *pat_idx;
	size_t npat;
};

static size_t pi_hash(enum resource_kind k, const char *s)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)k;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (size_t)h;
}

static struct pi_slot *pi_find(const struct policy_index *ix, enum resource_kind k, const char *res, bool add)
{
	for (size_t h = pi_hash(k, res) & (ix->cap - 1);; h = (h + 1) & (ix->cap - 1)) {
		struct pi_slot *sl = &ix->slots[h];
		if (sl->res == NULL) {
			if (!add)
				return NULL;
			sl->res = res;
			sl->kind = (uint8_t)k;
			return sl;
		}
		if (sl->kind == k && strcmp(sl->res, res) == 0)
			return sl;
	}
}

struct policy_index *policy_index_build(const char *user, const char *const *groups, size_t ngroups,
					const struct grant *grants, size_t ngrants)
{
	struct policy_index *ix = mem_calloc(1, sizeof *ix);
	ix->cap = 16;
	while (ix->cap < 2 * ngrants + 2)
		ix->cap <<= 1;
	ix->slots = mem_calloc(ix->cap, sizeof *ix->slots);
	ix->patterns = mem_calloc(ngrants + 1, sizeof *ix->patterns);
	ix->pat_idx = mem_calloc(ngrants + 1, sizeof *ix->pat_idx);
	for (size_t i = 0; i < ngrants; i++) {
		const struct grant *g = &grants[i];
		if (g->resource_kind == RESOURCE_PATTERN) {
			if (concerns_user(g, user, groups, ngroups)) {
				ix->patterns[ix->npat] = g;
				ix->pat_idx[ix->npat++] = i;
			}
			continue;
		}
		if (g->principal_kind == PRINCIPAL_USER) {
			if (strcmp(g->principal, user) != 0)
				continue;
			struct pi_slot *sl = pi_find(ix, g->resource_kind, g->resource, true);
			if (!sl->own_set) {
				sl->own_set = true;
				sl->own_level = (uint8_t)g->level;
			}
		} else if (in_groups(g->principal, groups, ngroups)) {
			struct pi_slot *sl = pi_find(ix, g->resource_kind, g->resource, true);
			if (!sl->grp_set || g->level > sl->grp_level) {
				sl->grp_set = true;
				sl->grp_level = (uint8_t)g->level;
				sl->grp_idx = i;
				sl->grp_via = g->principal;
			}
		}
	}
	return ix;
}

void policy_index_decide(const struct policy_index *ix, bool is_admin, enum resource_kind kind, const char *id,
			 const char *name, enum perm_level def, struct decision *out)
{
	if (is_admin) {
		*out = (struct decision){ LEVEL_MANAGE, SOURCE_ADMIN, NULL };
		return;
	}
	const char *key = kind == RESOURCE_MODEL ? name : id;
	const struct pi_slot *sl = key ? pi_find(ix, kind, key, false) : NULL;
	if (sl && sl->own_set) {
		*out = (struct decision){ (enum perm_level)sl->own_level, SOURCE_DIRECT, NULL };
		return;
	}
	bool found = false;
	size_t best_idx = 0;
	struct decision best = { LEVEL_NO_PERMISSIONS, SOURCE_DEFAULT, NULL };
	if (sl && sl->grp_set) {
		best = (struct decision){ (enum perm_level)sl->grp_level, SOURCE_GROUP, sl->grp_via };
		best_idx = sl->grp_idx;
		found = true;
	}
	for (size_t i = 0; name && i < ix->npat; i++) {
		const struct grant *g = ix->patterns[i];
		if (found && (g->level < best.level || (g->level == best.level && ix->pat_idx[i] > best_idx)))
			continue;
		if (fnmatch(g->resource, name, 0) != 0)
			continue;
		best = (struct decision){ g->level, SOURCE_PATTERN, g->resource };
		best_idx = ix->pat_idx[i];
		found = true;
	}
	*out = found ? best : (struct decision){ def, SOURCE_DEFAULT, NULL };
}

bool policy_index_has_patterns(const struct policy_index *ix)
{
	return ix->npat > 0;
}

void policy_index_free(struct policy_index *ix)
{
	if (ix == NULL)
		return;
	free(ix->slots);
	free(ix->patterns);
	free(ix->pat_idx);
	free(ix);
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
