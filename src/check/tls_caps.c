/*
 * tls_caps.c - capability replies parsed for `mailvet tls` (see
 * tls_caps.h).  Pure: no I/O, no allocation.  A ManageSieve line is
 * "NAME" or "NAME" "VALUE"; a quote that is not closed on its line
 * makes the part it opens absent, so nothing is read past the line.
 */
#include "check/tls_caps.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Case-insensitive: the word w (n bytes) is exactly kw. */
static int
word_is(const char *w, size_t n, const char *kw)
{
	return n == strlen(kw) && strncasecmp(w, kw, n) == 0;
}

/* Append a word to a space-separated list; a word that does not fit is
 * dropped whole, as is a word holding a NUL. */
static void
list_add(char *list, size_t sz, const char *w, size_t n)
{
	size_t used = strlen(list);

	if (n == 0 || memchr(w, '\0', n) != NULL || used + n + 2 > sz)
		return;
	if (used)
		list[used++] = ' ';
	memcpy(list + used, w, n);
	list[used + n] = '\0';
}

/* Each space-separated word of s (n bytes) into list. */
static void
list_add_words(char *list, size_t sz, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t start;

		while (i < n && s[i] == ' ')
			i++;
		start = i;
		while (i < n && s[i] != ' ')
			i++;
		list_add(list, sz, s + start, i - start);
	}
}

/* The length of the first space-separated word of s (n bytes). */
static size_t
word_len(const char *s, size_t n)
{
	const char *sp = memchr(s, ' ', n);

	return sp ? (size_t)(sp - s) : n;
}

/* An SMTP or POP3 capability line: "KEYWORD params". */
static void
caps_keyword_line(enum tls_dialog_proto proto, const char *line, size_t n,
    struct tls_caps *out)
{
	size_t wn = word_len(line, n);
	const char *params = wn < n ? line + wn + 1 : line + n;
	size_t pn = wn < n ? n - wn - 1 : 0;

	list_add(out->caps, sizeof(out->caps), line, wn);
	if (word_is(line, wn, "STARTTLS"))
		out->starttls_offered = 1;
	if (proto == TLS_DIALOG_POP3) {
		if (word_is(line, wn, "STLS"))
			out->starttls_offered = 1;
		if (word_is(line, wn, "USER"))
			out->login_allowed = 1;
		if (word_is(line, wn, "SASL"))
			list_add_words(out->auth, sizeof(out->auth), params,
			    pn);
	} else if (word_is(line, wn, "AUTH"))
		list_add_words(out->auth, sizeof(out->auth), params, pn);
}

/* A ManageSieve capability line: "NAME" ["VALUE"]. */
static void
caps_sieve_line(const char *line, size_t n, struct tls_caps *out)
{
	const char *name, *q, *val;
	size_t nn, rest;

	if (n < 2 || line[0] != '"')
		return;
	name = line + 1;
	if ((q = memchr(name, '"', n - 1)) == NULL)
		return; /* unterminated: not a capability */
	nn = (size_t)(q - name);
	list_add(out->caps, sizeof(out->caps), name, nn);
	if (word_is(name, nn, "STARTTLS"))
		out->starttls_offered = 1;
	if (!word_is(name, nn, "SASL"))
		return;
	rest = n - (size_t)(q + 1 - line);
	val = q + 1;
	while (rest > 0 && *val == ' ') {
		val++;
		rest--;
	}
	if (rest < 2 || *val != '"')
		return;
	val++;
	rest--;
	if ((q = memchr(val, '"', rest)) == NULL)
		return; /* the value is not closed on this line */
	list_add_words(out->auth, sizeof(out->auth), val,
	    (size_t)(q - val));
}

/* "* CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN LOGINDISABLED" */
static void
caps_imap_line(const char *line, size_t n, struct tls_caps *out)
{
	static const char pfx[] = "* CAPABILITY ";
	size_t i = sizeof(pfx) - 1;

	if (n < i || strncasecmp(line, pfx, i) != 0)
		return;
	out->login_allowed = 1;
	while (i < n) {
		size_t start, wn;

		while (i < n && line[i] == ' ')
			i++;
		start = i;
		while (i < n && line[i] != ' ')
			i++;
		wn = i - start;
		if (wn == 0)
			continue;
		list_add(out->caps, sizeof(out->caps), line + start, wn);
		if (word_is(line + start, wn, "STARTTLS"))
			out->starttls_offered = 1;
		if (word_is(line + start, wn, "LOGINDISABLED"))
			out->login_allowed = 0;
		if (wn > 5 && strncasecmp(line + start, "AUTH=", 5) == 0)
			list_add(out->auth, sizeof(out->auth),
			    line + start + 5, wn - 5);
	}
}

void
tls_caps_parse(enum tls_dialog_proto proto, const char *resp, size_t len,
    struct tls_caps *out)
{
	size_t off = 0, i = 0;

	memset(out, 0, sizeof(*out));
	while (off < len) {
		const char *line = resp + off;
		const char *nl = memchr(line, '\n', len - off);
		size_t n = nl ? (size_t)(nl - line) : len - off;

		off += n + (nl != NULL);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		i++;
		switch (proto) {
		case TLS_DIALOG_SMTP:
		case TLS_DIALOG_LMTP:
			/* "250-KEYWORD": the first line names the server */
			if (i > 1 && n > 4)
				caps_keyword_line(proto, line + 4, n - 4, out);
			break;
		case TLS_DIALOG_POP3:
			if (i > 1 && n > 0 && !(n == 1 && line[0] == '.'))
				caps_keyword_line(proto, line, n, out);
			break;
		case TLS_DIALOG_SIEVE:
			caps_sieve_line(line, n, out);
			break;
		case TLS_DIALOG_IMAP:
			caps_imap_line(line, n, out);
			break;
		}
	}
	/* RFC 9051: without LOGINDISABLED, LOGIN is a mechanism too. */
	if (proto == TLS_DIALOG_IMAP && out->login_allowed &&
	    out->auth[0] == '\0')
		snprintf(out->auth, sizeof(out->auth), "LOGIN");
}
