/* Basic credential parsing. Decoding is bounded by the fixed output buffers;
 * nothing here logs or keeps the password. */
#include "authn/basic.h"
#include "core/mem.h"
#include <errno.h>
#include <openssl/evp.h>
#include <string.h>
#include <strings.h>

int basic_parse(const char *value, size_t len, char user[BASIC_MAX_USER], char pw[BASIC_MAX_PASSWORD])
{
	if (len < 6 || strncasecmp(value, "basic ", 6) != 0)
		return -ENOENT;
	const char *b = value + 6;
	size_t n = len - 6;
	while (n && *b == ' ') {
		b++;
		n--;
	}
	if (n == 0 || n % 4 != 0 || n > ((BASIC_MAX_USER + BASIC_MAX_PASSWORD) / 3) * 4)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char ch = b[i];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		      ch == '+' || ch == '/' || (ch == '=' && i >= n - 2)))
			return -EINVAL;
	}
	unsigned char raw[BASIC_MAX_USER + BASIC_MAX_PASSWORD + 4];
	int dl = EVP_DecodeBlock(raw, (const unsigned char *)b, (int)n);
	if (dl < 0)
		return -EINVAL;
	if (b[n - 1] == '=')
		dl--;
	if (b[n - 2] == '=')
		dl--;
	int rc = -EINVAL;
	unsigned char *colon = memchr(raw, ':', (size_t)dl);
	if (colon == NULL)
		goto out;
	size_t ul = (size_t)(colon - raw), pl = (size_t)dl - ul - 1;
	if (ul == 0 || ul >= BASIC_MAX_USER || pl >= BASIC_MAX_PASSWORD)
		goto out;
	for (size_t i = 0; i < (size_t)dl; i++)
		if (raw[i] < 0x20 || raw[i] == 0x7f)
			goto out;
	memcpy(user, raw, ul);
	user[ul] = '\0';
	memcpy(pw, colon + 1, pl);
	pw[pl] = '\0';
	rc = 0;
out:
	mem_wipe(raw, sizeof raw);
	return rc;
}
