/* Personal access tokens: "mlg_<16 hex id>_<43 base64url secret>", shown once;
 * the store keeps the id and SHA-256 of the secret (the secret has 256 bits
 * of entropy, so a fast hash is enough) and compares in constant time. */
#ifndef MG_TOKENS_H
#define MG_TOKENS_H
#include <stdbool.h>
#include <stdint.h>
#include "store/store.h"

#define TOKEN_MAX 96

/* Creates a token for user named name; expires_at 0 = never. Writes the
 * token (shown to the user once) into out. -EEXIST if user has a token of
 * that name. */
int tokens_create(struct store *s, const char *user, const char *name, int64_t expires_at, char out[TOKEN_MAX],
		  char **err);
/* Rows: id, username, name, created_at, expires_at, last_used, revoked_at
 * (user NULL: everyone's). */
int tokens_list(struct store *s, const char *user, struct store_rows *rows, char **err);
/* Revokes by id (or "user/name"); -ENOENT if no such live token. */
int tokens_revoke(struct store *s, const char *id, char **err);
/* Checks a presented token at time now: 0 and the owner in user_out, or
 * -EACCES (unknown, wrong secret, revoked, expired). Records last use;
 * *first_use (may be NULL) tells whether this was the token's first. */
int tokens_verify(struct store *s, const char *token, int64_t now, char user_out[128], bool *first_use,
		  char **err);

#endif
