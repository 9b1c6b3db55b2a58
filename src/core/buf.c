/* Bounded growable buffer (after curl's dynbuf): capacity doubles up to the
 * maximum given at init. */
#include "core/buf.h"
#include "core/mem.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

static int buf__reserve(struct buf *b, size_t extra)
{
	if (extra > b->max || b->len > b->max - extra)
		return -ENOBUFS;
	size_t need = b->len + extra + 1;	/* keep room for a NUL */
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	b->data = mem_realloc(b->data, cap);
	b->cap = cap;
	return 0;
}

char *buf_space(struct buf *b, size_t n)
{
	return buf__reserve(b, n) ? NULL : b->data + b->len;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	int rc = buf__reserve(b, n);
	if (rc)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int buf_appends(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	int rc = buf__reserve(b, (size_t)n);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int buf_header(struct buf *b, const char *name, const char *value, size_t vlen)
{
	size_t nl = strlen(name);
	int rc = buf__reserve(b, nl + 2 + vlen + 2);
	if (rc)
		return rc;
	char *p = b->data + b->len;
	memcpy(p, name, nl);
	p[nl] = ':';
	p[nl + 1] = ' ';
	memcpy(p + nl + 2, value, vlen);
	p[nl + 2 + vlen] = '\r';
	p[nl + 3 + vlen] = '\n';
	b->len += nl + 4 + vlen;
	b->data[b->len] = '\0';
	return 0;
}

char *fmt_u64(char tmp[24], unsigned long long v)
{
	char *p = tmp + 24;
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return p;
}

int buf_u64(struct buf *b, unsigned long long v)
{
	char tmp[24];
	char *p = fmt_u64(tmp, v);
	return buf_append(b, p, (size_t)(tmp + 24 - p));
}

void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}
