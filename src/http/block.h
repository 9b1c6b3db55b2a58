/* Fixed-size, reference-counted I/O blocks with a per-worker free list. A
 * block read from one socket is written to the other without copying; it goes
 * back to the free list when the last write that uses it completes. */
#ifndef MG_BLOCK_H
#define MG_BLOCK_H
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define BLOCK_SIZE (64 * 1024)
#define BLOCK_POOL_KEEP 64	/* free blocks a worker keeps for reuse */

struct block {
	int refs;
	struct block_pool *pool;
	struct block *next;	/* free-list link */
	char data[BLOCK_SIZE];
};

struct block_pool {
	struct block *free;
	size_t nfree;
	size_t live;		/* blocks handed out and not yet returned */
};

struct block *block_get(struct block_pool *p);		/* refs = 1 */
void block_ref(struct block *b);
void block_unref(struct block *b);
struct block *block_of(char *data);			/* data pointer -> block */
void block_pool_drain(struct block_pool *p);

/* When s has nothing queued, writes what the socket takes now with
 * uv_try_write (no poller changes: libuv's uv_write re-arms the poller on
 * every call). Returns 1 when everything went out, 0 with bufs and n advanced
 * past what was written (queue the rest with uv_write), or a negative libuv
 * error. */
int block_try_write(uv_stream_t *s, uv_buf_t **bufs, unsigned *n);

/* uv_buf_t over read-only bytes: libuv's type is not const-correct, and
 * writes never modify what they send. */
static inline uv_buf_t block_buf(const char *p, size_t n)
{
	return uv_buf_init((char *)(uintptr_t)p, (unsigned)n);
}

#endif
