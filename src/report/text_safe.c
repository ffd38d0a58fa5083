/*
 * text_safe.c - escaping of peer-controlled text for terminals (see
 * text_safe.h).  Shares the UTF-8 rules of the JSON repair
 * (json_text.h), so both outputs agree on what is valid.
 */
#include "report/text_safe.h"
#include "report/json_text.h"

#include <string.h>

void
text_append_safe(struct buf *out, const char *text)
{
	const unsigned char *p, *end;
	size_t k;

	if (text == NULL)
		return;
	p = (const unsigned char *)text;
	end = p + strlen(text);
	while (p < end) {
		if (*p < 0x80) {
			if (*p == '\t' || (*p >= 0x20 && *p != 0x7f))
				buf_append(out, p, 1);
			else
				buf_printf(out, "\\x%02x", *p);
			p++;
			continue;
		}
		k = utf8_sequence_len(p, (size_t)(end - p));
		if (k == 2 && p[0] == 0xc2 && p[1] <= 0x9f) {
			buf_printf(out, "\\x%02x\\x%02x", p[0], p[1]);
			p += 2;
		} else if (k == 0) {
			buf_printf(out, "\\x%02x", *p);
			p++;
		} else {
			buf_append(out, p, k);
			p += k;
		}
	}
}
