/* htpasswd loading and verification. apr1 and {SHA} go through apr-util (the
 * code htpasswd itself uses), modular crypt formats through libxcrypt's
 * crypt_rn (thread-safe); {SSHA} through OpenSSL. Every comparison of a
 * computed hash with the stored one is CRYPTO_memcmp. */
#include "authn/htpasswd.h"
#include "core/mem.h"
#include <apr_md5.h>
#include <apr_sha1.h>
#include <crypt.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static atomic_uint_fast64_t next_generation = 1;

int htpasswd_classify(const char *hash, enum htpasswd_scheme *scheme)
{
	static const char *const crypt_prefixes[] = {
		"$2y$", "$2b$", "$2a$", "$5$", "$6$", "$y$", "$gy$", "$7$", "$1$", NULL,
	};
	if (strncmp(hash, "$apr1$", 6) == 0) {
		*scheme = HTP_APR1;
		return 0;
	}
	if (strncmp(hash, "{SHA}", 5) == 0) {
		*scheme = HTP_SHA1;
		return strlen(hash) == 5 + 28 ? 0 : -EINVAL;
	}
	if (strncmp(hash, "{SSHA}", 6) == 0) {
		*scheme = HTP_SSHA;
		return strlen(hash) > 6 + 28 ? 0 : -EINVAL;
	}
	if (strncmp(hash, "pbkdf2:", 7) == 0 || strncmp(hash, "scrypt:", 7) == 0) {
		/* only in MLflow's auth database (imported), never in htpasswd files */
		*scheme = HTP_WERKZEUG;
		return strchr(hash, '$') ? 0 : -EINVAL;
	}
	for (int i = 0; crypt_prefixes[i]; i++) {
		if (strncmp(hash, crypt_prefixes[i], strlen(crypt_prefixes[i])) == 0) {
			*scheme = HTP_CRYPT;
			return 0;
		}
	}
	return -EINVAL;	/* plain text, {PLAIN}, DES-crypt, or unknown */
}

static int cmp_entry(const void *a, const void *b)
{
	const struct htpasswd_entry *x = a, *y = b;
	int c = strcmp(x->user, y->user);
	return c ? c : (x->line > y->line) - (x->line < y->line);
}

int htpasswd_load(const char *path, struct htpasswd **out, struct buf *warnings)
{
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return -errno;
	struct stat st;
	if (fstat(fileno(f), &st) == -1) {
		int e = errno;
		fclose(f);
		return -e;
	}
	struct htpasswd *h = mem_calloc(1, sizeof *h);
	size_t cap = 0;
	char *line = NULL;
	size_t lcap = 0;
	ssize_t n;
	int lineno = 0;
	while ((n = getline(&line, &lcap, f)) != -1) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		char *colon = strchr(line, ':');
		if (colon == NULL || colon == line) {
			buf_printf(warnings, "%s:%d: not a user:hash line, ignored\n", path, lineno);
			continue;
		}
		*colon = '\0';
		char *hash = colon + 1;
		char *extra = strchr(hash, ':');	/* third field: a comment */
		if (extra)
			*extra = '\0';
		enum htpasswd_scheme scheme;
		if (htpasswd_classify(hash, &scheme)) {
			buf_printf(warnings,
				   "%s:%d: user \"%s\" refused: plain-text, DES-crypt or unknown hash; "
				   "set a new password with `mlgate passwd %s %s`\n",
				   path, lineno, line, path, line);
			continue;
		}
		if (h->n == cap) {
			cap = cap ? cap * 2 : 16;
			h->entries = mem_realloc(h->entries, cap * sizeof *h->entries);
		}
		h->entries[h->n].user = mem_strdup(line);
		h->entries[h->n].hash = mem_strdup(hash);
		h->entries[h->n].scheme = scheme;
		h->entries[h->n].line = lineno;
		h->n++;
	}
	if (line) {
		mem_wipe(line, lcap);
		free(line);
	}
	fclose(f);
	if (h->n > 1) {
		/* Stable dedupe: the first line for a user wins, as in nginx. */
		qsort(h->entries, h->n, sizeof *h->entries, cmp_entry);
		size_t w = 1;
		for (size_t i = 1; i < h->n; i++) {
			if (strcmp(h->entries[i].user, h->entries[w - 1].user) == 0) {
				buf_printf(warnings, "%s: user \"%s\" appears more than once; one entry is used\n",
					   path, h->entries[i].user);
				free(h->entries[i].user);
				free(h->entries[i].hash);
				continue;
			}
			h->entries[w++] = h->entries[i];
		}
		h->n = w;
	}
	h->generation = atomic_fetch_add(&next_generation, 1);
	h->dev = st.st_dev;
	h->ino = st.st_ino;
	h->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	h->size = st.st_size;
	*out = h;
	return 0;
}

void htpasswd_free(struct htpasswd *h)
{
	if (h == NULL)
		return;
	for (size_t i = 0; i < h->n; i++) {
		free(h->entries[i].user);
		mem_wipe(h->entries[i].hash, strlen(h->entries[i].hash));
		free(h->entries[i].hash);
	}
	free(h->entries);
	free(h);
}

const struct htpasswd_entry *htpasswd_find(const struct htpasswd *h, const char *user, size_t len)
{
	size_t lo = 0, hi = h->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *u = h->entries[mid].user;
		int c = strncmp(u, user, len);
		if (c == 0 && u[len] != '\0')
			c = 1;
		if (c == 0)
			return &h->entries[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool htpasswd_changed(const struct htpasswd *h, const char *path)
{
	struct stat st;
	if (stat(path, &st) == -1)
		return false;	/* a missing file keeps the last good snapshot */
	int64_t m = (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	return st.st_dev != h->dev || st.st_ino != h->ino || m != h->mtime_ns || st.st_size != h->size;
}

static int ct_equal_str(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb)
		return -EACCES;
	return CRYPTO_memcmp(a, b, la) == 0 ? 0 : -EACCES;
}

static int verify_ssha(const char *hash, const char *password)
{
	unsigned char raw[256];
	const char *b64 = hash + 6;
	size_t blen = strlen(b64);
	if (blen > 340)
		return -EINVAL;
	int n = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)blen);
	if (n < 0)
		return -EINVAL;
	while (blen > 0 && b64[blen - 1] == '=') {	/* EVP_DecodeBlock counts padding */
		n--;
		blen--;
	}
	if (n <= SHA_DIGEST_LENGTH)
		return -EINVAL;
	unsigned char md[EVP_MAX_MD_SIZE];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx == NULL || !EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) ||
	    !EVP_DigestUpdate(ctx, password, strlen(password)) ||
	    !EVP_DigestUpdate(ctx, raw + SHA_DIGEST_LENGTH, (size_t)n - SHA_DIGEST_LENGTH) ||
	    !EVP_DigestFinal_ex(ctx, md, NULL)) {
		EVP_MD_CTX_free(ctx);
		return -EINVAL;
	}
	EVP_MD_CTX_free(ctx);
	return CRYPTO_memcmp(md, raw, SHA_DIGEST_LENGTH) == 0 ? 0 : -EACCES;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Werkzeug's generate_password_hash formats, as MLflow's auth app stores
 * them: "pbkdf2:<digest>:<iterations>$<salt>$<hex>" (the salt text is the
 * salt bytes; the key is the digest's size) and "scrypt:<N>:<r>:<p>$<salt>$<hex>"
 * (64-byte key). */
static int verify_werkzeug(const char *hash, const char *password)
{
	const char *d1 = strchr(hash, '$');
	const char *d2 = d1 ? strchr(d1 + 1, '$') : NULL;
	if (d2 == NULL)
		return -EINVAL;
	char method[64];
	size_t ml = (size_t)(d1 - hash);
	if (ml >= sizeof method)
		return -EINVAL;
	memcpy(method, hash, ml);
	method[ml] = '\0';
	const char *salt = d1 + 1;
	size_t sl = (size_t)(d2 - salt);
	const char *hex = d2 + 1;
	size_t hl = strlen(hex);
	unsigned char want[64], got[64];
	if (hl % 2 || hl / 2 > sizeof want || hl == 0)
		return -EINVAL;
	for (size_t i = 0; i < hl / 2; i++) {
		int a = hexval(hex[2 * i]), b = hexval(hex[2 * i + 1]);
		if (a < 0 || b < 0)
			return -EINVAL;
		want[i] = (unsigned char)(a * 16 + b);
	}
	size_t klen = hl / 2;
	int ok = 0;
	if (strncmp(method, "pbkdf2:", 7) == 0) {
		char dname[16];
		unsigned long iter = 0;
		if (sscanf(method + 7, "%15[a-z0-9]:%lu", dname, &iter) != 2 || iter == 0 || iter > 10000000)
			return -EINVAL;
		const EVP_MD *md = strcmp(dname, "sha256") == 0 ? EVP_sha256()
				 : strcmp(dname, "sha512") == 0 ? EVP_sha512()
				 : strcmp(dname, "sha1") == 0 ? EVP_sha1() : NULL;
		if (md == NULL || klen != (size_t)EVP_MD_get_size(md))
			return -EINVAL;
		ok = PKCS5_PBKDF2_HMAC(password, (int)strlen(password), (const unsigned char *)salt, (int)sl, (int)iter,
				       md, (int)klen, got);
	} else {
		unsigned long n = 0, r = 0, p = 0;
		if (sscanf(method + 7, "%lu:%lu:%lu", &n, &r, &p) != 3 || n < 2 || n > (1UL << 20) || r == 0 ||
		    r > 64 || p == 0 || p > 16)
			return -EINVAL;
		ok = EVP_PBE_scrypt(password, strlen(password), (const unsigned char *)salt, sl, n, r, p,
				    132 * n * r * p + (1 << 20), got, klen);
	}
	if (ok != 1)
		return -EINVAL;
	int rc = CRYPTO_memcmp(got, want, klen) == 0 ? 0 : -EACCES;
	mem_wipe(got, sizeof got);
	return rc;
}

int htpasswd_verify(const char *hash, enum htpasswd_scheme scheme, const char *password)
{
	switch (scheme) {
	case HTP_WERKZEUG:
		return verify_werkzeug(hash, password);
	case HTP_APR1: {
		char out[128];
		if (apr_md5_encode(password, hash, out, sizeof out) != 0)
			return -EINVAL;
		int rc = ct_equal_str(out, hash);
		mem_wipe(out, sizeof out);
		return rc;
	}
	case HTP_SHA1: {
		char out[64];
		apr_sha1_base64(password, (int)strlen(password), out);
		int rc = ct_equal_str(out, hash);
		mem_wipe(out, sizeof out);
		return rc;
	}
	case HTP_SSHA:
		return verify_ssha(hash, password);
	case HTP_CRYPT: {
		struct crypt_data *cd = mem_calloc(1, sizeof *cd);
		const char *out = crypt_rn(password, hash, cd, sizeof *cd);
		int rc = (out == NULL || out[0] == '*') ? -EINVAL : ct_equal_str(out, hash);
		mem_wipe(cd, sizeof *cd);
		free(cd);
		return rc;
	}
	}
	return -EINVAL;
}

int htpasswd_hash_bcrypt(const char *password, int cost, char *out, size_t outlen)
{
	unsigned char rnd[16];
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	if (RAND_bytes(rnd, sizeof rnd) != 1)
		return -EIO;
	if (crypt_gensalt_rn("$2y$", (unsigned long)cost, (const char *)rnd, sizeof rnd, setting,
			     sizeof setting) == NULL)
		return -errno;
	struct crypt_data *cd = mem_calloc(1, sizeof *cd);
	const char *h = crypt_rn(password, setting, cd, sizeof *cd);
	int rc = 0;
	if (h == NULL || h[0] == '*' || strlen(h) >= outlen)
		rc = -EINVAL;
	else
		memcpy(out, h, strlen(h) + 1);
	mem_wipe(cd, sizeof *cd);
	free(cd);
	return rc;
}
