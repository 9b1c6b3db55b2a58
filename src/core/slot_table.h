/* A bounded table of small per-key states shared by threads: rate-limit
 * buckets, lockout marks. Keys are hashed with a per-table random seed (so
 * clients cannot aim collisions) to 64 bits; a key lives in one of a few
 * slots of its home window, and when the window is full the slot used least
 * recently is reused. Memory is fixed at creation; a lost state only costs a
 * fresh one. Stripes of slots share a mutex. */
#ifndef MG_SLOT_TABLE_H
#define MG_SLOT_TABLE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct slot_table;

struct slot {
	uint64_t hash;			/* 0: empty */
	int64_t used;			/* last use (ms), for reuse */
	int64_t a, b;			/* the caller's state (zero when new) */
};

/* nslots is rounded up to a multiple of the stripe size. */
struct slot_table *slot_table_new(size_t nslots);
void slot_table_free(struct slot_table *t);
/* Finds key's slot, locked. create: a missing key gets a zeroed slot
 * (reusing the window's least recently used one); otherwise NULL when
 * missing. Release every non-NULL result with slot_table_release. */
struct slot *slot_table_acquire(struct slot_table *t, const char *key, size_t len, int64_t now, bool create);
void slot_table_release(struct slot_table *t, struct slot *s);
/* Forgets every key. */
void slot_table_clear(struct slot_table *t);

#endif
