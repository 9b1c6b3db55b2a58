/* The migration list: one row per schema version, applied in order inside a
 * transaction each, recorded in schema_migrations. Never edit a released row;
 * add a new one. Names (not numeric ids) are keys, so htpasswd-only users can
 * hold grants and group memberships too. Times are Unix seconds. */
#include "store/migrations.h"
#include <stddef.h>

const struct migration migrations[] = {
	{ 1, "users, groups, grants, tokens",
	  "CREATE TABLE users (\n"
	  "  username TEXT PRIMARY KEY,\n"
	  "  password_hash TEXT,\n"
	  "  is_admin INTEGER NOT NULL DEFAULT 0,\n"
	  "  disabled INTEGER NOT NULL DEFAULT 0,\n"
	  "  created_at BIGINT NOT NULL,\n"
	  "  last_login BIGINT\n"
	  ");\n"
	  "CREATE TABLE groups (\n"
	  "  name TEXT PRIMARY KEY,\n"
	  "  created_at BIGINT NOT NULL\n"
	  ");\n"
	  "CREATE TABLE group_members (\n"
	  "  group_name TEXT NOT NULL REFERENCES groups(name) ON DELETE CASCADE,\n"
	  "  username TEXT NOT NULL,\n"
	  "  PRIMARY KEY (group_name, username)\n"
	  ");\n"
	  "CREATE INDEX group_members_user ON group_members(username);\n"
	  "CREATE TABLE grants (\n"
	  "  principal_kind TEXT NOT NULL CHECK (principal_kind IN ('user', 'group')),\n"
	  "  principal TEXT NOT NULL,\n"
	  "  resource_kind TEXT NOT NULL CHECK (resource_kind IN ('experiment', 'model', 'pattern')),\n"
	  "  resource TEXT NOT NULL,\n"
	  "  level TEXT NOT NULL CHECK (level IN ('NO_PERMISSIONS', 'READ', 'EDIT', 'MANAGE')),\n"
	  "  created_at BIGINT NOT NULL,\n"
	  "  PRIMARY KEY (principal_kind, principal, resource_kind, resource)\n"
	  ");\n"
	  "CREATE INDEX grants_resource ON grants(resource_kind, resource);\n"
	  "CREATE TABLE tokens (\n"
	  "  id TEXT PRIMARY KEY,\n"
	  "  username TEXT NOT NULL,\n"
	  "  name TEXT NOT NULL,\n"
	  "  secret_hash TEXT NOT NULL,\n"
	  "  created_at BIGINT NOT NULL,\n"
	  "  expires_at BIGINT,\n"
	  "  last_used BIGINT,\n"
	  "  revoked_at BIGINT,\n"
	  "  UNIQUE (username, name)\n"
	  ")" },
	{ 2, "change counters polled by running gateways",
	  "CREATE TABLE generations (\n"
	  "  name TEXT PRIMARY KEY,\n"
	  "  value BIGINT NOT NULL\n"
	  ");\n"
	  "INSERT INTO generations (name, value) VALUES ('credentials', 0);\n"
	  "INSERT INTO generations (name, value) VALUES ('grants', 0)" },
	{ 3, "brute-force lockout counters (shared by instances on one store)",
	  "CREATE TABLE lockouts (\n"
	  "  key TEXT PRIMARY KEY,\n"
	  "  failures BIGINT NOT NULL,\n"
	  "  window_start BIGINT NOT NULL,\n"
	  "  locked_until BIGINT NOT NULL,\n"
	  "  strikes BIGINT NOT NULL,\n"
	  "  updated_at BIGINT NOT NULL\n"
	  ")" },
	{ 4, "security events made by the admin commands, waiting for a gateway to chain them into its audit log",
	  "CREATE TABLE audit_outbox (\n"
	  "  id TEXT PRIMARY KEY,\n"
	  "  created_at BIGINT NOT NULL,\n"
	  "  record TEXT NOT NULL\n"
	  ")" },
	{ 0, NULL, NULL },
};
