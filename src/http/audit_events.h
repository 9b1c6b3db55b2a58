/* What goes into the audit log from the request path: for each
 * state-changing MLflow call (every route that is not a read) an "intent"
 * record before MLflow is asked and a "done" record with MLflow's status, or
 * one "refused" record when mlgate refused it; and the refusal of changes
 * while the audit log cannot be written (audit.on_failure: refuse). */
#ifndef MG_AUDIT_EVENTS_H
#define MG_AUDIT_EVENTS_H
#include <stdbool.h>

struct conn;
struct mlflow_route;

/* A route that changes something (not a search, get, list or GraphQL read). */
bool audit_route_changes_state(const struct mlflow_route *r);
/* At the end of a request (access-log time): records it when it was a change. */
void audit_request_done(struct conn *c);
/* Instead of proxy_connect for an authorised request: a change is queued
 * with its intent record and goes to MLflow once the worker's batch is
 * written (this loop iteration); 503 when the log cannot be written and
 * audit.on_failure is refuse, so nothing changes unaudited. */
void audit_intent_then_connect(struct conn *c);
/* Writes the worker's queued records (one write) and lets the waiting
 * changes go on; the worker calls it after its I/O callbacks and before its
 * loop waits. Unless wait, a log another worker is writing is tried again
 * on the loop's next turn (at most FLUSH_TRIES times, then waited for). */
struct worker;
void audit_worker_flush(struct worker *w, bool wait);

#endif
