/* `mlgate routes [--json]`: the MLflow route table the gateway authorises
 * with (method, path, resource, where the id comes from, level needed). */
#include "authz/mlflow_routes.h"
#include "cli/cli.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
			json_t *extra = json_array();
			for (const struct route_extra *x = r->extra; x && x->resource != RES_NONE; x++)
				json_array_append_new(extra, json_pack("{s:s, s:s, s:s, s:b}", "resource",
								       mlflow_routes_resource_name(x->resource), "field",
								       x->field, "level", level_name(x->level), "required",
								       x->required));
			json_array_append_new(arr, json_pack("{s:s, s:s, s:o, s:s, s:s, s:s?, s:s, s:s, s:b, s:o}", "method",
							     r->method, "path", r->path, "versions", versions, "resource",
							     mlflow_routes_resource_name(r->resource), "source", source_name(r->source),
							     "field", r->field, "level", level, "rpc", r->rpc, "nonempty",
							     (r->flags & ROUTE_NONEMPTY) != 0, "extra", extra));
		} else {
			char id[64];
			snprintf(id, sizeof id, "%s%s%s", source_name(r->source), r->field ? ":" : "", r->field ? r->field : "");
			printf("%-7s %-58s %-9s %-16s %-22s %s", r->method, r->path, vers[0] ? vers : "-",
			       mlflow_routes_resource_name(r->resource), id, level);
			for (const struct route_extra *x = r->extra; x && x->resource != RES_NONE; x++)
				printf(" + %s on %s:%s", level_name(x->level), mlflow_routes_resource_name(x->resource), x->field);
			putchar('\n');
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
