/* `mlgate passwd [-c] FILE USER [--stdin]`: sets a user's password in an
 * htpasswd file as a bcrypt (cost 12) entry that htpasswd -v and nginx
 * accept. The password comes from a no-echo prompt (asked twice) or from the
 * first line of standard input. */
#include "authn/htpasswd.h"
#include "authn/htpasswd_write.h"
#include "cli/cli.h"
#include "core/mem.h"
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

int cli_passwd(int argc, char **argv)
{
	bool create = false, from_stdin = false;
	const char *pos[2];
	int np = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0)
			create = true;
		else if (strcmp(argv[i], "--stdin") == 0)
			from_stdin = true;
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			printf("usage: mlgate passwd [-c] FILE USER [--stdin]\n"
			       "  -c       create FILE (replacing it if it exists)\n"
			       "  --stdin  read the password from the first line of standard input\n");
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "mlgate passwd: unknown option %s\n", argv[i]);
			return 2;
		} else if (np < 2) {
			pos[np++] = argv[i];
		} else {
			fprintf(stderr, "mlgate passwd: too many arguments\n");
			return 2;
		}
	}
	if (np != 2) {
		fprintf(stderr, "usage: mlgate passwd [-c] FILE USER [--stdin]\n");
		return 2;
	}
	const char *file = pos[0], *user = pos[1];
	if (!htpasswd_valid_user(user)) {
		fprintf(stderr, "mlgate passwd: invalid user name \"%s\" (no ':', no control characters, 1-127 bytes)\n", user);
		return 2;
	}
	char hash[128];
	if (cli_new_password_hash("mlgate passwd", from_stdin, hash))
		return 1;
	int rc;
	const char *err = NULL;
	rc = htpasswd_write_user(file, user, hash, create, &err);
	if (rc) {
		fprintf(stderr, "mlgate passwd: %s: %s (%s)\n", file, err, strerror(-rc));
		return 1;
	}
	fprintf(stderr, "mlgate passwd: %s user %s in %s\n", create ? "set" : "updated", user, file);
	return 0;
}
