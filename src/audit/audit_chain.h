/* The audit log's record format and its chain (pure; the writer is
 * audit_log.c). One JSON object per line:
 *
 *   {"seq":N, ...the record's fields..., "prev":"<hash of the previous record>",
 *    "mac":"<HMAC-SHA256(key, the record's hash)>"}
 *
 * where a record's hash is the SHA-256 of its line up to and without
 * ,"mac":... (everything but the mac, which is derived from it): each record
 * is hashed once, the mac costs two more compressions of 32 bytes.
 *
 * "prev" links each record to the one before (the first record of a log has
 * 64 zeros, a rotated file continues the chain of the one before), so a
 * removed, inserted or reordered line breaks the chain at that point; "mac"
 * is keyed, so rewriting the whole file from some line on is detected too
 * (whoever rewrites it does not have the key). seq counts records. */
#ifndef MG_AUDIT_CHAIN_H
#define MG_AUDIT_CHAIN_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "core/sha256.h"

#define AUDIT_HEX 65	/* 64 hex digits + NUL */
#define AUDIT_KEY_LEN 32

struct audit_chain {
	uint64_t seq;		/* of the last record (0: none yet) */
	char prev[AUDIT_HEX];	/* hash of the last record */
	uint8_t key[AUDIT_KEY_LEN];
	struct hmac_pads pads;	/* the key's HMAC pads */
};

/* A new chain (no records yet) under key. */
void audit_chain_init(struct audit_chain *ch, const uint8_t key[AUDIT_KEY_LEN]);

/* Appends one line (with '\n') for fields (a JSON object whose keys are the
 * record's; "seq", "prev" and "mac" are set here) to out and advances the
 * chain. Returns 0, or -ENOMEM/-ENOBUFS (out is left as it was). */
int audit_chain_append(struct audit_chain *ch, json_t *fields, struct buf *out);
/* The same for fields already written as JSON object members without the
 * braces ("\"time\":\"...\",\"user\":..."; len may be 0). The caller
 * vouches that they are valid JSON members and hold no seq, prev or mac. */
int audit_chain_append_raw(struct audit_chain *ch, const char *members, size_t len, struct buf *out);

enum audit_problem {
	AUDIT_OK = 0,
	AUDIT_MALFORMED,	/* not a record at all (edited beyond parsing, or truncated) */
	AUDIT_CHANGED,		/* the mac does not match: this record was edited */
	AUDIT_REMOVED,		/* records are missing before this one */
	AUDIT_INSERTED,		/* this record does not belong here (not in the chain) */
	AUDIT_REORDERED,	/* this record comes out of order */
	AUDIT_TRUNCATED,	/* the file ends inside a record, or before the head says */
};

const char *audit_problem_text(enum audit_problem p);

/* Checks one line (without '\n') as the next record of ch (with ch->seq == 0
 * and start == true, any prev is accepted: a rotated file checked alone).
 * Advances ch on AUDIT_OK. */
enum audit_problem audit_chain_check(struct audit_chain *ch, const char *line, size_t len, bool start);

/* The hash of a record (SHA-256 of the line before ,"mac":), hex: what the
 * next record's prev holds. */
void audit_record_hash_hex(const char *line, size_t len, char out[AUDIT_HEX]);

/* The seq a line claims (for telling a reordered pair from a gap), or 0. */
uint64_t audit_line_seq(const char *line, size_t len);

/* Checks a whole file continuing ch (start: the first file of a check, so
 * its first record may continue an earlier, unseen file). Uses the line
 * after a bad one to tell an inserted record from a changed one and a
 * swapped pair from a gap. Returns AUDIT_OK or the first problem, with its
 * line number in *line_no; *records counts the intact ones. */
#include <stdio.h>
enum audit_problem audit_verify_file(FILE *f, struct audit_chain *ch, bool start, uint64_t *line_no,
				     uint64_t *records);

/* The head file the writer keeps beside the log ("seq hash mac"): the last
 * record it committed, authenticated, so a cut tail shows. */
void audit_head_format(const struct audit_chain *ch, char out[200]);
/* 0 and seq/hash, or -EINVAL (not a head, or the mac does not match). */
int audit_head_parse(const uint8_t key[AUDIT_KEY_LEN], const char *text, uint64_t *seq, char hash[AUDIT_HEX]);

/* sha256 of data as lowercase hex. */
void audit_sha256_hex(const void *data, size_t len, char out[AUDIT_HEX]);

#endif
