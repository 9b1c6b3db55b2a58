/* Client connections and their proxied exchanges (internal to src/http). */
#ifndef MG_CONN_H
#define MG_CONN_H
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>
#include "core/buf.h"
#include "http/h1_chunked.h"
#include "http/h1_parse.h"
#include "http/server.h"
#include "authz/mlflow_params.h"
#include "authz/mlflow_routes.h"
#include "core/cidr.h"

struct tls_conn;
struct authz_job;

enum conn_state {
	CS_IDLE = 0,	/* between requests, waiting for a first byte */
	CS_HEAD,	/* receiving a request head */
	CS_AUTH,	/* credentials being verified off the loop */
	CS_PROXY,	/* exchange with the upstream under way */
	CS_LOCAL,	/* writing a response of our own */
	CS_LINGER,	/* answered and shut down: what the client still sends is read away */
	CS_CLOSING,
};

/* What the access log and error pages need about the current request; owned
 * copies, so the head buffer can be reused at once. */
struct req_info {
	char method[24];
	char *target;		/* as received */
	char *path;		/* after the mount, without the query */
	char *referer;
	char *user_agent;
	char *experiment_header;	/* X-MLflow-Experiment-Id (OTel trace ingest), or NULL */
	char *host;
	char request_id[72];
	char user[128];		/* authenticated user, "" if none */
	char attempted[128];	/* the name given with refused credentials (access log, as nginx's $remote_user) */
	const char *auth;	/* "password", "token" or NULL (static strings) */
	char client[64];	/* the client's address (behind trusted proxies: from X-Forwarded-For) */
	int family;		/* enum route_family, for metrics and rate limits */
	int minor_version;
	bool head;		/* HEAD request */
	bool wants_json;	/* API caller: error bodies in MLflow's JSON */
	bool artifact;		/* mlflow-artifacts route (body limit) */
	uint64_t start_ms;
	uint64_t upstream_start_ms;
	uint64_t upstream_end_ms;
	bool upstream_used;
	int status;
	uint64_t body_bytes_sent;
};

struct conn {
	uv_tcp_t tcp;
	uv_timer_t timer;
	struct worker *w;
	struct conn *next, *prev;	/* worker list */
	struct runtime *rt;		/* snapshot for the current request */
	int listener;			/* index into rt->cfg->listen[] */
	bool tls_listener;
	struct tls_conn *tls;
	char peer[64];			/* the socket's peer address, text */
	struct ipaddr peer_addr;
	struct ipaddr client_addr;	/* this request's client (ri.client) */
	enum conn_state state;
	int closes_pending;
	bool reading;			/* uv_read_start is active */
	bool client_eof;
	size_t linger_bytes;		/* read away in CS_LINGER */
	bool keep_alive;		/* for the current request */
	int pins;			/* async work (auth, health probe) holding a pointer */

	struct buf in;			/* request head and pipelined bytes */
	struct buf uphead;		/* the head to send upstream (without final CRLF) */
	struct req_info ri;
	unsigned requests;

	/* request body, client -> upstream */
	enum h1_framing req_framing;
	uint64_t req_remaining;
	uint64_t req_body_bytes;
	uint64_t req_body_limit;	/* 0: unlimited */
	struct h1_chunked req_chunked;
	bool req_body_done;
	bool req_discard;		/* MLflow answered early: read and drop the rest */
	bool head_sent;			/* request head is on its way to MLflow: body may follow */
	bool req_buffering;		/* collecting a JSON API body before going upstream */
	bool body_buffered;		/* the whole body is in c->body */
	bool req_cl_zero;		/* the client sent Content-Length: 0 */
	uint64_t req_content_length;	/* as the client framed it (H1_BODY_LENGTH) */
	struct buf body;		/* buffered JSON body (bounded) */
	struct params_body pbody;	/* its parse, shared by every field read (conn_params_body) */
	const struct mlflow_route *route;	/* the MLflow route matched by proxy_start, or NULL */
	struct route_match rmatch;	/* the match (points into ri.path) */
	bool authed;			/* an authenticated request (not a public path) */
	struct authz_job *az;		/* authorisation under way */
	bool expect_continue;

	/* response, upstream -> client */
	struct upstream *up;
	bool resp_head_done;
	bool resp_done;
	enum h1_framing resp_framing;	/* as received */
	bool resp_chunk_out;		/* we chunk toward the client */
	bool resp_close_out;		/* client body ends at close */
	uint64_t resp_remaining;
	struct h1_chunked resp_chunked;
	bool up_paused;			/* upstream reading stopped for back-pressure */
	/* capture: MLflow's answer is read whole (bounded), then cap_done runs
	 * (grant hooks) and sends it with proxy_send_captured */
	bool capture;
	bool cap_head_done;
	int cap_status;
	char cap_ctype[128];
	struct buf cap_body;
	void (*cap_done)(struct conn *c);
	bool retried;
};

struct upstream {
	uv_tcp_t tcp;
	uv_connect_t creq;
	uv_timer_t timer;
	struct worker *w;
	struct conn *c;			/* owner while in use, NULL while idle */
	struct upstream *next, *prev;	/* idle list */
	struct buf in;			/* response head */
	bool connected;
	bool reused;			/* came from the pool */
	bool reusable;
	bool reading;
	int closes_pending;
	uint64_t idle_since;
};

/* conn.c */
void conn_accept(struct listener *l);
void conn_write(struct conn *c, uv_buf_t *bufs, unsigned n, struct block *blk);
void conn_write_str(struct conn *c, const char *s, size_t len);
void conn_close(struct conn *c);
void conn_request_done(struct conn *c);
void conn_log_access(struct conn *c);
void conn_read_start(struct conn *c);
void conn_read_stop(struct conn *c);
void conn_set_timer(struct conn *c, uint64_t ms);
size_t conn_write_queue(struct conn *c);
void conn_after_auth(struct conn *c, const char *user);	/* user NULL: refused */
void conn_close_idle(struct worker *w);
/* Async work that keeps a pointer to c pins it; unpinning a closed conn frees it. */
/* The buffered body (empty when the request streams), parsed at most once
 * per request for MLflow parameters. */
struct params_body *conn_params_body(struct conn *c);
/* Finishes the local answers that were written whole within this loop
 * iteration (their requests end here, outside the writer's call chain). */
void conn_finish_written(struct worker *w);
void conn_pin(struct conn *c);
void conn_unpin(struct conn *c);

/* proxy.c */
void proxy_start(struct conn *c);
void proxy_client_body(struct conn *c, struct block *blk, const char *data, size_t len);
void proxy_client_drained(struct conn *c);
void proxy_abort(struct conn *c);
/* Authorised: contact MLflow and send the request. */
void proxy_connect(struct conn *c);
/* proxy_connect once this loop iteration's callbacks are done
 * (proxy_connect_queued), with the other requests read in it: MLflow, on
 * the same cores, then takes them in one turn instead of being woken for
 * each (measured on 2 cores: 5-9 % more requests a second). */
void proxy_connect_soon(struct conn *c);
void proxy_connect_queued(struct worker *w);
/* Sends the answer captured from MLflow (status, type and body as received). */
void proxy_send_captured(struct conn *c);
/* called by upstream.c for the connection's exchange */
void proxy_upstream_read(struct conn *c, struct block *blk, const char *data, size_t len);
void proxy_upstream_eof(struct conn *c, int status);
void proxy_upstream_timeout(struct conn *c);
void proxy_upstream_written(struct conn *c, int status);
void proxy_upstream_write_failed(struct conn *c, int status);

/* upstream.c */
typedef void (*upstream_ready_cb)(struct conn *c, int status);
void upstream_acquire(struct worker *w, struct conn *c, upstream_ready_cb cb);
void upstream_release(struct upstream *u);	/* back to the pool, or closed */
void upstream_close(struct upstream *u);
void upstream_pool_close_all(struct worker *w);
void upstream_write(struct upstream *u, uv_buf_t *bufs, unsigned n, struct block *blk);
size_t upstream_write_queue(struct upstream *u);
void upstream_read_start(struct upstream *u);
void upstream_read_stop(struct upstream *u);
void upstream_set_timer(struct upstream *u, uint64_t ms);

/* errpage.c */
/* A complete response of the gateway's own (ends the exchange with MLflow). */
void local_response(struct conn *c, int status, const char *ctype, const char *extra_headers, const char *body,
		    size_t len);
void errpage_send(struct conn *c, int status, const char *error_code, const char *message,
		  const char *extra_headers);

/* defence.c: what runs before and right after authentication */
/* Sets ri.client from the peer and X-Forwarded-For (trusted proxies only),
 * then applies network.ip_rules and the per-address rate limits. Returns 0
 * to go on, or -1 when it answered (403 or 429). */
int defence_before_auth(struct conn *c, const struct h1_message *m);
/* Per-user rate limits once the user is known: 0 to go on, -1 answered. */
int defence_after_auth(struct conn *c);
/* Whether a password login for user from c's client is locked out now
 * (memory marks only: the store is asked off the loop). Answers 429 and
 * returns true when it is. */
bool defence_locked(struct conn *c, const char *user);
/* Remembers that key ("user:NAME", "ip:KEY") is locked until (Unix ms). */
void defence_mark_locked(struct worker *w, const char *key, int64_t until);
/* Sends the 429 of a lockout: retry after until (Unix ms). */
void defence_send_locked(struct conn *c, int64_t until, bool by_address);
/* Unix time in milliseconds (lockouts are shared by instances: wall clock). */
int64_t defence_wall_ms(void);

#endif
