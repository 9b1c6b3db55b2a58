/* Access log formatting and writing. Strings from the client are escaped the
 * way nginx escapes them (\xHH for quotes, backslashes and non-printables),
 * so a line can always be split back into its fields. */
#include "audit/access_log.h"
#include "core/mem.h"
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct access_log {
	int fd;
	atomic_int format;
	bool is_stdout;
};

static int open_path(const char *path)
{
	if (strcmp(path, "-") == 0)
		return dup(STDOUT_FILENO);
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

int access_log_open(const char *path, enum access_log_format fmt, struct access_log **out)
{
	*out = NULL;
	if (strcmp(path, "off") == 0)
		return 0;
	int fd = open_path(path);
	if (fd == -1)
		return -errno;
	struct access_log *al = mem_calloc(1, sizeof *al);
	al->fd = fd;
	atomic_init(&al->format, (int)fmt);
	*out = al;
	return 0;
}

int access_log_reopen(struct access_log *al, const char *path, enum access_log_format fmt)
{
	if (strcmp(path, "off") == 0)
		return 0;
	int fd = open_path(path);
	if (fd == -1)
		return -errno;
	/* dup2 swaps the file under the same descriptor atomically. */
	if (dup2(fd, al->fd) == -1) {
		int e = errno;
		close(fd);
		return -e;
	}
	close(fd);
	atomic_store(&al->format, (int)fmt);
	return 0;
}

void access_log_close(struct access_log *al)
{
	if (al == NULL)
		return;
	close(al->fd);
	free(al);
}

static size_t esc(char *out, size_t cap, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	if (s == NULL || *s == '\0') {
		if (cap > 1)
			out[n++] = '-';
		return n;
	}
	for (; *s && n + 4 < cap; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\') {
			out[n++] = '\\';
			out[n++] = 'x';
			out[n++] = hex[ch >> 4];
			out[n++] = hex[ch & 15];
		} else {
			out[n++] = (char)ch;
		}
	}
	return n;
}

struct outbuf {
	char *p;
	size_t cap;	/* one byte kept for the newline */
	size_t len;
};

static void put(struct outbuf *o, const char *s, size_t n)
{
	if (n > o->cap - o->len)
		n = o->cap - o->len;
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void put_esc(struct outbuf *o, const char *s)
{
	o->len += esc(o->p + o->len, o->cap - o->len + 1, s);
}

static void put_u64(struct outbuf *o, uint64_t v)
{
	char tmp[24];
	char *p = fmt_u64(tmp, v);
	put(o, p, (size_t)(tmp + 24 - p));
}

/* milliseconds as seconds with three decimals, like nginx's $request_time */
static void put_ms(struct outbuf *o, int64_t ms)
{
	put_u64(o, (uint64_t)(ms / 1000));
	char frac[4] = { '.', (char)('0' + ms % 1000 / 100), (char)('0' + ms % 100 / 10), (char)('0' + ms % 10) };
	put(o, frac, 4);
}

size_t access_log_format_line(enum access_log_format fmt, const struct access_entry *e, int64_t now_sec,
			      char *out, size_t cap)
{
	if (fmt == ACCESS_LOG_JSON) {
		char ts[40];
		struct tm tm;
		time_t t = (time_t)now_sec;
		gmtime_r(&t, &tm);
		strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_t *o = json_object();
		json_object_set_new(o, "time", json_string(ts));
		json_object_set_new(o, "remote_addr", json_string(e->remote_addr));
		json_object_set_new(o, "user", e->user && e->user[0] ? json_string(e->user) : json_null());
		json_object_set_new(o, "method", json_string(e->method));
		json_object_set_new(o, "uri", json_stringn(e->target ? e->target : "", e->target ? strlen(e->target) : 0));
		json_object_set_new(o, "protocol", json_string(e->minor_version ? "HTTP/1.1" : "HTTP/1.0"));
		json_object_set_new(o, "status", json_integer(e->status));
		json_object_set_new(o, "body_bytes_sent", json_integer((json_int_t)e->body_bytes_sent));
		json_object_set_new(o, "referer", e->referer ? json_string(e->referer) : json_null());
		json_object_set_new(o, "user_agent", e->user_agent ? json_string(e->user_agent) : json_null());
		json_object_set_new(o, "request_time", json_real((double)e->request_time_ms / 1000.0));
		json_object_set_new(o, "upstream_response_time",
				    e->upstream_time_ms >= 0 ? json_real((double)e->upstream_time_ms / 1000.0) : json_null());
		json_object_set_new(o, "request_id", json_string(e->request_id));
		/* Strings that are not valid UTF-8 become null rather than break the line. */
		char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(6));
		json_decref(o);
		size_t n = s ? strlen(s) : 0;
		if (n + 2 > cap)
			n = 0;
		if (n)
			memcpy(out, s, n);
		out[n++] = '\n';
		free(s);
		return n;
	}
	/* $time_local changes once a second: format it once a second per thread. */
	static __thread int64_t tl_sec = -1;
	static __thread char tl[40];
	if (tl_sec != now_sec) {
		struct tm tm;
		time_t t = (time_t)now_sec;
		localtime_r(&t, &tm);
		strftime(tl, sizeof tl, "%d/%b/%Y:%H:%M:%S %z", &tm);
		tl_sec = now_sec;
	}
	/* Built by hand rather than with snprintf: this runs for every request. */
	struct outbuf o = { out, cap - 1, 0 };
	put(&o, e->remote_addr, strlen(e->remote_addr));
	put(&o, " - ", 3);
	put_esc(&o, e->user);
	put(&o, " [", 2);
	put(&o, tl, strlen(tl));
	put(&o, "] \"", 3);
	put_esc(&o, e->method);
	put(&o, " ", 1);
	put_esc(&o, e->target ? e->target : "-");
	put(&o, e->minor_version ? " HTTP/1.1\" " : " HTTP/1.0\" ", 11);
	put_u64(&o, (uint64_t)e->status);
	put(&o, " ", 1);
	put_u64(&o, e->body_bytes_sent);
	put(&o, " \"", 2);
	put_esc(&o, e->referer);
	put(&o, "\" \"", 3);
	put_esc(&o, e->user_agent);
	put(&o, "\" ", 2);
	put_ms(&o, (int64_t)e->request_time_ms);
	put(&o, " ", 1);
	if (e->upstream_time_ms >= 0)
		put_ms(&o, e->upstream_time_ms);
	else
		put(&o, "-", 1);
	put(&o, " ", 1);
	put(&o, e->request_id, strlen(e->request_id));
	out[o.len++] = '\n';
	return o.len;
}

void access_log_append(struct access_log *al, struct buf *pending, const struct access_entry *e)
{
	char line[16384];
	size_t n = access_log_format_line((enum access_log_format)atomic_load(&al->format), e, (int64_t)time(NULL),
					  line, sizeof line);
	if (n == 0)
		return;
	if (pending->len + n > pending->max / 2)
		access_log_flush(al, pending);
	if (buf_append(pending, line, n)) {
		ssize_t w = write(al->fd, line, n);
		(void)w;
	}
}

void access_log_flush(struct access_log *al, struct buf *pending)
{
	/* Whole lines only, one write: O_APPEND keeps workers' batches apart. */
	size_t off = 0;
	while (off < pending->len) {
		ssize_t w = write(al->fd, pending->data + off, pending->len - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	buf_reset(pending);
}
