/* What a GraphQL request to MLflow's /graphql needs (mlflow-api.md §2.9):
 * the operations the UI sends, each with the experiment or runs it reads.
 * A strict reader of a GraphQL subset -- one query operation, named
 * top-level fields from a fixed list, arguments as literals or variables --
 * anything else is refused (it is not what the UI sends). Pure, bounded,
 * fuzzed. */
#ifndef MG_GRAPHQL_H
#define MG_GRAPHQL_H
#include <stddef.h>

#define GQL_MAX_NEEDS 128
#define GQL_MAX_ID 256

enum gql_need_kind { GQL_EXPERIMENT = 0, GQL_RUN };

struct gql_needs {
	size_t n;
	struct {
		enum gql_need_kind kind;
		char id[GQL_MAX_ID];
	} need[GQL_MAX_NEEDS];
};

/* body: the JSON request ({"query", "variables", "operationName"}). Fills
 * out with every experiment and run the operation reads (READ needed on
 * each). Returns 0, or -EINVAL with *why for anything outside the subset. */
int graphql_needs(const char *body, size_t len, struct gql_needs *out, const char **why);

#endif
