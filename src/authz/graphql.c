/* A strict GraphQL reader for authorisation (not an executor): tokens,
 * then a recursive-descent walk of the document (depth bounded) that keeps
 * only the operation's top-level fields and their arguments (as jansson
 * values, variables substituted). Block strings, mutations, subscriptions,
 * several operations, and fragments or unknown fields at the top level are
 * refused. */
#include "authz/graphql.h"
#include "core/pct.h"
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_QUERY (256 * 1024)
#define MAX_DEPTH 48
#define MAX_TOP_FIELDS 16

enum tok { T_EOF = 0, T_PUNCT, T_SPREAD, T_NAME, T_NUMBER, T_STRING, T_ERROR };

struct lexer {
	const char *p, *end;
	enum tok t;
	const char *s;		/* token text (names, numbers, punctuators) */
	size_t n;
	char *str;		/* decoded string value (T_STRING) */
	const char *why;
};

struct parser {
	struct lexer lx;
	json_t *vars;
	int depth;
	const char *why;
};

static bool name_start(char c)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

static void lex_string(struct lexer *lx)
{
	const char *p = lx->p + 1;
	if (lx->end - lx->p >= 3 && p[0] == '"' && p[1] == '"') {
		lx->t = T_ERROR;
		lx->why = "block strings are not accepted";
		return;
	}
	size_t cap = 64, n = 0;
	char *out = malloc(cap);
	while (p < lx->end && *p != '"') {
		char c = *p++;
		if (c == '\n' || c == '\r' || (unsigned char)c < 0x20) {
			free(out);
			lx->t = T_ERROR;
			lx->why = "control character in a string";
			return;
		}
		if (c == '\\') {
			if (p >= lx->end)
				break;
			char e = *p++;
			switch (e) {
			case '"': case '\\': case '/': c = e; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u': {
				int v = 0;
				for (int i = 0; i < 4; i++) {
					int h = p < lx->end ? pct_hex(*p) : -1;
					if (h < 0) {
						free(out);
						lx->t = T_ERROR;
						lx->why = "bad \\u escape";
						return;
					}
					v = v * 16 + h;
					p++;
				}
				if (v == 0 || v > 0x7e) {	/* ids are ASCII; anything else is not ours to judge */
					free(out);
					lx->t = T_ERROR;
					lx->why = "\\u escape outside printable ASCII";
					return;
				}
				c = (char)v;
				break;
			}
			default:
				free(out);
				lx->t = T_ERROR;
				lx->why = "bad string escape";
				return;
			}
		}
		if (n + 2 > cap) {
			cap *= 2;
			out = realloc(out, cap);
		}
		out[n++] = c;
	}
	if (p >= lx->end) {
		free(out);
		lx->t = T_ERROR;
		lx->why = "unterminated string";
		return;
	}
	out[n] = '\0';
	lx->str = out;
	lx->t = T_STRING;
	lx->p = p + 1;
}

static void next(struct lexer *lx)
{
	free(lx->str);
	lx->str = NULL;
	for (;;) {
		while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\n' || *lx->p == '\r' ||
					   *lx->p == ','))
			lx->p++;
		if (lx->p < lx->end && *lx->p == '#') {
			while (lx->p < lx->end && *lx->p != '\n' && *lx->p != '\r')
				lx->p++;
			continue;
		}
		break;
	}
	lx->s = lx->p;
	if (lx->p >= lx->end) {
		lx->t = T_EOF;
		return;
	}
	char c = *lx->p;
	if (c == '.') {
		if (lx->end - lx->p >= 3 && lx->p[1] == '.' && lx->p[2] == '.') {
			lx->t = T_SPREAD;
			lx->p += 3;
			return;
		}
		lx->t = T_ERROR;
		lx->why = "stray '.'";
		return;
	}
	if (strchr("!$&()=:@[]{}|", c)) {
		lx->t = T_PUNCT;
		lx->n = 1;
		lx->p++;
		return;
	}
	if (name_start(c)) {
		while (lx->p < lx->end && name_char(*lx->p))
			lx->p++;
		lx->t = T_NAME;
		lx->n = (size_t)(lx->p - lx->s);
		return;
	}
	if (c == '-' || (c >= '0' && c <= '9')) {
		lx->p++;
		while (lx->p < lx->end && ((*lx->p >= '0' && *lx->p <= '9') || *lx->p == '.' || *lx->p == 'e' ||
					   *lx->p == 'E' || *lx->p == '+' || *lx->p == '-'))
			lx->p++;
		lx->t = T_NUMBER;
		lx->n = (size_t)(lx->p - lx->s);
		return;
	}
	if (c == '"') {
		lex_string(lx);
		return;
	}
	lx->t = T_ERROR;
	lx->why = "unexpected character";
}

static bool is_punct(struct parser *ps, char c)
{
	return ps->lx.t == T_PUNCT && *ps->lx.s == c;
}

static bool is_name(struct parser *ps, const char *name)
{
	return ps->lx.t == T_NAME && ps->lx.n == strlen(name) && memcmp(ps->lx.s, name, ps->lx.n) == 0;
}

static int fail(struct parser *ps, const char *why)
{
	if (ps->why == NULL)
		ps->why = ps->lx.t == T_ERROR ? ps->lx.why : why;
	return -EINVAL;
}

static int expect_punct(struct parser *ps, char c, const char *why)
{
	if (!is_punct(ps, c))
		return fail(ps, why);
	next(&ps->lx);
	return 0;
}

static int expect_name(struct parser *ps, char *out, size_t cap)
{
	if (ps->lx.t != T_NAME || ps->lx.n >= cap)
		return fail(ps, "name expected");
	if (out) {
		memcpy(out, ps->lx.s, ps->lx.n);
		out[ps->lx.n] = '\0';
	}
	next(&ps->lx);
	return 0;
}

static json_t *value(struct parser *ps, bool const_only);

static json_t *list_value(struct parser *ps, bool const_only)
{
	json_t *v = json_array();
	next(&ps->lx);
	while (!is_punct(ps, ']')) {
		json_t *e = ps->lx.t == T_EOF || json_array_size(v) > 4096 ? NULL : value(ps, const_only);
		if (e == NULL) {
			fail(ps, "bad list");
			json_decref(v);
			return NULL;
		}
		json_array_append_new(v, e);
	}
	next(&ps->lx);
	return v;
}

static json_t *object_value(struct parser *ps, bool const_only)
{
	json_t *v = json_object();
	next(&ps->lx);
	while (!is_punct(ps, '}')) {
		char key[128];
		json_t *e = NULL;
		if (expect_name(ps, key, sizeof key) == 0 && expect_punct(ps, ':', "':' expected") == 0) {
			if (json_object_get(v, key))
				fail(ps, "field given twice");
			else
				e = value(ps, const_only);
		}
		if (e == NULL) {
			json_decref(v);
			return NULL;
		}
		json_object_set_new(v, key, e);
	}
	next(&ps->lx);
	return v;
}

/* Value -> jansson (NULL on error). const_only: no variables (defaults). */
static json_t *value(struct parser *ps, bool const_only)
{
	if (++ps->depth > MAX_DEPTH) {
		fail(ps, "nested too deeply");
		return NULL;
	}
	json_t *v = NULL;
	struct lexer *lx = &ps->lx;
	if (is_punct(ps, '$')) {
		next(lx);
		char name[128];
		if (const_only || expect_name(ps, name, sizeof name)) {
			fail(ps, "variable not allowed here");
			goto out;
		}
		json_t *x = json_object_get(ps->vars, name);
		v = x ? json_incref(x) : json_null();
	} else if (lx->t == T_STRING) {
		v = json_string(lx->str);
		next(lx);
	} else if (lx->t == T_NUMBER) {
		v = json_stringn(lx->s, lx->n);	/* ids are compared as text */
		next(lx);
	} else if (lx->t == T_NAME) {
		if (is_name(ps, "true"))
			v = json_true();
		else if (is_name(ps, "false"))
			v = json_false();
		else if (is_name(ps, "null"))
			v = json_null();
		else
			v = json_stringn(lx->s, lx->n);	/* enum value */
		next(lx);
	} else if (is_punct(ps, '[')) {
		v = list_value(ps, const_only);
	} else if (is_punct(ps, '{')) {
		v = object_value(ps, const_only);
	} else {
		fail(ps, "value expected");
	}
out:
	ps->depth--;
	return v;
}

/* (name: value ...) into args (may be NULL to discard). */
static int arguments(struct parser *ps, json_t *args)
{
	if (!is_punct(ps, '('))
		return 0;
	next(&ps->lx);
	while (!is_punct(ps, ')')) {
		char key[128];
		if (expect_name(ps, key, sizeof key) || expect_punct(ps, ':', "':' expected"))
			return -EINVAL;
		json_t *v = value(ps, false);
		if (v == NULL)
			return -EINVAL;
		if (args && json_object_get(args, key)) {
			json_decref(v);
			return fail(ps, "argument given twice");
		}
		if (args)
			json_object_set_new(args, key, v);
		else
			json_decref(v);
	}
	next(&ps->lx);
	return 0;
}

static int directives(struct parser *ps)
{
	while (is_punct(ps, '@')) {
		next(&ps->lx);
		if (expect_name(ps, NULL, 128) || arguments(ps, NULL))
			return -EINVAL;
	}
	return 0;
}

static int type_ref(struct parser *ps)
{
	if (is_punct(ps, '[')) {
		next(&ps->lx);
		if (type_ref(ps) || expect_punct(ps, ']', "']' expected"))
			return -EINVAL;
	} else if (expect_name(ps, NULL, 256)) {
		return -EINVAL;
	}
	if (is_punct(ps, '!'))
		next(&ps->lx);
	return 0;
}

/* A nested selection set: read and discarded (bounded). */
static int selection_set(struct parser *ps)
{
	if (++ps->depth > MAX_DEPTH)
		return fail(ps, "nested too deeply");
	if (expect_punct(ps, '{', "'{' expected"))
		return -EINVAL;
	while (!is_punct(ps, '}')) {
		if (ps->lx.t == T_SPREAD) {
			next(&ps->lx);
			if (is_name(ps, "on")) {
				next(&ps->lx);
				if (expect_name(ps, NULL, 256) || directives(ps) || selection_set(ps))
					return -EINVAL;
			} else if (is_punct(ps, '@') || is_punct(ps, '{')) {
				if (directives(ps) || selection_set(ps))
					return -EINVAL;
			} else if (expect_name(ps, NULL, 256) || directives(ps)) {
				return -EINVAL;
			}
			continue;
		}
		if (expect_name(ps, NULL, 256))
			return -EINVAL;
		if (is_punct(ps, ':')) {
			next(&ps->lx);
			if (expect_name(ps, NULL, 256))
				return -EINVAL;
		}
		if (arguments(ps, NULL) || directives(ps))
			return -EINVAL;
		if (is_punct(ps, '{') && selection_set(ps))
			return -EINVAL;
	}
	next(&ps->lx);
	ps->depth--;
	return 0;
}

/* ---- what each operation reads ---- */

static int add(struct gql_needs *out, enum gql_need_kind k, json_t *v, struct parser *ps)
{
	char tmp[32];
	const char *s = NULL;
	if (json_is_string(v))
		s = json_string_value(v);
	else if (json_is_integer(v)) {
		snprintf(tmp, sizeof tmp, "%lld", (long long)json_integer_value(v));
		s = tmp;
	}
	if (s == NULL || s[0] == '\0' || strlen(s) >= GQL_MAX_ID)
		return fail(ps, "identifier missing or invalid");
	if (out->n >= GQL_MAX_NEEDS)
		return fail(ps, "too many identifiers");
	out->need[out->n].kind = k;
	snprintf(out->need[out->n].id, GQL_MAX_ID, "%s", s);
	out->n++;
	return 0;
}

/* One of two spellings, not both. */
static json_t *either(json_t *input, const char *a, const char *b, struct parser *ps, bool *bad)
{
	json_t *x = json_object_get(input, a), *y = json_object_get(input, b);
	if (x && y && !json_equal(x, y)) {
		*bad = true;
		fail(ps, "two different ids given");
		return NULL;
	}
	return x ? x : y;
}

static int needs_of(const char *field, json_t *args, struct gql_needs *out, struct parser *ps)
{
	if (strcmp(field, "__typename") == 0)
		return 0;
	json_t *input = json_object_get(args, "input");
	if (!json_is_object(input))
		return fail(ps, "operation without an input object");
	bool bad = false;
	if (strcmp(field, "mlflowGetExperiment") == 0) {
		json_t *v = either(input, "experimentId", "experiment_id", ps, &bad);
		return bad ? -EINVAL : add(out, GQL_EXPERIMENT, v, ps);
	}
	if (strcmp(field, "mlflowGetRun") == 0 || strcmp(field, "mlflowListArtifacts") == 0) {
		json_t *v = either(input, "runId", "run_id", ps, &bad);
		json_t *u = bad ? NULL : either(input, "runUuid", "run_uuid", ps, &bad);
		if (bad)
			return -EINVAL;
		if (v && u && !json_equal(v, u))
			return fail(ps, "run_id and run_uuid disagree");
		return add(out, GQL_RUN, v ? v : u, ps);
	}
	const char *list_key = NULL, *alt = NULL;
	enum gql_need_kind k = GQL_RUN;
	if (strcmp(field, "mlflowGetMetricHistoryBulkInterval") == 0) {
		list_key = "runIds";
		alt = "run_ids";
	} else if (strcmp(field, "mlflowSearchRuns") == 0 || strcmp(field, "mlflowSearchDatasets") == 0) {
		list_key = "experimentIds";
		alt = "experiment_ids";
		k = GQL_EXPERIMENT;
	} else {
		return fail(ps, "operation not allowed");
	}
	json_t *l = either(input, list_key, alt, ps, &bad);
	if (bad)
		return -EINVAL;
	if (!json_is_array(l) || json_array_size(l) == 0)
		return fail(ps, "operation without the ids it reads");
	size_t i;
	json_t *e;
	json_array_foreach(l, i, e) {
		if (add(out, k, e, ps))
			return -EINVAL;
	}
	return 0;
}

/* The operation's own selection set: only allowed, named fields. */
static int top_selection(struct parser *ps, struct gql_needs *out)
{
	if (expect_punct(ps, '{', "'{' expected"))
		return -EINVAL;
	int nfields = 0;
	while (!is_punct(ps, '}')) {
		if (ps->lx.t == T_SPREAD)
			return fail(ps, "fragments at the top of an operation are not accepted");
		char name[128];
		if (expect_name(ps, name, sizeof name))
			return -EINVAL;
		if (is_punct(ps, ':')) {	/* alias */
			next(&ps->lx);
			if (expect_name(ps, name, sizeof name))
				return -EINVAL;
		}
		if (++nfields > MAX_TOP_FIELDS)
			return fail(ps, "too many operations in one request");
		json_t *args = json_object();
		int rc = arguments(ps, args);
		if (rc == 0)
			rc = directives(ps);
		if (rc == 0)
			rc = needs_of(name, args, out, ps);
		json_decref(args);
		if (rc)
			return -EINVAL;
		if (is_punct(ps, '{') && selection_set(ps))
			return -EINVAL;
	}
	next(&ps->lx);
	return 0;
}

static int document(struct parser *ps, const char *op_name, struct gql_needs *out)
{
	int ops = 0;
	next(&ps->lx);
	while (ps->lx.t != T_EOF) {
		if (ps->lx.t == T_ERROR)
			return fail(ps, "bad token");
		if (is_name(ps, "fragment")) {
			next(&ps->lx);
			if (expect_name(ps, NULL, 256) || !is_name(ps, "on"))
				return fail(ps, "bad fragment");
			next(&ps->lx);
			if (expect_name(ps, NULL, 256) || directives(ps) || selection_set(ps))
				return -EINVAL;
			continue;
		}
		if (++ops > 1)
			return fail(ps, "one operation per request");
		if (is_name(ps, "mutation") || is_name(ps, "subscription"))
			return fail(ps, "only queries are accepted");
		if (is_name(ps, "query")) {
			next(&ps->lx);
			char name[128] = "";
			if (ps->lx.t == T_NAME && expect_name(ps, name, sizeof name))
				return -EINVAL;
			if (op_name && strcmp(op_name, name) != 0)
				return fail(ps, "operationName does not name the operation");
			if (is_punct(ps, '(')) {
				next(&ps->lx);
				while (!is_punct(ps, ')')) {
					if (expect_punct(ps, '$', "variable expected") || expect_name(ps, NULL, 128) ||
					    expect_punct(ps, ':', "':' expected") || type_ref(ps))
						return -EINVAL;
					if (is_punct(ps, '=')) {
						next(&ps->lx);
						json_t *d = value(ps, true);
						if (d == NULL)
							return -EINVAL;
						json_decref(d);
					}
					if (directives(ps))
						return -EINVAL;
				}
				next(&ps->lx);
			}
			if (directives(ps))
				return -EINVAL;
		} else if (!is_punct(ps, '{')) {
			return fail(ps, "operation expected");
		}
		if (top_selection(ps, out))
			return -EINVAL;
	}
	return ops == 1 ? 0 : fail(ps, "no operation");
}

int graphql_needs(const char *body, size_t len, struct gql_needs *out, const char **why)
{
	out->n = 0;
	json_error_t jerr;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(root)) {
		json_decref(root);
		*why = "GraphQL request must be one JSON object (batches are not accepted)";
		return -EINVAL;
	}
	json_t *q = json_object_get(root, "query");
	json_t *vars = json_object_get(root, "variables");
	json_t *opn = json_object_get(root, "operationName");
	int rc = -EINVAL;
	if (!json_is_string(q) || json_string_length(q) > MAX_QUERY ||
	    strlen(json_string_value(q)) != json_string_length(q)) {
		*why = "GraphQL request without a usable query";
	} else if (vars && !json_is_object(vars) && !json_is_null(vars)) {
		*why = "GraphQL variables must be an object";
	} else if (opn && !json_is_string(opn) && !json_is_null(opn)) {
		*why = "operationName must be a string";
	} else {
		struct parser ps = { 0 };
		ps.lx.p = json_string_value(q);
		ps.lx.end = ps.lx.p + json_string_length(q);
		ps.vars = json_is_object(vars) ? vars : NULL;
		rc = document(&ps, json_is_string(opn) ? json_string_value(opn) : NULL, out);
		free(ps.lx.str);
		if (rc)
			*why = ps.why ? ps.why : "GraphQL request not accepted";
	}
	json_decref(root);
	return rc;
}
