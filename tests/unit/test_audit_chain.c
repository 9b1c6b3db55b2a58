/* The audit chain: intact logs verify, every kind of tampering is named at
 * the right line, rotation carries the chain, the head file catches a cut. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "audit/audit_chain.h"
#include "audit/audit_log.h"
#include "core/pct.h"
#include <fcntl.h>
#include <linux/magic.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

static const uint8_t KEY[AUDIT_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };

/* n records as lines (each with '\n'); lines[i] malloc'd. */
static void make(size_t n, char **lines, const uint8_t *key)
{
	struct audit_chain ch;
	audit_chain_init(&ch, key);
	for (size_t i = 0; i < n; i++) {
		struct buf b;
		buf_init(&b, 4096);
		json_t *f = json_pack("{s:s, s:s, s:s, s:i}", "user", "alice", "action", "CreateRegisteredModel",
				      "resource", "churn", "outcome", 200 + (int)i);
		assert_int_equal(audit_chain_append(&ch, f, &b), 0);
		json_decref(f);
		lines[i] = strndup(b.data, b.len);
		buf_free(&b);
	}
}

static enum audit_problem check(char *text, struct audit_chain *ch, bool start, uint64_t *line_no)
{
	FILE *f = fmemopen(text, strlen(text), "r");
	uint64_t records = 0;
	enum audit_problem p = audit_verify_file(f, ch, start, line_no, &records);
	fclose(f);
	return p;
}

static enum audit_problem check_lines(char **lines, const int *order, size_t n, uint64_t *line_no)
{
	char text[65536] = "";
	for (size_t i = 0; i < n; i++)
		strcat(text, lines[order[i]]);
	struct audit_chain ch;
	audit_chain_init(&ch, KEY);
	return check(text, &ch, true, line_no);
}

static void test_tampering(void **state)
{
	char *l[6];
	make(6, l, KEY);
	uint64_t at = 0;
	int intact[] = { 0, 1, 2, 3, 4, 5 };
	assert_int_equal(check_lines(l, intact, 6, &at), AUDIT_OK);
	int removed[] = { 0, 1, 3, 4, 5 };
	assert_int_equal(check_lines(l, removed, 5, &at), AUDIT_REMOVED);
	assert_int_equal(at, 3);
	int swapped[] = { 0, 1, 3, 2, 4, 5 };
	assert_int_equal(check_lines(l, swapped, 6, &at), AUDIT_REORDERED);
	assert_int_equal(at, 3);
	/* an edited byte */
	char *keep = l[2];
	l[2] = strdup(keep);
	char *p = strstr(l[2], "alice");
	p[0] = 'A';
	assert_int_equal(check_lines(l, intact, 6, &at), AUDIT_CHANGED);
	assert_int_equal(at, 3);
	free(l[2]);
	l[2] = keep;
	/* an inserted record, written without the key */
	char *forged[1];
	const uint8_t other[AUDIT_KEY_LEN] = { 9 };
	make(1, forged, other);
	char *all[7] = { l[0], l[1], forged[0], l[2], l[3], l[4], l[5] };
	int seven[] = { 0, 1, 2, 3, 4, 5, 6 };
	assert_int_equal(check_lines(all, seven, 7, &at), AUDIT_INSERTED);
	assert_int_equal(at, 3);
	/* the whole file rewritten under another key */
	char *re[6];
	make(6, re, other);
	assert_int_equal(check_lines(re, intact, 6, &at), AUDIT_CHANGED);
	assert_int_equal(at, 1);
	/* a cut tail */
	char text[65536] = "";
	for (int i = 0; i < 6; i++)
		strcat(text, l[i]);
	text[strlen(text) - 10] = '\0';
	struct audit_chain ch;
	audit_chain_init(&ch, KEY);
	assert_int_equal(check(text, &ch, true, &at), AUDIT_TRUNCATED);
	assert_int_equal(at, 6);
	for (int i = 0; i < 6; i++) {
		free(l[i]);
		free(re[i]);
	}
	free(forged[0]);
}

static void test_rotation_and_head(void **state)
{
	char *l[6];
	make(6, l, KEY);
	char a[65536] = "", b[65536] = "";
	for (int i = 0; i < 4; i++)
		strcat(a, l[i]);
	for (int i = 4; i < 6; i++)
		strcat(b, l[i]);
	uint64_t at;
	struct audit_chain ch;
	audit_chain_init(&ch, KEY);
	assert_int_equal(check(a, &ch, true, &at), AUDIT_OK);
	assert_int_equal(check(b, &ch, false, &at), AUDIT_OK);	/* the chain carries across files */
	assert_int_equal(ch.seq, 6);
	char head[200];
	audit_head_format(&ch, head);
	uint64_t seq;
	char hash[AUDIT_HEX];
	assert_int_equal(audit_head_parse(KEY, head, &seq, hash), 0);
	assert_int_equal(seq, 6);
	assert_string_equal(hash, ch.prev);
	head[0] = '7';	/* a head claiming more than was written must be authentic */
	assert_int_equal(audit_head_parse(KEY, head, &seq, hash), -EINVAL);
	/* a rotated file alone: its first record continues an unseen one */
	audit_chain_init(&ch, KEY);
	assert_int_equal(check(b, &ch, true, &at), AUDIT_OK);
	/* files in the wrong order */
	audit_chain_init(&ch, KEY);
	assert_int_equal(check(b, &ch, true, &at), AUDIT_OK);
	assert_int_not_equal(check(a, &ch, false, &at), AUDIT_OK);
	for (int i = 0; i < 6; i++)
		free(l[i]);
}

struct big_append {
	struct audit_log *al;
	const char *members;
	const size_t *off;
	size_t n;
	int rc;
};

static void *append_thread(void *arg)
{
	struct big_append *b = arg;
	b->rc = audit_log_append_raw(b->al, b->members, b->off, b->n);
	return NULL;
}

static void remove_dir(const char *dir)
{
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* n copies of the record members rec, as a batch: members and offsets. */
static void repeat_members(const char *rec, size_t n, char **members, size_t **off)
{
	size_t l = strlen(rec);
	*members = malloc(n * l);
	*off = malloc((n + 1) * sizeof **off);
	assert_non_null(*members);
	assert_non_null(*off);
	for (size_t i = 0; i <= n; i++) {
		(*off)[i] = i * l;
		if (i < n)
			memcpy(*members + (*off)[i], rec, l);
	}
}

/* Verifies the log at logp under the key at keyp: its number of records
 * (the file is left open in *fp for the caller to read further). */
static uint64_t verified_records(const char *logp, const char *keyp, FILE **fp)
{
	FILE *f = fopen(logp, "r");
	assert_non_null(f);
	uint8_t key[AUDIT_KEY_LEN];
	FILE *kf = fopen(keyp, "r");
	assert_non_null(kf);
	assert_int_equal(fread(key, 1, sizeof key, kf), sizeof key);
	fclose(kf);
	struct audit_chain ch;
	audit_chain_init(&ch, key);
	uint64_t line_no = 0, records = 0;
	assert_int_equal(audit_verify_file(f, &ch, true, &line_no, &records), AUDIT_OK);
	*fp = f;
	return records;
}

/* A worker that finds the log being written is told so (-EBUSY) and
 * nothing of its batch is written; it is written whole later, after the
 * other writer's, and the chain holds both. */
static void test_try_append_while_busy(void **state)
{
	char dir[] = "/tmp/mlgate-audit-try.XXXXXX", logp[128], keyp[128];
	assert_non_null(mkdtemp(dir));
	snprintf(logp, sizeof logp, "%s/audit.log", dir);
	snprintf(keyp, sizeof keyp, "%s/audit.key", dir);
	struct audit_log *al = NULL;
	char *err = NULL;
	assert_int_equal(audit_log_open(logp, keyp, &al, &err), 0);
	/* a batch long enough to hold the lock for a while */
	enum { N = 50000 };
	static const char rec[] = "\"event\":\"mlflow\",\"action\":\"LogMetric\",\"resource\":{\"run\":[\"r1\"]}";
	char *members;
	size_t *off;
	repeat_members(rec, N, &members, &off);
	struct big_append big = { al, members, off, N, -1 };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, append_thread, &big), 0);
	/* an empty batch probes the lock without writing anything */
	size_t none[1] = { 0 };
	int probe = 0;
	for (int i = 0; i < 2000000 && (probe = audit_log_try_append_raw(al, "", none, 0)) == 0; i++)
		;
	static const char mine[] = "\"event\":\"mlflow\",\"action\":\"Mine\"";
	size_t moff[2] = { 0, sizeof mine - 1 };
	int busy = probe == -EBUSY ? audit_log_try_append_raw(al, mine, moff, 1) : -EBUSY;
	assert_int_equal(probe, -EBUSY);	/* the other writer held the lock */
	assert_int_equal(busy, -EBUSY);
	pthread_join(t, NULL);
	assert_int_equal(big.rc, 0);
	assert_int_equal(audit_log_try_append_raw(al, mine, moff, 1), 0);
	audit_log_close(al);
	FILE *f;
	assert_int_equal(verified_records(logp, keyp, &f), N + 1);	/* the big batch, then mine once: nothing of the refused try */
	fseek(f, -200, SEEK_END);
	char tail[256];
	size_t got = fread(tail, 1, sizeof tail - 1, f);
	tail[got] = '\0';
	assert_non_null(strstr(tail, "\"action\":\"Mine\""));
	fclose(f);
	free(members);
	free(off);
	remove_dir(dir);
}

/* Resident pages of fd's first len bytes. */
static size_t resident_pages(int fd, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), n = (len + page - 1) / page, r = 0;
	void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(m != MAP_FAILED);
	unsigned char *v = malloc(n);
	assert_non_null(v);
	assert_int_equal(mincore(m, len, v), 0);
	for (size_t i = 0; i < n; i++)
		r += v[i] & 1;
	free(v);
	munmap(m, len);
	return r;
}

/* A commit puts what it synced out of the page cache (the log is written
 * once and read rarely), all but the last 2 MiB; the chain goes on intact. */
static void test_commit_drops_synced_pages(void **state)
{
	char dir[] = "/tmp/mlgate-audit-drop.XXXXXX", logp[128], keyp[128];
	assert_non_null(mkdtemp(dir));
	struct statfs fs;
	assert_int_equal(statfs(dir, &fs), 0);
	snprintf(logp, sizeof logp, "%s/audit.log", dir);
	snprintf(keyp, sizeof keyp, "%s/audit.key", dir);
	struct audit_log *al = NULL;
	char *err = NULL;
	assert_int_equal(audit_log_open(logp, keyp, &al, &err), 0);
	enum { N = 4000 };	/* a batch: some 2.3 MiB */
	static const char rec[] = "\"event\":\"mlflow\",\"phase\":\"intent\",\"user\":\"alice\",\"action\":\"LogMetric\","
				  "\"path\":\"/api/2.0/mlflow/runs/log-metric\",\"resource\":{\"run\":[\"r1\"]},"
				  "\"request_id\":\"d53817d5cf878a0e00000000001b28b7\",\"ip\":\"10.1.2.3\"";
	char *members;
	size_t *off;
	repeat_members(rec, N, &members, &off);
	for (int b = 0; b < 4; b++)	/* about 9 MiB */
		assert_int_equal(audit_log_append_raw(al, members, off, N), 0);
	int fd = open(logp, O_RDONLY);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	size_t before = resident_pages(fd, (size_t)st.st_size);
	assert_int_equal(audit_log_commit(al), 0);
	size_t head = ((size_t)st.st_size & ~(size_t)((2 << 20) - 1)) - (2 << 20);	/* what may go */
	size_t after = resident_pages(fd, head), kept = resident_pages(fd, (size_t)st.st_size) - after;
	if (fs.f_type != TMPFS_MAGIC) {	/* tmpfs has no disk to drop pages to */
		assert_true(before > head / 4096 / 2);	/* written pages were cached */
		assert_true(after < head / 4096 / 10);	/* and the synced ones are gone */
		assert_true(kept > 0);	/* the tail the next append continues stays */
	}
	assert_int_equal(audit_log_append_raw(al, members, off, N), 0);	/* the chain goes on */
	audit_log_close(al);
	close(fd);
	FILE *f;
	assert_int_equal(verified_records(logp, keyp, &f), 5 * N);
	fclose(f);
	free(members);
	free(off);
	remove_dir(dir);
	(void)state;
}

/* The digests' hex (sixteen bytes at a time, then a byte at a time) is
 * what printf makes, for every byte value and every length around the
 * steps, and writes nothing past its NUL. */
static void test_hex_encode(void **state)
{
	(void)state;
	unsigned char in[80];
	for (size_t i = 0; i < sizeof in; i++)
		in[i] = (unsigned char)(i * 37 + 11);
	for (int round = 0; round < 4; round++) {
		for (size_t n = 0; n <= sizeof in; n++) {
			char got[2 * sizeof in + 8], want[2 * sizeof in + 8];
			memset(got, '#', sizeof got);
			for (size_t i = 0; i < n; i++)
				snprintf(want + 2 * i, 3, "%02x", in[i]);
			want[2 * n] = '\0';
			hex_encode(in, n, got);
			assert_string_equal(got, want);
			assert_int_equal(got[2 * n + 1], '#');
		}
		for (size_t i = 0; i < sizeof in; i++)	/* every byte value passes through */
			in[i] = (unsigned char)(in[i] + 64 + round);
	}
	unsigned char all[256];
	char hex[513];
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	hex_encode(all, sizeof all, hex);
	for (int i = 0; i < 256; i++) {
		char two[3];
		snprintf(two, sizeof two, "%02x", i);
		assert_memory_equal(hex + 2 * i, two, 2);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_encode),
		cmocka_unit_test(test_tampering),
		cmocka_unit_test(test_rotation_and_head),
		cmocka_unit_test(test_try_append_while_busy),
		cmocka_unit_test(test_commit_drops_synced_pages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
