/* Writing JSON strings without a tree: audit records and search page tokens
 * (the JSON access log and error bodies use jansson). */
#include "core/json_write.h"
#include "core/bytes.h"
#include <stdbool.h>
#include <string.h>

char *json_put_string(char *p, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	*p++ = '"';
	size_t i = 0;
	while (i < n) {
		if (i + 8 <= n && bytes_json_special8(bytes_load8(s + i)) == 0) {
			memcpy(p, s + i, 8);	/* eight plain bytes at a time */
			p += 8;
			i += 8;
			continue;
		}
		if (i + 8 > n && n >= 8 && bytes_json_special8(bytes_load8(s + n - 8)) == 0) {
			memcpy(p, s + i, n - i);	/* a plain tail: the last eight bytes hold it */
			p += n - i;
			break;
		}
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			*p++ = (char)c;
			i++;
			continue;
		}
		size_t len = 0;
		if (c >= 0x80) {
			/* one UTF-8 sequence, checked (no overlongs, no surrogates) */
			len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xc2 && c <= 0xdf ? 2 : 0;
			bool ok = len > 0 && i + len <= n;
			for (size_t k = 1; ok && k < len; k++)
				ok = ((unsigned char)s[i + k] & 0xc0) == 0x80;
			if (ok && len == 3) {
				unsigned char c1 = (unsigned char)s[i + 1];
				ok = !(c == 0xe0 && c1 < 0xa0) && !(c == 0xed && c1 >= 0xa0);
			} else if (ok && len == 4) {
				unsigned char c1 = (unsigned char)s[i + 1];
				ok = !(c == 0xf0 && c1 < 0x90) && !(c == 0xf4 && c1 >= 0x90);
			}
			if (!ok)
				len = 0;
		}
		if (len) {
			memcpy(p, s + i, len);
			p += len;
			i += len;
		} else if (c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = (char)c;
			i++;
		} else {
			memcpy(p, "\\u00", 4);
			p += 4;
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
			i++;
		}
	}
	*p++ = '"';
	return p;
}
