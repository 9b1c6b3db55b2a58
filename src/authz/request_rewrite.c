/* Create-call checks and attribution (runs, and the GenAI calls that record
 * who did them). The body was already found to be one
 * JSON object without duplicate keys or dual spellings (mlflow_params), so
 * a field has at most one spelling here; it is re-checked anyway. */
#include "authz/request_rewrite.h"
#include "authz/uri_check.h"
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The value of a field under either spelling; -EINVAL when both are there
 * or the value is not a string. */
static int field(json_t *obj, const char *snake, const char *camel, json_t **out)
{
	json_t *a = json_object_get(obj, snake), *b = camel ? json_object_get(obj, camel) : NULL;
	if (a && b)
		return -EINVAL;
	*out = a ? a : b;
	if (*out && !json_is_string(*out) && !json_is_null(*out))
		return -EINVAL;
	return 0;
}

static int check_uri(json_t *obj, const char *snake, const char *camel, const char *schemes, const char **why)
{
	json_t *v;
	if (field(obj, snake, camel, &v)) {
		*why = "URI fields must be strings, given once";
		return -EINVAL;
	}
	if (v == NULL || json_is_null(v) || json_string_length(v) == 0)
		return 0;	/* absent: MLflow picks its own default */
	const char *s = json_string_value(v);
	if (strlen(s) != json_string_length(v)) {
		*why = "URI contains a NUL character";
		return -EINVAL;
	}
	return uri_check(s, strlen(s), schemes, why);
}

static int attribute_run(json_t *obj, const struct rewrite_opts *o, bool *changed, const char **why)
{
	json_t *uid;
	if (field(obj, "user_id", "userId", &uid)) {
		*why = "user_id must be a string, given once";
		return -EINVAL;
	}
	const char *given = uid && json_is_string(uid) ? json_string_value(uid) : NULL;
	if (o->attribution == ATTRIBUTION_REJECT && given && given[0] && strcmp(given, o->user) != 0) {
		*why = "user_id must be the authenticated user";
		return -EACCES;
	}
	if (!given || strcmp(given, o->user) != 0 || json_object_get(obj, "userId")) {
		json_object_del(obj, "userId");
		json_object_set_new(obj, "user_id", json_string(o->user));
		*changed = true;
	}
	json_t *tags = json_object_get(obj, "tags");
	if (tags == NULL) {
		tags = json_array();
		json_object_set_new(obj, "tags", tags);
	}
	if (!json_is_array(tags)) {
		*why = "tags must be a list";
		return -EINVAL;
	}
	bool found = false;
	size_t i;
	json_t *t;
	json_array_foreach(tags, i, t) {
		json_t *k = json_object_get(t, "key");
		if (!json_is_string(k) || strcmp(json_string_value(k), "mlflow.user") != 0)
			continue;
		json_t *v = json_object_get(t, "value");
		const char *vs = json_is_string(v) ? json_string_value(v) : "";
		if (found) {
			*why = "the mlflow.user tag is given more than once";
			return -EINVAL;
		}
		found = true;
		if (strcmp(vs, o->user) == 0)
			continue;
		if (o->attribution == ATTRIBUTION_REJECT) {
			*why = "the mlflow.user tag must be the authenticated user";
			return -EACCES;
		}
		json_object_set_new(t, "value", json_string(o->user));
		*changed = true;
	}
	if (!found) {
		json_array_append_new(tags, json_pack("{s:s, s:s}", "key", "mlflow.user", "value", o->user));
		*changed = true;
	}
	return 0;
}

/* A field naming who did something (created_by, completed_by, a human
 * assessment's source_id): the authenticated user. fill: set it when absent
 * too (else an absent one stays absent: MLflow may require that). */
static int attribute_name(json_t *obj, const char *snake, const char *camel, bool fill, const struct rewrite_opts *o,
			  bool *changed, const char **why)
{
	json_t *v;
	if (field(obj, snake, camel, &v)) {
		*why = "a user name field must be a string, given once";
		return -EINVAL;
	}
	const char *given = v && json_is_string(v) ? json_string_value(v) : NULL;
	if (given == NULL && !fill)
		return 0;
	if (given && strcmp(given, o->user) == 0 && json_object_get(obj, snake) == v)
		return 0;
	if (given && given[0] && strcmp(given, o->user) != 0 && o->attribution == ATTRIBUTION_REJECT) {
		*why = "a user name field must be the authenticated user";
		return -EACCES;
	}
	json_object_del(obj, camel);
	json_object_set_new(obj, snake, json_string(o->user));
	*changed = true;
	return 0;
}

/* A human assessment (a reviewer's feedback or expectation) is the caller's:
 * {"assessment": {"source": {"source_type": "HUMAN", "source_id": ...}}}.
 * Judges' and code's sources name the judge, not a person: left alone. */
static int attribute_assessment(json_t *obj, const struct rewrite_opts *o, bool *changed, const char **why)
{
	json_t *a = json_object_get(obj, "assessment");
	if (!json_is_object(a))
		return 0;
	json_t *src = json_object_get(a, "source"), *type;
	if (!json_is_object(src))
		return 0;
	if (field(src, "source_type", "sourceType", &type)) {
		*why = "source_type must be a string, given once";
		return -EINVAL;
	}
	if (type == NULL || !json_is_string(type) || strcmp(json_string_value(type), "HUMAN") != 0)
		return 0;
	return attribute_name(src, "source_id", "sourceId", true, o, changed, why);
}

int request_rewrite(const char *rpc, const char *body, size_t len, const struct rewrite_opts *o, char **out,
		    size_t *outlen, const char **why)
{
	*out = NULL;
	*outlen = 0;
	bool exp = strcmp(rpc, "CreateExperiment") == 0, mv = strcmp(rpc, "CreateModelVersion") == 0;
	bool attr = o->attribution != ATTRIBUTION_OFF;
	bool run = (strcmp(rpc, "CreateRun") == 0 || strcmp(rpc, "CreatePromptlabRun") == 0) && attr;
	/* GenAI calls that record who did them */
	bool creator = attr && (strcmp(rpc, "CreateIssue") == 0 || strcmp(rpc, "CreateReviewQueue") == 0 ||
				strcmp(rpc, "GetOrCreateUserQueue") == 0);
	bool completer = attr && strcmp(rpc, "SetReviewQueueItemStatus") == 0;
	bool assessment = attr && (strcmp(rpc, "CreateAssessment") == 0 || strcmp(rpc, "UpdateAssessment") == 0);
	if (!exp && !mv && !run && !creator && !completer && !assessment)
		return 0;
	json_error_t jerr;
	json_t *obj = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(obj)) {
		json_decref(obj);
		*why = "Request body must be a JSON object";
		return -EINVAL;
	}
	int rc = 0;
	bool changed = false;
	if (exp)
		rc = check_uri(obj, "artifact_location", "artifactLocation", o->schemes, why);
	if (mv) {
		rc = check_uri(obj, "source", NULL, o->schemes, why);
		if (rc == 0)
			rc = check_uri(obj, "run_link", "runLink", o->schemes, why);
	}
	if (run)
		rc = attribute_run(obj, o, &changed, why);
	if (creator)
		rc = attribute_name(obj, "created_by", "createdBy", true, o, &changed, why);
	if (completer)	/* absent for a reopened (PENDING) item, and must stay so */
		rc = attribute_name(obj, "completed_by", "completedBy", false, o, &changed, why);
	if (assessment)
		rc = attribute_assessment(obj, o, &changed, why);
	if (rc == 0 && changed) {
		char *s = json_dumps(obj, JSON_COMPACT);
		if (s == NULL) {
			rc = -EINVAL;
			*why = "cannot rewrite the request";
		} else {
			*out = s;
			*outlen = strlen(s);
			rc = 1;
		}
	}
	json_decref(obj);
	return rc;
}
