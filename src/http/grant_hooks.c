/* Grant upkeep on successful creates, renames and deletes. MLflow's auth app
 * only removes the deleting user's own row on a model delete, so the others
 * re-attach to any future model of that name; here every grant on it goes. */
#include "http/grant_hooks.h"
#include "http/conn.h"
#include "authz/grants.h"
#include "authz/mlflow_params.h"
#include "authz/mlflow_routes.h"
#include "core/log.h"
#include "core/mem.h"
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum hook_kind { HOOK_NONE = 0, HOOK_CREATE_EXPERIMENT, HOOK_CREATE_MODEL, HOOK_RENAME_MODEL, HOOK_DELETE_MODEL };

struct hook_job {
	uv_work_t work;
	struct conn *c;
	struct store *store;
	enum hook_kind kind;
	char user[128];
	char *a, *b;
	int rc;
	char *err;
	long long gen;		/* the store's "grants" counter after the change */
};

static enum hook_kind kind_of(const struct mlflow_route *r)
{
	if (r == NULL)
		return HOOK_NONE;
	if (strcmp(r->rpc, "CreateExperiment") == 0)
		return HOOK_CREATE_EXPERIMENT;
	if (strcmp(r->rpc, "CreateRegisteredModel") == 0)
		return HOOK_CREATE_MODEL;
	if (strcmp(r->rpc, "RenameRegisteredModel") == 0)
		return HOOK_RENAME_MODEL;
	if (strcmp(r->rpc, "DeleteRegisteredModel") == 0)
		return HOOK_DELETE_MODEL;
	return HOOK_NONE;
}

bool grant_hooks_wanted(const struct mlflow_route *r)
{
	return kind_of(r) != HOOK_NONE;
}

static void hook_work(uv_work_t *req)
{
	struct hook_job *j = req->data;
	switch (j->kind) {
	case HOOK_CREATE_EXPERIMENT:
		j->rc = grants_set(j->store, PRINCIPAL_USER, j->user, RESOURCE_EXPERIMENT, j->a, LEVEL_MANAGE, &j->err);
		break;
	case HOOK_CREATE_MODEL:
		j->rc = grants_set(j->store, PRINCIPAL_USER, j->user, RESOURCE_MODEL, j->a, LEVEL_MANAGE, &j->err);
		break;
	case HOOK_RENAME_MODEL:
		j->rc = grants_rename_resource(j->store, RESOURCE_MODEL, j->a, j->b, &j->err);
		break;
	case HOOK_DELETE_MODEL:
		j->rc = grants_delete_resource(j->store, RESOURCE_MODEL, j->a, &j->err);
		break;
	default:
		break;
	}
	char *err = NULL;
	if (j->rc == 0 && store_generation_get(j->store, "grants", &j->gen, &err) != 0)
		j->gen = 0;
	free(err);
}

static void hook_done(uv_work_t *req, int status)
{
	struct hook_job *j = req->data;
	struct conn *c = j->c;
	if (status != 0 || j->rc != 0)
		log_error("grant upkeep after %s by \"%s\" on \"%s\" failed: %s request_id=%s",
			  c->route ? c->route->rpc : "?", j->user, j->a, j->err ? j->err : "store error", c->ri.request_id);
	else
		log_info("grants: %s \"%s\"%s%s by \"%s\" request_id=%s",
			 j->kind == HOOK_CREATE_EXPERIMENT ? "MANAGE to the creator of experiment"
			 : j->kind == HOOK_CREATE_MODEL ? "MANAGE to the creator of model"
			 : j->kind == HOOK_RENAME_MODEL ? "moved from model" : "removed with model",
			 j->a, j->b ? " to " : "", j->b ? j->b : "", j->user, c->ri.request_id);
	/* this gateway's workers see the change before the answer goes out (the
	 * main thread's poll would take up to 200 ms) */
	server_note_generations(c->w->srv, 0, (uint64_t)j->gen);
	if (c->state != CS_CLOSING)
		proxy_send_captured(c);
	conn_unpin(c);
	free(j->a);
	free(j->b);
	free(j->err);
	free(j);
}

/* One request field as MLflow reads it (either spelling), or NULL. */
static char *request_field(struct conn *c, const char *field)
{
	const char *q = strchr(c->ri.target, '?');
	const char *query = q ? q + 1 : "";
	const char *err = NULL;
	struct param_values *pv = c->w->params;
	if (mlflow_params_extract_body(c->ri.method, query, strlen(query), conn_params_body(c), field, pv, &err) ||
	    pv->n != 1)
		return NULL;
	return mem_strdup(pv->v[0]);
}

static char *answer_field(struct conn *c, const char *obj, const char *field)
{
	json_t *root = json_loadb(c->cap_body.data ? c->cap_body.data : "", c->cap_body.len, 0, NULL);
	json_t *v = obj ? json_object_get(json_object_get(root, obj), field) : json_object_get(root, field);
	char *out = NULL;
	if (json_is_string(v))
		out = mem_strdup(json_string_value(v));
	else if (json_is_integer(v)) {
		char tmp[32];
		snprintf(tmp, sizeof tmp, "%lld", (long long)json_integer_value(v));
		out = mem_strdup(tmp);
	}
	json_decref(root);
	return out;
}

void grant_hooks_after(struct conn *c)
{
	enum hook_kind k = kind_of(c->route);
	if (c->cap_status != 200 || k == HOOK_NONE) {
		proxy_send_captured(c);
		return;
	}
	struct hook_job *j = mem_calloc(1, sizeof *j);
	j->c = c;
	j->kind = k;
	j->store = c->w->srv->store;
	snprintf(j->user, sizeof j->user, "%s", c->ri.user);
	switch (k) {
	case HOOK_CREATE_EXPERIMENT:
		j->a = answer_field(c, NULL, "experiment_id");
		break;
	case HOOK_CREATE_MODEL:
		j->a = answer_field(c, "registered_model", "name");
		if (j->a == NULL)
			j->a = request_field(c, "name");
		break;
	case HOOK_RENAME_MODEL:
		j->a = request_field(c, "name");
		j->b = request_field(c, "new_name");
		break;
	default:
		j->a = request_field(c, "name");
		break;
	}
	if (j->a == NULL || (k == HOOK_RENAME_MODEL && j->b == NULL)) {
		log_error("grant upkeep after %s by \"%s\": cannot read the resource from the exchange request_id=%s",
			  c->route->rpc, j->user, c->ri.request_id);
		free(j->a);
		free(j->b);
		free(j);
		proxy_send_captured(c);
		return;
	}
	conn_pin(c);
	j->work.data = j;
	if (uv_queue_work(&c->w->loop, &j->work, hook_work, hook_done) != 0) {
		j->rc = -EIO;
		hook_done(&j->work, -1);
	}
}
