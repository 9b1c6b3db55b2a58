/* The permission model as a pure function: which level a user has on one
 * experiment or registered model, and why. No I/O: the caller passes the
 * grants that concern the user (own and groups'). */
#ifndef MG_POLICY_H
#define MG_POLICY_H
#include <stdbool.h>
#include <stddef.h>
#include "authz/levels.h"

enum principal_kind { PRINCIPAL_USER = 0, PRINCIPAL_GROUP };
enum resource_kind { RESOURCE_EXPERIMENT = 0, RESOURCE_MODEL, RESOURCE_PATTERN };

struct grant {
	enum principal_kind principal_kind;
	const char *principal;		/* user name or group name */
	enum resource_kind resource_kind;
	const char *resource;		/* experiment id, model name, or glob */
	enum perm_level level;
};

enum decision_source { SOURCE_ADMIN = 0, SOURCE_DIRECT, SOURCE_GROUP, SOURCE_PATTERN, SOURCE_DEFAULT };

struct decision {
	enum perm_level level;
	enum decision_source source;
	const char *via;	/* the group or pattern that decided, or NULL */
};

/* Effective level of user on the resource (kind + id for experiments, name
 * for models; name may also be given for an experiment so name patterns
 * apply). Rules: admins pass everything; else the user's own grant on the
 * resource if any (even if lower); else the highest of the user's groups'
 * grants on it and of every pattern grant (user's or groups') matching its
 * name; else def. Grants of other principals are ignored. */
void policy_decide(const char *user, bool is_admin, const char *const *groups, size_t ngroups,
		   enum resource_kind kind, const char *id, const char *name, const struct grant *grants,
		   size_t ngrants, enum perm_level def, struct decision *out);
/* The same decision in O(1) per resource (plus the pattern grants): an index
 * of one user's grants, built once per load of them. It keeps pointers into
 * grants (and groups), which must outlive it. Same results as policy_decide
 * (level, source and via), which the unit tests check on random grant sets. */
struct policy_index;
struct policy_index *policy_index_build(const char *user, const char *const *groups, size_t ngroups,
					const struct grant *grants, size_t ngrants);
void policy_index_decide(const struct policy_index *ix, bool is_admin, enum resource_kind kind, const char *id,
			 const char *name, enum perm_level def, struct decision *out);
bool policy_index_has_patterns(const struct policy_index *ix);
void policy_index_free(struct policy_index *ix);

const char *policy_source_name(enum decision_source s);
/* Parses "experiment"/"model"/"pattern"; 0 or -EINVAL. */
int policy_parse_resource_kind(const char *s, enum resource_kind *out);
const char *policy_resource_kind_name(enum resource_kind k);

#endif
