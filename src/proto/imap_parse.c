/*
 * imap_parse.c - incremental IMAP4 response reader and the small parsers
 * the client needs (RFC 9051 / RFC 3501 sections 7 and 9, response codes
 * RFC 5530, LITERAL+ RFC 7888); see imap_parse.h.  No I/O.
 *
 * The reader keeps the response being collected in one buffer, `resp`,
 * exactly as received: lines with their line ends and literal bytes
 * inline, so that a FETCH body is handed out where it lies.  A line is
 * judged when its end arrives; a line ending in "{n}" announces n
 * literal bytes, which are taken without being looked at, and the
 * response goes on after them.  Whether the limits allow a literal is
 * decided from its announcement, before any of its bytes is stored.
 * Only the first IMAP_MAX_LITERALS literals of a response get their
 * positions recorded; further ones stay inline in raw (max_response
 * bounds them all).
 *
 * The parsed strings (code argument, text, rest) are NUL-terminated
 * copies in `fields`.  A non-empty `fields` means that the response in
 * `resp` has been handed out; the next feed drops both.
 *
 * Errors are MV_ERR_PROTOCOL (MV_ERR_INTERNAL when memory runs out);
 * after one the reader has already forgotten its partial state.
 */
#include "proto/imap_parse.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* How much of a bad line an error message repeats. */
#define IMAP_QUOTE_MAX 40
/* How many digits of an absurd literal size a message repeats. */
#define IMAP_SIZE_DIGITS_MAX 24

void
imap_reader_init(struct imap_reader *r, size_t max_line, size_t max_literal,
    size_t max_response)
{
	size_t lim;

	r->max_line = max_line ? max_line : IMAP_DEFAULT_MAX_LINE;
	r->max_literal = max_literal ? max_literal : IMAP_DEFAULT_MAX_LITERAL;
	r->max_response = max_response ? max_response :
	    IMAP_DEFAULT_MAX_RESPONSE;
	/* The checks in feed keep resp within a response plus one line
	 * (and its CR) being judged; the buffer's own maximum is a second
	 * fence, unless the sum would overflow. */
	lim = r->max_response + r->max_line + 2;
	buf_init(&r->resp, lim > r->max_response ? lim : 0);
	buf_init(&r->fields, 0);
	r->line_start = 0;
	r->literal_left = 0;
	r->nliterals = 0;
	r->bare_lf = 0;
}

void
imap_reader_free(struct imap_reader *r)
{
	if (r == NULL)
		return;
	buf_free(&r->resp);
	buf_free(&r->fields);
	r->line_start = 0;
	r->literal_left = 0;
	r->nliterals = 0;
	r->bare_lf = 0;
}

void
imap_reader_reset(struct imap_reader *r)
{
	buf_reset(&r->resp);
	buf_reset(&r->fields);
	r->line_start = 0;
	r->literal_left = 0;
	r->nliterals = 0;
	r->bare_lf = 0;
}

int
imap_reader_pending(const struct imap_reader *r)
{
	return r->fields.len == 0 && (r->resp.len > 0 || r->literal_left > 0);
}

static int
imap_upper(int c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

static int
imap_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* A bad line goes into the error message, made safe to print; the line
 * may lie in two pieces (buffered, then the caller's data). */
static void
imap_quote_bytes(const char *a, size_t an, const char *b, size_t bn,
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

static enum imap_read_status
imap_reader_fail2(struct imap_reader *r, struct mv_error *err,
    const char *what, const char *a, size_t an, const char *b, size_t bn,
    size_t limit)
{
	char q[IMAP_QUOTE_MAX * 4 + 8];

	imap_quote_bytes(a, an, b, bn, limit, q, sizeof(q));
	mv_error_set(err, MV_ERR_PROTOCOL, "%s: \"%s\"", what, q);
	imap_reader_reset(r);
	return IMAP_READ_ERROR;
}

static enum imap_read_status
imap_reader_fail(struct imap_reader *r, struct mv_error *err,
    const char *what, const char *line, size_t n)
{
	return imap_reader_fail2(r, err, what, line, n, NULL, 0,
	    IMAP_QUOTE_MAX);
}

/* A line that cannot fit is refused as soon as that is certain.  Only
 * its first max_line bytes (at most IMAP_QUOTE_MAX) are quoted: how much
 * more is known depends on how the stream was cut into reads, and the
 * message must not. */
static enum imap_read_status
imap_reader_too_long(struct imap_reader *r, const char *a, size_t an,
    const char *b, size_t bn, struct mv_error *err)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "response line longer than %zu bytes",
	    r->max_line);
	return imap_reader_fail2(r, err, msg, a, an, b, bn,
	    r->max_line < IMAP_QUOTE_MAX ? r->max_line : IMAP_QUOTE_MAX);
}

/* --- one line ------------------------------------------------------ */

/* Offsets into the line of the strings copied into fields. */
struct imap_span {
	size_t off, len;
};

struct imap_line_parse {
	struct imap_span code_arg, text, rest;
};

/* The word at s[i..n) up to a space or the end. */
static size_t
imap_word_len(const char *s, size_t i, size_t n)
{
	size_t w = 0;

	while (i + w < n && s[i + w] != ' ')
		w++;
	return w;
}

static int
imap_word_is(const char *s, size_t w, const char *name)
{
	size_t k;

	if (strlen(name) != w)
		return 0;
	for (k = 0; k < w; k++)
		if (imap_upper((unsigned char)s[k]) != name[k])
			return 0;
	return 1;
}

static void
imap_copy_upper(char *dst, size_t dstsz, const char *s, size_t w)
{
	size_t k;

	if (w >= dstsz)
		w = dstsz - 1;
	for (k = 0; k < w; k++)
		dst[k] = (char)imap_upper((unsigned char)s[k]);
	dst[w] = '\0';
}

static enum imap_cond
imap_cond_of(const char *s, size_t w)
{
	if (imap_word_is(s, w, "OK"))
		return IMAP_COND_OK;
	if (imap_word_is(s, w, "NO"))
		return IMAP_COND_NO;
	if (imap_word_is(s, w, "BAD"))
		return IMAP_COND_BAD;
	if (imap_word_is(s, w, "PREAUTH"))
		return IMAP_COND_PREAUTH;
	if (imap_word_is(s, w, "BYE"))
		return IMAP_COND_BYE;
	return IMAP_COND_NONE;
}

/* RFC 9051 tag: ASTRING-CHARs but "+" (so ']' is allowed). */
static int
imap_is_tag_char(int c)
{
	if (c <= 0x20 || c >= 0x7f)
		return 0;
	return strchr("(){%*\"\\+", c) == NULL;
}

/* The ']' that closes the '[' at s[i]: brackets nest (flags such as
 * "$Label[1]" in PERMANENTFLAGS) and quoted strings are skipped.
 * Returns its index, or n when there is none. */
static size_t
imap_code_end(const char *s, size_t i, size_t n)
{
	size_t depth = 0, k;
	int quoted = 0;

	for (k = i; k < n; k++) {
		char c = s[k];

		if (quoted) {
			if (c == '\\' && k + 1 < n)
				k++;
			else if (c == '"')
				quoted = 0;
		} else if (c == '"') {
			quoted = 1;
		} else if (c == '[') {
			depth++;
		} else if (c == ']' && --depth == 0) {
			return k;
		}
	}
	return n;
}

/* resp-text after a condition: ["[" code [SP arg] "]" [SP]] text. */
static void
imap_parse_resp_text(const char *s, size_t i, size_t n,
    struct imap_response *out, struct imap_line_parse *lp)
{
	size_t close, w;

	lp->rest.off = i;
	lp->rest.len = n - i;
	lp->text = lp->rest;
	if (i >= n || s[i] != '[')
		return;
	if ((close = imap_code_end(s, i, n)) == n)
		return; /* no code after all: all of it is text */
	for (w = 0; i + 1 + w < close && s[i + 1 + w] != ' '; w++)
		;
	if (w == 0)
		return; /* "[]" or "[ x]": no atom, so no code */
	imap_copy_upper(out->code, sizeof(out->code), s + i + 1, w);
	if (i + 1 + w < close) {
		lp->code_arg.off = i + 2 + w;
		lp->code_arg.len = close - lp->code_arg.off;
	}
	i = close + 1;
	if (i < n && s[i] == ' ')
		i++;
	lp->text.off = i;
	lp->text.len = n - i;
}

/* Parse the first line of a response (s, n: without its line end) into
 * out; the strings are appended to fields when fields is not NULL.
 * Returns 0, or -1 with the reason in *why. */
static int
imap_parse_line(const char *s, size_t n, struct imap_response *out,
    struct buf *fields, const char **why)
{
	struct imap_line_parse lp;
	size_t i, w, base;
	uint64_t v;

	memset(&lp, 0, sizeof(lp));
	out->tag[0] = '\0';
	out->cond = IMAP_COND_NONE;
	out->code[0] = '\0';
	out->number = -1;
	out->keyword[0] = '\0';
	if (n > 0 && s[0] == '+') {
		out->kind = IMAP_CONTINUATION;
		i = n > 1 && s[1] == ' ' ? 2 : 1;
		lp.text.off = i;
		lp.text.len = n - i;
	} else if (n > 0 && s[0] == '*') {
		out->kind = IMAP_UNTAGGED;
		if (n < 2 || s[1] != ' ' || (w = imap_word_len(s, 2, n)) == 0) {
			*why = "untagged response without a keyword";
			return -1;
		}
		i = 2;
		if (imap_is_digit((unsigned char)s[i])) {
			for (v = 0, base = i; i < n && s[i] != ' '; i++) {
				if (!imap_is_digit((unsigned char)s[i]) ||
				    i - base >= 18) {
					*why = "untagged response number is "
					    "not a number below 10^18";
					return -1;
				}
				v = v * 10 + (uint64_t)(s[i] - '0');
			}
			out->number = (int64_t)v;
			if (i >= n || (w = imap_word_len(s, i + 1, n)) == 0) {
				*why = "untagged response has a number but "
				    "no keyword";
				return -1;
			}
			i++;
		}
		if (w >= sizeof(out->keyword)) {
			*why = "untagged response keyword is too long";
			return -1;
		}
		imap_copy_upper(out->keyword, sizeof(out->keyword), s + i, w);
		if (out->number == -1)
			out->cond = imap_cond_of(s + i, w);
		i += w;
		if (i < n)
			i++;
		if (out->cond != IMAP_COND_NONE) {
			imap_parse_resp_text(s, i, n, out, &lp);
		} else {
			lp.rest.off = i;
			lp.rest.len = n - i;
		}
	} else {
		out->kind = IMAP_TAGGED;
		w = imap_word_len(s, 0, n);
		for (i = 0; i < w; i++)
			if (!imap_is_tag_char((unsigned char)s[i]))
				break;
		if (w == 0 || i < w) {
			*why = "response line does not start with a tag, '*' "
			    "or '+'";
			return -1;
		}
		if (w >= sizeof(out->tag)) {
			*why = "response tag is longer than 63 bytes";
			return -1;
		}
		memcpy(out->tag, s, w);
		out->tag[w] = '\0';
		i = w + 1;
		w = i < n ? imap_word_len(s, i, n) : 0;
		out->cond = imap_cond_of(s + i, w);
		if (out->cond != IMAP_COND_OK && out->cond != IMAP_COND_NO &&
		    out->cond != IMAP_COND_BAD) {
			*why = "tagged response without OK, NO or BAD";
			return -1;
		}
		imap_copy_upper(out->keyword, sizeof(out->keyword), s + i, w);
		i += w;
		if (i < n)
			i++;
		imap_parse_resp_text(s, i, n, out, &lp);
	}
	if (fields == NULL)
		return 0;
	base = fields->len;
	if (buf_append(fields, s + lp.code_arg.off, lp.code_arg.len) == -1 ||
	    buf_append(fields, "", 1) == -1 ||
	    buf_append(fields, s + lp.text.off, lp.text.len) == -1 ||
	    buf_append(fields, "", 1) == -1 ||
	    buf_append(fields, s + lp.rest.off, lp.rest.len) == -1 ||
	    buf_append(fields, "", 1) == -1) {
		*why = NULL; /* out of memory */
		return -1;
	}
	out->code_arg = fields->data + base;
	out->text = out->code_arg + lp.code_arg.len + 1;
	out->rest = out->text + lp.text.len + 1;
	return 0;
}

/* Does the line end in a literal announcement "{n}" or "{n+}" (the
 * "~{n}" of RFC 3516 included)?  Returns 1 with where its digits are. */
static int
imap_literal_at_end(const char *s, size_t n, size_t *dig, size_t *ndig)
{
	size_t e, b;

	if (n < 3 || s[n - 1] != '}')
		return 0;
	e = n - 1;
	if (s[e - 1] == '+')
		e--;
	for (b = e; b > 0 && imap_is_digit((unsigned char)s[b - 1]); b--)
		;
	if (b == e || b == 0 || s[b - 1] != '{')
		return 0;
	*dig = b;
	*ndig = e - b;
	return 1;
}

/* The announced size, or -1 when it does not fit in a size_t. */
static int
imap_literal_size(const char *d, size_t nd, size_t *size)
{
	size_t v = 0, k;

	for (k = 0; k < nd; k++) {
		size_t c = (size_t)(d[k] - '0');

		if (v > (SIZE_MAX - c) / 10)
			return -1;
		v = v * 10 + c;
	}
	*size = v;
	return 0;
}

static enum imap_read_status
imap_reader_fill(struct imap_reader *r, struct imap_response *out,
    struct mv_error *err)
{
	const char *why = NULL;
	size_t first = r->resp.len;

	/* The first line ends before the first literal's line end. */
	if (r->nliterals > 0) {
		first = r->literals[0].off - 1;
		if (first > 0 && r->resp.data[first - 1] == '\r')
			first--;
	}
	buf_reset(&r->fields);
	if (imap_parse_line(r->resp.data, first, out, &r->fields, &why) ==
	    -1) {
		if (why == NULL) {
			imap_reader_reset(r);
			mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
			return IMAP_READ_ERROR;
		}
		return imap_reader_fail(r, err, why, r->resp.data, first);
	}
	out->raw = r->resp.data;
	out->raw_len = r->resp.len;
	out->nliterals = r->nliterals;
	memcpy(out->literals, r->literals,
	    r->nliterals * sizeof(r->literals[0]));
	out->bare_lf = r->bare_lf;
	/* resp and fields stay until the next feed, which sees fields
	 * non-empty and drops them. */
	r->line_start = 0;
	r->nliterals = 0;
	r->bare_lf = 0;
	return IMAP_READ_DONE;
}

/*
 * A line has ended: its bytes (with the CR, if any, but not the LF) are
 * at the end of resp.  Returns DONE when it ended the response, MORE
 * when a literal or more lines follow, ERROR.
 */
static enum imap_read_status
imap_reader_line_end(struct imap_reader *r, struct imap_response *out,
    struct mv_error *err)
{
	struct imap_response scratch;
	char msg[160];
	const char *line = r->resp.data + r->line_start, *why;
	size_t n = r->resp.len - r->line_start, dig, ndig, size;
	int cr = n > 0 && line[n - 1] == '\r';

	if (cr)
		n--;
	else
		r->bare_lf++;
	if (n > r->max_line)
		return imap_reader_too_long(r, line, n, NULL, 0, err);
	/* Response lines are handed out as C strings; a NUL would cut one
	 * silently.  Literal bytes may be anything. */
	if (memchr(line, '\0', n) != NULL)
		return imap_reader_fail(r, err,
		    "response line contains a NUL byte", line, n);
	if (r->line_start == 0 &&
	    imap_parse_line(line, n, &scratch, NULL, &why) == -1)
		return imap_reader_fail(r, err, why, line, n);
	if (!imap_literal_at_end(line, n, &dig, &ndig)) {
		r->resp.len -= (size_t)cr;
		r->resp.data[r->resp.len] = '\0';
		if (r->resp.len > r->max_response) {
			snprintf(msg, sizeof(msg), "response longer than %zu "
			    "bytes", r->max_response);
			return imap_reader_fail(r, err, msg, r->resp.data,
			    r->resp.len);
		}
		return imap_reader_fill(r, out, err);
	}
	if (imap_literal_size(line + dig, ndig, &size) == -1 ||
	    size > r->max_literal) {
		snprintf(msg, sizeof(msg), "literal of %.*s%s bytes is over "
		    "the %zu-byte limit",
		    (int)(ndig > IMAP_SIZE_DIGITS_MAX ? IMAP_SIZE_DIGITS_MAX :
			ndig), line + dig,
		    ndig > IMAP_SIZE_DIGITS_MAX ? "..." : "", r->max_literal);
		mv_error_set(err, MV_ERR_PROTOCOL, "%s", msg);
		imap_reader_reset(r);
		return IMAP_READ_ERROR;
	}
	if (buf_append(&r->resp, "\n", 1) == -1)
		goto nomem;
	if (size > r->max_response || r->resp.len > r->max_response - size) {
		mv_error_set(err, MV_ERR_PROTOCOL, "response longer than %zu "
		    "bytes (a literal of %zu bytes follows %zu bytes)",
		    r->max_response, size, r->resp.len);
		imap_reader_reset(r);
		return IMAP_READ_ERROR;
	}
	if (r->nliterals < IMAP_MAX_LITERALS) {
		r->literals[r->nliterals].off = r->resp.len;
		r->literals[r->nliterals].len = size;
		r->nliterals++;
	}
	r->literal_left = size;
	r->line_start = r->resp.len;
	return IMAP_READ_MORE;
nomem:
	imap_reader_reset(r);
	mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
	return IMAP_READ_ERROR;
}

/* The current line so far (resp has no storage before the first
 * byte). */
static const char *
imap_reader_line(const struct imap_reader *r)
{
	return r->resp.data != NULL ? r->resp.data + r->line_start : "";
}

enum imap_read_status
imap_reader_feed(struct imap_reader *r, const char *data, size_t len,
    size_t *consumed, struct imap_response *out, struct mv_error *err)
{
	enum imap_read_status st;
	const char *nl;
	size_t pos = 0, n, seg;

	*consumed = 0;
	/* A response handed out by the previous call is no longer needed. */
	if (r->fields.len > 0) {
		buf_reset(&r->resp);
		buf_reset(&r->fields);
	}
	while (pos < len) {
		if (r->literal_left > 0) {
			n = len - pos < r->literal_left ? len - pos :
			    r->literal_left;
			if (buf_append(&r->resp, data + pos, n) == -1)
				goto nomem;
			pos += n;
			r->literal_left -= n;
			r->line_start = r->resp.len;
			continue;
		}
		seg = r->resp.len - r->line_start;
		nl = memchr(data + pos, '\n', len - pos);
		n = nl ? (size_t)(nl - (data + pos)) : len - pos;
		if (nl == NULL) {
			/* Room for max_line bytes, plus the CR of a CRLF
			 * whose LF has not arrived yet. */
			if (seg + n > r->max_line + 1 ||
			    (seg + n == r->max_line + 1 &&
				data[len - 1] != '\r')) {
				*consumed = len;
				return imap_reader_too_long(r,
				    imap_reader_line(r), seg, data + pos, n,
				    err);
			}
			if (buf_append(&r->resp, data + pos, n) == -1)
				goto nomem;
			break;
		}
		*consumed = pos + n + 1;
		if (seg + n > r->max_line + 1)
			return imap_reader_too_long(r,
			    imap_reader_line(r), seg, data + pos, n, err);
		if (buf_append(&r->resp, data + pos, n) == -1)
			goto nomem;
		pos += n + 1;
		st = imap_reader_line_end(r, out, err);
		if (st != IMAP_READ_MORE)
			return st;
	}
	*consumed = len;
	return IMAP_READ_MORE;
nomem:
	imap_reader_reset(r);
	mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
	return IMAP_READ_ERROR;
}

/* --- capabilities --------------------------------------------------- */

static const struct {
	const char *name;
	unsigned bit;
} imap_cap_names[] = {
	{ "IMAP4REV1", IMAP_CAP_IMAP4REV1 },
	{ "IMAP4REV2", IMAP_CAP_IMAP4REV2 },
	{ "STARTTLS", IMAP_CAP_STARTTLS },
	{ "LOGINDISABLED", IMAP_CAP_LOGINDISABLED },
	{ "SASL-IR", IMAP_CAP_SASL_IR },
	{ "LITERAL+", IMAP_CAP_LITERAL_PLUS },
	{ "LITERAL-", IMAP_CAP_LITERAL_MINUS },
	{ "IDLE", IMAP_CAP_IDLE },
	{ "UIDPLUS", IMAP_CAP_UIDPLUS },
	{ "ID", IMAP_CAP_ID },
	{ "ENABLE", IMAP_CAP_ENABLE },
	{ "MOVE", IMAP_CAP_MOVE },
	{ "CONDSTORE", IMAP_CAP_CONDSTORE },
	{ "NAMESPACE", IMAP_CAP_NAMESPACE },
	{ "UTF8=ACCEPT", IMAP_CAP_UTF8_ACCEPT },
	/* RFC 6855 3: UTF8=ONLY implies UTF8=ACCEPT. */
	{ "UTF8=ONLY", IMAP_CAP_UTF8_ACCEPT },
};

static void
imap_auth_add(struct imap_caps *caps, const char *mech, size_t w)
{
	size_t len = strlen(caps->auth_list), need = w + (len ? 1 : 0);

	/* A list cut in the middle of a name would offer a wrong name. */
	if (w == 0 || need > IMAP_AUTH_LIST_MAX - len)
		return;
	if (len)
		caps->auth_list[len++] = ' ';
	imap_copy_upper(caps->auth_list + len, w + 1, mech, w);
}

void
imap_caps_parse(const char *list, struct imap_caps *caps)
{
	size_t i = 0, w, k, n = strlen(list);

	memset(caps, 0, sizeof(*caps));
	snprintf(caps->all, sizeof(caps->all), "%s", list);
	while (i < n) {
		while (i < n && (list[i] == ' ' || list[i] == '\t'))
			i++;
		for (w = 0; i + w < n && list[i + w] != ' ' &&
		     list[i + w] != '\t';
		     w++)
			;
		if (w > 5 && imap_word_is(list + i, 5, "AUTH="))
			imap_auth_add(caps, list + i + 5, w - 5);
		for (k = 0; k < sizeof(imap_cap_names) /
			 sizeof(imap_cap_names[0]);
		     k++)
			if (imap_word_is(list + i, w, imap_cap_names[k].name))
				caps->caps |= imap_cap_names[k].bit;
		i += w;
	}
}

/* --- quoting, SEARCH, FETCH ------------------------------------------ */

int
imap_quote(const char *s, struct buf *out)
{
	size_t i, start = out->len;

	/* RFC 9051 4.3: a quoted string holds 7-bit characters but CR and
	 * LF; anything else must go as a literal. */
	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r' || c == '\n' || c >= 0x80)
			return 1;
	}
	if (buf_append(out, "\"", 1) == -1)
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if ((s[i] == '"' || s[i] == '\\') &&
		    buf_append(out, "\\", 1) == -1)
			goto fail;
		if (buf_append(out, s + i, 1) == -1)
			goto fail;
	}
	if (buf_append(out, "\"", 1) == -1)
		goto fail;
	return 0;
fail:
	out->len = start;
	if (out->data != NULL)
		out->data[start] = '\0';
	return -1;
}

/* A number of 1 to 19 digits at s; returns its length, 0 if none. */
static size_t
imap_number(const char *s, uint64_t *v)
{
	size_t k;

	*v = 0;
	for (k = 0; imap_is_digit((unsigned char)s[k]); k++) {
		if (k == 19)
			return 0;
		*v = *v * 10 + (uint64_t)(s[k] - '0');
	}
	return k;
}

long
imap_search_parse(const char *rest, uint64_t *out, size_t max)
{
	const char *s = rest;
	size_t k;
	long total = 0;
	uint64_t v;

	for (;;) {
		while (*s == ' ')
			s++;
		if (*s == '\0')
			return total;
		if (*s == '(') {
			/* RFC 7162 3.1.5: "(MODSEQ n)" ends the list. */
			if (!imap_word_is(s + 1, 6, "MODSEQ") || s[7] != ' ' ||
			    (k = imap_number(s + 8, &v)) == 0 ||
			    s[8 + k] != ')')
				return -1;
			for (s += 9 + k; *s == ' '; s++)
				;
			return *s == '\0' ? total : -1;
		}
		if ((k = imap_number(s, &v)) == 0 || v == 0 ||
		    (s[k] != ' ' && s[k] != '\0'))
			return -1;
		if ((size_t)total < max)
			out[total] = v;
		total++;
		s += k;
	}
}

/* True when the FETCH data item that ends at raw[end] (exclusive)
 * names message text: BODY[...] or BINARY[...] (with an optional
 * <origin>), RFC822 or RFC822.TEXT.  Other items (ENVELOPE strings,
 * vendor extensions) can be literals too and are not the message. */
static int
imap_item_is_body(const char *raw, size_t end)
{
	size_t i = end, depth = 0;

	while (i > 0 && raw[i - 1] == ' ')
		i--;
	if (i > 0 && raw[i - 1] == '>') {
		while (i > 0 && raw[i - 1] != '<')
			i--;
		if (i == 0)
			return 0;
		i--;
	}
	if (i >= 6 && strncasecmp(raw + i - 6, "RFC822", 6) == 0)
		return 1;
	if (i >= 11 && strncasecmp(raw + i - 11, "RFC822.TEXT", 11) == 0)
		return 1;
	if (i == 0 || raw[i - 1] != ']')
		return 0;
	/* Back to the matching '[': section specs nest no brackets, but
	 * HEADER.FIELDS lists contain spaces and parentheses. */
	for (; i > 0; i--) {
		if (raw[i - 1] == ']')
			depth++;
		else if (raw[i - 1] == '[' && --depth == 0)
			break;
	}
	if (i == 0)
		return 0;
	i--;
	if (i >= 4 && strncasecmp(raw + i - 4, "BODY", 4) == 0)
		return 1;
	return i >= 6 && strncasecmp(raw + i - 6, "BINARY", 6) == 0;
}

const char *
imap_fetch_body(const struct imap_response *r, size_t *len)
{
	size_t k;

	*len = 0;
	for (k = 0; k < r->nliterals; k++) {
		size_t off = r->literals[k].off, brace = off;

		/* The literal's bytes follow "{n}" and its line ending. */
		while (brace > 0 && r->raw[brace - 1] != '{')
			brace--;
		if (brace == 0)
			continue;
		brace--;
		if (brace > 0 && r->raw[brace - 1] == '~')
			brace--;
		if (imap_item_is_body(r->raw, brace)) {
			*len = r->literals[k].len;
			return r->raw + off;
		}
	}
	return NULL;
}
