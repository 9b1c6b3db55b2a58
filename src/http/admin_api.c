/* Users, permissions, groups, grants and tokens over HTTP. Who may do what:
 * user management is for administrators, except that users read and change
 * their own record (users/get, users/update-password) as in MLflow;
 * experiment and registered-model permissions need MANAGE on the resource;
 * tokens are one's own (administrators may act for anyone). MLflow's user
 * ids are integers; mlgate keys users by name, so "id"/"user_id" is a
 * stable 31-bit hash of the name. Every change goes through the same store
 * functions as the CLI, so it reaches every worker and instance within a
 * second. */
#include "http/admin_api.h"
#include "http/authz_stage.h"
#include "http/conn.h"
#include "http/resolve.h"
#include "authn/basic.h"
#include "authn/htpasswd.h"
#include "authn/tokens.h"
#include "authn/users.h"
#include "authz/grants.h"
#include "audit/audit_log.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/pct.h"
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum access { A_ADMIN = 0, A_SELF, A_MANAGE_EXPERIMENT, A_MANAGE_MODEL, A_ANY };

struct op {
	const char *rpc;
	enum access access;
};

static const struct op ops[] = {
	{ "AuthCreateUser", A_ADMIN },
	{ "AuthGetUser", A_SELF },
	{ "AuthUpdateUserPassword", A_SELF },
	{ "AuthUpdateUserAdmin", A_ADMIN },
	{ "AuthDeleteUser", A_ADMIN },
	{ "AuthListUsers", A_ADMIN },
	{ "AuthCreateExperimentPermission", A_MANAGE_EXPERIMENT },
	{ "AuthGetExperimentPermission", A_MANAGE_EXPERIMENT },
	{ "AuthUpdateExperimentPermission", A_MANAGE_EXPERIMENT },
	{ "AuthDeleteExperimentPermission", A_MANAGE_EXPERIMENT },
	{ "AuthCreateRegisteredModelPermission", A_MANAGE_MODEL },
	{ "AuthGetRegisteredModelPermission", A_MANAGE_MODEL },
	{ "AuthUpdateRegisteredModelPermission", A_MANAGE_MODEL },
	{ "AuthDeleteRegisteredModelPermission", A_MANAGE_MODEL },
	{ "MlgateWhoAmI", A_ANY },
	{ "MlgateListGroups", A_ADMIN },
	{ "MlgateCreateGroup", A_ADMIN },
	{ "MlgateDeleteGroup", A_ADMIN },
	{ "MlgateAddGroupMember", A_ADMIN },
	{ "MlgateRemoveGroupMember", A_ADMIN },
	{ "MlgateListGrants", A_ADMIN },
	{ "MlgateSetGrant", A_ADMIN },
	{ "MlgateRevokeGrant", A_ADMIN },
	{ "MlgateCreateToken", A_SELF },
	{ "MlgateListTokens", A_SELF },
	{ "MlgateRevokeToken", A_ANY },	/* own tokens; checked against the owner in the store */
};

struct api_job {
	uv_work_t work;
	struct conn *c;
	struct store *store;
	struct runtime *rt;
	const char *rpc;
	char caller[128];
	bool admin;
	json_t *params;
	/* answer */
	int status;
	const char *code;
	char msg[256];
	json_t *resp;
	long long gen_grants, gen_creds;
	struct audit_log *audit;	/* NULL: no audit log */
	char request_id[72], ip[64];
	const char *auth;
	bool audit_failed;		/* the change happened but its record could not be written */
};

/* Reads and lists change nothing; everything else is a security event. */
static bool changes(const char *rpc)
{
	return strncmp(rpc, "AuthGet", 7) != 0 && strncmp(rpc, "MlgateList", 10) != 0 &&
	       strcmp(rpc, "MlgateWhoAmI") != 0 && strcmp(rpc, "AuthListUsers") != 0;
}

/* The durable audit record of a change made through the API (on the thread
 * pool, before the answer goes out). Passwords never enter it. */
static void audit_change(struct api_job *j)
{
	if (j->audit == NULL || !changes(j->rpc))
		return;
	json_t *params = json_deep_copy(j->params);
	json_object_del(params, "password");
	if (audit_log_security(j->audit, j->rpc, j->caller, j->auth, j->ip, j->request_id, params, j->status) != 0)
		j->audit_failed = true;
}

/* ---- parameters ---- */

/* Query (GET) or JSON body: one object of parameters; NULL with *why. */
static json_t *read_params(struct conn *c, const char **why)
{
	if (strcmp(c->ri.method, "GET") == 0 || c->ri.head) {
		json_t *o = json_object();
		const char *q = strchr(c->ri.target, '?');
		const char *p = q ? q + 1 : "";
		char *k, *v;
		while (pct_query_next(&p, &k, &v)) {
			bool dup = json_object_get(o, k) != NULL;
			if (!dup && k[0])
				json_object_set_new(o, k, json_string(v));
			free(k);
			free(v);
			if (dup) {
				json_decref(o);
				*why = "Parameter given more than once";
				return NULL;
			}
		}
		return o;
	}
	if (c->body.len == 0)
		return json_object();
	json_t *o = json_loadb(c->body.data, c->body.len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		*why = "Request body must be a JSON object";
		return NULL;
	}
	return o;
}

static const char *pstr(json_t *params, const char *key)
{
	json_t *v = json_object_get(params, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* experiment_id may come as a number too */
static const char *pid(json_t *params, const char *key, char tmp[32])
{
	json_t *v = json_object_get(params, key);
	if (json_is_integer(v)) {
		snprintf(tmp, 32, "%lld", (long long)json_integer_value(v));
		return tmp;
	}
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* ---- answers ---- */

static void err(struct api_job *j, int status, const char *code, const char *msg)
{
	j->status = status;
	j->code = code;
	snprintf(j->msg, sizeof j->msg, "%s", msg);
}

static void missing(struct api_job *j, const char *param)
{
	char m[160];
	snprintf(m, sizeof m, "Missing value for required parameter '%s'", param);
	err(j, 400, "INVALID_PARAMETER_VALUE", m);
}

static long long user_id(const char *name)
{
	unsigned h = 2166136261u;
	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return (long long)(h & 0x7fffffff);
}

/* e is read after rc was computed (a pointer: argument order is unspecified). */
static bool store_err(struct api_job *j, int rc, char **ep, const char *what)
{
	char *e = *ep;
	*ep = NULL;
	if (rc == 0) {
		free(e);
		return false;
	}
	if (rc == -EEXIST)
		err(j, 400, "RESOURCE_ALREADY_EXISTS", what);
	else if (rc == -ENOENT)
		err(j, 404, "RESOURCE_DOES_NOT_EXIST", what);
	else if (rc == -EINVAL)
		err(j, 400, "INVALID_PARAMETER_VALUE", what);
	else {
		log_error("admin API: %s", e ? e : "store error");
		err(j, 500, "INTERNAL_ERROR", "identity store error");
	}
	free(e);
	return true;
}

static bool user_exists(struct api_job *j, const char *name, bool *is_admin)
{
	struct user_rec *u = mem_alloc(sizeof *u);
	char *e = NULL;
	int rc = users_get(j->store, name, u, &e);
	free(e);
	*is_admin = rc == 0 && u->is_admin;
	mem_wipe(u, sizeof *u);
	free(u);
	return rc == 0 || htpasswd_find(j->rt->users, name, strlen(name)) != NULL;
}

static json_t *user_json(struct api_job *j, const char *name)
{
	bool admin = false;
	if (!user_exists(j, name, &admin))
		return NULL;
	json_t *ep = json_array(), *mp = json_array();
	struct store_rows r;
	char *e = NULL;
	if (store_exec(j->store, "SELECT resource_kind, resource, level FROM grants WHERE principal_kind = 'user' AND "
		       "principal = $1 ORDER BY resource_kind, resource", 1, &name, &r, &e) == 0) {
		for (size_t i = 0; i < r.nrows; i++) {
			const char *k = store_value(&r, i, 0), *res = store_value(&r, i, 1), *lv = store_value(&r, i, 2);
			if (strcmp(k, "experiment") == 0)
				json_array_append_new(ep, json_pack("{s:s, s:I, s:s}", "experiment_id", res, "user_id",
								    (json_int_t)user_id(name), "permission", lv));
			else if (strcmp(k, "model") == 0)
				json_array_append_new(mp, json_pack("{s:s, s:I, s:s}", "name", res, "user_id",
								    (json_int_t)user_id(name), "permission", lv));
		}
		store_rows_free(&r);
	}
	free(e);
	return json_pack("{s:I, s:s, s:b, s:o, s:o}", "id", (json_int_t)user_id(name), "username", name, "is_admin",
			 admin, "experiment_permissions", ep, "registered_model_permissions", mp);
}

static int hash_password(struct api_job *j, const char *pw, char hash[128])
{
	if (pw == NULL || pw[0] == '\0') {
		missing(j, "password");
		return -1;
	}
	if (strlen(pw) > 72) {
		err(j, 400, "INVALID_PARAMETER_VALUE", "Password longer than 72 bytes (bcrypt's limit)");
		return -1;
	}
	if (htpasswd_hash_bcrypt(pw, 12, hash, 128)) {
		err(j, 500, "INTERNAL_ERROR", "cannot hash the password");
		return -1;
	}
	return 0;
}

/* experiments/permissions and registered-models/permissions, all four verbs */
static void permission_op(struct api_job *j, enum resource_kind rk, char verb)
{
	char tmp[32];
	const char *idkey = rk == RESOURCE_EXPERIMENT ? "experiment_id" : "name";
	const char *res = rk == RESOURCE_EXPERIMENT ? pid(j->params, idkey, tmp) : pstr(j->params, idkey);
	const char *user = pstr(j->params, "username");
	const char *perm = pstr(j->params, "permission");
	if (!res || !res[0]) {
		missing(j, idkey);
		return;
	}
	if (!user || !user[0]) {
		missing(j, "username");
		return;
	}
	enum perm_level lv = LEVEL_READ;
	if ((verb == 'c' || verb == 'u') && (!perm || level_parse(perm, &lv))) {
		err(j, 400, "INVALID_PARAMETER_VALUE", "permission must be one of READ, EDIT, MANAGE, NO_PERMISSIONS");
		return;
	}
	bool admin;
	if (!user_exists(j, user, &admin)) {
		err(j, 404, "RESOURCE_DOES_NOT_EXIST", "User not found");
		return;
	}
	enum perm_level cur;
	char *e = NULL;
	int rc = grants_get(j->store, PRINCIPAL_USER, user, rk, res, &cur, &e);
	if (rc != 0 && rc != -ENOENT) {
		store_err(j, rc, &e, "");
		return;
	}
	free(e);
	e = NULL;
	bool exists = rc == 0;
	const char *wrap = rk == RESOURCE_EXPERIMENT ? "experiment_permission" : "registered_model_permission";
	switch (verb) {
	case 'c':
		if (exists) {
			err(j, 400, "RESOURCE_ALREADY_EXISTS", "Permission already exists");
			return;
		}
		/* fall through */
	case 'u':
		if (verb == 'u' && !exists) {
			err(j, 404, "RESOURCE_DOES_NOT_EXIST", "Permission not found");
			return;
		}
		if (store_err(j, grants_set(j->store, PRINCIPAL_USER, user, rk, res, lv, &e), &e, ""))
			return;
		j->resp = verb == 'c' ? json_pack("{s:{s:s, s:I, s:s}}", wrap, idkey, res, "user_id",
						  (json_int_t)user_id(user), "permission", level_name(lv))
				      : json_object();
		return;
	case 'g':
		if (!exists) {
			err(j, 404, "RESOURCE_DOES_NOT_EXIST", "Permission not found");
			return;
		}
		j->resp = json_pack("{s:{s:s, s:I, s:s}}", wrap, idkey, res, "user_id", (json_int_t)user_id(user),
				    "permission", level_name(cur));
		return;
	default:
		if (store_err(j, grants_revoke(j->store, PRINCIPAL_USER, user, rk, res, &e), &e, "Permission not found"))
			return;
		j->resp = json_object();
	}
}

static int principal_of(const char *p, enum principal_kind *pk, const char **name)
{
	if (p == NULL || p[0] == '\0' || (p[0] == '@' && p[1] == '\0'))
		return -EINVAL;
	*pk = p[0] == '@' ? PRINCIPAL_GROUP : PRINCIPAL_USER;
	*name = p[0] == '@' ? p + 1 : p;
	return 0;
}

static void run_op(struct api_job *j)
{
	const char *rpc = j->rpc;
	json_t *P = j->params;
	char *e = NULL;
	char hash[128];
	j->status = 200;
	if (strcmp(rpc, "AuthCreateUser") == 0) {
		const char *u = pstr(P, "username");
		if (!u || !u[0]) {
			missing(j, "username");
			return;
		}
		if (hash_password(j, pstr(P, "password"), hash))
			return;
		if (htpasswd_find(j->rt->users, u, strlen(u))) {
			err(j, 400, "RESOURCE_ALREADY_EXISTS", "User already exists (in the htpasswd file)");
			return;
		}
		if (store_err(j, users_add(j->store, u, hash, false, &e), &e, "User already exists or invalid name"))
			return;
		j->resp = json_pack("{s:o}", "user", user_json(j, u));
	} else if (strcmp(rpc, "AuthGetUser") == 0 || strcmp(rpc, "MlgateWhoAmI") == 0) {
		const char *u = rpc[0] == 'M' ? j->caller : pstr(P, "username");
		if (!u || !u[0]) {
			missing(j, "username");
			return;
		}
		json_t *uj = user_json(j, u);
		if (uj == NULL) {
			err(j, 404, "RESOURCE_DOES_NOT_EXIST", "User not found");
			return;
		}
		if (rpc[0] == 'M') {
			struct store_rows r;
			json_t *groups = json_array();
			if (groups_of(j->store, u, &r, &e) == 0) {
				for (size_t i = 0; i < r.nrows; i++)
					json_array_append_new(groups, json_string(store_value(&r, i, 0)));
				store_rows_free(&r);
			}
			free(e);
			json_object_set_new(uj, "groups", groups);
			j->resp = uj;
		} else {
			j->resp = json_pack("{s:o}", "user", uj);
		}
	} else if (strcmp(rpc, "AuthUpdateUserPassword") == 0) {
		const char *u = pstr(P, "username");
		if (!u || !u[0]) {
			missing(j, "username");
			return;
		}
		if (htpasswd_find(j->rt->users, u, strlen(u))) {
			err(j, 400, "INVALID_PARAMETER_VALUE", "This user's password is kept in the htpasswd file");
			return;
		}
		if (hash_password(j, pstr(P, "password"), hash))
			return;
		if (store_err(j, users_set_password(j->store, u, hash, &e), &e, "User not found"))
			return;
		j->resp = json_object();
	} else if (strcmp(rpc, "AuthUpdateUserAdmin") == 0) {
		const char *u = pstr(P, "username");
		json_t *a = json_object_get(P, "is_admin");
		bool on = json_is_true(a) || (json_is_string(a) && strcasecmp(json_string_value(a), "true") == 0);
		if (!u || !u[0] || a == NULL) {
			missing(j, u && u[0] ? "is_admin" : "username");
			return;
		}
		bool in_htp = htpasswd_find(j->rt->users, u, strlen(u)) != NULL;
		if (store_err(j, users_set_admin(j->store, u, on, in_htp, &e), &e, "User not found"))
			return;
		j->resp = json_object();
	} else if (strcmp(rpc, "AuthDeleteUser") == 0) {
		const char *u = pstr(P, "username");
		if (!u || !u[0]) {
			missing(j, "username");
			return;
		}
		if (store_err(j, users_delete(j->store, u, &e), &e, "User not found"))
			return;
		j->resp = json_object();
	} else if (strcmp(rpc, "AuthListUsers") == 0) {
		struct store_rows r;
		if (store_err(j, users_list(j->store, &r, &e), &e, ""))
			return;
		json_t *arr = json_array();
		for (size_t i = 0; i < r.nrows; i++) {
			json_t *uj = user_json(j, store_value(&r, i, 0));
			if (uj)
				json_array_append_new(arr, uj);
		}
		store_rows_free(&r);
		j->resp = json_pack("{s:o}", "users", arr);
	} else if (strncmp(rpc, "AuthCreate", 10) == 0 || strncmp(rpc, "AuthGet", 7) == 0 ||
		   strncmp(rpc, "AuthUpdate", 10) == 0 || strncmp(rpc, "AuthDelete", 10) == 0) {
		char verb = rpc[4] == 'C' ? 'c' : rpc[4] == 'G' ? 'g' : rpc[4] == 'U' ? 'u' : 'd';
		permission_op(j, strstr(rpc, "Experiment") ? RESOURCE_EXPERIMENT : RESOURCE_MODEL, verb);
	} else if (strcmp(rpc, "MlgateListGroups") == 0) {
		struct store_rows r;
		if (store_err(j, groups_list(j->store, &r, &e), &e, ""))
			return;
		json_t *arr = json_array(), *cur = NULL;
		const char *curname = NULL;
		for (size_t i = 0; i < r.nrows; i++) {
			const char *g = store_value(&r, i, 0), *m = store_value(&r, i, 1);
			if (curname == NULL || strcmp(curname, g) != 0) {
				cur = json_array();
				json_array_append_new(arr, json_pack("{s:s, s:o}", "name", g, "members", cur));
				curname = g;
			}
			if (m)
				json_array_append_new(cur, json_string(m));
		}
		j->resp = json_pack("{s:o}", "groups", arr);
		store_rows_free(&r);
	} else if (strcmp(rpc, "MlgateCreateGroup") == 0 || strcmp(rpc, "MlgateDeleteGroup") == 0) {
		const char *g = pstr(P, "name");
		if (!g || !g[0]) {
			missing(j, "name");
			return;
		}
		int rc = rpc[6] == 'C' ? groups_add(j->store, g, &e) : groups_delete(j->store, g, &e);
		if (store_err(j, rc, &e, rpc[6] == 'C' ? "Group already exists" : "Group not found"))
			return;
		j->resp = json_object();
	} else if (strcmp(rpc, "MlgateAddGroupMember") == 0 || strcmp(rpc, "MlgateRemoveGroupMember") == 0) {
		const char *g = pstr(P, "group"), *u = pstr(P, "username");
		if (!g || !u || !g[0] || !u[0]) {
			missing(j, !g || !g[0] ? "group" : "username");
			return;
		}
		int rc = rpc[6] == 'A' ? groups_member_add(j->store, g, u, &e) : groups_member_del(j->store, g, u, &e);
		if (store_err(j, rc, &e, rpc[6] == 'A' ? "No such group, or already a member" : "No such membership"))
			return;
		j->resp = json_object();
	} else if (strcmp(rpc, "MlgateListGrants") == 0) {
		struct store_rows r;
		if (store_err(j, grants_list(j->store, &r, &e), &e, ""))
			return;
		json_t *arr = json_array();
		for (size_t i = 0; i < r.nrows; i++) {
			char who[260];
			snprintf(who, sizeof who, "%s%s", strcmp(store_value(&r, i, 0), "group") == 0 ? "@" : "",
				 store_value(&r, i, 1));
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}", "principal", who, "kind",
							     store_value(&r, i, 2), "resource", store_value(&r, i, 3),
							     "permission", store_value(&r, i, 4)));
		}
		store_rows_free(&r);
		j->resp = json_pack("{s:o}", "grants", arr);
	} else if (strcmp(rpc, "MlgateSetGrant") == 0 || strcmp(rpc, "MlgateRevokeGrant") == 0) {
		enum principal_kind pk;
		enum resource_kind rk;
		enum perm_level lv = LEVEL_READ;
		const char *who, *res = pstr(P, "resource"), *perm = pstr(P, "permission");
		if (principal_of(pstr(P, "principal"), &pk, &who) || policy_parse_resource_kind(pstr(P, "kind") ? pstr(P, "kind")
												: "", &rk) ||
		    !res || !res[0] || (rpc[6] == 'S' && (!perm || level_parse(perm, &lv)))) {
			err(j, 400, "INVALID_PARAMETER_VALUE",
			    "expected principal (user or @group), kind (experiment, model, pattern), resource, permission");
			return;
		}
		int rc = rpc[6] == 'S' ? grants_set(j->store, pk, who, rk, res, lv, &e)
				       : grants_revoke(j->store, pk, who, rk, res, &e);
		if (store_err(j, rc, &e, rpc[6] == 'S' ? "No such group" : "No such grant"))
			return;
		j->resp = json_object();
	} else if (strcmp(rpc, "MlgateCreateToken") == 0) {
		const char *u = pstr(P, "username") ? pstr(P, "username") : j->caller;
		const char *name = pstr(P, "name");
		json_t *days = json_object_get(P, "expires_in_days");
		if (!name || !name[0]) {
			missing(j, "name");
			return;
		}
		if (days && (!json_is_integer(days) || json_integer_value(days) <= 0 || json_integer_value(days) > 3650)) {
			err(j, 400, "INVALID_PARAMETER_VALUE", "expires_in_days must be between 1 and 3650");
			return;
		}
		int64_t exp = days ? (int64_t)time(NULL) + (int64_t)json_integer_value(days) * 86400 : 0;
		char tok[TOKEN_MAX];
		if (store_err(j, tokens_create(j->store, u, name, exp, tok, &e), &e, "A token of that name exists"))
			return;
		char id[17];
		snprintf(id, sizeof id, "%.16s", tok + 4);
		j->resp = json_pack("{s:s, s:s, s:s, s:s, s:I}", "token", tok, "id", id, "name", name, "username", u,
				    "expires_at", (json_int_t)exp);
		mem_wipe(tok, sizeof tok);
	} else if (strcmp(rpc, "MlgateListTokens") == 0) {
		const char *u = pstr(P, "username") ? pstr(P, "username") : j->caller;
		struct store_rows r;
		if (store_err(j, tokens_list(j->store, u, &r, &e), &e, ""))
			return;
		json_t *arr = json_array();
		for (size_t i = 0; i < r.nrows; i++) {
			json_t *t = json_pack("{s:s, s:s, s:s}", "id", store_value(&r, i, 0), "username",
					      store_value(&r, i, 1), "name", store_value(&r, i, 2));
			const char *keys[] = { "created_at", "expires_at", "last_used", "revoked_at" };
			for (int k = 0; k < 4; k++) {
				const char *v = store_value(&r, i, 3 + (size_t)k);
				json_object_set_new(t, keys[k], v ? json_integer(atoll(v)) : json_null());
			}
			json_array_append_new(arr, t);
		}
		store_rows_free(&r);
		j->resp = json_pack("{s:o}", "tokens", arr);
	} else if (strcmp(rpc, "MlgateRevokeToken") == 0) {
		const char *id = pstr(P, "id");
		if (!id || !id[0]) {
			missing(j, "id");
			return;
		}
		if (!j->admin) {	/* only one's own */
			struct store_rows r;
			const char *p[] = { id };
			if (store_exec(j->store, "SELECT username FROM tokens WHERE id = $1", 1, p, &r, &e) != 0) {
				store_err(j, -EIO, &e, "");
				return;
			}
			bool own = r.nrows == 1 && strcmp(store_value(&r, 0, 0), j->caller) == 0;
			store_rows_free(&r);
			if (!own) {
				err(j, 404, "RESOURCE_DOES_NOT_EXIST", "Token not found");
				return;
			}
		}
		if (store_err(j, tokens_revoke(j->store, id, &e), &e, "Token not found"))
			return;
		j->resp = json_object();
	} else {
		err(j, 404, "ENDPOINT_NOT_FOUND", "Unknown endpoint");
	}
}

static void api_work(uv_work_t *req)
{
	struct api_job *j = req->data;
	run_op(j);
	if (j->status < 400)
		audit_change(j);
	char *e = NULL;
	if (store_generation_get(j->store, "grants", &j->gen_grants, &e))
		j->gen_grants = 0;
	free(e);
	e = NULL;
	if (store_generation_get(j->store, "credentials", &j->gen_creds, &e))
		j->gen_creds = 0;
	free(e);
}

static void api_done(uv_work_t *req, int status)
{
	struct api_job *j = req->data;
	struct conn *c = j->c;
	server_note_generations(c->w->srv, (uint64_t)j->gen_creds, (uint64_t)j->gen_grants);
	if (c->state != CS_CLOSING) {
		if (status != 0)
			errpage_send(c, 503, "TEMPORARILY_UNAVAILABLE", "Try again shortly", NULL);
		else if (j->resp) {
			char *s = json_dumps(j->resp, JSON_COMPACT);
			local_response(c, 200, "application/json", NULL, s, strlen(s));
			free(s);
		} else {
			errpage_send(c, j->status, j->code, j->msg, NULL);
		}
		if (j->status < 400 && changes(j->rpc))
			log_info("admin API: %s by \"%s\" request_id=%s", j->rpc, j->caller, c->ri.request_id);
		if (j->audit_failed)
			log_error("admin API: %s by \"%s\" was done but its audit record could not be written "
				  "request_id=%s", j->rpc, j->caller, c->ri.request_id);
	}
	json_decref(j->params);
	json_decref(j->resp);
	runtime_unref(j->rt);
	conn_unpin(c);
	free(j);
}

void admin_api_start(struct conn *c, struct az_user *u)
{
	const char *rpc = c->route->rpc;
	const struct op *op = NULL;
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (strcmp(ops[i].rpc, rpc) == 0)
			op = &ops[i];
	bool admin = authz_user_is_admin(u);
	const char *why = NULL;
	json_t *params = op ? read_params(c, &why) : NULL;
	c->keep_alive = c->keep_alive && c->req_body_done;
	if (op == NULL || params == NULL) {
		authz_user_release(u);
		errpage_send(c, op ? 400 : 404, op ? "INVALID_PARAMETER_VALUE" : "ENDPOINT_NOT_FOUND",
			     op ? why : "Unknown endpoint", NULL);
		return;
	}
	/* who may */
	bool ok = admin;
	if (!ok) {
		char tmp[32];
		const char *target = pstr(params, "username");
		switch (op->access) {
		case A_ANY:
			ok = true;
			break;
		case A_SELF:
			ok = target == NULL ? strncmp(rpc, "Mlgate", 6) == 0 : strcmp(target, c->ri.user) == 0;
			break;
		case A_MANAGE_EXPERIMENT: {
			const char *id = pid(params, "experiment_id", tmp);
			char name[RESOLVE_MAX_VALUE];
			bool named = id && resolve_cached(c->w, RESOLVE_EXPERIMENT_ID, id, name, sizeof name);
			ok = id && authz_level(c, u, RESOURCE_EXPERIMENT, id, named ? name : NULL) >= LEVEL_MANAGE;
			break;
		}
		case A_MANAGE_MODEL: {
			const char *name = pstr(params, "name");
			ok = name && authz_level(c, u, RESOURCE_MODEL, name, name) >= LEVEL_MANAGE;
			break;
		}
		default:
			ok = false;
		}
	}
	authz_user_release(u);
	if (!ok) {
		json_decref(params);
		log_info("permission denied: user \"%s\" %s request_id=%s", c->ri.user, rpc, c->ri.request_id);
		errpage_send(c, 403, "PERMISSION_DENIED", "Permission denied", NULL);
		return;
	}
	if (changes(rpc) && c->w->srv->audit && audit_log_failed(c->w->srv->audit) &&
	    c->rt->cfg->audit_on_failure == 0) {
		json_decref(params);
		errpage_send(c, 503, "TEMPORARILY_UNAVAILABLE",
			     "The audit log cannot be written: changes are refused until it can (audit.on_failure)", NULL);
		return;
	}
	struct api_job *j = mem_calloc(1, sizeof *j);
	j->c = c;
	j->store = c->w->srv->store;
	j->rt = runtime_ref(c->rt);
	j->rpc = rpc;
	j->admin = admin;
	j->params = params;
	snprintf(j->caller, sizeof j->caller, "%s", c->ri.user);
	snprintf(j->request_id, sizeof j->request_id, "%s", c->ri.request_id);
	snprintf(j->ip, sizeof j->ip, "%s", c->ri.client);
	j->auth = c->ri.auth;
	j->audit = c->w->srv->audit;
	conn_pin(c);
	c->ri.upstream_used = false;
	j->work.data = j;
	if (uv_queue_work(&c->w->loop, &j->work, api_work, api_done) != 0)
		api_done(&j->work, -1);
}
