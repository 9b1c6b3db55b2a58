/* OpenSSL connection filter. Each connection owns an SSL with a read BIO the
 * socket feeds and a write BIO the socket drains; the HTTP layer exchanges
 * only plaintext with it (curl's connection filters, Redis ConnectionType). */
#include "tls/tls_filter.h"
#include "core/mem.h"
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

struct tls_server {
	SSL_CTX *ctx;
};

struct tls_conn {
	SSL *ssl;
	BIO *rbio;	/* ciphertext in (owned by ssl) */
	BIO *wbio;	/* ciphertext out (owned by ssl) */
	char err[160];
};

static char *errf(const char *fmt, const char *a)
{
	char tmp[512];
	unsigned long e = ERR_get_error();
	char ebuf[256] = "";
	if (e)
		ERR_error_string_n(e, ebuf, sizeof ebuf);
	snprintf(tmp, sizeof tmp, fmt, a, ebuf);
	ERR_clear_error();
	return mem_strdup(tmp);
}

int tls_server_new(const char *cert, const char *key, struct tls_server **out, char **err)
{
	struct stat st;
	if (stat(key, &st) == -1) {
		*err = errf("cannot read TLS key %s: %s", key);
		return -EINVAL;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		char tmp[600];
		snprintf(tmp, sizeof tmp,
			 "TLS key %s is readable by group or others (mode %03o); fix with: chmod 600 %s", key,
			 (unsigned)(st.st_mode & 0777), key);
		*err = mem_strdup(tmp);
		return -EINVAL;
	}
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		*err = errf("TLS context: %s%s", "");
		return -EINVAL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
	/* ECDHE key exchange with AEAD ciphers only (TLS 1.3 suites are all AEAD). */
	SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20");
	SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256");
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
	SSL_CTX_clear_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);	/* as the seed's nginx: off */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		*err = errf("TLS certificate %s: %s", cert);
		SSL_CTX_free(ctx);
		return -EINVAL;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		*err = errf("TLS key %s: %s", key);
		SSL_CTX_free(ctx);
		return -EINVAL;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		*err = errf("TLS key %s does not match the certificate: %s", key);
		SSL_CTX_free(ctx);
		return -EINVAL;
	}
	struct tls_server *s = mem_calloc(1, sizeof *s);
	s->ctx = ctx;
	*out = s;
	return 0;
}

void tls_server_free(struct tls_server *s)
{
	if (s == NULL)
		return;
	SSL_CTX_free(s->ctx);
	free(s);
}

struct tls_conn *tls_conn_new(struct tls_server *s)
{
	struct tls_conn *t = mem_calloc(1, sizeof *t);
	t->ssl = SSL_new(s->ctx);
	if (t->ssl == NULL) {
		fprintf(stderr, "mlgate: SSL_new failed\n");
		abort();
	}
	t->rbio = BIO_new(BIO_s_mem());
	t->wbio = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(t->rbio, -1);
	SSL_set_bio(t->ssl, t->rbio, t->wbio);
	SSL_set_accept_state(t->ssl);
	return t;
}

void tls_conn_free(struct tls_conn *t)
{
	if (t == NULL)
		return;
	SSL_free(t->ssl);
	free(t);
}

void tls_conn_feed(struct tls_conn *t, const char *in, size_t len)
{
	BIO_write(t->rbio, in, (int)len);
}

static void set_err(struct tls_conn *t)
{
	unsigned long e = ERR_get_error();
	if (e)
		ERR_error_string_n(e, t->err, sizeof t->err);
	else
		snprintf(t->err, sizeof t->err, "TLS protocol error");
	ERR_clear_error();
}

long tls_conn_read(struct tls_conn *t, char *out, size_t cap)
{
	int n = SSL_read(t->ssl, out, (int)cap);
	if (n > 0)
		return n;
	int e = SSL_get_error(t->ssl, n);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return 0;
	if (e == SSL_ERROR_ZERO_RETURN)
		return -EPIPE;
	set_err(t);
	return -EPROTO;
}

int tls_conn_write(struct tls_conn *t, const char *p, size_t len)
{
	while (len > 0) {
		int n = SSL_write(t->ssl, p, (int)(len > 1 << 30 ? 1 << 30 : len));
		if (n <= 0) {
			set_err(t);
			return -EPROTO;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void tls_conn_shutdown(struct tls_conn *t)
{
	if (SSL_is_init_finished(t->ssl))
		SSL_shutdown(t->ssl);
	ERR_clear_error();
}

size_t tls_conn_pending(struct tls_conn *t)
{
	return BIO_ctrl_pending(t->wbio);
}

size_t tls_conn_take(struct tls_conn *t, char *out, size_t cap)
{
	int n = BIO_read(t->wbio, out, (int)cap);
	return n > 0 ? (size_t)n : 0;
}

const char *tls_conn_error(struct tls_conn *t)
{
	return t->err[0] ? t->err : "TLS error";
}
