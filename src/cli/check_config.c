/* `mlgate check-config`: loads the configuration exactly as serve would and
 * prints "configuration OK" or every error with file:line:column. */
#include "cli/cli.h"
#include "core/buf.h"
#include <stdio.h>
#include <string.h>

int cli_check_config(int argc, char **argv)
{
	struct config_overrides ov;
	if (argc > 1 && strcmp(argv[1], "--keys") == 0) {
		config_print_keys();
		return 0;
	}
	int rc = cli_parse_overrides(argc, argv, "check-config", &ov);
	if (rc)
		return rc == 1 ? 0 : rc;
	struct config *cfg = config_load_or_report(&ov);
	if (cfg == NULL)
		return 1;
	config_free(cfg);
	printf("configuration OK\n");
	return 0;
}
