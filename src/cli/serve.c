/* `mlgate serve`: runs the gateway. On the embedded defaults, the first
 * start creates ./var/htpasswd with an "admin" user (an administrator in the
 * identity store) and prints its random password once. */
#include "authn/htpasswd.h"
#include "authn/htpasswd_write.h"
#include "authn/users.h"
#include "cli/cli.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"
#include "http/server.h"
#include "store/store.h"
#include <errno.h>
#include <libgen.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int create_default_htpasswd(const char *path)
{
	char *dcopy = mem_strdup(path);
	char *dir = dirname(dcopy);
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		log_error("cannot create %s: %s", dir, strerror(errno));
		free(dcopy);
		return -1;
	}
	free(dcopy);
	unsigned char rnd[18];
	if (RAND_bytes(rnd, sizeof rnd) != 1)
		return -1;
	static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
	char pw[sizeof rnd + 1];
	for (size_t i = 0; i < sizeof rnd; i++)
		pw[i] = alphabet[rnd[i] % (sizeof alphabet - 1)];
	pw[sizeof rnd] = '\0';
	char hash[128];
	if (htpasswd_hash_bcrypt(pw, 12, hash, sizeof hash)) {
		log_error("cannot hash the admin password");
		return -1;
	}
	const char *err = NULL;
	if (htpasswd_write_user(path, "admin", hash, true, &err)) {
		log_error("cannot write %s: %s", path, err);
		return -1;
	}
	fprintf(stderr,
		"\nmlgate: created %s with user \"admin\"\n"
		"mlgate: admin password (shown once, keep it): %s\n"
		"mlgate: add users with: build/mlgate passwd %s USER\n\n",
		path, pw, path);
	mem_wipe(pw, sizeof pw);
	return 0;
}

static int make_admin(const char *uri, const char *user)
{
	struct store *s = NULL;
	char *err = NULL;
	if (strcmp(uri, "sqlite:///./var/mlgate.db") == 0)
		mkdir("./var", 0700);
	int rc = store_open(uri, &s, &err);
	if (rc == 0)
		rc = users_set_admin(s, user, true, true, &err);
	if (rc)
		log_error("cannot make %s an administrator in %s: %s", user, uri, err ? err : strerror(-rc));
	free(err);
	store_close(s);
	return rc ? -1 : 0;
}

int cli_serve(int argc, char **argv)
{
	struct config_overrides ov;
	int rc = cli_parse_overrides(argc, argv, "serve", &ov);
	if (rc)
		return rc == 1 ? 0 : rc;
	struct config *cfg = config_load_or_report(&ov);
	if (cfg == NULL)
		return 2;
	if (access(cfg->htpasswd, F_OK) == -1 && errno == ENOENT) {
		if (!cfg->htpasswd_is_default) {
			log_error("htpasswd file %s does not exist; create it with: mlgate passwd -c %s USER",
				  cfg->htpasswd, cfg->htpasswd);
			config_free(cfg);
			return 1;
		}
		if (create_default_htpasswd(cfg->htpasswd) || make_admin(cfg->store, "admin")) {
			config_free(cfg);
			return 1;
		}
	}
	config_free(cfg);
	return server_run(&ov);
}
