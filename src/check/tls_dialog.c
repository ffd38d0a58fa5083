/*
 * tls_dialog.c - the minimal "negotiate until TLS" dialog of
 * `mailvet tls` (see tls_dialog.h).  SMTP/LMTP (RFC 5321, 3207, 2033),
 * POP3 (RFC 1939, 2595, 2449), IMAP (RFC 9051 6.2.1), ManageSieve
 * (RFC 5804 2.2).
 *
 * Owns its connection and buffers; fills the caller's result.  Errors
 * land in res->err; a timeout or close after the handshake, while
 * reading the answer to QUIT/LOGOUT, is not an error: what the server
 * said by then is the result.
 */
#include "check/tls_dialog.h"

#include "core/clock.h"
#include "proto/session.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TD_LINE_MAX  4096
#define TD_RESP_MAX  (64 * 1024)
#define TD_POST_WAIT_MS 1000 /* after a line in POP3's injection test */

enum td_stage {
	TD_CONNECT,
	TD_GREETING,
	TD_CAPS,
	TD_MAIL,
	TD_RSET,
	TD_STARTTLS,
	TD_HANDSHAKE,
	TD_POST,       /* over TLS: the closing command and what follows */
	TD_QUITPLAIN,  /* the closing command in plaintext */
	TD_DONE,
};

struct tls_dialog {
	struct conn *conn;
	struct tls_dialog_params p;
	struct tls_dialog_result *res;
	struct transcript *tr;
	tls_dialog_done_cb on_done;
	void *arg;
	enum td_stage stage;
	struct buf in;          /* bytes not yet framed into lines */
	struct buf resp;        /* lines of the response in progress */
	size_t resp_lines;
	size_t post_finals;     /* sieve: OK/NO/BYE lines after TLS */
};

static void td_finish(struct tls_dialog *d);

static int
td_is_smtp(const struct tls_dialog *d)
{
	return d->p.proto == TLS_DIALOG_SMTP || d->p.proto == TLS_DIALOG_LMTP;
}

static void
td_send(struct tls_dialog *d, const char *text, const char *what)
{
	const char *p = text;

	while (d->tr && *p) {
		size_t n = strcspn(p, "\r\n");

		transcript_add(d->tr, TR_CLIENT, p, n);
		p += n;
		p += strspn(p, "\r\n");
	}
	conn_set_timeout(d->conn, d->p.command_timeout_ms ?
	    d->p.command_timeout_ms : 30000, what);
	if (conn_write(d->conn, text, strlen(text)) == -1) {
		mv_error_set(&d->res->err, MV_ERR_INTERNAL, "cannot queue a "
		    "command");
		td_finish(d);
	}
}

static const char *
td_quit_command(const struct tls_dialog *d)
{
	switch (d->p.proto) {
	case TLS_DIALOG_IMAP:
		return "mvq LOGOUT\r\n";
	case TLS_DIALOG_SIEVE:
		return "LOGOUT\r\n";
	default:
		return "QUIT\r\n";
	}
}

static void
td_finish(struct tls_dialog *d)
{
	if (d->stage == TD_DONE)
		return;
	d->stage = TD_DONE;
	conn_close(d->conn);
	d->conn = NULL;
	d->on_done(d, d->arg);
}

static int
td_starts(const char *line, const char *prefix)
{
	return strncasecmp(line, prefix, strlen(prefix)) == 0;
}

static int
td_smtp_code(const char *line, size_t len)
{
	if (len < 3 || !isdigit((unsigned char)line[0]) ||
	    !isdigit((unsigned char)line[1]) ||
	    !isdigit((unsigned char)line[2]))
		return 0;
	return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
}

/* Does this line end the response being read? */
static int
td_is_final(struct tls_dialog *d, const char *line, size_t len)
{
	switch (d->p.proto) {
	case TLS_DIALOG_SMTP:
	case TLS_DIALOG_LMTP:
		if (td_smtp_code(line, len) && len > 3 && line[3] == '-')
			return 0;
		return 1;
	case TLS_DIALOG_POP3:
		if (d->stage != TD_CAPS)
			return 1;
		if (d->resp_lines == 1)
			return !td_starts(line, "+OK");
		return len == 1 && line[0] == '.';
	case TLS_DIALOG_IMAP:
		if (d->stage == TD_GREETING)
			return 1;
		return td_starts(line, "mv") &&
		    memchr(line, ' ', len) != NULL;
	case TLS_DIALOG_SIEVE:
		return td_starts(line, "OK") || td_starts(line, "NO") ||
		    td_starts(line, "BYE");
	}
	return 1;
}

static void
td_copy_line(char *out, size_t outsz, const char *text)
{
	size_t n = strcspn(text, "\n");

	snprintf(out, outsz, "%.*s", (int)n, text);
}

/* The capability response in d->resp (check/tls_caps.c). */
static void
td_parse_caps(struct tls_dialog *d)
{
	struct tls_dialog_result *r = d->res;
	struct tls_caps c;

	tls_caps_parse(d->p.proto, d->resp.data ? d->resp.data : "",
	    d->resp.len, &c);
	r->caps_seen = 1;
	snprintf(r->caps, sizeof(r->caps), "%s", c.caps);
	snprintf(r->auth, sizeof(r->auth), "%s", c.auth);
	r->starttls_offered = c.starttls_offered;
	r->login_allowed = c.login_allowed;
}

/* The response in d->resp is positive for the stage's command. */
static int
td_positive(struct tls_dialog *d)
{
	const char *t = buf_cstr(&d->resp);
	const char *last = t;
	size_t i, n = strlen(t);

	/* The last line: the response ends in '\n'. */
	for (i = 0; i + 1 < n; i++)
		if (t[i] == '\n')
			last = t + i + 1;
	switch (d->p.proto) {
	case TLS_DIALOG_SMTP:
	case TLS_DIALOG_LMTP: {
		int code = td_smtp_code(t, strlen(t));

		if (d->stage == TD_GREETING || d->stage == TD_STARTTLS)
			return code == 220;
		return code / 100 == 2;
	}
	case TLS_DIALOG_POP3:
		return td_starts(t, "+OK");
	case TLS_DIALOG_IMAP:
		if (d->stage == TD_GREETING)
			return td_starts(t, "* OK") ||
			    td_starts(t, "* PREAUTH");
		return strlen(last) > 4 && td_starts(last + 4, "OK");
	case TLS_DIALOG_SIEVE:
		/* a final line that starts with a quote would not be final */
		for (t = buf_cstr(&d->resp); *t; ) {
			if (td_starts(t, "OK"))
				return 1;
			t += strcspn(t, "\n");
			t += *t ? 1 : 0;
		}
		return 0;
	}
	return 0;
}

static void
td_fail(struct tls_dialog *d, enum mv_errcat cat, const char *what)
{
	char line[300];

	td_copy_line(line, sizeof(line), buf_cstr(&d->resp));
	mv_error_set(&d->res->err, cat, "%s: %s", what, line);
	td_finish(d);
}

static void
td_quit_plain(struct tls_dialog *d)
{
	d->stage = TD_QUITPLAIN;
	td_send(d, td_quit_command(d), "the answer to QUIT");
}

static void
td_decide_starttls(struct tls_dialog *d)
{
	const char *cmd;

	if (d->p.no_starttls || !d->res->starttls_offered) {
		td_quit_plain(d);
		return;
	}
	switch (d->p.proto) {
	case TLS_DIALOG_POP3:
		cmd = d->p.inject ? "STLS\r\nCAPA\r\n" : "STLS\r\n";
		break;
	case TLS_DIALOG_IMAP:
		cmd = d->p.inject ? "mvs STARTTLS\r\nmvi NOOP\r\n" :
		    "mvs STARTTLS\r\n";
		break;
	default:
		cmd = d->p.inject ? "STARTTLS\r\nNOOP\r\n" : "STARTTLS\r\n";
		break;
	}
	d->stage = TD_STARTTLS;
	td_send(d, cmd, "the answer to STARTTLS");
}

static void
td_send_caps(struct tls_dialog *d)
{
	char cmd[300];

	d->stage = TD_CAPS;
	switch (d->p.proto) {
	case TLS_DIALOG_POP3:
		td_send(d, "CAPA\r\n", "the answer to CAPA");
		return;
	case TLS_DIALOG_IMAP:
		td_send(d, "mvc CAPABILITY\r\n", "the answer to CAPABILITY");
		return;
	default:
		snprintf(cmd, sizeof(cmd), "%s %s\r\n",
		    d->p.proto == TLS_DIALOG_LMTP ? "LHLO" : "EHLO",
		    d->p.helo_name ? d->p.helo_name : "localhost");
		td_send(d, cmd, "the answer to EHLO");
		return;
	}
}

/* A complete response in d->resp, for the current stage. */
static void
td_response(struct tls_dialog *d, size_t leftover)
{
	struct tls_dialog_result *r = d->res;

	switch (d->stage) {
	case TD_GREETING:
		td_copy_line(r->greeting, sizeof(r->greeting),
		    buf_cstr(&d->resp));
		if (!td_positive(d)) {
			td_fail(d, MV_ERR_REJECTED, "the server's greeting "
			    "refused the session");
			return;
		}
		if (r->tls_active) { /* implicit TLS */
			d->stage = TD_POST;
			td_send(d, td_quit_command(d), "the answer to QUIT");
			return;
		}
		if (d->p.proto == TLS_DIALOG_SIEVE) {
			td_parse_caps(d);
			td_decide_starttls(d);
			return;
		}
		td_send_caps(d);
		return;
	case TD_CAPS:
		if (td_positive(d))
			td_parse_caps(d);
		if (d->p.mail_before_tls && td_is_smtp(d)) {
			d->stage = TD_MAIL;
			td_send(d, "MAIL FROM:<>\r\n", "the answer to MAIL");
			return;
		}
		td_decide_starttls(d);
		return;
	case TD_MAIL:
		r->mail_code = td_smtp_code(buf_cstr(&d->resp), d->resp.len);
		td_copy_line(r->mail_reply, sizeof(r->mail_reply),
		    buf_cstr(&d->resp));
		d->stage = TD_RSET;
		td_send(d, "RSET\r\n", "the answer to RSET");
		return;
	case TD_RSET:
		td_decide_starttls(d);
		return;
	case TD_STARTTLS:
		td_copy_line(r->starttls_reply, sizeof(r->starttls_reply),
		    buf_cstr(&d->resp));
		if (!td_positive(d)) {
			r->starttls_code = -1;
			mv_error_set(&r->err, MV_ERR_REJECTED, "the server "
			    "refused %s: %s", d->p.proto == TLS_DIALOG_POP3 ?
			    "STLS" : "STARTTLS", r->starttls_reply);
			td_quit_plain(d);
			return;
		}
		r->starttls_code = 1;
		if (leftover) {
			char extra[200];

			td_copy_line(extra, sizeof(extra), d->in.data ?
			    buf_cstr(&d->in) : "");
			snprintf(r->pre_tls_extra, sizeof(r->pre_tls_extra),
			    "%s", extra);
			if (!d->p.inject) {
				mv_error_set(&r->err, MV_ERR_PROTOCOL, "the "
				    "server sent plaintext after its go-ahead "
				    "for TLS (%s); a man in the middle may be "
				    "injecting data", extra);
				td_finish(d);
				return;
			}
		}
		buf_reset(&d->in);
		d->stage = TD_HANDSHAKE;
		if (conn_starttls(d->conn) == -1) {
			mv_error_set(&r->err, MV_ERR_INTERNAL, "cannot start "
			    "TLS");
			td_finish(d);
		}
		return;
	case TD_QUITPLAIN:
		td_finish(d);
		return;
	default:
		return;
	}
}

/* After the handshake: keep every line for the injection test and stop
 * when the closing command has clearly been answered. */
static void
td_post_line(struct tls_dialog *d, const char *line, size_t len)
{
	struct tls_dialog_result *r = d->res;
	int end = 0;

	if (r->post_tls.len + len + 1 <= r->post_tls.max) {
		buf_append(&r->post_tls, line, len);
		buf_append(&r->post_tls, "\n", 1);
	}
	switch (d->p.proto) {
	case TLS_DIALOG_SMTP:
	case TLS_DIALOG_LMTP:
		end = td_smtp_code(line, len) == 221 && (len == 3 ||
		    line[3] == ' ');
		break;
	case TLS_DIALOG_IMAP:
		end = td_starts(line, "mvq ");
		break;
	case TLS_DIALOG_POP3:
		/* With the pipelined CAPA pending, only the close tells;
		 * a server that answers QUIT but keeps the connection open
		 * gets a short wait, not the whole command timeout: a
		 * vulnerable one has sent CAPA's lines before QUIT's. */
		end = !d->p.inject;
		if (!end)
			conn_set_timeout(d->conn, TD_POST_WAIT_MS,
			    "the server to close after QUIT");
		break;
	case TLS_DIALOG_SIEVE:
		if (td_starts(line, "OK") || td_starts(line, "NO") ||
		    td_starts(line, "BYE"))
			d->post_finals++;
		end = !d->p.inject && d->post_finals >= 2;
		break;
	}
	if (end) {
		r->closed_cleanly = 1;
		td_finish(d);
	}
}

/* Frame the lines in d->in and act on them. */
static void
td_frame(struct tls_dialog *d)
{
	while (d->stage != TD_DONE && d->stage != TD_HANDSHAKE) {
		char *nl = memchr(d->in.data, '\n', d->in.len);
		size_t n, used;
		char line[TD_LINE_MAX + 1];

		if (nl == NULL) {
			if (d->in.len > TD_LINE_MAX) {
				mv_error_set(&d->res->err, MV_ERR_PROTOCOL,
				    "the server sent a line longer than %d "
				    "bytes", TD_LINE_MAX);
				td_finish(d);
			}
			return;
		}
		used = (size_t)(nl - d->in.data) + 1;
		n = used - 1;
		if (n > 0 && d->in.data[n - 1] == '\r')
			n--;
		if (n > TD_LINE_MAX)
			n = TD_LINE_MAX;
		memcpy(line, d->in.data, n);
		line[n] = '\0';
		buf_consume(&d->in, used);
		if (d->tr)
			transcript_add(d->tr, TR_SERVER, line, n);
		if (memchr(line, '\0', n) != NULL) {
			mv_error_set(&d->res->err, MV_ERR_PROTOCOL, "the "
			    "server sent a NUL byte: not a mail protocol "
			    "reply");
			td_finish(d);
			return;
		}
		if (d->stage == TD_POST) {
			td_post_line(d, line, n);
			continue;
		}
		if (d->resp_lines == 0)
			buf_reset(&d->resp);
		if (buf_append(&d->resp, line, n) == -1 ||
		    buf_append(&d->resp, "\n", 1) == -1) {
			mv_error_set(&d->res->err, MV_ERR_PROTOCOL, "the "
			    "server's response is longer than %u bytes",
			    TD_RESP_MAX);
			td_finish(d);
			return;
		}
		d->resp_lines++;
		if (td_is_smtp(d) && !td_smtp_code(line, n)) {
			mv_error_set(&d->res->err, MV_ERR_PROTOCOL, "the "
			    "server did not answer with an SMTP reply: %.200s",
			    line);
			td_finish(d);
			return;
		}
		if (!td_is_final(d, line, n))
			continue;
		d->resp_lines = 0;
		td_response(d, d->in.len);
	}
}

static void
td_on_read(struct conn *c, const char *data, size_t len, void *arg)
{
	struct tls_dialog *d = arg;

	(void)c;
	/* One read may hold far more than the buffer (thousands of short
	 * lines in a burst): take it in pieces, framing lines as they
	 * come, so that only a real overlong line or response is an
	 * error. */
	while (len > 0 && d->stage != TD_DONE) {
		size_t room = d->in.max - d->in.len;
		size_t k = len < room ? len : room;

		if (k == 0 || buf_append(&d->in, data, k) == -1) {
			mv_error_set(&d->res->err, MV_ERR_PROTOCOL, "the "
			    "server sent more than %u KiB that mailvet could "
			    "not read as lines", TD_RESP_MAX / 1024);
			td_finish(d);
			return;
		}
		data += k;
		len -= k;
		if (d->stage == TD_HANDSHAKE)
			return; /* plaintext after the go-ahead: recorded */
		td_frame(d);
	}
}

static void
td_on_ready(struct conn *c, void *arg)
{
	struct tls_dialog *d = arg;
	const struct tls_info *ti;

	d->res->connected = 1;
	snprintf(d->res->peer, sizeof(d->res->peer), "%s", conn_peer(c));
	if (d->p.implicit && (ti = conn_tls_info(c)) != NULL) {
		d->res->tls_active = 1;
		d->res->tls = *ti;
		d->res->tls_ms = (double)conn_timings(c)->tls_us / 1000.0;
	}
	d->stage = TD_GREETING;
	conn_set_timeout(c, d->p.greeting_timeout_ms ?
	    d->p.greeting_timeout_ms : 30000, "the greeting");
}

static void
td_on_tls(struct conn *c, void *arg)
{
	struct tls_dialog *d = arg;
	const struct tls_info *ti = conn_tls_info(c);

	if (ti != NULL) {
		d->res->tls_active = 1;
		d->res->tls = *ti;
		d->res->tls_ms = (double)conn_timings(c)->tls_us / 1000.0;
	}
	d->stage = TD_POST;
	d->post_finals = 0;
	td_send(d, td_quit_command(d), "the answer to QUIT");
}

/* The implicit-TLS port a silent plaintext greeting may really be;
 * NULL where the protocol has none. */
static const char *
td_implicit_hint(const struct tls_dialog *d)
{
	switch (d->p.proto) {
	case TLS_DIALOG_SMTP:
		return "465 does, use smtps://";
	case TLS_DIALOG_POP3:
		return "995 does, use pop3s://";
	case TLS_DIALOG_IMAP:
		return "993 does, use imaps://";
	default:
		return NULL;
	}
}

static void
td_on_error(struct conn *c, const struct mv_error *err, void *arg)
{
	struct tls_dialog *d = arg;

	if (d->stage == TD_POST || d->stage == TD_QUITPLAIN) {
		/* The session's point was made before this. */
		if (d->tr)
			transcript_addf(d->tr, TR_INFO, "%s", err->msg);
		td_finish(d);
		return;
	}
	if (!d->res->connected && conn_peer(c)[0] != '\0') {
		d->res->connected = 1;
		snprintf(d->res->peer, sizeof(d->res->peer), "%s",
		    conn_peer(c));
	}
	d->res->err = *err;
	/* Same words as the protocol clients for a silent greeting. */
	if (d->stage == TD_GREETING && err->cat == MV_ERR_TIMEOUT &&
	    td_implicit_hint(d) != NULL)
		session_explain_error(err, 1, d->p.implicit, 0,
		    td_implicit_hint(d), "a reply", &d->res->err);
	/* The injection test: a server that answers the pipelined command
	 * in plaintext after its go-ahead, in a later segment, makes the
	 * handshake fail on that text (net/tls.c quotes it). */
	if (d->p.inject && d->stage == TD_HANDSHAKE &&
	    d->res->pre_tls_extra[0] == '\0')
		(void)tls_plaintext_answer(err->msg, d->res->pre_tls_extra,
		    sizeof(d->res->pre_tls_extra));
	d->res->err_in_tls = err->cat == MV_ERR_TLS ||
	    d->stage == TD_HANDSHAKE || (d->p.implicit &&
	    !d->res->tls_active && d->res->connected);
	td_finish(d);
}

struct tls_dialog *
tls_dialog_start(uv_loop_t *loop, const struct conn_params *cp,
    const struct tls_dialog_params *p, struct tls_dialog_result *res,
    tls_dialog_done_cb on_done, void *arg, struct mv_error *err)
{
	static const struct conn_callbacks cb = {
		.on_ready = td_on_ready,
		.on_read = td_on_read,
		.on_tls = td_on_tls,
		.on_error = td_on_error,
	};
	struct tls_dialog *d;

	memset(res, 0, sizeof(*res));
	buf_init(&res->post_tls, TLS_DIALOG_POST_MAX);
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	d->p = *p;
	d->res = res;
	d->tr = cp->tr;
	d->on_done = on_done;
	d->arg = arg;
	buf_init(&d->in, TD_RESP_MAX);
	buf_init(&d->resp, TD_RESP_MAX);
	if ((d->conn = conn_new(loop, cp, &cb, d, err)) == NULL) {
		tls_dialog_free(d);
		return NULL;
	}
	if (conn_start(d->conn, err) == -1) {
		tls_dialog_free(d);
		return NULL;
	}
	return d;
}

void
tls_dialog_abort(struct tls_dialog *d, const struct mv_error *err)
{
	if (d == NULL || d->stage == TD_DONE)
		return;
	if (d->stage != TD_POST && d->stage != TD_QUITPLAIN) {
		d->res->err = *err;
		d->res->err_in_tls = 0;
	}
	td_finish(d);
}

void
tls_dialog_free(struct tls_dialog *d)
{
	if (d == NULL)
		return;
	conn_close(d->conn);
	buf_free(&d->in);
	buf_free(&d->resp);
	free(d);
}

void
tls_dialog_result_free(struct tls_dialog_result *r)
{
	if (r != NULL)
		buf_free(&r->post_tls);
}

/* The line as evidence: control bytes (NUL included) become '?'. */
static void
td_evidence(char *out, size_t outsz, const char *line, size_t n)
{
	size_t i;

	if (outsz == 0)
		return;
	for (i = 0; i < n && i + 1 < outsz; i++) {
		unsigned char ch = (unsigned char)line[i];

		out[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	out[i] = '\0';
}

int
tls_dialog_injection_answered(enum tls_dialog_proto proto, const char *post,
    size_t len, char *evidence, size_t evsz)
{
	size_t off = 0, lines = 0, finals = 0;

	evidence[0] = '\0';
	while (off < len) {
		const char *line = post + off;
		const char *nl = memchr(line, '\n', len - off);
		size_t n = nl ? (size_t)(nl - line) : len - off;

		off += n + (nl != NULL);
		if (n == 0)
			continue;
		lines++;
		switch (proto) {
		case TLS_DIALOG_SMTP:
		case TLS_DIALOG_LMTP:
			/* QUIT's 221 must be the first reply. */
			if (lines == 1 && td_smtp_code(line, n) != 221) {
				td_evidence(evidence, evsz, line, n);
				return 1;
			}
			break;
		case TLS_DIALOG_IMAP:
			if (n > 4 && strncasecmp(line, "mvi ", 4) == 0) {
				td_evidence(evidence, evsz, line, n);
				return 1;
			}
			break;
		case TLS_DIALOG_POP3:
			/* QUIT is answered by one line; the pipelined CAPA
			 * would add a multi-line answer before it. */
			if (lines == 1)
				td_evidence(evidence, evsz, line, n);
			if (lines == 2)
				return 1;
			break;
		case TLS_DIALOG_SIEVE:
			if (n >= 2 && (strncasecmp(line, "OK", 2) == 0 ||
			    strncasecmp(line, "NO", 2) == 0 ||
			    (n >= 3 && strncasecmp(line, "BYE", 3) == 0)))
				finals++;
			if (finals == 3) {
				td_evidence(evidence, evsz, line, n);
				return 1;
			}
			break;
		}
	}
	evidence[0] = '\0';
	return 0;
}
