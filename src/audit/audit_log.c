/* The audit log writer. Appends go through one lock (records are small and
 * rare next to requests: state changes and security events); each record is
 * one write(2) on an O_APPEND descriptor. */
#include "audit/audit_log.h"
#include "audit/audit_syslog.h"
#include "audit/audit_chain.h"
#include "core/log.h"
#include "core/mem.h"
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct audit_log {
	pthread_mutex_t lock;		/* appends (the chain and the descriptor) */
	pthread_mutex_t commit_lock;	/* commits: fsync and head, outside the append lock */
	int fd;
	char *path;
	struct audit_chain ch;
	uint64_t committed_seq;
	bool dirty;
	ino_t dropped_ino;		/* commits: the file and how much of it left the page cache */
	off_t dropped_to;
	atomic_bool failed;
	atomic_bool to_syslog;		/* copy each record to syslog (audit.syslog) */
	struct buf batch;		/* the batch being written (under lock; kept for reuse) */
	void (*observe)(void *ctx, uint64_t micros, int ok);
	void *observe_ctx;
};

static char *errf(const char *what, const char *path, int e)
{
	size_t n = strlen(what) + strlen(path) + 128;
	char *s = mem_alloc(n);
	snprintf(s, n, "%s %s: %s", what, path, strerror(e));
	return s;
}

static int load_key(const char *path, uint8_t key[AUDIT_KEY_LEN], char **err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		uint8_t k[AUDIT_KEY_LEN];
		if (RAND_bytes(k, sizeof k) != 1) {
			*err = mem_strdup("cannot make an audit key: no randomness");
			return -EIO;
		}
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0) {
			*err = errf("cannot create the audit key", path, errno);
			return -errno;
		}
		bool ok = write(fd, k, sizeof k) == (ssize_t)sizeof k && fsync(fd) == 0;
		close(fd);
		OPENSSL_cleanse(k, sizeof k);
		if (!ok) {
			*err = errf("cannot write the audit key", path, errno);
			return -EIO;
		}
		log_info("created the audit key %s (keep it: `mlgate audit verify` needs it)", path);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0) {
		*err = errf("cannot open the audit key", path, errno);
		return -errno;
	}
	struct stat st;
	if (fstat(fd, &st) == 0 && (st.st_mode & 077)) {
		close(fd);
		size_t n = strlen(path) + 160;
		*err = mem_alloc(n);
		snprintf(*err, n, "the audit key %s is readable by others; chmod 600 %s", path, path);
		return -EACCES;
	}
	ssize_t n = read(fd, key, AUDIT_KEY_LEN);
	close(fd);
	if (n != AUDIT_KEY_LEN) {
		*err = errf("the audit key is not 32 bytes:", path, EINVAL);
		return -EINVAL;
	}
	return 0;
}

/* Continues the chain from the file's last complete line; a partial last
 * line (a crash mid-append: never acknowledged) is cut away. */
static int resume(struct audit_log *al, char **err)
{
	struct stat st;
	if (fstat(al->fd, &st) != 0) {
		*err = errf("cannot stat", al->path, errno);
		return -errno;
	}
	if (st.st_size == 0)
		return 0;
	size_t want = st.st_size < 65536 ? (size_t)st.st_size : 65536;
	char *tail = mem_alloc(want + 1);
	ssize_t n = pread(al->fd, tail, want, st.st_size - (off_t)want);
	if (n != (ssize_t)want) {
		free(tail);
		*err = errf("cannot read", al->path, errno ? errno : EIO);
		return -EIO;
	}
	size_t end = want;
	if (tail[end - 1] != '\n') {
		char *nl = memrchr(tail, '\n', end);
		size_t keep = nl ? (size_t)(nl - tail) + 1 : 0;
		off_t cut = st.st_size - (off_t)(want - keep);
		log_warn("audit log %s ends inside a record (a crash while writing): cutting %zu byte(s)", al->path,
			 want - keep);
		if (ftruncate(al->fd, cut) != 0) {
			free(tail);
			*err = errf("cannot cut the partial record of", al->path, errno);
			return -errno;
		}
		end = keep;
	}
	if (end == 0) {
		free(tail);
		return 0;
	}
	char *last = memrchr(tail, '\n', end - 1);
	size_t start = last ? (size_t)(last - tail) + 1 : 0;
	size_t len = end - 1 - start;
	struct audit_chain probe = al->ch;
	if (audit_chain_check(&probe, tail + start, len, true) != 0)
		log_warn("audit log %s: its last record does not verify under this key; continuing the chain from it",
			 al->path);
	al->ch.seq = audit_line_seq(tail + start, len);
	audit_record_hash_hex(tail + start, len, al->ch.prev);
	al->committed_seq = al->ch.seq;
	OPENSSL_cleanse(&probe, sizeof probe);
	free(tail);
	return 0;
}

static int open_file(struct audit_log *al, char **err)
{
	int fd = open(al->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		*err = errf("cannot open the audit log", al->path, errno);
		return -errno;
	}
	if (al->fd >= 0)
		close(al->fd);
	al->fd = fd;
	return 0;
}

int audit_log_open(const char *path, const char *key_path, struct audit_log **out, char **err)
{
	uint8_t key[AUDIT_KEY_LEN];
	int rc = load_key(key_path, key, err);
	if (rc)
		return rc;
	struct audit_log *al = mem_calloc(1, sizeof *al);
	/* appends hold the lock for microseconds: spin briefly before sleeping
	 * (a futex sleep and wake-up per contended batch cost more than the batch) */
	pthread_mutexattr_t ma;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ADAPTIVE_NP);
	pthread_mutex_init(&al->lock, &ma);
	pthread_mutexattr_destroy(&ma);
	pthread_mutex_init(&al->commit_lock, NULL);
	al->fd = -1;
	al->path = mem_strdup(path);
	buf_init(&al->batch, 256u << 20);
	audit_chain_init(&al->ch, key);
	OPENSSL_cleanse(key, sizeof key);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);	/* read the tail first */
	if (fd < 0) {
		*err = errf("cannot open the audit log", path, errno);
		audit_log_close(al);
		return -errno;
	}
	al->fd = fd;
	rc = resume(al, err);
	if (rc == 0)
		rc = open_file(al, err);
	if (rc) {
		audit_log_close(al);
		return rc;
	}
	*out = al;
	return 0;
}

/* Writes all of p; *done says how much went out (also on failure). */
static int write_all(int fd, const char *p, size_t n, size_t *done)
{
	*done = 0;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		p += w;
		n -= (size_t)w;
		*done += (size_t)w;
	}
	return 0;
}

/* The head file, replaced atomically (temp, fsync, rename), naming the
 * record the snapshot ch ends at. Under commit_lock. */
static int write_head(struct audit_log *al, const struct audit_chain *ch)
{
	char line[200], tmp[4200], head[4200];
	audit_head_format(ch, line);
	snprintf(head, sizeof head, "%s.head", al->path);
	snprintf(tmp, sizeof tmp, "%s.head.tmp", al->path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	size_t done;
	int rc = write_all(fd, line, strlen(line), &done);
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	close(fd);
	if (rc == 0 && rename(tmp, head) != 0)
		rc = -errno;
	return rc;
}

/* fsyncs what was appended and writes the head -- without holding the
 * append lock, so workers keep appending while the disk works. */
void audit_log_set_observer(struct audit_log *al, void (*fn)(void *ctx, uint64_t micros, int ok), void *ctx)
{
	al->observe_ctx = ctx;
	al->observe = fn;
}

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* The log is written once and read rarely: what is on disk leaves the page
 * cache, as PostgreSQL does with its WAL. Holding gigabytes of it would push
 * out pages MLflow's database needs, and appends into freshly allocated page
 * cache cost this VM twice what appends into recycled pages do (measured:
 * 8 KiB appends 3.9-6.0 us without, 2.2-2.6 us with). The last 2 MiB stay,
 * whole large folios included, so an append never waits for a read of the
 * page it continues. */
#define KEEP_CACHED (2 << 20)
static void drop_synced(struct audit_log *al, int fd, const struct stat *st)
{
	if (st->st_ino != al->dropped_ino) {	/* reopened (rotation): a new file */
		al->dropped_ino = st->st_ino;
		al->dropped_to = 0;
	}
	off_t end = (st->st_size & ~(off_t)(KEEP_CACHED - 1)) - KEEP_CACHED;
	if (end <= al->dropped_to)
		return;
	if (posix_fadvise(fd, al->dropped_to, end - al->dropped_to, POSIX_FADV_DONTNEED) == 0)
		al->dropped_to = end;
}

static int commit(struct audit_log *al, bool probe)
{
	pthread_mutex_lock(&al->commit_lock);
	pthread_mutex_lock(&al->lock);
	bool dirty = al->dirty || probe;
	int fd = dirty ? dup(al->fd) : -1;
	struct audit_chain snap = al->ch;
	al->dirty = false;
	pthread_mutex_unlock(&al->lock);
	int rc = 0;
	if (dirty) {
		uint64_t t0 = al->observe ? now_us() : 0;
		struct stat st;
		bool sized = fd >= 0 && fstat(fd, &st) == 0;
		rc = fd < 0 ? -errno : fdatasync(fd) == 0 ? 0 : -errno;
		if (rc == 0 && sized)
			drop_synced(al, fd, &st);
		if (fd >= 0)
			close(fd);
		if (rc == 0)
			rc = write_head(al, &snap);
		pthread_mutex_lock(&al->lock);
		if (rc == 0)
			al->committed_seq = snap.seq;
		else
			al->dirty = true;
		pthread_mutex_unlock(&al->lock);
		if (al->observe)
			al->observe(al->observe_ctx, now_us() - t0, rc == 0);
	}
	OPENSSL_cleanse(&snap, sizeof snap);
	pthread_mutex_unlock(&al->commit_lock);
	return rc;
}

/* After a failed write part of the batch may be in the file: cut the file
 * back to where the batch began, so it holds exactly the chain we have. */
static void cut_back(struct audit_log *al, off_t size)
{
	int rfd = open(al->path, O_RDWR | O_CLOEXEC);	/* the append descriptor is write-only */
	if (rfd < 0 || ftruncate(rfd, size) != 0)
		log_error("cannot cut a partial audit batch from %s: %s", al->path, strerror(errno));
	if (rfd >= 0)
		close(rfd);
}

/* Chains and writes n records: rec(i) appends record i to the batch. */
static int append_batch(struct audit_log *al, size_t n, int (*rec)(struct audit_chain *ch, size_t i, const void *ctx,
								  struct buf *b),
			const void *ctx, bool try_only)
{
	uint64_t t0 = al->observe ? now_us() : 0;
	if (try_only) {
		if (pthread_mutex_trylock(&al->lock) != 0)
			return -EBUSY;
	} else {
		pthread_mutex_lock(&al->lock);
	}
	struct buf *bp = &al->batch, b;
	buf_reset(bp);
	uint64_t seq0 = al->ch.seq;	/* where the chain goes back to if the write fails */
	char prev0[AUDIT_HEX];
	memcpy(prev0, al->ch.prev, sizeof prev0);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = rec(&al->ch, i, ctx, bp);
	size_t wrote = 0;
	if (rc == 0)
		rc = write_all(al->fd, bp->data, bp->len, &wrote);	/* the whole batch in one write */
	if (rc) {
		al->ch.seq = seq0;	/* not in the file: the chain stays where the file is */
		memcpy(al->ch.prev, prev0, sizeof prev0);
		/* what did go out of this batch is cut away again (the size is only
		 * asked on this rare path: a stat per batch costs a syscall) */
		struct stat st;
		if (wrote > 0 && fstat(al->fd, &st) == 0 && st.st_size >= (off_t)wrote)
			cut_back(al, st.st_size - (off_t)wrote);
	} else {
		al->dirty = true;
	}
	b = *bp;
	if (rc == 0 && atomic_load(&al->to_syslog) && b.len) {
		/* one message per record, as written (chain fields included) */
		const char *p = b.data, *end = b.data + b.len;
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
			audit_syslog_line(p, l);
			p += l + 1;
		}
	}
	if (bp->cap > (1 << 20))
		buf_free(bp);	/* a burst's buffer is not kept */
	pthread_mutex_unlock(&al->lock);
	bool was_failed = atomic_exchange(&al->failed, rc != 0);
	if (rc && !was_failed)
		log_error("cannot write the audit log %s: %s", al->path, strerror(-rc));
	else if (!rc && was_failed)
		log_warn("the audit log %s is writable again", al->path);
	if (al->observe)
		al->observe(al->observe_ctx, now_us() - t0, rc == 0);
	return rc;
}

static int rec_json(struct audit_chain *ch, size_t i, const void *ctx, struct buf *b)
{
	json_t *const *fields = ctx;
	return audit_chain_append(ch, fields[i], b);
}

int audit_log_append(struct audit_log *al, json_t *const *fields, size_t n)
{
	return append_batch(al, n, rec_json, fields, false);
}

struct raw_batch {
	const char *members;
	const size_t *off;
};

static int rec_raw(struct audit_chain *ch, size_t i, const void *ctx, struct buf *b)
{
	const struct raw_batch *rb = ctx;
	return audit_chain_append_raw(ch, rb->members + rb->off[i], rb->off[i + 1] - rb->off[i], b);
}

int audit_log_append_raw(struct audit_log *al, const char *members, const size_t *off, size_t n)
{
	struct raw_batch rb = { members, off };
	return append_batch(al, n, rec_raw, &rb, false);
}

int audit_log_try_append_raw(struct audit_log *al, const char *members, const size_t *off, size_t n)
{
	struct raw_batch rb = { members, off };
	return append_batch(al, n, rec_raw, &rb, true);
}

void audit_log_set_syslog(struct audit_log *al, bool on)
{
	if (al && on && !atomic_exchange(&al->to_syslog, true))
		audit_syslog_open();
	else if (al && !on)
		atomic_store(&al->to_syslog, false);
}

int audit_log_record(struct audit_log *al, json_t *fields, bool durable)
{
	int rc = audit_log_append(al, &fields, 1);
	if (rc == 0 && durable) {
		rc = commit(al, false);	/* this record and every one before it */
		if (rc)
			atomic_store(&al->failed, true);
	}
	return rc;
}

int audit_log_commit(struct audit_log *al)
{
	/* refused changes write nothing: while failed, probe whether the disk
	 * takes writes again (the head is rewritten) */
	bool failed = atomic_load(&al->failed);
	int rc = commit(al, failed);
	if (rc == 0 && failed) {
		atomic_store(&al->failed, false);
		log_warn("the audit log %s is writable again", al->path);
	} else if (rc && !atomic_exchange(&al->failed, true)) {
		log_error("cannot commit the audit log %s: %s", al->path, strerror(-rc));
	}
	return rc;
}

int audit_log_reopen(struct audit_log *al)
{
	char *err = NULL;
	(void)commit(al, false);
	pthread_mutex_lock(&al->lock);
	int rc = open_file(al, &err);	/* the chain continues into the new file */
	pthread_mutex_unlock(&al->lock);
	if (rc) {
		log_error("%s", err);
		free(err);
	}
	return rc;
}

bool audit_log_failed(struct audit_log *al)
{
	return al && atomic_load(&al->failed);
}

void audit_log_close(struct audit_log *al)
{
	if (al == NULL)
		return;
	if (al->fd >= 0) {
		(void)commit(al, false);
		close(al->fd);
	}
	pthread_mutex_destroy(&al->lock);
	pthread_mutex_destroy(&al->commit_lock);
	OPENSSL_cleanse(&al->ch, sizeof al->ch);
	buf_free(&al->batch);
	free(al->path);
	free(al);
}

void audit_time_now(char out[40])
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 40 - n, ".%03dZ", (int)(ts.tv_nsec / 1000000));
}

int audit_log_security(struct audit_log *al, const char *action, const char *user, const char *auth,
		       const char *ip, const char *request_id, json_t *details, int status)
{
	if (al == NULL) {
		json_decref(details);
		return 0;
	}
	char when[40];
	audit_time_now(when);
	json_t *f = json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s, s:o?, s:{s:i, s:s}}", "time", when, "event",
			      "security", "request_id", request_id, "user", user, "auth", auth, "ip", ip, "action",
			      action, "resource", details, "outcome", "status", status, "by", "mlgate");
	if (f == NULL)
		return -ENOMEM;
	int rc = audit_log_record(al, f, true);
	json_decref(f);
	return rc;
}
