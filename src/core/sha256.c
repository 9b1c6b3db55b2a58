/* SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP,
 * which cannot clone a keyed HMAC state without an allocation, a provider
 * call and a cleanse per clone. A mac per credential check and two per MLflow
 * change (audit records) made that a quarter of a record's cost (measured,
 * builds in turn: 0.69-1.09 us per record with EVP, 0.55-0.72 us with these). They are in
 * every OpenSSL 3 release and run the same SHA-NI code. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "core/sha256.h"
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct pads {
	SHA256_CTX inner, outer;
};
_Static_assert(sizeof(struct pads) <= sizeof(struct hmac_pads), "struct hmac_pads holds two SHA-256 states");

void sha256_2(const void *a, size_t an, const void *b, size_t bn, uint8_t out[32])
{
	SHA256_CTX c;
	if (!SHA256_Init(&c) || !SHA256_Update(&c, a, an) || (b && !SHA256_Update(&c, b, bn)) || !SHA256_Final(out, &c))
		abort();	/* cannot fail with OpenSSL's own SHA-256 */
}

void hmac_pads_init(struct hmac_pads *p, const uint8_t *key, size_t keylen)
{
	struct pads s;
	unsigned char k[64];
	if (keylen > sizeof k)
		abort();
	memset(k, 0, sizeof k);
	memcpy(k, key, keylen);
	for (size_t i = 0; i < sizeof k; i++)
		k[i] ^= 0x36;
	if (!SHA256_Init(&s.inner) || !SHA256_Update(&s.inner, k, sizeof k))
		abort();
	for (size_t i = 0; i < sizeof k; i++)
		k[i] ^= 0x36 ^ 0x5c;
	if (!SHA256_Init(&s.outer) || !SHA256_Update(&s.outer, k, sizeof k))
		abort();
	memset(p, 0, sizeof *p);
	memcpy(p, &s, sizeof s);
	OPENSSL_cleanse(k, sizeof k);
	OPENSSL_cleanse(&s, sizeof s);
}

void hmac_pads_mac(const struct hmac_pads *p, const void *a, size_t an, const void *b, size_t bn, const void *c,
		   size_t cn, uint8_t out[32])
{
	/* the states are copied out as bytes: p->state is not a SHA256_CTX */
	const unsigned char *st = (const unsigned char *)p->state;
	unsigned char inner[32];
	SHA256_CTX x;
	memcpy(&x, st + offsetof(struct pads, inner), sizeof x);
	if (!SHA256_Update(&x, a, an) || (b && !SHA256_Update(&x, b, bn)) || (c && !SHA256_Update(&x, c, cn)) ||
	    !SHA256_Final(inner, &x))
		abort();
	memcpy(&x, st + offsetof(struct pads, outer), sizeof x);
	if (!SHA256_Update(&x, inner, sizeof inner) || !SHA256_Final(out, &x))
		abort();
	OPENSSL_cleanse(&x, sizeof x);
	OPENSSL_cleanse(inner, sizeof inner);
}
