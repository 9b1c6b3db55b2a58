/* Growable byte buffer with a maximum size fixed at init: growing past it is
 * a clean error (-ENOBUFS), never unbounded growth. */
#ifndef MG_BUF_H
#define MG_BUF_H
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
/* Appends n bytes; returns 0 or -ENOBUFS when len would exceed max. */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_appends(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends "name: value\r\n" (value of vlen bytes) without printf. */
int buf_header(struct buf *b, const char *name, const char *value, size_t vlen);
/* Appends v in decimal. */
int buf_u64(struct buf *b, unsigned long long v);
/* Writes v in decimal at the end of tmp[24]; returns where the digits start. */
char *fmt_u64(char tmp[24], unsigned long long v);
/* Drops the first n bytes. */
void buf_consume(struct buf *b, size_t n);
static inline void buf_reset(struct buf *b) { b->len = 0; }
/* Room for up to n more bytes: where to write them (then buf_advance by
 * what was written, at most n), or NULL when len + n would exceed max. For
 * writers that know a bound and want no per-piece checks. */
char *buf_space(struct buf *b, size_t n);
static inline void buf_advance(struct buf *b, size_t n)
{
	b->len += n;
	b->data[b->len] = '\0';
}

#endif
