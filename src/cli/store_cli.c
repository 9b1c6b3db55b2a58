/* Opening the identity store for the admin commands (--store, -c). */
#include "cli/cli.h"
#include "core/mem.h"
#include "store/store.h"
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define DEFAULT_STORE_DIR "./var"

static char htpasswd_path[4096] = "./var/htpasswd";

static bool audit_enabled = true;	/* the default configuration keeps one */

const char *cli_htpasswd_path(void)
{
	return htpasswd_path;
}

bool cli_audit_enabled(void)
{
	return audit_enabled;
}

struct store *cli_open_store(int *argc, char **argv, const char *who)
{
	const char *uri = NULL, *cfgfile = NULL;
	int w = 1;
	for (int i = 1; i < *argc; i++) {
		if ((strcmp(argv[i], "--store") == 0 || strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) &&
		    i + 1 < *argc) {
			if (argv[i][1] == '-' && argv[i][2] == 's')
				uri = argv[i + 1];
			else
				cfgfile = argv[i + 1];
			i++;
			continue;
		}
		argv[w++] = argv[i];
	}
	*argc = w;
	argv[w] = NULL;
	struct config *cfg = NULL;
	if (uri == NULL || cfgfile != NULL) {
		struct config_overrides ov = { .config_file = cfgfile, .store = uri };
		cfg = config_load_or_report(&ov);
		if (cfg == NULL)
			return NULL;
		uri = cfg->store;
		snprintf(htpasswd_path, sizeof htpasswd_path, "%s", cfg->htpasswd);
		audit_enabled = strcmp(cfg->audit_path, "off") != 0;
		if (strcmp(uri, "sqlite:///./var/mlgate.db") == 0 && mkdir(DEFAULT_STORE_DIR, 0700) == -1 &&
		    errno != EEXIST) {
			fprintf(stderr, "%s: cannot create %s: %s\n", who, DEFAULT_STORE_DIR, strerror(errno));
			config_free(cfg);
			return NULL;
		}
	}
	struct store *s = NULL;
	char *err = NULL;
	if (store_open(uri, &s, &err)) {
		fprintf(stderr, "%s: %s\n", who, err ? err : "cannot open the store");
		free(err);
		s = NULL;
	}
	config_free(cfg);
	return s;
}

void cli_fmt_time(const char *secs, const char *none, char *out, size_t n)
{
	long long t = secs ? atoll(secs) : 0;
	if (t == 0) {
		snprintf(out, n, "%s", none);
		return;
	}
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
