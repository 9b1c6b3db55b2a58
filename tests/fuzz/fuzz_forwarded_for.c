/* libFuzzer target: X-Forwarded-For as a trusted proxy passes it on, and
 * addresses as clients write them. The client found is the peer or an
 * address that is literally in the header; it is never a trusted proxy
 * unless every hop was one; parsing never reads outside the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "authz/ip_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ip_rules *rules(void)
{
	static struct ip_rules *r;
	if (r == NULL) {
		static char t1[] = "127.0.0.1", t2[] = "10.0.0.0/8", t3[] = "fd00::/8";
		char *trusted[] = { t1, t2, t3 };
		char why[200];
		if (ip_rules_compile(NULL, 0, trusted, 3, &r, why, sizeof why))
			abort();
	}
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct ipaddr peer, client, a;
	(void)cidr_addr_parse(s, size, &a);
	struct cidr c;
	const char *why;
	char tmp[128];
	if (size < sizeof tmp) {
		memcpy(tmp, s, size);
		tmp[size] = '\0';
		if (cidr_parse(tmp, &c, &why) == 0 && c.bits > 128)
			abort();
	}
	if (cidr_addr_parse("127.0.0.1", 9, &peer))
		abort();
	ip_rules_client(rules(), &peer, s, size, &client);
	if (memcmp(&client, &peer, sizeof client) != 0) {
		/* whatever was chosen must be written in the header */
		char txt[64];
		cidr_addr_format(&client, txt, sizeof txt);
		struct ipaddr back;
		if (cidr_addr_parse(txt, strlen(txt), &back) || memcmp(&back, &client, sizeof back) != 0)
			abort();
	}
	return 0;
}
