/*
 * smtp_queue_id.c - queue id from a "250 ... queued" reply.
 *
 * Forms, tried in order (case-insensitive keywords):
 *   Postfix and many others  "2.0.0 Ok: queued as 4ZkQ1x3YpWz9"
 *   Exim                     "OK id=1tG5Xb-000Abc-1D"
 *   OpenSMTPD, Sendmail      "2.0.0 9a8b7c6d Message accepted for delivery"
 *   Dovecot LMTP             "2.0.0 <user@dom> GCh3Kw6F... Saved"
 * Ids are runs of letters, digits, '-', '_' and '.', at most
 * SMTP_QUEUE_ID_MAX characters; a longer run is not an id.
 */
#include "proto/smtp_queue_id.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static int
qid_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.';
}

/* Copy the id starting at p; 1 when it is a plausible id. */
static int
qid_take(const char *p, char *out, size_t outsz)
{
	size_t n = 0;

	while (qid_char(p[n]))
		n++;
	/* A trailing '.' ends a sentence, it is not part of the id. */
	while (n > 0 && p[n - 1] == '.')
		n--;
	if (n == 0 || n > SMTP_QUEUE_ID_MAX || n >= outsz)
		return 0;
	memcpy(out, p, n);
	out[n] = '\0';
	return 1;
}

static const char *
qid_find(const char *text, const char *word)
{
	size_t wl = strlen(word);
	const char *p;

	for (p = text; *p; p++)
		if (strncasecmp(p, word, wl) == 0)
			return p;
	return NULL;
}

static const char *
qid_skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Skip an enhanced status code "x.y.z " at the start. */
static const char *
qid_skip_enhanced(const char *p)
{
	const char *q = p;

	if (!isdigit((unsigned char)*q))
		return p;
	while (isdigit((unsigned char)*q) || *q == '.')
		q++;
	return *q == ' ' ? qid_skip_space(q) : p;
}

int
smtp_queue_id_extract(const char *text, char *out, size_t outsz)
{
	const char *p;

	if (outsz)
		out[0] = '\0';
	if (text == NULL || outsz == 0)
		return 0;
	if ((p = qid_find(text, "queued as ")) != NULL)
		return qid_take(qid_skip_space(p + 10), out, outsz);
	if ((p = qid_find(text, "id=")) != NULL &&
	    (p == text || !qid_char(p[-1])))
		return qid_take(p + 3, out, outsz);
	p = qid_skip_enhanced(qid_skip_space(text));
	if (*p == '<') {
		/* LMTP: the recipient comes first, then the id. */
		const char *gt = strchr(p, '>');

		if (gt == NULL || (gt[1] != ' '))
			return 0;
		p = qid_skip_space(gt + 1);
		if (qid_find(p, "saved") == NULL)
			return 0;
		return qid_take(p, out, outsz);
	}
	if (qid_find(text, "message accepted") != NULL &&
	    qid_find(p, "message accepted") != p)
		return qid_take(p, out, outsz);
	return 0;
}
