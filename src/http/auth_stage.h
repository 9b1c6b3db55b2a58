/* The authentication stage: Basic credentials against the verified-credential
 * cache, else verified on libuv's thread pool, with identical concurrent
 * verifications of one worker merged into one (a burst of parallel requests
 * with the same credentials costs one hash). */
#ifndef MG_AUTH_STAGE_H
#define MG_AUTH_STAGE_H
#include "http/conn.h"

/* Decides for c; calls conn_after_auth(c, ok) now (cache hit) or later. The
 * caller wipes pw afterwards; this copies what it needs. */
void auth_stage_run(struct conn *c, const char *user, const char *pw);

#endif
