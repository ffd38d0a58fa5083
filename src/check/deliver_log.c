/*
 * deliver_log.c - pick one queue id's lines out of a mail log for
 * `mailvet deliver --log` (see deliver.h).  Postfix writes
 * "QUEUEID: " right after the "prog[pid]: " prefix; requiring the
 * colon and a non-id character before the id keeps 8AB12 from matching
 * inside 18AB12.  The log command (later) parses these lines fully.
 */
#define _GNU_SOURCE /* memmem */
#include "check/deliver.h"

#include <ctype.h>
#include <string.h>

static int
qid_boundary(char c)
{
	return !(isalnum((unsigned char)c) || c == '_');
}

static void
line_status(const char *line, size_t n, char *status, size_t statussz)
{
	const char *p = line, *end = line + n;
	size_t k = 0;

	while ((size_t)(end - p) >= 7) {
		if (memcmp(p, "status=", 7) == 0) {
			p += 7;
			while (p < end && isalpha((unsigned char)*p) &&
			    k + 1 < statussz)
				status[k++] = *p++;
			status[k] = '\0';
			return;
		}
		p++;
	}
}

size_t
deliver_log_scan(const char *text, size_t len, const char *qid,
    struct buf *out, char *status, size_t statussz)
{
	size_t qlen = strlen(qid), count = 0;
	const char *p, *end;

	if (statussz)
		status[0] = '\0';
	if (text == NULL || qlen == 0)
		return 0;
	p = text;
	end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *hit = p;

		while ((hit = memmem(hit, n - (size_t)(hit - p), qid,
		    qlen)) != NULL) {
			const char *after = hit + qlen;

			if ((hit == p || qid_boundary(hit[-1])) &&
			    after < p + n && *after == ':') {
				if (buf_append(out, p, n) == 0 &&
				    buf_append(out, "\n", 1) == 0)
					count++;
				line_status(p, n, status, statussz);
				break;
			}
			hit++;
		}
		p += n + (nl ? 1 : 0);
	}
	return count;
}
