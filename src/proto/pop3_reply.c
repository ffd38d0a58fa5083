/*
 * pop3_reply.c - incremental POP3 response reader (RFC 1939 3, response
 * codes RFC 2449 8 and RFC 3206, AUTH continuations RFC 5034 4); see
 * pop3_reply.h.
 *
 * The reader owns three buffers: `line` holds the partial line not yet
 * ended, `status` the status line of the response being read and `body`
 * its unstuffed body.  A response handed out stays in them until the
 * next feed, which drops it before taking new bytes.
 *
 * Status lines are bounded by max_line.  Body lines are bounded only by
 * what is left of max_body: a message line may be as long as the
 * message (RFC 1939 leaves line length to the message format, and mail
 * in the field does not always keep to RFC 5322's 998), and refusing a
 * real message for one long line would be mailvet's fault, not the
 * server's.  Either way a line is refused as soon as no ending could
 * make it fit, so the reader never holds more than its limits, and the
 * outcome does not depend on how the bytes were cut into reads.
 *
 * Errors are MV_ERR_PROTOCOL (MV_ERR_INTERNAL when memory runs out);
 * after one the reader has already forgotten its partial state.
 */
#include "proto/pop3_reply.h"

#include <stdio.h>
#include <string.h>

/* How much of a bad status line an error message repeats. */
#define POP3_QUOTE_MAX 40

void
pop3_reader_init(struct pop3_reader *r, size_t max_line, size_t max_body)
{
	memset(r, 0, sizeof(*r));
	r->max_line = max_line ? max_line : POP3_DEFAULT_MAX_LINE;
	r->max_body = max_body ? max_body : POP3_DEFAULT_MAX_BODY;
	/* The limits are checked before each append (pop3_line_fits), in
	 * terms of the line's content; the buffers' own maxima are only a
	 * backstop. */
	buf_init(&r->line, 0);
	buf_init(&r->status, r->max_line + 1);
	buf_init(&r->body, r->max_body);
	r->st = POP3_STATUS_OK;
}

void
pop3_reader_free(struct pop3_reader *r)
{
	if (r == NULL)
		return;
	buf_free(&r->line);
	buf_free(&r->status);
	buf_free(&r->body);
	r->in_body = 0;
	r->body_lines = 0;
	r->bare_lf = 0;
}

void
pop3_reader_expect(struct pop3_reader *r, int multiline)
{
	r->expect_multiline = multiline != 0;
}

/* Forget the response, complete or not; keep the caller's settings. */
static void
pop3_reader_drop(struct pop3_reader *r)
{
	buf_reset(&r->status);
	buf_reset(&r->body);
	r->in_body = 0;
	r->body_lines = 0;
	r->bare_lf = 0;
	r->code[0] = '\0';
	r->text_off = 0;
	r->st = POP3_STATUS_OK;
}

void
pop3_reader_reset(struct pop3_reader *r)
{
	buf_reset(&r->line);
	pop3_reader_drop(r);
}

int
pop3_reader_pending(const struct pop3_reader *r)
{
	return r->line.len > 0 || r->in_body;
}

/* A bad line goes into the error message, made safe to print.  The
 * line may be split between the partial-line buffer (a, an) and the
 * caller's data (b, bn); the message must not depend on where. */
static void
pop3_quote(const char *a, size_t an, const char *b, size_t bn, size_t limit,
    char *q, size_t qsz)
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

static int
pop3_fail_quoted(struct pop3_reader *r, struct mv_error *err,
    const char *what, const char *a, size_t an, const char *b, size_t bn,
    size_t limit)
{
	char q[POP3_QUOTE_MAX * 4 + 8];

	pop3_quote(a, an, b, bn, limit, q, sizeof(q));
	pop3_reader_reset(r);
	return mv_error_set(err, MV_ERR_PROTOCOL, "%s: \"%s\"", what, q);
}

/*
 * Can the line given in two pieces (a: buffered, b: new bytes) still
 * fit?  For a line not yet ended the answer must hold whatever bytes
 * follow, so a final CR is assumed to be the start of its CRLF and a
 * lone "." to be the terminator: the line is refused only once no
 * ending could save it.  Counted is what the line would cost: its
 * content for a status line, its unstuffed content plus CRLF in a body.
 */
static int
pop3_line_fits(const struct pop3_reader *r, const char *a, size_t an,
    const char *b, size_t bn)
{
	size_t total = an + bn, content, stored;
	char first, last;

	/* An empty line (only its LF so far) still costs its CRLF. */
	first = an ? a[0] : bn ? b[0] : '\0';
	last = bn ? b[bn - 1] : an ? a[an - 1] : '\0';
	content = total - (last == '\r');
	if (!r->in_body)
		return content <= r->max_line;
	if (content == 1 && first == '.')
		return 1;
	stored = content - (first == '.') + 2;
	return stored <= r->max_body - r->body.len;
}

static int
pop3_too_long(struct pop3_reader *r, const char *a, size_t an, const char *b,
    size_t bn, struct mv_error *err)
{
	char msg[64];

	if (r->in_body) {
		size_t max = r->max_body;

		pop3_reader_reset(r);
		return mv_error_set(err, MV_ERR_PROTOCOL, "multi-line "
		    "response larger than %zu bytes (the server never sent "
		    "the final \".\")", max);
	}
	/* Only the first bytes are quoted: how much more is known here
	 * depends on how the line was cut into reads. */
	snprintf(msg, sizeof(msg), "status line longer than %zu bytes",
	    r->max_line);
	return pop3_fail_quoted(r, err, msg, a, an, b, bn,
	    r->max_line < POP3_QUOTE_MAX ? r->max_line : POP3_QUOTE_MAX);
}

/* RFC 2449 8: "[" resp-level *("/" resp-level) "]", where a level is
 * printable ASCII other than "/" and "]".  Returns the length of the
 * code with its brackets, or 0 when s does not start with one that fits
 * out. */
static size_t
pop3_resp_code(const char *s, size_t n, char *out, size_t outsz)
{
	size_t i, level = 0;

	if (n < 3 || s[0] != '[')
		return 0;
	for (i = 1; i < n && s[i] != ']'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f || c == '[')
			return 0;
		if (c == '/') {
			if (level == 0)
				return 0;
			level = 0;
		} else {
			level++;
		}
	}
	/* The code is s[1 .. i-1]; out needs room for it and a NUL. */
	if (i == n || level == 0 || i > outsz)
		return 0;
	memcpy(out, s + 1, i - 1);
	out[i - 1] = '\0';
	return i + 1;
}

static size_t
pop3_skip_blanks(const char *s, size_t off, size_t n)
{
	while (off < n && (s[off] == ' ' || s[off] == '\t'))
		off++;
	return off;
}

/* Check and keep the status line (without its ending). */
static int
pop3_take_status(struct pop3_reader *r, const char *s, size_t n,
    struct mv_error *err)
{
	size_t i, off, clen;

	if (n >= 3 && memcmp(s, "+OK", 3) == 0 && (n == 3 || s[3] == ' ')) {
		r->st = POP3_STATUS_OK;
		off = 3;
	} else if (n >= 4 && memcmp(s, "-ERR", 4) == 0 &&
	    (n == 4 || s[4] == ' ')) {
		r->st = POP3_STATUS_ERR;
		off = 4;
	} else if (n >= 1 && s[0] == '+' && (n == 1 || s[1] == ' ')) {
		r->st = POP3_STATUS_CONT;
		off = 1;
	} else {
		return pop3_fail_quoted(r, err, "status line does not start "
		    "with +OK, -ERR or \"+ \"", s, n, NULL, 0, POP3_QUOTE_MAX);
	}
	/* The line is handed out as a C string and may be shown to a
	 * user: a NUL would cut it, escapes could rewrite a terminal. */
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\0')
			return pop3_fail_quoted(r, err, "status line contains "
			    "a NUL byte", s, n, NULL, 0, POP3_QUOTE_MAX);
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return pop3_fail_quoted(r, err, "status line contains "
			    "a control character", s, n, NULL, 0,
			    POP3_QUOTE_MAX);
	}
	if (buf_append(&r->status, s, n) == -1) {
		pop3_reader_reset(r);
		return mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
	}
	off = pop3_skip_blanks(s, off, n);
	r->code[0] = '\0';
	if (r->st != POP3_STATUS_CONT &&
	    (clen = pop3_resp_code(s + off, n - off, r->code,
		sizeof(r->code))) > 0)
		off = pop3_skip_blanks(s, off + clen, n);
	r->text_off = off;
	return 0;
}

/* One body line (without its ending): 1 when it was the terminator. */
static int
pop3_take_body_line(struct pop3_reader *r, const char *s, size_t n,
    struct mv_error *err)
{
	if (n == 1 && s[0] == '.')
		return 1;
	/* RFC 1939 3: a line starting with "." was stuffed with one. */
	if (n > 0 && s[0] == '.') {
		s++;
		n--;
	}
	if (buf_append(&r->body, s, n) == -1 ||
	    buf_append(&r->body, "\r\n", 2) == -1) {
		pop3_reader_reset(r);
		return mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
	}
	r->body_lines++;
	return 0;
}

static void
pop3_fill(struct pop3_reader *r, int multiline, struct pop3_response *out)
{
	out->status = r->st;
	memcpy(out->code, r->code, sizeof(out->code));
	out->raw = buf_cstr(&r->status);
	out->text = out->raw + r->text_off;
	out->multiline = multiline;
	out->body = multiline ? &r->body : NULL;
	out->body_lines = multiline ? r->body_lines : 0;
	out->bare_lf = r->bare_lf;
	/* The response stays in status and body until the next feed,
	 * which sees in_body == 0 with a status line and drops it. */
	r->in_body = 0;
}

enum pop3_read_status
pop3_reader_feed(struct pop3_reader *r, const char *data, size_t len,
    size_t *consumed, struct pop3_response *out, struct mv_error *err)
{
	const char *s, *nl;
	size_t pos = 0, n;
	int rc;

	*consumed = 0;
	if (!r->in_body && r->status.len > 0)
		pop3_reader_drop(r);
	while (pos < len) {
		nl = memchr(data + pos, '\n', len - pos);
		n = nl ? (size_t)(nl - (data + pos)) : len - pos;
		if (!pop3_line_fits(r, r->line.data, r->line.len, data + pos,
			n)) {
			*consumed = nl ? pos + n + 1 : len;
			pop3_too_long(r, r->line.data, r->line.len, data + pos,
			    n, err);
			return POP3_READ_ERROR;
		}
		if (nl == NULL) {
			if (buf_append(&r->line, data + pos, n) == -1)
				goto nomem;
			*consumed = len;
			return POP3_READ_MORE;
		}
		s = data + pos;
		pos += n + 1;
		*consumed = pos;
		/* Glue the end of the line onto a buffered beginning; a
		 * line that arrived whole is used in place. */
		if (r->line.len > 0) {
			if (buf_append(&r->line, s, n) == -1)
				goto nomem;
			s = r->line.data;
			n = r->line.len;
		}
		if (n > 0 && s[n - 1] == '\r')
			n--;
		else
			r->bare_lf++;
		if (!r->in_body) {
			if (pop3_take_status(r, s, n, err) == -1)
				return POP3_READ_ERROR;
			buf_reset(&r->line);
			if (r->st == POP3_STATUS_OK && r->expect_multiline) {
				r->in_body = 1;
				continue;
			}
			pop3_fill(r, 0, out);
			return POP3_READ_DONE;
		}
		rc = pop3_take_body_line(r, s, n, err);
		buf_reset(&r->line);
		if (rc == -1)
			return POP3_READ_ERROR;
		if (rc == 1) {
			pop3_fill(r, 1, out);
			return POP3_READ_DONE;
		}
	}
	*consumed = len;
	return POP3_READ_MORE;
nomem:
	pop3_reader_reset(r);
	mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
	return POP3_READ_ERROR;
}

void
pop3_greeting_timestamp(const char *text, char *out, size_t outsz)
{
	const char *lt, *p, *at;
	size_t n;

	if (outsz == 0)
		return;
	out[0] = '\0';
	/* RFC 1939 7: a msg-id, "<" local "@" domain ">", anywhere in the
	 * greeting; the first well-formed one counts. */
	for (lt = strchr(text, '<'); lt != NULL; lt = strchr(lt + 1, '<')) {
		at = NULL;
		for (p = lt + 1; *p != '>'; p++) {
			unsigned char c = (unsigned char)*p;

			if (c <= 0x20 || c >= 0x7f || c == '<')
				break;
			if (c == '@')
				at = p;
		}
		if (*p != '>' || at == NULL || at == lt + 1 || at + 1 == p)
			continue;
		n = (size_t)(p - lt) + 1;
		if (n + 1 > outsz)
			return;
		memcpy(out, lt, n);
		out[n] = '\0';
		return;
	}
}
