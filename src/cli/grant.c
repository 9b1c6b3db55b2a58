/* `mlgate grant (USER|@GROUP) LEVEL (experiment ID|model NAME|pattern GLOB)`,
 * `mlgate revoke (USER|@GROUP) (experiment ID|model NAME|pattern GLOB)` and
 * `mlgate grant --list`. */
#include "authz/grants.h"
#include "cli/cli.h"
#include "store/store.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: mlgate grant (USER|@GROUP) LEVEL (experiment ID|model NAME|pattern GLOB)\n"
	"       mlgate revoke (USER|@GROUP) (experiment ID|model NAME|pattern GLOB)\n"
	"       mlgate grant --list\n"
	"  LEVEL: NO_PERMISSIONS, READ, EDIT or MANAGE; every form takes --store URI or -c FILE\n";

static int report(int rc, char **errp, const char *who, const char *principal)
{
	char *err = *errp;	/* read after rc was computed */
	*errp = NULL;
	if (rc == 0)
		return 0;
	if (rc == -ENOENT)
		fprintf(stderr, "%s: %s\n", who, principal[0] == '@' ? "no such group (create it with `mlgate group add`)"
									: "no such grant");
	else
		fprintf(stderr, "%s: %s\n", who, err ? err : "store error");
	free(err);
	return 1;
}

static int parse_target(const char *who, const char *principal, const char *kind, const char *resource,
			enum principal_kind *pk, const char **pname, enum resource_kind *rk)
{
	*pk = principal[0] == '@' ? PRINCIPAL_GROUP : PRINCIPAL_USER;
	*pname = principal[0] == '@' ? principal + 1 : principal;
	if ((*pname)[0] == '\0' || strchr(*pname, ':') != NULL) {
		fprintf(stderr, "%s: invalid user or group \"%s\"\n", who, principal);
		return -1;
	}
	if (policy_parse_resource_kind(kind, rk)) {
		fprintf(stderr, "%s: resource must be experiment ID, model NAME or pattern GLOB (got \"%s\")\n", who, kind);
		return -1;
	}
	if (resource[0] == '\0' || strlen(resource) > 1000) {
		fprintf(stderr, "%s: empty or over-long resource\n", who);
		return -1;
	}
	if (*rk == RESOURCE_EXPERIMENT)
		for (const char *p = resource; *p; p++)
			if (*p < '0' || *p > '9') {
				fprintf(stderr, "%s: experiment ids are numbers (got \"%s\"); use pattern for names\n", who,
					resource);
				return -1;
			}
	return 0;
}

int cli_grant(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		fputs(usage, stdout);
		return 0;
	}
	struct store *s = cli_open_store(&argc, argv, "mlgate grant");
	if (s == NULL)
		return 1;
	char *err = NULL;
	int rc = 2;
	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		struct store_rows r;
		rc = report(grants_list(s, &r, &err), &err, "mlgate grant", "");
		if (rc == 0) {
			printf("%-28s %-15s %s\n", "PRINCIPAL", "LEVEL", "RESOURCE");
			for (size_t i = 0; i < r.nrows; i++) {
				char who[160];
				snprintf(who, sizeof who, "%s%s", strcmp(store_value(&r, i, 0), "group") == 0 ? "@" : "",
					 store_value(&r, i, 1));
				printf("%-28s %-15s %s %s\n", who, store_value(&r, i, 4), store_value(&r, i, 2),
				       store_value(&r, i, 3));
			}
			store_rows_free(&r);
		}
	} else if (argc == 5) {
		enum principal_kind pk;
		enum resource_kind rk;
		enum perm_level lv;
		const char *pname;
		if (level_parse(argv[2], &lv)) {
			fprintf(stderr, "mlgate grant: LEVEL must be NO_PERMISSIONS, READ, EDIT or MANAGE (got \"%s\")\n",
				argv[2]);
		} else if (parse_target("mlgate grant", argv[1], argv[3], argv[4], &pk, &pname, &rk) == 0) {
			rc = report(grants_set(s, pk, pname, rk, argv[4], lv, &err), &err, "mlgate grant", argv[1]);
			if (rc == 0)
				fprintf(stderr, "mlgate grant: %s has %s on %s %s\n", argv[1], level_name(lv), argv[3], argv[4]);
		}
	} else {
		fputs(usage, stderr);
	}
	store_close(s);
	return rc;
}

int cli_revoke(int argc, char **argv)
{
	struct store *s = cli_open_store(&argc, argv, "mlgate revoke");
	if (s == NULL)
		return 1;
	int rc = 2;
	char *err = NULL;
	enum principal_kind pk;
	enum resource_kind rk;
	const char *pname;
	if (argc != 4)
		fputs(usage, stderr);
	else if (parse_target("mlgate revoke", argv[1], argv[2], argv[3], &pk, &pname, &rk) == 0)
		rc = report(grants_revoke(s, pk, pname, rk, argv[3], &err), &err, "mlgate revoke", "");
	store_close(s);
	return rc;
}
