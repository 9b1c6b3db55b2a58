/* TLS as a filter over the socket: OpenSSL with memory BIOs, so the HTTP
 * code sees plaintext and never branches on TLS. TLS 1.2 and 1.3 only, ECDHE
 * with AEAD suites only. */
#ifndef MG_TLS_FILTER_H
#define MG_TLS_FILTER_H
#include <stddef.h>

struct tls_server;
struct tls_conn;

/* Loads a full-chain certificate PEM and its key. Refuses a key file that
 * group or others can read. Returns 0, or -EINVAL with *err (caller frees). */
int tls_server_new(const char *cert, const char *key, struct tls_server **out, char **err);
void tls_server_free(struct tls_server *s);

struct tls_conn *tls_conn_new(struct tls_server *s);
void tls_conn_free(struct tls_conn *t);
/* Hands ciphertext received from the socket to the TLS engine. */
void tls_conn_feed(struct tls_conn *t, const char *in, size_t len);
/* Decrypts into out; returns bytes (> 0), 0 when more ciphertext is needed,
 * -EPIPE on a clean close_notify, -EPROTO on a TLS error. */
long tls_conn_read(struct tls_conn *t, char *out, size_t cap);
/* Encrypts plaintext; returns 0 or -EPROTO. */
int tls_conn_write(struct tls_conn *t, const char *p, size_t len);
/* Queues a close_notify alert. */
void tls_conn_shutdown(struct tls_conn *t);
/* Ciphertext waiting to be sent; moves up to cap bytes into out. */
size_t tls_conn_pending(struct tls_conn *t);
size_t tls_conn_take(struct tls_conn *t, char *out, size_t cap);
/* Last error text for logs (no secrets). */
const char *tls_conn_error(struct tls_conn *t);

#endif
