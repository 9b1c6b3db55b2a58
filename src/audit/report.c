/* Access-log report: bounded counting (see report.h) and its text, JSON and
 * HTML (inline SVG, no scripts, no external assets) renderings. */
#include "audit/report.h"
#include "authz/mlflow_routes.h"
#include "core/bytes.h"
#include "core/mem.h"
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KEYMAX 129		/* a field is at most (KEYMAX - 1) / 2 bytes of a key: two make a pair */
#define LAT_MS 10000		/* exact 1 ms buckets below this */
#define LAT_COARSE 40		/* then powers of two */
#define SERIES 240
#define OTHER "(other)"

/* --- bounded counter tables ------------------------------------------------ */

struct ct_entry {
	uint32_t hash;
	uint16_t klen;
	char key[KEYMAX];
	uint64_t v[3];
};

/* Open addressing over a compact slot array (hash + entry index: probes
 * touch 8 bytes a slot) and entries stored densely in insertion order, so
 * the hot ones share cache lines and pages. */
struct ct_slot {
	uint32_t hash;			/* 0: empty */
	uint32_t idx;
};

struct ctable {
	const char *name;
	size_t cap, n;			/* cap: slots, a power of two; n: entries (at most 7/8 cap) */
	bool overflow;			/* keys past the capacity were counted as "(other)" */
	struct ct_slot *slot;
	struct ct_entry *e;		/* [n] */
};

static void ct_init(struct ctable *t, const char *name, size_t cap)
{
	t->name = name;
	t->cap = cap;
	t->n = 0;
	t->overflow = false;
	t->slot = mem_calloc(cap, sizeof *t->slot);
	t->e = mem_calloc(cap * 7 / 8 + 1, sizeof *t->e);
}

static void ct_free(struct ctable *t)
{
	free(t->slot);
	free(t->e);
}

/* n <= 8 bytes at p as a word, without a variable-length copy: the same
 * bytes always give the same word, different ones (of one length) differ. */
HOT_INLINE uint64_t load_short(const char *p, size_t n)
{
	if (n >= 4)	/* two loads that overlap on the same bytes */
		return (uint64_t)bytes_load4(p) | ((uint64_t)bytes_load4(p + n - 4) << (8 * (n - 4)));
	if (n == 0)
		return 0;
	return (uint64_t)(unsigned char)p[0] | ((uint64_t)(unsigned char)p[n / 2] << 8) |
	       ((uint64_t)(unsigned char)p[n - 1] << 16);
}

/* The last n < 8 bytes before end, of a key that began at start. */
HOT_INLINE uint64_t tail_bytes(const char *start, const char *end, size_t n)
{
	if (n == 0)
		return 0;
	if (end - start >= 8)
		return bytes_load8(end - 8) >> (8 * (8 - n));	/* one load that overlaps what was read */
	return load_short(end - n, n);
}

HOT_INLINE uint64_t fast_hash(const char *p, size_t n, uint64_t h)
{
	const char *start = p, *end = p + n;
	while (n >= 8) {
		h = (h ^ bytes_load8(p)) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
		p += 8;
		n -= 8;
	}
	h = (h ^ tail_bytes(start, end, n) ^ n) * 0x9e3779b97f4a7c15ULL;
	h ^= h >> 32;
	return h ? h : 1;
}

/* 32 well-mixed bits of h (a table's slot is its low bits) */
static uint32_t hash32(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	uint32_t v = (uint32_t)h;
	return v ? v : 1;
}

static uint32_t key_hash(const char *k, size_t n)
{
	return hash32(fast_hash(k, n, 3));
}

/* The hash of the pair key "a\tb" from the hashes of its halves (so a line
 * hashes each field once for every table it counts in). */
static uint32_t pair_hash(uint64_t ha, uint64_t hb)
{
	return hash32(ha ^ (hb * 0x9e3779b97f4a7c15ULL) ^ (hb >> 29));
}

/* Whether e holds a (b == NULL) or "a\tb". */
HOT_INLINE bool ct_is(const struct ct_entry *e, const char *a, size_t an, const char *b, size_t bn)
{
	if (b == NULL)
		return e->klen == an && bytes_equal(e->key, a, an);
	return e->klen == an + 1 + bn && bytes_equal(e->key, a, an) && e->key[an] == '\t' &&
	       bytes_equal(e->key + an + 1, b, bn);
}

/* The slot holding the key, or the empty one where it would go. */
HOT_INLINE struct ct_slot *ct_find(struct ctable *t, uint32_t h, const char *a, size_t an, const char *b, size_t bn,
			       bool *found)
{
	size_t mask = t->cap - 1, i = h & mask;
	for (;;) {
		struct ct_slot *s = &t->slot[i];
		if (s->hash == 0) {
			*found = false;
			return s;
		}
		if (s->hash == h && ct_is(&t->e[s->idx], a, an, b, bn)) {
			*found = true;
			return s;
		}
		i = (i + 1) & mask;
	}
}

/* The entry for key a, or "a\tb" when b is given (an + bn + 1 <= KEYMAX),
 * under hash h, created when new; once the table is 7/8 full new keys share
 * one "(other)" entry, so probes stay short and totals stay exact. */
static struct ct_entry *ct_put(struct ctable *t, uint32_t h, const char *a, size_t an, const char *b, size_t bn)
{
	bool found;
	struct ct_slot *s = ct_find(t, h, a, an, b, bn, &found);
	if (found)
		return &t->e[s->idx];
	if (t->n >= t->cap * 7 / 8) {
		t->overflow = true;
		h = key_hash(OTHER, sizeof OTHER - 1);
		s = ct_find(t, h, OTHER, sizeof OTHER - 1, NULL, 0, &found);
		if (found)
			return &t->e[s->idx];
		a = OTHER;
		an = sizeof OTHER - 1;
		b = NULL;
	}
	struct ct_entry *e = &t->e[t->n];
	s->hash = h;
	s->idx = (uint32_t)t->n;
	e->hash = h;
	memcpy(e->key, a, an);
	e->klen = (uint16_t)an;
	if (b != NULL) {
		e->key[an] = '\t';
		memcpy(e->key + an + 1, b, bn);
		e->klen = (uint16_t)(an + 1 + bn);
	}
	t->n++;
	return e;
}

/* ct_put for the hot paths: a key found at its first slot (most are) is
 * answered inline. */
HOT_INLINE struct ct_entry *ct_count(struct ctable *t, uint32_t h, const char *a, size_t an, const char *b, size_t bn)
{
	const struct ct_slot *s = &t->slot[h & (t->cap - 1)];
	if (s->hash == h && ct_is(&t->e[s->idx], a, an, b, bn))
		return &t->e[s->idx];
	return ct_put(t, h, a, an, b, bn);
}

static struct ct_entry *ct_get(struct ctable *t, const char *k, size_t n)
{
	if (n > KEYMAX)
		n = KEYMAX;
	return ct_put(t, key_hash(k, n), k, n, NULL, 0);
}

static void ct_merge(struct ctable *into, const struct ctable *from)
{
	into->overflow |= from->overflow;
	for (size_t i = 0; i < from->n; i++) {
		const struct ct_entry *s = &from->e[i];
		/* the same hash: pair keys were hashed by their halves */
		struct ct_entry *d = ct_put(into, s->hash, s->key, s->klen, NULL, 0);
		for (int j = 0; j < 3; j++)
			d->v[j] += s->v[j];
	}
}

/* --- the report ------------------------------------------------------------- */

struct series {
	int64_t base;			/* start of bucket 0 (0: nothing yet) */
	int64_t width;			/* seconds per bucket */
	int64_t last_from, last_to;	/* the last bucket used: [from, to) */
	int last;
	uint64_t total[SERIES], fail[SERIES], err5[SERIES];
};

struct latency {
	uint64_t ms[LAT_MS];
	uint64_t coarse[LAT_COARSE];	/* [2^k * 10 s, 2^(k+1) * 10 s) */
	uint64_t count;
	int64_t max;
};

/* Method + path -> route entry and family: matching the route table costs
 * more than parsing the line, and paths repeat. Direct-mapped. */
#define RCACHE 8192
#define PCACHE 256
#define RC_KEY 96
struct rcache_entry {
	uint64_t hash;			/* 0: empty */
	uint16_t len;
	int16_t family;
	char key[RC_KEY];		/* method, a space, the path */
	struct ct_entry *route;		/* in report.routes (entries never move) */
};

struct report {
	struct report_opts o;
	struct rcache_entry *rcache;
	struct rcache_entry *pcache;	/* method + prefix of a prefix route (artifacts, static files) */
	struct rcache_entry *recent[4];	/* the prefixes filled last: tried first on a miss */
	unsigned nrecent;
	char last_time[32];		/* the last time text parsed, and its value */
	int64_t last_time_v;
	uint64_t requests, skipped, filtered;
	uint64_t formats[LOG_FMT_COUNT];
	int64_t first, last;
	uint64_t status[1000];
	struct ctable fail_addr;	/* v: 401, 403 */
	struct ctable fail_user;	/* v: 401, 403 */
	struct ctable stuff_pairs;	/* "addr\tuser" of 401s; v: failures */
	struct ctable share_pairs;	/* "user\taddr" of successes; v: requests */
	struct ctable routes;		/* v: requests, 5xx, upstream errors (502-504) */
	struct series ser;
	struct latency *lat;		/* [FAM_COUNT] */
};

struct report *report_new(const struct report_opts *o)
{
	struct report *r = mem_calloc(1, sizeof *r);
	r->o = *o;
	if (r->o.top <= 0)
		r->o.top = 10;
	if (r->o.stuffing_users <= 0)
		r->o.stuffing_users = 5;
	if (r->o.sharing_addrs <= 0)
		r->o.sharing_addrs = 3;
	r->first = INT64_MAX;
	r->last = INT64_MIN;
	ct_init(&r->fail_addr, "failures by address", 16384);
	ct_init(&r->fail_user, "failures by user", 16384);
	ct_init(&r->stuff_pairs, "address/user pairs", 32768);
	ct_init(&r->share_pairs, "user/address pairs", 32768);
	ct_init(&r->routes, "routes", 4096);
	r->lat = mem_calloc(FAM_COUNT, sizeof *r->lat);
	r->rcache = mem_calloc(RCACHE, sizeof *r->rcache);
	r->pcache = mem_calloc(PCACHE, sizeof *r->pcache);
	return r;
}

void report_free(struct report *r)
{
	if (r == NULL)
		return;
	ct_free(&r->fail_addr);
	ct_free(&r->fail_user);
	ct_free(&r->stuff_pairs);
	ct_free(&r->share_pairs);
	ct_free(&r->routes);
	free(r->lat);
	free(r->rcache);
	free(r->pcache);
	free(r);
}

void report_skip(struct report *r)
{
	r->skipped++;
}

static int64_t floor_to(int64_t t, int64_t w)
{
	return t - ((t % w) + w) % w;
}

/* Doubles the bucket width. Buckets lie on a grid from the epoch (bucket k
 * of width w is [k w, (k + 1) w)), so a bucket of one width falls inside
 * one bucket of any larger width: the series of several readers merge
 * exactly, whatever the split. */
static void series_double(struct series *s)
{
	struct series old = *s;
	s->width *= 2;
	s->base = floor_to(old.base, s->width);
	int shift = (int)((old.base - s->base) / old.width);	/* 0 or 1 */
	memset(s->total, 0, sizeof s->total);
	memset(s->fail, 0, sizeof s->fail);
	memset(s->err5, 0, sizeof s->err5);
	for (int i = 0; i < SERIES; i++) {
		int j = (i + shift) / 2;
		s->total[j] += old.total[i];
		s->fail[j] += old.fail[i];
		s->err5[j] += old.err5[i];
	}
	s->last_to = s->last_from;	/* the hint is gone */
}

/* Counts at time t. The range grows both ways (logs from several files or
 * proxies are not strictly in order), doubling the width only when the
 * buckets from the first used one to t's are more than SERIES: the width
 * is the smallest that holds every time counted. */
static void series_add_slow(struct series *s, int64_t t, uint64_t total, uint64_t fail, uint64_t err5);

static inline void series_add(struct series *s, int64_t t, uint64_t total, uint64_t fail, uint64_t err5)
{
	if (t >= s->last_from && t < s->last_to) {	/* lines come mostly in order */
		s->total[s->last] += total;
		s->fail[s->last] += fail;
		s->err5[s->last] += err5;
		return;
	}
	series_add_slow(s, t, total, fail, err5);
}

static void series_add_slow(struct series *s, int64_t t, uint64_t total, uint64_t fail, uint64_t err5)
{
	if (s->width == 0) {
		s->width = 60;
		s->base = floor_to(t, 60);
	}
	/* the base stays the first used bucket */
	while (t < s->base) {
		int used = 0;
		for (int i = 0; i < SERIES; i++)
			if (s->total[i] || s->fail[i] || s->err5[i])
				used = i + 1;
		int64_t need = (s->base - floor_to(t, s->width)) / s->width;
		if (used + need <= SERIES) {
			size_t k = (size_t)need;
			memmove(s->total + k, s->total, (size_t)used * sizeof s->total[0]);
			memmove(s->fail + k, s->fail, (size_t)used * sizeof s->fail[0]);
			memmove(s->err5 + k, s->err5, (size_t)used * sizeof s->err5[0]);
			memset(s->total, 0, k * sizeof s->total[0]);
			memset(s->fail, 0, k * sizeof s->fail[0]);
			memset(s->err5, 0, k * sizeof s->err5[0]);
			s->base -= need * s->width;
		} else {
			series_double(s);
		}
	}
	int64_t idx = (t - s->base) / s->width;
	while (idx >= SERIES) {
		series_double(s);
		idx = (t - s->base) / s->width;
	}
	s->total[idx] += total;
	s->fail[idx] += fail;
	s->err5[idx] += err5;
	s->last = (int)idx;
	s->last_from = s->base + idx * s->width;
	s->last_to = s->last_from + s->width;
}

/* Adds one reader's series: the finer one is widened first, then each of
 * its buckets lands whole in one of the other's. */
static void series_merge(struct series *into, const struct series *from)
{
	if (from->width == 0)
		return;
	if (into->width == 0) {
		*into = *from;
		return;
	}
	while (into->width < from->width)
		series_double(into);
	struct series f = *from;
	while (f.width < into->width)
		series_double(&f);
	for (int i = 0; i < SERIES; i++)
		if (f.total[i] || f.fail[i] || f.err5[i])
			series_add(into, f.base + i * f.width, f.total[i], f.fail[i], f.err5[i]);
}

static void latency_add(struct latency *l, int64_t ms)
{
	if (ms < 0)
		return;
	if (ms < LAT_MS) {
		l->ms[ms]++;
	} else {
		int k = 0;
		int64_t lim = (int64_t)LAT_MS * 2;
		while (ms >= lim && k < LAT_COARSE - 1) {
			lim *= 2;
			k++;
		}
		l->coarse[k]++;
	}
	l->count++;
	if (ms > l->max)
		l->max = ms;
}

/* The route a line counts under: the MLflow route's pattern, so ids in paths
 * (traces, artifacts) do not split one route into thousands. */
static size_t route_key(const struct log_rec *rec, char *out, size_t cap, int *family, size_t *prefix)
{
	*prefix = 0;
	char method[16];
	if (rec->method.n == 0 || rec->method.n >= sizeof method) {
		*family = FAM_API_OTHER;
		return (size_t)snprintf(out, cap, "(unreadable request line)");
	}
	memcpy(method, rec->method.p, rec->method.n);
	method[rec->method.n] = '\0';
	struct route_match m;
	bool found = mlflow_routes_match(method, rec->path.p, rec->path.n, &m) == 0;
	*family = (int)mlflow_routes_family_of(found ? &m : NULL, method, rec->path.p, rec->path.n);
	if (found) {
		const char *api = m.route->versions == 0 ? "" : m.ajax ? (m.version == 3 ? "/ajax-api/3.0" : "/ajax-api/2.0")
								      : (m.version == 3 ? "/api/3.0" : "/api/2.0");
		size_t rl = strlen(m.route->path), al = strlen(api);
		/* a prefix route (artifacts, static files): every path under the
		 * prefix is the same route */
		if (rl > 1 && m.route->path[rl - 1] == '/' && al + rl <= rec->path.n &&
		    memcmp(rec->path.p, api, al) == 0 && memcmp(rec->path.p + al, m.route->path, rl) == 0)
			*prefix = al + rl;
		return (size_t)snprintf(out, cap, "%s %s%s", method, api, m.route->path);
	}
	const char *what = *family == FAM_UI ? "(web UI and static files)"
			   : *family == FAM_HEALTH ? "/health"
						   : "(API paths not in the route table)";
	return (size_t)snprintf(out, cap, "%s %s", method, what);
}

HOT_INLINE bool rc_same(const struct rcache_entry *c, uint64_t h, const struct log_rec *rec, size_t plen)
{
	return c->hash == h && c->len == rec->method.n + 1 + plen && bytes_equal(c->key, rec->method.p, rec->method.n) &&
	       c->key[rec->method.n] == ' ' && bytes_equal(c->key + rec->method.n + 1, rec->path.p, plen);
}

static void rc_fill(struct rcache_entry *c, uint64_t h, const struct log_rec *rec, size_t plen, int family,
		    struct ct_entry *e)
{
	c->hash = h;
	c->len = (uint16_t)(rec->method.n + 1 + plen);
	memcpy(c->key, rec->method.p, rec->method.n);
	c->key[rec->method.n] = ' ';
	memcpy(c->key + rec->method.n + 1, rec->path.p, plen);
	c->family = (int16_t)family;
	c->route = e;
}

/* A cache slot's hash: the length and up to 16 bytes from each end (every
 * hit is confirmed by comparing the whole key, so this only spreads keys,
 * and it costs the same for a long path as for a short one). */
HOT_INLINE uint64_t slot_hash(const char *p, size_t n, uint64_t seed)
{
	uint64_t w[4] = { 0, 0, 0, 0 };
	if (n >= 16) {
		memcpy(w, p, 16);
		memcpy(w + 2, p + n - 16, 16);
	} else {
		memcpy(w, p, n);
	}
	uint64_t h = (seed ^ n ^ w[0]) * 0x9e3779b97f4a7c15ULL;
	h = (h ^ (h >> 29) ^ w[1]) * 0xbf58476d1ce4e5b9ULL;
	h = (h ^ (h >> 31) ^ w[2]) * 0x94d049bb133111ebULL;
	h = (h ^ (h >> 29) ^ w[3]) * 0x9e3779b97f4a7c15ULL;
	h ^= h >> 32;
	return h ? h : 1;
}

static struct ct_entry *route_entry(struct report *r, const struct log_rec *rec, int *family)
{
	char k[2 * KEYMAX + 2];
	size_t prefix;
	if (rec->method.n + 1 + rec->path.n > RC_KEY) {
		size_t kl = route_key(rec, k, sizeof k, family, &prefix);
		return ct_get(&r->routes, k, kl < sizeof k ? kl : sizeof k - 1);
	}
	uint64_t hm = 7 ^ load_short(rec->method.p, rec->method.n < 8 ? rec->method.n : 8);
	uint64_t h = slot_hash(rec->path.p, rec->path.n, hm);
	struct rcache_entry *c = &r->rcache[h % RCACHE];
	if (rc_same(c, h, rec, rec->path.n)) {
		*family = c->family;
		return c->route;
	}
	/* paths under a prefix route differ in every line (artifact paths,
	 * hashed static files): the few prefixes seen are tried first, */
	for (unsigned i = 0; i < r->nrecent && i < 4; i++) {
		struct rcache_entry *pc = r->recent[i];
		size_t pl = (size_t)pc->len - rec->method.n - 1;
		if (pc->len > rec->method.n && pl <= rec->path.n && rc_same(pc, pc->hash, rec, pl)) {
			*family = pc->family;
			return pc->route;
		}
	}
	/* then the prefix is looked up (it ends at the 2nd to 5th /) */
	size_t slashes = 0;
	for (size_t i = 1; i < rec->path.n && slashes < 5; i++) {
		if (rec->path.p[i] != '/')
			continue;
		slashes++;
		uint64_t hp = slot_hash(rec->path.p, i + 1, hm);
		struct rcache_entry *pc = &r->pcache[hp % PCACHE];
		if (rc_same(pc, hp, rec, i + 1)) {
			*family = pc->family;
			return pc->route;
		}
	}
	size_t kl = route_key(rec, k, sizeof k, family, &prefix);
	struct ct_entry *e = ct_get(&r->routes, k, kl < sizeof k ? kl : sizeof k - 1);
	if (prefix) {
		uint64_t hp = slot_hash(rec->path.p, prefix, hm);
		struct rcache_entry *pc = &r->pcache[hp % PCACHE];
		rc_fill(pc, hp, rec, prefix, *family, e);
		r->recent[r->nrecent++ % 4] = pc;
	} else {
		rc_fill(c, h, rec, rec->path.n, *family, e);
	}
	return e;
}

/* A field as a key: at most half a key (so two make a pair key), hashed once. */
struct field {
	const char *p;
	size_t n;
	uint64_t h;
};

HOT_INLINE struct field field_of(struct log_str s)
{
	size_t n = s.n < (KEYMAX - 1) / 2 ? s.n : (KEYMAX - 1) / 2;
	return (struct field){ s.p, n, fast_hash(s.p, n, 3) };
}

HOT_INLINE void count_pair(struct ctable *t, const struct field *group, const struct field *member)
{
	ct_count(t, pair_hash(group->h, member->h), group->p, group->n, member->p, member->n)->v[0]++;
}

void report_add(struct report *r, const struct log_rec *rec)
{
	if (rec->time < r->o.since || rec->time > r->o.until) {
		r->filtered++;
		return;
	}
	r->requests++;
	r->formats[rec->format]++;
	if (rec->time < r->first)
		r->first = rec->time;
	if (rec->time > r->last)
		r->last = rec->time;
	int st = rec->status;
	r->status[st >= 0 && st < 1000 ? st : 0]++;
	bool fail = st == 401 || st == 403;
	series_add(&r->ser, rec->time, 1, fail, st >= 500);
	bool pair = rec->user.n && (st == 401 || st < 400);
	if (fail || pair) {
		struct field addr = field_of(rec->addr), user = field_of(rec->user);
		if (fail) {
			ct_count(&r->fail_addr, hash32(addr.h), addr.p, addr.n, NULL, 0)->v[st == 403]++;
			if (user.n)
				ct_count(&r->fail_user, hash32(user.h), user.p, user.n, NULL, 0)->v[st == 403]++;
		}
		if (pair && st == 401)
			count_pair(&r->stuff_pairs, &addr, &user);	/* names failing from an address */
		else if (pair)
			count_pair(&r->share_pairs, &user, &addr);	/* addresses a user works from */
	}
	int family;
	struct ct_entry *e = route_entry(r, rec, &family);
	e->v[0]++;
	e->v[1] += st >= 500;
	e->v[2] += st >= 502 && st <= 504;
	if (rec->request_ms >= 0)
		latency_add(&r->lat[family], rec->request_ms);
}

void report_merge(struct report *into, const struct report *from)
{
	into->requests += from->requests;
	into->skipped += from->skipped;
	into->filtered += from->filtered;
	for (int i = 0; i < LOG_FMT_COUNT; i++)
		into->formats[i] += from->formats[i];
	if (from->first < into->first)
		into->first = from->first;
	if (from->last > into->last)
		into->last = from->last;
	for (int i = 0; i < 1000; i++)
		into->status[i] += from->status[i];
	ct_merge(&into->fail_addr, &from->fail_addr);
	ct_merge(&into->fail_user, &from->fail_user);
	ct_merge(&into->stuff_pairs, &from->stuff_pairs);
	ct_merge(&into->share_pairs, &from->share_pairs);
	ct_merge(&into->routes, &from->routes);
	series_merge(&into->ser, &from->ser);
	for (int f = 0; f < FAM_COUNT; f++) {
		struct latency *d = &into->lat[f];
		const struct latency *s = &from->lat[f];
		for (int i = 0; i < LAT_MS; i++)
			d->ms[i] += s->ms[i];
		for (int i = 0; i < LAT_COARSE; i++)
			d->coarse[i] += s->coarse[i];
		d->count += s->count;
		if (s->max > d->max)
			d->max = s->max;
	}
}

/* --- the view the outputs share ------------------------------------------------ */

struct row {
	const char *key;		/* points into a table (not NUL-terminated: klen) */
	size_t klen;
	uint64_t v[3];
	uint64_t total;			/* sort key */
};

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	size_t n = x->klen < y->klen ? x->klen : y->klen;
	int c = memcmp(x->key, y->key, n);
	return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

/* Rows of t ranked by v[0] + v[1] (sum2: the 401 and 403 columns) or by
 * v[0] alone; at most max. */
static struct row *ranked_by(const struct ctable *t, size_t max, size_t *n, bool sum2)
{
	struct row *rows = mem_calloc(t->n ? t->n : 1, sizeof *rows);
	size_t k = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct ct_entry *e = &t->e[i];
		rows[k] = (struct row){ e->key, e->klen, { e->v[0], e->v[1], e->v[2] }, e->v[0] + (sum2 ? e->v[1] : 0) };
		k++;
	}
	qsort(rows, k, sizeof *rows, row_cmp);
	*n = k < max ? k : max;
	return rows;
}

/* Distinct second halves per first half of "a\tb" pair keys, and the sum
 * of the pairs' counts: rows (key = a) whose distinct count reaches min. */
static struct row *pair_groups(const struct ctable *pairs, int min, size_t max, size_t *n)
{
	struct ctable g;
	ct_init(&g, "groups", pairs->cap);
	for (size_t i = 0; i < pairs->n; i++) {
		const struct ct_entry *e = &pairs->e[i];
		const char *tab = memchr(e->key, '\t', e->klen);
		size_t al = tab ? (size_t)(tab - e->key) : e->klen;
		struct ct_entry *d = ct_get(&g, e->key, al);
		if (d->v[0] == 0)
			d->v[2] = i;	/* a pair key starting with it: the row's key must outlive g */
		d->v[0]++;
		d->v[1] += e->v[0];
	}
	struct row *rows = mem_calloc(g.n ? g.n : 1, sizeof *rows);
	size_t k = 0;
	for (size_t i = 0; i < g.n; i++) {
		struct ct_entry *e = &g.e[i];
		if (e->v[0] < (uint64_t)min || (e->klen == sizeof OTHER - 1 && !memcmp(e->key, OTHER, e->klen)))
			continue;
		rows[k++] = (struct row){ pairs->e[e->v[2]].key, e->klen, { e->v[0], e->v[1], 0 }, e->v[0] };
	}
	ct_free(&g);
	qsort(rows, k, sizeof *rows, row_cmp);
	*n = k < max ? k : max;
	return rows;
}

struct pct {
	uint64_t count;
	int64_t p50, p95, p99, max;
};

static int64_t percentile(const struct latency *l, double p)
{
	uint64_t rank = (uint64_t)((double)l->count * p + 0.999999999);
	if (rank == 0)
		rank = 1;
	uint64_t seen = 0;
	for (int i = 0; i < LAT_MS; i++) {
		seen += l->ms[i];
		if (seen >= rank)
			return i;
	}
	int64_t lo = LAT_MS;
	for (int k = 0; k < LAT_COARSE; k++, lo *= 2) {
		seen += l->coarse[k];
		if (seen >= rank)
			return lo;	/* the bucket's lower bound */
	}
	return l->max;
}

static struct pct pct_of(const struct latency *l)
{
	struct pct p = { l->count, 0, 0, 0, l->max };
	if (l->count) {
		p.p50 = percentile(l, 0.50);
		p.p95 = percentile(l, 0.95);
		p.p99 = percentile(l, 0.99);
	}
	return p;
}

static void fmt_time(int64_t t, char *out, size_t cap)
{
	if (t == INT64_MAX || t == INT64_MIN) {
		snprintf(out, cap, "-");
		return;
	}
	struct tm tm;
	time_t tt = (time_t)t;
	gmtime_r(&tt, &tm);
	strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Keys come from logs: printable ASCII only in every output. */
static void clean(const char *k, size_t n, char *out, size_t cap)
{
	size_t j = 0;
	for (size_t i = 0; i < n && j + 1 < cap; i++) {
		unsigned char c = (unsigned char)k[i];
		out[j++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out[j] = '\0';
}

static uint64_t status_class(const struct report *r, int c)
{
	uint64_t n = 0;
	for (int i = c * 100; i < c * 100 + 100; i++)
		n += r->status[i];
	return n;
}

static int series_len(const struct report *r)
{
	int n = 0;
	for (int i = 0; i < SERIES; i++)
		if (r->ser.total[i])
			n = i + 1;
	return n;
}

static bool any_overflow(const struct report *r)
{
	return r->fail_addr.overflow || r->fail_user.overflow || r->stuff_pairs.overflow || r->share_pairs.overflow ||
	       r->routes.overflow;
}

/* --- text ------------------------------------------------------------------------ */

static void spark(FILE *out, const uint64_t *v, int n)
{
	static const char *const bars[] = { " ", "\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588" };
	uint64_t max = 0;
	for (int i = 0; i < n; i++)
		if (v[i] > max)
			max = v[i];
	for (int i = 0; i < n; i++)
		fputs(bars[max ? (v[i] * 8 + max - 1) / max : 0], out);
}

/* A stuffing or sharing table. */
static void text_groups(const struct report *r, FILE *out, const struct ctable *pairs, int min, const char *title,
			const char *what, const char *count_col, const char *key_col)
{
	size_t n;
	char key[KEYMAX + 1];
	struct row *rows = pair_groups(pairs, min, (size_t)r->o.top, &n);
	fprintf(out, "\n%s >= %d %s)\n", title, min, what);
	if (n == 0)
		fprintf(out, "  none\n");
	else
		fprintf(out, "  %8s %8s  %s\n", "DISTINCT", count_col, key_col);
	for (size_t i = 0; i < n; i++) {
		clean(rows[i].key, rows[i].klen, key, sizeof key);
		fprintf(out, "  %8" PRIu64 " %8" PRIu64 "  %s\n", rows[i].v[0], rows[i].v[1], key);
	}
	free(rows);
}

void report_text(const struct report *r, FILE *out, bool tty)
{
	char a[40], b[40], key[KEYMAX + 1];
	fmt_time(r->first, a, sizeof a);
	fmt_time(r->last, b, sizeof b);
	fprintf(out, "mlgate report: %" PRIu64 " requests, %s .. %s", r->requests, a, b);
	if (r->skipped)
		fprintf(out, ", %" PRIu64 " unreadable lines skipped", r->skipped);
	if (r->filtered)
		fprintf(out, ", %" PRIu64 " outside --since/--until", r->filtered);
	fputc('\n', out);
	if (any_overflow(r))
		fprintf(out, "(some tables reached their size; the rest is counted as %s)\n", OTHER);
	fprintf(out, "\nStatus\n ");
	for (int c = 1; c <= 5; c++) {
		uint64_t n = status_class(r, c);
		fprintf(out, "  %dxx %" PRIu64 " (%.1f%%)", c, n, r->requests ? 100.0 * (double)n / (double)r->requests : 0.0);
	}
	fprintf(out, "\n ");
	for (int s = 100; s < 1000; s++)
		if (r->status[s])
			fprintf(out, "  %d: %" PRIu64, s, r->status[s]);
	fputc('\n', out);

	size_t n;
	struct row *rows = ranked_by(&r->fail_addr, (size_t)r->o.top, &n, true);
	fprintf(out, "\nFailed authentication by client address (401/403)\n  %8s %8s %8s  %s\n", "TOTAL", "401", "403",
		"ADDRESS");
	for (size_t i = 0; i < n; i++) {
		clean(rows[i].key, rows[i].klen, key, sizeof key);
		fprintf(out, "  %8" PRIu64 " %8" PRIu64 " %8" PRIu64 "  %s\n", rows[i].total, rows[i].v[0], rows[i].v[1], key);
	}
	free(rows);
	rows = ranked_by(&r->fail_user, (size_t)r->o.top, &n, true);
	fprintf(out, "\nFailed authentication by user (401/403)\n  %8s %8s %8s  %s\n", "TOTAL", "401", "403", "USER");
	for (size_t i = 0; i < n; i++) {
		clean(rows[i].key, rows[i].klen, key, sizeof key);
		fprintf(out, "  %8" PRIu64 " %8" PRIu64 " %8" PRIu64 "  %s\n", rows[i].total, rows[i].v[0], rows[i].v[1], key);
	}
	free(rows);

	int sl = series_len(r);
	if (sl) {
		fmt_time(r->ser.base, a, sizeof a);
		fprintf(out, "\nOver time (from %s, %" PRId64 " s per step)\n", a, r->ser.width);
		if (tty) {
			fprintf(out, "  requests  ");
			spark(out, r->ser.total, sl);
			fprintf(out, "\n  401/403   ");
			spark(out, r->ser.fail, sl);
			fprintf(out, "\n  5xx       ");
			spark(out, r->ser.err5, sl);
			fputc('\n', out);
		} else {
			fprintf(out, "  %-20s %10s %10s %10s\n", "FROM", "REQUESTS", "401/403", "5XX");
			for (int i = 0; i < sl; i++) {
				if (!r->ser.total[i])
					continue;
				fmt_time(r->ser.base + i * r->ser.width, a, sizeof a);
				fprintf(out, "  %-20s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 "\n", a, r->ser.total[i], r->ser.fail[i],
					r->ser.err5[i]);
			}
		}
	}

	text_groups(r, out, &r->stuff_pairs, r->o.stuffing_users, "Likely credential stuffing (one address failing as",
		    "user names", "401S", "ADDRESS");
	text_groups(r, out, &r->share_pairs, r->o.sharing_addrs, "Likely credential sharing (one user from", "addresses",
		    "REQUESTS", "USER");

	rows = ranked_by(&r->routes, (size_t)r->o.top, &n, false);
	fprintf(out, "\nTop routes\n  %10s %8s  %s\n", "REQUESTS", "5XX", "ROUTE");
	for (size_t i = 0; i < n; i++) {
		clean(rows[i].key, rows[i].klen, key, sizeof key);
		fprintf(out, "  %10" PRIu64 " %8" PRIu64 "  %s\n", rows[i].v[0], rows[i].v[1], key);
	}
	free(rows);

	fprintf(out, "\nLatency by route family (ms)\n  %-16s %10s %8s %8s %8s %8s\n", "FAMILY", "COUNT", "P50", "P95", "P99",
		"MAX");
	for (int f = 0; f < FAM_COUNT; f++) {
		struct pct p = pct_of(&r->lat[f]);
		if (p.count)
			fprintf(out, "  %-16s %10" PRIu64 " %8" PRId64 " %8" PRId64 " %8" PRId64 " %8" PRId64 "\n",
				mlflow_routes_family_name(f), p.count, p.p50, p.p95, p.p99, p.max);
	}
	fprintf(out, "\nUpstream errors: 502 %" PRIu64 ", 503 %" PRIu64 ", 504 %" PRIu64 "\n", r->status[502], r->status[503],
		r->status[504]);
	struct ctable up = r->routes;	/* rank routes by upstream errors: v[2] into the sort key */
	struct row *all = ranked_by(&up, up.n, &n, false);
	size_t shown = 0;
	for (size_t i = 0; i < n; i++)
		all[i].total = all[i].v[2];
	qsort(all, n, sizeof *all, row_cmp);
	for (size_t i = 0; i < n && shown < (size_t)r->o.top && all[i].total; i++, shown++) {
		clean(all[i].key, all[i].klen, key, sizeof key);
		fprintf(out, "  %10" PRIu64 "  %s\n", all[i].total, key);
	}
	free(all);
}

/* --- JSON -------------------------------------------------------------------------- */

static json_t *jkey(const char *k, size_t n)
{
	char buf[KEYMAX + 1];
	clean(k, n, buf, sizeof buf);
	return json_string(buf);
}

static json_t *build_json(const struct report *r)
{
	char a[40];
	json_t *o = json_object();
	json_object_set_new(o, "requests", json_integer((json_int_t)r->requests));
	json_object_set_new(o, "skipped_lines", json_integer((json_int_t)r->skipped));
	json_object_set_new(o, "outside_range", json_integer((json_int_t)r->filtered));
	fmt_time(r->first, a, sizeof a);
	json_object_set_new(o, "first", r->requests ? json_string(a) : json_null());
	fmt_time(r->last, a, sizeof a);
	json_object_set_new(o, "last", r->requests ? json_string(a) : json_null());
	json_t *fm = json_object();
	for (int i = 0; i < LOG_FMT_COUNT; i++)
		if (r->formats[i])
			json_object_set_new(fm, log_line_format_name(i), json_integer((json_int_t)r->formats[i]));
	json_object_set_new(o, "formats", fm);
	json_t *st = json_object(), *cl = json_object();
	for (int s = 100; s < 1000; s++)
		if (r->status[s]) {
			char k[16];
			snprintf(k, sizeof k, "%d", s);
			json_object_set_new(st, k, json_integer((json_int_t)r->status[s]));
		}
	for (int c = 1; c <= 5; c++) {
		char k[16];
		snprintf(k, sizeof k, "%dxx", c);
		json_object_set_new(cl, k, json_integer((json_int_t)status_class(r, c)));
	}
	json_object_set_new(o, "status", st);
	json_object_set_new(o, "status_class", cl);
	const struct { const char *name, *kname; const struct ctable *t; } fails[] = {
		{ "auth_failures_by_address", "address", &r->fail_addr },
		{ "auth_failures_by_user", "user", &r->fail_user },
	};
	for (int i = 0; i < 2; i++) {
		size_t n;
		struct row *rows = ranked_by(fails[i].t, (size_t)r->o.top, &n, true);
		json_t *arr = json_array();
		for (size_t j = 0; j < n; j++)
			json_array_append_new(arr, json_pack("{s:o, s:I, s:I, s:I}", fails[i].kname, jkey(rows[j].key, rows[j].klen),
							     "total", (json_int_t)rows[j].total, "401", (json_int_t)rows[j].v[0],
							     "403", (json_int_t)rows[j].v[1]));
		free(rows);
		json_object_set_new(o, fails[i].name, arr);
	}
	int sl = series_len(r);
	json_t *ts = json_object();
	fmt_time(r->ser.base, a, sizeof a);
	json_object_set_new(ts, "start", sl ? json_string(a) : json_null());
	json_object_set_new(ts, "step_seconds", json_integer(r->ser.width));
	json_t *t1 = json_array(), *t2 = json_array(), *t3 = json_array();
	for (int i = 0; i < sl; i++) {
		json_array_append_new(t1, json_integer((json_int_t)r->ser.total[i]));
		json_array_append_new(t2, json_integer((json_int_t)r->ser.fail[i]));
		json_array_append_new(t3, json_integer((json_int_t)r->ser.err5[i]));
	}
	json_object_set_new(ts, "requests", t1);
	json_object_set_new(ts, "auth_failures", t2);
	json_object_set_new(ts, "server_errors", t3);
	json_object_set_new(o, "over_time", ts);
	const struct { const char *name, *kname, *cname, *sname; const struct ctable *t; int min; } groups[] = {
		{ "credential_stuffing", "address", "users", "failures", &r->stuff_pairs, r->o.stuffing_users },
		{ "credential_sharing", "user", "addresses", "requests", &r->share_pairs, r->o.sharing_addrs },
	};
	for (int i = 0; i < 2; i++) {
		size_t n;
		struct row *rows = pair_groups(groups[i].t, groups[i].min, (size_t)r->o.top, &n);
		json_t *arr = json_array();
		for (size_t j = 0; j < n; j++)
			json_array_append_new(arr, json_pack("{s:o, s:I, s:I}", groups[i].kname, jkey(rows[j].key, rows[j].klen),
							     groups[i].cname, (json_int_t)rows[j].v[0], groups[i].sname,
							     (json_int_t)rows[j].v[1]));
		free(rows);
		json_object_set_new(o, groups[i].name, arr);
	}
	size_t n;
	struct row *rows = ranked_by(&r->routes, (size_t)r->o.top, &n, false);
	json_t *routes = json_array();
	for (size_t j = 0; j < n; j++)
		json_array_append_new(routes, json_pack("{s:o, s:I, s:I, s:I}", "route", jkey(rows[j].key, rows[j].klen),
							"requests", (json_int_t)rows[j].v[0], "server_errors",
							(json_int_t)rows[j].v[1], "upstream_errors", (json_int_t)rows[j].v[2]));
	free(rows);
	json_object_set_new(o, "top_routes", routes);
	json_t *lat = json_object();
	for (int f = 0; f < FAM_COUNT; f++) {
		struct pct p = pct_of(&r->lat[f]);
		if (p.count)
			json_object_set_new(lat, mlflow_routes_family_name(f),
					    json_pack("{s:I, s:I, s:I, s:I, s:I}", "count", (json_int_t)p.count, "p50",
						      (json_int_t)p.p50, "p95", (json_int_t)p.p95, "p99", (json_int_t)p.p99,
						      "max", (json_int_t)p.max));
	}
	json_object_set_new(o, "latency_ms", lat);
	json_object_set_new(o, "upstream_errors", json_pack("{s:I, s:I, s:I}", "502", (json_int_t)r->status[502], "503",
							    (json_int_t)r->status[503], "504", (json_int_t)r->status[504]));
	json_t *ov = json_array();
	const struct ctable *tabs[] = { &r->fail_addr, &r->fail_user, &r->stuff_pairs, &r->share_pairs, &r->routes };
	for (int i = 0; i < 5; i++)
		if (tabs[i]->overflow)
			json_array_append_new(ov, json_string(tabs[i]->name));
	json_object_set_new(o, "tables_full", ov);
	return o;
}

int report_json(const struct report *r, FILE *out)
{
	json_t *o = build_json(r);
	int rc = json_dumpf(o, out, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	json_decref(o);
	fputc('\n', out);
	return rc == 0 && !ferror(out) ? 0 : -EIO;
}

/* --- HTML ------------------------------------------------------------------------------ */

static void h(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default: fputc(*s, out);
		}
	}
}

/* A horizontal bar chart of rows (label, value), inline SVG. */
static void svg_bars(FILE *out, const char *title, const struct row *rows, size_t n, const char *color)
{
	uint64_t max = 1;
	for (size_t i = 0; i < n; i++)
		if (rows[i].total > max)
			max = rows[i].total;
	int rowh = 22, w = 720, lw = 260;
	fprintf(out, "<figure><figcaption>");
	h(out, title);
	fprintf(out, "</figcaption>");
	if (n == 0) {
		fprintf(out, "<p class=\"none\">none</p></figure>\n");
		return;
	}
	fprintf(out, "<svg role=\"img\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" xmlns=\"http://www.w3.org/2000/svg\">",
		w, (int)n * rowh + 4, w, (int)n * rowh + 4);
	for (size_t i = 0; i < n; i++) {
		char key[KEYMAX + 1];
		clean(rows[i].key, rows[i].klen, key, sizeof key);
		int y = (int)i * rowh + 2;
		int bw = (int)((double)(w - lw - 80) * (double)rows[i].total / (double)max);
		fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" class=\"l\">", lw - 8, y + 15);
		h(out, key);
		fprintf(out, "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>", lw, y + 3,
			bw > 1 ? bw : 1, rowh - 6, color);
		h(out, key);
		fprintf(out, ": %" PRIu64 "</title></rect><text x=\"%d\" y=\"%d\" class=\"v\">%" PRIu64 "</text>",
			rows[i].total, lw + bw + 6, y + 15, rows[i].total);
	}
	fprintf(out, "</svg></figure>\n");
}

static void svg_series(FILE *out, const struct report *r)
{
	int sl = series_len(r);
	if (sl == 0)
		return;
	int w = 720, hgt = 200, pad = 40;
	uint64_t max = 1;
	for (int i = 0; i < sl; i++)
		if (r->ser.total[i] > max)
			max = r->ser.total[i];
	double bw = (double)(w - pad - 10) / sl;
	char a[40], b[40];
	fmt_time(r->ser.base, a, sizeof a);
	fmt_time(r->ser.base + (int64_t)sl * r->ser.width, b, sizeof b);
	fprintf(out, "<figure><figcaption>Requests over time (%" PRId64 " s steps): all, 401/403, 5xx</figcaption>"
		     "<svg role=\"img\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" xmlns=\"http://www.w3.org/2000/svg\">",
		r->ser.width, w, hgt + 30, w, hgt + 30);
	fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>", pad, hgt, w - 10, hgt);
	fprintf(out, "<text x=\"%d\" y=\"12\" class=\"v\">%" PRIu64 "</text>", 2, max);
	const uint64_t *sets[] = { r->ser.total, r->ser.fail, r->ser.err5 };
	const char *colors[] = { "#9db4d6", "#d9534f", "#8e44ad" };
	for (int s = 0; s < 3; s++) {
		for (int i = 0; i < sl; i++) {
			if (!sets[s][i])
				continue;
			double bh = (double)(hgt - 10) * (double)sets[s][i] / (double)max;
			fmt_time(r->ser.base + i * r->ser.width, a, sizeof a);
			fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s: %" PRIu64
				     "</title></rect>",
				pad + i * bw, hgt - bh, bw > 2 ? bw - 1 : bw, bh, colors[s], a, sets[s][i]);
		}
	}
	fmt_time(r->ser.base, a, sizeof a);
	fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"l2\">%s</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\" "
		     "class=\"l2\">%s</text>",
		pad, hgt + 20, a, w - 10, hgt + 20, b);
	const char *names[] = { "all requests", "401/403", "5xx" };
	for (int i = 0; i < 3; i++)
		fprintf(out, "<rect x=\"%d\" y=\"2\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"11\" "
			     "class=\"l2\">%s</text>",
			w - 300 + i * 100, colors[i], w - 286 + i * 100, names[i]);
	fprintf(out, "</svg></figure>\n");
}

static void svg_status(FILE *out, const struct report *r)
{
	const char *colors[] = { "", "#bbb", "#5cb85c", "#5bc0de", "#f0ad4e", "#d9534f" };
	int w = 720;
	fprintf(out, "<figure><figcaption>Status mix</figcaption><svg role=\"img\" width=\"%d\" height=\"50\" viewBox=\"0 0 "
		     "%d 50\" xmlns=\"http://www.w3.org/2000/svg\">",
		w, w);
	double x = 0;
	for (int c = 1; c <= 5; c++) {
		uint64_t n = status_class(r, c);
		if (!n || !r->requests)
			continue;
		double cw = (double)w * (double)n / (double)r->requests;
		fprintf(out, "<rect x=\"%.1f\" y=\"0\" width=\"%.1f\" height=\"26\" fill=\"%s\"><title>%dxx: %" PRIu64
			     "</title></rect>",
			x, cw, colors[c], c, n);
		if (cw > 60)
			fprintf(out, "<text x=\"%.1f\" y=\"44\" class=\"l2\">%dxx %.1f%%</text>", x + 2, c,
				100.0 * (double)n / (double)r->requests);
		x += cw;
	}
	fprintf(out, "</svg></figure>\n");
}

/* Table rows: a key and its first two counts. */
static void html_rows2(FILE *out, const struct row *rows, size_t n)
{
	char key[KEYMAX + 1];
	for (size_t i = 0; i < n; i++) {
		clean(rows[i].key, rows[i].klen, key, sizeof key);
		fprintf(out, "<tr><td>");
		h(out, key);
		fprintf(out, "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64 "</td></tr>\n", rows[i].v[0],
			rows[i].v[1]);
	}
}

/* A stuffing or sharing table. */
static void html_groups(FILE *out, const char *title, const char *rule, int min, const char *what,
			const char *key_col, const char *count_col, const struct row *rows, size_t n)
{
	fprintf(out, "<h2>%s</h2>\n<p class=\"muted\">%s %d %s</p>\n<table><tr><th>%s</th><th class=\"n\">%s</th>"
		     "<th class=\"n\">%s</th></tr>\n",
		title, rule, min, what, key_col, what, count_col);
	html_rows2(out, rows, n);
	fprintf(out, "</table>%s\n", n ? "" : "<p class=\"none\">none</p>");
}

int report_html(const struct report *r, FILE *out)
{
	char a[40], b[40];
	fmt_time(r->first, a, sizeof a);
	fmt_time(r->last, b, sizeof b);
	fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		     "<title>mlgate report</title><style>"
		     "body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:900px;color:#222;background:#fff}"
		     "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}"
		     ".cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}"
		     ".card{border:1px solid #ddd;border-radius:6px;padding:10px 14px;min-width:120px}"
		     ".card b{display:block;font-size:20px}.warn b{color:#c9302c}"
		     "table{border-collapse:collapse;width:100%%}td,th{padding:3px 8px;border-bottom:1px solid #eee;text-align:left}"
		     "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}figure{margin:12px 0}"
		     "figcaption{font-weight:600;margin-bottom:6px}.l{font-size:12px;fill:#333}.v{font-size:11px;fill:#555}"
		     ".l2{font-size:11px;fill:#666}.none{color:#777}.muted{color:#777}"
		     "</style></head><body>\n<h1>mlgate access report</h1>\n<p class=\"muted\">%s &ndash; %s UTC</p>\n",
		a, b);
	uint64_t fails = r->status[401] + r->status[403];
	size_t ns, nsh;
	struct row *stuff = pair_groups(&r->stuff_pairs, r->o.stuffing_users, (size_t)r->o.top, &ns);
	struct row *share = pair_groups(&r->share_pairs, r->o.sharing_addrs, (size_t)r->o.top, &nsh);
	fprintf(out, "<div class=\"cards\"><div class=\"card\"><b>%" PRIu64 "</b>requests</div>"
		     "<div class=\"card%s\"><b>%" PRIu64 "</b>401/403</div>"
		     "<div class=\"card%s\"><b>%" PRIu64 "</b>5xx</div>"
		     "<div class=\"card%s\"><b>%zu</b>addresses trying many users</div>"
		     "<div class=\"card\"><b>%zu</b>users from many addresses</div></div>\n",
		r->requests, fails ? " warn" : "", fails, status_class(r, 5) ? " warn" : "", status_class(r, 5),
		ns ? " warn" : "", ns, nsh);
	if (r->skipped || any_overflow(r))
		fprintf(out, "<p class=\"muted\">%" PRIu64 " unreadable lines skipped%s</p>\n", r->skipped,
			any_overflow(r) ? "; some tables were full, the rest is counted as (other)" : "");
	svg_status(out, r);
	svg_series(out, r);
	fprintf(out, "<h2>Failed authentication</h2>\n");
	size_t n;
	struct row *rows = ranked_by(&r->fail_addr, (size_t)r->o.top, &n, true);
	svg_bars(out, "401/403 by client address", rows, n, "#d9534f");
	free(rows);
	rows = ranked_by(&r->fail_user, (size_t)r->o.top, &n, true);
	svg_bars(out, "401/403 by user", rows, n, "#f0ad4e");
	free(rows);
	html_groups(out, "Likely credential stuffing", "one address failing as at least", r->o.stuffing_users,
		    "user names", "address", "401s", stuff, ns);
	html_groups(out, "Likely credential sharing", "one user from at least", r->o.sharing_addrs, "addresses", "user",
		    "requests", share, nsh);
	free(stuff);
	free(share);
	fprintf(out, "<h2>Top routes</h2>\n<table><tr><th>route</th><th class=\"n\">requests</th><th class=\"n\">5xx</th>"
		     "</tr>\n");
	rows = ranked_by(&r->routes, (size_t)r->o.top, &n, false);
	html_rows2(out, rows, n);
	free(rows);
	fprintf(out, "</table>\n<h2>Latency by route family (ms)</h2>\n<table><tr><th>family</th><th class=\"n\">requests</th>"
		     "<th class=\"n\">p50</th><th class=\"n\">p95</th><th class=\"n\">p99</th><th class=\"n\">max</th></tr>\n");
	for (int f = 0; f < FAM_COUNT; f++) {
		struct pct p = pct_of(&r->lat[f]);
		if (p.count)
			fprintf(out, "<tr><td>%s</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRId64 "</td><td class=\"n\">"
				     "%" PRId64 "</td><td class=\"n\">%" PRId64 "</td><td class=\"n\">%" PRId64 "</td></tr>\n",
				mlflow_routes_family_name(f), p.count, p.p50, p.p95, p.p99, p.max);
	}
	fprintf(out, "</table>\n<h2>Upstream errors</h2>\n<p>502: %" PRIu64 " &middot; 503: %" PRIu64 " &middot; 504: %" PRIu64
		     "</p>\n<p class=\"muted\">made by mlgate report</p>\n</body></html>\n",
		r->status[502], r->status[503], r->status[504]);
	return ferror(out) ? -EIO : 0;
}
