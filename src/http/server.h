/* The serving process: listeners, worker threads (one libuv loop and one
 * SO_REUSEPORT listener set each), signals and reloads. */
#ifndef MG_SERVER_H
#define MG_SERVER_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>
#include "config/config.h"
#include "core/buf.h"
#include "http/block.h"
#include "http/h1_parse.h"
#include "http/runtime.h"
#include <jansson.h>

struct conn;
struct upstream;
struct auth_flight;
struct cred_cache;
struct access_log;
struct audit_log;
struct param_values;
struct resolve_cache;
struct resolve_fetch;
struct upfetch;
struct az_cache;
struct az_load;

struct listener {
	uv_tcp_t tcp;
	struct worker *w;
	int index;		/* into cfg->listen[] */
};

struct worker {
	int id;
	pthread_t thread;
	uv_loop_t loop;
	struct server *srv;
	struct listener listeners[CONFIG_MAX_LISTEN];
	size_t nlisteners;
	uv_async_t async;
	pthread_mutex_t mbox_lock;
	struct runtime *mbox_rt;	/* a new snapshot to adopt, or NULL */
	bool mbox_drain;		/* stop accepting and finish */
	struct runtime *rt;		/* current snapshot (owned reference) */
	struct conn *conns;		/* all client connections (list) */
	size_t nconns;
	struct upstream *idle;		/* pooled idle upstream connections */
	size_t nidle;
	size_t nup_open;		/* proxy connections to MLflow open (idle or in use) */
	struct block_pool blocks;
	struct auth_flight *flights;	/* credential verifications under way */
	struct cred_l1 {		/* lock-free first level of the Basic cache (1 s) */
		uint8_t key[32];
		uint64_t gen;
		uint64_t expires;
	} cred_l1[64];
	uint64_t cred_refreshed[64];	/* when a background refresh last started, per L1 slot */
	char reqid_prefix[17];
	uint64_t reqid_seq;
	bool draining;
	uv_timer_t drain_timer;
	struct h1_message req_msg;	/* parse scratch: requests (one at a time per loop) */
	struct h1_message resp_msg;	/* parse scratch: responses */
	struct buf head_scratch;	/* response heads are built here */
	struct param_values *params;	/* id-extraction scratch (large: allocated once) */
	struct resolve_cache *rcache;	/* MLflow's answers: run -> experiment, ... */
	struct resolve_fetch *fetches;	/* questions to MLflow under way */
	struct upfetch *upfetches;	/* the gateway's own requests to MLflow */
	struct upfetch *upf_idle;	/* their kept-alive connections */
	size_t upf_nidle;
	struct az_cache *azcache;	/* users' admin flags and grants */
	struct az_load *azloads;	/* loads of those under way */
	struct buf alog_pending;	/* access log lines not yet written */
	struct audit_queue {		/* audit records not yet written (one write per loop iteration) */
		struct buf members;	/* the records' JSON members, back to back */
		size_t *off;		/* record i is members[off[i] .. off[i + 1]) */
		struct conn **waiting;	/* the change that goes on once its intent is written, or NULL */
		size_t n, cap;
		unsigned tries;		/* turns the log was busy (another worker writing) */
	} aq;
	uv_idle_t audit_retry;		/* active while the queue waits for the log's lock */
	struct {			/* requests that go to MLflow once this iteration's callbacks are done */
		struct conn **c;
		size_t n, cap;
	} later;
	struct {			/* local answers written at once: finished after this iteration's callbacks */
		struct conn **c;
		unsigned *req;		/* the request each was queued for */
		size_t n, cap;
	} written;
	uv_prepare_t alog_flush;	/* writes them before the loop waits */
	uv_check_t audit_flush;		/* and the audit queue right after I/O callbacks */
};

struct server {
	struct config_overrides ov;
	struct runtime *rt;		/* what new workers and reloads start from */
	struct worker *workers;
	int nworkers;
	struct cred_cache *cache;	/* verified Basic credentials (auth.cache_ttl) */
	struct cred_cache *token_cache;	/* verified tokens, for one second */
	struct store *store;		/* identity store (users, groups, grants, tokens) */
	atomic_uint_least64_t gen_creds;	/* the store's "credentials" counter, polled */
	atomic_uint_least64_t gen_grants;	/* the store's "grants" counter, polled */
	uint64_t gen_polled_ms;
	struct access_log *alog;
	struct audit_log *audit;	/* NULL: audit.path off */
	struct metrics *metrics;	/* one shard per worker */
	struct slot_table *lockmarks;	/* keys known to be locked out (until, Unix ms) */
	struct admin_listener *admin;	/* metrics and health listener, or NULL */
	uv_timer_t audit_timer;		/* group commit, every 100 ms */
	uv_loop_t loop;			/* main thread: signals, file watching */
	uv_signal_t sig_hup, sig_term, sig_int, sig_usr1;
	uv_timer_t watch_timer;
	unsigned watch_ticks;
	bool stopping;
};

/* Runs the gateway until SIGTERM/SIGINT; returns the process exit code. */
int server_run(const struct config_overrides *ov);

/* Raises the counters the workers compare against to at least creds and
 * grants (a change this process made itself; the poll would see it later;
 * a raised credentials counter empties the verified-credential cache). */
void server_note_generations(struct server *srv, uint64_t creds, uint64_t grants);

/* Milliseconds on the monotonic clock (shared by all modules). */
uint64_t server_now_ms(void);

#endif
