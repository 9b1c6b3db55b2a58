/* Users in the identity store (bcrypt password, admin and disabled flags,
 * created and last-login times). */
#ifndef MG_USERS_H
#define MG_USERS_H
#include <stdbool.h>
#include <stdint.h>
#include "store/store.h"

struct user_rec {
	char username[128];
	char password_hash[512];	/* "" for none (bcrypt, or imported Werkzeug formats) */
	bool is_admin;
	bool disabled;
	int64_t created_at;
	int64_t last_login;		/* 0: never */
};

/* Each returns 0, -EEXIST / -ENOENT as the case may be, or -EIO with *err. */
int users_add(struct store *s, const char *user, const char *password_hash, bool is_admin, char **err);
/* Deletes the user with their group memberships, grants and tokens. */
int users_delete(struct store *s, const char *user, char **err);
int users_set_password(struct store *s, const char *user, const char *password_hash, char **err);
/* create_profile: the user lives in htpasswd; a password-less row is made
 * to hold the flag if there is none (else -ENOENT for an unknown user). */
int users_set_admin(struct store *s, const char *user, bool is_admin, bool create_profile, char **err);
/* A disabled user cannot log in (password or token); grants stay. */
int users_set_disabled(struct store *s, const char *user, bool disabled, char **err);
int users_get(struct store *s, const char *user, struct user_rec *out, char **err);
/* Records a successful login (best effort: errors are ignored). */
void users_touch_login(struct store *s, const char *user, int64_t now);
/* Rows: username, is_admin, disabled, created_at, last_login; by name. */
int users_list(struct store *s, struct store_rows *rows, char **err);

#endif
