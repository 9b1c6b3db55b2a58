/* The store's outbox of security records (see audit_outbox.h). */
#include "audit/audit_outbox.h"
#include "audit/audit_log.h"
#include "core/log.h"
#include "core/mem.h"
#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int audit_outbox_add(struct store *s, json_t *fields, char **err)
{
	char *rec = json_dumps(fields, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(fields);
	if (rec == NULL) {
		*err = mem_strdup("cannot encode the audit record");
		return -EIO;
	}
	unsigned char rnd[12];
	char id[48], when[24];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (RAND_bytes(rnd, sizeof rnd) != 1)
		memset(rnd, 0, sizeof rnd);
	int n = snprintf(id, sizeof id, "%lld-", (long long)ts.tv_sec);
	for (size_t i = 0; i < sizeof rnd; i++)
		n += snprintf(id + n, sizeof id - (size_t)n, "%02x", rnd[i]);
	snprintf(when, sizeof when, "%lld", (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	const char *p[] = { id, when, rec };
	int rc = store_exec(s, "INSERT INTO audit_outbox (id, created_at, record) VALUES ($1, $2, $3)", 3, p, NULL, err);
	free(rec);
	return rc;
}

int audit_outbox_drain(struct store *s, struct audit_log *al, int max)
{
	struct store_rows r;
	char *err = NULL;
	char lim[16];
	snprintf(lim, sizeof lim, "%d", max);
	const char *lp = lim;
	if (store_exec(s, "SELECT id FROM audit_outbox ORDER BY created_at, id LIMIT $1", 1, &lp, &r, &err)) {
		log_error("reading the audit outbox: %s", err ? err : "store error");
		free(err);
		return -EIO;
	}
	int moved = 0, rc = 0;
	for (size_t i = 0; i < r.nrows && rc == 0; i++) {
		const char *id = store_value(&r, i, 0);
		struct store_rows c;
		/* claim it: with several instances exactly one gets each record */
		if (store_exec(s, "DELETE FROM audit_outbox WHERE id = $1 RETURNING record, created_at", 1, &id, &c, &err)) {
			log_error("claiming an audit outbox record: %s", err ? err : "store error");
			free(err);
			err = NULL;
			rc = -EIO;
			break;
		}
		if (c.nrows == 1) {
			json_error_t je;
			json_t *f = json_loads(store_value(&c, 0, 0), JSON_REJECT_DUPLICATES, &je);
			int wr = f && json_is_object(f) ? audit_log_record(al, f, true) : -EINVAL;
			if (wr == -EINVAL) {
				log_error("dropping a malformed audit outbox record %s: %s", id, store_value(&c, 0, 0));
			} else if (wr) {
				/* not in the log: put it back for the next try */
				const char *p[] = { id, store_value(&c, 0, 1), store_value(&c, 0, 0) };
				if (store_exec(s, "INSERT INTO audit_outbox (id, created_at, record) VALUES ($1, $2, $3)", 3, p,
					       NULL, &err))
					log_error("audit record lost (log and store failed): %s", store_value(&c, 0, 0));
				free(err);
				err = NULL;
				rc = wr;
			} else {
				moved++;
			}
			json_decref(f);
		}
		store_rows_free(&c);
	}
	store_rows_free(&r);
	return rc ? rc : moved;
}
