/* One access-log line as `mlgate report` reads it, in any of the formats it
 * supports, told apart line by line:
 *   - nginx "combined":  ADDR - USER [TIME] "REQUEST" STATUS BYTES "REFERER" "UA"
 *   - the seed's nginx "mlflow_access": combined + $request_time $upstream_response_time
 *   - mlgate's text format: mlflow_access + the request id
 *   - JSON lines: mlgate's (access_log.format: json) and nginx JSON logs using
 *     nginx's variable names (remote_addr, remote_user, time_iso8601 or
 *     time_local, request or request_method + request_uri, status, ...).
 * Zero-copy: the record points into the line. Pure; fuzzed. */
#ifndef MG_LOG_LINE_H
#define MG_LOG_LINE_H
#include <stddef.h>
#include <stdint.h>

struct log_str {
	const char *p;
	size_t n;
};

enum log_format { LOG_FMT_COMBINED = 0, LOG_FMT_MLFLOW_ACCESS, LOG_FMT_MLGATE, LOG_FMT_JSON, LOG_FMT_COUNT };

struct log_rec {
	struct log_str addr;
	struct log_str user;		/* empty for "-" */
	int64_t time;			/* Unix seconds (UTC) */
	struct log_str method;		/* empty when the request line was unreadable */
	struct log_str path;		/* the target without its query */
	int status;
	uint64_t bytes;
	int64_t request_ms;		/* -1: not in the line */
	int64_t upstream_ms;		/* -1: not in the line, or "-" (no upstream) */
	enum log_format format;
};

/* The last time text read and its value at second 0: consecutive lines
 * mostly share their minute, so a reader keeps one of these and skips the
 * conversion. */
struct log_time_cache {
	char text[40];
	size_t n;
	int64_t value;
};

/* Parses line[0..len) (no newline). 0, or -EINVAL when it is none of the
 * formats (the caller counts it as skipped). tc may be NULL. */
int log_line_parse(const char *line, size_t len, struct log_rec *r, struct log_time_cache *tc);
/* "10/Oct/2000:13:55:36 -0700" (nginx $time_local) or ISO 8601
 * ("2026-11-26T16:00:00Z", "+01:00" offsets, fractions ignored) to Unix
 * seconds: 0 or -EINVAL. */
int log_line_time(const char *s, size_t n, int64_t *out);
const char *log_line_format_name(enum log_format f);

#endif
