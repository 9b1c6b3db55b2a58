/* htpasswd files as Apache's htpasswd and nginx write them: load into an
 * immutable, sorted snapshot; verify passwords against the stored hashes. */
#ifndef MG_HTPASSWD_H
#define MG_HTPASSWD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "core/buf.h"

enum htpasswd_scheme {
	HTP_APR1 = 0,	/* $apr1$ (htpasswd -m, the default of htpasswd -c) */
	HTP_SHA1,	/* {SHA} */
	HTP_SSHA,	/* {SSHA} (salted SHA-1, nginx) */
	HTP_CRYPT,	/* crypt(3) modular: $2y$/$2b$/$2a$, $5$, $6$, $y$, $gy$, $7$, $1$ */
	HTP_WERKZEUG,	/* Werkzeug/MLflow: pbkdf2:sha256:N$salt$hex, scrypt:N:r:p$salt$hex */
};

struct htpasswd_entry {
	char *user;
	char *hash;
	enum htpasswd_scheme scheme;
	int line;	/* line number in the file (the first line for a user wins) */
};

struct htpasswd {
	struct htpasswd_entry *entries;	/* sorted by user */
	size_t n;
	uint64_t generation;	/* distinct for every load in this process */
	dev_t dev;
	ino_t ino;
	int64_t mtime_ns;
	off_t size;
};

/* Loads path. Entries in plain text or DES-crypt, or with unknown schemes,
 * are refused with a warning naming the user (appended to *warnings, one per
 * line); the rest load. Returns 0, or -errno when the file cannot be read. */
int htpasswd_load(const char *path, struct htpasswd **out, struct buf *warnings);
void htpasswd_free(struct htpasswd *h);
/* Finds the entry for user (exact, case-sensitive), or NULL. */
const struct htpasswd_entry *htpasswd_find(const struct htpasswd *h, const char *user, size_t len);
/* Classifies a stored hash; returns 0 and the scheme, or -EINVAL for plain
 * text, DES-crypt and anything unknown. */
int htpasswd_classify(const char *hash, enum htpasswd_scheme *scheme);
/* Verifies password against hash (slow by design: call off the loop thread).
 * Returns 0 on match, -EACCES on mismatch, -EINVAL for an unusable hash. The
 * final comparison is constant-time. */
int htpasswd_verify(const char *hash, enum htpasswd_scheme scheme, const char *password);
/* true when the file at path no longer matches what h was loaded from. */
bool htpasswd_changed(const struct htpasswd *h, const char *path);
/* Makes a bcrypt (cost) hash of password into out (>= 128 bytes); 0 or -errno. */
int htpasswd_hash_bcrypt(const char *password, int cost, char *out, size_t outlen);

#endif
