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

#define PW_MAX 512

static int read_line(FILE *f, char *out, size_t cap)
{
	if (fgets(out, (int)cap, f) == NULL)
		return -1;
	size_t n = strlen(out);
	if (n == cap - 1 && out[n - 1] != '\n')
		return -2;
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	return 0;
}

static int prompt(const char *msg, char *out, size_t cap)
{
	FILE *tty = fopen("/dev/tty", "r+e");
	if (tty == NULL)
		return -1;
	struct termios old, noecho;
	int fd = fileno(tty);
	bool restore = tcgetattr(fd, &old) == 0;
	if (restore) {
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fd, TCSAFLUSH, &noecho);
	}
	fputs(msg, tty);
	fflush(tty);
	int rc = read_line(tty, out, cap);
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &old);
	fputs("\n", tty);
	fclose(tty);
	return rc;
}

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
	char pw[PW_MAX], again[PW_MAX];
	int rc;
	if (from_stdin) {
		rc = read_line(stdin, pw, sizeof pw);
	} else {
		rc = prompt("New password: ", pw, sizeof pw);
		if (rc == 0)
			rc = prompt("Re-type new password: ", again, sizeof again);
		if (rc == 0 && strcmp(pw, again) != 0) {
			fprintf(stderr, "mlgate passwd: passwords do not match\n");
			mem_wipe(pw, sizeof pw);
			mem_wipe(again, sizeof again);
			return 1;
		}
		mem_wipe(again, sizeof again);
	}
	if (rc == -2) {
		fprintf(stderr, "mlgate passwd: password too long (at most %d bytes)\n", PW_MAX - 2);
		return 1;
	}
	if (rc != 0) {
		fprintf(stderr, "mlgate passwd: no password given (no terminal; use --stdin)\n");
		return 1;
	}
	if (pw[0] == '\0') {
		fprintf(stderr, "mlgate passwd: empty password refused\n");
		return 1;
	}
	if (strlen(pw) > 72)
		fprintf(stderr, "mlgate passwd: warning: bcrypt uses only the first 72 bytes of the password\n");
	char hash[128];
	rc = htpasswd_hash_bcrypt(pw, 12, hash, sizeof hash);
	mem_wipe(pw, sizeof pw);
	if (rc) {
		fprintf(stderr, "mlgate passwd: hashing failed\n");
		return 1;
	}
	const char *err = NULL;
	rc = htpasswd_write_user(file, user, hash, create, &err);
	if (rc) {
		fprintf(stderr, "mlgate passwd: %s: %s (%s)\n", file, err, strerror(-rc));
		return 1;
	}
	fprintf(stderr, "mlgate passwd: %s user %s in %s\n", create ? "set" : "updated", user, file);
	return 0;
}
