/* Subcommand entry points (one file each in src/cli/) and shared flag parsing. */
#ifndef MG_CLI_H
#define MG_CLI_H
#include "config/config.h"

int cli_serve(int argc, char **argv);
int cli_check_config(int argc, char **argv);
int cli_passwd(int argc, char **argv);

/* Parses the flags serve and check-config share into ov. Returns 0, 1 after
 * printing help, or 2 after a usage error. */
int cli_parse_overrides(int argc, char **argv, const char *cmd, struct config_overrides *ov);

#endif
