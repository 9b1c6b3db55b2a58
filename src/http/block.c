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
