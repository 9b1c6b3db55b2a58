/* Personal access tokens in the identity store. */
#include "authn/tokens.h"
#include "core/mem.h"
#include "core/pct.h"
#include "core/sha256.h"
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void secret_hash(const char *secret, char out[65])
{
	unsigned char md[32];
	sha256_2(secret, strlen(secret), NULL, 0, md);
	hex_encode(md, 32, out);
}

int tokens_create(struct store *s, const char *user, const char *name, int64_t expires_at, char out[TOKEN_MAX],
		  char **err)
{
	unsigned char idb[8], sec[32];
	if (RAND_bytes(idb, sizeof idb) != 1 || RAND_bytes(sec, sizeof sec) != 1)
		return -EIO;
	char id[17], secret[64];
	hex_encode(idb, sizeof idb, id);
	/* base64url without padding: 32 bytes -> 43 characters */
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0;
	for (size_t i = 0; i < sizeof sec; i += 3) {
		uint32_t v = (uint32_t)sec[i] << 16 | (i + 1 < sizeof sec ? (uint32_t)sec[i + 1] << 8 : 0) |
			     (i + 2 < sizeof sec ? sec[i + 2] : 0);
		secret[o++] = b64[(v >> 18) & 63];
		secret[o++] = b64[(v >> 12) & 63];
		if (i + 1 < sizeof sec)
			secret[o++] = b64[(v >> 6) & 63];
		if (i + 2 < sizeof sec)
			secret[o++] = b64[v & 63];
	}
	secret[o] = '\0';
	char h[65], now[24], exp[24];
	secret_hash(secret, h);
	snprintf(now, sizeof now, "%lld", (long long)time(NULL));
	snprintf(exp, sizeof exp, "%lld", (long long)expires_at);
	const char *p[] = { id, user, name, h, now, expires_at ? exp : NULL };
	int rc = store_exec(s, "INSERT INTO tokens (id, username, name, secret_hash, created_at, expires_at) "
			    "VALUES ($1, $2, $3, $4, $5, $6)", 6, p, NULL, err);
	if (rc == 0)
		snprintf(out, TOKEN_MAX, "mlg_%s_%s", id, secret);
	mem_wipe(sec, sizeof sec);
	mem_wipe(secret, sizeof secret);
	return rc;
}

int tokens_list(struct store *s, const char *user, struct store_rows *rows, char **err)
{
	if (user)
		return store_exec(s, "SELECT id, username, name, created_at, expires_at, last_used, revoked_at FROM tokens "
				  "WHERE username = $1 ORDER BY username, name", 1, &user, rows, err);
	return store_exec(s, "SELECT id, username, name, created_at, expires_at, last_used, revoked_at FROM tokens "
			  "ORDER BY username, name", 0, NULL, rows, err);
}

int tokens_revoke(struct store *s, const char *id, char **err)
{
	char now[24];
	snprintf(now, sizeof now, "%lld", (long long)time(NULL));
	const char *p[] = { id, now };
	int rc = store_exec(s, "UPDATE tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL", 2, p, NULL, err);
	return rc == 0 && store_changes(s) == 0 ? -ENOENT : rc;
}

int tokens_verify(struct store *s, const char *token, int64_t now, char user_out[128], bool *first_use, char **err)
{
	if (first_use)
		*first_use = false;
	/* mlg_ + 16 hex + _ + 43 */
	if (strlen(token) != 4 + 16 + 1 + 43 || strncmp(token, "mlg_", 4) != 0 || token[20] != '_')
		return -EACCES;
	char id[17];
	memcpy(id, token + 4, 16);
	id[16] = '\0';
	const char *idp = id;
	struct store_rows r;
	int rc = store_exec(s, "SELECT username, secret_hash, COALESCE(expires_at, 0), COALESCE(revoked_at, 0) "
			    "FROM tokens WHERE id = $1", 1, &idp, &r, err);
	if (rc)
		return rc;
	char h[65];
	secret_hash(token + 21, h);	/* hash even when the id is unknown: same cost */
	rc = -EACCES;
	if (r.nrows == 1) {
		const char *want = store_value(&r, 0, 1);
		int64_t exp = atoll(store_value(&r, 0, 2)), rev = atoll(store_value(&r, 0, 3));
		if (strlen(want) == 64 && CRYPTO_memcmp(want, h, 64) == 0 && rev == 0 && (exp == 0 || now < exp)) {
			snprintf(user_out, 128, "%s", store_value(&r, 0, 0));
			rc = 0;
		}
	}
	store_rows_free(&r);
	if (rc == 0) {
		char n[24];
		snprintf(n, sizeof n, "%lld", (long long)now);
		const char *p[] = { id, n };
		char *e2 = NULL;
		struct store_rows fr;
		/* the first use is the one that finds last_used empty */
		if (store_exec(s, "UPDATE tokens SET last_used = $2 WHERE id = $1 AND last_used IS NULL RETURNING id", 2, p,
			       &fr, &e2) == 0) {
			if (first_use)
				*first_use = fr.nrows == 1;
			if (fr.nrows == 0 && store_exec(s, "UPDATE tokens SET last_used = $2 WHERE id = $1", 2, p, NULL, &e2))
				free(e2);	/* last-use bookkeeping must not refuse a valid token */
			store_rows_free(&fr);
		} else {
			free(e2);
		}
	}
	return rc;
}
