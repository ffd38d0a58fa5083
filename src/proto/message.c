/*
 * message.c - the test message and its DATA transparency (RFC 5322
 * message format, RFC 2045 MIME headers, RFC 5321 4.5.2 dot-stuffing);
 * see message.h.  No I/O: the token comes from OpenSSL's RNG, files
 * are read by the caller.
 *
 * Line endings are normalised here and nowhere else: users write
 * bodies with LF endings, the wire wants CRLF, and a bare CR or LF
 * passed through unchanged is what SMTP smuggling attacks are made of.
 * Failures are MV_ERR_USAGE: bad user input, or a message larger than
 * the caller's buffer maximum; MV_ERR_INTERNAL for the RNG and memory.
 */
#include "proto/message.h"

#include <openssl/rand.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* RFC 5322 2.1.1: lines must not exceed 998 characters. */
#define MESSAGE_LINE_MAX 998
/* To: is folded before this column (RFC 5322 2.1.1 "SHOULD"). */
#define MESSAGE_FOLD_AT 78

int
message_token_new(char out[MESSAGE_TOKEN_LEN + 1], struct mv_error *err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[MESSAGE_TOKEN_LEN / 2];
	size_t i;

	if (RAND_bytes(raw, (int)sizeof(raw)) != 1)
		return mv_error_set(err, MV_ERR_INTERNAL,
		    "the random number generator failed");
	for (i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 0x0f];
	}
	out[MESSAGE_TOKEN_LEN] = '\0';
	return 0;
}

void
message_format_date(time_t t, char *out, size_t outsz)
{
	/* Fixed English names: %a and %b would follow the locale, and
	 * RFC 5322 does not. */
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed",
		"Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
		"May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	long off;
	char sign = '+';

	if (outsz == 0)
		return;
	if (localtime_r(&t, &tm) == NULL) {
		t = 0;
		gmtime_r(&t, &tm);
		tm.tm_gmtoff = 0;
	}
	off = tm.tm_gmtoff / 60;
	if (off < 0) {
		sign = '-';
		off = -off;
	}
	snprintf(out, outsz, "%s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld",
	    days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, sign,
	    (off / 60) % 100, off % 60);
}

/*
 * Append s with every line ending (CRLF, bare LF, bare CR) written as
 * CRLF, doubling a leading '.' when stuff is set.  *bol says whether
 * the output ends at the beginning of a line.
 */
static int
message_append_lines(struct buf *out, const char *s, size_t len, int stuff,
    int *bol)
{
	size_t i = 0, run;

	*bol = 1;
	while (i < len) {
		if (stuff && *bol && s[i] == '.' && buf_append(out, ".", 1))
			return -1;
		for (run = i; run < len && s[run] != '\r' && s[run] != '\n';
		     run++)
			;
		if (buf_append(out, s + i, run - i) == -1)
			return -1;
		if (run == len) {
			*bol = 0;
			break;
		}
		if (s[run] == '\r' && run + 1 < len && s[run + 1] == '\n')
			i = run + 2;
		else
			i = run + 1;
		if (buf_append(out, "\r\n", 2) == -1)
			return -1;
		*bol = 1;
	}
	return 0;
}

/* Undo a failed build so that out is as the caller gave it. */
static void
message_truncate(struct buf *out, size_t len)
{
	out->len = len;
	if (out->data != NULL)
		out->data[len] = '\0';
}

int
smtp_dot_stuff(const char *msg, size_t len, struct buf *out)
{
	size_t start = out->len;
	int bol;

	if (message_append_lines(out, msg, len, 1, &bol) == -1 ||
	    (!bol && buf_append(out, "\r\n", 2) == -1) ||
	    buf_append(out, ".\r\n", 3) == -1) {
		message_truncate(out, start);
		return -1;
	}
	return 0;
}

/* Find the next CRLF at or after from; a CR or LF alone is data. */
static const char *
message_find_crlf(const char *data, size_t from, size_t len)
{
	const char *p;

	while (from < len) {
		p = memchr(data + from, '\n', len - from);
		if (p == NULL)
			return NULL;
		if (p > data + from && p[-1] == '\r')
			return p - 1;
		from = (size_t)(p - data) + 1;
	}
	return NULL;
}

size_t
smtp_dot_unstuff(const char *data, size_t len, struct buf *out)
{
	size_t start = out->len, i = 0, n;
	const char *crlf, *line;
	int full = 0;

	while (i < len) {
		if ((crlf = message_find_crlf(data, i, len)) == NULL)
			break;
		line = data + i;
		n = (size_t)(crlf - line);
		i += n + 2;
		if (n == 1 && line[0] == '.')
			return i;
		if (n > 0 && line[0] == '.') {
			line++;
			n--;
		}
		/* Past out's maximum the content is dropped but the
		 * terminator is still looked for, so that the caller stays
		 * in step with the stream. */
		if (!full && (buf_append(out, line, n) == -1 ||
				 buf_append(out, "\r\n", 2) == -1))
			full = 1;
	}
	message_truncate(out, start);
	return 0;
}

/* Header values come from options; a CR or LF would start a new
 * header line (or the body) of the user's making. */
static int
message_check_value(const char *what, const char *v, struct mv_error *err)
{
	if (v != NULL && strpbrk(v, "\r\n") != NULL)
		return mv_error_set(err, MV_ERR_USAGE,
		    "the %s contains a line break; header values must be a "
		    "single line", what);
	if (v != NULL && strlen(v) > MESSAGE_LINE_MAX - 32)
		return mv_error_set(err, MV_ERR_USAGE,
		    "the %s is longer than %d characters", what,
		    MESSAGE_LINE_MAX - 32);
	return 0;
}

/* "Name: value", Name being printable ASCII without ':' (RFC 5322
 * 2.2: ftext). */
static int
message_check_header(const char *h, struct mv_error *err)
{
	size_t i;

	if (message_check_value("extra header", h, err) == -1)
		return -1;
	for (i = 0; h[i] != '\0' && h[i] != ':'; i++) {
		unsigned char c = (unsigned char)h[i];

		if (c <= 0x20 || c >= 0x7f)
			break;
	}
	if (i == 0 || h[i] != ':')
		return mv_error_set(err, MV_ERR_USAGE,
		    "extra header '%.64s' is not of the form 'Name: value'",
		    h);
	return 0;
}

static int
message_check_token(const char *token, struct mv_error *err)
{
	size_t i;

	if (token == NULL)
		return mv_error_set(err, MV_ERR_INTERNAL, "no message token");
	for (i = 0; i < MESSAGE_TOKEN_LEN; i++) {
		char c = token[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			(c >= 'A' && c <= 'F')))
			break;
	}
	if (i != MESSAGE_TOKEN_LEN || token[i] != '\0')
		return mv_error_set(err, MV_ERR_USAGE,
		    "the message token must be %d hexadecimal characters",
		    MESSAGE_TOKEN_LEN);
	return 0;
}

static int
message_check(const struct message_params *p, struct mv_error *err)
{
	size_t i;

	if (message_check_token(p->token, err) == -1 ||
	    message_check_value("sender", p->from, err) == -1 ||
	    message_check_value("subject", p->subject, err) == -1 ||
	    message_check_value("Message-ID domain", p->msgid_domain, err))
		return -1;
	for (i = 0; i < p->nto; i++)
		if (message_check_value("recipient", p->to[i], err) == -1)
			return -1;
	for (i = 0; i < p->nheaders; i++)
		if (message_check_header(p->headers[i], err) == -1)
			return -1;
	return 0;
}

/* To: with one address per fold once the line grows long. */
static int
message_add_to(const struct message_params *p, struct buf *out)
{
	size_t i, col, n;

	if (p->nto == 0)
		return buf_append_str(out, "To: undisclosed-recipients:;\r\n");
	if (buf_append_str(out, "To: ") == -1)
		return -1;
	col = 4;
	for (i = 0; i < p->nto; i++) {
		n = strlen(p->to[i]);
		if (i > 0) {
			if (col + 2 + n > MESSAGE_FOLD_AT) {
				if (buf_append_str(out, ",\r\n ") == -1)
					return -1;
				col = 1;
			} else {
				if (buf_append_str(out, ", ") == -1)
					return -1;
				col += 2;
			}
		}
		if (buf_append(out, p->to[i], n) == -1)
			return -1;
		col += n;
	}
	return buf_append_str(out, "\r\n");
}

static int
message_is_8bit(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 1;
	return 0;
}

const char *
message_user_header(const struct message_params *p, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < p->nheaders; i++) {
		const char *h = p->headers[i];

		if (strncasecmp(h, name, n) == 0 && h[n] == ':') {
			h += n + 1;
			while (*h == ' ' || *h == '\t')
				h++;
			return h;
		}
	}
	return NULL;
}

/* A generated header, unless the user gave one of the same name: RFC
 * 5322 3.6 allows Date, From, To, Subject and Message-ID once only. */
static int
message_put(const struct message_params *p, struct buf *out,
    const char *name, const char *value)
{
	if (message_user_header(p, name) != NULL)
		return 0;
	return buf_printf(out, "%s: %s\r\n", name, value);
}

int
message_build(const struct message_params *p, struct buf *out,
    struct mv_error *err)
{
	const char *domain, *body;
	char date[64], genbody[128], line[1024];
	size_t start = out->len, i, body_len;
	int bol;

	if (message_check(p, err) == -1)
		return -1;
	domain = p->msgid_domain ? p->msgid_domain : "mailvet.invalid";
	if (p->body != NULL) {
		body = p->body;
		body_len = p->body_len;
	} else {
		snprintf(genbody, sizeof(genbody),
		    "This is a test message sent by mailvet.\r\n"
		    "Token: %s\r\n", p->token);
		body = genbody;
		body_len = strlen(genbody);
	}
	message_format_date(p->date, date, sizeof(date));

	if (message_put(p, out, "Date", date) == -1)
		goto full;
	if (message_user_header(p, "From") != NULL)
		;
	else if (p->from == NULL || p->from[0] == '\0') {
		/* The null sender has no address for From:, which RFC 5322
		 * requires; stand in with one under the Message-ID domain. */
		if (buf_printf(out, "From: mailvet <mailvet@%s>\r\n", domain))
			goto full;
	} else if (buf_printf(out, "From: %s\r\n", p->from) == -1)
		goto full;
	if (message_user_header(p, "To") == NULL &&
	    message_add_to(p, out) == -1)
		goto full;
	if (p->subject != NULL)
		snprintf(line, sizeof(line), "%s", p->subject);
	else
		snprintf(line, sizeof(line), "mailvet test %s", p->token);
	if (message_put(p, out, "Subject", line) == -1)
		goto full;
	snprintf(line, sizeof(line), "<mailvet.%s@%s>", p->token, domain);
	if (message_put(p, out, "Message-ID", line) == -1 ||
	    message_put(p, out, "X-Mailvet-Token", p->token) == -1 ||
	    message_put(p, out, "MIME-Version", "1.0") == -1 ||
	    message_put(p, out, "Content-Type",
		"text/plain; charset=utf-8") == -1 ||
	    message_put(p, out, "Content-Transfer-Encoding",
		message_is_8bit(body, body_len) ? "8bit" : "7bit") == -1)
		goto full;
	for (i = 0; i < p->nheaders; i++)
		if (buf_printf(out, "%s\r\n", p->headers[i]) == -1)
			goto full;
	if (buf_append(out, "\r\n", 2) == -1 ||
	    message_append_lines(out, body, body_len, 0, &bol) == -1 ||
	    (!bol && buf_append(out, "\r\n", 2) == -1))
		goto full;
	return 0;
full:
	/* The maximum is the caller's message size limit, so this is
	 * almost always a --body too large for it. */
	message_truncate(out, start);
	if (out->max == 0)
		return mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
	return mv_error_set(err, MV_ERR_USAGE,
	    "the message is larger than %zu bytes", out->max);
}
