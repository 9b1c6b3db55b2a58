/* The access log: nginx "combined" plus $request_time,
 * $upstream_response_time and the request id (the seed's mlflow_access
 * fields), or one JSON object per line. Each worker batches whole lines and
 * writes them with one write(2) per loop iteration on an O_APPEND descriptor,
 * so lines from different workers never interleave. Never receives
 * credentials. */
#ifndef MG_ACCESS_LOG_H
#define MG_ACCESS_LOG_H
#include <stdint.h>
#include "config/config.h"
#include "core/buf.h"

struct access_log;

struct access_entry {
	const char *remote_addr;
	const char *user;		/* authenticated user or "" */
	const char *method;
	const char *target;
	int minor_version;
	int status;
	uint64_t body_bytes_sent;
	const char *referer;		/* may be NULL */
	const char *user_agent;		/* may be NULL */
	uint64_t request_time_ms;
	int64_t upstream_time_ms;	/* -1: no upstream */
	const char *request_id;
};

/* Opens path ("-" is stdout, "off" gives NULL with rc 0). Returns 0 or -errno. */
int access_log_open(const char *path, enum access_log_format fmt, struct access_log **out);
/* Reopens the file (SIGUSR1 after logrotate) or switches to another path and
 * format (reload) without changing the descriptor workers write to. */
int access_log_reopen(struct access_log *al, const char *path, enum access_log_format fmt);
/* Formats e into pending (a worker's batch, bounded); the batch is written
 * with access_log_flush, which the worker calls before its loop waits for
 * I/O, so lines reach the file within one loop iteration. */
void access_log_append(struct access_log *al, struct buf *pending, const struct access_entry *e);
void access_log_flush(struct access_log *al, struct buf *pending);
/* Formats one line (with '\n') into out; returns its length. For tests. */
size_t access_log_format_line(enum access_log_format fmt, const struct access_entry *e, int64_t now_sec,
			      char *out, size_t cap);
void access_log_close(struct access_log *al);

#endif
