/* MLflow request parameters. The query decoder follows Werkzeug's
 * request.args (percent-decoding of keys and values, '+' as space); the JSON
 * body is read in place by the strict scanner (core/json_scan: RFC 8259,
 * bounded nesting), and a field read given twice -- in either spelling -- is
 * refused, since protobuf's JSON parser lets the last one win and a proxy
 * reading the first would be bypassed. */
#include "authz/mlflow_params.h"
#include "core/pct.h"
#include <errno.h>
#include "core/json_scan.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mlflow_params_camel(const char *snake, char *out, size_t cap)
{
	size_t o = 0;
	bool up = false;
	for (const char *p = snake; *p && o + 1 < cap; p++) {
		if (*p == '_') {
			up = true;
			continue;
		}
		out[o++] = up && *p >= 'a' && *p <= 'z' ? (char)(*p - 32) : *p;
		up = false;
	}
	out[o] = '\0';
}

/* Percent-decodes s[0..n) into out; -1 when too long. Bad escapes stay
 * literal, as Werkzeug leaves them. */
static int url_decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (o + 1 >= cap)
			return -1;
		char c = s[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%' && i + 2 < n && pct_hex(s[i + 1]) >= 0 && pct_hex(s[i + 2]) >= 0) {
			c = (char)(pct_hex(s[i + 1]) * 16 + pct_hex(s[i + 2]));
			i += 2;
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return (int)o;
}

static int add_value(struct param_values *out, const char *v, size_t n, const char **err)
{
	if (out->n == PARAMS_MAX_VALUES) {
		*err = "too many values for one parameter";
		return -EINVAL;
	}
	if (n >= PARAMS_MAX_VALUE || memchr(v, '\0', n) != NULL) {
		*err = "parameter value too long or with NUL";
		return -EINVAL;
	}
	memcpy(out->v[out->n], v, n);
	out->v[out->n][n] = '\0';
	out->n++;
	return 0;
}

static int from_query(const char *q, size_t qlen, const char *snake, const char *camel, struct param_values *out,
		      const char **err)
{
	bool saw_snake = false, saw_camel = false;
	const char *p = q, *end = q + qlen;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *pe = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(pe - p));
		char key[256], val[PARAMS_MAX_VALUE];
		int kl = url_decode(p, (size_t)((eq ? eq : pe) - p), key, sizeof key);
		if (kl < 0) {
			p = pe + (amp ? 1 : 0);
			continue;	/* a key this long is no field of ours */
		}
		bool is_snake = strcmp(key, snake) == 0, is_camel = strcmp(key, camel) == 0 && strcmp(camel, snake) != 0;
		if (is_snake || is_camel) {
			saw_snake |= is_snake;
			saw_camel |= is_camel;
			int vl = eq ? url_decode(eq + 1, (size_t)(pe - eq - 1), val, sizeof val) : 0;
			if (vl < 0) {
				*err = "parameter value too long";
				return -EINVAL;
			}
			if (!eq)
				val[0] = '\0';
			if (add_value(out, val, (size_t)vl, err))
				return -EINVAL;
		}
		p = pe + (amp ? 1 : 0);
	}
	if (saw_snake && saw_camel) {
		*err = "parameter given in both snake_case and camelCase";
		return -EINVAL;
	}
	return 0;
}

/* One scalar value (the span of a string, number or null) into out:
 * strings decoded, integers as text (canonical: "-0" is "0"), null skipped;
 * anything else is refused, as MLflow's id fields are strings. */
static int span_value(struct jspan v, struct param_values *out, const char **err)
{
	char val[PARAMS_MAX_VALUE];
	if (v.p[0] == '"') {
		if (json_span_string(v, val, sizeof val) != 0) {
			*err = "parameter value too long or with NUL";
			return -EINVAL;
		}
		return add_value(out, val, strlen(val), err);
	}
	if (v.p[0] == 'n')
		return 0;	/* null */
	if (v.p[0] == '-' || (v.p[0] >= '0' && v.p[0] <= '9')) {
		if (memchr(v.p, '.', v.n) || memchr(v.p, 'e', v.n) || memchr(v.p, 'E', v.n)) {
			*err = "parameter is neither a string nor an integer";
			return -EINVAL;
		}
		/* an integer literal (validated JSON); beyond 64 bits is refused */
		char num[32];
		if (v.n >= sizeof num) {
			*err = "parameter value out of range";
			return -EINVAL;
		}
		memcpy(num, v.p, v.n);
		num[v.n] = '\0';
		errno = 0;
		long long x = strtoll(num, NULL, 10);
		if (errno == ERANGE) {
			*err = "parameter value out of range";
			return -EINVAL;
		}
		int n = snprintf(num, sizeof num, "%lld", x);
		return add_value(out, num, (size_t)n, err);
	}
	*err = "parameter is neither a string nor an integer";
	return -EINVAL;
}

/* The value of snake (or camel, never both) in the object span o: 0 with
 * *v (v->p NULL when absent), or -EINVAL. */
static int member_either(struct jspan o, const char *snake, const char *camel, struct jspan *v, const char **err)
{
	const char *keys[2] = { snake, camel };
	struct jspan m[2];
	size_t nk = strcmp(snake, camel) != 0 ? 2 : 1;
	if (json_scan_members(o.p, o.n, nk, keys, m) != 0) {
		*err = "request body is not valid JSON (or repeats a key)";
		return -EINVAL;
	}
	if (nk == 2 && m[0].p && m[1].p) {
		*err = "parameter given in both snake_case and camelCase";
		return -EINVAL;
	}
	*v = m[0].p ? m[0] : nk == 2 ? m[1] : (struct jspan){ NULL, 0 };
	return 0;
}

/* field is "name", or "outer.name" for a field of an object field (both
 * read in either spelling), looked up in the (validated) body object. */
static int root_field(struct jspan root, const char *field, struct param_values *out, const char **err)
{
	struct jspan o = root, v;
	char snake[128], camel[128];
	const char *dot = strchr(field, '.');
	if (dot != NULL) {
		snprintf(snake, sizeof snake, "%.*s", (int)(dot - field), field);
		mlflow_params_camel(snake, camel, sizeof camel);
		if (member_either(root, snake, camel, &o, err))
			return -EINVAL;
		if (o.p == NULL || o.p[0] == 'n')
			return 0;	/* absent or null */
		if (o.p[0] != '{') {
			*err = "parameter is not an object";
			return -EINVAL;
		}
		field = dot + 1;
	}
	snprintf(snake, sizeof snake, "%s", field);
	mlflow_params_camel(snake, camel, sizeof camel);
	if (member_either(o, snake, camel, &v, err))
		return -EINVAL;
	if (v.p == NULL)
		return 0;
	if (v.p[0] != '[')
		return span_value(v, out, err);
	size_t pos = 0;
	struct jspan item;
	int rc;
	while ((rc = json_scan_next(v, &pos, &item)) == 1)
		if (span_value(item, out, err))
			return -EINVAL;
	return rc;
}

/* Checks the body is one strict JSON object (an empty body is MLflow's {}). */
static int check_body(const char *body, size_t blen, const char **err)
{
	if (blen == 0)
		return 0;
	size_t i = 0;
	while (i < blen && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r'))
		i++;
	if (i == blen || body[i] != '{') {
		*err = "request body is not a JSON object";
		return -EINVAL;
	}
	if (json_scan_members(body, blen, 0, NULL, NULL) != 0) {
		*err = "request body is not valid JSON (or repeats a key)";
		return -EINVAL;
	}
	return 0;
}

static int extract_one(bool from_q, const char *query, size_t qlen, const struct jspan *root, const char *field,
		       struct param_values *out, const char **err)
{
	if (!from_q)
		return root ? root_field(*root, field, out, err) : 0;
	if (strchr(field, '.') != NULL)
		return 0;	/* an object's field is never in a query string */
	char camel[128];
	mlflow_params_camel(field, camel, sizeof camel);
	return from_query(query, qlen, field, camel, out, err);
}

void params_body_set(struct params_body *b, const char *data, size_t len)
{
	params_body_clear(b);
	b->data = data;
	b->len = len;
}

void params_body_clear(struct params_body *b)
{
	*b = (struct params_body){ 0 };
}

/* After the first field read from a body: a read scans (and so validates)
 * the whole object, so the body's own check runs only when that read failed,
 * to tell a body that is no JSON object from a field given badly. The verdict
 * is kept for the next fields. */
static int body_verdict(struct params_body *b, int rc, const char **err)
{
	if (b->state != 0)
		return rc;
	if (rc == 0 || check_body(b->data, b->len, &b->err) == 0) {
		b->state = 1;
		return rc;
	}
	b->state = -1;
	*err = b->err;
	return -EINVAL;
}

/* Reads resource ids from an MLflow request exactly as MLflow's handlers do
 * (mlflow-api.md §1.2): the query string for GET/HEAD when it is non-empty,
 * else the JSON body; snake_case or lowerCamelCase (never both); run_id, else
 * run_uuid. Bounded; everything ambiguous is rejected. */
int mlflow_params_extract_body(const char *method, const char *query, size_t qlen, struct params_body *b,
			       const char *field, struct param_values *out, const char **err)
{
	out->n = 0;
	*err = NULL;
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	size_t blen = b ? b->len : 0;
	if (get && qlen > 0 && blen > 0) {
		*err = "GET request with both a query string and a body";
		return -EINVAL;
	}
	bool from_q = get && qlen > 0;
	struct jspan body = { b ? b->data : NULL, blen }, *root = NULL;
	if (!from_q && blen > 0) {
		if (b->state < 0) {
			*err = b->err;
			return -EINVAL;
		}
		root = &body;
	}
	int rc = extract_one(from_q, query, qlen, root, field, out, err);
	/* run_id, else run_uuid: both are read so an ambiguous spelling of
	 * either fails; run_uuid's values go after run_id's and are kept only
	 * when run_id gave none (or only an empty one) */
	if (rc == 0 && strcmp(field, "run_id") == 0) {
		size_t n0 = out->n;
		rc = extract_one(from_q, query, qlen, root, "run_uuid", out, err);
		if (rc == 0 && (n0 == 0 || out->v[0][0] == '\0') && out->n > n0) {
			size_t k = out->n - n0;
			memmove(out->v[0], out->v[n0], k * sizeof out->v[0]);
			out->n = k;
		} else if (rc == 0) {
			out->n = n0;
		}
	}
	if (root)
		rc = body_verdict(b, rc, err);
	if (rc)
		out->n = 0;
	return rc;
}

int mlflow_params_extract(const char *method, const char *query, size_t qlen, const char *body, size_t blen,
			  const char *field, struct param_values *out, const char **err)
{
	struct params_body b = { 0 };
	params_body_set(&b, body, blen);
	int rc = mlflow_params_extract_body(method, query, qlen, &b, field, out, err);
	params_body_clear(&b);
	return rc;
}
