/* `mlgate routes [--json]`: the MLflow route table the gateway authorises
 * with (method, path, resource, where the id comes from, level needed). */
#include "authz/mlflow_routes.h"
#include "cli/cli.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *resource_name(enum route_resource r)
{
	static const char *const names[] = {
		[RES_NONE] = "none", [RES_EXPERIMENT] = "experiment", [RES_EXPERIMENT_NAME] = "experiment_name",
		[RES_EXPERIMENT_LIST] = "experiment_list", [RES_RUN] = "run", [RES_RUN_LIST] = "run_list",
		[RES_MODEL] = "model", [RES_LOGGED_MODEL] = "logged_model", [RES_TRACE] = "trace", [RES_TRACE_LIST] = "trace_list",
		[RES_ARTIFACT] = "artifact", [RES_ADMIN] = "admin", [RES_GRAPHQL] = "graphql", [RES_LOCAL] = "mlgate",
	};
	return names[r];
}

static const char *source_name(enum route_id_source s)
{
	return s == ID_PATH ? "path" : s == ID_QUERY ? "query" : s == ID_HEADER ? "header" : "params";
}

int cli_routes(int argc, char **argv)
{
	bool json = argc == 2 && strcmp(argv[1], "--json") == 0;
	if (argc > 2 || (argc == 2 && !json)) {
		fputs("usage: mlgate routes [--json]\n", stderr);
		return 2;
	}
	size_t n;
	const struct mlflow_route *t = mlflow_routes_table(&n);
	json_t *arr = json_array();
	if (!json)
		printf("%-7s %-58s %-9s %-16s %-22s %s\n", "METHOD", "PATH", "VERSIONS", "RESOURCE", "ID", "NEEDS");
	for (size_t i = 0; i < n; i++) {
		const struct mlflow_route *r = &t[i];
		char vers[16] = "";
		if (r->versions & (1u << 2))
			strcat(vers, "2.0");
		if (r->versions & (1u << 3))
			strcat(vers, vers[0] ? ",3.0" : "3.0");
		const char *level = r->resource == RES_ADMIN ? "admin"
				    : r->resource == RES_NONE || r->resource == RES_LOCAL ? "login" : level_name(r->level);
		if (json) {
			json_t *versions = json_array();
			for (int v = 2; v <= 3; v++)
				if (r->versions & (1u << v))
					json_array_append_new(versions, json_integer(v));
			json_array_append_new(arr, json_pack("{s:s, s:s, s:o, s:s, s:s, s:s?, s:s, s:s}", "method", r->method,
							     "path", r->path, "versions", versions, "resource",
							     resource_name(r->resource), "source", source_name(r->source),
							     "field", r->field, "level", level, "rpc", r->rpc));
		} else {
			char id[64];
			snprintf(id, sizeof id, "%s%s%s", source_name(r->source), r->field ? ":" : "", r->field ? r->field : "");
			printf("%-7s %-58s %-9s %-16s %-22s %s\n", r->method, r->path, vers[0] ? vers : "-",
			       resource_name(r->resource), id, level);
		}
	}
	if (json) {
		char *s = json_dumps(arr, JSON_INDENT(1));
		puts(s);
		free(s);
	}
	json_decref(arr);
	return 0;
}
