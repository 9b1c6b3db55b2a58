/* Reads the YAML configuration file with libfyaml's document tree and
 * applies every key through the key table, so unknown keys and bad values are
 * reported with file:line:column. */
#include "config/config_yaml.h"
#include "core/mem.h"
#include <errno.h>
#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct walk {
	struct config *cfg;
	const char *path;
	struct buf *errors;
	int bad;
};

static void node_pos(struct fy_node *n, int *line, int *col)
{
	struct fy_token *t = n ? fy_node_get_scalar_token(n) : NULL;
	const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
	*line = m ? m->line + 1 : 0;
	*col = m ? m->column + 1 : 0;
}

static void report(struct walk *w, struct fy_node *at, const char *fmt, const char *a, const char *b)
{
	int line, col;
	node_pos(at, &line, &col);
	buf_printf(w->errors, "%s:%d:%d: ", w->path, line, col);
	buf_printf(w->errors, fmt, a, b);
	buf_appends(w->errors, "\n");
	w->bad = 1;
}

/* Returns the scalar text of n as a new string, or NULL if n is not a scalar. */
static char *scalar_dup(struct fy_node *n)
{
	if (n == NULL)
		return mem_strdup("");
	if (!fy_node_is_scalar(n) || fy_node_is_alias(n))
		return NULL;
	size_t len;
	const char *s = fy_node_get_scalar(n, &len);
	if (s == NULL)
		return mem_strdup("");
	if (memchr(s, '\0', len) != NULL)
		return NULL;
	return mem_strndup(s, len);
}

static void apply_scalar(struct walk *w, const struct config_key *k, struct fy_node *keyn, struct fy_node *val)
{
	char *v = scalar_dup(val);
	if (v == NULL) {
		report(w, keyn, "%s: expected a single value%s", k->name, "");
		return;
	}
	const char *why = NULL;
	if (config__set(w->cfg, k, v, &why))
		report(w, val ? val : keyn, "%s: %s", k->name, why);
	free(v);
}

static void apply_strlist(struct walk *w, const struct config_key *k, struct fy_node *keyn, struct fy_node *val)
{
	if (!fy_node_is_sequence(val)) {
		apply_scalar(w, k, keyn, val);
		return;
	}
	struct buf joined;
	buf_init(&joined, 1 << 16);
	void *it = NULL;
	struct fy_node *item;
	while ((item = fy_node_sequence_iterate(val, &it)) != NULL) {
		char *s = scalar_dup(item);
		if (s == NULL || strchr(s, ',') != NULL || s[0] == '\0') {
			report(w, item, "%s: entries must be non-empty strings without commas%s", k->name, "");
			free(s);
			continue;
		}
		if (joined.len)
			buf_appends(&joined, ",");
		buf_appends(&joined, s);
		free(s);
	}
	const char *why = NULL;
	if (config__set(w->cfg, k, joined.data ? joined.data : "", &why))
		report(w, keyn, "%s: %s", k->name, why);
	buf_free(&joined);
}

/* One listener given as a mapping: {address, tls: {cert, key}, redirect_https}. */
static void apply_listener_map(struct walk *w, struct fy_node *m)
{
	char *addr = NULL, *cert = NULL, *key = NULL;
	bool redirect = false;
	void *it = NULL;
	struct fy_node_pair *p;
	while ((p = fy_node_mapping_iterate(m, &it)) != NULL) {
		struct fy_node *kn = fy_node_pair_key(p), *vn = fy_node_pair_value(p);
		char *kname = scalar_dup(kn);
		if (kname && strcmp(kname, "address") == 0) {
			free(addr);
			addr = scalar_dup(vn);
		} else if (kname && strcmp(kname, "redirect_https") == 0) {
			char *b = scalar_dup(vn);
			if (b && strcmp(b, "true") == 0)
				redirect = true;
			else if (!b || strcmp(b, "false") != 0)
				report(w, vn, "listen.redirect_https: must be true or false%s%s", "", "");
			free(b);
		} else if (kname && strcmp(kname, "tls") == 0 && fy_node_is_mapping(vn)) {
			void *it2 = NULL;
			struct fy_node_pair *p2;
			while ((p2 = fy_node_mapping_iterate(vn, &it2)) != NULL) {
				char *k2 = scalar_dup(fy_node_pair_key(p2));
				if (k2 && strcmp(k2, "cert") == 0) {
					free(cert);
					cert = scalar_dup(fy_node_pair_value(p2));
				} else if (k2 && strcmp(k2, "key") == 0) {
					free(key);
					key = scalar_dup(fy_node_pair_value(p2));
				} else {
					report(w, fy_node_pair_key(p2), "unknown key listen.tls.%s%s", k2 ? k2 : "?", "");
				}
				free(k2);
			}
		} else {
			report(w, kn, "unknown key listen.%s%s", kname ? kname : "?", "");
		}
		free(kname);
	}
	if (addr == NULL) {
		report(w, m, "listen: each listener needs an address%s%s", "", "");
	} else {
		const char *why = NULL;
		if (config__add_listen(w->cfg, addr, cert, key, redirect, &why))
			report(w, m, "listen %s: %s", addr, why);
	}
	free(addr);
	free(cert);
	free(key);
}

static void apply_listen(struct walk *w, struct fy_node *keyn, struct fy_node *val)
{
	config__clear_listen(w->cfg);
	if (val && fy_node_is_scalar(val)) {
		const struct config_key *k = config__find_key("listen");
		apply_scalar(w, k, keyn, val);
		return;
	}
	if (val && fy_node_is_mapping(val)) {
		apply_listener_map(w, val);
		return;
	}
	if (val == NULL || !fy_node_is_sequence(val)) {
		report(w, keyn, "listen: expected an address or a list of listeners%s%s", "", "");
		return;
	}
	void *it = NULL;
	struct fy_node *item;
	while ((item = fy_node_sequence_iterate(val, &it)) != NULL) {
		if (fy_node_is_mapping(item)) {
			apply_listener_map(w, item);
		} else {
			char *a = scalar_dup(item);
			const char *why = NULL;
			if (a == NULL || config__add_listen(w->cfg, a, NULL, NULL, false, &why))
				report(w, item, "listen: %s%s", why ? why : "bad listener", "");
			free(a);
		}
	}
}

static bool is_section(const char *prefix)
{
	size_t n = strlen(prefix);
	for (const struct config_key *k = config_keys; k->name; k++)
		if (strncmp(k->name, prefix, n) == 0 && k->name[n] == '.')
			return true;
	return false;
}

static void walk_mapping(struct walk *w, struct fy_node *map, const char *prefix)
{
	void *it = NULL;
	struct fy_node_pair *p;
	while ((p = fy_node_mapping_iterate(map, &it)) != NULL) {
		struct fy_node *kn = fy_node_pair_key(p), *vn = fy_node_pair_value(p);
		char *kname = scalar_dup(kn);
		if (kname == NULL) {
			report(w, kn, "keys must be plain strings%s%s", "", "");
			continue;
		}
		char full[256];
		snprintf(full, sizeof full, "%s%s%s", prefix, prefix[0] ? "." : "", kname);
		const struct config_key *k = config__find_key(full);
		if (k != NULL && k->type == CK_LISTEN) {
			apply_listen(w, kn, vn);
		} else if (k != NULL && k->type == CK_STRLIST) {
			apply_strlist(w, k, kn, vn);
		} else if (k != NULL) {
			apply_scalar(w, k, kn, vn);
			if (strcmp(full, "auth.htpasswd") == 0)
				w->cfg->htpasswd_is_default = false;
		} else if (is_section(full)) {
			if (vn != NULL && fy_node_is_mapping(vn))
				walk_mapping(w, vn, full);
			else
				report(w, kn, "%s: expected a mapping of settings%s", full, "");
		} else {
			report(w, kn, "unknown key \"%s\"%s", full, "");
		}
		free(kname);
	}
}

int config_yaml_apply(struct config *cfg, const char *path, struct buf *errors)
{
	struct walk w = { .cfg = cfg, .path = path, .errors = errors };
	struct fy_diag_cfg dcfg;
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	struct fy_diag *diag = fy_diag_create(&dcfg);
	fy_diag_set_collect_errors(diag, true);
	struct fy_parse_cfg pcfg = { .flags = FYPCF_QUIET | FYPCF_DISABLE_RECYCLING, .diag = diag };
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		buf_printf(errors, "%s: cannot open: %s\n", path, strerror(errno));
		fy_diag_destroy(diag);
		return -EINVAL;
	}
	fclose(f);
	struct fy_document *doc = fy_document_build_from_file(&pcfg, path);
	if (doc == NULL) {
		void *it = NULL;
		struct fy_diag_error *e;
		int n = 0;
		while ((e = fy_diag_errors_iterate(diag, &it)) != NULL) {
			buf_printf(errors, "%s:%d:%d: %s\n", path, e->line + 1, e->column + 1, e->msg);
			n++;
		}
		if (n == 0)
			buf_printf(errors, "%s: not valid YAML\n", path);
		fy_diag_destroy(diag);
		return -EINVAL;
	}
	struct fy_node *root = fy_document_root(doc);
	if (root != NULL) {
		if (!fy_node_is_mapping(root))
			report(&w, root, "the top level must be a mapping of settings%s%s", "", "");
		else
			walk_mapping(&w, root, "");
	}
	fy_document_destroy(doc);
	fy_diag_destroy(diag);
	return w.bad ? -EINVAL : 0;
}
