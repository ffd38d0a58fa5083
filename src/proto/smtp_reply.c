/*
 * smtp_reply.c - incremental SMTP/LMTP reply parser (RFC 5321 4.2,
 * RFC 3463 / RFC 2034 enhanced status codes); see smtp_reply.h.
 *
 * The parser owns two bounded buffers: `line` holds the partial line
 * not yet ended, `store` holds the complete lines of the reply being
 * received, each NUL-terminated, so that the reply handed out points
 * into it without copying.  A completed reply stays in `store` until
 * the next feed, which drops it before taking new lines.
 *
 * Errors are MV_ERR_PROTOCOL (MV_ERR_INTERNAL when memory runs out);
 * after one the parser has already forgotten its partial state, so a
 * reset, which the header asks for, is harmless.
 */
#include "proto/smtp_reply.h"

#include <stdio.h>
#include <string.h>

/* How much of a bad line an error message repeats. */
#define SMTP_REPLY_QUOTE_MAX 40

void
smtp_reply_parser_init(struct smtp_reply_parser *p, size_t max_line,
    size_t max_lines, size_t max_bytes)
{
	p->max_line = max_line ? max_line : SMTP_REPLY_DEFAULT_MAX_LINE;
	p->max_lines = max_lines ? max_lines : SMTP_REPLY_DEFAULT_MAX_LINES;
	if (p->max_lines > SMTP_REPLY_MAX_LINES_HARD)
		p->max_lines = SMTP_REPLY_MAX_LINES_HARD;
	p->max_bytes = max_bytes ? max_bytes : SMTP_REPLY_DEFAULT_MAX_BYTES;
	/* One byte more than a line for the CR that may precede the LF. */
	buf_init(&p->line, p->max_line + 1);
	/* Each stored line carries a NUL instead of its CRLF. */
	buf_init(&p->store, p->max_bytes);
	p->nlines = 0;
	p->code = 0;
	p->bare_lf = 0;
}

void
smtp_reply_parser_free(struct smtp_reply_parser *p)
{
	if (p == NULL)
		return;
	buf_free(&p->line);
	buf_free(&p->store);
	p->nlines = 0;
	p->code = 0;
	p->bare_lf = 0;
}

void
smtp_reply_parser_reset(struct smtp_reply_parser *p)
{
	buf_reset(&p->line);
	buf_reset(&p->store);
	p->nlines = 0;
	p->code = 0;
	p->bare_lf = 0;
}

int
smtp_reply_parser_pending(const struct smtp_reply_parser *p)
{
	return p->line.len > 0 || p->nlines > 0;
}

/* A bad line goes into the error message, made safe to print.  The
 * line may be split between the partial-line buffer (a, an) and the
 * caller's data (b, bn); the message must not depend on where. */
static void
smtp_reply_quote(const char *a, size_t an, const char *b, size_t bn,
    size_t limit, char *q, size_t qsz)
{
	size_t i, o = 0;

	for (i = 0; i < an + bn && i < limit && o + 5 < qsz; i++) {
		unsigned char c = (unsigned char)(i < an ? a[i] : b[i - an]);

		if (c >= 0x20 && c < 0x7f) {
			q[o++] = (char)c;
		} else {
			snprintf(q + o, qsz - o, "\\x%02x", c);
			o += 4;
		}
	}
	if (i < an + bn && o + 4 <= qsz) {
		memcpy(q + o, "...", 3);
		o += 3;
	}
	q[o] = '\0';
}

static void
smtp_reply_fail2(struct smtp_reply_parser *p, struct mv_error *err,
    const char *what, const char *a, size_t an, const char *b, size_t bn,
    size_t limit)
{
	char q[SMTP_REPLY_QUOTE_MAX * 4 + 8];

	smtp_reply_quote(a, an, b, bn, limit, q, sizeof(q));
	smtp_reply_parser_reset(p);
	mv_error_set(err, MV_ERR_PROTOCOL, "%s: \"%s\"", what, q);
}

static int
smtp_reply_fail(struct smtp_reply_parser *p, struct mv_error *err,
    const char *what, const char *line, size_t n)
{
	smtp_reply_fail2(p, err, what, line, n, NULL, 0, SMTP_REPLY_QUOTE_MAX);
	return -1;
}

static int
smtp_reply_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/*
 * Check one complete line (without its ending) and add it to the
 * reply.  Returns 1 when it was the last line, 0 when more follow, -1
 * on error.
 */
static int
smtp_reply_take_line(struct smtp_reply_parser *p, const char *s, size_t n,
    struct mv_error *err)
{
	char msg[128];
	size_t off;
	int code;

	if (n < 3 || !smtp_reply_is_digit((unsigned char)s[0]) ||
	    !smtp_reply_is_digit((unsigned char)s[1]) ||
	    !smtp_reply_is_digit((unsigned char)s[2]))
		return smtp_reply_fail(p, err,
		    "reply line does not start with a 3-digit code", s, n);
	code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	if (code < 200 || code > 599) {
		snprintf(msg, sizeof(msg),
		    "reply code %03d out of range (expected 2xx to 5xx)", code);
		return smtp_reply_fail(p, err, msg, s, n);
	}
	if (n > 3 && s[3] != ' ' && s[3] != '-')
		return smtp_reply_fail(p, err,
		    "reply code not followed by ' ' or '-'", s, n);
	if (p->nlines > 0 && code != p->code) {
		snprintf(msg, sizeof(msg),
		    "reply line code %d differs from %d on the reply's first "
		    "line", code, p->code);
		return smtp_reply_fail(p, err, msg, s, n);
	}
	/* The reply is handed out as C strings; a NUL would cut a line
	 * silently, so it is refused (RFC 5321 text is printable). */
	if (memchr(s, '\0', n) != NULL)
		return smtp_reply_fail(p, err, "reply line contains a NUL byte",
		    s, n);
	if (p->nlines >= p->max_lines) {
		snprintf(msg, sizeof(msg), "reply has more than %zu lines",
		    p->max_lines);
		return smtp_reply_fail(p, err, msg, s, n);
	}
	off = p->store.len;
	if (n + 1 > p->max_bytes - off ||
	    buf_append(&p->store, s, n) == -1 ||
	    buf_append(&p->store, "", 1) == -1) {
		snprintf(msg, sizeof(msg), "reply longer than %zu bytes",
		    p->max_bytes);
		return smtp_reply_fail(p, err, msg, s, n);
	}
	p->raw_off[p->nlines] = off;
	p->text_off[p->nlines] = off + (n > 3 ? 4 : 3);
	p->nlines++;
	p->code = code;
	return n > 3 && s[3] == '-' ? 0 : 1;
}

static void
smtp_reply_fill(struct smtp_reply_parser *p, struct smtp_reply *out)
{
	size_t i;

	out->code = p->code;
	out->nlines = p->nlines;
	out->bare_lf = p->bare_lf;
	for (i = 0; i < p->nlines; i++) {
		out->raw[i] = p->store.data + p->raw_off[i];
		out->lines[i] = p->store.data + p->text_off[i];
	}
	out->enh[0] = '\0';
	smtp_enhanced_code_parse(out->lines[0], out->enh, sizeof(out->enh));
	/* The stored lines stay valid until the next feed, which sees
	 * nlines == 0 and drops them. */
	p->nlines = 0;
	p->code = 0;
	p->bare_lf = 0;
}

/* A line that cannot fit is refused as soon as that is certain, so a
 * 1 MB line costs at most max_line bytes of buffer.  The line so far
 * is given in up to two pieces, as for smtp_reply_quote.  How much of
 * it is known here depends on how it was cut into reads, so only its
 * first max_line bytes are quoted: the message must not depend on
 * that. */
static void
smtp_reply_too_long(struct smtp_reply_parser *p, const char *a, size_t an,
    const char *b, size_t bn, struct mv_error *err)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "reply line longer than %zu bytes",
	    p->max_line);
	smtp_reply_fail2(p, err, msg, a, an, b, bn,
	    p->max_line < SMTP_REPLY_QUOTE_MAX ? p->max_line :
						 SMTP_REPLY_QUOTE_MAX);
}

enum smtp_reply_status
smtp_reply_parser_feed(struct smtp_reply_parser *p, const char *data,
    size_t len, size_t *consumed, struct smtp_reply *out,
    struct mv_error *err)
{
	const char *s, *nl;
	size_t pos = 0, n, total;
	int r;

	*consumed = 0;
	/* A reply handed out by the previous call is no longer needed. */
	if (p->nlines == 0 && p->store.len > 0)
		buf_reset(&p->store);
	while (pos < len) {
		nl = memchr(data + pos, '\n', len - pos);
		n = nl ? (size_t)(nl - (data + pos)) : len - pos;
		total = p->line.len + n;
		if (nl == NULL) {
			/* The buffer may hold max_line bytes plus the CR
			 * of a CRLF whose LF has not arrived yet. */
			if (total > p->max_line + 1 ||
			    (total == p->max_line + 1 &&
				data[len - 1] != '\r')) {
				*consumed = len;
				smtp_reply_too_long(p, p->line.data,
				    p->line.len, data + pos, n, err);
				return SMTP_REPLY_ERROR;
			}
			if (buf_append(&p->line, data + pos, n) == -1)
				goto nomem;
			*consumed = len;
			return SMTP_REPLY_MORE;
		}
		s = data + pos;
		pos += n + 1;
		*consumed = pos;
		if (total > p->max_line + 1) {
			smtp_reply_too_long(p, p->line.data, p->line.len, s, n,
			    err);
			return SMTP_REPLY_ERROR;
		}
		/* Glue the end of the line onto a buffered beginning; a
		 * line that arrived whole is used in place. */
		if (p->line.len > 0) {
			if (buf_append(&p->line, s, n) == -1)
				goto nomem;
			s = p->line.data;
			n = p->line.len;
		}
		if (n > 0 && s[n - 1] == '\r')
			n--;
		else
			p->bare_lf++;
		if (n > p->max_line) {
			smtp_reply_too_long(p, s, n, NULL, 0, err);
			return SMTP_REPLY_ERROR;
		}
		r = smtp_reply_take_line(p, s, n, err);
		buf_reset(&p->line);
		if (r == -1)
			return SMTP_REPLY_ERROR;
		if (r == 1) {
			smtp_reply_fill(p, out);
			return SMTP_REPLY_DONE;
		}
	}
	*consumed = len;
	return SMTP_REPLY_MORE;
nomem:
	smtp_reply_parser_reset(p);
	mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
	return SMTP_REPLY_ERROR;
}

/* 1 to 3 digits; returns how many were read, 0 if none or too many. */
static size_t
smtp_reply_number(const char *s)
{
	size_t i = 0;

	while (i < 4 && smtp_reply_is_digit((unsigned char)s[i]))
		i++;
	return i >= 1 && i <= 3 ? i : 0;
}

size_t
smtp_enhanced_code_parse(const char *text, char *out, size_t outsz)
{
	size_t n, len;

	if (outsz > 0)
		out[0] = '\0';
	if (text[0] != '2' && text[0] != '4' && text[0] != '5')
		return 0;
	if (text[1] != '.')
		return 0;
	len = 2;
	if ((n = smtp_reply_number(text + len)) == 0 || text[len + n] != '.')
		return 0;
	len += n + 1;
	if ((n = smtp_reply_number(text + len)) == 0)
		return 0;
	len += n;
	/* "2.1.0abc" is not an enhanced code but text. */
	if (text[len] != '\0' && text[len] != ' ' && text[len] != '\t')
		return 0;
	if (len + 1 > outsz)
		return 0;
	memcpy(out, text, len);
	out[len] = '\0';
	return len;
}
