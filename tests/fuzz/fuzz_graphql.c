/* libFuzzer target: GraphQL requests read for authorisation. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "authz/graphql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gql_needs *n = malloc(sizeof *n);
	const char *why = NULL;
	int rc = graphql_needs((const char *)data, size, n, &why);
	if (rc == 0) {
		if (n->n > GQL_MAX_NEEDS)
			abort();
		for (size_t i = 0; i < n->n; i++)
			if (n->need[i].id[0] == '\0' || strlen(n->need[i].id) >= GQL_MAX_ID)
				abort();
	} else if (why == NULL) {
		abort();
	}
	free(n);
	return 0;
}
