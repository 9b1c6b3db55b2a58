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
	struct config *cfg = NULL;
	struct buf errors;
	buf_init(&errors, 1 << 20);
	if (config_load(&ov, &cfg, &errors)) {
		fputs(errors.data ? errors.data : "configuration error\n", stderr);
		buf_free(&errors);
		return 1;
	}
	buf_free(&errors);
	config_free(cfg);
	printf("configuration OK\n");
	return 0;
}
