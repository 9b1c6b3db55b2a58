/* Subcommand entry points (one file each in src/cli/) and shared flag parsing. */
#ifndef MG_CLI_H
#define MG_CLI_H
#include <stdbool.h>
#include "config/config.h"

int cli_serve(int argc, char **argv);
int cli_check_config(int argc, char **argv);
int cli_passwd(int argc, char **argv);
int cli_user(int argc, char **argv);
int cli_group(int argc, char **argv);
int cli_grant(int argc, char **argv);
int cli_revoke(int argc, char **argv);
int cli_token(int argc, char **argv);
int cli_import_mlflow_auth(int argc, char **argv);
int cli_access_review(int argc, char **argv);
int cli_routes(int argc, char **argv);
int cli_audit(int argc, char **argv);
int cli_lockout(int argc, char **argv);
int cli_report(int argc, char **argv);

/* Reads a new password (no-echo prompt, asked twice, or the first line of
 * stdin) and writes its bcrypt (cost 12) hash into hash[128]. Prints why and
 * returns -1 on failure; who prefixes messages. */
int cli_new_password_hash(const char *who, bool from_stdin, char hash[128]);

/* Formats a Unix-seconds string as UTC ISO 8601, or `none` for NULL/0. */
void cli_fmt_time(const char *secs, const char *none, char *out, size_t n);

struct store;
/* Removes "--store URI" and "-c FILE" from argv (updating *argc) and opens
 * the store they name: --store, else the config file's `store`, else the
 * default ./var/mlgate.db (its directory created 0700). Prints why and returns
 * NULL on failure. */
struct store *cli_open_store(int *argc, char **argv, const char *who);
/* The htpasswd file named by the configuration cli_open_store read (the
 * default ./var/htpasswd without one). */
const char *cli_htpasswd_path(void);
/* Whether the configuration cli_open_store read keeps an audit log. */
bool cli_audit_enabled(void);
/* After an admin command that changed the store: its security record (the
 * command line and who ran it) into the store's outbox, which a running
 * gateway moves into its audit log. argv as main received it (from the
 * command name on). */
void cli_audit_command(int argc, char **argv);

/* Parses the flags serve and check-config share into ov. Returns 0, 1 after
 * printing help, or 2 after a usage error. */
int cli_parse_overrides(int argc, char **argv, const char *cmd, struct config_overrides *ov);

#endif
