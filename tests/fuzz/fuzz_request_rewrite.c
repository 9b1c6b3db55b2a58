/* libFuzzer target: create-call checks and attribution on JSON bodies.
 * Input: first byte picks the RPC and the attribution mode, the rest is the
 * body. A rewritten body must be JSON that passes the same checks unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "authz/request_rewrite.h"
#include "authz/uri_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const rpcs[] = { "CreateExperiment", "CreateModelVersion", "CreateRun", "GetRun",
					    "CreateIssue", "SetReviewQueueItemStatus", "CreateAssessment", "UpdateAssessment" };
	if (size < 1)
		return 0;
	struct rewrite_opts o = { .user = "alice", .schemes = URI_CHECK_DEFAULT_SCHEMES,
				  .attribution = (enum attribution_mode)((data[0] >> 3) % 3) };
	const char *rpc = rpcs[data[0] & 7];
	char *out = NULL;
	size_t outlen = 0;
	const char *why = NULL;
	int rc = request_rewrite(rpc, (const char *)data + 1, size - 1, &o, &out, &outlen, &why);
	if (rc == 1) {
		char *again = NULL;
		size_t al = 0;
		/* attributing an attributed body changes nothing */
		if (request_rewrite(rpc, out, outlen, &o, &again, &al, &why) != 0)
			abort();
		free(out);
	} else if (out != NULL || (rc < 0 && why == NULL)) {
		abort();
	}
	return 0;
}
