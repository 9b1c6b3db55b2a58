/* `mlgate report`: reads access logs (mlgate's text or JSON, nginx combined
 * or the seed's mlflow_access; plain or gzip; files or stdin) in one
 * streaming pass with fixed-size buffers, and prints what a reviewer wants
 * to see (src/audit/report.h) as text, JSON or a self-contained HTML page.
 * A large plain file is split into 32 MiB pieces that several threads take
 * in turn, each with its own fixed buffer and bounded counters, merged at
 * the end. */
#include "audit/log_line.h"
#include "audit/report.h"
#include "cli/cli.h"
#include "config/config.h"
#include "core/mem.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define CHUNK (128 << 10)		/* read buffer per reader: stays in L2 (a longer line is skipped) */
#define SPLIT_MIN (32LL << 20)		/* files smaller than this are read by one thread */
#define MAX_THREADS 16
#define WINDOW (8 << 20)		/* a mapped reader's window: bounds what it holds resident */
#define PIECE (32LL << 20)		/* readers take the file in pieces of this size, one after another */

static const char usage[] =
	"usage: mlgate report [--since T] [--until T] [--json] [--html FILE] [--top N]\n"
	"                     [--stuffing N] [--sharing N] [--threads N] [FILE...]\n"
	"  FILE        access logs: mlgate text or JSON, nginx combined or mlflow_access; plain or\n"
	"              gzip (told by content); none or - reads stdin\n"
	"  --since T, --until T   2026-11-26, 2026-11-26T10:00:00Z (or +01:00), or a time ago: 24h, 7d\n"
	"  --json      the report as JSON on stdout\n"
	"  --html F    a self-contained HTML page (inline SVG charts) written to F\n"
	"  --top N     rows per ranked table (10)\n"
	"  --stuffing N  flag an address failing as at least N user names (5)\n"
	"  --sharing N   flag a user seen from at least N addresses (3)\n"
	"  --threads N   readers for large plain files (default: cores, at most 16)\n";

/* Feeds the complete lines of buf[0..len) to r; returns how many bytes were
 * used (the rest is an incomplete last line). */
static size_t feed(struct report *r, const char *buf, size_t len)
{
	size_t off = 0;
	struct log_rec rec;
	static __thread struct log_time_cache tc;
	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		if (nl == NULL)
			break;
		size_t n = (size_t)(nl - (buf + off));
		if (n > 0) {
			if (log_line_parse(buf + off, n, &rec, &tc) == 0)
				report_add(r, &rec);
			else
				report_skip(r);
		}
		off += n + 1;
	}
	return off;
}

/* Reads a stream to its end with fixed memory: a line longer than the
 * buffer is skipped. read_fn returns bytes, 0 at the end, -1 on error. */
static int stream(struct report *r, long (*read_fn)(void *ctx, char *buf, size_t cap), void *ctx, const char *name)
{
	char *buf = mem_alloc(CHUNK);
	size_t have = 0;
	bool skipping = false;
	for (;;) {
		long got = read_fn(ctx, buf + have, CHUNK - have);
		if (got < 0) {
			fprintf(stderr, "mlgate report: reading %s failed\n", name);
			free(buf);
			return -1;
		}
		if (got == 0)
			break;
		have += (size_t)got;
		size_t start = 0;
		if (skipping) {
			const char *nl = memchr(buf, '\n', have);
			if (nl == NULL) {
				have = 0;
				continue;
			}
			start = (size_t)(nl - buf) + 1;
			skipping = false;
		}
		size_t used = start + feed(r, buf + start, have - start);
		if (used == 0 && have >= CHUNK - 1) {	/* full (one byte is kept for a final newline) */
			report_skip(r);	/* one line longer than the buffer */
			skipping = true;
			have = 0;
			continue;
		}
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	if (have > 0 && !skipping) {
		buf[have] = '\n';	/* a last line without its newline (CHUNK has room: have < CHUNK) */
		feed(r, buf, have + 1);
	}
	free(buf);
	return 0;
}

static long read_gz(void *ctx, char *buf, size_t cap)
{
	int n = gzread((gzFile)ctx, buf, (unsigned)(cap - 1));
	if (n < 0) {
		int e;
		fprintf(stderr, "mlgate report: gzip: %s\n", gzerror((gzFile)ctx, &e));
	}
	return n;
}

struct range_job {
	pthread_t thread;
	int fd;
	off_t size;			/* of the file when it was opened */
	off_t start, end;		/* lines that start in [start, end) are this piece's */
	struct report *r;
	int rc;
	void *(*reader)(void *);	/* reads [start, end) into r */
	off_t piece;			/* the pieces' size */
	atomic_llong *next;		/* the next piece nobody has taken */
};

static void count_line(struct report *r, struct log_time_cache *tc, const char *p, size_t n)
{
	struct log_rec rec;
	if (n == 0)
		return;
	if (log_line_parse(p, n, &rec, tc) == 0)
		report_add(r, &rec);
	else
		report_skip(r);
}

/* Counts the lines that start in [start, end) of the file, read with pread
 * into one fixed buffer (a line longer than the buffer is skipped). */
static void *range_main(void *arg)
{
	struct range_job *j = arg;
	struct log_time_cache tc = { .n = 0 };
	char *buf = mem_alloc(CHUNK);
	off_t base = j->start;		/* file offset of buf[0]: always a line start once found */
	size_t have = 0;
	bool skipping = false;		/* discarding the rest of an overlong line */
	if (base > 0) {
		char c;
		if (pread(j->fd, &c, 1, base - 1) != 1) {
			j->rc = -1;
			free(buf);
			return NULL;
		}
		skipping = c != '\n';	/* the line under way is the previous range's */
	}
	for (;;) {
		if (!skipping && base >= j->end)
			break;
		ssize_t got = pread(j->fd, buf + have, CHUNK - have, base + (off_t)have);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			j->rc = -1;
			break;
		}
		if (got == 0) {
			if (have > 0 && !skipping)
				count_line(j->r, &tc, buf, have);	/* the last line has no newline */
			break;
		}
		have += (size_t)got;
		size_t off = 0;
		if (skipping) {
			const char *nl = memchr(buf, '\n', have);
			if (nl == NULL) {
				base += (off_t)have;
				have = 0;
				continue;
			}
			off = (size_t)(nl - buf) + 1;
			skipping = false;
		}
		while (off < have && base + (off_t)off < j->end) {
			const char *nl = memchr(buf + off, '\n', have - off);
			if (nl == NULL)
				break;
			count_line(j->r, &tc, buf + off, (size_t)(nl - (buf + off)));
			off = (size_t)(nl - buf) + 1;
		}
		if (off == 0 && have == CHUNK) {
			report_skip(j->r);	/* one line longer than the buffer */
			skipping = true;
			base += (off_t)have;
			have = 0;
			continue;
		}
		memmove(buf, buf + off, have - off);
		base += (off_t)off;
		have -= off;
		if (base >= j->end)
			break;
	}
	free(buf);
	return NULL;
}

/* A file that shrinks while it is mapped (a log truncated by copytruncate)
 * raises SIGBUS on the pages past its new end: the reader that touched
 * them stops with an error instead of the process dying. */
static __thread sigjmp_buf *bus_jump;

static void on_sigbus(int sig)
{
	if (bus_jump != NULL)
		siglongjmp(*bus_jump, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Counts the lines of one mapped window from p: returns where the first
 * line it could not finish starts (or the range's end once passed). */
static const char *count_window(struct range_job *j, struct log_time_cache *tc, const char *p, const char *e,
				off_t file_at_p, bool *skipping)
{
	const char *start = p;
	if (*skipping) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		if (nl == NULL)
			return e;
		p = nl + 1;
		*skipping = false;
	}
	while (p < e && file_at_p + (p - start) < j->end) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		if (nl == NULL)
			break;
		size_t n = (size_t)(nl - p);
		if (n >= CHUNK)
			report_skip(j->r);	/* as the streaming reader: longer than its buffer */
		else
			count_line(j->r, tc, p, n);
		p = nl + 1;
	}
	return p;
}

/* What a mapped reader has mapped: unmapped again after a SIGBUS. */
struct mapping {
	char *volatile p;
	volatile size_t len;
};

/* Counts the lines that start in [start, end) of the file through mapped
 * windows of WINDOW bytes: no copy out of the page cache (which cost a
 * sixth of the time), and what is resident stays bounded. */
static void map_ranges(struct range_job *j, struct mapping *m)
{
	struct log_time_cache tc = { .n = 0 };
	long page = sysconf(_SC_PAGESIZE);
	off_t pos = j->start;			/* the next line start not yet counted */
	bool skipping = false;			/* discarding the rest of an overlong line */
	bool first = true;
	while (pos < j->size && (skipping || pos < j->end)) {
		/* the first window also maps the byte before the range (whether a
		 * line ends there): pos itself may start a page */
		off_t at = first && pos > 0 ? pos - 1 : pos;
		at -= at % page;
		size_t len = (size_t)(j->size - at < WINDOW ? j->size - at : WINDOW);
		char *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, j->fd, at);
		if (map == MAP_FAILED) {
			j->rc = -1;
			return;
		}
		m->p = map;
		m->len = len;
		const char *p = map + (pos - at), *e = map + len;
		if (first && j->start > 0 && p[-1] != '\n')
			skipping = true;	/* the line under way is the previous range's */
		first = false;
		bool eof = at + (off_t)len == j->size;
		const char *q = count_window(j, &tc, p, e, pos, &skipping);
		if (q == p && !eof && !skipping) {
			report_skip(j->r);	/* a line longer than the window */
			skipping = true;
			q = e;
		}
		pos += q - p;
		if (eof && pos < j->size && !skipping && pos < j->end) {
			size_t n = (size_t)(j->size - pos);	/* the last line has no newline */
			if (n >= CHUNK)
				report_skip(j->r);
			else
				count_line(j->r, &tc, map + (pos - at), n);
			pos = j->size;
		}
		m->p = NULL;
		munmap(map, len);
		if (eof)
			return;
	}
}

static void *mapped_main(void *arg)
{
	struct range_job *j = arg;
	struct mapping m = { .p = NULL, .len = 0 };
	sigjmp_buf jump;
	if (sigsetjmp(jump, 1) != 0) {
		bus_jump = NULL;
		if (m.p != NULL)
			munmap(m.p, m.len);
		fprintf(stderr, "mlgate report: the file shrank while it was read\n");
		errno = EIO;
		j->rc = -1;
		return NULL;
	}
	bus_jump = &jump;
	map_ranges(j, &m);
	bus_jump = NULL;
	return NULL;
}

/* A reader takes the next piece until none is left: a reader whose core is
 * busy with something else takes fewer, instead of the others waiting for
 * its fixed share at the end. */
static void *pieces_main(void *arg)
{
	struct range_job *j = arg;
	for (;;) {
		long long k = atomic_fetch_add(j->next, 1);
		if (k * j->piece >= j->size || j->rc)
			return NULL;
		j->start = k * j->piece;
		j->end = j->size - j->start > j->piece ? j->start + j->piece : j->size;
		j->reader(j);
	}
}

static int read_file_ranges(struct report *r, int fd, off_t size, int threads, const struct report_opts *o)
{
	if (threads < 1 || size < SPLIT_MIN)
		threads = 1;
	off_t piece = threads == 1 ? (size > 0 ? size : 1) : PIECE;
	atomic_llong next = 0;
	/* mapped when the file can be (not every file system maps), else read */
	void *(*reader)(void *) = range_main;
	if (size > 0) {
		void *m = mmap(NULL, 1, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m != MAP_FAILED) {
			munmap(m, 1);
			reader = mapped_main;
			struct sigaction sa = { .sa_handler = on_sigbus };
			sigemptyset(&sa.sa_mask);
			sigaction(SIGBUS, &sa, NULL);
		}
	}
	struct range_job jobs[MAX_THREADS];
	for (int i = 0; i < threads; i++) {
		jobs[i] = (struct range_job){ .fd = fd, .size = size, .r = i == 0 ? r : report_new(o), .reader = reader,
					      .piece = piece, .next = &next };
		if (i == 0 || pthread_create(&jobs[i].thread, NULL, pieces_main, &jobs[i]) != 0)
			jobs[i].thread = 0;
	}
	pieces_main(&jobs[0]);	/* and any piece a reader that could not start would have taken */
	int rc = jobs[0].rc;
	for (int i = 1; i < threads; i++) {
		if (jobs[i].thread)
			pthread_join(jobs[i].thread, NULL);
		rc |= jobs[i].rc;
		report_merge(r, jobs[i].r);
		report_free(jobs[i].r);
	}
	return rc;
}

static int read_input(struct report *r, const char *path, int threads, const struct report_opts *o)
{
	bool is_stdin = strcmp(path, "-") == 0;
	int fd = is_stdin ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "mlgate report: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	unsigned char magic[2] = { 0, 0 };
	struct stat st;
	bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	bool gz = false;
	if (regular) {
		gz = pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
	}
	int rc;
	if (gz || (!regular)) {
		/* a pipe: gzip is told by content too (zlib reads plain data through) */
		gzFile g = gzdopen(fd, "rb");
		if (g == NULL) {
			close(fd);
			return -1;
		}
		gzbuffer(g, 1 << 17);
		rc = stream(r, read_gz, g, is_stdin ? "stdin" : path);
		gzclose(g);
		return rc;
	}
	rc = read_file_ranges(r, fd, st.st_size, threads, o);
	if (rc)
		fprintf(stderr, "mlgate report: reading %s failed: %s\n", path, strerror(errno));
	close(fd);
	return rc;
}

/* 2026-11-26, 2026-11-26T10:00[:SS][Z|+hh:mm], or a duration ago. */
static int parse_when(const char *s, int64_t *out)
{
	uint64_t ms;
	if (config_parse_duration(s, &ms) == 0 && strchr(s, '-') == NULL) {
		*out = (int64_t)time(NULL) - (int64_t)(ms / 1000);
		return 0;
	}
	char buf[64];
	size_t n = strlen(s);
	if (n == 10)
		snprintf(buf, sizeof buf, "%sT00:00:00Z", s);
	else if (n == 16)
		snprintf(buf, sizeof buf, "%s:00Z", s);
	else
		snprintf(buf, sizeof buf, "%s", s);
	return log_line_time(buf, strlen(buf), out);
}

int cli_report(int argc, char **argv)
{
	struct report_opts o = { .since = INT64_MIN, .until = INT64_MAX, .top = 10, .stuffing_users = 5, .sharing_addrs = 3 };
	bool json = false;
	const char *html = NULL;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int threads = cores > 0 ? (int)(cores < MAX_THREADS ? cores : MAX_THREADS) : 1;
	const char *files[256];
	int nfiles = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		} else if (strcmp(a, "--json") == 0) {
			json = true;
		} else if ((strcmp(a, "--since") == 0 || strcmp(a, "--until") == 0) && v) {
			int64_t t;
			if (parse_when(v, &t)) {
				fprintf(stderr, "mlgate report: %s: cannot read \"%s\" as a date, time or duration\n", a, v);
				return 2;
			}
			*(a[2] == 's' ? &o.since : &o.until) = t;
			i++;
		} else if (strcmp(a, "--html") == 0 && v) {
			html = v;
			i++;
		} else if ((strcmp(a, "--top") == 0 || strcmp(a, "--stuffing") == 0 || strcmp(a, "--sharing") == 0 ||
			    strcmp(a, "--threads") == 0) && v) {
			char *end;
			long x = strtol(v, &end, 10);
			if (*end || x < 1 || x > 100000) {
				fprintf(stderr, "mlgate report: %s takes a number from 1 to 100000\n", a);
				return 2;
			}
			if (a[2] == 't' && a[3] == 'o')
				o.top = (int)x;
			else if (a[2] == 's' && a[3] == 't')
				o.stuffing_users = (int)x;
			else if (a[2] == 's')
				o.sharing_addrs = (int)x;
			else
				threads = (int)(x < MAX_THREADS ? x : MAX_THREADS);
			i++;
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "mlgate report: unknown option %s\n%s", a, usage);
			return 2;
		} else if (nfiles < (int)(sizeof files / sizeof files[0])) {
			files[nfiles++] = a;
		} else {
			fprintf(stderr, "mlgate report: at most 256 files\n");
			return 2;
		}
	}
	if (nfiles == 0)
		files[nfiles++] = "-";
	struct report *r = report_new(&o);
	int rc = 0;
	for (int i = 0; i < nfiles; i++)
		if (read_input(r, files[i], threads, &o))
			rc = 1;
	if (html) {
		int fd = open(html, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
		if (f == NULL || report_html(r, f) != 0 || fclose(f) != 0) {
			fprintf(stderr, "mlgate report: cannot write %s: %s\n", html, strerror(errno));
			rc = 1;
		} else {
			fprintf(stderr, "mlgate report: wrote %s\n", html);
		}
	}
	if (json) {
		if (report_json(r, stdout))
			rc = 1;
	} else if (!html) {
		report_text(r, stdout, isatty(1));
	}
	report_free(r);
	return rc;
}
