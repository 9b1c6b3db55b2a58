/* Addresses, prefixes, allow/deny rules per path, the client behind trusted
 * proxies, and the bounded slot table the limits use. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <stdlib.h>
#include "authz/ip_rules.h"
#include "core/cidr.h"
#include "core/slot_table.h"

#include "strv.h"

static struct ipaddr addr(const char *s)
{
	struct ipaddr a;
	assert_int_equal(cidr_addr_parse(s, strlen(s), &a), 0);
	return a;
}

static bool in(const char *net, const char *a)
{
	struct cidr c;
	const char *why = NULL;
	assert_int_equal(cidr_parse(net, &c, &why), 0);
	struct ipaddr x = addr(a);
	return cidr_match(&c, &x);
}

static void test_cidr(void **state)
{
	assert_true(in("10.0.0.0/8", "10.255.1.2"));
	assert_false(in("10.0.0.0/8", "11.0.0.1"));
	assert_true(in("192.168.1.0/25", "192.168.1.127"));
	assert_false(in("192.168.1.0/25", "192.168.1.128"));
	assert_true(in("0.0.0.0/0", "8.8.8.8"));
	assert_false(in("0.0.0.0/0", "::1"));
	assert_true(in("all", "::1"));
	assert_true(in("2001:db8::/32", "2001:db8:ffff::1"));
	assert_false(in("2001:db8::/32", "2001:db9::1"));
	assert_true(in("::1", "::1"));
	assert_true(in("127.0.0.1", "::ffff:127.0.0.1"));	/* mapped = IPv4 */
	assert_true(in("::ffff:10.0.0.0/104", "10.9.9.9"));
	struct cidr c;
	const char *why = NULL;
	assert_int_equal(cidr_parse("10.1.2.3/8", &c, &why), -EINVAL);	/* host bits set */
	assert_int_equal(cidr_parse("10.0.0.0/33", &c, &why), -EINVAL);
	assert_int_equal(cidr_parse("10.0.0.0/", &c, &why), -EINVAL);
	assert_int_equal(cidr_parse("10.0.0.0/+8", &c, &why), -EINVAL);
	assert_int_equal(cidr_parse("10.0.0", &c, &why), -EINVAL);
	assert_int_equal(cidr_parse("host.example", &c, &why), -EINVAL);
	struct ipaddr a;
	assert_int_equal(cidr_addr_parse("1.2.3.4 ", 8, &a), -EINVAL);
	char key[80];
	a = addr("2001:db8:1:2:3:4:5:6");
	cidr_addr_key(&a, key, sizeof key);
	assert_string_equal(key, "2001:db8:1:2::/64");
	a = addr("::ffff:192.0.2.1");
	cidr_addr_key(&a, key, sizeof key);
	assert_string_equal(key, "192.0.2.1");
}

static struct ip_rules *compile(const char **rules, size_t n, const char **trusted, size_t nt)
{
	struct ip_rules *r = NULL;
	char why[200];
	assert_int_equal(ip_rules_compile(n ? dupv(rules, n) : NULL, n, nt ? dupv(trusted, nt) : NULL, nt, &r, why, sizeof why), 0);
	return r;
}

static bool allowed(struct ip_rules *r, const char *path, const char *a)
{
	struct ipaddr x = addr(a);
	const char *rule;
	return ip_rules_allow(r, path, strlen(path), &x, &rule);
}

static void test_rules(void **state)
{
	const char *rules[] = {
		"allow 10.0.0.0/8", "allow ::1", "deny all",
		"/api/2.0/mlflow/registered-models/ allow 10.1.0.0/16",
		"/api/2.0/mlflow/registered-models/ deny all",
		"/health allow all",
	};
	struct ip_rules *r = compile(rules, 6, NULL, 0);
	assert_true(allowed(r, "/api/2.0/mlflow/runs/get", "10.2.3.4"));
	assert_true(allowed(r, "/api/2.0/mlflow/runs/get", "::1"));
	assert_false(allowed(r, "/api/2.0/mlflow/runs/get", "192.168.0.1"));
	assert_false(allowed(r, "/api/2.0/mlflow/runs/get", "2001:db8::1"));
	/* the longer prefix's rules replace the global ones */
	assert_true(allowed(r, "/api/2.0/mlflow/registered-models/get", "10.1.9.9"));
	assert_false(allowed(r, "/api/2.0/mlflow/registered-models/get", "10.2.9.9"));
	assert_false(allowed(r, "/api/2.0/mlflow/registered-models/get", "::1"));
	assert_true(allowed(r, "/health", "203.0.113.5"));
	ip_rules_free(r);
	/* no rules: everything in; rules that match nothing: in (nginx) */
	r = compile(NULL, 0, NULL, 0);
	assert_true(ip_rules_empty(r));
	assert_true(allowed(r, "/", "203.0.113.5"));
	ip_rules_free(r);
	const char *only[] = { "/admin/ deny 203.0.113.0/24" };
	r = compile(only, 1, NULL, 0);
	assert_true(allowed(r, "/admin/x", "198.51.100.1"));
	assert_false(allowed(r, "/admin/x", "203.0.113.9"));
	assert_true(allowed(r, "/other", "203.0.113.9"));
	ip_rules_free(r);
	const char *bad[][1] = { { "permit 10.0.0.0/8" }, { "allow" }, { "allow 10.0.0.0/8 extra" },
				 { "allow 300.0.0.0/8" }, { "/a%2f allow all" }, { "deny 10.0.0.1/8" } };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char why[200];
		assert_int_equal(ip_rules_compile(dupv(bad[i], 1), 1, NULL, 0, &r, why, sizeof why), -EINVAL);
		assert_non_null(strstr(why, bad[i][0]));
	}
	char why[200];
	const char *tall[] = { "all" };
	assert_int_equal(ip_rules_compile(NULL, 0, dupv(tall, 1), 1, &r, why, sizeof why), -EINVAL);
}

static const char *client(struct ip_rules *r, const char *peer, const char *xff)
{
	static char out[64];
	struct ipaddr p = addr(peer), c;
	ip_rules_client(r, &p, xff, xff ? strlen(xff) : 0, &c);
	cidr_addr_format(&c, out, sizeof out);
	return out;
}

static void test_client(void **state)
{
	const char *trusted[] = { "127.0.0.1", "10.0.0.0/8" };
	struct ip_rules *r = compile(NULL, 0, trusted, 2);
	/* an untrusted peer's header is ignored */
	assert_string_equal(client(r, "192.0.2.7", "1.2.3.4"), "192.0.2.7");
	/* from a trusted proxy: the rightmost untrusted entry */
	assert_string_equal(client(r, "127.0.0.1", "1.2.3.4"), "1.2.3.4");
	assert_string_equal(client(r, "127.0.0.1", "6.6.6.6, 1.2.3.4"), "1.2.3.4");
	assert_string_equal(client(r, "127.0.0.1", "6.6.6.6, 1.2.3.4, 10.0.0.5"), "1.2.3.4");
	/* every hop trusted: the leftmost */
	assert_string_equal(client(r, "127.0.0.1", "10.1.1.1,10.0.0.5"), "10.1.1.1");
	/* a malformed entry stops the walk at the last address believed */
	assert_string_equal(client(r, "127.0.0.1", "1.2.3.4, garbage, 10.0.0.5"), "10.0.0.5");
	assert_string_equal(client(r, "127.0.0.1", "1.2.3.4, "), "127.0.0.1");
	assert_string_equal(client(r, "127.0.0.1", NULL), "127.0.0.1");
	assert_string_equal(client(r, "127.0.0.1", "2001:db8::5"), "2001:db8::5");
	ip_rules_free(r);
}

static void test_slot_table(void **state)
{
	struct slot_table *t = slot_table_new(1024);
	struct slot *s = slot_table_acquire(t, "a", 1, 1, true);
	assert_int_equal(s->a, 0);
	s->a = 42;
	slot_table_release(t, s);
	assert_null(slot_table_acquire(t, "b", 1, 2, false));
	s = slot_table_acquire(t, "a", 1, 3, false);
	assert_non_null(s);
	assert_int_equal(s->a, 42);
	slot_table_release(t, s);
	/* far more keys than slots: memory stays bounded, recent keys survive */
	char k[32];
	for (int i = 0; i < 100000; i++) {
		int n = snprintf(k, sizeof k, "key%d", i);
		s = slot_table_acquire(t, k, (size_t)n, 10 + i, true);
		s->a = i;
		slot_table_release(t, s);
	}
	s = slot_table_acquire(t, "key99999", 8, 200000, false);
	assert_non_null(s);
	assert_int_equal(s->a, 99999);
	slot_table_release(t, s);
	slot_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_client),
		cmocka_unit_test(test_slot_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
