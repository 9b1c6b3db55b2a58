/* Internal to src/store: what a backend provides. */
#ifndef MG_STORE_BACKEND_H
#define MG_STORE_BACKEND_H
#include "store/store.h"
#include <pthread.h>
#include <time.h>

struct store_backend {
	const char *begin_sql;	/* "BEGIN IMMEDIATE" for SQLite */
	int (*exec)(struct store *s, const char *sql, size_t nparams, const char *const *params,
		    struct store_rows *rows, char **err);
	long (*changes)(struct store *s);
	void (*close)(struct store *s);
};

struct store {
	const struct store_backend *be;
	int version;
	void *db;
	pthread_mutex_t lock;	/* one statement at a time on the connection */
};

int store_sqlite_open(const char *path, struct store **out, char **err);
int store_pg_open(const char *uri, struct store **out, char **err);

#endif
