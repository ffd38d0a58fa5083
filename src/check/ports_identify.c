/*
 * ports_identify.c - name a service from its first bytes (see
 * ports_identify.h).  Pure: no I/O, no allocation.  Lines end at LF; a
 * CR before it is not part of the line.  Nothing here trusts a length
 * the peer sent beyond the bytes actually present.
 */
#include "check/ports_identify.h"

#include <string.h>
#include <strings.h>

/* Next complete line starting at *off: its start and length (without
 * CR LF).  Returns 0 when no complete line is left. */
static int
next_line(const char *p, size_t n, size_t *off, const char **line,
    size_t *len)
{
	const char *nl;
	size_t l;

	if (*off >= n)
		return 0;
	if ((nl = memchr(p + *off, '\n', n - *off)) == NULL)
		return 0;
	l = (size_t)(nl - (p + *off));
	*line = p + *off;
	*off += l + 1;
	if (l && (*line)[l - 1] == '\r')
		l--;
	*len = l;
	return 1;
}

static int
starts_with(const char *s, size_t n, const char *prefix)
{
	size_t pl = strlen(prefix);

	return n >= pl && strncasecmp(s, prefix, pl) == 0;
}

/* Case-insensitive search for word in s[0..n). */
static int
contains(const char *s, size_t n, const char *word)
{
	size_t wl = strlen(word), i;

	for (i = 0; i + wl <= n; i++)
		if (strncasecmp(s + i, word, wl) == 0)
			return 1;
	return 0;
}

void
ports_first_line(const char *p, size_t n, char *out, size_t outsz)
{
	size_t i, o = 0;

	if (outsz == 0)
		return;
	for (i = 0; i < n && p[i] != '\n' && o + 1 < outsz; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch == '\r' && (i + 1 == n || p[i + 1] == '\n'))
			continue;
		out[o++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	out[o] = '\0';
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
three_digits(const char *s, size_t n)
{
	return n >= 3 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) &&
	    (n == 3 || s[3] == ' ' || s[3] == '-');
}

int
ports_smtp_code(const char *p, size_t n)
{
	const char *line;
	size_t off = 0, len;
	int code = -1;

	while (next_line(p, n, &off, &line, &len))
		if (three_digits(line, len))
			code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
			    (line[2] - '0');
	return code;
}

int
ports_reply_complete(enum ports_reply_kind k, const char *tag,
    const char *p, size_t n)
{
	const char *line;
	size_t off = 0, len, nlines = 0;
	size_t tl = tag ? strlen(tag) : 0;

	while (next_line(p, n, &off, &line, &len)) {
		nlines++;
		switch (k) {
		case PORTS_REPLY_SMTP:
			/* Anything but a continuation line ends the wait:
			 * garbage must not keep us reading. */
			if (!(three_digits(line, len) && len > 3 &&
			    line[3] == '-'))
				return 1;
			break;
		case PORTS_REPLY_POP3_MULTI:
			if (nlines == 1 && !starts_with(line, len, "+OK"))
				return 1;
			if (nlines > 1 && len == 1 && line[0] == '.')
				return 1;
			break;
		case PORTS_REPLY_IMAP_TAGGED:
			if (tl && len > tl && strncmp(line, tag, tl) == 0 &&
			    line[tl] == ' ')
				return 1;
			break;
		case PORTS_REPLY_SIEVE:
			if ((starts_with(line, len, "OK") ||
			    starts_with(line, len, "NO") ||
			    starts_with(line, len, "BYE")) &&
			    (len == 2 || line[2] == ' ' || line[2] == '(' ||
			    starts_with(line, len, "BYE")))
				return 1;
			break;
		case PORTS_REPLY_LINE:
			return 1;
		}
	}
	return 0;
}

/* Is the token tok (length tl) one of the words of line? */
static int
has_token(const char *line, size_t len, const char *tok)
{
	size_t i = 0, tl = strlen(tok);

	while (i < len) {
		size_t start;

		while (i < len && (line[i] == ' ' || line[i] == '[' ||
		    line[i] == ']'))
			i++;
		start = i;
		while (i < len && line[i] != ' ' && line[i] != '[' &&
		    line[i] != ']')
			i++;
		if (i - start == tl && strncasecmp(line + start, tok, tl) == 0)
			return 1;
	}
	return 0;
}

int
ports_caps_starttls(enum ports_service s, const char *p, size_t n)
{
	const char *line;
	size_t off = 0, len;

	while (next_line(p, n, &off, &line, &len)) {
		while (len && line[len - 1] == ' ')
			len--;
		switch (s) {
		case PORTS_SVC_SMTP:
		case PORTS_SVC_LMTP:
			if (three_digits(line, len) && len == 12 &&
			    strncasecmp(line + 4, "STARTTLS", 8) == 0 &&
			    line[0] == '2')
				return 1;
			break;
		case PORTS_SVC_POP3:
			if (len == 4 && strncasecmp(line, "STLS", 4) == 0)
				return 1;
			break;
		case PORTS_SVC_IMAP:
			if (contains(line, len, "CAPABILITY") &&
			    has_token(line, len, "STARTTLS"))
				return 1;
			break;
		case PORTS_SVC_SIEVE:
			if (starts_with(line, len, "\"STARTTLS\""))
				return 1;
			break;
		default:
			return 0;
		}
	}
	return 0;
}

/* MySQL/MariaDB's first packet: 3-byte length, sequence 0, protocol 10,
 * then the NUL-terminated server version.  0 not that, 1 complete,
 * -1 plausible but incomplete. */
static int
mysql_handshake(const char *p, size_t n, struct ports_ident *id)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t plen, i, o = 0;

	if (n < 5 || u[3] != 0 || u[4] != 10)
		return 0;
	plen = (size_t)u[0] | (size_t)u[1] << 8 | (size_t)u[2] << 16;
	if (plen < 10 || plen > 4096)
		return 0;
	if (n < plen + 4)
		return -1;
	memcpy(id->detail, "version ", 8);
	o = 8;
	for (i = 5; i < plen + 4 && u[i] && o + 1 < sizeof(id->detail); i++)
		id->detail[o++] = u[i] >= 0x20 && u[i] < 0x7f ? (char)u[i] :
		    '?';
	id->detail[o] = '\0';
	id->service = PORTS_SVC_MYSQL;
	return 1;
}

/* "* OK [CAPABILITY ...] text": the capability list is long and says
 * nothing to a reader of the table; keep the rest. */
static void
imap_short_detail(const char *line, size_t len, char *out, size_t outsz)
{
	const char *open = NULL, *close;
	size_t i, head, o;

	for (i = 0; i + 12 <= len && open == NULL; i++)
		if (strncasecmp(line + i, "[CAPABILITY ", 12) == 0)
			open = line + i;
	if (open == NULL || (close = memchr(open, ']',
	    len - (size_t)(open - line))) == NULL)
		return;
	head = (size_t)(open - line);
	ports_first_line(line, head, out, outsz);
	o = strlen(out);
	if (o + 16 < outsz) {
		memcpy(out + o, "[CAPABILITY ...]", 16);
		out[o + 16] = '\0';
		o += 16;
		ports_first_line(close + 1, len - (size_t)(close + 1 - line),
		    out + o, outsz - o);
	}
}

/*
 * The words of an SMTP-style greeting after its code: "220 ftp.example.com
 * ESMTP Postfix" is SMTP although the host name holds "ftp", "220
 * lmtp.example.com ESMTP" too.  Words are split at spaces and ()[],;:
 * so that a host name (with its dots) stays one word and never matches.
 * ESMTP or SMTP wins; then LMTP; FTP is the word FTP or a server name
 * ending in "FTPd" (ProFTPD, vsFTPd, Pure-FTPd) or FileZilla.
 */
static int
word_sep(char c)
{
	return c == ' ' || c == '\t' || c == '(' || c == ')' || c == '[' ||
	    c == ']' || c == ',' || c == ';' || c == ':';
}

static void
greeting_words(const char *line, size_t len, int *smtp, int *lmtp, int *ftp)
{
	size_t i = len > 4 ? 4 : len, start, wl;

	*smtp = *lmtp = *ftp = 0;
	while (i < len) {
		while (i < len && word_sep(line[i]))
			i++;
		start = i;
		while (i < len && !word_sep(line[i]))
			i++;
		wl = i - start;
		if ((wl == 5 && strncasecmp(line + start, "ESMTP", 5) == 0) ||
		    (wl == 4 && strncasecmp(line + start, "SMTP", 4) == 0))
			*smtp = 1;
		else if (wl == 4 && strncasecmp(line + start, "LMTP", 4) == 0)
			*lmtp = 1;
		else if ((wl == 3 &&
		    strncasecmp(line + start, "FTP", 3) == 0) ||
		    (wl >= 4 && strncasecmp(line + start + wl - 4, "FTPd",
		    4) == 0) ||
		    (wl == 9 && strncasecmp(line + start, "FileZilla",
		    9) == 0))
			*ftp = 1;
	}
}

int
ports_identify_greeting(const char *p, size_t n, int final,
    struct ports_ident *id)
{
	const char *line = p;
	size_t off = 0, len = n;
	int my, smtp, lmtp, ftp;

	memset(id, 0, sizeof(*id));
	id->service = PORTS_SVC_NONE;
	if (n == 0)
		return final ? 1 : 0;
	/* The first bytes of a binary MySQL header may hold a '\n' (a
	 * length of 10): do not take them for a text line too early. */
	if (!final && (n < 4 || (n == 4 && p[3] == 0)))
		return 0;
	if ((my = mysql_handshake(p, n, id)) == 1)
		return 1;
	if (my == -1 && !final && n < PORTS_READ_MAX)
		return 0;
	if (!next_line(p, n, &off, &line, &len)) {
		if (!final && n < PORTS_READ_MAX)
			return 0;
		line = p;
		len = n;
	}
	ports_first_line(line, len, id->detail, sizeof(id->detail));
	if (starts_with(line, len, "SSH-")) {
		id->service = PORTS_SVC_SSH;
	} else if (three_digits(line, len)) {
		if (!final && n < PORTS_READ_MAX &&
		    !ports_reply_complete(PORTS_REPLY_SMTP, NULL, p, n))
			return 0;
		id->smtp_code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		    (line[2] - '0');
		id->greeting_complete = ports_reply_complete(PORTS_REPLY_SMTP,
		    NULL, p, n);
		greeting_words(line, len, &smtp, &lmtp, &ftp);
		if (ftp && !smtp && !lmtp) {
			id->service = PORTS_SVC_FTP;
		} else {
			id->smtp_family = 1;
			id->lmtp_named = lmtp && !smtp;
			id->service = id->lmtp_named ? PORTS_SVC_LMTP :
			    PORTS_SVC_SMTP;
		}
	} else if (starts_with(line, len, "+OK")) {
		id->service = PORTS_SVC_POP3;
	} else if (starts_with(line, len, "-DENIED") ||
	    starts_with(line, len, "-NOAUTH")) {
		/* redis in protected mode (or wanting AUTH) says so as soon
		 * as a client connects, then hangs up. */
		id->service = PORTS_SVC_REDIS;
	} else if (starts_with(line, len, "* OK") ||
	    starts_with(line, len, "* PREAUTH") ||
	    starts_with(line, len, "* BYE")) {
		id->service = PORTS_SVC_IMAP;
		id->preauth = starts_with(line, len, "* PREAUTH");
		if (contains(line, len, "[CAPABILITY ")) {
			id->caps_seen = 1;
			imap_short_detail(line, len, id->detail,
			    sizeof(id->detail));
			id->starttls_offered = ports_caps_starttls(
			    PORTS_SVC_IMAP, p, off);
		}
	} else if (starts_with(line, len, "\"IMPLEMENTATION\"") ||
	    starts_with(line, len, "\"SIEVE\"") ||
	    starts_with(line, len, "\"SASL\"")) {
		if (!final && n < PORTS_READ_MAX &&
		    !ports_reply_complete(PORTS_REPLY_SIEVE, NULL, p, n))
			return 0;
		id->service = PORTS_SVC_SIEVE;
		id->caps_seen = 1;
		id->starttls_offered = ports_caps_starttls(PORTS_SVC_SIEVE, p,
		    n);
	} else {
		id->service = PORTS_SVC_UNKNOWN;
	}
	return 1;
}

void
ports_identify_probe(const char *p, size_t n, struct ports_ident *id)
{
	memset(id, 0, sizeof(*id));
	id->service = PORTS_SVC_NONE;
	ports_first_line(p, n, id->detail, sizeof(id->detail));
	if (starts_with(p, n, "+PONG") || starts_with(p, n, "-NOAUTH") ||
	    starts_with(p, n, "-DENIED") ||
	    starts_with(p, n, "-ERR unknown command"))
		id->service = PORTS_SVC_REDIS;
	else if (starts_with(p, n, "PONG"))
		id->service = PORTS_SVC_CLAMD;
	else if (starts_with(p, n, "SPAMD/"))
		id->service = PORTS_SVC_SPAMD;
	else if (starts_with(p, n, "HTTP/") ||
	    starts_with(p, n, "<!DOCTYPE HTML") || starts_with(p, n, "<HTML"))
		/* The second kind: an HTTP/0.9-style error page, what some
		 * servers answer a request line without a version. */
		id->service = PORTS_SVC_HTTP;
}
