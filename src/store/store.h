/* The identity store: users, groups, grants and tokens, kept in SQLite (the
 * embedded default) or, later, PostgreSQL. Callers speak portable SQL with
 * $1..$n placeholders and get every value back as text, so the domain code is
 * written once for both backends. */
#ifndef MG_STORE_H
#define MG_STORE_H
#include <stddef.h>

struct store;

/* Result rows: values are NUL-terminated strings, NULL for SQL NULL. */
struct store_rows {
	size_t nrows;
	size_t ncols;
	char **v;	/* nrows * ncols */
};

/* Opens uri ("sqlite:///relative/or/absolute/path" or "sqlite://:memory:")
 * and applies pending migrations. Creates the file with mode 0600. Returns 0
 * or -EINVAL/-EIO with *err (caller frees). */
int store_open(const char *uri, struct store **out, char **err);
void store_close(struct store *s);
/* Runs one statement with text parameters. rows may be NULL. Returns 0,
 * -EEXIST for a uniqueness violation, or -EIO with *err (caller frees). */
int store_exec(struct store *s, const char *sql, size_t nparams, const char *const *params, struct store_rows *rows,
	       char **err);
/* Transactions around several store_exec calls. */
int store_begin(struct store *s, char **err);
int store_commit(struct store *s, char **err);
void store_rollback(struct store *s);
/* Rows changed by the last statement. */
long store_changes(struct store *s);
const char *store_value(const struct store_rows *r, size_t row, size_t col);
void store_rows_free(struct store_rows *r);
/* Change counters that running gateways poll to drop cached decisions:
 * "credentials" (passwords, disabled flags, deleted users) and "grants"
 * (grants, groups, memberships, admin flags). A failed bump is logged by the
 * caller's error path; the change itself has already happened. */
int store_generation_bump(struct store *s, const char *which, char **err);
int store_generation_get(struct store *s, const char *which, long long *out, char **err);
/* The schema version after migrations. */
int store_schema_version(struct store *s);

#endif
