/* Resolution of MLflow ids to what permissions are keyed by, asked of
 * MLflow itself (as its auth app asks its own store): a run, trace or logged
 * model to its experiment, an experiment name to its id and an id to its
 * name (for name patterns), and the GenAI resources (datasets, issues, label
 * schemas, review queues, prompt optimization jobs) to their experiments. Answers are kept in a bounded per-worker cache;
 * identical questions in flight share one upstream request. Loop-thread only. */
#ifndef MG_RESOLVE_H
#define MG_RESOLVE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct worker;
struct conn;

enum resolve_kind {
	RESOLVE_RUN = 0,		/* run id -> experiment id */
	RESOLVE_TRACE,			/* trace (request) id -> experiment id */
	RESOLVE_LOGGED_MODEL,		/* logged model id -> experiment id */
	RESOLVE_EXPERIMENT_NAME,	/* experiment name -> id */
	RESOLVE_EXPERIMENT_ID,		/* experiment id -> name */
	/* GenAI resources -> their experiments, as a list: "N:ID,ID" ("0:" none) */
	RESOLVE_DATASET,		/* evaluation dataset -> the experiments it is linked to */
	RESOLVE_ISSUE,
	RESOLVE_LABEL_SCHEMA,
	RESOLVE_REVIEW_QUEUE,
	RESOLVE_PROMPT_JOB,
	RESOLVE_KINDS
};

#define RESOLVE_MAX_KEY 512
#define RESOLVE_MAX_VALUE 512

enum resolve_status {
	RESOLVE_OK = 0,
	RESOLVE_NOT_FOUND,	/* MLflow does not know it: its own error is passed on */
	RESOLVE_FAILED,		/* MLflow unreachable, or an answer we cannot read */
};

struct resolve_result {
	enum resolve_status status;
	int http_status;		/* MLflow's, for NOT_FOUND */
	char value[RESOLVE_MAX_VALUE];
	char error_code[64];		/* MLflow's, for NOT_FOUND */
	char message[512];
};

/* The cache (entries and time-to-live per kind) is made on first use. */
void resolve_worker_free(struct worker *w);

/* A cached answer: true and out filled, or false. */
bool resolve_cached(struct worker *w, enum resolve_kind k, const char *key, char *out, size_t cap);

/* Asks MLflow; cb runs later on the loop thread with the connection pinned
 * meanwhile (it is not called for a connection closed in between). */
typedef void (*resolve_cb)(struct conn *c, const struct resolve_result *r);
void resolve_fetch(struct conn *c, enum resolve_kind k, const char *key, resolve_cb cb);

/* Extracts the answer from an MLflow JSON response body (pure; fuzzed):
 * 0 and value, or -EINVAL. */
/* Whether kind k answers with an experiment list ("N:ID,ID"). */
bool resolve_kind_is_list(enum resolve_kind k);
/* The i-th id of such a list into out: 0, or -ENOENT past its end. */
int resolve_list_item(const char *list, size_t i, char *out, size_t cap);
int resolve_parse_answer(enum resolve_kind k, const char *body, size_t len, char *value, size_t cap);

#endif
