/* The stages that protect the gateway itself: who the client is (trusted
 * proxies), whether its address may come in (network.ip_rules), rate limits
 * by address and by user, and the loop-side half of the lockout (memory
 * marks of locked keys, so a locked attacker costs no thread-pool trip; the
 * counters themselves are in the store, src/authn/lockout.c). */
#include "http/conn.h"
#include "audit/metrics.h"
#include "authz/ip_rules.h"
#include "authz/rate_limit.h"
#include "core/log.h"
#include "core/slot_table.h"
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t defence_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Joins every X-Forwarded-For line in order (a proxy may add its own line
 * instead of extending the client's). */
static const char *forwarded_for(const struct h1_message *m, char *buf, size_t cap, size_t *len)
{
	size_t n = 0, lines = 0;
	const char *only = NULL;
	for (size_t i = 0; i < m->nheaders; i++) {
		const struct h1_header *h = &m->headers[i];
		if (!H1_NAME_IS(h, "x-forwarded-for"))
			continue;
		if (lines++ == 0) {
			only = h->value;
			*len = h->value_len;
		}
		if (n + h->value_len + 1 >= cap)
			return NULL;	/* cannot be longer than a head: refuse to guess */
		if (n)
			buf[n++] = ',';
		memcpy(buf + n, h->value, h->value_len);
		n += h->value_len;
	}
	if (lines <= 1)
		return only;
	*len = n;
	return buf;
}

static void send_429(struct conn *c, uint64_t wait_ms, const char *msg)
{
	char hdr[64];
	unsigned long long secs = (wait_ms + 999) / 1000;
	snprintf(hdr, sizeof hdr, "Retry-After: %llu\r\n", secs ? secs : 1);
	errpage_send(c, 429, "REQUEST_LIMIT_EXCEEDED", msg, hdr);
}

int defence_before_auth(struct conn *c, const struct h1_message *m)
{
	const struct config *cfg = c->rt->cfg;
	struct server *srv = c->w->srv;
	c->client_addr = c->peer_addr;
	if (cfg->ip_rules->trusted.n) {
		size_t xlen = 0;
		char joined[8192];
		const char *xff = forwarded_for(m, joined, sizeof joined, &xlen);
		ip_rules_client(cfg->ip_rules, &c->peer_addr, xff, xff ? xlen : 0, &c->client_addr);
		cidr_addr_format(&c->client_addr, c->ri.client, sizeof c->ri.client);
	}
	if (!ip_rules_empty(cfg->ip_rules)) {
		const char *rule = NULL;
		if (!ip_rules_allow(cfg->ip_rules, c->ri.path, strlen(c->ri.path), &c->client_addr, &rule)) {
			log_info("refused %s %s from %s: network.ip_rules \"%s\" request_id=%s", c->ri.method, c->ri.path,
				 c->ri.client, rule ? rule : "?", c->ri.request_id);
			metrics_count(srv->metrics, c->w->id, MC_IP_DENIED);
			c->keep_alive = false;
			errpage_send(c, 403, "PERMISSION_DENIED", "Your network address may not use this path", NULL);
			return -1;
		}
	}
	if (rate_limits_any(cfg->rate_limits, RATE_IP)) {
		char key[80];
		cidr_addr_key(&c->client_addr, key, sizeof key);
		const char *rule = NULL;
		uint64_t wait = rate_limits_take(cfg->rate_limits, RATE_IP, key, c->ri.family, (int64_t)server_now_ms(), &rule);
		if (wait) {
			log_info("rate limited %s %s from %s: \"%s\" request_id=%s", c->ri.method, c->ri.path, c->ri.client,
				 rule, c->ri.request_id);
			metrics_rate_limited(srv->metrics, c->w->id, 1, c->ri.family);
			send_429(c, wait, "Too many requests from your address; retry later");
			return -1;
		}
	}
	return 0;
}

int defence_after_auth(struct conn *c)
{
	const struct config *cfg = c->rt->cfg;
	if (!rate_limits_any(cfg->rate_limits, RATE_USER))
		return 0;
	const char *rule = NULL;
	uint64_t wait = rate_limits_take(cfg->rate_limits, RATE_USER, c->ri.user, c->ri.family, (int64_t)server_now_ms(),
					 &rule);
	if (wait == 0)
		return 0;
	log_info("rate limited %s %s for %s: \"%s\" request_id=%s", c->ri.method, c->ri.path, c->ri.user, rule,
		 c->ri.request_id);
	metrics_rate_limited(c->w->srv->metrics, c->w->id, 0, c->ri.family);
	send_429(c, wait, "Too many requests; retry later");
	return -1;
}

void defence_mark_locked(struct worker *w, const char *key, int64_t until)
{
	struct slot *s = slot_table_acquire(w->srv->lockmarks, key, strlen(key), (int64_t)server_now_ms(), true);
	if (until > s->a)
		s->a = until;
	slot_table_release(w->srv->lockmarks, s);
}

static int64_t marked_until(struct worker *w, const char *key)
{
	struct slot *s = slot_table_acquire(w->srv->lockmarks, key, strlen(key), (int64_t)server_now_ms(), false);
	if (s == NULL)
		return 0;
	int64_t until = s->a;
	slot_table_release(w->srv->lockmarks, s);
	return until;
}

void defence_send_locked(struct conn *c, int64_t until, bool by_address)
{
	int64_t now = defence_wall_ms();
	metrics_auth_failure(c->w->srv->metrics, AF_LOCKED_OUT);
	memcpy(c->ri.attempted, c->ri.user, sizeof c->ri.attempted);
	c->ri.user[0] = '\0';
	send_429(c, until > now ? (uint64_t)(until - now) : 1000,
		 by_address ? "Too many failed logins from your address; password logins are paused (tokens still work)"
			    : "Too many failed logins for this user; password logins are paused (tokens still work)");
}

bool defence_locked(struct conn *c, const char *user)
{
	const struct config *cfg = c->rt->cfg;
	int64_t now = defence_wall_ms();
	char key[200];
	if (cfg->lockout_max_failures > 0) {
		snprintf(key, sizeof key, "user:%s", user);
		int64_t until = marked_until(c->w, key);
		if (until > now) {
			defence_send_locked(c, until, false);
			return true;
		}
	}
	if (cfg->lockout_ip_max_failures > 0 && !cidr_list_match(&cfg->lockout_exempt, &c->client_addr)) {
		char ak[80];
		cidr_addr_key(&c->client_addr, ak, sizeof ak);
		snprintf(key, sizeof key, "ip:%s", ak);
		int64_t until = marked_until(c->w, key);
		if (until > now) {
			defence_send_locked(c, until, true);
			return true;
		}
	}
	return false;
}
