/* `mlgate audit verify [--key-file F] FILE...`: checks an audit log (and its
 * rotated predecessors, oldest first) record by record and names the first
 * record that was changed, removed, inserted or reordered, or where the log
 * was cut. Exit 0 when intact, 1 when not, 2 on usage or I/O errors. */
#include "audit/audit_chain.h"
#include "cli/cli.h"
#include "core/mem.h"
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"usage: mlgate audit verify [--key-file FILE] LOG [LOG...]   (rotated files oldest first)\n"
	"       mlgate audit query [--user U] [--action A] [--resource R] [--since T] [--until T] [--json] LOG...\n"
	"         A and R may be globs (Delete*); T is ISO 8601 UTC, as precise as you like (2026-11-26T16)\n";

static int read_key(const char *path, uint8_t key[AUDIT_KEY_LEN])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, key, AUDIT_KEY_LEN);
	close(fd);
	return n == AUDIT_KEY_LEN ? 0 : -EINVAL;
}

/* Verifies one file continuing ch; returns 0 intact, 1 with a report, 2 on I/O errors. */
static int verify_file(const char *path, struct audit_chain *ch, bool first_file, uint64_t *records)
{
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		fprintf(stderr, "mlgate audit: %s: %s\n", path, strerror(errno));
		return 2;
	}
	uint64_t line_no = 0;
	enum audit_problem p = audit_verify_file(f, ch, first_file, &line_no, records);
	fclose(f);
	if (p == AUDIT_OK)
		return 0;
	if (p == AUDIT_TRUNCATED)
		printf("%s:%llu: the last record is cut short: the log was truncated\n", path, (unsigned long long)line_no);
	else
		printf("%s:%llu: this record %s\n", path, (unsigned long long)line_no, audit_problem_text(p));
	if (ch->seq)
		printf("  (the last intact record is seq %llu)\n", (unsigned long long)ch->seq);
	return 1;
}

/* The head file the writer keeps next to the log: the seq and hash of the
 * last record it committed. Fewer records than that means a cut tail. */
static int check_head(const char *path, const struct audit_chain *ch)
{
	char hp[4200], text[256] = "";
	snprintf(hp, sizeof hp, "%s.head", path);
	FILE *f = fopen(hp, "re");
	if (f == NULL)
		return 0;	/* a rotated file has none */
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	uint64_t seq = 0;
	char hash[AUDIT_HEX];
	if (audit_head_parse(ch->key, text, &seq, hash)) {
		printf("%s: the head file was changed (its mac does not match)\n", hp);
		return 1;
	}
	if (ch->seq < seq) {
		printf("%s: records after seq %llu are missing: the log was truncated (the head says %llu)\n", path,
		       (unsigned long long)ch->seq, (unsigned long long)seq);
		return 1;
	}
	if (ch->seq == seq && strcmp(hash, ch->prev) != 0) {
		printf("%s: the last record (seq %llu) is not the one that was written\n", path,
		       (unsigned long long)seq);
		return 1;
	}
	return 0;
}

/* Does any string in v (a string, or arrays/objects of them) match glob? */
static bool any_matches(json_t *v, const char *glob)
{
	if (json_is_string(v))
		return fnmatch(glob, json_string_value(v), 0) == 0;
	size_t i;
	json_t *e;
	const char *k;
	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			if (any_matches(e, glob))
				return true;
	} else if (json_is_object(v)) {
		json_object_foreach(v, k, e)
			if (any_matches(e, glob))
				return true;
	}
	return false;
}

static void print_text(json_t *r)
{
	char *res = json_dumps(json_object_get(r, "resource"), JSON_COMPACT | JSON_ENCODE_ANY);
	json_t *o = json_object_get(r, "outcome");
	const char *phase = json_string_value(json_object_get(r, "phase"));
	printf("%-24s %-16s %-32s %-8s %3lld %-6s %s %s\n", json_string_value(json_object_get(r, "time")),
	       json_string_value(json_object_get(r, "user")) ? json_string_value(json_object_get(r, "user")) : "-",
	       json_string_value(json_object_get(r, "action")), phase ? phase : "security",
	       (long long)json_integer_value(json_object_get(o, "status")),
	       json_string_value(json_object_get(o, "by")) ? json_string_value(json_object_get(o, "by")) : "",
	       res ? res : "null", json_string_value(json_object_get(r, "request_id")) ?
	       json_string_value(json_object_get(r, "request_id")) : "");
	free(res);
}

static int query(int argc, char **argv)
{
	const char *user = NULL, *action = NULL, *resource = NULL, *since = NULL, *until = NULL;
	bool json = false;
	int i = 2;
	for (; i < argc; i++) {
		const char **slot = strcmp(argv[i], "--user") == 0 ? &user : strcmp(argv[i], "--action") == 0 ? &action
				    : strcmp(argv[i], "--resource") == 0 ? &resource : strcmp(argv[i], "--since") == 0 ? &since
				    : strcmp(argv[i], "--until") == 0 ? &until : NULL;
		if (slot && i + 1 < argc) {
			*slot = argv[++i];
			continue;
		}
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
			continue;
		}
		if (argv[i][0] == '-') {
			fputs(usage, stderr);
			return 2;
		}
		break;
	}
	if (i >= argc) {
		fputs(usage, stderr);
		return 2;
	}
	unsigned long long shown = 0;
	for (; i < argc; i++) {
		FILE *f = fopen(argv[i], "re");
		if (f == NULL) {
			fprintf(stderr, "mlgate audit: %s: %s\n", argv[i], strerror(errno));
			return 2;
		}
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;
		while ((n = getline(&line, &cap, f)) > 0) {
			json_t *r = json_loadb(line, (size_t)n, 0, NULL);
			const char *t = json_string_value(json_object_get(r, "time"));
			const char *u = json_string_value(json_object_get(r, "user"));
			const char *a = json_string_value(json_object_get(r, "action"));
			bool ok = r && t && a && (!user || (u && strcmp(u, user) == 0)) && (!action || fnmatch(action, a, 0) == 0) &&
				  (!resource || any_matches(json_object_get(r, "resource"), resource)) &&
				  (!since || strcmp(t, since) >= 0) && (!until || strncmp(t, until, strlen(until)) < 0);
			if (ok) {
				if (json)
					fwrite(line, 1, (size_t)n, stdout);
				else
					print_text(r);
				shown++;
			}
			json_decref(r);
		}
		free(line);
		fclose(f);
	}
	if (!json)
		fprintf(stderr, "%llu record(s)\n", shown);
	return 0;
}

int cli_audit(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "query") == 0)
		return query(argc, argv);
	if (argc < 2 || strcmp(argv[1], "verify") != 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) ? 0 : 2;
	}
	const char *key_file = "./var/audit.key";
	int i = 2;
	if (i + 1 < argc && strcmp(argv[i], "--key-file") == 0) {
		key_file = argv[i + 1];
		i += 2;
	}
	if (i >= argc) {
		fputs(usage, stderr);
		return 2;
	}
	uint8_t key[AUDIT_KEY_LEN];
	int krc = read_key(key_file, key);
	if (krc) {
		fprintf(stderr, "mlgate audit: cannot read the key %s: %s\n", key_file,
			krc == -EINVAL ? "not a 32-byte key" : strerror(-krc));
		return 2;
	}
	struct audit_chain ch;
	audit_chain_init(&ch, key);
	uint64_t records = 0;
	int rc = 0;
	for (int k = i; k < argc && rc == 0; k++)
		rc = verify_file(argv[k], &ch, k == i, &records);
	if (rc == 0)
		rc = check_head(argv[argc - 1], &ch);
	if (rc == 0)
		printf("intact: %llu record(s), last seq %llu\n", (unsigned long long)records, (unsigned long long)ch.seq);
	mem_wipe(key, sizeof key);
	mem_wipe(&ch, sizeof ch);
	return rc;
}
