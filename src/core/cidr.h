/* IP addresses and CIDR prefixes (IPv4 and IPv6): parsing from text and
 * matching. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are treated as the
 * IPv4 address they carry, so a dual-stack listener and an IPv4 rule agree.
 * Pure: no allocation, no I/O. */
#ifndef MG_CIDR_H
#define MG_CIDR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ipaddr {
	int family;		/* 4 or 6 */
	uint8_t b[16];		/* IPv4 in the first 4 bytes */
};

struct cidr {
	struct ipaddr net;
	int bits;		/* prefix length; -1: "all" (matches every address) */
};

/* A list of prefixes (trusted proxies, lockout exemptions). */
struct cidr_list {
	struct cidr *v;
	size_t n;
};

/* Parses an address (no brackets, no port, no zone) of exactly len bytes.
 * Returns 0 or -EINVAL. */
int cidr_addr_parse(const char *s, size_t len, struct ipaddr *a);
/* Parses "10.0.0.0/8", "2001:db8::/32", a bare address (a full-length
 * prefix) or "all". Host bits under the prefix must be zero (a typo such as
 * 10.1.2.3/8 is refused rather than silently widened). Returns 0 or -EINVAL
 * with a message in *why. */
int cidr_parse(const char *s, struct cidr *c, const char **why);
bool cidr_match(const struct cidr *c, const struct ipaddr *a);
/* Parses n entries into l (allocates; free with cidr_list_free). "all" is
 * refused unless allow_all. 0, or -EINVAL with "entry: reason" in why. */
int cidr_list_parse(char *const *items, size_t n, bool allow_all, struct cidr_list *l, char *why, size_t cap);
void cidr_list_free(struct cidr_list *l);
bool cidr_list_match(const struct cidr_list *l, const struct ipaddr *a);
/* Writes the address as text (at least 46 bytes). */
void cidr_addr_format(const struct ipaddr *a, char *out, size_t cap);
/* The key an address is counted under for lockouts and rate limits: the
 * address itself for IPv4, its /64 for IPv6 (one host usually holds a whole
 * /64, so per-address counting would be trivially evaded). */
void cidr_addr_key(const struct ipaddr *a, char *out, size_t cap);

#endif
