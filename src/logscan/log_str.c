/*
 * log_str.c - substring search for the log parsers.  Needles are short
 * literals and haystacks one log line, where memchr on the first byte
 * plus memcmp beats glibc's general memmem severalfold.
 */
#include "logscan/log_str.h"

#include <string.h>

const char *
log_str_find(const char *p, size_t n, const char *lit, size_t litn)
{
	const char *e, *c;

	if (litn == 0)
		return p;
	if (n < litn)
		return NULL;
	e = p + n - litn + 1;          /* last possible start + 1 */
	while (p < e && (c = memchr(p, lit[0], (size_t)(e - p))) != NULL) {
		if (memcmp(c + 1, lit + 1, litn - 1) == 0)
			return c;
		p = c + 1;
	}
	return NULL;
}
