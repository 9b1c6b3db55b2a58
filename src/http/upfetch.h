/* Requests of the gateway's own to MLflow (id resolution, search refills):
 * one short-lived HTTP/1.1 connection each ("Connection: close"), the answer
 * read to the end (bounded) and handed back whole. Loop-thread only. */
#ifndef MG_UPFETCH_H
#define MG_UPFETCH_H
#include <stddef.h>

struct worker;
struct runtime;

struct upfetch_result {
	int status;		/* MLflow's HTTP status; 0 when there is no answer */
	const char *why;	/* for status 0 */
	const char *body;	/* decoded body (valid during the callback) */
	size_t len;
};

typedef void (*upfetch_cb)(void *arg, const struct upfetch_result *r);

/* Sends method target (+ body as JSON when body != NULL) to rt's upstream.
 * extra_headers: complete "Name: value\r\n" lines or NULL. cb runs exactly
 * once, later, on the loop thread (also on shutdown, with status 0). */
void upfetch_start(struct worker *w, struct runtime *rt, const char *method, const char *target,
		   const char *extra_headers, const char *body, size_t len, upfetch_cb cb, void *arg);

/* Fails every request in flight (shutdown). */
void upfetch_abort_all(struct worker *w);

#endif
