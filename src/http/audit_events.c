/* Audit records of MLflow changes. The resource is what authorisation read
 * from the request (experiment, run, model name, trace, logged model), the
 * outcome MLflow's status or mlgate's refusal. Committed in groups (≤ 100
 * ms); the gateway's own security events are written durably where they
 * happen (src/http/admin_api.c). */
#include "http/audit_events.h"
#include "http/authz_stage.h"
#include "http/conn.h"
#include "audit/audit_log.h"
#include "authz/mlflow_params.h"
#include "authz/mlflow_routes.h"
#include "core/log.h"
#include "core/mem.h"
#include <jansson.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

bool audit_route_changes_state(const struct mlflow_route *r)
{
	if (r == NULL || strcmp(r->method, "GET") == 0 || r->resource == RES_GRAPHQL)
		return false;
	static const char *const reads[] = { "Search", "Get", "List", "BatchGet", "Calculate", "Query", "Auth",
					     "Mlgate" };
	for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++)
		if (strncmp(r->rpc, reads[i], strlen(reads[i])) == 0)
			return false;	/* reads (POST searches), and the admin API (audited where it acts) */
	return true;
}

static void iso_now(char out[32])
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	struct tm tm;
	gmtime_r(&tv.tv_sec, &tm);
	size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03dZ", (int)(tv.tv_usec / 1000));
}

/* Creates name no resource to authorise: the record names what they made. */
static json_t *created_resource(struct conn *c)
{
	const char *q = strchr(c->ri.target, '?');
	const char *err = NULL;
	struct param_values *pv = c->w->params;
	if (mlflow_params_extract(c->ri.method, q ? q + 1 : "", q ? strlen(q + 1) : 0, c->body.data ? c->body.data : "",
				  c->body.len, "name", pv, &err) || pv->n != 1)
		return NULL;
	const char *key = strstr(c->route->rpc, "RegisteredModel") ? "model"
			  : strstr(c->route->rpc, "Experiment") ? "experiment_name" : "name";
	json_t *o = json_pack("{s:[s]}", key, pv->v[0]);
	if (c->capture && c->cap_status == 200 && c->cap_body.len) {
		json_t *a = json_loadb(c->cap_body.data, c->cap_body.len, 0, NULL);
		json_t *id = json_object_get(a, "experiment_id");
		if (json_is_string(id))
			json_object_set_new(o, "experiment", json_pack("[s]", json_string_value(id)));
		json_decref(a);
	}
	return o;
}

/* The record's common fields. */
static json_t *base_fields(struct conn *c, const char *phase)
{
	char when[32];
	iso_now(when);
	json_t *f = json_object();
	json_object_set_new(f, "time", json_string(when));
	json_object_set_new(f, "event", json_string("mlflow"));
	json_object_set_new(f, "phase", json_string(phase));
	json_object_set_new(f, "request_id", json_string(c->ri.request_id));
	json_object_set_new(f, "user", json_string(c->ri.user));
	json_object_set_new(f, "auth", c->ri.auth ? json_string(c->ri.auth) : json_null());
	json_object_set_new(f, "ip", json_string(c->ri.client));
	json_object_set_new(f, "action", json_string(c->route->rpc));
	json_object_set_new(f, "method", json_string(c->ri.method));
	json_object_set_new(f, "path", json_string(c->ri.path ? c->ri.path : ""));
	json_t *res = authz_job_resources(c);
	if (res == NULL && c->body_buffered)
		res = created_resource(c);
	json_object_set_new(f, "resource", res ? res : json_null());
	return f;
}

static void enqueue(struct worker *w, json_t *f, struct conn *waiting)
{
	struct audit_queue *q = &w->aq;
	if (q->n == q->cap) {
		q->cap = q->cap ? 2 * q->cap : 64;
		q->fields = mem_realloc(q->fields, q->cap * sizeof *q->fields);
		q->waiting = mem_realloc(q->waiting, q->cap * sizeof *q->waiting);
	}
	q->fields[q->n] = f;
	q->waiting[q->n++] = waiting;
	if (waiting)
		conn_pin(waiting);
}

void audit_request_done(struct conn *c)
{
	struct audit_log *al = c->w->srv->audit;
	if (al == NULL || c->route == NULL || !audit_route_changes_state(c->route) || c->ri.status == 0)
		return;
	/* "done" follows the intent written before MLflow was asked; "refused"
	 * stands alone: nothing reached MLflow */
	json_t *f = base_fields(c, c->ri.upstream_used ? "done" : "refused");
	json_object_set_new(f, "outcome", json_pack("{s:i, s:s}", "status", c->ri.status, "by",
						  c->ri.upstream_used ? "mlflow" : "mlgate"));
	enqueue(c->w, f, NULL);
}

static void refuse(struct conn *c)
{
	c->keep_alive = c->keep_alive && c->req_body_done;
	errpage_send(c, 503, "TEMPORARILY_UNAVAILABLE",
		     "The audit log cannot be written: changes are refused until it can (audit.on_failure)", NULL);
}

void audit_intent_then_connect(struct conn *c)
{
	struct audit_log *al = c->w->srv->audit;
	if (al == NULL || !audit_route_changes_state(c->route)) {
		proxy_connect(c);
		return;
	}
	if (c->rt->cfg->audit_on_failure == 0 && audit_log_failed(al)) {
		refuse(c);
		return;
	}
	/* MLflow is asked once the intent is in the file (this loop iteration) */
	enqueue(c->w, base_fields(c, "intent"), c);
}

void audit_worker_flush(struct worker *w)
{
	struct audit_queue *q = &w->aq;
	if (q->n == 0)
		return;
	size_t n = q->n;
	q->n = 0;
	int rc = audit_log_append(w->srv->audit, q->fields, n);
	bool strict = w->rt->cfg->audit_on_failure == 0;
	for (size_t i = 0; i < n; i++) {
		struct conn *c = q->waiting[i];
		if (rc) {
			char *line = json_dumps(q->fields[i], JSON_COMPACT | JSON_PRESERVE_ORDER);
			log_error("audit record not written: %s", line ? line : "?");
			free(line);
		}
		json_decref(q->fields[i]);
		if (c == NULL)
			continue;
		if (c->state == CS_PROXY) {
			if (rc && strict)
				refuse(c);
			else
				proxy_connect(c);
		}
		conn_unpin(c);
	}
}
