/* Security records of the admin commands that change the store (users,
 * groups, grants, tokens, lockouts, imports): the command line as given
 * (passwords never are: they are prompted or read from stdin) and who ran
 * it, left in the store's outbox for a gateway to chain into its audit log. */
#include "cli/cli.h"
#include "audit/audit_outbox.h"
#include "store/store.h"
#include <ctype.h>
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* Subcommands that only read. */
static bool reads(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;
		return strcmp(argv[i], "list") == 0 || strcmp(argv[i], "--help") == 0;
	}
	return argc < 2;
}

static void camel(char *out, size_t cap, const char *w)
{
	size_t n = strlen(out);
	bool up = true;
	for (; *w && n + 1 < cap; w++) {
		if (*w == '-' || *w == '_') {
			up = true;
			continue;
		}
		out[n++] = up ? (char)toupper((unsigned char)*w) : *w;
		up = false;
	}
	out[n] = '\0';
}

void cli_audit_command(int argc, char **argv)
{
	if (reads(argc, argv))
		return;
	/* a private copy: opening the store takes -c/--store out of it */
	char **v = calloc((size_t)argc + 1, sizeof *v);
	if (v == NULL)
		return;
	memcpy(v, argv, (size_t)argc * sizeof *v);
	int n = argc;
	struct store *s = cli_open_store(&n, v, "mlgate audit record");
	if (s == NULL || !cli_audit_enabled()) {
		store_close(s);
		free(v);
		return;
	}
	char action[96] = "Cli";
	camel(action, sizeof action, v[0]);
	if (n > 1 && v[1][0] != '-' && (strcmp(v[0], "user") == 0 || strcmp(v[0], "group") == 0 ||
					strcmp(v[0], "token") == 0 || strcmp(v[0], "lockout") == 0))
		camel(action, sizeof action, v[1]);
	json_t *args = json_array();
	for (int i = 0; i < n; i++) {
		json_t *a = json_string(v[i]);	/* NULL when not UTF-8 */
		json_array_append_new(args, a ? a : json_string("?"));
	}
	const char *who = getenv("SUDO_USER");
	struct passwd *pw = who ? NULL : getpwuid(geteuid());
	char when[40];
	struct timeval tv;
	gettimeofday(&tv, NULL);
	struct tm tm;
	gmtime_r(&tv.tv_sec, &tm);
	size_t k = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + k, sizeof when - k, ".%03dZ", (int)(tv.tv_usec / 1000));
	json_t *f = json_pack("{s:s, s:s, s:n, s:s, s:s, s:n, s:s, s:{s:o}, s:{s:i, s:s}}", "time", when, "event",
			      "security", "request_id", "user", who ? who : pw ? pw->pw_name : "?", "auth", "cli", "ip",
			      "action", action, "resource", "args", args, "outcome", "status", 200, "by", "mlgate-cli");
	char *err = NULL;
	if (f == NULL || audit_outbox_add(s, f, &err))
		fprintf(stderr, "mlgate: the change is made, but its audit record could not be stored: %s\n",
			err ? err : "encoding failed");
	free(err);
	store_close(s);
	free(v);
}
