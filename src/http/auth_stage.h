/* The authentication stage: Basic credentials (htpasswd users, then store
 * users, then a personal access token given as the password) and Bearer
 * personal access tokens. Hits in the verified-credential caches cost one
 * HMAC; misses are verified on libuv's thread pool, with identical concurrent
 * misses of one worker merged into one verification. */
#ifndef MG_AUTH_STAGE_H
#define MG_AUTH_STAGE_H
#include "http/conn.h"

enum auth_kind { AUTH_BASIC = 0, AUTH_BEARER };

/* Decides for c; calls conn_after_auth(c, user or NULL) now (cache hit) or
 * later. For AUTH_BEARER user is "" and secret the token. The caller wipes
 * secret afterwards; this copies what it needs. */
void auth_stage_run(struct conn *c, enum auth_kind kind, const char *user, const char *secret);

#endif
