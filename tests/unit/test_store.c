/* The SQLite identity store: migrations, users, groups, grants, tokens. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "authn/tokens.h"
#include "authn/users.h"
#include "authz/grants.h"
#include "store/store.h"

static struct store *open_tmp(char *path, size_t n)
{
	snprintf(path, n, "/tmp/mlgate-store-%d-%ld.db", getpid(), (long)random());
	char uri[300];
	snprintf(uri, sizeof uri, "sqlite:///%s", path);	/* sqlite:////tmp/... absolute */
	struct store *s = NULL;
	char *err = NULL;
	int rc = store_open(uri, &s, &err);
	if (rc)
		fail_msg("open: %s", err);
	return s;
}

static void test_open_and_migrate(void **state)
{
	char path[256];
	struct store *s = open_tmp(path, sizeof path);
	assert_int_equal(store_schema_version(s), 4);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	store_close(s);
	/* reopening does not re-run migrations */
	char uri[300];
	snprintf(uri, sizeof uri, "sqlite:///%s", path);
	char *err = NULL;
	assert_int_equal(store_open(uri, &s, &err), 0);
	assert_int_equal(store_schema_version(s), 4);
	store_close(s);
	unlink(path);
	assert_int_equal(store_open("mysql://x", &s, &err), -EINVAL);
	assert_non_null(strstr(err, "expected sqlite:///PATH"));
	free(err);
}

static void test_users_groups_grants(void **state)
{
	char path[256];
	struct store *s = open_tmp(path, sizeof path);
	char *err = NULL;
	assert_int_equal(users_add(s, "alice", "$2y$04$x", false, &err), 0);
	assert_int_equal(users_add(s, "alice", "$2y$04$y", false, &err), -EEXIST);
	free(err);
	err = NULL;
	assert_int_equal(users_add(s, "bad:name", "h", false, &err), -EINVAL);
	assert_int_equal(users_set_admin(s, "alice", true, false, &err), 0);
	assert_int_equal(users_set_admin(s, "nobody", true, false, &err), -ENOENT);
	assert_int_equal(users_set_admin(s, "htp-only", true, true, &err), 0);
	long long gen = 0;
	assert_int_equal(store_generation_get(s, "grants", &gen, &err), 0);
	assert_true(gen >= 2);
	struct user_rec u;
	assert_int_equal(users_get(s, "alice", &u, &err), 0);
	assert_true(u.is_admin);
	assert_string_equal(u.password_hash, "$2y$04$x");
	assert_true(u.created_at > 0);
	assert_int_equal(groups_add(s, "team-a", &err), 0);
	assert_int_equal(groups_member_add(s, "team-a", "alice", &err), 0);
	assert_int_equal(groups_member_add(s, "team-a", "htpasswd-only", &err), 0);
	assert_int_equal(groups_member_add(s, "nope", "alice", &err), -ENOENT);
	assert_int_equal(grants_set(s, PRINCIPAL_GROUP, "team-a", RESOURCE_EXPERIMENT, "1", LEVEL_EDIT, &err), 0);
	assert_int_equal(grants_set(s, PRINCIPAL_GROUP, "ghost", RESOURCE_EXPERIMENT, "1", LEVEL_EDIT, &err), -ENOENT);
	assert_int_equal(grants_set(s, PRINCIPAL_USER, "htpasswd-only", RESOURCE_MODEL, "churn", LEVEL_READ, &err), 0);
	assert_int_equal(grants_set(s, PRINCIPAL_USER, "htpasswd-only", RESOURCE_MODEL, "churn", LEVEL_MANAGE, &err), 0);
	assert_int_equal(grants_set(s, PRINCIPAL_USER, "zed", RESOURCE_PATTERN, "team-a/*", LEVEL_READ, &err), 0);
	struct grant_set gs;
	assert_int_equal(grants_for_user(s, "htpasswd-only", &gs, &err), 0);
	assert_int_equal(gs.ngroups, 1);
	assert_string_equal(gs.groups[0], "team-a");
	assert_int_equal(gs.n, 2);	/* own model grant (updated, not duplicated) + the group's */
	struct decision d;
	policy_decide("htpasswd-only", false, (const char *const *)gs.groups, gs.ngroups, RESOURCE_MODEL, NULL,
		      "churn", gs.grants, gs.n, LEVEL_READ, &d);
	assert_int_equal(d.level, LEVEL_MANAGE);
	policy_decide("htpasswd-only", false, (const char *const *)gs.groups, gs.ngroups, RESOURCE_EXPERIMENT, "1",
		      NULL, gs.grants, gs.n, LEVEL_READ, &d);
	assert_int_equal(d.level, LEVEL_EDIT);
	assert_int_equal(d.source, SOURCE_GROUP);
	grants_set_free(&gs);
	assert_int_equal(grants_revoke(s, PRINCIPAL_USER, "htpasswd-only", RESOURCE_MODEL, "churn", &err), 0);
	assert_int_equal(grants_revoke(s, PRINCIPAL_USER, "htpasswd-only", RESOURCE_MODEL, "churn", &err), -ENOENT);
	/* deleting a group removes its grants and memberships */
	assert_int_equal(groups_delete(s, "team-a", &err), 0);
	assert_int_equal(grants_for_user(s, "htpasswd-only", &gs, &err), 0);
	assert_int_equal(gs.n + gs.ngroups, 0);
	grants_set_free(&gs);
	/* deleting a user removes their grants and tokens */
	char tok[TOKEN_MAX];
	assert_int_equal(tokens_create(s, "alice", "laptop", 0, tok, &err), 0);
	assert_int_equal(grants_set(s, PRINCIPAL_USER, "alice", RESOURCE_EXPERIMENT, "9", LEVEL_READ, &err), 0);
	assert_int_equal(users_delete(s, "alice", &err), 0);
	assert_int_equal(users_delete(s, "alice", &err), -ENOENT);
	char owner[128];
	assert_int_equal(tokens_verify(s, tok, time(NULL), owner, NULL, &err), -EACCES);
	struct store_rows r;
	assert_int_equal(grants_list(s, &r, &err), 0);
	assert_int_equal(r.nrows, 1);	/* only zed's pattern is left */
	assert_string_equal(store_value(&r, 0, 1), "zed");
	store_rows_free(&r);
	store_close(s);
	unlink(path);
}

static void test_tokens(void **state)
{
	char path[256];
	struct store *s = open_tmp(path, sizeof path);
	char *err = NULL;
	char tok[TOKEN_MAX], tok2[TOKEN_MAX], owner[128];
	int64_t now = time(NULL);
	assert_int_equal(tokens_create(s, "bob", "ci", now + 100, tok, &err), 0);
	assert_int_equal(strlen(tok), 64);
	assert_memory_equal(tok, "mlg_", 4);
	assert_int_equal(tokens_create(s, "bob", "ci", 0, tok2, &err), -EEXIST);
	free(err);
	err = NULL;
	bool first = false;
	assert_int_equal(tokens_verify(s, tok, now, owner, &first, &err), 0);
	assert_true(first);	/* the first use is told once */
	assert_int_equal(tokens_verify(s, tok, now, owner, &first, &err), 0);
	assert_false(first);
	assert_string_equal(owner, "bob");
	assert_int_equal(tokens_verify(s, tok, now + 100, owner, NULL, &err), -EACCES);	/* expired */
	char wrong[TOKEN_MAX];
	strcpy(wrong, tok);
	wrong[30] = wrong[30] == 'A' ? 'B' : 'A';
	assert_int_equal(tokens_verify(s, wrong, now, owner, NULL, &err), -EACCES);
	assert_int_equal(tokens_verify(s, "mlg_short", now, owner, NULL, &err), -EACCES);
	struct store_rows r;
	assert_int_equal(tokens_list(s, "bob", &r, &err), 0);
	assert_int_equal(r.nrows, 1);
	assert_non_null(store_value(&r, 0, 5));	/* last_used recorded */
	char id[17];
	snprintf(id, sizeof id, "%s", store_value(&r, 0, 0));
	store_rows_free(&r);
	/* the secret is not stored */
	assert_int_equal(store_exec(s, "SELECT secret_hash FROM tokens", 0, NULL, &r, &err), 0);
	assert_null(strstr(tok, store_value(&r, 0, 0)));
	assert_null(strstr(store_value(&r, 0, 0), tok + 21));
	store_rows_free(&r);
	assert_int_equal(tokens_revoke(s, id, &err), 0);
	assert_int_equal(tokens_revoke(s, id, &err), -ENOENT);
	assert_int_equal(tokens_verify(s, tok, now, owner, NULL, &err), -EACCES);
	store_close(s);
	unlink(path);
}

int main(void)
{
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_and_migrate),
		cmocka_unit_test(test_users_groups_grants),
		cmocka_unit_test(test_tokens),
	};
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
