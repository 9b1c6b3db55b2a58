/* `mlgate lockout list|clear`: the brute-force lockouts in the store, for the
 * operator who has to tell a user (or an office) why logins are refused and
 * to lift a lockout early. Clearing bumps the store's credentials counter so
 * running gateways drop their memory of the lockout within a second. */
#include "authn/lockout.h"
#include "cli/cli.h"
#include "core/cidr.h"
#include "store/store.h"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage[] =
	"usage: mlgate lockout list [--all]      locked keys (--all: every key with failures counted)\n"
	"       mlgate lockout clear KEY         KEY is user:NAME or ip:ADDRESS as listed (or: user NAME, ip ADDRESS)\n"
	"  every form takes --store URI or -c FILE\n";

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fmt_ms(const char *v, char *out, size_t n)
{
	long long ms = v ? atoll(v) : 0;
	if (ms <= 0) {
		snprintf(out, n, "-");
		return;
	}
	char secs[24];
	snprintf(secs, sizeof secs, "%lld", ms / 1000);
	cli_fmt_time(secs, "-", out, n);
}

static int list(struct store *s, bool all)
{
	struct store_rows r;
	char *err = NULL;
	int64_t now = now_ms();
	if (lockout_list(s, now, all, &r, &err)) {
		fprintf(stderr, "mlgate lockout: %s\n", err ? err : "store error");
		free(err);
		return 1;
	}
	printf("%-40s %8s %-22s %-22s %s\n", "KEY", "FAILURES", "LOCKED UNTIL", "WINDOW STARTED", "LOCKOUTS");
	for (size_t i = 0; i < r.nrows; i++) {
		char until[40], since[40];
		fmt_ms(store_value(&r, i, 3), until, sizeof until);
		fmt_ms(store_value(&r, i, 2), since, sizeof since);
		bool locked = atoll(store_value(&r, i, 3)) > now;
		printf("%-40s %8s %-22s %-22s %s\n", store_value(&r, i, 0), store_value(&r, i, 1), locked ? until : "-",
		       since, store_value(&r, i, 4));
	}
	store_rows_free(&r);
	return 0;
}

int cli_lockout(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	struct store *s = cli_open_store(&argc, argv, "mlgate lockout");
	if (s == NULL)
		return 1;
	int rc = 2;
	char key[300];
	if (strcmp(argv[1], "list") == 0 && (argc == 2 || (argc == 3 && strcmp(argv[2], "--all") == 0))) {
		rc = list(s, argc == 3);
	} else if (strcmp(argv[1], "clear") == 0 && (argc == 3 || argc == 4)) {
		key[0] = '\0';
		if (argc == 3)
			snprintf(key, sizeof key, "%s", argv[2]);
		else if (strcmp(argv[2], "user") == 0)
			snprintf(key, sizeof key, "user:%s", argv[3]);
		else if (strcmp(argv[2], "ip") == 0) {
			struct ipaddr a;
			char ak[80];
			if (cidr_addr_parse(argv[3], strlen(argv[3]), &a) == 0) {
				cidr_addr_key(&a, ak, sizeof ak);
				snprintf(key, sizeof key, "ip:%s", ak);
			}
		}
		char *err = NULL;
		int r = key[0] ? lockout_clear(s, key, &err) : -EINVAL;
		if (r == 0) {
			if (store_generation_bump(s, "credentials", &err)) {
				fprintf(stderr, "mlgate lockout: cleared, but running gateways may remember it until it "
						"ends: %s\n", err ? err : "store error");
			}
			printf("cleared %s\n", key);
			rc = 0;
		} else if (r == -ENOENT) {
			fprintf(stderr, "mlgate lockout: no lockout counter for %s (see mlgate lockout list --all)\n", key);
			rc = 1;
		} else if (r == -EINVAL) {
			fprintf(stderr, "mlgate lockout: expected user:NAME, ip:ADDRESS, user NAME or ip ADDRESS\n");
		} else {
			fprintf(stderr, "mlgate lockout: %s\n", err ? err : "store error");
			rc = 1;
		}
		free(err);
	}
	if (rc == 2)
		fputs(usage, stderr);
	store_close(s);
	return rc;
}
