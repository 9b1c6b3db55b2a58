/* The permission model: direct, group, pattern and default, admins, and
 * grants of other principals ignored. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "authz/policy.h"

static const struct grant grants[] = {
	{ PRINCIPAL_USER, "alice", RESOURCE_EXPERIMENT, "1", LEVEL_READ },
	{ PRINCIPAL_GROUP, "team-a", RESOURCE_EXPERIMENT, "1", LEVEL_MANAGE },
	{ PRINCIPAL_GROUP, "team-a", RESOURCE_EXPERIMENT, "2", LEVEL_EDIT },
	{ PRINCIPAL_GROUP, "team-b", RESOURCE_EXPERIMENT, "2", LEVEL_READ },
	{ PRINCIPAL_GROUP, "team-a", RESOURCE_PATTERN, "team-a/*", LEVEL_MANAGE },
	{ PRINCIPAL_USER, "bob", RESOURCE_MODEL, "churn", LEVEL_EDIT },
	{ PRINCIPAL_USER, "carol", RESOURCE_MODEL, "churn", LEVEL_NO_PERMISSIONS },
	{ PRINCIPAL_USER, "carol", RESOURCE_PATTERN, "*", LEVEL_EDIT },
};
#define N (sizeof grants / sizeof grants[0])

static void test_decide(void **state)
{
	const char *ga[] = { "team-a" };
	const char *gab[] = { "team-b", "team-a" };
	struct decision d;
	/* own grant wins, even when a group grants more */
	policy_decide("alice", false, ga, 1, RESOURCE_EXPERIMENT, "1", NULL, grants, N, LEVEL_READ, &d);
	assert_int_equal(d.level, LEVEL_READ);
	assert_int_equal(d.source, SOURCE_DIRECT);
	/* no own grant: highest group grant */
	policy_decide("dave", false, gab, 2, RESOURCE_EXPERIMENT, "2", NULL, grants, N, LEVEL_READ, &d);
	assert_int_equal(d.level, LEVEL_EDIT);
	assert_int_equal(d.source, SOURCE_GROUP);
	assert_string_equal(d.via, "team-a");
	/* pattern on a model name, through a group */
	policy_decide("dave", false, ga, 1, RESOURCE_MODEL, NULL, "team-a/fraud", grants, N, LEVEL_READ, &d);
	assert_int_equal(d.level, LEVEL_MANAGE);
	assert_int_equal(d.source, SOURCE_PATTERN);
	assert_string_equal(d.via, "team-a/*");
	/* pattern on an experiment name */
	policy_decide("dave", false, ga, 1, RESOURCE_EXPERIMENT, "77", "team-a/exp", grants, N, LEVEL_NO_PERMISSIONS, &d);
	assert_int_equal(d.level, LEVEL_MANAGE);
	/* a pattern never matches an id */
	policy_decide("dave", false, ga, 1, RESOURCE_EXPERIMENT, "team-a/exp", NULL, grants, N, LEVEL_NO_PERMISSIONS, &d);
	assert_int_equal(d.level, LEVEL_NO_PERMISSIONS);
	assert_int_equal(d.source, SOURCE_DEFAULT);
	/* nothing applies: default */
	policy_decide("erin", false, NULL, 0, RESOURCE_MODEL, NULL, "churn", grants, N, LEVEL_READ, &d);
	assert_int_equal(d.level, LEVEL_READ);
	assert_int_equal(d.source, SOURCE_DEFAULT);
	/* other users' grants are ignored */
	policy_decide("erin", false, NULL, 0, RESOURCE_MODEL, NULL, "churn", grants, N, LEVEL_NO_PERMISSIONS, &d);
	assert_int_equal(d.level, LEVEL_NO_PERMISSIONS);
	/* an explicit NO_PERMISSIONS of one's own beats one's pattern */
	policy_decide("carol", false, NULL, 0, RESOURCE_MODEL, NULL, "churn", grants, N, LEVEL_READ, &d);
	assert_int_equal(d.level, LEVEL_NO_PERMISSIONS);
	assert_int_equal(d.source, SOURCE_DIRECT);
	policy_decide("carol", false, NULL, 0, RESOURCE_MODEL, NULL, "other", grants, N, LEVEL_READ, &d);
	assert_int_equal(d.level, LEVEL_EDIT);
	/* admins pass */
	policy_decide("root", true, NULL, 0, RESOURCE_MODEL, NULL, "churn", grants, N, LEVEL_NO_PERMISSIONS, &d);
	assert_int_equal(d.level, LEVEL_MANAGE);
	assert_int_equal(d.source, SOURCE_ADMIN);
}

static void test_names(void **state)
{
	enum perm_level l;
	assert_int_equal(level_parse("manage", &l), 0);
	assert_int_equal(l, LEVEL_MANAGE);
	assert_int_equal(level_parse("USE", &l), -EINVAL);
	assert_string_equal(level_name(LEVEL_NO_PERMISSIONS), "NO_PERMISSIONS");
	assert_true(LEVEL_NO_PERMISSIONS < LEVEL_READ && LEVEL_READ < LEVEL_EDIT && LEVEL_EDIT < LEVEL_MANAGE);
	enum resource_kind k;
	assert_int_equal(policy_parse_resource_kind("model", &k), 0);
	assert_int_equal(k, RESOURCE_MODEL);
	assert_int_equal(policy_parse_resource_kind("run", &k), -EINVAL);
}

/* The index gives policy_decide's answer -- level, source and via -- on
 * random grant sets (small name spaces, so collisions and ties happen). */
static void test_index_matches(void **state)
{
	static const char *const users[] = { "u0", "u1", "u2" };
	static const char *const groups[] = { "g0", "g1", "g2" };
	static const char *const res[] = { "1", "2", "3", "a/x", "a/y", "b/x", "m1", "m2" };
	static const char *const pats[] = { "a/*", "*", "b/*", "m*", "?/x" };
	unsigned seed = 12345;
#define RND(n) ((seed = seed * 1103515245u + 12345u) >> 16) % (n)
	for (int round = 0; round < 3000; round++) {
		struct grant g[40];
		size_t n = RND(40);
		for (size_t i = 0; i < n; i++) {
			g[i].principal_kind = RND(2) ? PRINCIPAL_GROUP : PRINCIPAL_USER;
			g[i].principal = g[i].principal_kind == PRINCIPAL_GROUP ? groups[RND(3)] : users[RND(3)];
			g[i].resource_kind = (enum resource_kind)RND(3);
			g[i].resource = g[i].resource_kind == RESOURCE_PATTERN ? pats[RND(5)] : res[RND(8)];
			g[i].level = (enum perm_level)RND(4);
		}
		const char *mine[2] = { groups[RND(3)], groups[RND(3)] };
		size_t nmine = RND(3);
		const char *user = users[RND(3)];
		struct policy_index *ix = policy_index_build(user, mine, nmine, g, n);
		for (int q = 0; q < 20; q++) {
			enum resource_kind k = RND(2) ? RESOURCE_MODEL : RESOURCE_EXPERIMENT;
			const char *id = res[RND(8)];
			const char *name = RND(3) ? res[RND(8)] : NULL;
			if (k == RESOURCE_MODEL)
				name = id;
			enum perm_level def = (enum perm_level)RND(4);
			struct decision a, b;
			policy_decide(user, false, mine, nmine, k, id, name, g, n, def, &a);
			policy_index_decide(ix, false, k, id, name, def, &b);
			if (a.level != b.level || a.source != b.source || (a.via == NULL) != (b.via == NULL) ||
			    (a.via && strcmp(a.via, b.via) != 0))
				fail_msg("round %d: %d/%d/%s vs %d/%d/%s", round, a.level, a.source, a.via ? a.via : "-", b.level,
					 b.source, b.via ? b.via : "-");
		}
		policy_index_free(ix);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_index_matches),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
