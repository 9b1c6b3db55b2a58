/* Configuration keys: one static table row per key (name, type, where it
 * lives in struct config, default, meaning), the value parsers, and the
 * validation that runs after defaults, file and flags are merged. */
#include "config/config.h"
#include "config/config_yaml.h"
#include "core/mem.h"
#include "core/log.h"
#include "authz/ip_rules.h"
#include "authz/rate_limit.h"
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define OFF(f) offsetof(struct config, f)

const struct config_key config_keys[] = {
	{ "listen", CK_LISTEN, 0, "127.0.0.1:8080",
	  "Listeners: an address, or a list of addresses or {address, tls: {cert, key}, redirect_https}." },
	{ "workers", CK_INT, OFF(workers), "0", "Worker threads, each with its own listener (0: one per core)." },
	{ "log_level", CK_ENUM, OFF(log_level), "info", "Error log level: debug, info, warn, error.", "debug|info|warn|error" },
	{ "upstream.url", CK_STR, OFF(upstream_url), "http://127.0.0.1:5000", "The MLflow server (http://host:port)." },
	{ "upstream.host_header", CK_STR, OFF(upstream_host_header), "",
	  "Host header sent to MLflow; empty keeps the client's (MLflow >= 3.5 checks it against --allowed-hosts)." },
	{ "upstream.mount", CK_STR, OFF(mount), "", "Sub-path MLflow is published under (e.g. /mlflow); stripped toward MLflow." },
	{ "upstream.connect_timeout", CK_DURATION, OFF(upstream_connect_timeout), "5s", "Connecting to MLflow (502 past it)." },
	{ "upstream.response_timeout", CK_DURATION, OFF(upstream_response_timeout), "120s",
	  "Waiting for MLflow's response head, and between response bytes (504 past it)." },
	{ "upstream.keepalive_timeout", CK_DURATION, OFF(upstream_keepalive_timeout), "4s",
	  "How long an idle pooled MLflow connection is kept (keep it below MLflow's own, 5s for uvicorn)." },
	{ "upstream.max_idle", CK_INT, OFF(upstream_max_idle), "128", "Idle pooled MLflow connections per worker." },
	{ "auth.htpasswd", CK_STR, OFF(htpasswd), "./var/htpasswd",
	  "htpasswd file (apr1, bcrypt, {SHA}, sha256/sha512-crypt, yescrypt). The default file is created on first start." },
	{ "auth.realm", CK_STR, OFF(realm), "mlflow", "Basic realm in WWW-Authenticate." },
	{ "auth.cache_ttl", CK_DURATION, OFF(cache_ttl), "5m",
	  "How long a verified credential is remembered (0: no cache); one in use is verified again in the background "
	  "in its last quarter (at most its last minute)." },
	{ "auth.cache_size", CK_INT, OFF(cache_size), "4096", "Verified credentials remembered at most." },
	{ "auth.forward_authorization", CK_BOOL, OFF(forward_authorization), "false",
	  "Forward the client's Authorization header to MLflow." },
	{ "auth.user_header", CK_STR, OFF(user_header), "X-Forwarded-User",
	  "Header carrying the authenticated user to MLflow (client copies are removed)." },
	{ "auth.public_paths", CK_STRLIST, OFF(public_paths), "/health,/static-files/",
	  "Paths (after the mount) served without login; an entry ending in / is a prefix." },
	{ "limits.max_header_size", CK_SIZE, OFF(max_header_size), "32k", "Request line plus headers (431 past it)." },
	{ "limits.max_target_size", CK_SIZE, OFF(max_target_size), "8k", "Request target (414 past it)." },
	{ "limits.max_body_size", CK_SIZE, OFF(max_body_size), "64m",
	  "Request body outside the artifact routes (413 past it; 0: unlimited)." },
	{ "limits.max_artifact_body_size", CK_SIZE, OFF(max_artifact_body_size), "0",
	  "Request body on mlflow-artifacts routes (0: unlimited)." },
	{ "limits.max_json_body_size", CK_SIZE, OFF(max_json_body_size), "16m",
	  "MLflow API requests with JSON bodies are read whole (to be inspected) up to this size (413 past it)." },
	{ "limits.max_connections", CK_INT, OFF(max_connections), "16384", "Client connections per worker." },
	{ "timeouts.header", CK_DURATION, OFF(header_timeout), "10s", "Receiving a whole request head (408 past it)." },
	{ "timeouts.body", CK_DURATION, OFF(body_timeout), "60s", "Idle time while receiving a request body (408 past it)." },
	{ "timeouts.keepalive", CK_DURATION, OFF(keepalive_timeout), "75s", "Idle client keep-alive connection." },
	{ "timeouts.send", CK_DURATION, OFF(send_timeout), "60s", "A client that reads nothing of the response for this long is dropped." },
	{ "timeouts.drain", CK_DURATION, OFF(drain_timeout), "30s", "On SIGTERM, how long in-flight requests may finish." },
	{ "access_log.path", CK_STR, OFF(access_log), "-", "Access log file, - for stdout, off for none. Reopened on SIGUSR1." },
	{ "access_log.format", CK_ENUM, OFF(access_log_format), "combined",
	  "combined (nginx combined + request_time upstream_response_time request_id) or json.", "combined|json" },
	{ "tls.hsts_max_age", CK_INT, OFF(hsts_max_age), "0", "Strict-Transport-Security max-age on TLS listeners (0: not sent)." },
	{ "store", CK_STR, OFF(store), "sqlite:///./var/mlgate.db",
	  "Identity store (users, groups, grants, tokens): sqlite:///PATH (relative) or sqlite:////ABS/PATH." },
	{ "default_permission", CK_ENUM, OFF(default_permission), "READ",
	  "Level a user has on an experiment or model when no grant applies (as MLflow's default_permission).",
	  "NO_PERMISSIONS|READ|EDIT|MANAGE" },
	{ "authz.admin_unknown_routes", CK_BOOL, OFF(admin_unknown_routes), "true",
	  "Let administrators reach paths that are not in mlgate's MLflow route table (everyone else gets 403)." },
	{ "authz.resolve_cache_size", CK_INT, OFF(resolve_cache_size), "4096",
	  "Answers from MLflow (run, trace, logged model -> experiment; experiment name <-> id) cached per worker." },
	{ "authz.resolve_ttl", CK_DURATION, OFF(resolve_ttl), "5m",
	  "How long a run, trace or logged model -> experiment answer is cached (they never move)." },
	{ "authz.name_ttl", CK_DURATION, OFF(name_ttl), "5s",
	  "How long an experiment name <-> id answer is cached (names can be renamed or reused)." },
	{ "authz.uri_schemes", CK_STR, OFF(uri_schemes), "mlflow-artifacts,runs,models,s3,gs,wasbs,abfss,hdfs",
	  "URI schemes accepted in artifact_location (experiments/create) and source/run_link (model-versions/create); "
	  "file: and local paths never are." },
	{ "audit.path", CK_STR, OFF(audit_path), "./var/audit.log",
	  "Audit log (hash-chained JSON lines; `mlgate audit verify`), off for none. Reopened on SIGUSR1." },
	{ "audit.key_file", CK_STR, OFF(audit_key_file), "./var/audit.key",
	  "HMAC key of the audit chain: 32 bytes, created 0600 on first start; keep it for verification." },
	{ "audit.on_failure", CK_ENUM, OFF(audit_on_failure), "refuse",
	  "When the audit log cannot be written: refuse state-changing requests with 503, or continue.",
	  "refuse|continue" },
	{ "authz.attribution", CK_ENUM, OFF(attribution), "rewrite",
	  "runs/create: rewrite sets user_id and the mlflow.user tag to the authenticated user; reject refuses others "
	  "(403); off leaves them.", "rewrite|reject|off" },
	{ "network.trusted_proxies", CK_STRLIST, OFF(trusted_proxies), "",
	  "Peers (addresses or CIDR prefixes) whose X-Forwarded-For is believed; from anyone else the socket address is "
	  "the client." },
	{ "network.ip_rules", CK_STRLIST, OFF(ip_rules_src), "",
	  "Allow/deny rules checked before authentication: \"[PATH-PREFIX] allow|deny CIDR|all\"; the longest matching "
	  "prefix's rules apply, first match wins, no match allows (as nginx)." },
	{ "lockout.max_failures", CK_INT, OFF(lockout_max_failures), "5",
	  "Failed logins for one user name within lockout.window that lock it (password logins only; tokens keep "
	  "working). 0: off." },
	{ "lockout.ip_max_failures", CK_INT, OFF(lockout_ip_max_failures), "20",
	  "Failed logins from one client address (an IPv6 /64) within lockout.window that lock it. 0: off." },
	{ "lockout.window", CK_DURATION, OFF(lockout_window), "15m", "How long failures are counted together." },
	{ "lockout.duration", CK_DURATION, OFF(lockout_duration), "1m",
	  "First lockout; each further one doubles, up to lockout.max_duration." },
	{ "lockout.max_duration", CK_DURATION, OFF(lockout_max_duration), "1h", "Longest lockout." },
	{ "lockout.exempt", CK_STRLIST, OFF(lockout_exempt_src), "",
	  "Client addresses or prefixes never locked out by address (an office NAT); their users still are." },
	{ "rate_limits", CK_STRLIST, OFF(rate_limits_src), "",
	  "Token buckets: \"user|ip FAMILY COUNT/s|m|h [burst N]\", FAMILY all or a route family; 429 "
	  "REQUEST_LIMIT_EXCEEDED with Retry-After past them." },
	{ "admin.listen", CK_STR, OFF(admin_listen), "127.0.0.1:9180",
	  "Metrics (/metrics) and health (/healthz, /readyz) listener; off for none. Keep it off public networks." },
	{ "audit.syslog", CK_BOOL, OFF(audit_syslog), "false", "Copy every audit record to syslog (LOG_AUTHPRIV)." },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

int config_parse_duration(const char *s, uint64_t *ms)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s || errno || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	uint64_t mul;
	if (*end == '\0' || strcmp(end, "s") == 0)
		mul = 1000;
	else if (strcmp(end, "ms") == 0)
		mul = 1;
	else if (strcmp(end, "m") == 0)
		mul = 60000;
	else if (strcmp(end, "h") == 0)
		mul = 3600000;
	else if (strcmp(end, "d") == 0)
		mul = 86400000;
	else
		return -EINVAL;
	if (v > UINT64_MAX / mul / 4)
		return -EINVAL;
	*ms = v * mul;
	return 0;
}

int config_parse_size(const char *s, int64_t *bytes)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s || errno || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	uint64_t mul = 1;
	if (*end) {
		char c = (char)(*end | 0x20);
		const char *rest = end + 1;
		if (c == 'k')
			mul = 1024;
		else if (c == 'm')
			mul = 1024 * 1024;
		else if (c == 'g')
			mul = 1024ULL * 1024 * 1024;
		else if (c == 't')
			mul = 1024ULL * 1024 * 1024 * 1024;
		else
			return -EINVAL;
		if (*rest && strcasecmp(rest, "b") != 0 && strcasecmp(rest, "ib") != 0)
			return -EINVAL;
	}
	if (v > (uint64_t)INT64_MAX / mul)
		return -EINVAL;
	*bytes = (int64_t)(v * mul);
	return 0;
}

int config_parse_hostport(const char *s, char **host, int *port)
{
	const char *colon;
	size_t hlen;
	const char *h = s;
	if (*s == '[') {
		const char *rb = strchr(s, ']');
		if (rb == NULL || rb[1] != ':')
			return -EINVAL;
		h = s + 1;
		hlen = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || memchr(s, ':', (size_t)(colon - s)) != NULL)
			return -EINVAL;
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0)
		return -EINVAL;
	char *end;
	errno = 0;
	long p = strtol(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || p < 1 || p > 65535)
		return -EINVAL;
	*host = mem_strndup(h, hlen);
	*port = (int)p;
	return 0;
}

/* Sets one scalar key from its string form; returns 0 or -EINVAL with a
 * message in *why. */
int config__set(struct config *cfg, const struct config_key *k, const char *v, const char **why)
{
	char *base = (char *)cfg;
	switch (k->type) {
	case CK_STR: {
		char **p = (char **)(base + k->offset);
		free(*p);
		*p = mem_strdup(v);
		return 0;
	}
	case CK_ENUM: {
		const char *c = k->choices;
		int idx = 0;
		size_t vl = strlen(v);
		while (c && *c) {
			const char *bar = strchr(c, '|');
			size_t n = bar ? (size_t)(bar - c) : strlen(c);
			if (n == vl && strncmp(c, v, n) == 0) {
				if (k->offset == OFF(log_level)) {
					free(cfg->log_level);
					cfg->log_level = mem_strdup(v);
				} else {
					*(int *)(base + k->offset) = idx;
				}
				return 0;
			}
			idx++;
			c = bar ? bar + 1 : NULL;
		}
		static char msg[160];	/* config loading runs on one thread */
		snprintf(msg, sizeof msg, "must be one of %s", k->choices);
		*why = msg;
		return -EINVAL;
	}
	case CK_BOOL:
		if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "on") == 0) {
			*(bool *)(base + k->offset) = true;
			return 0;
		}
		if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0 || strcmp(v, "off") == 0) {
			*(bool *)(base + k->offset) = false;
			return 0;
		}
		*why = "must be true or false";
		return -EINVAL;
	case CK_INT: {
		char *end;
		errno = 0;
		long long x = strtoll(v, &end, 10);
		if (errno || *end || end == v || x < 0 || x > INT_MAX) {
			*why = "must be a whole number >= 0";
			return -EINVAL;
		}
		if (k->offset == OFF(workers))
			*(int *)(base + k->offset) = (int)x;
		else
			*(int64_t *)(base + k->offset) = x;
		return 0;
	}
	case CK_SIZE:
		if (config_parse_size(v, (int64_t *)(base + k->offset))) {
			*why = "must be a size such as 65536, 64k, 16m or 1g";
			return -EINVAL;
		}
		return 0;
	case CK_DURATION:
		if (config_parse_duration(v, (uint64_t *)(base + k->offset))) {
			*why = "must be a duration such as 500ms, 10s, 5m or 1h";
			return -EINVAL;
		}
		return 0;
	case CK_STRLIST: {
		struct strlist *l = (struct strlist *)(base + k->offset);
		for (size_t i = 0; i < l->n; i++)
			free(l->items[i]);
		l->n = 0;
		const char *p = v;
		while (*p) {
			const char *comma = strchr(p, ',');
			size_t n = comma ? (size_t)(comma - p) : strlen(p);
			if (n) {
				if (l->n == CONFIG_MAX_LIST) {
					*why = "too many entries";
					return -EINVAL;
				}
				l->items[l->n++] = mem_strndup(p, n);
			}
			p += n + (comma ? 1 : 0);
		}
		return 0;
	}
	case CK_LISTEN: {
		config__clear_listen(cfg);
		return config__add_listen(cfg, v, NULL, NULL, false, why);
	}
	}
	*why = "unknown key type";
	return -EINVAL;
}

int config__add_listen(struct config *cfg, const char *addr, const char *cert, const char *key,
		       bool redirect, const char **why)
{
	if (cfg->nlisten == CONFIG_MAX_LISTEN) {
		*why = "too many listeners";
		return -EINVAL;
	}
	struct listen_cfg *l = &cfg->listen[cfg->nlisten];
	memset(l, 0, sizeof *l);
	if (config_parse_hostport(addr, &l->host, &l->port)) {
		*why = "must be host:port, e.g. 127.0.0.1:8080 or [::1]:8080";
		return -EINVAL;
	}
	if ((cert == NULL) != (key == NULL)) {
		free(l->host);
		*why = "tls needs both cert and key";
		return -EINVAL;
	}
	if (redirect && cert != NULL) {
		free(l->host);
		*why = "redirect_https is for plain listeners only";
		return -EINVAL;
	}
	l->address = mem_strdup(addr);
	l->cert = cert ? mem_strdup(cert) : NULL;
	l->key = key ? mem_strdup(key) : NULL;
	l->redirect_https = redirect;
	cfg->nlisten++;
	return 0;
}

const struct config_key *config__find_key(const char *name)
{
	for (const struct config_key *k = config_keys; k->name; k++)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

void config__clear_listen(struct config *cfg)
{
	for (size_t i = 0; i < cfg->nlisten; i++) {
		free(cfg->listen[i].address);
		free(cfg->listen[i].host);
		free(cfg->listen[i].cert);
		free(cfg->listen[i].key);
	}
	cfg->nlisten = 0;
}

void config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	config__clear_listen(cfg);
	for (const struct config_key *k = config_keys; k->name; k++) {
		if (k->type == CK_STR)
			free(*(char **)((char *)cfg + k->offset));
		else if (k->type == CK_STRLIST) {
			struct strlist *l = (struct strlist *)((char *)cfg + k->offset);
			for (size_t i = 0; i < l->n; i++)
				free(l->items[i]);
		}
	}
	ip_rules_free(cfg->ip_rules);
	rate_limits_free(cfg->rate_limits);
	cidr_list_free(&cfg->lockout_exempt);
	free(cfg->admin_host);
	free(cfg->log_level);
	free(cfg->source);
	free(cfg->upstream_host);
	free(cfg);
}

static int validate(struct config *cfg, struct buf *errors)
{
	int bad = 0;
#define VFAIL(...) do { buf_printf(errors, "%s: ", cfg->source); buf_printf(errors, __VA_ARGS__); buf_appends(errors, "\n"); bad = 1; } while (0)
	const char *u = cfg->upstream_url;
	if (strncmp(u, "http://", 7) != 0) {
		VFAIL("upstream.url: must start with http:// (got \"%s\")", u);
	} else {
		const char *hp = u + 7;
		size_t n = strcspn(hp, "/");
		if (hp[n] == '/' && hp[n + 1] != '\0')
			VFAIL("upstream.url: must not have a path; use upstream.mount for sub-paths");
		char *tmp = mem_strndup(hp, n);
		free(cfg->upstream_host);
		cfg->upstream_host = NULL;
		if (strchr(tmp, ':') == NULL || tmp[n ? n - 1 : 0] == ']') {
			cfg->upstream_host = mem_strdup(tmp);
			if (tmp[0] == '[') {
				free(cfg->upstream_host);
				cfg->upstream_host = mem_strndup(tmp + 1, n > 2 ? n - 2 : 0);
			}
			cfg->upstream_port = 80;
		} else if (config_parse_hostport(tmp, &cfg->upstream_host, &cfg->upstream_port)) {
			VFAIL("upstream.url: bad host:port in \"%s\"", u);
		}
		free(tmp);
	}
	const char *m = cfg->mount;
	if (m[0] != '\0') {
		size_t n = strlen(m);
		if (m[0] != '/' || m[n - 1] == '/' || strstr(m, "//") || strstr(m, "/.") ||
		    strpbrk(m, "?#%\\ ") != NULL)
			VFAIL("upstream.mount: must look like /mlflow (leading /, no trailing /, no dots, no %%)");
	}
	for (size_t i = 0; i < cfg->public_paths.n; i++)
		if (cfg->public_paths.items[i][0] != '/')
			VFAIL("auth.public_paths: \"%s\" must start with /", cfg->public_paths.items[i]);
	if (cfg->nlisten == 0)
		VFAIL("listen: at least one listener is needed");
	for (const char *p = cfg->user_header; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-'))
			VFAIL("auth.user_header: must be a header name (letters, digits, -)");
	if (cfg->user_header[0] == '\0')
		VFAIL("auth.user_header: must not be empty");
	if (cfg->max_header_size < 1024 || cfg->max_header_size > 1024 * 1024)
		VFAIL("limits.max_header_size: must be between 1k and 1m");
	if (cfg->max_target_size < 256 || cfg->max_target_size >= cfg->max_header_size)
		VFAIL("limits.max_target_size: must be at least 256 and below limits.max_header_size");
	if (cfg->resolve_cache_size < 4 || cfg->resolve_cache_size > (1 << 24))
		VFAIL("authz.resolve_cache_size: must be between 4 and 16777216");
	if (cfg->max_json_body_size < 1024)
		VFAIL("limits.max_json_body_size: must be at least 1k");
	if (cfg->max_connections < 1)
		VFAIL("limits.max_connections: must be at least 1");
	if (cfg->cache_size < 1)
		VFAIL("auth.cache_size: must be at least 1");
	if (cfg->workers > 256)
		VFAIL("workers: at most 256");
	if (cfg->header_timeout == 0 || cfg->body_timeout == 0 || cfg->keepalive_timeout == 0 ||
	    cfg->upstream_connect_timeout == 0 || cfg->upstream_response_timeout == 0 || cfg->send_timeout == 0)
		VFAIL("timeouts: must be greater than zero");
	if (cfg->htpasswd[0] == '\0')
		VFAIL("auth.htpasswd: must name a file");
	char why[400];
	ip_rules_free(cfg->ip_rules);
	cfg->ip_rules = NULL;
	if (ip_rules_compile(cfg->ip_rules_src.items, cfg->ip_rules_src.n, cfg->trusted_proxies.items,
			     cfg->trusted_proxies.n, &cfg->ip_rules, why, sizeof why))
		VFAIL("network: %s", why);
	rate_limits_free(cfg->rate_limits);
	cfg->rate_limits = NULL;
	if (rate_limits_compile(cfg->rate_limits_src.items, cfg->rate_limits_src.n, &cfg->rate_limits, why, sizeof why))
		VFAIL("rate_limits: %s", why);
	cidr_list_free(&cfg->lockout_exempt);
	if (cidr_list_parse(cfg->lockout_exempt_src.items, cfg->lockout_exempt_src.n, false, &cfg->lockout_exempt, why,
			    sizeof why))
		VFAIL("lockout.exempt: %s", why);
	if (cfg->lockout_duration < 1000 || cfg->lockout_max_duration < cfg->lockout_duration)
		VFAIL("lockout: duration must be at least 1s and max_duration at least duration");
	if (cfg->lockout_window < 1000)
		VFAIL("lockout.window: must be at least 1s");
	free(cfg->admin_host);
	cfg->admin_host = NULL;
	if (strcmp(cfg->admin_listen, "off") != 0 &&
	    config_parse_hostport(cfg->admin_listen, &cfg->admin_host, &cfg->admin_port))
		VFAIL("admin.listen: must be host:port (e.g. 127.0.0.1:9180) or off");
#undef VFAIL
	return bad ? -EINVAL : 0;
}

int config_load(const struct config_overrides *ov, struct config **out, struct buf *errors)
{
	struct config *cfg = mem_calloc(1, sizeof *cfg);
	const char *why = NULL;
	for (const struct config_key *k = config_keys; k->name; k++) {
		int rc = config__set(cfg, k, k->def, &why);
		assert(rc == 0);	/* the defaults are ours: a bad one is a bug */
		(void)rc;
	}
	cfg->htpasswd_is_default = true;
	cfg->source = mem_strdup(ov && ov->config_file ? ov->config_file : "(defaults)");
	int bad = 0;
	if (ov && ov->config_file) {
		if (config_yaml_apply(cfg, ov->config_file, errors))
			bad = 1;
	}
	struct { const char *v; const char *key; const char *flag; } flags[] = {
		{ ov ? ov->listen : NULL, "listen", "--listen" },
		{ ov ? ov->upstream : NULL, "upstream.url", "--upstream" },
		{ ov ? ov->htpasswd : NULL, "auth.htpasswd", "--htpasswd" },
		{ ov ? ov->access_log : NULL, "access_log.path", "--access-log" },
		{ ov ? ov->workers : NULL, "workers", "--workers" },
		{ ov ? ov->store : NULL, "store", "--store" },
		{ ov ? ov->default_permission : NULL, "default_permission", "--default-permission" },
		{ ov ? ov->audit_log : NULL, "audit.path", "--audit-log" },
		{ ov ? ov->admin_listen : NULL, "admin.listen", "--admin-listen" },
	};
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		if (flags[i].v == NULL)
			continue;
		if (config__set(cfg, config__find_key(flags[i].key), flags[i].v, &why)) {
			buf_printf(errors, "%s %s: %s\n", flags[i].flag, flags[i].v, why);
			bad = 1;
		}
		if (strcmp(flags[i].key, "auth.htpasswd") == 0)
			cfg->htpasswd_is_default = false;
	}
	if (!bad && validate(cfg, errors))
		bad = 1;
	if (bad) {
		config_free(cfg);
		return -EINVAL;
	}
	*out = cfg;
	return 0;
}

struct config *config_load_or_report(const struct config_overrides *ov)
{
	struct config *cfg = NULL;
	struct buf errors;
	buf_init(&errors, 1 << 20);
	if (config_load(ov, &cfg, &errors))
		fputs(errors.data ? errors.data : "configuration error\n", stderr);
	buf_free(&errors);
	return cfg;
}

void config_print_keys(void)
{
	printf("| key | default | meaning |\n|---|---|---|\n");
	for (const struct config_key *k = config_keys; k->name; k++)
		printf("| `%s` | `%s` | %s |\n", k->name, k->def[0] ? k->def : "\"\"", k->help);
}
