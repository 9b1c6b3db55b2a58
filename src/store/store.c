/* Store front end: URI parsing, backend dispatch, migrations, row helpers.
 * SQLite is the one backend today (store_sqlite.c); a backend implements the
 * five primitives in struct store_backend. */
#include "store/store.h"
#include "store/store_backend.h"
#include "store/migrations.h"
#include "core/mem.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *errdup(const char *fmt, const char *a)
{
	char tmp[1024];
	snprintf(tmp, sizeof tmp, fmt, a);
	return mem_strdup(tmp);
}

static int split_statements_and_run(struct store *s, const char *sql, char **err)
{
	const char *p = sql;
	while (*p) {
		const char *end = strstr(p, ";\n");
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char *stmt = mem_strndup(p, n);
		int rc = store_exec(s, stmt, 0, NULL, NULL, err);
		free(stmt);
		if (rc)
			return rc;
		p += n + (end ? 2 : 0);
	}
	return 0;
}

static int migrate(struct store *s, char **err)
{
	int rc = store_exec(s, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
			    "description TEXT NOT NULL, applied_at BIGINT NOT NULL)", 0, NULL, NULL, err);
	if (rc)
		return rc;
	struct store_rows r;
	rc = store_exec(s, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", 0, NULL, &r, err);
	if (rc)
		return rc;
	int current = atoi(store_value(&r, 0, 0) ? store_value(&r, 0, 0) : "0");
	store_rows_free(&r);
	for (const struct migration *m = migrations; m->version; m++) {
		if (m->version <= current)
			continue;
		if ((rc = store_begin(s, err)))
			return rc;
		rc = split_statements_and_run(s, m->sql, err);
		if (rc == 0) {
			char v[16], t[24];
			snprintf(v, sizeof v, "%d", m->version);
			snprintf(t, sizeof t, "%lld", (long long)time(NULL));
			const char *params[] = { v, m->description, t };
			rc = store_exec(s, "INSERT INTO schema_migrations (version, description, applied_at) "
					"VALUES ($1, $2, $3)", 3, params, NULL, err);
		}
		if (rc == 0)
			rc = store_commit(s, err);
		if (rc) {
			store_rollback(s);
			return rc;
		}
		current = m->version;
	}
	s->version = current;
	return 0;
}

int store_open(const char *uri, struct store **out, char **err)
{
	*err = NULL;
	struct store *s = NULL;
	int rc;
	if (strncmp(uri, "sqlite://", 9) == 0) {
		const char *path = uri + 9;
		if (path[0] == '/' && path[1] == '/')
			path++;	/* sqlite:////abs/path */
		else if (path[0] == '/' && path[1] != '\0' && strncmp(path, "/:memory:", 9) != 0)
			path++;	/* sqlite:///relative/path, as SQLAlchemy reads it */
		else if (strcmp(path, "/:memory:") == 0)
			path++;
		if (*path == '\0') {
			*err = errdup("store %s: no database path", uri);
			return -EINVAL;
		}
		rc = store_sqlite_open(path, &s, err);
	} else if (strncmp(uri, "postgresql://", 13) == 0 || strncmp(uri, "postgres://", 11) == 0) {
		rc = store_pg_open(uri, &s, err);
	} else {
		*err = errdup("store \"%s\": expected sqlite:///PATH or postgresql://…", uri);
		return -EINVAL;
	}
	if (rc)
		return rc;
	rc = migrate(s, err);
	if (rc) {
		store_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

void store_close(struct store *s)
{
	if (s) {
		pthread_mutex_destroy(&s->lock);
		s->be->close(s);
	}
}

int store_exec(struct store *s, const char *sql, size_t nparams, const char *const *params, struct store_rows *rows,
	       char **err)
{
	if (rows)
		memset(rows, 0, sizeof *rows);
	pthread_mutex_lock(&s->lock);
	int rc = s->be->exec(s, sql, nparams, params, rows, err);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int store_begin(struct store *s, char **err)
{
	return store_exec(s, s->be->begin_sql, 0, NULL, NULL, err);
}

int store_commit(struct store *s, char **err)
{
	return store_exec(s, "COMMIT", 0, NULL, NULL, err);
}

void store_rollback(struct store *s)
{
	char *err = NULL;
	store_exec(s, "ROLLBACK", 0, NULL, NULL, &err);
	free(err);
}

long store_changes(struct store *s)
{
	pthread_mutex_lock(&s->lock);
	long n = s->be->changes(s);
	pthread_mutex_unlock(&s->lock);
	return n;
}

int store_schema_version(struct store *s)
{
	return s->version;
}

const char *store_value(const struct store_rows *r, size_t row, size_t col)
{
	if (row >= r->nrows || col >= r->ncols)
		return NULL;
	return r->v[row * r->ncols + col];
}

void store_rows_free(struct store_rows *r)
{
	for (size_t i = 0; i < r->nrows * r->ncols; i++)
		free(r->v[i]);
	free(r->v);
	memset(r, 0, sizeof *r);
}

int store_generation_bump(struct store *s, const char *which, char **err)
{
	return store_exec(s, "UPDATE generations SET value = value + 1 WHERE name = $1", 1, &which, NULL, err);
}

int store_generation_get(struct store *s, const char *which, long long *out, char **err)
{
	struct store_rows r;
	int rc = store_exec(s, "SELECT value FROM generations WHERE name = $1", 1, &which, &r, err);
	if (rc)
		return rc;
	const char *v = store_value(&r, 0, 0);
	*out = v ? strtoll(v, NULL, 10) : 0;
	store_rows_free(&r);
	return v ? 0 : -ENOENT;
}
