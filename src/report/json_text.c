/*
 * json_text.c - UTF-8 repair for JSON strings (see json_text.h).
 * Validation follows RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF.
 */
#include "report/json_text.h"

#include "core/buf.h"

#include <string.h>

size_t
utf8_sequence_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len, i;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

json_t *
json_text_n(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	struct buf b;
	json_t *j;
	size_t i = 0, k;

	/* The common case: already valid, no copy. */
	while (i < n && (k = utf8_sequence_len(p + i, n - i)) != 0)
		i += k;
	if (i == n)
		return json_stringn(s, n);
	buf_init(&b, 0);
	buf_append(&b, s, i);
	while (i < n) {
		k = utf8_sequence_len(p + i, n - i);
		if (k == 0) {
			buf_append(&b, "\xef\xbf\xbd", 3);
			i++;
		} else {
			buf_append(&b, s + i, k);
			i += k;
		}
	}
	j = json_stringn(b.data ? b.data : "", b.len);
	buf_free(&b);
	return j;
}

json_t *
json_text(const char *s)
{
	return s ? json_text_n(s, strlen(s)) : json_null();
}

json_t *
json_text_or_null(const char *s)
{
	return s && s[0] ? json_text_n(s, strlen(s)) : json_null();
}
