/* The validated, immutable configuration object. Built once from the
 * embedded defaults, an optional YAML file and command-line flags; never
 * changed afterwards (a reload builds a new one). */
#ifndef MG_CONFIG_H
#define MG_CONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "core/cidr.h"

struct ip_rules;
struct rate_limits;

#define CONFIG_MAX_LISTEN 8
#define CONFIG_MAX_LIST 128

struct listen_cfg {
	char *address;		/* as written: "127.0.0.1:8080", "[::1]:8443" */
	char *host;		/* parsed host part */
	int port;
	char *cert;		/* TLS certificate chain PEM, NULL for plain */
	char *key;		/* TLS private key PEM */
	bool redirect_https;	/* plain listener that only redirects to https */
};

struct strlist {
	char *items[CONFIG_MAX_LIST];
	size_t n;
};

enum access_log_format { ACCESS_LOG_COMBINED = 0, ACCESS_LOG_JSON };

struct config {
	char *source;			/* file the config came from, or "(defaults)" */
	struct listen_cfg listen[CONFIG_MAX_LISTEN];
	size_t nlisten;
	int workers;			/* 0: one per core */
	char *log_level;

	char *upstream_url;
	char *upstream_host;		/* parsed from upstream_url */
	int upstream_port;
	char *upstream_host_header;	/* Host sent upstream; "" keeps the client's */
	char *mount;			/* "" or "/prefix" */
	uint64_t upstream_connect_timeout;	/* all durations in ms */
	uint64_t upstream_response_timeout;
	uint64_t upstream_keepalive_timeout;
	int64_t upstream_max_idle;

	char *htpasswd;
	char *realm;
	uint64_t cache_ttl;
	int64_t cache_size;
	bool forward_authorization;
	char *user_header;
	struct strlist public_paths;

	int64_t max_header_size;
	int64_t max_target_size;
	int64_t max_body_size;		/* 0: unlimited */
	int64_t max_artifact_body_size;	/* 0: unlimited */
	int64_t max_json_body_size;	/* MLflow API bodies read whole for inspection */
	int64_t max_connections;	/* per worker */

	uint64_t header_timeout;
	uint64_t body_timeout;
	uint64_t keepalive_timeout;
	uint64_t send_timeout;
	uint64_t drain_timeout;

	char *access_log;		/* path, "-" for stdout, "off" */
	enum access_log_format access_log_format;

	int64_t hsts_max_age;		/* 0: no Strict-Transport-Security */
	char *store;			/* identity store URI */
	int default_permission;		/* enum perm_level */
	bool admin_unknown_routes;	/* admins may reach routes not in the table */
	int64_t resolve_cache_size;	/* per worker */
	uint64_t resolve_ttl;		/* run/trace/logged model -> experiment */
	uint64_t name_ttl;		/* experiment name <-> id */
	char *uri_schemes;		/* allowed in artifact_location, source, run_link */
	char *audit_path;		/* "off": no audit log */
	char *audit_key_file;
	int audit_on_failure;		/* 0 refuse, 1 continue */
	int attribution;		/* enum attribution_mode */
	bool htpasswd_is_default;	/* the embedded default path was used */

	struct strlist trusted_proxies;	/* X-Forwarded-For believed from these */
	struct strlist ip_rules_src;	/* "[PREFIX] allow|deny CIDR|all" */
	struct ip_rules *ip_rules;	/* compiled from the two above */
	int64_t lockout_max_failures;	/* per user; 0: off */
	int64_t lockout_ip_max_failures;	/* per client address; 0: off */
	uint64_t lockout_window;
	uint64_t lockout_duration;
	uint64_t lockout_max_duration;
	struct strlist lockout_exempt_src;
	struct cidr_list lockout_exempt;	/* addresses never locked by address */
	struct strlist rate_limits_src;
	struct rate_limits *rate_limits;	/* compiled; NULL when none */
	char *admin_listen;		/* metrics and health listener, "off" for none */
	char *admin_host;		/* parsed from admin_listen */
	int admin_port;
	bool audit_syslog;		/* copy audit records to syslog */
};

/* Overrides from the command line; NULL/0 fields leave the config alone. */
struct config_overrides {
	const char *config_file;
	const char *listen;
	const char *upstream;
	const char *htpasswd;
	const char *access_log;
	const char *workers;
	const char *store;
	const char *default_permission;
	const char *audit_log;
	const char *admin_listen;
};

/* Builds a config: defaults, then the YAML file (if any), then overrides,
 * then validation. On error returns -EINVAL with every problem, one per line
 * as "file:line:column: message", in *errors (caller frees with buf_free). */
int config_load(const struct config_overrides *ov, struct config **out, struct buf *errors);
void config_free(struct config *cfg);
/* config_load that writes the errors to stderr; returns the config or NULL. */
struct config *config_load_or_report(const struct config_overrides *ov);

/* Parses "250ms", "10s", "5m", "1h", "2d" or a bare number of seconds. */
int config_parse_duration(const char *s, uint64_t *ms);
/* Parses "64k", "16MiB", "1g", bare bytes. */
int config_parse_size(const char *s, int64_t *bytes);
/* Splits "host:port" / "[v6]:port"; returns 0 or -EINVAL. */
int config_parse_hostport(const char *s, char **host, int *port);
/* Writes the key reference (name, type, default, meaning) as Markdown rows. */
void config_print_keys(void);

#endif
