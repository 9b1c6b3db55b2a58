/* SHA-256 and HMAC-SHA256 without allocations (OpenSSL's SHA-256 code). */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* SHA-256 of a || b (b may be NULL). */
void sha256_2(const void *a, size_t an, const void *b, size_t bn, uint8_t out[32]);

/* A key's HMAC pads (RFC 2104), absorbed once: each mac then costs its data
 * and two compressions, and copying the pads is a struct copy. Holds key
 * material: wipe it (mem_wipe) when done. */
struct hmac_pads {
	uint64_t state[28];	/* two SHA-256 states, opaque */
};

/* keylen <= 64 (the block size; longer keys would first be hashed). */
void hmac_pads_init(struct hmac_pads *p, const uint8_t *key, size_t keylen);

/* HMAC-SHA256 of a || b || c (b and c may be NULL). */
void hmac_pads_mac(const struct hmac_pads *p, const void *a, size_t an, const void *b, size_t bn, const void *c,
		   size_t cn, uint8_t out[32]);
