/* The audit log writer: one chained, authenticated record per line
 * (src/audit/audit_chain.h), appended under a lock from any thread. Records
 * marked durable are fsynced before the call returns; the others are
 * committed in groups (audit_log_commit, every 100 ms). After each commit a
 * head file ("<path>.head") names the last committed record, so a cut tail
 * is caught by `mlgate audit verify`. A failed write marks the log failed
 * (the gateway then refuses changes, audit.on_failure) until a write works. */
#ifndef MG_AUDIT_LOG_H
#define MG_AUDIT_LOG_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct audit_log;

/* Opens (creating 0600) the log at path and the key at key_path (32 random
 * bytes, created 0600 when missing; refused when others can read it), and
 * continues the chain from the log's last record. 0, or -errno with *err. */
int audit_log_open(const char *path, const char *key_path, struct audit_log **out, char **err);
/* Appends n records in order with one write(2). Returns 0 or -errno (then
 * none of them is in the file, and the log is failed). */
int audit_log_append(struct audit_log *al, json_t *const *fields, size_t n);
/* The same for records already serialised as JSON object members without
 * braces (audit_chain_append_raw): record i is members[off[i] .. off[i+1]).
 * The hot path: workers write their records outside the log's lock, which
 * then only chains, authenticates and writes. */
int audit_log_append_raw(struct audit_log *al, const char *members, const size_t *off, size_t n);
/* The same, but -EBUSY (and nothing done) while another thread is
 * appending: a worker that would sleep on the lock stalls every connection
 * it serves (on a busy 2-core machine, for ~90 us a time). */
int audit_log_try_append_raw(struct audit_log *al, const char *members, const size_t *off, size_t n);
/* Appends one record (fields: the record's keys, in order). Returns 0 or
 * -errno (the log is then failed). */
int audit_log_record(struct audit_log *al, json_t *fields, bool durable);
/* fsyncs what was appended since the last commit and writes the head. */
int audit_log_commit(struct audit_log *al);
/* Reopens the path (SIGUSR1 after rotation): the new file continues the chain. */
int audit_log_reopen(struct audit_log *al);
bool audit_log_failed(struct audit_log *al);
/* Copies every record written from now on to syslog (LOG_AUTHPRIV, tag
 * mlgate-audit) as well: a second place an intruder who can edit the file
 * must also reach. The file stays the record of truth. */
void audit_log_set_syslog(struct audit_log *al, bool on);
/* fn(ctx, microseconds, ok) after every append and every commit that had
 * something to sync (metrics). Set before other threads use the log. */
void audit_log_set_observer(struct audit_log *al, void (*fn)(void *ctx, uint64_t micros, int ok), void *ctx);
/* A security event (login, admin change, reload), written durably: call it
 * off the event loop where it can wait for the disk. details is taken
 * (may be NULL); strings may be NULL. Returns audit_log_record's result. */
int audit_log_security(struct audit_log *al, const char *action, const char *user, const char *auth,
		       const char *ip, const char *request_id, json_t *details, int status);
/* Now as "2026-11-26T16:00:00.123Z". */
void audit_time_now(char out[40]);
void audit_log_close(struct audit_log *al);

#endif
