/* `mlgate group add|del|list|member`: groups and membership. Members are
 * user names: store users and htpasswd-only users alike. */
#include "authz/grants.h"
#include "cli/cli.h"
#include "store/store.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: mlgate group add NAME\n"
	"       mlgate group del NAME\n"
	"       mlgate group list\n"
	"       mlgate group member add|del GROUP USER\n"
	"  every form takes --store URI or -c FILE\n";

static int report(int rc, char **errp, const char *msg_enoent)
{
	char *err = *errp;	/* read after rc was computed */
	*errp = NULL;
	if (rc == 0)
		return 0;
	if (rc == -EEXIST)
		fprintf(stderr, "mlgate group: already exists\n");
	else if (rc == -ENOENT)
		fprintf(stderr, "mlgate group: %s\n", msg_enoent);
	else
		fprintf(stderr, "mlgate group: %s\n", err ? err : "store error");
	free(err);
	return 1;
}

static bool valid_name(const char *n)
{
	size_t l = strlen(n);
	if (l == 0 || l > 127 || n[0] == '@')
		return false;
	for (const char *p = n; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == ':')
			return false;
	return true;
}

int cli_group(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	struct store *s = cli_open_store(&argc, argv, "mlgate group");
	if (s == NULL)
		return 1;
	char *err = NULL;
	int rc = 2;
	const char *op = argv[1];
	if (strcmp(op, "add") == 0 && argc == 3) {
		if (!valid_name(argv[2])) {
			fprintf(stderr, "mlgate group: invalid group name \"%s\"\n", argv[2]);
			rc = 2;
		} else {
			rc = report(groups_add(s, argv[2], &err), &err, "");
		}
	} else if (strcmp(op, "del") == 0 && argc == 3) {
		rc = report(groups_delete(s, argv[2], &err), &err, "no such group");
	} else if (strcmp(op, "member") == 0 && argc == 5 && strcmp(argv[2], "add") == 0) {
		rc = report(groups_member_add(s, argv[3], argv[4], &err), &err, "no such group");
	} else if (strcmp(op, "member") == 0 && argc == 5 && strcmp(argv[2], "del") == 0) {
		rc = report(groups_member_del(s, argv[3], argv[4], &err), &err, "not a member");
	} else if (strcmp(op, "list") == 0 && argc == 2) {
		struct store_rows r;
		rc = report(groups_list(s, &r, &err), &err, "");
		if (rc == 0) {
			const char *cur = NULL;
			for (size_t i = 0; i < r.nrows; i++) {
				const char *g = store_value(&r, i, 0), *m = store_value(&r, i, 1);
				if (cur == NULL || strcmp(cur, g) != 0) {
					printf("%s%s:", cur ? "\n" : "", g);
					cur = g;
				}
				if (m)
					printf(" %s", m);
			}
			if (cur)
				printf("\n");
			store_rows_free(&r);
		}
	} else {
		fputs(usage, stderr);
	}
	store_close(s);
	return rc;
}
