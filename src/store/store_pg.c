/* PostgreSQL backend (libpq): the same SQL and $N placeholders as SQLite, so
 * several gateway instances can share one store. One connection per store
 * object; store.c serialises calls on it. */
#include "store/store_backend.h"
#include "core/mem.h"
#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pg_db {
	PGconn *conn;
	long changes;
};

static char *pgerr(PGconn *c, PGresult *r, const char *what)
{
	char tmp[1024];
	const char *m = r ? PQresultErrorMessage(r) : PQerrorMessage(c);
	snprintf(tmp, sizeof tmp, "%s: %s", what, m && *m ? m : "PostgreSQL error");
	size_t n = strlen(tmp);
	while (n && (tmp[n - 1] == '\n' || tmp[n - 1] == ' '))
		tmp[--n] = '\0';
	return mem_strdup(tmp);
}

static int pg_exec(struct store *s, const char *sql, size_t nparams, const char *const *params, struct store_rows *rows,
		   char **err)
{
	struct pg_db *db = s->db;
	/* PostgreSQL wants every $N it is given to appear in the statement:
	 * pass only as many parameters as the statement uses. */
	int used = 0;
	for (const char *p = strchr(sql, '$'); p; p = strchr(p + 1, '$')) {
		int v = atoi(p + 1);
		if (v > used)
			used = v;
	}
	if ((size_t)used > nparams) {
		*err = mem_strdup("statement uses more parameters than given");
		return -EIO;
	}
	PGresult *r = PQexecParams(db->conn, sql, used, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		const char *code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		int rc = code && strcmp(code, "23505") == 0 ? -EEXIST : -EIO;
		*err = pgerr(db->conn, r, rc == -EEXIST ? "already exists" : "query");
		PQclear(r);
		return rc;
	}
	const char *ct = PQcmdTuples(r);
	db->changes = ct && *ct ? atol(ct) : 0;
	if (rows && st == PGRES_TUPLES_OK) {
		size_t nr = (size_t)PQntuples(r), nc = (size_t)PQnfields(r);
		rows->nrows = nr;
		rows->ncols = nc;
		rows->v = mem_calloc(nr * nc + 1, sizeof *rows->v);
		for (size_t i = 0; i < nr; i++)
			for (size_t c = 0; c < nc; c++)
				rows->v[i * nc + c] = PQgetisnull(r, (int)i, (int)c)
					? NULL : mem_strdup(PQgetvalue(r, (int)i, (int)c));
	}
	PQclear(r);
	return 0;
}

static long pg_changes(struct store *s)
{
	return ((struct pg_db *)s->db)->changes;
}

static void pg_close(struct store *s)
{
	struct pg_db *db = s->db;
	PQfinish(db->conn);
	free(db);
	free(s);
}

static const struct store_backend pg_backend = {
	.begin_sql = "BEGIN",
	.exec = pg_exec,
	.changes = pg_changes,
	.close = pg_close,
};

int store_pg_open(const char *uri, struct store **out, char **err)
{
	PGconn *c = PQconnectdb(uri);
	if (PQstatus(c) != CONNECTION_OK) {
		*err = pgerr(c, NULL, "cannot connect to the PostgreSQL store");
		PQfinish(c);
		return -EIO;
	}
	PGresult *r = PQexec(c, "SET client_min_messages = warning");
	PQclear(r);
	struct pg_db *db = mem_calloc(1, sizeof *db);
	db->conn = c;
	struct store *s = mem_calloc(1, sizeof *s);
	s->be = &pg_backend;
	pthread_mutex_init(&s->lock, NULL);
	s->db = db;
	*out = s;
	return 0;
}
