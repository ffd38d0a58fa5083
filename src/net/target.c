/*
 * target.c - parse command-line targets in curl's URL manner (see
 * target.h and docs/targets.md).
 *
 * Pure string work: address literals are checked with inet_pton and
 * nothing is resolved.  Every failure is MV_ERR_USAGE with a message
 * that quotes the offending part (control bytes escaped, long text cut)
 * and, where the URL carries something mailvet takes elsewhere, names
 * the option to use instead.
 */
#include "net/target.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

struct target_scheme_info {
	const char *name;
	enum target_scheme scheme;
	enum target_proto proto;
	int implicit_tls;
	uint16_t port;
};

static const struct target_scheme_info target_schemes[] = {
	{ "smtp", TARGET_SCHEME_SMTP, TARGET_PROTO_SMTP, 0, 25 },
	{ "smtps", TARGET_SCHEME_SMTPS, TARGET_PROTO_SMTP, 1, 465 },
	{ "submission", TARGET_SCHEME_SUBMISSION, TARGET_PROTO_SMTP, 0, 587 },
	{ "submissions", TARGET_SCHEME_SUBMISSIONS, TARGET_PROTO_SMTP, 1, 465 },
	{ "lmtp", TARGET_SCHEME_LMTP, TARGET_PROTO_LMTP, 0, 24 },
	{ "pop3", TARGET_SCHEME_POP3, TARGET_PROTO_POP3, 0, 110 },
	{ "pop3s", TARGET_SCHEME_POP3S, TARGET_PROTO_POP3, 1, 995 },
	{ "imap", TARGET_SCHEME_IMAP, TARGET_PROTO_IMAP, 0, 143 },
	{ "imaps", TARGET_SCHEME_IMAPS, TARGET_PROTO_IMAP, 1, 993 },
};

#define TARGET_NSCHEMES (sizeof(target_schemes) / sizeof(target_schemes[0]))

/* How much of the user's text an error message repeats. */
#define TARGET_QUOTE_MAX 64

static const struct target_scheme_info *
target_scheme_info(enum target_scheme scheme)
{
	size_t i;

	for (i = 0; i < TARGET_NSCHEMES; i++)
		if (target_schemes[i].scheme == scheme)
			return &target_schemes[i];
	return NULL;
}

/* ASCII-only case folding: scheme names must not depend on the locale
 * (tolower() under a Turkish locale maps 'I' elsewhere). */
static int
target_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
target_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
target_is_alnum(int c)
{
	return target_is_digit(c) || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

static int
target_equal_ci(const char *a, size_t alen, const char *b)
{
	size_t i;

	if (alen != strlen(b))
		return 0;
	for (i = 0; i < alen; i++)
		if (target_lower((unsigned char)a[i]) != b[i])
			return 0;
	return 1;
}

static const struct target_scheme_info *
target_scheme_lookup(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < TARGET_NSCHEMES; i++)
		if (target_equal_ci(name, len, target_schemes[i].name))
			return &target_schemes[i];
	return NULL;
}

static int
target_all_digits(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!target_is_digit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* RFC 3986 3.1 scheme characters: "a/b://c" has no scheme at all. */
static int
target_scheme_syntax(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (!target_is_alnum(c) && c != '+' && c != '-' && c != '.')
			return 0;
	}
	return 1;
}

/*
 * Copy user text for an error message: the user may have pasted
 * something with control bytes in it, and a message must stay one
 * readable line.
 */
static const char *
target_quote(const char *s, size_t n, char *q, size_t qsz)
{
	size_t i, o = 0;

	for (i = 0; i < n && i < TARGET_QUOTE_MAX && o + 5 < qsz; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f) {
			q[o++] = (char)c;
		} else {
			snprintf(q + o, qsz - o, "\\x%02x", c);
			o += 4;
		}
	}
	if (i < n && o + 4 <= qsz) {
		memcpy(q + o, "...", 3);
		o += 3;
	}
	q[o] = '\0';
	return q;
}

static int
target_parse_port(const char *s, size_t n, uint16_t *port,
    struct mv_error *err)
{
	char q[TARGET_QUOTE_MAX * 4 + 8];
	unsigned long v = 0;
	size_t i;

	if (n == 0)
		return mv_error_set(err, MV_ERR_USAGE, "empty port after ':'");
	if (!target_all_digits(s, n))
		return mv_error_set(err, MV_ERR_USAGE,
		    "port '%s' is not a number",
		    target_quote(s, n, q, sizeof(q)));
	for (i = 0; i < n; i++) {
		v = v * 10 + (unsigned long)(s[i] - '0');
		if (v > 65535)
			break;
	}
	if (v < 1 || v > 65535)
		return mv_error_set(err, MV_ERR_USAGE,
		    "port %s out of range (1..65535)",
		    target_quote(s, n, q, sizeof(q)));
	*port = (uint16_t)v;
	return 0;
}

/* An IPv6 literal, optionally with a zone ("fe80::1%eth0"). */
static int
target_is_ipv6(const char *s, size_t n)
{
	char addr[INET6_ADDRSTRLEN + 1];
	struct in6_addr a6;
	const char *pct;
	size_t alen, i;

	pct = memchr(s, '%', n);
	alen = pct ? (size_t)(pct - s) : n;
	if (alen == 0 || alen >= sizeof(addr))
		return 0;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET6, addr, &a6) != 1)
		return 0;
	if (pct == NULL)
		return 1;
	if (alen + 1 == n)
		return 0;
	for (i = alen + 1; i < n; i++) {
		int c = (unsigned char)s[i];

		if (!target_is_alnum(c) && c != '-' && c != '_' && c != '.')
			return 0;
	}
	return 1;
}

static int
target_is_ipv4(const char *s, size_t n)
{
	char addr[INET_ADDRSTRLEN + 1];
	struct in_addr a4;

	if (n == 0 || n >= sizeof(addr))
		return 0;
	memcpy(addr, s, n);
	addr[n] = '\0';
	return inet_pton(AF_INET, addr, &a4) == 1;
}

/* Host names as DNS and /etc/hosts use them, plus '_' seen in the
 * field; no attempt at full RFC 1123 label rules. */
static int
target_check_hostname(const char *s, size_t n, struct mv_error *err)
{
	char q[TARGET_QUOTE_MAX * 4 + 8], cq[8];
	size_t i;

	if (n == 0)
		return mv_error_set(err, MV_ERR_USAGE, "missing host name");
	if (n > TARGET_HOST_MAX)
		return mv_error_set(err, MV_ERR_USAGE,
		    "host name longer than %d characters", TARGET_HOST_MAX);
	for (i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (target_is_alnum(c) || c == '-' || c == '.' || c == '_')
			continue;
		return mv_error_set(err, MV_ERR_USAGE,
		    "invalid character '%s' in host name '%s'",
		    target_quote(&s[i], 1, cq, sizeof(cq)),
		    target_quote(s, n, q, sizeof(q)));
	}
	for (i = 0; i < n; i++)
		if (s[i] == '.' && (i == 0 || s[i - 1] == '.'))
			break;
	if (i < n)
		return mv_error_set(err, MV_ERR_USAGE,
		    "empty label in host name '%s'",
		    target_quote(s, n, q, sizeof(q)));
	return 0;
}

static void
target_set_host(struct target *out, const char *s, size_t n)
{
	memcpy(out->host, s, n);
	out->host[n] = '\0';
}

/* "[v6]", "[v6]:port" */
static int
target_parse_bracketed(const char *s, size_t n, struct target *out,
    struct mv_error *err)
{
	char q[TARGET_QUOTE_MAX * 4 + 8];
	const char *close, *after;
	size_t hlen, rest;

	close = memchr(s, ']', n);
	if (close == NULL)
		return mv_error_set(err, MV_ERR_USAGE,
		    "missing ']' after IPv6 address '%s'",
		    target_quote(s, n, q, sizeof(q)));
	hlen = (size_t)(close - s) - 1;
	if (!target_is_ipv6(s + 1, hlen) || hlen > TARGET_HOST_MAX)
		return mv_error_set(err, MV_ERR_USAGE,
		    "'%s' is not a valid IPv6 address",
		    target_quote(s + 1, hlen, q, sizeof(q)));
	after = close + 1;
	rest = n - (size_t)(after - s);
	if (rest > 0) {
		if (*after != ':')
			return mv_error_set(err, MV_ERR_USAGE,
			    "unexpected '%s' after ']' (expected ':port')",
			    target_quote(after, rest, q, sizeof(q)));
		if (target_parse_port(after + 1, rest - 1, &out->port, err))
			return -1;
	}
	target_set_host(out, s + 1, hlen);
	out->is_literal = 1;
	return 0;
}

/* host, host:port, bare v6, or the same after "scheme://". */
static int
target_parse_authority(const char *s, size_t n, int has_scheme,
    struct target *out, struct mv_error *err)
{
	char q[TARGET_QUOTE_MAX * 4 + 8];
	const char *colon;
	size_t hlen;

	if (n == 0)
		return mv_error_set(err, MV_ERR_USAGE, "missing host name");
	if (s[0] == '[')
		return target_parse_bracketed(s, n, out, err);
	colon = memchr(s, ':', n);
	if (colon != NULL &&
	    memchr(colon + 1, ':', n - (size_t)(colon - s) - 1) != NULL) {
		/* Two colons: only an IPv6 literal can look like this.  In
		 * a URL it must be bracketed, as "::1:25" is ambiguous. */
		if (!target_is_ipv6(s, n) || n > TARGET_HOST_MAX)
			return mv_error_set(err, MV_ERR_USAGE,
			    "'%s' is not a valid IPv6 address (write "
			    "[address]:port to give a port)",
			    target_quote(s, n, q, sizeof(q)));
		if (has_scheme)
			return mv_error_set(err, MV_ERR_USAGE,
			    "put IPv6 addresses in brackets in a URL: [%s]",
			    target_quote(s, n, q, sizeof(q)));
		target_set_host(out, s, n);
		out->is_literal = 1;
		return 0;
	}
	hlen = colon ? (size_t)(colon - s) : n;
	if (colon != NULL && !has_scheme &&
	    target_scheme_lookup(s, hlen) != NULL &&
	    !target_all_digits(colon + 1, n - hlen - 1))
		return mv_error_set(err, MV_ERR_USAGE,
		    "missing '//' after '%s:' (write %s://host)",
		    target_quote(s, hlen, q, sizeof(q)),
		    target_scheme_lookup(s, hlen)->name);
	if (target_check_hostname(s, hlen, err) == -1)
		return -1;
	if (colon != NULL &&
	    target_parse_port(colon + 1, n - hlen - 1, &out->port, err) == -1)
		return -1;
	target_set_host(out, s, hlen);
	out->is_literal = target_is_ipv4(s, hlen);
	return 0;
}

/* What follows the authority: nothing or "/" is fine; the rest is
 * refused with a pointer to the option that does the job. */
static int
target_check_tail(const char *tail, const struct target_scheme_info *si,
    struct mv_error *err)
{
	char q[TARGET_QUOTE_MAX * 4 + 8];
	size_t n = strlen(tail);
	size_t plen;

	if (n == 0 || (n == 1 && tail[0] == '/'))
		return 0;
	plen = strcspn(tail, "?#");
	if (plen < n && (plen == 0 || (plen == 1 && tail[0] == '/')))
		return mv_error_set(err, MV_ERR_USAGE,
		    "targets take no query string or fragment ('%s'): "
		    "use command-line options instead",
		    target_quote(tail + plen, n - plen, q, sizeof(q)));
	target_quote(tail, plen, q, sizeof(q));
	switch (si->proto) {
	case TARGET_PROTO_IMAP:
		return mv_error_set(err, MV_ERR_USAGE,
		    "targets take no path ('%s'): choose the mailbox with "
		    "--mailbox", q);
	case TARGET_PROTO_SMTP:
	case TARGET_PROTO_LMTP:
		return mv_error_set(err, MV_ERR_USAGE,
		    "targets take no path ('%s'): set the EHLO name with "
		    "--helo", q);
	case TARGET_PROTO_POP3:
		break;
	}
	return mv_error_set(err, MV_ERR_USAGE, "targets take no path ('%s')",
	    q);
}

static int
target_parse_unix(const char *path, const struct target_scheme_info *si,
    struct target *out, struct mv_error *err)
{
	size_t n = strlen(path);

	if (n == 0)
		return mv_error_set(err, MV_ERR_USAGE,
		    "empty socket path after 'unix:'");
	if (n > TARGET_PATH_MAX)
		return mv_error_set(err, MV_ERR_USAGE,
		    "socket path longer than %d bytes", TARGET_PATH_MAX);
	memcpy(out->path, path, n + 1);
	out->is_unix = 1;
	out->scheme = si->scheme;
	out->proto = si->proto;
	/* A local socket is rarely wrapped in TLS; the caller may still
	 * ask for it with an option. */
	out->implicit_tls = 0;
	return 0;
}

int
target_parse(const char *text, enum target_scheme default_scheme,
    struct target *out, struct mv_error *err)
{
	char q[TARGET_QUOTE_MAX * 4 + 8];
	const struct target_scheme_info *si;
	const char *rest, *sep, *end, *at;
	int has_scheme = 0;

	memset(out, 0, sizeof(*out));
	if ((si = target_scheme_info(default_scheme)) == NULL)
		return mv_error_set(err, MV_ERR_INTERNAL,
		    "bad default scheme %d", (int)default_scheme);
	if (text == NULL || text[0] == '\0')
		return mv_error_set(err, MV_ERR_USAGE, "empty target");

	/* "unix:25" is host "unix", port 25; anything else is a path. */
	if (target_equal_ci(text, strnlen(text, 5), "unix:") &&
	    !target_all_digits(text + 5, strlen(text + 5)))
		return target_parse_unix(text + 5, si, out, err);
	if (text[0] == '/')
		return mv_error_set(err, MV_ERR_USAGE,
		    "for a UNIX-domain socket write unix:%s",
		    target_quote(text, strlen(text), q, sizeof(q)));

	rest = text;
	sep = strstr(text, "://");
	if (sep != NULL && target_scheme_syntax(text, (size_t)(sep - text))) {
		si = target_scheme_lookup(text, (size_t)(sep - text));
		if (si == NULL)
			return mv_error_set(err, MV_ERR_USAGE,
			    "unknown scheme '%s' (expected smtp, smtps, "
			    "submission, submissions, lmtp, pop3, pop3s, "
			    "imap, imaps or unix)",
			    target_quote(text, (size_t)(sep - text), q,
				sizeof(q)));
		rest = sep + 3;
		has_scheme = 1;
	}
	end = rest + strcspn(rest, "/?#");
	at = memchr(rest, '@', (size_t)(end - rest));
	if (at != NULL) {
		if (memchr(rest, ':', (size_t)(at - rest)) != NULL)
			return mv_error_set(err, MV_ERR_USAGE,
			    "put the user name in --auth-user and the "
			    "password in --password-file, not in the URL");
		return mv_error_set(err, MV_ERR_USAGE,
		    "put the user name in --auth-user, not in the URL");
	}
	if (target_parse_authority(rest, (size_t)(end - rest), has_scheme, out,
		err) == -1 ||
	    target_check_tail(end, si, err) == -1)
		return -1;
	out->scheme = si->scheme;
	out->proto = si->proto;
	out->implicit_tls = si->implicit_tls;
	if (out->port == 0)
		out->port = si->port;
	return 0;
}

const char *
target_scheme_name(enum target_scheme scheme)
{
	const struct target_scheme_info *si = target_scheme_info(scheme);

	return si ? si->name : "unknown";
}

uint16_t
target_default_port(enum target_scheme scheme)
{
	const struct target_scheme_info *si = target_scheme_info(scheme);

	return si ? si->port : 0;
}

void
target_format(const struct target *t, char *out, size_t outsz)
{
	int v6;

	if (outsz == 0)
		return;
	if (t->is_unix) {
		snprintf(out, outsz, "unix:%s", t->path);
		return;
	}
	v6 = strchr(t->host, ':') != NULL;
	snprintf(out, outsz, "%s://%s%s%s:%u", target_scheme_name(t->scheme),
	    v6 ? "[" : "", t->host, v6 ? "]" : "", (unsigned)t->port);
}
