/* Reading new passwords for the CLI: a no-echo prompt on the terminal asked
 * twice, or the first line of standard input (--stdin, for scripts). */
#include "authn/htpasswd.h"
#include "cli/cli.h"
#include "core/mem.h"
#include <stdio.h>
#include <string.h>
#include <termios.h>

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

int cli_new_password_hash(const char *who, bool from_stdin, char hash[128])
{
	char pw[PW_MAX], again[PW_MAX];
	int rc;
	if (from_stdin) {
		rc = read_line(stdin, pw, sizeof pw);
	} else {
		rc = prompt("New password: ", pw, sizeof pw);
		if (rc == 0)
			rc = prompt("Re-type new password: ", again, sizeof again);
		if (rc == 0 && strcmp(pw, again) != 0) {
			fprintf(stderr, "%s: passwords do not match\n", who);
			rc = -3;
		}
		mem_wipe(again, sizeof again);
	}
	if (rc == -2)
		fprintf(stderr, "%s: password too long (at most %d bytes)\n", who, PW_MAX - 2);
	else if (rc == -1)
		fprintf(stderr, "%s: no password given (no terminal; use --stdin)\n", who);
	else if (rc == 0 && pw[0] == '\0') {
		fprintf(stderr, "%s: empty password refused\n", who);
		rc = -4;
	}
	if (rc == 0) {
		if (strlen(pw) > 72)
			fprintf(stderr, "%s: warning: bcrypt uses only the first 72 bytes of the password\n", who);
		if (htpasswd_hash_bcrypt(pw, 12, hash, 128)) {
			fprintf(stderr, "%s: hashing failed\n", who);
			rc = -5;
		}
	}
	mem_wipe(pw, sizeof pw);
	return rc ? -1 : 0;
}
