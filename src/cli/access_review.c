/* `mlgate access-review [--format text|csv|json] [--unused-days N]`: who can
 * reach what and why (admin, direct, group, pattern, default), then the store
 * accounts and tokens unused for N days (default 90): the seed's "regular
 * review of user permissions" as a report. */
#include "authz/levels.h"
#include "cli/cli.h"
#include "config/config.h"
#include "store/store.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum fmt { FMT_TEXT = 0, FMT_CSV, FMT_JSON };

struct out {
	enum fmt fmt;
	json_t *access, *unused;
};

static void csv_field(const char *s)
{
	if (strpbrk(s, ",\"\n\r") == NULL) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

static void row(struct out *o, const char *user, const char *source, const char *via, const char *kind,
		const char *resource, const char *level)
{
	switch (o->fmt) {
	case FMT_TEXT:
		printf("%-20s %-8s %-16s %-10s %-28s %s\n", user, source, via, kind, resource, level);
		break;
	case FMT_CSV: {
		const char *f[] = { user, source, via, kind, resource, level };
		for (int i = 0; i < 6; i++) {
			if (i)
				putchar(',');
			csv_field(f[i]);
		}
		putchar('\n');
		break;
	}
	case FMT_JSON:
		json_array_append_new(o->access, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "user", user, "source", source,
							   "via", via, "resource_kind", kind, "resource", resource,
							   "level", level));
		break;
	}
}

static const char *v(const struct store_rows *r, size_t i, size_t c)
{
	const char *s = store_value(r, i, c);
	return s ? s : "";
}

int cli_access_review(int argc, char **argv)
{
	struct config_overrides ov = { 0 };
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "-c") == 0)
			ov.config_file = argv[i + 1];
	struct config *cfg = config_load_or_report(&ov);
	if (cfg == NULL)
		return 1;
	struct store *s = cli_open_store(&argc, argv, "mlgate access-review");
	if (s == NULL) {
		config_free(cfg);
		return 1;
	}
	struct out o = { FMT_TEXT, NULL, NULL };
	long days = 90;
	int rc = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
			const char *f = argv[++i];
			o.fmt = strcmp(f, "csv") == 0 ? FMT_CSV : strcmp(f, "json") == 0 ? FMT_JSON : FMT_TEXT;
			if (o.fmt == FMT_TEXT && strcmp(f, "text") != 0)
				rc = 2;
		} else if (strcmp(argv[i], "--unused-days") == 0 && i + 1 < argc) {
			char *end;
			days = strtol(argv[++i], &end, 10);
			if (*end || days < 0)
				rc = 2;
		} else {
			rc = 2;
		}
	}
	if (rc) {
		fprintf(stderr, "usage: mlgate access-review [--format text|csv|json] [--unused-days N] "
				"[--store URI | -c FILE]\n");
		goto out;
	}
	char *err = NULL;
	struct store_rows admins, direct, viagroup, unused_u, unused_t;
	char cutoff[24];
	snprintf(cutoff, sizeof cutoff, "%lld", (long long)time(NULL) - days * 86400);
	const char *cp[] = { cutoff };
	if (store_exec(s, "SELECT username FROM users WHERE is_admin = 1 ORDER BY username", 0, NULL, &admins, &err) ||
	    store_exec(s, "SELECT principal, resource_kind, resource, level FROM grants WHERE principal_kind = 'user' "
			  "ORDER BY principal, resource_kind, resource", 0, NULL, &direct, &err) ||
	    store_exec(s, "SELECT m.username, g.principal, g.resource_kind, g.resource, g.level FROM grants g "
			  "JOIN group_members m ON m.group_name = g.principal WHERE g.principal_kind = 'group' "
			  "ORDER BY m.username, g.resource_kind, g.resource", 0, NULL, &viagroup, &err) ||
	    store_exec(s, "SELECT username, COALESCE(last_login, 0) FROM users WHERE disabled = 0 AND "
			  "(last_login IS NULL OR last_login < $1) ORDER BY username", 1, cp, &unused_u, &err) ||
	    store_exec(s, "SELECT id, username, name, COALESCE(last_used, 0) FROM tokens WHERE revoked_at IS NULL AND "
			  "(last_used IS NULL OR last_used < $1) ORDER BY username, name", 1, cp, &unused_t, &err)) {
		fprintf(stderr, "mlgate access-review: %s\n", err ? err : "store error");
		free(err);
		rc = 1;
		goto out;
	}
	if (o.fmt == FMT_JSON) {
		o.access = json_array();
		o.unused = json_array();
	} else if (o.fmt == FMT_CSV) {
		printf("user,source,via,resource_kind,resource,level\n");
	} else {
		printf("%-20s %-8s %-16s %-10s %-28s %s\n", "USER", "SOURCE", "VIA", "KIND", "RESOURCE", "LEVEL");
	}
	for (size_t i = 0; i < admins.nrows; i++)
		row(&o, v(&admins, i, 0), "admin", "-", "*", "*", "MANAGE");
	for (size_t i = 0; i < direct.nrows; i++) {
		bool pat = strcmp(v(&direct, i, 1), "pattern") == 0;
		row(&o, v(&direct, i, 0), pat ? "pattern" : "direct", "-", v(&direct, i, 1), v(&direct, i, 2),
		    v(&direct, i, 3));
	}
	for (size_t i = 0; i < viagroup.nrows; i++) {
		bool pat = strcmp(v(&viagroup, i, 2), "pattern") == 0;
		char via[160];
		snprintf(via, sizeof via, "@%s", v(&viagroup, i, 1));
		row(&o, v(&viagroup, i, 0), pat ? "pattern" : "group", via, v(&viagroup, i, 2), v(&viagroup, i, 3),
		    v(&viagroup, i, 4));
	}
	row(&o, "*", "default", "-", "*", "*", level_name((enum perm_level)cfg->default_permission));
	if (o.fmt == FMT_TEXT)
		printf("\nUnused for %ld days or never used:\n", days);
	for (size_t i = 0; i < unused_u.nrows; i++) {
		const char *last = atoll(v(&unused_u, i, 1)) ? v(&unused_u, i, 1) : NULL;
		if (o.fmt == FMT_JSON)
			json_array_append_new(o.unused, json_pack("{s:s, s:s, s:o}", "kind", "user", "name", v(&unused_u, i, 0),
								  "last_used", last ? json_integer(atoll(last)) : json_null()));
		else if (o.fmt == FMT_TEXT)
			printf("  user  %-20s %s\n", v(&unused_u, i, 0), last ? "last login too long ago" : "never logged in");
	}
	for (size_t i = 0; i < unused_t.nrows; i++) {
		char name[300];
		snprintf(name, sizeof name, "%s/%s", v(&unused_t, i, 1), v(&unused_t, i, 2));
		const char *last = atoll(v(&unused_t, i, 3)) ? v(&unused_t, i, 3) : NULL;
		if (o.fmt == FMT_JSON)
			json_array_append_new(o.unused, json_pack("{s:s, s:s, s:s, s:o}", "kind", "token", "id",
								  v(&unused_t, i, 0), "name", name, "last_used",
								  last ? json_integer(atoll(last)) : json_null()));
		else if (o.fmt == FMT_TEXT)
			printf("  token %-20s %s (%s)\n", name, last ? "last used too long ago" : "never used",
			       v(&unused_t, i, 0));
	}
	if (o.fmt == FMT_JSON) {
		json_t *doc = json_pack("{s:o, s:o, s:I}", "access", o.access, "unused", o.unused, "unused_days",
					(json_int_t)days);
		char *txt = json_dumps(doc, JSON_INDENT(2));
		printf("%s\n", txt);
		free(txt);
		json_decref(doc);
	}
	store_rows_free(&admins);
	store_rows_free(&direct);
	store_rows_free(&viagroup);
	store_rows_free(&unused_u);
	store_rows_free(&unused_t);
out:
	store_close(s);
	config_free(cfg);
	return rc;
}
