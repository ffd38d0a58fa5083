/*
 * connect_session.c - negotiation, then a byte relay, for `mailvet
 * connect` (see connect_session.h).  Reply boundaries come from the
 * pure helpers of ports_identify.c, which know where an SMTP, POP3,
 * IMAP reply ends.
 */
#include "check/connect_session.h"

#include "check/ports_identify.h"
#include "core/buf.h"
#include "proto/session.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CONNECT_DEFAULT_TIMEOUT_MS 60000

enum cs_step {
	CS_CONNECT, CS_GREETING, CS_CAPS, CS_STARTTLS, CS_CAPS_TLS, CS_READY,
	CS_DONE,
};

struct connect_session {
	struct conn *c;
	struct conn_params cp;
	struct connect_params p;
	struct connect_callbacks cb;
	void *arg;
	enum cs_step step;
	struct buf in;
	int depth, closed, tls_reported;
	char helo[256];
};

static void
cs_maybe_free(struct connect_session *s)
{
	if (s->closed && s->depth == 0) {
		buf_free(&s->in);
		free(s);
	}
}

static void
cs_end(struct connect_session *s, const struct mv_error *err)
{
	if (s->step == CS_DONE || s->closed)
		return;
	s->step = CS_DONE;
	s->cb.on_end(err, s->arg);
}

static void
cs_endf(struct connect_session *s, enum mv_errcat cat, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
cs_endf(struct connect_session *s, enum mv_errcat cat, const char *fmt, ...)
{
	struct mv_error err;
	va_list ap;

	va_start(ap, fmt);
	mv_error_vset(&err, cat, fmt, ap);
	va_end(ap);
	cs_end(s, &err);
}

static enum ports_service
cs_service(const struct connect_session *s)
{
	switch (s->p.proto) {
	case TARGET_PROTO_POP3:
		return PORTS_SVC_POP3;
	case TARGET_PROTO_IMAP:
		return PORTS_SVC_IMAP;
	case TARGET_PROTO_LMTP:
		return PORTS_SVC_LMTP;
	default:
		return PORTS_SVC_SMTP;
	}
}

static const char *
cs_upgrade_name(const struct connect_session *s)
{
	return s->p.proto == TARGET_PROTO_POP3 ? "STLS" : "STARTTLS";
}

static void
cs_send(struct connect_session *s, enum cs_step step, const char *line)
{
	char out[300];
	int n;

	buf_reset(&s->in);
	s->step = step;
	s->cb.on_client(line, s->arg);
	if (s->closed || s->step == CS_DONE)
		return;
	n = snprintf(out, sizeof(out), "%s\r\n", line);
	conn_set_timeout(s->c, s->p.command_timeout_ms, step == CS_STARTTLS ?
	    "the answer to STARTTLS" : "the capabilities");
	if (n > 0 && (size_t)n < sizeof(out))
		(void)conn_write(s->c, out, (size_t)n);
}

static void
cs_ready(struct connect_session *s)
{
	conn_set_timeout(s->c, 0, "");
	buf_free(&s->in);
	s->step = CS_READY;
	s->cb.on_ready(s->arg);
}

static void
cs_send_caps(struct connect_session *s, enum cs_step step)
{
	char line[300];

	switch (s->p.proto) {
	case TARGET_PROTO_POP3:
		cs_send(s, step, "CAPA");
		return;
	case TARGET_PROTO_IMAP:
		cs_send(s, step, step == CS_CAPS ? "a CAPABILITY" :
		    "c CAPABILITY");
		return;
	default:
		snprintf(line, sizeof(line), "%s %s",
		    s->p.proto == TARGET_PROTO_LMTP ? "LHLO" : "EHLO",
		    s->helo);
		cs_send(s, step, line);
	}
}

/* Which reply ends the current step, and its tag (IMAP). */
static enum ports_reply_kind
cs_reply_kind(const struct connect_session *s, const char **tag)
{
	*tag = NULL;
	if (s->p.proto == TARGET_PROTO_SMTP || s->p.proto == TARGET_PROTO_LMTP)
		return PORTS_REPLY_SMTP;
	if (s->step == CS_GREETING)
		return PORTS_REPLY_LINE;
	if (s->p.proto == TARGET_PROTO_POP3)
		return s->step == CS_STARTTLS ? PORTS_REPLY_LINE :
		    PORTS_REPLY_POP3_MULTI;
	*tag = s->step == CS_CAPS ? "a" : s->step == CS_STARTTLS ? "b" : "c";
	return PORTS_REPLY_IMAP_TAGGED;
}

/* Offset just past the reply that completes the step, 0 if none yet. */
static size_t
cs_reply_end(const struct connect_session *s)
{
	const char *tag, *p = s->in.data;
	enum ports_reply_kind k = cs_reply_kind(s, &tag);
	size_t off = 0;
	const char *nl;

	while (off < s->in.len && (nl = memchr(p + off, '\n',
	    s->in.len - off)) != NULL) {
		off = (size_t)(nl - p) + 1;
		if (ports_reply_complete(k, tag, p, off))
			return off;
	}
	return 0;
}

/* The go-ahead for the upgrade, judged from the last line. */
static int
cs_upgrade_ok(const struct connect_session *s, size_t end)
{
	const char *p = s->in.data, *last = p;
	size_t i;

	for (i = 0; i + 1 < end; i++)
		if (p[i] == '\n')
			last = p + i + 1;
	switch (s->p.proto) {
	case TARGET_PROTO_POP3:
		return strncmp(last, "+OK", 3) == 0;
	case TARGET_PROTO_IMAP:
		/* The tag is ours and exact; "OK" is case-insensitive
		 * (RFC 9051 section 9, RFC 3501 section 9). */
		return end - (size_t)(last - p) >= 5 &&
		    strncmp(last, "b ", 2) == 0 &&
		    strncasecmp(last + 2, "OK", 2) == 0 &&
		    (last[4] == ' ' || last[4] == '\r' || last[4] == '\n');
	default:
		return ports_smtp_code(p, end) == 220;
	}
}

static void
cs_after_caps(struct connect_session *s)
{
	int offered = ports_caps_starttls(cs_service(s), s->in.data,
	    s->in.len);
	char note[160];

	if (conn_tls_active(s->c)) {
		cs_ready(s);
		return;
	}
	if (offered && s->p.tls_policy != TLS_POLICY_OFF) {
		cs_send(s, CS_STARTTLS, s->p.proto == TARGET_PROTO_POP3 ?
		    "STLS" : s->p.proto == TARGET_PROTO_IMAP ? "b STARTTLS" :
		    "STARTTLS");
		return;
	}
	if (!offered && s->p.tls_policy == TLS_POLICY_REQUIRED) {
		cs_endf(s, MV_ERR_LACKS_FEATURE, "the server does not offer "
		    "%s, and --tls required refuses to go on in plaintext",
		    cs_upgrade_name(s));
		return;
	}
	snprintf(note, sizeof(note), offered ? "%s offered, not used "
	    "(--tls off): the session is in plaintext" : "%s not offered: "
	    "the session is in plaintext", cs_upgrade_name(s));
	s->cb.on_note(note, s->arg);
	if (!s->closed && s->step != CS_DONE)
		cs_ready(s);
}

static void
cs_after_starttls(struct connect_session *s, size_t end)
{
	char note[160];

	if (!cs_upgrade_ok(s, end)) {
		if (s->p.tls_policy == TLS_POLICY_REQUIRED) {
			cs_endf(s, MV_ERR_REJECTED, "the server refused %s "
			    "(--tls required)", cs_upgrade_name(s));
			return;
		}
		snprintf(note, sizeof(note), "the server refused %s: the "
		    "session stays in plaintext", cs_upgrade_name(s));
		s->cb.on_note(note, s->arg);
		if (!s->closed && s->step != CS_DONE)
			cs_ready(s);
		return;
	}
	if (end != s->in.len) {
		cs_endf(s, MV_ERR_PROTOCOL, "the server sent %zu plaintext "
		    "bytes after its go-ahead for %s (STARTTLS injection?); "
		    "refusing to upgrade", s->in.len - end, cs_upgrade_name(s));
		return;
	}
	buf_reset(&s->in);
	if (conn_starttls(s->c) == -1)
		cs_endf(s, MV_ERR_TLS, "cannot start the TLS handshake");
}

static void
cs_process(struct connect_session *s)
{
	size_t end = cs_reply_end(s);

	if (end == 0)
		return;
	switch (s->step) {
	case CS_GREETING:
		cs_send_caps(s, CS_CAPS);
		break;
	case CS_CAPS:
		cs_after_caps(s);
		break;
	case CS_STARTTLS:
		cs_after_starttls(s, end);
		break;
	case CS_CAPS_TLS:
		cs_ready(s);
		break;
	default:
		break;
	}
}

static void
cs_report_tls(struct connect_session *s, int implicit)
{
	const struct tls_info *ti = conn_tls_info(s->c);

	if (ti == NULL || s->tls_reported)
		return;
	s->tls_reported = 1;
	s->cb.on_tls(ti, implicit, s->arg);
}

static void
cs_on_ready(struct conn *c, void *arg)
{
	struct connect_session *s = arg;

	s->depth++;
	s->cb.on_connected(conn_peer(c), conn_local(c), s->arg);
	if (!s->closed && s->cp.target->implicit_tls)
		cs_report_tls(s, 1);
	if (!s->closed && s->step != CS_DONE) {
		s->step = CS_GREETING;
		conn_set_timeout(c, s->p.greeting_timeout_ms, "the greeting");
	}
	s->depth--;
	cs_maybe_free(s);
}

static void
cs_on_tls(struct conn *c, void *arg)
{
	struct connect_session *s = arg;

	(void)c;
	s->depth++;
	cs_report_tls(s, 0);
	if (!s->closed && s->step != CS_DONE)
		cs_send_caps(s, CS_CAPS_TLS);
	s->depth--;
	cs_maybe_free(s);
}

static void
cs_on_read(struct conn *c, const char *data, size_t len, void *arg)
{
	struct connect_session *s = arg;

	(void)c;
	s->depth++;
	s->cb.on_server(data, len, s->arg);
	if (!s->closed && s->step != CS_READY && s->step != CS_DONE) {
		if (buf_append(&s->in, data, len) == -1)
			cs_endf(s, MV_ERR_PROTOCOL, "the server's reply is "
			    "longer than %d bytes", CONNECT_NEGOTIATION_MAX);
		else
			cs_process(s);
	}
	s->depth--;
	cs_maybe_free(s);
}

/* The implicit-TLS port a silent plaintext greeting may really be;
 * NULL where the protocol has none (LMTP). */
static const char *
cs_implicit_hint(const struct connect_session *s)
{
	switch (s->p.proto) {
	case TARGET_PROTO_SMTP:
		return "465 does, use smtps://";
	case TARGET_PROTO_POP3:
		return "995 does, use pop3s://";
	case TARGET_PROTO_IMAP:
		return "993 does, use imaps://";
	default:
		return NULL;
	}
}

static void
cs_on_error(struct conn *c, const struct mv_error *err, void *arg)
{
	struct connect_session *s = arg;
	struct mv_error e = *err;

	s->depth++;
	/* Same words as the protocol clients for a silent greeting. */
	if (s->step == CS_GREETING && err->cat == MV_ERR_TIMEOUT &&
	    cs_implicit_hint(s) != NULL)
		session_explain_error(err, 1, s->cp.target->implicit_tls, 0,
		    cs_implicit_hint(s), "a reply", &e);
	if (s->step == CS_CONNECT && conn_peer(c)[0])
		s->cb.on_connected(conn_peer(c), conn_local(c), s->arg);
	if (!s->closed)
		cs_report_tls(s, s->cp.target->implicit_tls);
	cs_end(s, &e);
	s->depth--;
	cs_maybe_free(s);
}

static const struct conn_callbacks cs_conn_callbacks = {
	.on_ready = cs_on_ready,
	.on_read = cs_on_read,
	.on_tls = cs_on_tls,
	.on_error = cs_on_error,
};

struct connect_session *
connect_session_start(uv_loop_t *loop, const struct conn_params *cp,
    const struct connect_params *p, const struct connect_callbacks *cb,
    void *arg, struct mv_error *err)
{
	struct connect_session *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	s->cp = *cp;
	s->p = *p;
	if (s->p.greeting_timeout_ms == 0)
		s->p.greeting_timeout_ms = CONNECT_DEFAULT_TIMEOUT_MS;
	if (s->p.command_timeout_ms == 0)
		s->p.command_timeout_ms = CONNECT_DEFAULT_TIMEOUT_MS;
	snprintf(s->helo, sizeof(s->helo), "%s", p->helo_name &&
	    p->helo_name[0] ? p->helo_name : "localhost");
	s->cb = *cb;
	s->arg = arg;
	buf_init(&s->in, CONNECT_NEGOTIATION_MAX);
	if ((s->c = conn_new(loop, &s->cp, &cs_conn_callbacks, s,
	    err)) == NULL) {
		buf_free(&s->in);
		free(s);
		return NULL;
	}
	if (conn_start(s->c, err) == -1) {
		conn_close(s->c);
		buf_free(&s->in);
		free(s);
		return NULL;
	}
	return s;
}

int
connect_session_send_line(struct connect_session *s, const char *line,
    size_t len)
{
	char *out;
	int r;

	if (s == NULL || s->closed || s->step != CS_READY ||
	    len > CONNECT_NEGOTIATION_MAX || (out = malloc(len + 2)) == NULL)
		return -1;
	/* One write per line: one TCP segment, one TLS record. */
	memcpy(out, line, len);
	memcpy(out + len, "\r\n", 2);
	r = conn_write(s->c, out, len + 2);
	free(out);
	return r;
}

void
connect_session_close(struct connect_session *s)
{
	if (s == NULL || s->closed)
		return;
	s->closed = 1;
	conn_close(s->c);
	s->c = NULL;
	cs_maybe_free(s);
}
