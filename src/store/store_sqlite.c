/* SQLite backend: one connection per store object, WAL journal, busy
 * timeout, foreign keys on; the database file is created 0600 (it holds
 * password and token hashes). $N placeholders bind by name, so one SQL text
 * serves SQLite and PostgreSQL. */
#include "store/store_backend.h"
#include "core/mem.h"
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *sqlerr(sqlite3 *db, const char *what)
{
	char tmp[1024];
	snprintf(tmp, sizeof tmp, "%s: %s", what, sqlite3_errmsg(db));
	return mem_strdup(tmp);
}

static int sqlite_exec(struct store *s, const char *sql, size_t nparams, const char *const *params,
		       struct store_rows *rows, char **err)
{
	sqlite3 *db = s->db;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		*err = sqlerr(db, "prepare");
		return -EIO;
	}
	for (size_t i = 0; i < nparams; i++) {
		char name[24];
		snprintf(name, sizeof name, "$%zu", i + 1);
		int idx = sqlite3_bind_parameter_index(st, name);
		if (idx == 0)
			continue;	/* parameter not used by this statement */
		if (params[i] == NULL)
			sqlite3_bind_null(st, idx);
		else
			sqlite3_bind_text(st, idx, params[i], -1, SQLITE_TRANSIENT);
	}
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (rows == NULL)
			continue;
		size_t nc = (size_t)sqlite3_column_count(st);
		rows->ncols = nc;
		if ((rows->nrows + 1) * nc > cap) {
			cap = cap ? cap * 2 : nc * 16;
			while (cap < (rows->nrows + 1) * nc)
				cap *= 2;
			rows->v = mem_realloc(rows->v, cap * sizeof *rows->v);
		}
		for (size_t c = 0; c < nc; c++) {
			const unsigned char *t = sqlite3_column_text(st, (int)c);
			rows->v[rows->nrows * nc + c] = t ? mem_strdup((const char *)t) : NULL;
		}
		rows->nrows++;
	}
	int result = 0;
	if (rc != SQLITE_DONE) {
		int ext = sqlite3_extended_errcode(db);
		if (ext == SQLITE_CONSTRAINT_PRIMARYKEY || ext == SQLITE_CONSTRAINT_UNIQUE) {
			result = -EEXIST;
			*err = sqlerr(db, "already exists");
		} else {
			result = -EIO;
			*err = sqlerr(db, "query");
		}
		if (rows)
			store_rows_free(rows);
	}
	sqlite3_finalize(st);
	return result;
}

static long sqlite_changes(struct store *s)
{
	return sqlite3_changes(s->db);
}

static void sqlite_close(struct store *s)
{
	sqlite3_close(s->db);
	free(s);
}

static const struct store_backend sqlite_backend = {
	.begin_sql = "BEGIN IMMEDIATE",
	.exec = sqlite_exec,
	.changes = sqlite_changes,
	.close = sqlite_close,
};

int store_sqlite_open(const char *path, struct store **out, char **err)
{
	bool memory = strcmp(path, ":memory:") == 0;
	if (!memory) {
		/* Create it 0600 before SQLite does (SQLite would use 0644). */
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd == -1) {
			char tmp[1024];
			snprintf(tmp, sizeof tmp, "cannot open store %s: %s", path, strerror(errno));
			*err = mem_strdup(tmp);
			return -EIO;
		}
		close(fd);
	}
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL) !=
	    SQLITE_OK) {
		*err = sqlerr(db, path);
		sqlite3_close(db);
		return -EIO;
	}
	sqlite3_busy_timeout(db, 5000);
	struct store *s = mem_calloc(1, sizeof *s);
	s->be = &sqlite_backend;
	pthread_mutex_init(&s->lock, NULL);
	s->db = db;
	const char *pragmas[] = { "PRAGMA foreign_keys = ON", memory ? "PRAGMA journal_mode = MEMORY"
								 : "PRAGMA journal_mode = WAL",
				  "PRAGMA synchronous = NORMAL" };
	for (size_t i = 0; i < 3; i++) {
		struct store_rows r;
		int rc = store_exec(s, pragmas[i], 0, NULL, &r, err);
		if (rc) {
			sqlite_close(s);
			return rc;
		}
		store_rows_free(&r);
	}
	*out = s;
	return 0;
}
