/* Grants and groups. Principals and resources are names, so a grant can be
 * made to an htpasswd-only user and survives re-creating an account. */
#include "authz/grants.h"
#include "core/mem.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void now_str(char out[24])
{
	snprintf(out, 24, "%lld", (long long)time(NULL));
}

/* A change that running gateways must see within a second bumps the
 * "grants" counter they poll. */
static int bump(struct store *s, int rc, char **err)
{
	return rc == 0 ? store_generation_bump(s, "grants", err) : rc;
}

int groups_add(struct store *s, const char *name, char **err)
{
	char now[24];
	now_str(now);
	const char *p[] = { name, now };
	return store_exec(s, "INSERT INTO groups (name, created_at) VALUES ($1, $2)", 2, p, NULL, err);
}

int groups_delete(struct store *s, const char *name, char **err)
{
	int rc = store_begin(s, err);
	if (rc == 0)
		rc = store_exec(s, "DELETE FROM grants WHERE principal_kind = 'group' AND principal = $1", 1, &name, NULL, err);
	if (rc == 0)
		rc = store_exec(s, "DELETE FROM group_members WHERE group_name = $1", 1, &name, NULL, err);
	if (rc == 0)
		rc = store_exec(s, "DELETE FROM groups WHERE name = $1", 1, &name, NULL, err);
	if (rc == 0 && store_changes(s) == 0)
		rc = -ENOENT;
	if (rc == 0)
		return bump(s, store_commit(s, err), err);
	store_rollback(s);
	return rc;
}

int groups_list(struct store *s, struct store_rows *rows, char **err)
{
	return store_exec(s, "SELECT g.name, m.username FROM groups g LEFT JOIN group_members m "
			  "ON m.group_name = g.name ORDER BY g.name, m.username", 0, NULL, rows, err);
}

static int group_exists(struct store *s, const char *group, char **err)
{
	struct store_rows r;
	int rc = store_exec(s, "SELECT 1 FROM groups WHERE name = $1", 1, &group, &r, err);
	if (rc)
		return rc;
	rc = r.nrows ? 0 : -ENOENT;
	store_rows_free(&r);
	return rc;
}

int groups_member_add(struct store *s, const char *group, const char *user, char **err)
{
	int rc = group_exists(s, group, err);
	if (rc)
		return rc;
	const char *p[] = { group, user };
	return bump(s, store_exec(s, "INSERT INTO group_members (group_name, username) VALUES ($1, $2)", 2, p, NULL, err),
		    err);
}

int groups_member_del(struct store *s, const char *group, const char *user, char **err)
{
	const char *p[] = { group, user };
	int rc = store_exec(s, "DELETE FROM group_members WHERE group_name = $1 AND username = $2", 2, p, NULL, err);
	return bump(s, rc == 0 && store_changes(s) == 0 ? -ENOENT : rc, err);
}

int groups_of(struct store *s, const char *user, struct store_rows *rows, char **err)
{
	return store_exec(s, "SELECT group_name FROM group_members WHERE username = $1 ORDER BY group_name", 1, &user,
			  rows, err);
}

static const char *pk_name(enum principal_kind pk)
{
	return pk == PRINCIPAL_GROUP ? "group" : "user";
}

int grants_set(struct store *s, enum principal_kind pk, const char *principal, enum resource_kind rk,
	       const char *resource, enum perm_level level, char **err)
{
	if (pk == PRINCIPAL_GROUP) {
		int rc = group_exists(s, principal, err);
		if (rc)
			return rc;
	}
	char now[24];
	now_str(now);
	const char *p[] = { pk_name(pk), principal, policy_resource_kind_name(rk), resource, level_name(level), now };
	return bump(s, store_exec(s, "INSERT INTO grants (principal_kind, principal, resource_kind, resource, level, "
				  "created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (principal_kind, principal, "
				  "resource_kind, resource) DO UPDATE SET level = excluded.level", 6, p, NULL, err), err);
}

int grants_revoke(struct store *s, enum principal_kind pk, const char *principal, enum resource_kind rk,
		  const char *resource, char **err)
{
	const char *p[] = { pk_name(pk), principal, policy_resource_kind_name(rk), resource };
	int rc = store_exec(s, "DELETE FROM grants WHERE principal_kind = $1 AND principal = $2 AND resource_kind = $3 "
			    "AND resource = $4", 4, p, NULL, err);
	return bump(s, rc == 0 && store_changes(s) == 0 ? -ENOENT : rc, err);
}

int grants_get(struct store *s, enum principal_kind pk, const char *principal, enum resource_kind rk,
	       const char *resource, enum perm_level *out, char **err)
{
	const char *p[] = { pk_name(pk), principal, policy_resource_kind_name(rk), resource };
	struct store_rows r;
	int rc = store_exec(s, "SELECT level FROM grants WHERE principal_kind = $1 AND principal = $2 AND "
			    "resource_kind = $3 AND resource = $4", 4, p, &r, err);
	if (rc)
		return rc;
	rc = r.nrows == 1 && level_parse(store_value(&r, 0, 0), out) == 0 ? 0 : -ENOENT;
	store_rows_free(&r);
	return rc;
}

int grants_rename_resource(struct store *s, enum resource_kind rk, const char *from, const char *to, char **err)
{
	const char *p[] = { policy_resource_kind_name(rk), from, to };
	int rc = store_begin(s, err);
	if (rc == 0)
		rc = store_exec(s, "UPDATE grants SET resource = $3 WHERE resource_kind = $1 AND resource = $2 AND NOT EXISTS "
				"(SELECT 1 FROM grants g2 WHERE g2.principal_kind = grants.principal_kind AND "
				"g2.principal = grants.principal AND g2.resource_kind = $1 AND g2.resource = $3)",
				3, p, NULL, err);
	if (rc == 0)
		rc = store_exec(s, "DELETE FROM grants WHERE resource_kind = $1 AND resource = $2", 2, p, NULL, err);
	if (rc == 0)
		return bump(s, store_commit(s, err), err);
	store_rollback(s);
	return rc;
}

int grants_delete_resource(struct store *s, enum resource_kind rk, const char *resource, char **err)
{
	const char *p[] = { policy_resource_kind_name(rk), resource };
	return bump(s, store_exec(s, "DELETE FROM grants WHERE resource_kind = $1 AND resource = $2", 2, p, NULL, err),
		    err);
}

int grants_list(struct store *s, struct store_rows *rows, char **err)
{
	return store_exec(s, "SELECT principal_kind, principal, resource_kind, resource, level FROM grants "
			  "ORDER BY principal_kind DESC, principal, resource_kind, resource", 0, NULL, rows, err);
}

int grants_for_user(struct store *s, const char *user, struct grant_set *out, char **err)
{
	memset(out, 0, sizeof *out);
	int rc = groups_of(s, user, &out->rows_m, err);
	if (rc)
		return rc;
	rc = store_exec(s, "SELECT principal_kind, principal, resource_kind, resource, level FROM grants "
			"WHERE (principal_kind = 'user' AND principal = $1) OR (principal_kind = 'group' AND principal IN "
			"(SELECT group_name FROM group_members WHERE username = $1))", 1, &user, &out->rows_g, err);
	if (rc) {
		store_rows_free(&out->rows_m);
		return rc;
	}
	out->ngroups = out->rows_m.nrows;
	out->groups = mem_calloc(out->ngroups + 1, sizeof *out->groups);
	for (size_t i = 0; i < out->ngroups; i++)
		out->groups[i] = out->rows_m.v[i];
	out->grants = mem_calloc(out->rows_g.nrows + 1, sizeof *out->grants);
	for (size_t i = 0; i < out->rows_g.nrows; i++) {
		struct grant *g = &out->grants[out->n];
		enum resource_kind rk;
		enum perm_level lv;
		if (policy_parse_resource_kind(store_value(&out->rows_g, i, 2), &rk) ||
		    level_parse(store_value(&out->rows_g, i, 4), &lv))
			continue;	/* the schema's CHECKs make this unreachable; skip rather than trust */
		g->principal_kind = strcmp(store_value(&out->rows_g, i, 0), "group") == 0 ? PRINCIPAL_GROUP : PRINCIPAL_USER;
		g->principal = store_value(&out->rows_g, i, 1);
		g->resource_kind = rk;
		g->resource = store_value(&out->rows_g, i, 3);
		g->level = lv;
		out->n++;
	}
	return 0;
}

void grants_set_free(struct grant_set *gs)
{
	free(gs->grants);
	free(gs->groups);
	store_rows_free(&gs->rows_g);
	store_rows_free(&gs->rows_m);
	memset(gs, 0, sizeof *gs);
}
