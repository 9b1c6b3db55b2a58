/* Prometheus metrics (see metrics.h). Shard counters are relaxed atomics
 * written only by their worker: a load and a store, no locked instruction. */
#include "audit/metrics.h"
#include "authz/mlflow_routes.h"
#include "core/mem.h"
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NMETHODS 8
#define NSTATUS 600
#define NBUCKETS 13

static const char *const methods[NMETHODS] = { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other" };
/* upper bounds in milliseconds; the last is +Inf */
static const uint64_t bucket_ms[NBUCKETS - 1] = { 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10000 };
static const char *const bucket_le[NBUCKETS] = { "0.001", "0.002", "0.005", "0.01", "0.025", "0.05", "0.1",
						 "0.25",  "0.5",   "1",     "2.5",  "10",   "+Inf" };
static const uint64_t audit_bucket_us[NBUCKETS - 1] = { 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000,
							 100000, 1000000 };
static const char *const audit_bucket_le[NBUCKETS] = { "0.00001", "0.00005", "0.0001", "0.00025", "0.0005",
						       "0.001",   "0.0025",  "0.005",  "0.01",    "0.025",
						       "0.1",     "1",       "+Inf" };
static const char *const auth_reasons[AF_COUNT] = { "missing", "malformed", "invalid_credentials", "invalid_token",
						    "locked_out" };
static const char *const counter_names[MC_COUNT][2] = {
	{ "mlgate_credential_cache_hits_total", "Verified-credential cache hits." },
	{ "mlgate_credential_cache_misses_total", "Credentials verified the slow way (hash or store)." },
	{ "mlgate_resolve_cache_hits_total", "Run/trace/model/name resolutions answered from the cache." },
	{ "mlgate_resolve_cache_misses_total", "Resolutions that asked MLflow." },
	{ "mlgate_upstream_connects_total", "New connections opened to MLflow." },
	{ "mlgate_upstream_reuses_total", "Requests sent on a pooled MLflow connection." },
	{ "mlgate_ip_denied_total", "Requests refused by network.ip_rules." },
	{ "mlgate_connections_total", "Client connections accepted." },
};

typedef _Atomic uint64_t counter;

struct hist {
	counter b[NBUCKETS];
	counter sum_ms;
	counter count;
};

struct shard {
	counter req[FAM_COUNT][NMETHODS][NSTATUS];
	struct hist total[FAM_COUNT];
	struct hist upstream[FAM_COUNT];
	counter c[MC_COUNT];
	counter limited[2][FAM_COUNT];
} __attribute__((aligned(64)));

struct metrics {
	int nshards;
	struct shard *shards;
	counter auth_fail[AF_COUNT];
	counter lockouts[2];
	counter audit_fail;
	counter audit_b[NBUCKETS];
	counter audit_sum_us;
	counter audit_count;
};

static inline void bump(counter *c, uint64_t by)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + by, memory_order_relaxed);
}

static inline uint64_t get(counter *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

struct metrics *metrics_new(int shards)
{
	struct metrics *m = mem_calloc(1, sizeof *m);
	m->nshards = shards > 0 ? shards : 1;
	m->shards = aligned_alloc(64, (size_t)m->nshards * sizeof *m->shards);
	if (m->shards == NULL)
		abort();
	memset(m->shards, 0, (size_t)m->nshards * sizeof *m->shards);
	return m;
}

void metrics_free(struct metrics *m)
{
	if (m) {
		free(m->shards);
		free(m);
	}
}

static int method_index(const char *method)
{
	for (int i = 0; i < NMETHODS - 1; i++)
		if (strcmp(methods[i], method) == 0)
			return i;
	return NMETHODS - 1;
}

static void observe(struct hist *h, uint64_t ms)
{
	int i = 0;
	while (i < NBUCKETS - 1 && ms > bucket_ms[i])
		i++;
	bump(&h->b[i], 1);
	bump(&h->sum_ms, ms);
	bump(&h->count, 1);
}

void metrics_request(struct metrics *m, int shard, int family, const char *method, int status, uint64_t total_ms,
		     int64_t upstream_ms)
{
	if (m == NULL || shard < 0 || shard >= m->nshards || family < 0 || family >= FAM_COUNT)
		return;
	struct shard *s = &m->shards[shard];
	if (status < 100 || status >= NSTATUS)
		status = 0;
	bump(&s->req[family][method_index(method)][status], 1);
	observe(&s->total[family], total_ms);
	if (upstream_ms >= 0)
		observe(&s->upstream[family], (uint64_t)upstream_ms);
}

void metrics_count(struct metrics *m, int shard, enum metric_counter c)
{
	if (m && shard >= 0 && shard < m->nshards)
		bump(&m->shards[shard].c[c], 1);
}

void metrics_rate_limited(struct metrics *m, int shard, int who, int family)
{
	if (m && shard >= 0 && shard < m->nshards && family >= 0 && family < FAM_COUNT)
		bump(&m->shards[shard].limited[who ? 1 : 0][family], 1);
}

void metrics_auth_failure(struct metrics *m, enum auth_failure_reason r)
{
	if (m)
		atomic_fetch_add_explicit(&m->auth_fail[r], 1, memory_order_relaxed);
}

void metrics_lockout(struct metrics *m, int by_address)
{
	if (m)
		atomic_fetch_add_explicit(&m->lockouts[by_address ? 1 : 0], 1, memory_order_relaxed);
}

void metrics_audit_write(struct metrics *m, uint64_t micros, int ok)
{
	if (m == NULL)
		return;
	if (!ok)
		atomic_fetch_add_explicit(&m->audit_fail, 1, memory_order_relaxed);
	int i = 0;
	while (i < NBUCKETS - 1 && micros > audit_bucket_us[i])
		i++;
	atomic_fetch_add_explicit(&m->audit_b[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->audit_sum_us, micros, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->audit_count, 1, memory_order_relaxed);
}

static void help(struct buf *out, const char *name, const char *type, const char *text)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

static void render_hist(struct metrics *m, struct buf *out, const char *name, const char *text, bool upstream)
{
	help(out, name, "histogram", text);
	for (int f = 0; f < FAM_COUNT; f++) {
		uint64_t b[NBUCKETS] = { 0 }, sum = 0, count = 0;
		for (int s = 0; s < m->nshards; s++) {
			struct hist *h = upstream ? &m->shards[s].upstream[f] : &m->shards[s].total[f];
			for (int i = 0; i < NBUCKETS; i++)
				b[i] += get(&h->b[i]);
			sum += get(&h->sum_ms);
			count += get(&h->count);
		}
		if (count == 0)
			continue;
		uint64_t cum = 0;
		for (int i = 0; i < NBUCKETS; i++) {
			cum += b[i];
			buf_printf(out, "%s_bucket{family=\"%s\",le=\"%s\"} %llu\n", name, mlflow_routes_family_name(f),
				   bucket_le[i], (unsigned long long)cum);
		}
		buf_printf(out, "%s_sum{family=\"%s\"} %.3f\n", name, mlflow_routes_family_name(f), (double)sum / 1000.0);
		buf_printf(out, "%s_count{family=\"%s\"} %llu\n", name, mlflow_routes_family_name(f),
			   (unsigned long long)count);
	}
}

void metrics_render(struct metrics *m, const struct metrics_gauges *g, struct buf *out)
{
	help(out, "mlgate_requests_total", "counter", "Requests answered, by route family, method and status.");
	for (int f = 0; f < FAM_COUNT; f++)
		for (int me = 0; me < NMETHODS; me++)
			for (int st = 0; st < NSTATUS; st++) {
				uint64_t n = 0;
				for (int s = 0; s < m->nshards; s++)
					n += get(&m->shards[s].req[f][me][st]);
				if (n)
					buf_printf(out, "mlgate_requests_total{family=\"%s\",method=\"%s\",status=\"%d\"} %llu\n",
						   mlflow_routes_family_name(f), methods[me], st, (unsigned long long)n);
			}
	render_hist(m, out, "mlgate_request_duration_seconds", "Time from the first byte of a request to its log line.",
		    false);
	render_hist(m, out, "mlgate_upstream_duration_seconds", "Time MLflow took (request sent to response end).", true);
	help(out, "mlgate_auth_failures_total", "counter", "Authentication failures by reason.");
	for (int r = 0; r < AF_COUNT; r++)
		buf_printf(out, "mlgate_auth_failures_total{reason=\"%s\"} %llu\n", auth_reasons[r],
			   (unsigned long long)get(&m->auth_fail[r]));
	help(out, "mlgate_lockouts_total", "counter", "Lockouts started, by what was locked.");
	buf_printf(out, "mlgate_lockouts_total{by=\"user\"} %llu\nmlgate_lockouts_total{by=\"address\"} %llu\n",
		   (unsigned long long)get(&m->lockouts[0]), (unsigned long long)get(&m->lockouts[1]));
	help(out, "mlgate_rate_limited_total", "counter", "Requests refused by rate_limits, by bucket owner and family.");
	for (int who = 0; who < 2; who++)
		for (int f = 0; f < FAM_COUNT; f++) {
			uint64_t n = 0;
			for (int s = 0; s < m->nshards; s++)
				n += get(&m->shards[s].limited[who][f]);
			if (n)
				buf_printf(out, "mlgate_rate_limited_total{by=\"%s\",family=\"%s\"} %llu\n",
					   who ? "ip" : "user", mlflow_routes_family_name(f), (unsigned long long)n);
		}
	for (int c = 0; c < MC_COUNT; c++) {
		uint64_t n = 0;
		for (int s = 0; s < m->nshards; s++)
			n += get(&m->shards[s].c[c]);
		help(out, counter_names[c][0], "counter", counter_names[c][1]);
		buf_printf(out, "%s %llu\n", counter_names[c][0], (unsigned long long)n);
	}
	help(out, "mlgate_audit_write_seconds", "histogram", "Audit log writes (append and commit) as they took.");
	uint64_t cum = 0;
	for (int i = 0; i < NBUCKETS; i++) {
		cum += get(&m->audit_b[i]);
		buf_printf(out, "mlgate_audit_write_seconds_bucket{le=\"%s\"} %llu\n", audit_bucket_le[i],
			   (unsigned long long)cum);
	}
	buf_printf(out, "mlgate_audit_write_seconds_sum %.6f\nmlgate_audit_write_seconds_count %llu\n",
		   (double)get(&m->audit_sum_us) / 1e6, (unsigned long long)get(&m->audit_count));
	help(out, "mlgate_audit_write_failures_total", "counter", "Audit log writes that failed.");
	buf_printf(out, "mlgate_audit_write_failures_total %llu\n", (unsigned long long)get(&m->audit_fail));
	help(out, "mlgate_connections", "gauge", "Client connections open.");
	buf_printf(out, "mlgate_connections %llu\n", (unsigned long long)g->connections);
	help(out, "mlgate_upstream_connections", "gauge", "Connections to MLflow, by state.");
	buf_printf(out, "mlgate_upstream_connections{state=\"idle\"} %llu\nmlgate_upstream_connections{state=\"busy\"} %llu\n",
		   (unsigned long long)g->upstream_idle, (unsigned long long)g->upstream_busy);
	help(out, "mlgate_workers", "gauge", "Worker threads.");
	buf_printf(out, "mlgate_workers %llu\n", (unsigned long long)g->workers);
	help(out, "mlgate_audit_log_up", "gauge", "1 when the audit log is writable, 0 when failed (absent when off).");
	if (g->audit_ok >= 0)
		buf_printf(out, "mlgate_audit_log_up %d\n", g->audit_ok);
}
