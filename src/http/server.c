/* The serving process. The main thread owns signals, file watching and
 * reloads; N worker threads each run a libuv loop with their own
 * SO_REUSEPORT listeners, so connections never move between threads. A reload
 * builds a new runtime snapshot and posts it to every worker's mailbox. */
#include "http/server.h"
#include "http/admin_listen.h"
#include "audit/metrics.h"
#include "core/slot_table.h"
#include "authn/lockout.h"
#include "audit/audit_outbox.h"
#include "http/authz_stage.h"
#include "http/audit_events.h"
#include "http/resolve.h"
#include "http/upfetch.h"
#include "audit/access_log.h"
#include "audit/audit_log.h"
#include "authn/cred_cache.h"
#include "core/log.h"
#include "core/mem.h"
#include "http/conn.h"
#include "authz/mlflow_params.h"
#include "tls/tls_filter.h"
#include "store/store.h"
#include <sys/stat.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static atomic_int workers_done;

uint64_t server_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int resolve(const char *host, int port, int passive, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = passive ? AI_PASSIVE : 0 };
	struct addrinfo *res = NULL;
	char ps[16];
	snprintf(ps, sizeof ps, "%d", port);
	int rc = getaddrinfo(host, ps, &hints, &res);
	if (rc != 0 || res == NULL)
		return -EINVAL;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* Loads everything a snapshot needs; logs what is wrong and returns NULL. */
static struct runtime *build_runtime(const struct config_overrides *ov)
{
	struct config *cfg = config_load_or_report(ov);
	if (cfg == NULL)
		return NULL;
	struct buf warnings;
	buf_init(&warnings, 1 << 20);
	struct htpasswd *users = NULL;
	int rc = htpasswd_load(cfg->htpasswd, &users, &warnings);
	if (warnings.len)
		log_warn("%.*s", (int)warnings.len - 1, warnings.data);
	buf_free(&warnings);
	if (rc) {
		log_error("cannot read htpasswd file %s: %s", cfg->htpasswd, strerror(-rc));
		config_free(cfg);
		return NULL;
	}
	if (users->n == 0)
		log_warn("htpasswd file %s has no usable users: every login will fail", cfg->htpasswd);
	struct runtime *rt = runtime_new(cfg, users);
	for (size_t i = 0; i < cfg->nlisten; i++) {
		if (cfg->listen[i].cert == NULL)
			continue;
		char *err = NULL;
		if (tls_server_new(cfg->listen[i].cert, cfg->listen[i].key, &rt->tls[i], &err)) {
			log_error("listener %s: %s", cfg->listen[i].address, err);
			free(err);
			runtime_unref(rt);
			return NULL;
		}
	}
	socklen_t sl;
	if (resolve(cfg->upstream_host, cfg->upstream_port, 0, &rt->upstream_addr, &sl)) {
		log_error("upstream.url: cannot resolve %s", cfg->upstream_host);
		runtime_unref(rt);
		return NULL;
	}
	bool v6 = strchr(cfg->upstream_host, ':') != NULL;
	snprintf(rt->upstream_name, sizeof rt->upstream_name, v6 ? "[%s]:%d" : "%s:%d", cfg->upstream_host,
		 cfg->upstream_port);
	snprintf(rt->upstream_hosthdr, sizeof rt->upstream_hosthdr, "%s", cfg->upstream_host_header);
	return rt;
}

static int open_listener(const struct listen_cfg *l)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	if (resolve(l->host, l->port, 1, &ss, &sl))
		return -EINVAL;
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -errno;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, sl) == -1 || listen(fd, 4096) == -1) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static void on_connection(uv_stream_t *s, int status)
{
	struct listener *l = s->data;
	if (status < 0) {
		log_warn("accept: %s", uv_strerror(status));
		return;
	}
	conn_accept(l);
}

static void worker_handle_closed(uv_handle_t *h)
{
	(void)h;
}

/* What this turn's callbacks left for after them: local answers finished,
 * intents written (their changes then go to MLflow), requests sent. Run
 * after the I/O callbacks (check) and before the loop waits (prepare). */
static void end_of_turn(struct worker *w)
{
	conn_finish_written(w);
	audit_worker_flush(w, false);
	proxy_connect_queued(w);
}

static void on_audit_flush(uv_check_t *h)
{
	end_of_turn(h->data);
}

static void on_alog_flush(uv_prepare_t *p)
{
	struct worker *w = p->data;
	end_of_turn(w);
	if (w->alog_pending.len && w->srv->alog)
		access_log_flush(w->srv->alog, &w->alog_pending);
}

static void worker_finish(struct worker *w)
{
	on_alog_flush(&w->alog_flush);
	if (!uv_is_closing((uv_handle_t *)&w->alog_flush))
		uv_close((uv_handle_t *)&w->alog_flush, worker_handle_closed);
	audit_worker_flush(w, true);
	if (!uv_is_closing((uv_handle_t *)&w->audit_flush))
		uv_close((uv_handle_t *)&w->audit_flush, worker_handle_closed);
	if (!uv_is_closing((uv_handle_t *)&w->audit_retry))
		uv_close((uv_handle_t *)&w->audit_retry, worker_handle_closed);
	upstream_pool_close_all(w);
	upfetch_abort_all(w);
	if (!uv_is_closing((uv_handle_t *)&w->async))
		uv_close((uv_handle_t *)&w->async, worker_handle_closed);
	if (!uv_is_closing((uv_handle_t *)&w->drain_timer))
		uv_close((uv_handle_t *)&w->drain_timer, worker_handle_closed);
}

static void on_drain_timeout(uv_timer_t *t)
{
	struct worker *w = t->data;
	if (w->nconns)
		log_warn("worker %d: drain timeout, closing %zu connection(s)", w->id, w->nconns);
	struct conn *c = w->conns;
	while (c) {
		struct conn *next = c->next;
		conn_close(c);
		c = next;
	}
	worker_finish(w);
}

static void worker_start_drain(struct worker *w)
{
	if (w->draining)
		return;
	w->draining = true;
	for (size_t i = 0; i < w->nlisteners; i++)
		uv_close((uv_handle_t *)&w->listeners[i].tcp, worker_handle_closed);
	conn_close_idle(w);
	upstream_pool_close_all(w);
	uv_timer_start(&w->drain_timer, on_drain_timeout, w->rt->cfg->drain_timeout, 0);
}

static void on_worker_async(uv_async_t *a)
{
	struct worker *w = a->data;
	pthread_mutex_lock(&w->mbox_lock);
	struct runtime *rt = w->mbox_rt;
	bool drain = w->mbox_drain;
	w->mbox_rt = NULL;
	pthread_mutex_unlock(&w->mbox_lock);
	if (rt) {
		runtime_unref(w->rt);
		w->rt = rt;
	}
	if (drain)
		worker_start_drain(w);
	if (w->draining && w->nconns == 0)
		worker_finish(w);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uv_run(&w->loop, UV_RUN_DEFAULT);
	upstream_pool_close_all(w);
	uv_run(&w->loop, UV_RUN_DEFAULT);	/* let close callbacks run */
	authz_worker_free(w);
	resolve_worker_free(w);
	audit_worker_flush(w, true);
	buf_free(&w->aq.members);
	free(w->aq.off);
	free(w->aq.waiting);
	conn_finish_written(w);	/* their connections are closed: unpinned, freed */
	proxy_connect_queued(w);
	free(w->later.c);
	free(w->written.c);
	free(w->written.req);
	atomic_fetch_add(&workers_done, 1);
	return NULL;
}

static int worker_init(struct server *srv, struct worker *w, int id)
{
	w->id = id;
	w->srv = srv;
	uv_loop_init(&w->loop);
	pthread_mutex_init(&w->mbox_lock, NULL);
	uv_async_init(&w->loop, &w->async, on_worker_async);
	w->async.data = w;
	uv_timer_init(&w->loop, &w->drain_timer);
	w->drain_timer.data = w;
	buf_init(&w->alog_pending, 64 * 1024);
	buf_init(&w->head_scratch, 80 * 1024);
	w->params = mem_alloc(sizeof *w->params);
	uv_prepare_init(&w->loop, &w->alog_flush);
	w->alog_flush.data = w;
	uv_prepare_start(&w->alog_flush, on_alog_flush);
	uv_idle_init(&w->loop, &w->audit_retry);
	w->audit_retry.data = w;
	uv_check_init(&w->loop, &w->audit_flush);
	w->audit_flush.data = w;
	uv_check_start(&w->audit_flush, on_audit_flush);
	w->rt = runtime_ref(srv->rt);
	unsigned char rnd[8];
	RAND_bytes(rnd, sizeof rnd);
	for (int i = 0; i < 8; i++)
		snprintf(w->reqid_prefix + 2 * i, 3, "%02x", rnd[i]);
	const struct config *cfg = srv->rt->cfg;
	for (size_t i = 0; i < cfg->nlisten; i++) {
		int fd = open_listener(&cfg->listen[i]);
		if (fd < 0) {
			log_error("cannot listen on %s: %s", cfg->listen[i].address, strerror(-fd));
			return fd;
		}
		struct listener *l = &w->listeners[w->nlisteners++];
		l->w = w;
		l->index = (int)i;
		uv_tcp_init(&w->loop, &l->tcp);
		l->tcp.data = l;
		uv_tcp_open(&l->tcp, fd);
		int rc = uv_listen((uv_stream_t *)&l->tcp, 4096, on_connection);
		if (rc < 0) {
			log_error("cannot listen on %s: %s", cfg->listen[i].address, uv_strerror(rc));
			return rc;
		}
	}
	return 0;
}

static bool same_listeners(const struct config *a, const struct config *b)
{
	if (a->nlisten != b->nlisten)
		return false;
	for (size_t i = 0; i < a->nlisten; i++) {
		const struct listen_cfg *x = &a->listen[i], *y = &b->listen[i];
		if (strcmp(x->address, y->address) != 0 || (x->cert == NULL) != (y->cert == NULL) ||
		    x->redirect_https != y->redirect_https)
			return false;
	}
	return true;
}

static void publish(struct server *srv, struct runtime *rt)
{
	for (int i = 0; i < srv->nworkers; i++) {
		struct worker *w = &srv->workers[i];
		pthread_mutex_lock(&w->mbox_lock);
		if (w->mbox_rt)
			runtime_unref(w->mbox_rt);
		w->mbox_rt = runtime_ref(rt);
		pthread_mutex_unlock(&w->mbox_lock);
		uv_async_send(&w->async);
	}
	runtime_unref(srv->rt);
	srv->rt = rt;
}

static void reload(struct server *srv, const char *why)
{
	log_info("reloading (%s)", why);
	struct runtime *rt = build_runtime(&srv->ov);
	if (rt == NULL) {
		log_error("reload failed; still serving the previous configuration");
		return;
	}
	if (!same_listeners(srv->rt->cfg, rt->cfg)) {
		log_error("reload refused: listeners changed (restart mlgate to change listen)");
		runtime_unref(rt);
		return;
	}
	const struct config *nc = rt->cfg, *oc = srv->rt->cfg;
	if (strcmp(nc->access_log, oc->access_log) != 0 || nc->access_log_format != oc->access_log_format) {
		if (srv->alog && access_log_reopen(srv->alog, nc->access_log, nc->access_log_format))
			log_error("cannot open access log %s; keeping the old one", nc->access_log);
	}
	if (nc->log_level) {
		enum log_level lv;
		if (log_parse_level(nc->log_level, &lv) == 0)
			log_set_level(lv);
	}
	cred_cache_clear(srv->cache);
	cred_cache_clear(srv->token_cache);
	audit_log_set_syslog(srv->audit, nc->audit_syslog);
	publish(srv, rt);
	log_info("reloaded: %zu user(s) from %s", rt->users->n, rt->cfg->htpasswd);
	(void)audit_log_security(srv->audit, "ConfigReload", NULL, NULL, NULL, NULL, json_pack("{s:s}", "why", why),
				 200);
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct server *srv = s->data;
	switch (signum) {
	case SIGHUP:
		reload(srv, "SIGHUP");
		break;
	case SIGUSR1:
		if (srv->alog && access_log_reopen(srv->alog, srv->rt->cfg->access_log, srv->rt->cfg->access_log_format))
			log_error("cannot reopen access log %s", srv->rt->cfg->access_log);
		else
			log_info("access log reopened");
		if (srv->audit && audit_log_reopen(srv->audit) == 0)
			log_info("audit log reopened (the chain continues)");
		break;
	default:
		if (srv->stopping) {
			log_warn("second stop signal: exiting now");
			_exit(1);
		}
		log_info("stopping: draining connections (up to %llu ms)",
			 (unsigned long long)srv->rt->cfg->drain_timeout);
		srv->stopping = true;
		for (int i = 0; i < srv->nworkers; i++) {
			struct worker *w = &srv->workers[i];
			pthread_mutex_lock(&w->mbox_lock);
			w->mbox_drain = true;
			pthread_mutex_unlock(&w->mbox_lock);
			uv_async_send(&w->async);
		}
		break;
	}
}

static bool raise_to(atomic_uint_least64_t *a, uint64_t v)
{
	uint64_t cur = atomic_load(a);
	while (cur < v)
		if (atomic_compare_exchange_weak(a, &cur, v))
			return true;
	return false;
}

void server_note_generations(struct server *srv, uint64_t creds, uint64_t grants)
{
	if (raise_to(&srv->gen_creds, creds)) {
		cred_cache_clear(srv->cache);	/* a password changed: every cached success goes */
		slot_table_clear(srv->lockmarks);	/* and an operator may have lifted a lockout */
	}
	raise_to(&srv->gen_grants, grants);
}

/* The store's change counters: a change made by `mlgate user|group|grant`
 * or another instance empties the credential caches ("credentials") or the
 * workers' decision caches ("grants") within this tick. */
static void poll_generations(struct server *srv)
{
	long long v;
	char *err = NULL;
	if (store_generation_get(srv->store, "credentials", &v, &err) == 0)
		server_note_generations(srv, (uint64_t)v, 0);
	free(err);
	err = NULL;
	if (store_generation_get(srv->store, "grants", &v, &err) == 0)
		server_note_generations(srv, 0, (uint64_t)v);
	else
		log_error("reading the identity store's change counter failed: %s", err ? err : "store error");
	free(err);
}

static void observe_audit(void *ctx, uint64_t micros, int ok)
{
	metrics_audit_write(ctx, micros, ok);
}

static void prune_lockouts(struct server *srv)
{
	const struct config *cfg = srv->rt->cfg;
	struct lockout_params p = { .window = cfg->lockout_window, .max_duration = cfg->lockout_max_duration };
	char *err = NULL;
	if (lockout_prune(srv->store, defence_wall_ms(), &p, &p, &err))
		log_error("pruning lockout counters: %s", err ? err : "store error");
	free(err);
}

static void on_audit_commit(uv_timer_t *t)
{
	struct server *srv = t->data;
	(void)audit_log_commit(srv->audit);
}

static void on_watch(uv_timer_t *t)
{
	struct server *srv = t->data;
	if (srv->stopping) {
		if (atomic_load(&workers_done) == srv->nworkers)
			uv_stop(&srv->loop);
		return;
	}
	if (htpasswd_changed(srv->rt->users, srv->rt->cfg->htpasswd))
		reload(srv, "htpasswd file changed");
	poll_generations(srv);
	if (srv->audit)	/* what the admin commands changed, into the audit log */
		(void)audit_outbox_drain(srv->store, srv->audit, 100);
	if (++srv->watch_ticks % 300 == 0)	/* every minute */
		prune_lockouts(srv);
}

int server_run(const struct config_overrides *ov)
{
	struct server *srv = mem_calloc(1, sizeof *srv);
	srv->ov = *ov;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);	/* a file-size limit is an error to handle (the audit log), not death */
	srv->rt = build_runtime(ov);
	if (srv->rt == NULL)
		return 1;
	const struct config *cfg = srv->rt->cfg;
	enum log_level lv;
	if (cfg->log_level && log_parse_level(cfg->log_level, &lv) == 0)
		log_set_level(lv);
	int rc = access_log_open(cfg->access_log, cfg->access_log_format, &srv->alog);
	if (rc) {
		log_error("cannot open access log %s: %s", cfg->access_log, strerror(-rc));
		return 1;
	}
	srv->cache = cred_cache_new((size_t)cfg->cache_size, cfg->cache_ttl);
	srv->token_cache = cred_cache_new((size_t)cfg->cache_size, 1000);
	char *serr = NULL;
	if (strcmp(cfg->store, "sqlite:///./var/mlgate.db") == 0)
		mkdir("./var", 0700);	/* the embedded default, as for ./var/htpasswd */
	if (store_open(cfg->store, &srv->store, &serr)) {
		log_error("%s", serr ? serr : "cannot open the identity store");
		free(serr);
		return 1;
	}
	if (strcmp(cfg->audit_path, "off") != 0) {
		if (strncmp(cfg->audit_path, "./var/", 6) == 0 || strncmp(cfg->audit_key_file, "./var/", 6) == 0)
			mkdir("./var", 0700);
		if (audit_log_open(cfg->audit_path, cfg->audit_key_file, &srv->audit, &serr)) {
			log_error("%s", serr ? serr : "cannot open the audit log");
			free(serr);
			return 1;
		}
		audit_log_set_syslog(srv->audit, cfg->audit_syslog);
	}
	poll_generations(srv);
	srv->nworkers = cfg->workers > 0 ? cfg->workers : (int)uv_available_parallelism();
	srv->metrics = metrics_new(srv->nworkers);
	if (srv->audit)
		audit_log_set_observer(srv->audit, observe_audit, srv->metrics);
	srv->lockmarks = slot_table_new(16384);
	srv->workers = mem_calloc((size_t)srv->nworkers, sizeof *srv->workers);
	for (int i = 0; i < srv->nworkers; i++)
		if (worker_init(srv, &srv->workers[i], i))
			return 1;
	uv_loop_init(&srv->loop);
	if (cfg->admin_host && admin_listen_start(srv, cfg->admin_host, cfg->admin_port)) {
		uv_run(&srv->loop, UV_RUN_NOWAIT);
		return 1;
	}
	uv_signal_t *sigs[] = { &srv->sig_hup, &srv->sig_term, &srv->sig_int, &srv->sig_usr1 };
	int nums[] = { SIGHUP, SIGTERM, SIGINT, SIGUSR1 };
	for (int i = 0; i < 4; i++) {
		uv_signal_init(&srv->loop, sigs[i]);
		sigs[i]->data = srv;
		uv_signal_start(sigs[i], on_signal, nums[i]);
	}
	uv_timer_init(&srv->loop, &srv->watch_timer);
	srv->watch_timer.data = srv;
	uv_timer_start(&srv->watch_timer, on_watch, 1000, 200);
	uv_timer_init(&srv->loop, &srv->audit_timer);
	srv->audit_timer.data = srv;
	if (srv->audit)
		uv_timer_start(&srv->audit_timer, on_audit_commit, 100, 100);
	for (int i = 0; i < srv->nworkers; i++)
		pthread_create(&srv->workers[i].thread, NULL, worker_main, &srv->workers[i]);
	for (size_t i = 0; i < cfg->nlisten; i++)
		log_info("listening on %s%s%s, upstream %s%s%s, %d worker(s)", cfg->listen[i].address,
			 cfg->listen[i].cert ? " (TLS)" : "", cfg->listen[i].redirect_https ? " (redirect to https)" : "",
			 srv->rt->upstream_name, cfg->mount[0] ? " mounted at " : "", cfg->mount, srv->nworkers);
	uv_run(&srv->loop, UV_RUN_DEFAULT);
	for (int i = 0; i < srv->nworkers; i++) {
		struct worker *w = &srv->workers[i];
		pthread_join(w->thread, NULL);
		if (w->mbox_rt)
			runtime_unref(w->mbox_rt);
		runtime_unref(w->rt);
		uv_loop_close(&w->loop);
		block_pool_drain(&w->blocks);
		buf_free(&w->alog_pending);
		buf_free(&w->head_scratch);
		free(w->params);
		pthread_mutex_destroy(&w->mbox_lock);
	}
	admin_listen_stop(srv);
	for (int i = 0; i < 4; i++)
		uv_close((uv_handle_t *)sigs[i], NULL);
	uv_close((uv_handle_t *)&srv->watch_timer, NULL);
	uv_close((uv_handle_t *)&srv->audit_timer, NULL);
	uv_run(&srv->loop, UV_RUN_DEFAULT);
	uv_loop_close(&srv->loop);
	free(srv->workers);
	runtime_unref(srv->rt);
	cred_cache_free(srv->cache);
	cred_cache_free(srv->token_cache);
	store_close(srv->store);
	access_log_close(srv->alog);
	audit_log_close(srv->audit);
	metrics_free(srv->metrics);
	slot_table_free(srv->lockmarks);
	free(srv);
	log_info("stopped");
	return 0;
}
