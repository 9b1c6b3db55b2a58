/* Flags shared by `serve` and `check-config`: they override the config file. */
#include "cli/cli.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f, const char *cmd)
{
	fprintf(f,
		"usage: mlgate %s [-c FILE] [--listen ADDR] [--upstream URL] [--htpasswd FILE]\n"
		"                 [--access-log FILE|-|off] [--workers N] [--store URI] [--default-permission L]\n"
		"                 [--audit-log FILE|off] [--admin-listen ADDR|off]\n"
		"  -c, --config FILE     YAML configuration (see docs/configuration.md)\n"
		"      --listen ADDR     listen on ADDR (host:port), replacing the configured listeners\n"
		"      --upstream URL    MLflow server, e.g. http://127.0.0.1:5000\n"
		"      --htpasswd FILE   htpasswd file with the users\n"
		"      --access-log F    access log file, - for stdout, off\n"
		"      --workers N       worker threads (0: one per core)\n"
		"      --store URI       identity store: sqlite:///PATH or postgresql://...\n"
		"      --default-permission LEVEL   NO_PERMISSIONS, READ, EDIT or MANAGE\n"
		"      --audit-log FILE  hash-chained audit log, off for none\n"
		"      --admin-listen ADDR   metrics and health listener (default 127.0.0.1:9180), off for none\n",
		cmd);
}

int cli_parse_overrides(int argc, char **argv, const char *cmd, struct config_overrides *ov)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "upstream", required_argument, NULL, 'u' },
		{ "htpasswd", required_argument, NULL, 'p' },
		{ "access-log", required_argument, NULL, 'a' },
		{ "workers", required_argument, NULL, 'w' },
		{ "store", required_argument, NULL, 's' },
		{ "default-permission", required_argument, NULL, 'd' },
		{ "audit-log", required_argument, NULL, 'A' },
		{ "admin-listen", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	memset(ov, 0, sizeof *ov);
	optind = 1;
	int ch;
	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': ov->config_file = optarg; break;
		case 'l': ov->listen = optarg; break;
		case 'u': ov->upstream = optarg; break;
		case 'p': ov->htpasswd = optarg; break;
		case 'a': ov->access_log = optarg; break;
		case 'w': ov->workers = optarg; break;
		case 's': ov->store = optarg; break;
		case 'd': ov->default_permission = optarg; break;
		case 'A': ov->audit_log = optarg; break;
		case 'M': ov->admin_listen = optarg; break;
		case 'h': usage(stdout, cmd); return 1;
		default: usage(stderr, cmd); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "mlgate %s: unexpected argument \"%s\"\n", cmd, argv[optind]);
		usage(stderr, cmd);
		return 2;
	}
	return 0;
}
