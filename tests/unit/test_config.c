/* Unit tests for configuration loading: defaults, YAML, flags, and errors
 * with file:line:column. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "config/config.h"

static char path[64];

static const char *write_yaml(const char *s)
{
	snprintf(path, sizeof path, "/tmp/mlgate-cfg-XXXXXX");
	int fd = mkstemp(path);
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	close(fd);
	return path;
}

static void test_defaults(void **state)
{
	struct config *cfg;
	struct buf err;
	buf_init(&err, 65536);
	assert_int_equal(config_load(NULL, &cfg, &err), 0);
	assert_int_equal(cfg->nlisten, 1);
	assert_string_equal(cfg->listen[0].host, "127.0.0.1");
	assert_int_equal(cfg->listen[0].port, 8080);
	assert_string_equal(cfg->upstream_host, "127.0.0.1");
	assert_int_equal(cfg->upstream_port, 5000);
	assert_string_equal(cfg->htpasswd, "./var/htpasswd");
	assert_true(cfg->htpasswd_is_default);
	assert_int_equal(cfg->cache_ttl, 300000);
	assert_int_equal(cfg->header_timeout, 10000);
	assert_int_equal(cfg->public_paths.n, 2);
	assert_string_equal(cfg->user_header, "X-Forwarded-User");
	assert_false(cfg->forward_authorization);
	config_free(cfg);
	buf_free(&err);
}

static void test_yaml_and_flags(void **state)
{
	const char *p = write_yaml(
		"listen:\n"
		"  - 127.0.0.1:9000\n"
		"  - address: '[::1]:9443'\n"
		"    tls: {cert: /c.pem, key: /k.pem}\n"
		"upstream:\n"
		"  url: http://localhost:5001\n"
		"  mount: /mlflow\n"
		"  host_header: mlflow.internal\n"
		"auth:\n"
		"  htpasswd: /etc/mlgate/htpasswd\n"
		"  public_paths: [/health]\n"
		"  cache_ttl: 90s\n"
		"limits:\n"
		"  max_body_size: 10m\n"
		"access_log: {format: json, path: \"off\"}\n");
	struct config_overrides ov = { .config_file = p, .upstream = "http://127.0.0.1:6000", .workers = "3" };
	struct config *cfg;
	struct buf err;
	buf_init(&err, 65536);
	int rc = config_load(&ov, &cfg, &err);
	if (rc)
		fail_msg("%s", err.data);
	assert_int_equal(cfg->nlisten, 2);
	assert_int_equal(cfg->listen[0].port, 9000);
	assert_string_equal(cfg->listen[1].host, "::1");
	assert_string_equal(cfg->listen[1].cert, "/c.pem");
	assert_string_equal(cfg->mount, "/mlflow");
	assert_int_equal(cfg->upstream_port, 6000);	/* flag wins */
	assert_int_equal(cfg->workers, 3);
	assert_false(cfg->htpasswd_is_default);
	assert_int_equal(cfg->public_paths.n, 1);
	assert_int_equal(cfg->cache_ttl, 90000);
	assert_int_equal(cfg->max_body_size, 10 * 1024 * 1024);
	assert_int_equal(cfg->access_log_format, ACCESS_LOG_JSON);
	assert_string_equal(cfg->access_log, "off");
	config_free(cfg);
	buf_free(&err);
	unlink(p);
}

static void expect_error(const char *yaml, const char *needle)
{
	const char *p = write_yaml(yaml);
	struct config_overrides ov = { .config_file = p };
	struct config *cfg = NULL;
	struct buf err;
	buf_init(&err, 65536);
	assert_int_equal(config_load(&ov, &cfg, &err), -EINVAL);
	assert_non_null(err.data);
	if (strstr(err.data, needle) == NULL)
		fail_msg("wanted \"%s\" in: %s", needle, err.data);
	buf_free(&err);
	unlink(p);
}

static void test_errors(void **state)
{
	expect_error("upstream:\n  ulr: http://x:1\n", ":2:3: unknown key \"upstream.ulr\"");
	expect_error("timeouts:\n  header: soon\n", ":2:11: timeouts.header: must be a duration");
	expect_error("auth:\n  forward_authorization: maybe\n", ":2:26: auth.forward_authorization: must be true or false");
	expect_error("listen: nowhere\n", ":1:9: listen: must be host:port");
	expect_error("listen: [{address: 1.2.3.4:1, tls: {cert: /c}}]\n", "tls needs both cert and key");
	expect_error("upstream: {url: https://x:1}\n", "upstream.url: must start with http://");
	expect_error("upstream: {mount: mlflow/}\n", "upstream.mount: must look like /mlflow");
	expect_error("a: 1\n b: 2\n", ":2:5: invalid multiline plain key");
	expect_error("- just\n- a list\n", "the top level must be a mapping");
	expect_error("access_log: {format: xml}\n", "access_log.format: must be one of combined|json");
	expect_error("default_permission: WRITE\n", "default_permission: must be one of NO_PERMISSIONS|READ|EDIT|MANAGE");
	expect_error("limits: {max_header_size: lots}\n", "limits.max_header_size: must be a size");
	struct config *cfg;
	struct buf err;
	buf_init(&err, 4096);
	struct config_overrides ov = { .listen = "bad" };
	assert_int_equal(config_load(&ov, &cfg, &err), -EINVAL);
	assert_non_null(strstr(err.data, "--listen bad"));
	buf_free(&err);
}

static void test_units(void **state)
{
	uint64_t ms;
	int64_t b;
	assert_int_equal(config_parse_duration("250ms", &ms), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(config_parse_duration("2h", &ms), 0);
	assert_int_equal(ms, 7200000);
	assert_int_equal(config_parse_duration("7", &ms), 0);
	assert_int_equal(ms, 7000);
	assert_int_equal(config_parse_duration("-1s", &ms), -EINVAL);
	assert_int_equal(config_parse_duration("1y", &ms), -EINVAL);
	assert_int_equal(config_parse_size("64KiB", &b), 0);
	assert_int_equal(b, 65536);
	assert_int_equal(config_parse_size("1g", &b), 0);
	assert_int_equal(b, 1073741824);
	assert_int_equal(config_parse_size("1x", &b), -EINVAL);
	char *h;
	int port;
	assert_int_equal(config_parse_hostport("[::1]:80", &h, &port), 0);
	assert_string_equal(h, "::1");
	free(h);
	assert_int_equal(config_parse_hostport("::1:80", &h, &port), -EINVAL);
	assert_int_equal(config_parse_hostport("a:0", &h, &port), -EINVAL);
	assert_int_equal(config_parse_hostport("a:70000", &h, &port), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_yaml_and_flags),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_units),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
