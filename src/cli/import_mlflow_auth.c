/* `mlgate import-mlflow-auth basic_auth.db`: brings users (with their
 * Werkzeug password hashes, verified as they are), admin flags and
 * experiment / registered-model permissions over from MLflow's basic-auth
 * database (mlflow-api.md §2.8) into the identity store, in one transaction.
 * Existing store users are left as they are and reported. */
#include "authn/htpasswd.h"
#include "authn/users.h"
#include "authz/grants.h"
#include "cli/cli.h"
#include "store/store.h"
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int import_grants(sqlite3 *src, struct store *s, const char *sql, enum resource_kind rk, int *n, int *skipped)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(src, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "mlgate import-mlflow-auth: %s\n", sqlite3_errmsg(src));
		return -1;
	}
	int rc = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *res = (const char *)sqlite3_column_text(st, 0);
		const char *user = (const char *)sqlite3_column_text(st, 1);
		const char *perm = (const char *)sqlite3_column_text(st, 2);
		enum perm_level lv;
		if (!res || !user || !perm || level_parse(perm, &lv)) {
			fprintf(stderr, "mlgate import-mlflow-auth: skipped %s permission %s for %s on %s (not a level "
					"mlgate knows)\n", policy_resource_kind_name(rk), perm ? perm : "?", user ? user : "?",
				res ? res : "?");
			(*skipped)++;
			continue;
		}
		char *err = NULL;
		if (grants_set(s, PRINCIPAL_USER, user, rk, res, lv, &err)) {
			fprintf(stderr, "mlgate import-mlflow-auth: %s\n", err ? err : "store error");
			free(err);
			rc = -1;
			break;
		}
		(*n)++;
	}
	sqlite3_finalize(st);
	return rc;
}

int cli_import_mlflow_auth(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("usage: mlgate import-mlflow-auth BASIC_AUTH_DB [--store URI | -c FILE]\n");
		return 0;
	}
	struct store *s = cli_open_store(&argc, argv, "mlgate import-mlflow-auth");
	if (s == NULL)
		return 1;
	if (argc != 2) {
		fprintf(stderr, "usage: mlgate import-mlflow-auth BASIC_AUTH_DB [--store URI | -c FILE]\n");
		store_close(s);
		return 2;
	}
	sqlite3 *src = NULL;
	if (sqlite3_open_v2(argv[1], &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "mlgate import-mlflow-auth: cannot open %s: %s\n", argv[1], sqlite3_errmsg(src));
		sqlite3_close(src);
		store_close(s);
		return 1;
	}
	char *err = NULL;
	int users = 0, existing = 0, refused = 0, grants = 0, skipped = 0, rc = 0;
	if (store_begin(s, &err)) {
		fprintf(stderr, "mlgate import-mlflow-auth: %s\n", err);
		free(err);
		rc = 1;
		goto out;
	}
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(src, "SELECT username, password_hash, is_admin FROM users ORDER BY id", -1, &st, NULL) !=
	    SQLITE_OK) {
		fprintf(stderr, "mlgate import-mlflow-auth: %s is not an MLflow auth database: %s\n", argv[1],
			sqlite3_errmsg(src));
		rc = 1;
		goto rollback;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *u = (const char *)sqlite3_column_text(st, 0);
		const char *h = (const char *)sqlite3_column_text(st, 1);
		enum htpasswd_scheme sch;
		if (u == NULL || h == NULL || htpasswd_classify(h, &sch) != 0) {
			fprintf(stderr, "mlgate import-mlflow-auth: user \"%s\" skipped: unknown password hash format\n",
				u ? u : "?");
			refused++;
			continue;
		}
		int r = users_add(s, u, h, sqlite3_column_int(st, 2) != 0, &err);
		if (r == -EEXIST) {
			fprintf(stderr, "mlgate import-mlflow-auth: user \"%s\" already in the store: left as it is\n", u);
			existing++;
		} else if (r == -EINVAL) {
			fprintf(stderr, "mlgate import-mlflow-auth: user \"%s\" skipped: invalid name\n", u);
			refused++;
		} else if (r) {
			fprintf(stderr, "mlgate import-mlflow-auth: %s\n", err ? err : "store error");
			rc = 1;
		} else {
			users++;
		}
		free(err);
		err = NULL;
		if (rc)
			break;
	}
	sqlite3_finalize(st);
	if (rc)
		goto rollback;
	if (import_grants(src, s, "SELECT p.experiment_id, u.username, p.permission FROM experiment_permissions p "
			  "JOIN users u ON u.id = p.user_id", RESOURCE_EXPERIMENT, &grants, &skipped) ||
	    import_grants(src, s, "SELECT p.name, u.username, p.permission FROM registered_model_permissions p "
			  "JOIN users u ON u.id = p.user_id", RESOURCE_MODEL, &grants, &skipped)) {
		rc = 1;
		goto rollback;
	}
	if (store_commit(s, &err)) {
		fprintf(stderr, "mlgate import-mlflow-auth: %s\n", err);
		free(err);
		rc = 1;
		goto out;
	}
	printf("imported %d user(s) and %d grant(s); %d user(s) already present, %d refused, %d permission(s) skipped\n",
	       users, grants, existing, refused, skipped);
	goto out;
rollback:
	store_rollback(s);
	fprintf(stderr, "mlgate import-mlflow-auth: nothing was imported\n");
out:
	sqlite3_close(src);
	store_close(s);
	return rc;
}
