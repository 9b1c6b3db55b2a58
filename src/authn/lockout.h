/* Brute-force lockout: failed logins are counted per username and per client
 * address; max_failures of them within window lock the key for duration,
 * doubling with every further lockout ("strikes") up to max_duration. A
 * successful password login clears its user's counter (never the address's:
 * one valid account must not reset an attacker's address).
 *
 * The counters live in the store (table lockouts), so with the PostgreSQL
 * store every instance sees the same counts; updates are compare-and-swap
 * statements (no transactions: the store connection is shared by threads),
 * retried a few times under contention. The step function is pure so it can
 * be tested without a store. Times are Unix milliseconds. */
#ifndef MG_LOCKOUT_H
#define MG_LOCKOUT_H
#include <stdbool.h>
#include <stdint.h>
#include "store/store.h"

struct lockout_params {
	int64_t max_failures;		/* 0: never lock */
	uint64_t window;		/* ms */
	uint64_t duration;		/* first lockout, ms */
	uint64_t max_duration;		/* cap, ms */
};

struct lockout_state {
	int64_t failures;		/* in the current window */
	int64_t window_start;
	int64_t locked_until;		/* 0: not locked */
	int64_t strikes;		/* lockouts so far (back-off exponent) */
};

/* Applies one failure at now. Returns true when it locks the key (then
 * s->locked_until is set). Strikes are forgotten after max_duration without
 * a lockout. */
bool lockout_step(struct lockout_state *s, int64_t now, const struct lockout_params *p);
/* How long a lockout that is the strikes-th lasts. */
uint64_t lockout_duration(int64_t strikes, const struct lockout_params *p);

/* Store keys: "user:NAME" and "ip:ADDRESS" (cidr_addr_key). */
/* Reads the state of key (zeroes when unknown). 0 or -EIO with *err. */
int lockout_get(struct store *s, const char *key, struct lockout_state *out, char **err);
/* Counts a failure; *locked tells whether this one locked the key; out gets
 * the new state. 0 or -EIO/-EAGAIN (contention that did not settle). */
int lockout_fail(struct store *s, const char *key, int64_t now, const struct lockout_params *p,
		 struct lockout_state *out, bool *locked, char **err);
/* Forgets key (a success, or an operator's unlock). -ENOENT when unknown. */
int lockout_clear(struct store *s, const char *key, char **err);
/* Deletes counters that no longer matter at now: the window is over, no
 * lockout is running, and the strikes would have been forgotten. Keeps the
 * table bounded however many names and addresses are tried. */
int lockout_prune(struct store *s, int64_t now, const struct lockout_params *user, const struct lockout_params *ip,
		  char **err);
/* Rows: key, failures, window_start, locked_until, strikes for keys locked at
 * now (all = every key with a count). */
int lockout_list(struct store *s, int64_t now, bool all, struct store_rows *rows, char **err);

#endif
