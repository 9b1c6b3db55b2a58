/* `mlgate user add|del|list|passwd|admin`: users in the identity store. */
#include "authn/htpasswd.h"
#include "authn/users.h"
#include "cli/cli.h"
#include "store/store.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage[] =
	"usage: mlgate user add USER [--admin] [--stdin]\n"
	"       mlgate user del USER\n"
	"       mlgate user list\n"
	"       mlgate user passwd USER [--stdin]\n"
	"       mlgate user admin USER on|off   (USER: a store user or one in the htpasswd file)\n"
	"       mlgate user disable|enable USER\n"
	"  every form takes --store URI or -c FILE (default store: sqlite:///./var/mlgate.db)\n";

static int report(int rc, char **errp, const char *what, const char *name)
{
	char *err = *errp;	/* read after rc was computed */
	*errp = NULL;
	if (rc == 0)
		return 0;
	if (rc == -EEXIST)
		fprintf(stderr, "mlgate user: %s \"%s\" already exists\n", what, name);
	else if (rc == -ENOENT)
		fprintf(stderr, "mlgate user: no %s \"%s\"\n", what, name);
	else if (rc == -EINVAL)
		fprintf(stderr, "mlgate user: invalid %s name \"%s\" (no ':', no control characters, 1-127 bytes)\n",
			what, name);
	else
		fprintf(stderr, "mlgate user: %s\n", err ? err : "store error");
	free(err);
	return 1;
}

/* Is user in the configured htpasswd file (so a store profile may be made
 * to hold their admin flag)? */
static bool in_htpasswd(const char *user)
{
	struct htpasswd *h = NULL;
	struct buf warn;
	buf_init(&warn, 65536);
	bool found = htpasswd_load(cli_htpasswd_path(), &h, &warn) == 0 && htpasswd_find(h, user, strlen(user)) != NULL;
	buf_free(&warn);
	htpasswd_free(h);
	return found;
}

int cli_user(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	struct store *s = cli_open_store(&argc, argv, "mlgate user");
	if (s == NULL)
		return 1;
	const char *op = argv[1];
	bool from_stdin = false, admin = false;
	const char *pos[3] = { NULL, NULL, NULL };
	int np = 0;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--stdin") == 0)
			from_stdin = true;
		else if (strcmp(argv[i], "--admin") == 0)
			admin = true;
		else if (np < 3)
			pos[np++] = argv[i];
	}
	char *err = NULL;
	int rc = 2;
	char hash[128];
	if (strcmp(op, "add") == 0 && np == 1) {
		rc = cli_new_password_hash("mlgate user", from_stdin, hash) ? 1
			: report(users_add(s, pos[0], hash, admin, &err), &err, "user", pos[0]);
		if (rc == 0)
			fprintf(stderr, "mlgate user: added %s%s\n", pos[0], admin ? " (admin)" : "");
	} else if (strcmp(op, "del") == 0 && np == 1) {
		rc = report(users_delete(s, pos[0], &err), &err, "user", pos[0]);
		if (rc == 0)
			fprintf(stderr, "mlgate user: deleted %s with their grants, memberships and tokens\n", pos[0]);
	} else if (strcmp(op, "passwd") == 0 && np == 1) {
		rc = cli_new_password_hash("mlgate user", from_stdin, hash) ? 1
			: report(users_set_password(s, pos[0], hash, &err), &err, "user", pos[0]);
	} else if (strcmp(op, "admin") == 0 && np == 2 && (strcmp(pos[1], "on") == 0 || strcmp(pos[1], "off") == 0)) {
		rc = report(users_set_admin(s, pos[0], strcmp(pos[1], "on") == 0, in_htpasswd(pos[0]), &err), &err, "user",
			    pos[0]);
	} else if ((strcmp(op, "disable") == 0 || strcmp(op, "enable") == 0) && np == 1) {
		rc = report(users_set_disabled(s, pos[0], op[0] == 'd', &err), &err, "user", pos[0]);
	} else if (strcmp(op, "list") == 0 && np == 0) {
		struct store_rows r;
		rc = report(users_list(s, &r, &err), &err, "user", "");
		if (rc == 0) {
			printf("%-24s %-5s %-8s %-20s %s\n", "USER", "ADMIN", "DISABLED", "CREATED", "LAST LOGIN");
			for (size_t i = 0; i < r.nrows; i++) {
				char c[32], l[32];
				cli_fmt_time(store_value(&r, i, 3), "never", c, sizeof c);
				cli_fmt_time(store_value(&r, i, 4), "never", l, sizeof l);
				printf("%-24s %-5s %-8s %-20s %s\n", store_value(&r, i, 0),
				       atoi(store_value(&r, i, 1)) ? "yes" : "no", atoi(store_value(&r, i, 2)) ? "yes" : "no",
				       c, l);
			}
			store_rows_free(&r);
		}
	} else {
		fputs(usage, stderr);
	}
	store_close(s);
	return rc;
}
