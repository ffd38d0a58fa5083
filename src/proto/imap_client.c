/*
 * imap_client.c - event-driven IMAP4 client engine (RFC 9051 / 3501,
 * STARTTLS and LOGINDISABLED RFC 2595, SASL-IR RFC 4959, LITERAL+/-
 * RFC 7888, UIDPLUS RFC 4315, UNSELECT RFC 3691); see imap_client.h.
 *
 * The session is a state machine driven by complete responses from the
 * incremental reader.  One command is in flight at a time, tagged a1,
 * a2, ...; untagged responses may come at any moment and are taken
 * wherever they arrive (EXISTS, EXPUNGE, CAPABILITY, BYE).  What to do
 * next is decided in one place, imap_next(), from what has been done,
 * so that every path (capabilities in the greeting or not, STARTTLS,
 * PREAUTH, capabilities in the login reply or not) takes the same road.
 *
 * Arguments that cannot be quoted go as literals: "{n+}" when LITERAL+
 * (or LITERAL- for small ones) is advertised, else "{n}", and then the
 * command is sent in parts, each after the server's "+".
 *
 * Errors: a refusal (NO, BAD, a missing capability: the dialog is still
 * in step) ends with a polite LOGOUT; protocol violations, timeouts,
 * lost connections and a BYE the server volunteers end the session at
 * once.  Either way on_done runs once with res->err set.
 */
#include "proto/imap_client.h"
#include "proto/session.h"

#include "core/buf.h"
#include "core/clock.h"
#include "proto/sasl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define IMAP_DEFAULT_GREETING_MS 60000
#define IMAP_DEFAULT_COMMAND_MS  60000
/* A command and its arguments; user input only, but still bounded. */
#define IMAP_CMD_MAX             (64 * 1024)
/* LOGIN user pass, SEARCH name value: at most two literals, so three
 * parts; one spare. */
#define IMAP_CMD_PARTS           4
/* RFC 7888 3: LITERAL- allows non-synchronizing literals up to 4096. */
#define IMAP_LITERAL_MINUS_MAX   4096
#define IMAP_SASL_MAX            16384
/* Room in a response for what surrounds the FETCH literal. */
#define IMAP_RESPONSE_SLACK      (1024 * 1024)

enum imap_state {
	ST_CONNECTING,
	ST_GREETING,
	ST_READY,        /* greeted, no command in flight yet */
	ST_CAPABILITY,
	ST_STARTTLS,
	ST_TLS,
	ST_LOGIN,
	ST_AUTHENTICATE,
	ST_SELECT,
	ST_SEARCH,
	ST_FETCH,
	ST_STORE,
	ST_EXPUNGE,
	ST_CLOSE,
	ST_LOGOUT,
	ST_DONE,
};

struct imap_client {
	struct conn *conn;
	const struct imap_client_params *p;
	struct imap_client_result *r;
	struct transcript *tr;
	imap_client_done_cb on_done;
	void *arg;
	struct imap_reader reader;
	struct imap_response resp;
	enum imap_state st;
	unsigned tagn;
	char tag[16];           /* of the command in flight; "" if none */
	/* The command in flight, wire form and transcript form, cut into
	 * parts: every part but the last ends in a synchronizing literal's
	 * "{n}" and is followed by the server's "+". */
	struct buf cmd, shown;
	size_t cmd_end[IMAP_CMD_PARTS], shown_end[IMAP_CMD_PARTS];
	size_t nparts, part_next;
	int cmd_overflow;
	const char *what;       /* what the command's reply is, for timeouts */
	struct sasl_client *sasl;
	int sasl_started;       /* the mechanism has produced something */
	int sasl_done;          /* the mechanism is complete on our side */
	int sasl_cancelled;     /* "*" sent; fail with sasl_err on the reply */
	struct mv_error sasl_err;
	int preauth;
	int authed;
	int starttls_refused;
	int tls_noted;          /* plaintext continuation already explained */
	int caps_seen;          /* CAPABILITY responses since the command */
	int caps_timed;         /* this CAPABILITY is the phase measured */
	int caps_after_auth;    /* r->caps describe the authenticated state */
	int search_done, fetch_done, fetch_got, store_done, expunge_done;
	int close_done;
	int bye_seen;
	int dead;               /* the connection failed: no LOGOUT */
	const char *close_verb; /* "CLOSE" or "UNSELECT" */
	struct session_timing timing;
	int finished;
};

static const char *const imap_phase_names[IMAP_PHASE_COUNT] = {
	"connect", "tls", "greeting", "capability", "starttls", "auth",
	"select", "search", "fetch", "delete", "close", "logout",
};

static const char *const imap_cond_names[] = {
	"", "OK", "NO", "BAD", "PREAUTH", "BYE",
};

const char *
imap_phase_name(enum imap_phase ph)
{
	return ph < IMAP_PHASE_COUNT ? imap_phase_names[ph] : "done";
}

static void imap_next(struct imap_client *s);
static void imap_logout(struct imap_client *s);

/* --- results ------------------------------------------------------ */

static void
status_free(struct imap_status_copy *c)
{
	free(c->code_arg);
	free(c->text);
	memset(c, 0, sizeof(*c));
}

static char *
status_strdup(const char *s)
{
	size_t n = strlen(s);
	char *d = malloc(n + 1);

	if (d != NULL)
		memcpy(d, s, n + 1);
	return d;
}

static void
status_copy(struct imap_status_copy *dst, const struct imap_response *rp)
{
	status_free(dst);
	dst->seen = 1;
	dst->cond = rp->cond;
	snprintf(dst->code, sizeof(dst->code), "%s", rp->code);
	dst->code_arg = status_strdup(rp->code_arg);
	dst->text = status_strdup(rp->kind == IMAP_UNTAGGED &&
	    rp->cond == IMAP_COND_NONE ? rp->rest : rp->text);
}

/* The status as one line for messages: "NO [AUTHENTICATIONFAILED]
 * Authentication failed." */
static const char *
status_summary(const struct imap_status_copy *c, char *out, size_t outsz)
{
	const char *arg = c->code_arg ? c->code_arg : "";
	const char *text = c->text ? c->text : "";

	snprintf(out, outsz, "%s%s%s%s%.100s%s%s%.300s",
	    imap_cond_names[c->cond], c->code[0] ? " [" : "", c->code,
	    c->code[0] && arg[0] ? " " : "", c->code[0] ? arg : "",
	    c->code[0] ? "]" : "", text[0] ? " " : "", text);
	return out;
}

void
imap_client_result_free(struct imap_client_result *r)
{
	if (r == NULL)
		return;
	status_free(&r->greeting);
	status_free(&r->starttls);
	status_free(&r->auth);
	status_free(&r->select);
	status_free(&r->last);
	buf_free(&r->message);
}

/* --- finishing ---------------------------------------------------- */

static void
imap_finish(struct imap_client *s)
{
	struct imap_client_result *r = s->r;

	if (s->finished)
		return;
	s->finished = 1;
	s->st = ST_DONE;
	r->total_us = session_elapsed_us(&s->timing);
	session_close(&s->conn, r->peer, sizeof(r->peer), r->local,
	    sizeof(r->local));
	s->on_done(s, s->arg);
}

static enum imap_phase
imap_current_phase(const struct imap_client *s)
{
	switch (s->st) {
	case ST_CONNECTING:
		return IMAP_PHASE_CONNECT;
	case ST_GREETING:
	case ST_READY:
		return IMAP_PHASE_GREETING;
	case ST_CAPABILITY:
		return IMAP_PHASE_CAPABILITY;
	case ST_STARTTLS:
		return IMAP_PHASE_STARTTLS;
	case ST_TLS:
		return IMAP_PHASE_TLS;
	case ST_LOGIN:
	case ST_AUTHENTICATE:
		return IMAP_PHASE_AUTH;
	case ST_SELECT:
		return IMAP_PHASE_SELECT;
	case ST_SEARCH:
		return IMAP_PHASE_SEARCH;
	case ST_FETCH:
		return IMAP_PHASE_FETCH;
	case ST_STORE:
	case ST_EXPUNGE:
		return IMAP_PHASE_DELETE;
	case ST_CLOSE:
		return IMAP_PHASE_CLOSE;
	case ST_LOGOUT:
	case ST_DONE:
		return IMAP_PHASE_LOGOUT;
	}
	return IMAP_PHASE_LOGOUT;
}

/* Record the first error; end at once, or politely when the dialog is
 * still in step (a refusal, nothing in flight). */
static void
imap_fail_err(struct imap_client *s, enum imap_phase ph,
    const struct mv_error *err)
{
	if (s->r->err.cat == MV_ERR_NONE) {
		s->r->err = *err;
		s->r->failed_phase = ph;
	}
	if (s->tr)
		transcript_addf(s->tr, TR_ERROR, "%s", err->msg);
	if ((err->cat == MV_ERR_REJECTED || err->cat == MV_ERR_LACKS_FEATURE ||
		err->cat == MV_ERR_USAGE) &&
	    s->conn && !s->dead && s->tag[0] == '\0' &&
	    s->st != ST_CONNECTING &&
	    s->st != ST_GREETING && s->st != ST_TLS && s->st != ST_LOGOUT &&
	    s->st != ST_DONE) {
		imap_logout(s);
		return;
	}
	imap_finish(s);
}

static void
imap_fail(struct imap_client *s, enum imap_phase ph, enum mv_errcat cat,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
imap_fail(struct imap_client *s, enum imap_phase ph, enum mv_errcat cat,
    const char *fmt, ...)
{
	struct mv_error err;
	va_list ap;

	va_start(ap, fmt);
	mv_error_vset(&err, cat, fmt, ap);
	va_end(ap);
	imap_fail_err(s, ph, &err);
}

/* --- sending ------------------------------------------------------ */

/* Arm the reply deadline; zero means the default, never "forever". */
static void
imap_expect(struct imap_client *s, uint64_t ms, const char *what)
{
	if (s->conn)
		conn_set_timeout(s->conn, ms ? ms : IMAP_DEFAULT_COMMAND_MS,
		    what);
}

static void
imap_cmd_add(struct imap_client *s, struct buf *b, const void *p, size_t n)
{
	if (buf_append(b, p, n) == -1)
		s->cmd_overflow = 1;
}

/* Start a command: a new tag, then the verb (and fixed arguments). */
static void
imap_cmd_begin(struct imap_client *s, const char *verb, const char *what)
{
	s->tagn++;
	snprintf(s->tag, sizeof(s->tag), "a%u", s->tagn);
	buf_reset(&s->cmd);
	buf_reset(&s->shown);
	s->nparts = s->part_next = 0;
	s->cmd_overflow = 0;
	s->what = what;
	imap_cmd_add(s, &s->cmd, s->tag, strlen(s->tag));
	imap_cmd_add(s, &s->shown, s->tag, strlen(s->tag));
	imap_cmd_add(s, &s->cmd, " ", 1);
	imap_cmd_add(s, &s->shown, " ", 1);
	imap_cmd_add(s, &s->cmd, verb, strlen(verb));
	imap_cmd_add(s, &s->shown, verb, strlen(verb));
}

/* " text" as it is, for atoms and numbers we made ourselves. */
static void
imap_cmd_atom(struct imap_client *s, const char *text)
{
	imap_cmd_add(s, &s->cmd, " ", 1);
	imap_cmd_add(s, &s->shown, " ", 1);
	imap_cmd_add(s, &s->cmd, text, strlen(text));
	imap_cmd_add(s, &s->shown, text, strlen(text));
}

static void
imap_cmd_cut(struct imap_client *s)
{
	if (s->nparts == IMAP_CMD_PARTS) {
		s->cmd_overflow = 1;
		return;
	}
	s->cmd_end[s->nparts] = s->cmd.len;
	s->shown_end[s->nparts] = s->shown.len;
	s->nparts++;
}

/* An astring argument: quoted when it can be, else a literal.  A
 * secret shows as "<redacted>" unless show_secrets. */
static void
imap_cmd_string(struct imap_client *s, const char *v, int secret)
{
	unsigned caps = s->r->caps.caps;
	size_t n = strlen(v);
	char lit[40];
	int hide = secret && !s->p->show_secrets, nonsync, rc;

	imap_cmd_add(s, &s->cmd, " ", 1);
	imap_cmd_add(s, &s->shown, " ", 1);
	rc = imap_quote(v, &s->cmd);
	if (rc == 0) {
		if (hide)
			imap_cmd_add(s, &s->shown, "<redacted>", 10);
		else if (imap_quote(v, &s->shown) != 0)
			s->cmd_overflow = 1;
		return;
	}
	if (rc == -1) {
		s->cmd_overflow = 1;
		return;
	}
	nonsync = (caps & IMAP_CAP_LITERAL_PLUS) ||
	    ((caps & IMAP_CAP_LITERAL_MINUS) && n <= IMAP_LITERAL_MINUS_MAX);
	snprintf(lit, sizeof(lit), "{%zu%s}", n, nonsync ? "+" : "");
	imap_cmd_add(s, &s->cmd, lit, strlen(lit));
	imap_cmd_add(s, &s->cmd, "\r\n", 2);
	/* Shown: "{n}" then, after the "+", the bytes; "{n+} bytes" on one
	 * line; a secret is one "<redacted>" per line it is on. */
	if (hide)
		imap_cmd_add(s, &s->shown, "<redacted>", 10);
	else
		imap_cmd_add(s, &s->shown, lit, strlen(lit));
	if (!nonsync) {
		imap_cmd_cut(s);
		if (hide)
			imap_cmd_add(s, &s->shown, "<redacted>", 10);
	} else if (!hide) {
		imap_cmd_add(s, &s->shown, " ", 1);
	}
	imap_cmd_add(s, &s->cmd, v, n);
	if (!hide)
		imap_cmd_add(s, &s->shown, v, n);
}

/* Send the next part of the command and wait for what follows it. */
static void
imap_send_part(struct imap_client *s)
{
	size_t i = s->part_next;
	size_t a = i ? s->cmd_end[i - 1] : 0;
	size_t sa = i ? s->shown_end[i - 1] : 0;

	if (s->conn)
		conn_write(s->conn, s->cmd.data + a, s->cmd_end[i] - a);
	if (s->tr)
		transcript_add(s->tr, TR_CLIENT, s->shown.data + sa,
		    s->shown_end[i] - sa);
	s->part_next++;
	if (s->part_next < s->nparts)
		imap_expect(s, s->p->command_timeout_ms, "the server's "
		    "go-ahead (+) for a literal");
	else
		imap_expect(s, s->p->command_timeout_ms, s->what);
}

static void
imap_cmd_send(struct imap_client *s)
{
	imap_cmd_add(s, &s->cmd, "\r\n", 2);
	imap_cmd_cut(s);
	if (s->cmd_overflow) {
		s->tag[0] = '\0';
		imap_fail(s, imap_current_phase(s), MV_ERR_USAGE, "the "
		    "command would be longer than %d bytes (a user name, "
		    "password, mailbox name or search value is too long)",
		    IMAP_CMD_MAX);
		return;
	}
	imap_send_part(s);
}

/* A line outside the tagged commands: SASL responses, "*". */
static void
imap_send_line(struct imap_client *s, const char *line, const char *shown)
{
	if (s->conn) {
		conn_write(s->conn, line, strlen(line));
		conn_write(s->conn, "\r\n", 2);
	}
	if (s->tr)
		transcript_add(s->tr, TR_CLIENT, shown ? shown : line,
		    strlen(shown ? shown : line));
	imap_expect(s, s->p->command_timeout_ms, s->what);
}

static void
imap_logout(struct imap_client *s)
{
	s->st = ST_LOGOUT;
	session_phase_begin(&s->timing, IMAP_PHASE_LOGOUT);
	imap_cmd_begin(s, "LOGOUT", "the reply to LOGOUT");
	imap_cmd_send(s);
}

/* --- capabilities ------------------------------------------------- */

static void
imap_set_caps(struct imap_client *s, const char *list)
{
	struct imap_client_result *r = s->r;

	imap_caps_parse(list, &r->caps);
	r->have_caps = 1;
	s->caps_seen++;
	if (s->authed)
		s->caps_after_auth = 1;
	/* What a client sees before TLS and before logging in is what an
	 * eavesdropper sees too. */
	if (!r->tls_active && (!s->authed || s->preauth)) {
		r->caps_plain = r->caps;
		r->have_caps_plain = 1;
		r->starttls_offered =
		    (r->caps.caps & IMAP_CAP_STARTTLS) != 0;
		r->logindisabled_plain =
		    (r->caps.caps & IMAP_CAP_LOGINDISABLED) != 0;
	}
}

/* Is name (any case) a word of the capability list?  For capabilities
 * the parser has no bit for. */
static int
imap_caps_has(const struct imap_caps *c, const char *name)
{
	size_t n = strlen(name), w;
	const char *p;

	for (p = c->all; *p != '\0'; p += w) {
		while (*p == ' ')
			p++;
		w = strcspn(p, " ");
		if (w == n && strncasecmp(p, name, n) == 0)
			return 1;
	}
	return 0;
}

static void
imap_send_capability(struct imap_client *s, int timed)
{
	s->st = ST_CAPABILITY;
	s->caps_seen = 0;
	s->caps_timed = timed;
	if (timed)
		session_phase_begin(&s->timing, IMAP_PHASE_CAPABILITY);
	imap_cmd_begin(s, "CAPABILITY", "the reply to CAPABILITY");
	imap_cmd_send(s);
}

static void
imap_on_capability_done(struct imap_client *s, const struct imap_response *rp)
{
	char sum[600];

	if (s->caps_timed)
		session_phase_end(&s->timing, IMAP_PHASE_CAPABILITY);
	if (rp->cond != IMAP_COND_OK) {
		status_copy(&s->r->last, rp);
		imap_fail(s, IMAP_PHASE_CAPABILITY, MV_ERR_REJECTED,
		    "CAPABILITY was refused: %s",
		    status_summary(&s->r->last, sum, sizeof(sum)));
		return;
	}
	if (s->caps_seen == 0) {
		if (strcmp(rp->code, "CAPABILITY") == 0) {
			imap_set_caps(s, rp->code_arg);
		} else {
			imap_set_caps(s, "");
			if (s->tr)
				transcript_addf(s->tr, TR_INFO, "the server "
				    "sent no CAPABILITY response");
		}
	}
	imap_next(s);
}

/* --- STARTTLS ------------------------------------------------------ */

static void
imap_on_starttls_done(struct imap_client *s, const struct imap_response *rp,
    size_t trailing)
{
	struct imap_client_result *r = s->r;
	char sum[600];

	status_copy(&r->starttls, rp);
	session_phase_end(&s->timing, IMAP_PHASE_STARTTLS);
	if (rp->cond == IMAP_COND_OK) {
		if (trailing || imap_reader_pending(&s->reader)) {
			/* Bytes after the OK would be read as if they had
			 * come through TLS: the STARTTLS injection class. */
			imap_fail(s, IMAP_PHASE_STARTTLS, MV_ERR_PROTOCOL,
			    "the server sent %zu bytes of plaintext after its "
			    "OK to STARTTLS; refusing to start TLS over them "
			    "(STARTTLS command injection)", trailing +
			    s->reader.resp.len);
			return;
		}
		s->st = ST_TLS;
		if (s->conn && conn_starttls(s->conn) == -1)
			imap_fail(s, IMAP_PHASE_TLS, MV_ERR_INTERNAL,
			    "cannot start TLS on this connection");
		return;
	}
	if (s->p->tls == TLS_POLICY_REQUIRED) {
		status_copy(&r->last, rp);
		imap_fail(s, IMAP_PHASE_STARTTLS, MV_ERR_REJECTED, "STARTTLS "
		    "was refused and TLS is required: %s",
		    status_summary(&r->starttls, sum, sizeof(sum)));
		return;
	}
	if (s->tr)
		transcript_addf(s->tr, TR_INFO, "STARTTLS refused; continuing "
		    "in plaintext");
	s->starttls_refused = 1;
	imap_next(s);
}

/* STARTTLS when policy and capabilities say so.  Returns 1 when the
 * session went on (a command sent, or a failure), 0 to continue. */
static int
imap_maybe_starttls(struct imap_client *s)
{
	const struct imap_client_params *p = s->p;
	struct imap_client_result *r = s->r;

	if (r->tls_active || p->tls == TLS_POLICY_OFF || s->starttls_refused ||
	    s->tls_noted)
		return 0;
	if (s->preauth) {
		/* RFC 9051 6.2.1: STARTTLS only in the not-authenticated
		 * state. */
		if (p->tls == TLS_POLICY_REQUIRED) {
			imap_fail(s, IMAP_PHASE_STARTTLS, MV_ERR_LACKS_FEATURE,
			    "the server logged the session in before TLS "
			    "(PREAUTH), so STARTTLS is impossible, and TLS is "
			    "required");
			return 1;
		}
		if (s->tr)
			transcript_addf(s->tr, TR_INFO, "the session is "
			    "pre-authenticated (PREAUTH): no STARTTLS; "
			    "continuing in plaintext");
		s->tls_noted = 1;
		return 0;
	}
	if (r->caps.caps & IMAP_CAP_STARTTLS) {
		s->st = ST_STARTTLS;
		session_phase_begin(&s->timing, IMAP_PHASE_STARTTLS);
		imap_cmd_begin(s, "STARTTLS", "the reply to STARTTLS");
		imap_cmd_send(s);
		return 1;
	}
	if (p->tls == TLS_POLICY_REQUIRED) {
		imap_fail(s, IMAP_PHASE_STARTTLS, MV_ERR_LACKS_FEATURE, "the "
		    "server does not offer STARTTLS, and TLS is required "
		    "(--tls required): refusing to continue in plaintext");
		return 1;
	}
	if (s->tr)
		transcript_addf(s->tr, TR_INFO, "the server does not offer "
		    "STARTTLS; continuing in plaintext");
	s->tls_noted = 1;
	return 0;
}

/* --- LOGIN and AUTHENTICATE ---------------------------------------- */

static void
imap_begin_login(struct imap_client *s)
{
	const struct imap_client_params *p = s->p;
	struct imap_client_result *r = s->r;

	snprintf(r->auth_method, sizeof(r->auth_method), "LOGIN");
	if (r->caps.caps & IMAP_CAP_LOGINDISABLED) {
		/* RFC 9051 6.2.3: the client MUST NOT send LOGIN then. */
		if (r->tls_active)
			imap_fail(s, IMAP_PHASE_AUTH, MV_ERR_LACKS_FEATURE,
			    "the server disables LOGIN even over TLS "
			    "(LOGINDISABLED); try AUTHENTICATE (--auth-mech)");
		else if (p->tls == TLS_POLICY_OFF)
			imap_fail(s, IMAP_PHASE_AUTH, MV_ERR_LACKS_FEATURE,
			    "the server disables LOGIN before TLS "
			    "(LOGINDISABLED); use --tls or imaps://");
		else
			imap_fail(s, IMAP_PHASE_AUTH, MV_ERR_LACKS_FEATURE,
			    "the server disables LOGIN before TLS "
			    "(LOGINDISABLED) and %s STARTTLS; try imaps://",
			    s->starttls_refused ? "refused" :
			    "does not offer");
		return;
	}
	s->st = ST_LOGIN;
	session_phase_begin(&s->timing, IMAP_PHASE_AUTH);
	imap_cmd_begin(s, "LOGIN", "the reply to LOGIN");
	imap_cmd_string(s, p->user, 0);
	imap_cmd_string(s, p->pass ? p->pass : "", 1);
	imap_cmd_send(s);
}

static void
imap_begin_authenticate(struct imap_client *s)
{
	const struct imap_client_params *p = s->p;
	struct imap_client_result *r = s->r;
	struct mv_error err;
	struct buf ir;
	int step = 0, with_ir;

	if (sasl_choose_mech(p->auth_mech, r->caps.auth_list, r->auth_method,
		sizeof(r->auth_method), &err) == -1 ||
	    (s->sasl = sasl_client_new(r->auth_method, p->user,
		p->pass ? p->pass : "", NULL, &err)) == NULL) {
		if (err.cat == MV_ERR_LACKS_FEATURE && !r->tls_active) {
			size_t n = strlen(err.msg);

			snprintf(err.msg + n, sizeof(err.msg) - n, " (many "
			    "servers offer more only after STARTTLS)");
		}
		imap_fail_err(s, IMAP_PHASE_AUTH, &err);
		return;
	}
	s->st = ST_AUTHENTICATE;
	session_phase_begin(&s->timing, IMAP_PHASE_AUTH);
	/* RFC 4959: the initial response goes on the command line, "="
	 * when it is empty. */
	buf_init(&ir, IMAP_SASL_MAX);
	with_ir = sasl_client_first(s->sasl) &&
	    (r->caps.caps & IMAP_CAP_SASL_IR);
	if (with_ir) {
		if ((step = sasl_client_step(s->sasl, NULL, &ir, &err)) == -1) {
			buf_free(&ir);
			imap_fail_err(s, IMAP_PHASE_AUTH, &err);
			return;
		}
		s->sasl_started = 1;
		s->sasl_done = step == 1;
		if (ir.len == 0)
			buf_append_str(&ir, "=");
	}
	imap_cmd_begin(s, "AUTHENTICATE", "the reply to AUTHENTICATE");
	imap_cmd_atom(s, r->auth_method);
	if (with_ir) {
		imap_cmd_add(s, &s->cmd, " ", 1);
		imap_cmd_add(s, &s->cmd, ir.data, ir.len);
		if (p->show_secrets) {
			imap_cmd_add(s, &s->shown, " ", 1);
			imap_cmd_add(s, &s->shown, ir.data, ir.len);
		} else {
			imap_cmd_add(s, &s->shown, " <redacted credentials>",
			    23);
		}
	}
	buf_free(&ir);
	imap_cmd_send(s);
}

static void
imap_begin_auth(struct imap_client *s)
{
	struct imap_client_result *r = s->r;

	r->auth_attempted = 1;
	snprintf(r->auth_user, sizeof(r->auth_user), "%s", s->p->user);
	if (s->p->auth_mech == NULL)
		imap_begin_login(s);
	else
		imap_begin_authenticate(s);
}

/* A "+" during AUTHENTICATE: the next step of the mechanism. */
static void
imap_on_auth_challenge(struct imap_client *s, const struct imap_response *rp)
{
	char shown[80];
	struct mv_error err;
	struct buf resp;
	int step;

	/* A challenge after the mechanism is complete is refused by the
	 * SASL layer (no endless acknowledgements). */
	buf_init(&resp, IMAP_SASL_MAX);
	/* An empty "+" asks a client-first mechanism for its initial
	 * response when there was no SASL-IR. */
	step = sasl_client_step(s->sasl, !s->sasl_started &&
	    rp->text[0] == '\0' ? NULL : rp->text, &resp, &err);
	s->sasl_started = 1;
	if (step == -1) {
		buf_free(&resp);
		/* RFC 9051 6.2.2: "*" cancels the exchange. */
		imap_send_line(s, "*", NULL);
		if (err.cat == MV_ERR_PROTOCOL || err.cat == MV_ERR_INTERNAL) {
			imap_fail_err(s, IMAP_PHASE_AUTH, &err);
			return;
		}
		/* Our side's problem: wait for the tagged reply to the
		 * cancelled command, then leave politely. */
		s->sasl_cancelled = 1;
		s->sasl_err = err;
		return;
	}
	s->sasl_done = step == 1;
	snprintf(shown, sizeof(shown), "<redacted SASL response, %zu bytes>",
	    resp.len);
	imap_send_line(s, buf_cstr(&resp), s->p->show_secrets ? NULL :
	    shown);
	buf_free(&resp);
}

static void
imap_on_auth_done(struct imap_client *s, const struct imap_response *rp)
{
	struct imap_client_result *r = s->r;
	char sum[600];

	status_copy(&r->auth, rp);
	session_phase_end(&s->timing, IMAP_PHASE_AUTH);
	if (s->sasl_cancelled) {
		imap_fail_err(s, IMAP_PHASE_AUTH, &s->sasl_err);
		return;
	}
	if (rp->cond != IMAP_COND_OK) {
		status_copy(&r->last, rp);
		if (s->st == ST_LOGIN)
			imap_fail(s, IMAP_PHASE_AUTH, MV_ERR_REJECTED, "login "
			    "as %s failed: %s", s->p->user,
			    status_summary(&r->auth, sum, sizeof(sum)));
		else
			imap_fail(s, IMAP_PHASE_AUTH, MV_ERR_REJECTED, "login "
			    "as %s with %s failed: %s", s->p->user,
			    r->auth_method,
			    status_summary(&r->auth, sum, sizeof(sum)));
		return;
	}
	if (s->st == ST_AUTHENTICATE && !s->sasl_done) {
		/* SCRAM: no server signature, no proof (RFC 5802 5). */
		imap_fail(s, IMAP_PHASE_AUTH, MV_ERR_PROTOCOL, "the server "
		    "accepted %s before the exchange was complete: it never "
		    "proved that it knows the password", r->auth_method);
		return;
	}
	r->auth_ok = 1;
	s->authed = 1;
	/* RFC 9051 7.1: the OK may carry the capabilities that now hold. */
	if (strcmp(rp->code, "CAPABILITY") == 0)
		imap_set_caps(s, rp->code_arg);
	imap_next(s);
}

/* --- mailbox ------------------------------------------------------- */

static int
imap_has_8bit(const char *v)
{
	for (; *v; v++)
		if ((unsigned char)*v & 0x80)
			return 1;
	return 0;
}

static uint64_t
imap_code_number(const char *arg, int *ok)
{
	uint64_t v = 0;
	size_t k;

	for (k = 0; arg[k] >= '0' && arg[k] <= '9' && k < 19; k++)
		v = v * 10 + (uint64_t)(arg[k] - '0');
	*ok = k > 0 && (arg[k] == '\0' || arg[k] == ' ');
	return v;
}

/* Response codes of the SELECT dialog (RFC 9051 7.1). */
static void
imap_select_code(struct imap_client *s, const struct imap_response *rp)
{
	struct imap_client_result *r = s->r;
	uint64_t v;
	int ok;

	if (strcmp(rp->code, "READ-ONLY") == 0) {
		r->read_only = 1;
	} else if (strcmp(rp->code, "READ-WRITE") == 0) {
		r->read_only = 0;
	} else if (strcmp(rp->code, "PERMANENTFLAGS") == 0) {
		snprintf(r->permanentflags, sizeof(r->permanentflags), "%s",
		    rp->code_arg);
	} else if (strcmp(rp->code, "UNSEEN") == 0) {
		v = imap_code_number(rp->code_arg, &ok);
		if (ok) {
			r->unseen = v;
			r->have_unseen = 1;
		}
	} else if (strcmp(rp->code, "UIDVALIDITY") == 0) {
		v = imap_code_number(rp->code_arg, &ok);
		if (ok) {
			r->uidvalidity = v;
			r->have_uidvalidity = 1;
		}
	} else if (strcmp(rp->code, "UIDNEXT") == 0) {
		v = imap_code_number(rp->code_arg, &ok);
		if (ok) {
			r->uidnext = v;
			r->have_uidnext = 1;
		}
	}
}

static void
imap_send_select(struct imap_client *s)
{
	s->st = ST_SELECT;
	session_phase_begin(&s->timing, IMAP_PHASE_SELECT);
	imap_cmd_begin(s, s->p->examine ? "EXAMINE" : "SELECT",
	    s->p->examine ? "the reply to EXAMINE" : "the reply to SELECT");
	imap_cmd_string(s, s->p->mailbox, 0);
	imap_cmd_send(s);
	snprintf(s->r->mailbox, sizeof(s->r->mailbox), "%s", s->p->mailbox);
}

static void
imap_on_select_done(struct imap_client *s, const struct imap_response *rp)
{
	struct imap_client_result *r = s->r;
	char sum[600];

	status_copy(&r->select, rp);
	session_phase_end(&s->timing, IMAP_PHASE_SELECT);
	if (rp->cond != IMAP_COND_OK) {
		status_copy(&r->last, rp);
		imap_fail(s, IMAP_PHASE_SELECT, MV_ERR_REJECTED, "%s of "
		    "mailbox \"%.200s\" was refused: %s", s->p->examine ?
		    "EXAMINE" : "SELECT", s->p->mailbox,
		    status_summary(&r->select, sum, sizeof(sum)));
		return;
	}
	imap_select_code(s, rp);
	r->selected = 1;
	imap_next(s);
}

static void
imap_send_search(struct imap_client *s)
{
	const struct imap_client_params *p = s->p;

	s->st = ST_SEARCH;
	session_phase_begin(&s->timing, IMAP_PHASE_SEARCH);
	imap_cmd_begin(s, "UID SEARCH", "the reply to UID SEARCH");
	/* RFC 9051 6.4.4: 8-bit search keys need a charset. */
	if (imap_has_8bit(p->search_header) || imap_has_8bit(p->search_value))
		imap_cmd_atom(s, "CHARSET UTF-8");
	imap_cmd_atom(s, "HEADER");
	imap_cmd_string(s, p->search_header, 0);
	imap_cmd_string(s, p->search_value, 0);
	imap_cmd_send(s);
}

static void
imap_on_search_data(struct imap_client *s, const struct imap_response *rp)
{
	struct imap_client_result *r = s->r;
	long n;

	n = imap_search_parse(rp->rest, r->found_uids + r->nfound,
	    IMAP_MAX_FOUND - r->nfound);
	if (n == -1) {
		imap_fail(s, IMAP_PHASE_SEARCH, MV_ERR_PROTOCOL, "malformed "
		    "SEARCH response: \"%.200s\"", rp->rest);
		return;
	}
	r->found_total += (size_t)n;
	r->nfound += (size_t)n < IMAP_MAX_FOUND - r->nfound ? (size_t)n :
	    IMAP_MAX_FOUND - r->nfound;
}

static void
imap_on_search_done(struct imap_client *s, const struct imap_response *rp)
{
	char sum[600];

	session_phase_end(&s->timing, IMAP_PHASE_SEARCH);
	if (rp->cond != IMAP_COND_OK) {
		status_copy(&s->r->last, rp);
		imap_fail(s, IMAP_PHASE_SEARCH, MV_ERR_REJECTED, "UID SEARCH "
		    "was refused: %s",
		    status_summary(&s->r->last, sum, sizeof(sum)));
		return;
	}
	s->search_done = 1;
	if (s->tr)
		transcript_addf(s->tr, TR_INFO, "%zu message%s found",
		    s->r->found_total, s->r->found_total == 1 ? "" : "s");
	imap_next(s);
}

static void
imap_send_fetch(struct imap_client *s)
{
	char verb[80];

	s->st = ST_FETCH;
	session_phase_begin(&s->timing, IMAP_PHASE_FETCH);
	snprintf(verb, sizeof(verb), "FETCH %llu (BODY.PEEK[%s])",
	    (unsigned long long)s->p->fetch, s->p->fetch_text ? "TEXT" : "");
	imap_cmd_begin(s, verb, "the reply to FETCH");
	imap_cmd_send(s);
}

/* Find name in s, ignoring case. */
static const char *
imap_find_ci(const char *s, const char *name)
{
	size_t n = strlen(name);

	for (; *s; s++)
		if (strncasecmp(s, name, n) == 0)
			return s;
	return NULL;
}

/* A body sent as a quoted string or NIL instead of a literal: its
 * unescaped bytes into out.  Returns -1 when there is no body. */
static int
imap_quoted_body(const char *rest, struct buf *out)
{
	const char *p;

	if ((p = imap_find_ci(rest, "BODY[")) == NULL &&
	    (p = imap_find_ci(rest, "RFC822")) == NULL)
		return -1;
	if (*p == 'B' || *p == 'b') {
		if ((p = strchr(p, ']')) == NULL)
			return -1;
		p++;
	} else {
		p += 6;
	}
	if (*p == '<' && (p = strchr(p, '>')) != NULL)
		p++;
	if (p == NULL || *p++ != ' ')
		return -1;
	/* NIL: the server has no text for it (the message vanished). */
	if (strncasecmp(p, "NIL", 3) == 0)
		return -1;
	if (*p != '"')
		return -1;
	for (p++; *p != '"'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		if (*p == '\0' || buf_append(out, p, 1) == -1)
			return -1;
	}
	return 0;
}

static void
imap_on_fetch_data(struct imap_client *s, const struct imap_response *rp)
{
	struct imap_client_result *r = s->r;
	const char *body;
	size_t len;

	if (s->fetch_got || rp->number < 0 ||
	    (uint64_t)rp->number != s->p->fetch)
		return;
	buf_reset(&r->message);
	if ((body = imap_fetch_body(rp, &len)) != NULL) {
		if (buf_append(&r->message, body, len) == -1) {
			imap_fail(s, IMAP_PHASE_FETCH, MV_ERR_PROTOCOL, "the "
			    "message is larger than %zu bytes",
			    r->message.max);
			return;
		}
	} else if (imap_quoted_body(rp->rest, &r->message) == -1) {
		/* FLAGS or other data about the message: not the body. */
		buf_reset(&r->message);
		return;
	}
	buf_append(&r->message, "", 0);
	s->fetch_got = 1;
	r->fetch_msg = (uint64_t)rp->number;
}

static void
imap_on_fetch_done(struct imap_client *s, const struct imap_response *rp)
{
	char sum[600];

	session_phase_end(&s->timing, IMAP_PHASE_FETCH);
	if (rp->cond != IMAP_COND_OK) {
		status_copy(&s->r->last, rp);
		imap_fail(s, IMAP_PHASE_FETCH, MV_ERR_REJECTED, "FETCH %llu "
		    "was refused: %s", (unsigned long long)s->p->fetch,
		    status_summary(&s->r->last, sum, sizeof(sum)));
		return;
	}
	if (!s->fetch_got) {
		status_copy(&s->r->last, rp);
		imap_fail(s, IMAP_PHASE_FETCH, MV_ERR_REJECTED, "FETCH %llu "
		    "returned no message (the mailbox has %llu)",
		    (unsigned long long)s->p->fetch,
		    (unsigned long long)s->r->exists);
		return;
	}
	s->fetch_done = 1;
	imap_next(s);
}

/* "5,9,12": the UIDs found, for STORE and UID EXPUNGE. */
static void
imap_uid_set(const struct imap_client_result *r, char *out, size_t outsz)
{
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < r->nfound && n < outsz; i++)
		n += (size_t)snprintf(out + n, outsz - n, "%s%llu", i ? "," :
		    "", (unsigned long long)r->found_uids[i]);
}

static void
imap_send_store(struct imap_client *s)
{
	char set[IMAP_MAX_FOUND * 21 + 1];
	char verb[sizeof(set) + 64];

	s->st = ST_STORE;
	session_phase_begin(&s->timing, IMAP_PHASE_DELETE);
	imap_uid_set(s->r, set, sizeof(set));
	snprintf(verb, sizeof(verb), "UID STORE %s +FLAGS.SILENT (\\Deleted)",
	    set);
	imap_cmd_begin(s, verb, "the reply to UID STORE");
	imap_cmd_send(s);
}

static void
imap_send_expunge(struct imap_client *s)
{
	char set[IMAP_MAX_FOUND * 21 + 1];
	char verb[sizeof(set) + 64];

	s->st = ST_EXPUNGE;
	/* RFC 4315 2.1: only the messages we marked. */
	imap_uid_set(s->r, set, sizeof(set));
	snprintf(verb, sizeof(verb), "UID EXPUNGE %s", set);
	imap_cmd_begin(s, verb, "the reply to UID EXPUNGE");
	imap_cmd_send(s);
}

static void
imap_on_delete_done(struct imap_client *s, const struct imap_response *rp)
{
	char sum[600];

	if (rp->cond != IMAP_COND_OK) {
		session_phase_end(&s->timing, IMAP_PHASE_DELETE);
		status_copy(&s->r->last, rp);
		imap_fail(s, IMAP_PHASE_DELETE, MV_ERR_REJECTED, "%s was "
		    "refused: %s", s->st == ST_STORE ? "UID STORE" :
		    "EXPUNGE", status_summary(&s->r->last, sum, sizeof(sum)));
		return;
	}
	if (s->st == ST_STORE) {
		s->store_done = 1;
	} else {
		s->expunge_done = 1;
		session_phase_end(&s->timing, IMAP_PHASE_DELETE);
	}
	imap_next(s);
}

/* Leave the mailbox.  CLOSE expunges every message marked \Deleted, not
 * only ours, so in a read-write mailbox UNSELECT is used when offered,
 * and nothing (LOGOUT does not expunge) when it is not.  Returns 1 when
 * a command was sent. */
static int
imap_send_close(struct imap_client *s)
{
	struct imap_client_result *r = s->r;
	const char *verb;

	if (r->read_only)
		verb = "CLOSE";
	else if ((r->caps.caps & IMAP_CAP_IMAP4REV2) ||
	    imap_caps_has(&r->caps, "UNSELECT"))
		verb = "UNSELECT";
	else {
		if (s->tr)
			transcript_addf(s->tr, TR_INFO, "not sending CLOSE: "
			    "it would expunge messages marked \\Deleted; "
			    "LOGOUT does not");
		return 0;
	}
	s->st = ST_CLOSE;
	s->close_verb = verb;
	session_phase_begin(&s->timing, IMAP_PHASE_CLOSE);
	imap_cmd_begin(s, verb, strcmp(verb, "CLOSE") == 0 ?
	    "the reply to CLOSE" : "the reply to UNSELECT");
	imap_cmd_send(s);
	return 1;
}

static void
imap_on_close_done(struct imap_client *s, const struct imap_response *rp)
{
	char sum[600];

	session_phase_end(&s->timing, IMAP_PHASE_CLOSE);
	if (rp->cond != IMAP_COND_OK) {
		status_copy(&s->r->last, rp);
		imap_fail(s, IMAP_PHASE_CLOSE, MV_ERR_REJECTED, "%s was "
		    "refused: %s", s->close_verb,
		    status_summary(&s->r->last, sum, sizeof(sum)));
		return;
	}
	imap_next(s);
}

/* --- the plan ------------------------------------------------------ */

/* Everything the session still has to do, in order; called after each
 * step that completed. */
static void
imap_next(struct imap_client *s)
{
	const struct imap_client_params *p = s->p;
	struct imap_client_result *r = s->r;

	if (s->finished)
		return;
	if (!r->have_caps) {
		imap_send_capability(s, 1);
		return;
	}
	if (imap_maybe_starttls(s))
		return;
	if (!s->authed) {
		if (p->user == NULL)
			imap_logout(s);
		else
			imap_begin_auth(s);
		return;
	}
	if (p->mailbox == NULL) {
		imap_logout(s);
		return;
	}
	if (!s->caps_after_auth) {
		/* UIDPLUS and UNSELECT are often offered only after login. */
		s->caps_after_auth = 1;
		imap_send_capability(s, 0);
		return;
	}
	if (!r->selected) {
		imap_send_select(s);
		return;
	}
	if (p->search_header && p->search_value && !s->search_done) {
		imap_send_search(s);
		return;
	}
	if (p->fetch && !s->fetch_done) {
		imap_send_fetch(s);
		return;
	}
	if (p->delete_found && r->nfound > 0 && !s->store_done) {
		imap_send_store(s);
		return;
	}
	if (p->delete_found && r->nfound > 0 && !s->expunge_done) {
		if (r->caps.caps & (IMAP_CAP_UIDPLUS | IMAP_CAP_IMAP4REV2)) {
			imap_send_expunge(s);
			return;
		}
		/* Without UID EXPUNGE (RFC 4315) the only way to remove
		 * ours would remove every message flagged \Deleted, other
		 * clients' too: leave ours flagged instead. */
		s->expunge_done = 1;
		r->flagged_only = (int)r->nfound;
		session_phase_end(&s->timing, IMAP_PHASE_DELETE);
		if (s->tr)
			transcript_addf(s->tr, TR_INFO, "not expunging: the "
			    "server has no UID EXPUNGE, and EXPUNGE would also "
			    "remove other messages flagged \\Deleted");
	}
	if (!s->close_done) {
		s->close_done = 1;
		if (imap_send_close(s))
			return;
	}
	imap_logout(s);
}

/* --- responses ------------------------------------------------------ */

static void
imap_on_greeting(struct imap_client *s, const struct imap_response *rp)
{
	struct imap_client_result *r = s->r;
	char sum[600];

	status_copy(&r->greeting, rp);
	session_phase_end(&s->timing, IMAP_PHASE_GREETING);
	switch (rp->cond) {
	case IMAP_COND_OK:
		break;
	case IMAP_COND_PREAUTH:
		s->preauth = 1;
		s->authed = 1;
		if (s->tr)
			transcript_addf(s->tr, TR_INFO, "the server has "
			    "authenticated the session already (PREAUTH): no "
			    "login");
		break;
	case IMAP_COND_BYE:
		/* The server closes now; nothing more can be said. */
		status_copy(&r->last, rp);
		imap_fail(s, IMAP_PHASE_GREETING, MV_ERR_REJECTED, "the "
		    "server refuses service: %s",
		    status_summary(&r->greeting, sum, sizeof(sum)));
		return;
	default:
		imap_fail(s, IMAP_PHASE_GREETING, MV_ERR_PROTOCOL, "the "
		    "server's greeting is not * OK, * PREAUTH or * BYE: "
		    "\"%.300s\"", rp->raw);
		return;
	}
	s->st = ST_READY;
	if (strcmp(rp->code, "CAPABILITY") == 0)
		imap_set_caps(s, rp->code_arg);
	imap_next(s);
}

/* Untagged responses, whatever the state. */
static void
imap_on_untagged(struct imap_client *s, const struct imap_response *rp)
{
	struct imap_client_result *r = s->r;
	char sum[600];

	if (rp->cond == IMAP_COND_BYE) {
		if (s->st == ST_LOGOUT) {
			s->bye_seen = 1;
			return;
		}
		status_copy(&r->last, rp);
		s->tag[0] = '\0';
		/* "BYE [ALERT] text" without the BYE; a bare BYE has
		 * nothing after it. */
		status_summary(&r->last, sum, sizeof(sum));
		imap_fail(s, imap_current_phase(s), MV_ERR_CLOSED, "the server "
		    "said BYE%s%s", strlen(sum) > 4 ? ": " : "",
		    strlen(sum) > 4 ? sum + 4 : "");
		return;
	}
	if (rp->cond != IMAP_COND_NONE) {
		if (strcmp(rp->code, "CAPABILITY") == 0)
			imap_set_caps(s, rp->code_arg);
		else if (s->st == ST_SELECT && rp->cond == IMAP_COND_OK)
			imap_select_code(s, rp);
		return;
	}
	if (strcmp(rp->keyword, "CAPABILITY") == 0) {
		imap_set_caps(s, rp->rest);
	} else if (strcmp(rp->keyword, "EXISTS") == 0 && rp->number >= 0) {
		r->exists = (uint64_t)rp->number;
	} else if (strcmp(rp->keyword, "RECENT") == 0 && rp->number >= 0) {
		r->recent = (uint64_t)rp->number;
	} else if (strcmp(rp->keyword, "EXPUNGE") == 0 && rp->number >= 0) {
		if (r->exists > 0)
			r->exists--;
		if (s->st == ST_EXPUNGE)
			r->deleted++;
	} else if (strcmp(rp->keyword, "FLAGS") == 0 && s->st == ST_SELECT) {
		snprintf(r->flags, sizeof(r->flags), "%s", rp->rest);
	} else if (strcmp(rp->keyword, "SEARCH") == 0 && s->st == ST_SEARCH) {
		imap_on_search_data(s, rp);
	} else if (strcmp(rp->keyword, "FETCH") == 0 && s->st == ST_FETCH) {
		imap_on_fetch_data(s, rp);
	}
}

static void
imap_on_continuation(struct imap_client *s, const struct imap_response *rp)
{
	if (s->tag[0] != '\0' && s->part_next < s->nparts) {
		imap_send_part(s);
		return;
	}
	if (s->st == ST_AUTHENTICATE && s->tag[0] != '\0' &&
	    !s->sasl_cancelled) {
		imap_on_auth_challenge(s, rp);
		return;
	}
	imap_fail(s, imap_current_phase(s), MV_ERR_PROTOCOL, "the server "
	    "sent a continuation request when none was expected: "
	    "\"%.300s\"", rp->raw);
}

static void
imap_on_tagged(struct imap_client *s, const struct imap_response *rp,
    size_t trailing)
{
	if (s->tag[0] == '\0') {
		imap_fail(s, imap_current_phase(s), MV_ERR_PROTOCOL, "the "
		    "server sent a tagged response (%s) when no command was "
		    "outstanding", rp->tag);
		return;
	}
	if (strcmp(rp->tag, s->tag) != 0) {
		imap_fail(s, imap_current_phase(s), MV_ERR_PROTOCOL, "the "
		    "server answered with tag %s, but the command outstanding "
		    "is %s", rp->tag, s->tag);
		return;
	}
	s->tag[0] = '\0';
	switch (s->st) {
	case ST_CAPABILITY:
		imap_on_capability_done(s, rp);
		break;
	case ST_STARTTLS:
		imap_on_starttls_done(s, rp, trailing);
		break;
	case ST_LOGIN:
	case ST_AUTHENTICATE:
		imap_on_auth_done(s, rp);
		break;
	case ST_SELECT:
		imap_on_select_done(s, rp);
		break;
	case ST_SEARCH:
		imap_on_search_done(s, rp);
		break;
	case ST_FETCH:
		imap_on_fetch_done(s, rp);
		break;
	case ST_STORE:
	case ST_EXPUNGE:
		imap_on_delete_done(s, rp);
		break;
	case ST_CLOSE:
		imap_on_close_done(s, rp);
		break;
	case ST_LOGOUT:
		s->r->logout_ok = s->bye_seen && rp->cond == IMAP_COND_OK;
		session_phase_end(&s->timing, IMAP_PHASE_LOGOUT);
		imap_finish(s);
		break;
	case ST_CONNECTING:
	case ST_GREETING:
	case ST_READY:
	case ST_TLS:
	case ST_DONE:
		imap_fail(s, imap_current_phase(s), MV_ERR_PROTOCOL, "the "
		    "server sent a tagged response (%s) when none was "
		    "expected", rp->tag);
		break;
	}
}

static void
imap_on_response(struct imap_client *s, const struct imap_response *rp,
    size_t trailing)
{
	if (s->st == ST_GREETING) {
		if (rp->kind == IMAP_UNTAGGED) {
			imap_on_greeting(s, rp);
			return;
		}
		imap_fail(s, IMAP_PHASE_GREETING, MV_ERR_PROTOCOL, "the "
		    "server's greeting is not * OK, * PREAUTH or * BYE: "
		    "\"%.300s\"", rp->raw);
		return;
	}
	switch (rp->kind) {
	case IMAP_UNTAGGED:
		imap_on_untagged(s, rp);
		break;
	case IMAP_CONTINUATION:
		imap_on_continuation(s, rp);
		break;
	case IMAP_TAGGED:
		imap_on_tagged(s, rp, trailing);
		break;
	}
}

/* The transcript gets each response's first line, and a note for each
 * literal instead of its bytes. */
static void
imap_note_response(struct imap_client *s, const struct imap_response *rp)
{
	size_t first = rp->raw_len, i;

	if (s->tr == NULL)
		return;
	if (rp->nliterals > 0) {
		first = rp->literals[0].off - 1;
		if (first > 0 && rp->raw[first - 1] == '\r')
			first--;
	}
	transcript_add(s->tr, TR_SERVER, rp->raw, first);
	for (i = 0; i < rp->nliterals; i++)
		transcript_addf(s->tr, TR_SERVER, "[literal: %zu bytes]",
		    rp->literals[i].len);
}

/* --- connection callbacks ----------------------------------------- */

static void
imap_conn_read(struct conn *c, const char *data, size_t len, void *arg)
{
	struct imap_client *s = arg;
	struct mv_error err;
	size_t used;

	(void)c;
	while (len > 0 && !s->finished) {
		enum imap_read_status st;

		st = imap_reader_feed(&s->reader, data, len, &used, &s->resp,
		    &err);
		if (st == IMAP_READ_ERROR) {
			/* Name the command whose answer is too big. */
			if (s->st == ST_FETCH &&
			    strncmp(err.msg, "literal of ", 11) == 0) {
				char m[sizeof(err.msg)];

				memcpy(m, err.msg, sizeof(m));
				snprintf(err.msg, sizeof(err.msg),
				    "FETCH %llu: %.400s",
				    (unsigned long long)s->p->fetch, m);
			}
			s->tag[0] = '\0';
			imap_fail_err(s, imap_current_phase(s), &err);
			return;
		}
		if (st == IMAP_READ_MORE)
			return;
		data += used;
		len -= used;
		s->r->bare_lf_lines += s->resp.bare_lf;
		imap_note_response(s, &s->resp);
		imap_on_response(s, &s->resp, len);
		/* After STARTTLS the rest, if any, was refused above. */
		if (s->st == ST_TLS)
			return;
	}
}

static void
imap_conn_ready(struct conn *c, void *arg)
{
	struct imap_client *s = arg;

	s->r->tls_active = session_conn_ready(&s->timing, c,
	    IMAP_PHASE_CONNECT, IMAP_PHASE_TLS, &s->r->tls);
	s->st = ST_GREETING;
	session_phase_begin(&s->timing, IMAP_PHASE_GREETING);
	if (s->conn)
		conn_set_timeout(s->conn, s->p->greeting_timeout_ms ?
		    s->p->greeting_timeout_ms : IMAP_DEFAULT_GREETING_MS,
		    "the server's greeting (* OK)");
}

static void
imap_conn_tls(struct conn *c, void *arg)
{
	struct imap_client *s = arg;

	s->r->tls_active = 1;
	session_conn_upgraded(&s->timing, c, IMAP_PHASE_TLS, &s->r->tls);
	/* RFC 9051 6.2.1: forget the capabilities learnt in plaintext. */
	imap_reader_reset(&s->reader);
	memset(&s->r->caps, 0, sizeof(s->r->caps));
	s->r->have_caps = 0;
	s->st = ST_READY;
	imap_next(s);
}

static void
imap_conn_error(struct conn *c, const struct mv_error *err, void *arg)
{
	struct imap_client *s = arg;
	struct mv_error e = *err;
	enum imap_phase ph = imap_current_phase(s);

	/* A certificate that did not verify is still reported. */
	if (session_tls_on_error(&s->timing, c, err, IMAP_PHASE_CONNECT,
	    IMAP_PHASE_TLS, &s->r->tls))
		s->r->tls_active = 1;
	if (s->st == ST_LOGOUT) {
		/* Closing right after LOGOUT is what servers do. */
		if (s->tr && err->cat == MV_ERR_TIMEOUT)
			transcript_addf(s->tr, TR_INFO, "no reply to LOGOUT");
		imap_finish(s);
		return;
	}
	session_explain_error(err, s->st == ST_GREETING, s->r->implicit_tls,
	    imap_reader_pending(&s->reader), "993 does, use imaps://",
	    "a response", &e);
	if (s->st == ST_CONNECTING && err->cat == MV_ERR_TLS)
		ph = IMAP_PHASE_TLS;
	/* The connection is gone: no LOGOUT, whatever the category. */
	s->dead = 1;
	imap_fail_err(s, ph, &e);
}

struct imap_client *
imap_client_start(uv_loop_t *loop, const struct conn_params *cp,
    const struct imap_client_params *p, struct imap_client_result *res,
    struct transcript *tr, imap_client_done_cb on_done, void *arg,
    struct mv_error *err)
{
	static const struct conn_callbacks cbs = {
		.on_ready = imap_conn_ready,
		.on_read = imap_conn_read,
		.on_tls = imap_conn_tls,
		.on_error = imap_conn_error,
	};
	struct imap_client *s;
	size_t max_message = p->max_message ? p->max_message :
	    IMAP_DEFAULT_MAX_LITERAL;
	size_t max_response = max_message + IMAP_RESPONSE_SLACK;

	memset(res, 0, sizeof(*res));
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	if (max_response < max_message)
		max_response = 0; /* the default */
	buf_init(&res->message, max_message);
	res->implicit_tls = cp->target->implicit_tls;
	s->p = p;
	s->r = res;
	s->tr = tr;
	s->on_done = on_done;
	s->arg = arg;
	s->st = ST_CONNECTING;
	session_timing_init(&s->timing, res->phase_us, &res->phase_done);
	buf_init(&s->cmd, IMAP_CMD_MAX);
	buf_init(&s->shown, IMAP_CMD_MAX);
	imap_reader_init(&s->reader, 0, max_message, max_response);
	if ((s->conn = conn_new(loop, cp, &cbs, s, err)) == NULL ||
	    conn_start(s->conn, err) == -1) {
		conn_close(s->conn);
		s->conn = NULL;
		imap_client_free(s);
		imap_client_result_free(res);
		return NULL;
	}
	return s;
}

void
imap_client_free(struct imap_client *s)
{
	if (s == NULL)
		return;
	conn_close(s->conn);
	sasl_client_free(s->sasl);
	imap_reader_free(&s->reader);
	buf_free(&s->cmd);
	buf_free(&s->shown);
	free(s);
}
