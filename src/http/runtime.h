/* The serving snapshot: configuration, credentials and TLS contexts that a
 * request uses from start to end. Immutable once published; reference
 * counted; a reload publishes a new one and the old one goes away when its
 * last request ends. */
#ifndef MG_RUNTIME_H
#define MG_RUNTIME_H
#include <stdatomic.h>
#include <sys/socket.h>
#include "config/config.h"
#include "authn/htpasswd.h"
#include "http/h1_parse.h"

struct tls_server;

struct runtime {
	atomic_int refs;
	struct config *cfg;
	struct htpasswd *users;
	struct tls_server *tls[CONFIG_MAX_LISTEN];	/* per listener, NULL for plain */
	struct h1_limits limits;
	struct sockaddr_storage upstream_addr;	/* resolved upstream.url */
	char upstream_name[80];			/* "127.0.0.1:5000", for logs */
	char upstream_hosthdr[300];		/* Host value toward the upstream if not the client's */
};

/* Takes ownership of cfg, users and the TLS contexts; refs starts at 1. */
struct runtime *runtime_new(struct config *cfg, struct htpasswd *users);
struct runtime *runtime_ref(struct runtime *rt);
void runtime_unref(struct runtime *rt);

#endif
