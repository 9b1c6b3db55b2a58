/* Live counters for Prometheus: requests by route family, method and status,
 * latency histograms (whole request and MLflow's part) per family,
 * authentication failures by reason, lockouts, rate-limited and IP-denied
 * requests, cache hit rates, upstream pool use, audit write latency and
 * failures. Each worker writes its own shard (no atomic read-modify-write on
 * the request path); counters bumped from other threads (credential checks,
 * audit writes) are shared atomics. metrics_render sums the shards; gauges
 * are passed in by the caller. */
#ifndef MG_METRICS_H
#define MG_METRICS_H
#include <stdint.h>
#include "core/buf.h"

struct metrics;

enum metric_counter {
	MC_CRED_CACHE_HIT = 0,
	MC_CRED_CACHE_MISS,
	MC_RESOLVE_CACHE_HIT,
	MC_RESOLVE_CACHE_MISS,
	MC_UPSTREAM_CONNECT,		/* new connections to MLflow */
	MC_UPSTREAM_REUSE,		/* requests on a pooled one */
	MC_IP_DENIED,
	MC_CONNECTIONS,			/* accepted */
	MC_COUNT
};

enum auth_failure_reason {
	AF_MISSING = 0,			/* no credentials (the browser's first request) */
	AF_MALFORMED,
	AF_INVALID,			/* wrong password, unknown user */
	AF_INVALID_TOKEN,
	AF_LOCKED_OUT,
	AF_COUNT
};

struct metrics_gauges {
	uint64_t connections;		/* client connections open */
	uint64_t upstream_idle;		/* pooled idle MLflow connections */
	uint64_t upstream_busy;		/* MLflow connections in use */
	uint64_t workers;
	int audit_ok;			/* 1 usable, 0 failed, -1 off */
};

struct metrics *metrics_new(int shards);
void metrics_free(struct metrics *m);
/* Per shard: call only from the thread that owns the shard. */
void metrics_request(struct metrics *m, int shard, int family, const char *method, int status, uint64_t total_ms,
		     int64_t upstream_ms);
void metrics_count(struct metrics *m, int shard, enum metric_counter c);
void metrics_rate_limited(struct metrics *m, int shard, int who, int family);
/* Any thread. */
void metrics_auth_failure(struct metrics *m, enum auth_failure_reason r);
void metrics_lockout(struct metrics *m, int by_address);
void metrics_audit_write(struct metrics *m, uint64_t micros, int ok);
/* Appends the exposition text (format 0.0.4). */
void metrics_render(struct metrics *m, const struct metrics_gauges *g, struct buf *out);

#endif
