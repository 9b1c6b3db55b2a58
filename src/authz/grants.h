/* Groups, memberships and grants in the identity store. */
#ifndef MG_GRANTS_H
#define MG_GRANTS_H
#include <stddef.h>
#include "authz/policy.h"
#include "store/store.h"

int groups_add(struct store *s, const char *name, char **err);
/* Deletes the group with its memberships and its grants. */
int groups_delete(struct store *s, const char *name, char **err);
/* Rows: group name, member (NULL for an empty group); by name, member. */
int groups_list(struct store *s, struct store_rows *rows, char **err);
int groups_member_add(struct store *s, const char *group, const char *user, char **err);
int groups_member_del(struct store *s, const char *group, const char *user, char **err);
/* Rows: group name, for user. */
int groups_of(struct store *s, const char *user, struct store_rows *rows, char **err);

/* Sets (insert or update) a grant. A group principal must exist. */
int grants_set(struct store *s, enum principal_kind pk, const char *principal, enum resource_kind rk,
	       const char *resource, enum perm_level level, char **err);
int grants_revoke(struct store *s, enum principal_kind pk, const char *principal, enum resource_kind rk,
		  const char *resource, char **err);
/* The level of one grant: 0, or -ENOENT. */
int grants_get(struct store *s, enum principal_kind pk, const char *principal, enum resource_kind rk,
	       const char *resource, enum perm_level *out, char **err);
/* Moves every grant on (rk, from) to (rk, to) -- a registered model was
 * renamed; a principal's existing grant on `to` is kept. */
int grants_rename_resource(struct store *s, enum resource_kind rk, const char *from, const char *to, char **err);
/* Removes every grant on (rk, resource) -- it was deleted, and a future
 * resource of the same name must not inherit them. */
int grants_delete_resource(struct store *s, enum resource_kind rk, const char *resource, char **err);
/* Rows: principal_kind, principal, resource_kind, resource, level. */
int grants_list(struct store *s, struct store_rows *rows, char **err);

/* The grants that concern user (own and groups') as policy_decide wants
 * them; *groups_out lists the user's groups. Free with grants_set_free. */
struct grant_set {
	struct grant *grants;
	size_t n;
	char **groups;
	size_t ngroups;
	struct store_rows rows_g, rows_m;
};
int grants_for_user(struct store *s, const char *user, struct grant_set *out, char **err);
void grants_set_free(struct grant_set *gs);

#endif
