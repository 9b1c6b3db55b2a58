/* Security events of changes made outside a running gateway (the admin
 * commands: users, groups, grants, tokens, lockouts). Only the gateway may
 * append to its audit log (it holds the chain), so a command leaves its
 * record in the store's outbox and a running gateway moves it into its log
 * within a second (claiming each record with a DELETE ... RETURNING, so with
 * several instances on one PostgreSQL store each record lands in exactly one
 * log). Records wait in the store while no gateway runs. */
#ifndef MG_AUDIT_OUTBOX_H
#define MG_AUDIT_OUTBOX_H
#include <jansson.h>
#include "store/store.h"

struct audit_log;

/* Leaves a security record (fields: the record's keys in order; taken).
 * 0 or -EIO with *err. */
int audit_outbox_add(struct store *s, json_t *fields, char **err);
/* Moves up to max waiting records into al, oldest first, each written
 * durably. Returns how many were moved, or -errno (a record that could not
 * be written is put back). */
int audit_outbox_drain(struct store *s, struct audit_log *al, int max);

#endif
