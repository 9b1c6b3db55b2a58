/* Audit records: formatted with jansson (keys in insertion order), chained
 * with SHA-256, authenticated with HMAC-SHA256 (OpenSSL). Checking is done on
 * the bytes as written: the mac covers the line up to ',"mac":', so nothing
 * is re-serialised to verify. */
#include "audit/audit_chain.h"
#include "core/pct.h"
#include "core/sha256.h"
#include <errno.h>
#include <stdbool.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char mac_tag[] = ",\"mac\":\"";	/* ends what a record's hash covers */
static const char zeros[AUDIT_HEX] = "0000000000000000000000000000000000000000000000000000000000000000";

void audit_chain_init(struct audit_chain *ch, const uint8_t key[AUDIT_KEY_LEN])
{
	memset(ch, 0, sizeof *ch);
	memcpy(ch->prev, zeros, sizeof zeros);
	memcpy(ch->key, key, AUDIT_KEY_LEN);
	hmac_pads_init(&ch->pads, key, AUDIT_KEY_LEN);
}

void audit_sha256_hex(const void *data, size_t len, char out[AUDIT_HEX])
{
	unsigned char md[32];
	sha256_2(data, len, NULL, 0, md);
	hex_encode(md, 32, out);
}

/* HMAC-SHA256 under the chain's key (its pads are kept in the chain). */
static void mac_hex(const struct hmac_pads *pads, const void *data, size_t len, char out[AUDIT_HEX])
{
	unsigned char md[32];
	hmac_pads_mac(pads, data, len, NULL, 0, NULL, 0, md);
	hex_encode(md, 32, out);
}

int audit_chain_append_raw(struct audit_chain *ch, const char *members, size_t len, struct buf *out)
{
	/* {"seq":N,<fields>,"prev":"..." -- hashed; then ,"mac":"..."}\n */
	static const char prev_tag[] = ",\"prev\":\"";
	char num[24];
	const char *digits = fmt_u64(num, (unsigned long long)(ch->seq + 1));
	size_t nl = (size_t)(num + sizeof num - digits);
	size_t need = 7 + nl + 1 + len + (sizeof prev_tag - 1) + 64 + 1 + (sizeof mac_tag - 1) + 64 + 3;
	char *start = buf_space(out, need);
	if (start == NULL)
		return -ENOBUFS;
	char *p = start;
	memcpy(p, "{\"seq\":", 7);
	p += 7;
	memcpy(p, digits, nl);
	p += nl;
	if (len > 0) {
		*p++ = ',';
		memcpy(p, members, len);
		p += len;
	}
	memcpy(p, prev_tag, sizeof prev_tag - 1);
	p += sizeof prev_tag - 1;
	memcpy(p, ch->prev, 64);
	p += 64;
	*p++ = '"';
	/* one pass over the record: its digest is the next record's prev, and
	 * the mac is taken over that digest */
	unsigned char d[32];
	char mac[AUDIT_HEX];
	sha256_2(start, (size_t)(p - start), NULL, 0, d);
	mac_hex(&ch->pads, d, sizeof d, mac);
	memcpy(p, mac_tag, sizeof mac_tag - 1);
	p += sizeof mac_tag - 1;
	memcpy(p, mac, 64);
	p += 64;
	memcpy(p, "\"}\n", 3);
	p += 3;
	buf_advance(out, (size_t)(p - start));
	hex_encode(d, sizeof d, ch->prev);
	ch->seq++;
	return 0;
}

int audit_chain_append(struct audit_chain *ch, json_t *fields, struct buf *out)
{
	if (json_object_get(fields, "seq") || json_object_get(fields, "prev") || json_object_get(fields, "mac"))
		return -EINVAL;	/* those are the chain's */
	char *fj = json_dumps(fields, JSON_COMPACT | JSON_PRESERVE_ORDER);	/* "{...}" */
	if (fj == NULL)
		return -ENOMEM;
	size_t fl = strlen(fj);
	int rc = audit_chain_append_raw(ch, fj + 1, fl > 2 ? fl - 2 : 0, out);
	free(fj);
	return rc;
}

const char *audit_problem_text(enum audit_problem p)
{
	switch (p) {
	case AUDIT_OK: return "intact";
	case AUDIT_MALFORMED: return "is not a valid record (edited or cut)";
	case AUDIT_CHANGED: return "was changed (its mac does not match)";
	case AUDIT_REMOVED: return "follows a gap: records before it were removed";
	case AUDIT_INSERTED: return "was inserted (it does not belong to the chain)";
	case AUDIT_REORDERED: return "is out of order (records were reordered)";
	case AUDIT_TRUNCATED: return "is missing: the log was truncated";
	}
	return "?";
}

static bool is_hex64(const char *s)
{
	for (int i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* Where a line's ,"mac":"<64 hex>"} begins (the end of what its hash
 * covers), or -1 when it does not end so. */
static long mac_at(const char *line, size_t len)
{
	size_t tl = sizeof mac_tag - 1;
	if (len < tl + 64 + 2 + 2 || line[len - 1] != '}' || line[len - 2] != '"')
		return -1;
	size_t mpos = len - 2 - 64 - tl;
	if (memcmp(line + mpos, mac_tag, tl) != 0 || !is_hex64(line + mpos + tl))
		return -1;
	return (long)mpos;
}

enum audit_problem audit_chain_check(struct audit_chain *ch, const char *line, size_t len, bool start)
{
	long at = mac_at(line, len);
	if (at < 0)
		return AUDIT_MALFORMED;
	size_t mpos = (size_t)at, tl = sizeof mac_tag - 1;
	char want[AUDIT_HEX], digest_hex[AUDIT_HEX];
	unsigned char d[32];
	sha256_2(line, mpos, NULL, 0, d);
	mac_hex(&ch->pads, d, sizeof d, want);
	hex_encode(d, sizeof d, digest_hex);
	bool mac_ok = CRYPTO_memcmp(want, line + mpos + tl, 64) == 0;
	/* the fields: parse the body (with its closing brace restored) */
	char *body = malloc(mpos + 2);
	if (body == NULL)
		return AUDIT_MALFORMED;
	memcpy(body, line, mpos);
	body[mpos] = '}';
	body[mpos + 1] = '\0';
	json_t *rec = json_loadb(body, mpos + 1, JSON_REJECT_DUPLICATES, NULL);
	free(body);
	json_t *jseq = json_object_get(rec, "seq");
	const char *prev = json_string_value(json_object_get(rec, "prev"));
	if (!json_is_integer(jseq) || json_integer_value(jseq) <= 0 || prev == NULL || strlen(prev) != 64 ||
	    !is_hex64(prev)) {
		json_decref(rec);
		return mac_ok ? AUDIT_MALFORMED : AUDIT_CHANGED;
	}
	uint64_t seq = (uint64_t)json_integer_value(jseq);
	bool prev_ok = strcmp(prev, ch->prev) == 0 || (start && ch->seq == 0);
	json_decref(rec);
	if (!mac_ok)
		return AUDIT_CHANGED;	/* written without the key, or edited */
	if (!(start && ch->seq == 0)) {
		if (seq <= ch->seq)
			return AUDIT_REORDERED;
		if (seq > ch->seq + 1)
			return prev_ok ? AUDIT_INSERTED : AUDIT_REMOVED;
		if (!prev_ok)
			return AUDIT_REORDERED;	/* right number, wrong place: a swapped pair */
	}
	ch->seq = seq;
	memcpy(ch->prev, digest_hex, AUDIT_HEX);
	return AUDIT_OK;
}

void audit_record_hash_hex(const char *line, size_t len, char out[AUDIT_HEX])
{
	long at = mac_at(line, len);
	audit_sha256_hex(line, at < 0 ? len : (size_t)at, out);
}

uint64_t audit_line_seq(const char *line, size_t len)
{
	static const char tag[] = "{\"seq\":";
	size_t tl = sizeof tag - 1;
	if (len <= tl || memcmp(line, tag, tl) != 0)
		return 0;
	uint64_t v = 0;
	for (size_t i = tl; i < len && line[i] >= '0' && line[i] <= '9' && v < (UINT64_MAX - 9) / 10; i++)
		v = v * 10 + (uint64_t)(line[i] - '0');
	return v;
}

struct vline {
	char *s;
	size_t cap;
	ssize_t len;	/* -1: none */
	bool newline;
};

static void read_line(FILE *f, struct vline *l)
{
	l->len = getline(&l->s, &l->cap, f);
	l->newline = l->len > 0 && l->s[l->len - 1] == '\n';
	if (l->newline)
		l->s[--l->len] = '\0';
}

enum audit_problem audit_verify_file(FILE *f, struct audit_chain *ch, bool start, uint64_t *line_no,
				     uint64_t *records)
{
	struct vline cur = { 0 }, nxt = { 0 };
	enum audit_problem p = AUDIT_OK;
	read_line(f, &cur);
	*line_no = 1;
	while (cur.len >= 0) {
		read_line(f, &nxt);
		p = cur.newline ? audit_chain_check(ch, cur.s, (size_t)cur.len, start) : AUDIT_TRUNCATED;
		if (p != AUDIT_OK && p != AUDIT_TRUNCATED && nxt.len >= 0) {
			struct audit_chain probe = *ch;
			if ((p == AUDIT_CHANGED || p == AUDIT_MALFORMED) &&
			    audit_chain_check(&probe, nxt.s, (size_t)nxt.len, false) == AUDIT_OK)
				p = AUDIT_INSERTED;
			else if (p == AUDIT_REMOVED && audit_line_seq(nxt.s, (size_t)nxt.len) == ch->seq + 1)
				p = AUDIT_REORDERED;
			OPENSSL_cleanse(&probe, sizeof probe);
		}
		if (p != AUDIT_OK)
			break;
		start = false;
		(*records)++;
		struct vline t = cur;
		cur = nxt;
		nxt = t;
		(*line_no)++;
	}
	free(cur.s);
	free(nxt.s);
	return p;
}

void audit_head_format(const struct audit_chain *ch, char out[200])
{
	char text[100], mac[AUDIT_HEX];
	snprintf(text, sizeof text, "%llu %s", (unsigned long long)ch->seq, ch->prev);
	mac_hex(&ch->pads, text, strlen(text), mac);
	snprintf(out, 200, "%s %s\n", text, mac);
}

int audit_head_parse(const uint8_t key[AUDIT_KEY_LEN], const char *text, uint64_t *seq, char hash[AUDIT_HEX])
{
	unsigned long long s;
	char h[AUDIT_HEX], m[AUDIT_HEX];
	if (sscanf(text, "%llu %64s %64s", &s, h, m) != 3 || strlen(h) != 64 || strlen(m) != 64)
		return -EINVAL;
	char t[100], want[AUDIT_HEX];
	snprintf(t, sizeof t, "%llu %s", s, h);
	struct hmac_pads pads;
	hmac_pads_init(&pads, key, AUDIT_KEY_LEN);
	mac_hex(&pads, t, strlen(t), want);
	OPENSSL_cleanse(&pads, sizeof pads);
	if (CRYPTO_memcmp(want, m, 64) != 0)
		return -EINVAL;
	*seq = s;
	memcpy(hash, h, AUDIT_HEX);
	return 0;
}
