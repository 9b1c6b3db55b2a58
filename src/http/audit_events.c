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
	json_object_set_new(f, "ip", json_string(c->peer));
	json_object_set_new(f, "action", json_string(c->route->rpc));
	json_object_set_new(f, "method", json_string(c->ri.method));
	json_object_set_new(f, "path", json_string(c->ri.path ? c->ri.path : ""));
	json_t *res = authz_job_resources(c);
	if (res == NULL && c->body_buffered)
		res = created_resource(c);
	json_object_set_new(f, "resource", res ? res : json_null());
	return f;
}

static int write_record(struct conn *c, json_t *f)
{
	int rc = audit_log_record(c->w->srv->audit, f, false);
	if (rc != 0) {
		char *line = json_dumps(f, JSON_COMPACT | JSON_PRESERVE_ORDER);
		log_error("audit record not written: %s", line ? line : c->ri.request_id);
		free(line);
	}
	json_decref(f);
	return rc;
}

void audit_request_done(struct conn *c)
{
	struct audit_log *al = c->w->srv->audit;
	if (al == NULL || c->route == NULL || !audit_route_changes_state(c->route) || c->ri.status == 0)
		return;
	/* "done" follows the intent recorded before MLflow was asked; "refused"
	 * stands alone: nothing reached MLflow */
	json_t *f = base_fields(c, c->ri.upstream_used ? "done" : "refused");
	json_object_set_new(f, "outcome", json_pack("{s:i, s:s}", "status", c->ri.status, "by",
						  c->ri.upstream_used ? "mlflow" : "mlgate"));
	(void)write_record(c, f);
}

static void refuse(struct conn *c)
{
	c->keep_alive = c->keep_alive && c->req_body_done;
	errpage_send(c, 503, "TEMPORARILY_UNAVAILABLE",
		     "The audit log cannot be written: changes are refused until it can (audit.on_failure)", NULL);
}

bool audit_refuse_change(struct conn *c)
{
	struct audit_log *al = c->w->srv->audit;
	if (al == NULL || !audit_route_changes_state(c->route))
		return false;
	bool strict = c->rt->cfg->audit_on_failure == 0;
	if (strict && audit_log_failed(al)) {
		refuse(c);
		return true;
	}
	/* the intent, before MLflow is asked: no change without a record */
	if (write_record(c, base_fields(c, "intent")) != 0 && strict) {
		refuse(c);
		return true;
	}
	return false;
}
