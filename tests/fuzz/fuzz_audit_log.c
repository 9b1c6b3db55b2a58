/* libFuzzer target: `mlgate audit verify` reading a (possibly tampered)
 * audit log. Whatever the bytes, it reports and never crashes; it never
 * calls intact a file whose lines were not all written under the key. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "audit/audit_chain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[AUDIT_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	if (size == 0)
		return 0;
	FILE *f = fmemopen((void *)(uintptr_t)data, size, "r");
	if (f == NULL)
		return 0;
	struct audit_chain ch;
	audit_chain_init(&ch, key);
	uint64_t line_no = 0, records = 0;
	enum audit_problem p = audit_verify_file(f, &ch, data[0] & 1, &line_no, &records);
	fclose(f);
	if (p == AUDIT_OK && records != ch.seq && (data[0] & 1) == 0)
		abort();	/* from the start of a chain, seq counts records */
	if (p != AUDIT_OK && audit_problem_text(p) == NULL)
		abort();
	return 0;
}
