/* `mlgate token create|list|revoke`: personal access tokens. */
#include "authn/tokens.h"
#include "cli/cli.h"
#include "config/config.h"
#include "store/store.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage[] =
	"usage: mlgate token create --user USER --name NAME [--expires 90d]\n"
	"       mlgate token list [--user USER]\n"
	"       mlgate token revoke ID\n"
	"  every form takes --store URI or -c FILE\n";

int cli_token(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	struct store *s = cli_open_store(&argc, argv, "mlgate token");
	if (s == NULL)
		return 1;
	const char *user = NULL, *name = NULL, *expires = NULL, *pos = NULL;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--user") == 0 && i + 1 < argc)
			user = argv[++i];
		else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
			name = argv[++i];
		else if (strcmp(argv[i], "--expires") == 0 && i + 1 < argc)
			expires = argv[++i];
		else
			pos = argv[i];
	}
	char *err = NULL;
	int rc = 2;
	if (strcmp(argv[1], "create") == 0 && user && name && !pos) {
		uint64_t ms = 0;
		if (expires && (config_parse_duration(expires, &ms) || ms == 0)) {
			fprintf(stderr, "mlgate token: --expires takes a duration such as 90d or 12h\n");
		} else {
			char tok[TOKEN_MAX];
			int64_t exp = expires ? (int64_t)time(NULL) + (int64_t)(ms / 1000) : 0;
			int r = tokens_create(s, user, name, exp, tok, &err);
			if (r == -EEXIST) {
				fprintf(stderr, "mlgate token: %s already has a token named \"%s\"\n", user, name);
				rc = 1;
			} else if (r) {
				fprintf(stderr, "mlgate token: %s\n", err ? err : "store error");
				rc = 1;
			} else {
				printf("%s\n", tok);
				fprintf(stderr, "mlgate token: this is the only time the token is shown; use it as "
						"MLFLOW_TRACKING_TOKEN or as the password with Basic auth\n");
				rc = 0;
			}
		}
	} else if (strcmp(argv[1], "list") == 0 && !pos && !name) {
		struct store_rows r;
		if (tokens_list(s, user, &r, &err)) {
			fprintf(stderr, "mlgate token: %s\n", err ? err : "store error");
			rc = 1;
		} else {
			printf("%-16s %-20s %-20s %-20s %-20s %-20s %s\n", "ID", "USER", "NAME", "CREATED", "EXPIRES",
			       "LAST USED", "REVOKED");
			for (size_t i = 0; i < r.nrows; i++) {
				char c[32], e[32], l[32], v[32];
				cli_fmt_time(store_value(&r, i, 3), "-", c, sizeof c);
				cli_fmt_time(store_value(&r, i, 4), "-", e, sizeof e);
				cli_fmt_time(store_value(&r, i, 5), "-", l, sizeof l);
				cli_fmt_time(store_value(&r, i, 6), "-", v, sizeof v);
				printf("%-16s %-20s %-20s %-20s %-20s %-20s %s\n", store_value(&r, i, 0),
				       store_value(&r, i, 1), store_value(&r, i, 2), c, e, l, v);
			}
			store_rows_free(&r);
			rc = 0;
		}
	} else if (strcmp(argv[1], "revoke") == 0 && pos && !user && !name) {
		int r = tokens_revoke(s, pos, &err);
		if (r == -ENOENT)
			fprintf(stderr, "mlgate token: no live token with id %s\n", pos);
		else if (r)
			fprintf(stderr, "mlgate token: %s\n", err ? err : "store error");
		rc = r ? 1 : 0;
	} else {
		fputs(usage, stderr);
	}
	free(err);
	store_close(s);
	return rc;
}
