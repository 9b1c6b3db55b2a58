/* libFuzzer target: MLflow's answers to the gateway's id look-ups (a run,
 * trace, logged model or GenAI resource to its experiments; experiment
 * names and ids). The first byte picks the kind. An answer accepted fits
 * its buffer; a list answer ("N:ID,ID") holds exactly N non-empty ids
 * without commas, each read back whole. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "http/resolve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	enum resolve_kind k = (enum resolve_kind)(data[0] % RESOLVE_KINDS);
	char *body = malloc(size);	/* exact size: reads past it are caught */
	memcpy(body, data + 1, size - 1);
	char value[RESOLVE_MAX_VALUE];
	memset(value, 'Z', sizeof value);
	if (resolve_parse_answer(k, body, size - 1, value, sizeof value) == 0) {
		if (memchr(value, '\0', sizeof value) == NULL || value[0] == '\0')
			abort();
		if (resolve_kind_is_list(k)) {
			char *end;
			unsigned long n = strtoul(value, &end, 10);
			if (end == value || *end != ':')
				abort();
			char item[RESOLVE_MAX_VALUE];
			size_t got = 0;
			while (resolve_list_item(value, got, item, sizeof item) == 0) {
				if (item[0] == '\0' || strchr(item, ',') != NULL)
					abort();
				got++;
			}
			if (got != n)
				abort();
		}
	}
	free(body);
	return 0;
}
