/* Bounded shared slot table (see slot_table.h). */
#include "core/slot_table.h"
#include "core/mem.h"
#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define STRIPE_SLOTS 1024
#define WINDOW 8

struct slot_table {
	size_t nstripes;
	uint64_t seed[2];
	pthread_mutex_t *locks;
	struct slot *slots;
};

struct slot_table *slot_table_new(size_t nslots)
{
	struct slot_table *t = mem_calloc(1, sizeof *t);
	t->nstripes = (nslots + STRIPE_SLOTS - 1) / STRIPE_SLOTS;
	if (t->nstripes == 0)
		t->nstripes = 1;
	t->locks = mem_calloc(t->nstripes, sizeof *t->locks);
	for (size_t i = 0; i < t->nstripes; i++)
		pthread_mutex_init(&t->locks[i], NULL);
	t->slots = mem_calloc(t->nstripes * STRIPE_SLOTS, sizeof *t->slots);
	if (RAND_bytes((unsigned char *)t->seed, sizeof t->seed) != 1) {
		/* no randomness: collisions become aimable but nothing breaks */
		t->seed[0] = (uint64_t)(uintptr_t)t;
		t->seed[1] = 0x9e3779b97f4a7c15ULL;
	}
	return t;
}

void slot_table_free(struct slot_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nstripes; i++)
		pthread_mutex_destroy(&t->locks[i]);
	free(t->locks);
	free(t->slots);
	free(t);
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* Seeded FNV-1a, finalised with a strong mixer: keys are short. */
static uint64_t key_hash(const struct slot_table *t, const char *key, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ t->seed[0];
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 0x100000001b3ULL;
	}
	h = mix(h ^ t->seed[1]);
	return h ? h : 1;
}

struct slot *slot_table_acquire(struct slot_table *t, const char *key, size_t len, int64_t now, bool create)
{
	uint64_t h = key_hash(t, key, len);
	size_t stripe = (size_t)(h % t->nstripes);
	size_t home = (size_t)((h >> 20) % (STRIPE_SLOTS / WINDOW)) * WINDOW;
	pthread_mutex_lock(&t->locks[stripe]);
	struct slot *win = &t->slots[stripe * STRIPE_SLOTS + home];
	struct slot *victim = &win[0];
	for (int i = 0; i < WINDOW; i++) {
		if (win[i].hash == h) {
			win[i].used = now;
			return &win[i];
		}
		if (win[i].hash == 0 ? victim->hash != 0 : (victim->hash != 0 && win[i].used < victim->used))
			victim = &win[i];
	}
	if (!create) {
		pthread_mutex_unlock(&t->locks[stripe]);
		return NULL;
	}
	memset(victim, 0, sizeof *victim);
	victim->hash = h;
	victim->used = now;
	return victim;
}

void slot_table_release(struct slot_table *t, struct slot *s)
{
	size_t idx = (size_t)(s - t->slots);
	pthread_mutex_unlock(&t->locks[idx / STRIPE_SLOTS]);
}

void slot_table_clear(struct slot_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nstripes; i++) {
		pthread_mutex_lock(&t->locks[i]);
		memset(&t->slots[i * STRIPE_SLOTS], 0, STRIPE_SLOTS * sizeof *t->slots);
		pthread_mutex_unlock(&t->locks[i]);
	}
}
