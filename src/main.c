/* mlgate: argv -> subcommand. The table is the registry of subcommands and
 * their one-line help; each lives in src/cli/. */
#include "cli/cli.h"
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define MLGATE_VERSION "0.1.0"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
	bool audited;	/* changes the store: a successful run leaves a security record */
};

static int cmd_version(int argc, char **argv)
{
	printf("mlgate %s\n", MLGATE_VERSION);
	return 0;
}

static const struct command commands[] = {
	{ "serve", cli_serve, "run the gateway in front of MLflow" },
	{ "check-config", cli_check_config, "validate the configuration and exit (--keys lists every key)" },
	{ "passwd", cli_passwd, "set a user's password in an htpasswd file (bcrypt)" },
	{ "user", cli_user, "users in the identity store: add, del, list, passwd, admin", true },
	{ "group", cli_group, "groups: add, del, list, member add|del", true },
	{ "grant", cli_grant, "give a user or @group a level on an experiment, model or name pattern", true },
	{ "revoke", cli_revoke, "take a grant away", true },
	{ "token", cli_token, "personal access tokens: create, list, revoke", true },
	{ "report", cli_report, "access-log report: failed logins by address and user, stuffing, sharing, routes, latency" },
	{ "lockout", cli_lockout, "brute-force lockouts: list them, clear one early", true },
	{ "audit", cli_audit, "verify an audit log's chain: the first record changed, removed, inserted or reordered" },
	{ "routes", cli_routes, "the MLflow routes and the level each needs (--json for tools)" },
	{ "access-review", cli_access_review, "who can reach what and why; accounts and tokens unused for N days" },
	{ "import-mlflow-auth", cli_import_mlflow_auth, "import users and permissions from MLflow's basic_auth.db", true },
	{ "version", cmd_version, "print the version" },
	{ NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: mlgate COMMAND [ARGS]\n\ncommands:\n");
	for (const struct command *c = commands; c->name; c++)
		fprintf(f, "  %-14s %s\n", c->name, c->help);
	fprintf(f, "\n`mlgate COMMAND --help` shows a command's options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (const struct command *c = commands; c->name; c++) {
		if (strcmp(argv[1], c->name) != 0)
			continue;
		/* the command may rearrange its argv: keep the line as given */
		char *line[64];
		int n = argc - 1 < 63 ? argc - 1 : 63;
		memcpy(line, argv + 1, (size_t)n * sizeof *line);
		line[n] = NULL;
		int rc = c->run(argc - 1, argv + 1);
		if (rc == 0 && c->audited)
			cli_audit_command(n, line);
		return rc;
	}
	fprintf(stderr, "mlgate: unknown command \"%s\"\n\n", argv[1]);
	usage(stderr);
	return 2;
}
