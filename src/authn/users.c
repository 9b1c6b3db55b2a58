/* User records. Password hashes are bcrypt (written by `mlgate user`); the
 * name is the key everywhere, as in htpasswd files. */
#include "authn/users.h"
#include "authn/htpasswd_write.h"
#include "core/mem.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int need_one_change(struct store *s, int rc)
{
	if (rc == 0 && store_changes(s) == 0)
		return -ENOENT;
	return rc;
}

/* Tells running gateways (which poll the counters) to drop what they cached:
 * "credentials" for logins, "grants" for decisions. */
static int bump(struct store *s, int rc, bool creds, bool grants, char **err)
{
	if (rc == 0 && creds)
		rc = store_generation_bump(s, "credentials", err);
	if (rc == 0 && grants)
		rc = store_generation_bump(s, "grants", err);
	return rc;
}

int users_add(struct store *s, const char *user, const char *password_hash, bool is_admin, char **err)
{
	if (!htpasswd_valid_user(user))
		return -EINVAL;
	char now[24];
	snprintf(now, sizeof now, "%lld", (long long)time(NULL));
	const char *p[] = { user, password_hash, is_admin ? "1" : "0", now };
	return bump(s, store_exec(s, "INSERT INTO users (username, password_hash, is_admin, created_at) "
				  "VALUES ($1, $2, $3, $4)", 4, p, NULL, err), false, true, err);	/* nobody else's login changes */
}

int users_delete(struct store *s, const char *user, char **err)
{
	static const char *const sql[] = {
		"DELETE FROM group_members WHERE username = $1",
		"DELETE FROM grants WHERE principal_kind = 'user' AND principal = $1",
		"DELETE FROM tokens WHERE username = $1",
		"DELETE FROM users WHERE username = $1",
	};
	int rc = store_begin(s, err);
	for (size_t i = 0; rc == 0 && i < 4; i++) {
		rc = store_exec(s, sql[i], 1, &user, NULL, err);
		if (rc == 0 && i == 3 && store_changes(s) == 0)
			rc = -ENOENT;
	}
	if (rc == 0)
		return bump(s, store_commit(s, err), true, true, err);
	store_rollback(s);
	return rc;
}

int users_set_password(struct store *s, const char *user, const char *password_hash, char **err)
{
	const char *p[] = { user, password_hash };
	return bump(s, need_one_change(s, store_exec(s, "UPDATE users SET password_hash = $2 WHERE username = $1", 2, p,
						     NULL, err)), true, false, err);
}

int users_set_admin(struct store *s, const char *user, bool is_admin, bool create_profile, char **err)
{
	if (!htpasswd_valid_user(user))
		return -EINVAL;
	if (!create_profile) {
		const char *p[] = { user, is_admin ? "1" : "0" };
		return bump(s, need_one_change(s, store_exec(s, "UPDATE users SET is_admin = $2 WHERE username = $1", 2, p,
							     NULL, err)), false, true, err);
	}
	/* An htpasswd-only user gets a row without a password to hold the flag. */
	char now[24];
	snprintf(now, sizeof now, "%lld", (long long)time(NULL));
	const char *p[] = { user, is_admin ? "1" : "0", now };
	return bump(s, store_exec(s, "INSERT INTO users (username, password_hash, is_admin, created_at) "
				  "VALUES ($1, NULL, $2, $3) ON CONFLICT (username) DO UPDATE SET is_admin = excluded.is_admin",
				  3, p, NULL, err), false, true, err);
}

int users_set_disabled(struct store *s, const char *user, bool disabled, char **err)
{
	const char *p[] = { user, disabled ? "1" : "0" };
	return bump(s, need_one_change(s, store_exec(s, "UPDATE users SET disabled = $2 WHERE username = $1", 2, p, NULL,
						     err)), true, true, err);
}

int users_get(struct store *s, const char *user, struct user_rec *out, char **err)
{
	struct store_rows r;
	int rc = store_exec(s, "SELECT username, COALESCE(password_hash, ''), is_admin, disabled, created_at, "
			    "COALESCE(last_login, 0) FROM users WHERE username = $1", 1, &user, &r, err);
	if (rc)
		return rc;
	if (r.nrows == 0) {
		store_rows_free(&r);
		return -ENOENT;
	}
	memset(out, 0, sizeof *out);
	snprintf(out->username, sizeof out->username, "%s", store_value(&r, 0, 0));
	snprintf(out->password_hash, sizeof out->password_hash, "%s", store_value(&r, 0, 1));
	out->is_admin = atoi(store_value(&r, 0, 2)) != 0;
	out->disabled = atoi(store_value(&r, 0, 3)) != 0;
	out->created_at = atoll(store_value(&r, 0, 4));
	out->last_login = atoll(store_value(&r, 0, 5));
	store_rows_free(&r);
	return 0;
}

int users_list(struct store *s, struct store_rows *rows, char **err)
{
	return store_exec(s, "SELECT username, is_admin, disabled, created_at, COALESCE(last_login, 0) FROM users "
			  "ORDER BY username", 0, NULL, rows, err);
}

void users_touch_login(struct store *s, const char *user, int64_t now)
{
	char t[24];
	snprintf(t, sizeof t, "%lld", (long long)now);
	const char *p[] = { user, t };
	char *err = NULL;
	if (store_exec(s, "UPDATE users SET last_login = $2 WHERE username = $1", 2, p, NULL, &err))
		free(err);
}
