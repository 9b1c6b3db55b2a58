/* I/O block pool: loop-thread only, so no locking. */
#include "http/block.h"
#include "core/mem.h"
#include <stddef.h>
#include <stdlib.h>

struct block *block_get(struct block_pool *p)
{
	struct block *b = p->free;
	if (b != NULL) {
		p->free = b->next;
		p->nfree--;
	} else {
		b = mem_alloc(sizeof *b);
	}
	b->refs = 1;
	b->pool = p;
	b->next = NULL;
	p->live++;
	return b;
}

void block_ref(struct block *b)
{
	b->refs++;
}

void block_unref(struct block *b)
{
	if (--b->refs > 0)
		return;
	struct block_pool *p = b->pool;
	p->live--;
	if (p->nfree < BLOCK_POOL_KEEP) {
		b->next = p->free;
		p->free = b;
		p->nfree++;
	} else {
		free(b);
	}
}

struct block *block_of(char *data)
{
	return (struct block *)(data - offsetof(struct block, data));
}

void block_pool_drain(struct block_pool *p)
{
	while (p->free) {
		struct block *b = p->free;
		p->free = b->next;
		free(b);
	}
	p->nfree = 0;
}

int block_try_write(uv_stream_t *s, uv_buf_t **bufs, unsigned *n)
{
	if (uv_stream_get_write_queue_size(s) != 0)
		return 0;
	int w = uv_try_write(s, *bufs, *n);
	if (w == UV_EAGAIN)
		return 0;
	if (w < 0)
		return w;
	size_t left = (size_t)w;
	while (*n > 0 && left >= (*bufs)->len) {
		left -= (*bufs)->len;
		(*bufs)++;
		(*n)--;
	}
	if (*n == 0)
		return 1;
	(*bufs)->base += left;
	(*bufs)->len -= left;
	return 0;
}
