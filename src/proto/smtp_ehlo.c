/*
 * smtp_ehlo.c - EHLO/LHLO capability parser (RFC 5321 4.1.1.1, RFC 4954
 * for AUTH, RFC 1870 for SIZE); see smtp_ehlo.h.  No I/O, no failure:
 * whatever the server sent, caps ends up filled and bounded.
 *
 * Text copied out of the reply (greeting domain, mechanism names,
 * unknown keywords) ends up in reports, so anything but printable
 * ASCII is replaced by '?' on the way.
 */
#include "proto/smtp_ehlo.h"

#include <string.h>

struct smtp_ehlo_name {
	const char *name;
	unsigned bit;
};

static const struct smtp_ehlo_name smtp_ehlo_caps[] = {
	{ "PIPELINING", SMTP_CAP_PIPELINING },
	{ "SIZE", SMTP_CAP_SIZE },
	{ "STARTTLS", SMTP_CAP_STARTTLS },
	{ "AUTH", SMTP_CAP_AUTH },
	{ "8BITMIME", SMTP_CAP_8BITMIME },
	{ "SMTPUTF8", SMTP_CAP_SMTPUTF8 },
	{ "DSN", SMTP_CAP_DSN },
	{ "CHUNKING", SMTP_CAP_CHUNKING },
	{ "BINARYMIME", SMTP_CAP_BINARYMIME },
	{ "ENHANCEDSTATUSCODES", SMTP_CAP_ENHANCEDSTATUSCODES },
	{ "VRFY", SMTP_CAP_VRFY },
	{ "ETRN", SMTP_CAP_ETRN },
	{ "REQUIRETLS", SMTP_CAP_REQUIRETLS },
	{ "DELIVERBY", SMTP_CAP_DELIVERBY },
	{ "XCLIENT", SMTP_CAP_XCLIENT },
	{ "XFORWARD", SMTP_CAP_XFORWARD },
};

static const struct smtp_ehlo_name smtp_ehlo_mechs[] = {
	{ "PLAIN", SMTP_AUTH_PLAIN },
	{ "LOGIN", SMTP_AUTH_LOGIN },
	{ "CRAM-MD5", SMTP_AUTH_CRAM_MD5 },
	{ "SCRAM-SHA-1", SMTP_AUTH_SCRAM_SHA_1 },
	{ "SCRAM-SHA-256", SMTP_AUTH_SCRAM_SHA_256 },
	{ "XOAUTH2", SMTP_AUTH_XOAUTH2 },
	{ "OAUTHBEARER", SMTP_AUTH_OAUTHBEARER },
	{ "DIGEST-MD5", SMTP_AUTH_DIGEST_MD5 },
	{ "EXTERNAL", SMTP_AUTH_EXTERNAL },
	{ "GSSAPI", SMTP_AUTH_GSSAPI },
};

#define SMTP_EHLO_NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int
smtp_ehlo_upper(int c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

/* Keywords are ASCII and case-insensitive; the locale must not matter. */
static int
smtp_ehlo_equal_ci(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i;

	if (alen != blen)
		return 0;
	for (i = 0; i < alen; i++)
		if (smtp_ehlo_upper((unsigned char)a[i]) !=
		    smtp_ehlo_upper((unsigned char)b[i]))
			return 0;
	return 1;
}

static unsigned
smtp_ehlo_lookup(const struct smtp_ehlo_name *tab, size_t ntab,
    const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < ntab; i++)
		if (smtp_ehlo_equal_ci(name, n, tab[i].name,
			strlen(tab[i].name)))
			return tab[i].bit;
	return 0;
}

static unsigned
smtp_auth_mech_from_name_len(const char *name, size_t n)
{
	return smtp_ehlo_lookup(smtp_ehlo_mechs,
	    SMTP_EHLO_NELEM(smtp_ehlo_mechs), name, n);
}

static int
smtp_ehlo_is_space(int c)
{
	return c == ' ' || c == '\t';
}

/* What reaches a report: printable ASCII, anything else as '?'. */
static char
smtp_ehlo_printable(int c)
{
	return c > 0x20 && c < 0x7f ? (char)c : '?';
}

/*
 * Append word to a space-separated list of capacity cap (NUL included),
 * unless it is already there.  A word that does not fit is left out
 * entirely: a list is cut between words, never inside one.
 */
static void
smtp_ehlo_add_word(char *list, size_t cap, const char *w, size_t n)
{
	char word[SMTP_EHLO_UNKNOWN_MAX + 1];
	size_t len = strlen(list), i, start, end;

	if (n == 0 || n >= cap || n >= sizeof(word))
		return;
	for (i = 0; i < n; i++)
		word[i] = smtp_ehlo_printable((unsigned char)w[i]);
	for (start = 0; start < len; start = end + 1) {
		for (end = start; end < len && list[end] != ' '; end++)
			;
		if (smtp_ehlo_equal_ci(list + start, end - start, word, n))
			return;
	}
	if ((len > 0 ? 1 : 0) + n >= cap - len)
		return;
	if (len > 0)
		list[len++] = ' ';
	memcpy(list + len, word, n);
	list[len + n] = '\0';
}

static void
smtp_ehlo_parse_auth(const char *s, struct smtp_caps *caps)
{
	size_t n;
	unsigned bit;

	for (;;) {
		while (smtp_ehlo_is_space((unsigned char)*s))
			s++;
		if (*s == '\0')
			break;
		for (n = 0; s[n] != '\0' && !smtp_ehlo_is_space(
			(unsigned char)s[n]); n++)
			;
		bit = smtp_auth_mech_from_name_len(s, n);
		caps->auth |= bit ? bit : SMTP_AUTH_OTHER;
		smtp_ehlo_add_word(caps->auth_list, sizeof(caps->auth_list), s,
		    n);
		s += n;
	}
}

/* RFC 1870: "SIZE" alone or "SIZE 0" means no fixed limit. */
static uint64_t
smtp_ehlo_parse_size(const char *s)
{
	uint64_t v = 0;

	while (smtp_ehlo_is_space((unsigned char)*s))
		s++;
	if (*s < '0' || *s > '9')
		return 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return UINT64_MAX;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	return v;
}

static void
smtp_ehlo_parse_line(const char *s, struct smtp_caps *caps)
{
	const char *params;
	unsigned bit;
	size_t n;

	while (smtp_ehlo_is_space((unsigned char)*s))
		s++;
	for (n = 0; s[n] != '\0' && s[n] != '=' &&
	     !smtp_ehlo_is_space((unsigned char)s[n]);
	     n++)
		;
	if (n == 0)
		return;
	params = s[n] == '\0' ? s + n : s + n + 1;
	bit = smtp_ehlo_lookup(smtp_ehlo_caps, SMTP_EHLO_NELEM(smtp_ehlo_caps),
	    s, n);
	if (bit == 0) {
		smtp_ehlo_add_word(caps->unknown, sizeof(caps->unknown), s, n);
		return;
	}
	caps->caps |= bit;
	if (bit == SMTP_CAP_AUTH)
		smtp_ehlo_parse_auth(params, caps);
	else if (bit == SMTP_CAP_SIZE)
		caps->size_max = smtp_ehlo_parse_size(params);
}

void
smtp_ehlo_parse(const struct smtp_reply *reply, struct smtp_caps *caps)
{
	const char *s;
	size_t i, n;

	memset(caps, 0, sizeof(*caps));
	if (reply == NULL || reply->code != 250 || reply->nlines == 0)
		return;
	s = reply->lines[0];
	while (smtp_ehlo_is_space((unsigned char)*s))
		s++;
	for (n = 0; s[n] != '\0' && !smtp_ehlo_is_space((unsigned char)s[n]);
	     n++)
		;
	if (n > SMTP_EHLO_DOMAIN_MAX)
		n = SMTP_EHLO_DOMAIN_MAX;
	for (i = 0; i < n; i++)
		caps->domain[i] = smtp_ehlo_printable((unsigned char)s[i]);
	caps->domain[n] = '\0';
	for (i = 1; i < reply->nlines && i < SMTP_REPLY_MAX_LINES_HARD; i++)
		smtp_ehlo_parse_line(reply->lines[i], caps);
}

unsigned
smtp_auth_mech_from_name(const char *name)
{
	return smtp_auth_mech_from_name_len(name, strlen(name));
}

const char *
smtp_auth_mech_name(unsigned mech)
{
	size_t i;

	for (i = 0; i < SMTP_EHLO_NELEM(smtp_ehlo_mechs); i++)
		if (smtp_ehlo_mechs[i].bit == mech)
			return smtp_ehlo_mechs[i].name;
	return mech == SMTP_AUTH_OTHER ? "OTHER" : "unknown";
}

const char *
smtp_cap_name(unsigned cap)
{
	size_t i;

	for (i = 0; i < SMTP_EHLO_NELEM(smtp_ehlo_caps); i++)
		if (smtp_ehlo_caps[i].bit == cap)
			return smtp_ehlo_caps[i].name;
	return "unknown";
}
