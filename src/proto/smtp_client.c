/*
 * smtp_client.c - event-driven SMTP/LMTP client engine (see
 * smtp_client.h).
 *
 * The session is a state machine driven by complete replies from the
 * incremental parser.  Envelope commands wait in a small queue of
 * expected replies, so the same code serves the lock-step dialog and
 * RFC 2920 pipelining (MAIL, every RCPT and DATA in one write).
 *
 * Errors: a rejection (the connection is still sound) ends with a
 * polite QUIT; protocol violations, timeouts and lost connections end
 * the session at once.  Either way on_done runs once with res->err set.
 */
#include "proto/smtp_client.h"
#include "proto/session.h"

#include "core/buf.h"
#include "core/clock.h"
#include "proto/sasl.h"
#include "proto/smtp_reply.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SMTP_DEFAULT_COMMAND_MS 60000
#define SMTP_CMD_MAX            2048

enum smtp_state {
	ST_CONNECTING,
	ST_BANNER,
	ST_EHLO,
	ST_HELO,
	ST_STARTTLS,
	ST_TLS,
	ST_EHLO_TLS,
	ST_AUTH,
	ST_ENVELOPE,
	ST_EOD,
	ST_MULTI,               /* bench mode: transactions in a row */
	ST_QUIT,
	ST_DONE,
};

enum smtp_cmd { CMD_MAIL, CMD_RCPT, CMD_DATA };

/* Bench mode: the replies expected, in order (RFC 2920 3.1). */
enum smtp_mq_cmd {
	MQ_MAIL, MQ_RCPT, MQ_DATA, MQ_BDAT, MQ_EOD, MQ_RSET, MQ_QUIT
};

struct smtp_mq {
	unsigned char cmd;      /* enum smtp_mq_cmd */
	unsigned char slot;     /* transaction slot; unused for RSET */
};

/* One transaction in flight (bench mode). */
struct smtp_slot {
	struct smtp_txn t;
	struct smtp_txn_result r;
	size_t rcpt_sent;       /* lock-step: RCPTs written */
	size_t rcpt_seen;       /* RCPT replies received */
	size_t eod_left;        /* final replies still due; 0: not known */
	int mail_ok;            /* a server transaction is open */
	int refused;            /* r.code and friends are set */
	int blocking;           /* DATA written, its reply not yet in */
	int empty;              /* 354 without recipients: "." sent */
	uint64_t t_mark;        /* start of the current wait */
};

#define SMTP_PIECES_MAX 16

/* A piece of the next write: base NULL means an offset into out. */
struct smtp_piece {
	const char *base;
	size_t off, len;
};

struct smtp_pending {
	enum smtp_cmd cmd;
	size_t idx; /* recipient index for CMD_RCPT */
};

struct smtp_client {
	struct conn *conn;
	const struct smtp_client_params *p;
	struct smtp_client_result *r;
	struct transcript *tr;
	smtp_client_done_cb on_done;
	void *arg;
	struct smtp_reply_parser parser;
	struct smtp_reply reply;
	enum smtp_state st;
	struct sasl_client *sasl;
	int sasl_done;
	int starttls_refused;
	struct smtp_pending *q; /* nrcpt + 2 entries */
	size_t qhead, qlen;
	size_t rcpt_next;       /* next RCPT to send (lock-step) */
	size_t lmtp_seen;       /* LMTP final replies received */
	int envelope_failed;    /* drain pipelined replies, then QUIT */
	struct session_timing timing;
	int finished;
	unsigned writes;        /* commands written, to spot early replies */
	struct buf out;

	/* Bench mode. */
	int bench;
	int multi_pipelined;
	int multi_chunking;
	struct smtp_slot slot[2];
	size_t slot_head, nslots;
	struct smtp_mq *mq;     /* ring of mq_cap entries */
	size_t mq_head, mq_len, mq_cap;
	struct smtp_piece piece[SMTP_PIECES_MAX];
	size_t npieces;
	int batch_sync;         /* the batch answers a reply that the server
				 * waits on: later bytes of the read are
				 * early */
	int waiting;            /* next_txn said "not yet" */
	int source_done;        /* next_txn said "no more", or drained */
	int in_read;
	int quit_queued;        /* QUIT pipelined behind the last message */
	char last_text[SMTP_TXN_TEXT_MAX]; /* a refused greeting/EHLO/AUTH */
};

static const char *const smtp_phase_names[SMTP_PHASE_COUNT] = {
	"connect", "tls", "banner", "ehlo", "starttls", "ehlo_tls", "auth",
	"mail", "rcpt", "data", "end_of_data", "quit",
};

const char *
smtp_phase_name(enum smtp_phase ph)
{
	return ph < SMTP_PHASE_COUNT ? smtp_phase_names[ph] : "done";
}

int
smtp_phase_from_name(const char *name)
{
	int i;

	for (i = 0; i < SMTP_PHASE_COUNT; i++)
		if (strcasecmp(name, smtp_phase_names[i]) == 0)
			return i;
	if (strcasecmp(name, "eod") == 0)
		return SMTP_PHASE_EOD;
	return -1;
}

static void smtp_quit(struct smtp_client *s);
static void smtp_send_ehlo(struct smtp_client *s, enum smtp_state st);
static void smtp_multi_abort(struct smtp_client *s);

/* --- results ------------------------------------------------------ */

/* The first line of rep, cut to fit out. */
static void
reply_first_line(const struct smtp_reply *rep, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s", rep->nlines ? rep->lines[0] : "");
}

static void
reply_copy_free(struct smtp_reply_copy *c)
{
	free(c->text);
	c->text = NULL;
	c->code = 0;
}

static void
reply_copy(struct smtp_reply_copy *dst, const struct smtp_reply *rep)
{
	struct buf b;
	size_t i;

	reply_copy_free(dst);
	dst->code = rep->code;
	snprintf(dst->enh, sizeof(dst->enh), "%s", rep->enh);
	buf_init(&b, 0);
	for (i = 0; i < rep->nlines; i++)
		buf_printf(&b, "%s%s", i ? "\n" : "", rep->lines[i]);
	if (b.data == NULL)
		buf_append(&b, "", 0);
	dst->text = b.data;
}

/* Keep a reply in the result; bench mode keeps no text (no
 * allocation per connection), only its first line in a fixed buffer
 * for error messages. */
static void
smtp_copy(struct smtp_client *s, struct smtp_reply_copy *dst,
    const struct smtp_reply *rep)
{
	if (!s->bench) {
		reply_copy(dst, rep);
		return;
	}
	reply_copy_free(dst);
	dst->code = rep->code;
	snprintf(dst->enh, sizeof(dst->enh), "%s", rep->enh);
	reply_first_line(rep, s->last_text, sizeof(s->last_text));
}

void
smtp_client_result_free(struct smtp_client_result *r)
{
	size_t i;

	if (r == NULL)
		return;
	reply_copy_free(&r->banner);
	reply_copy_free(&r->ehlo);
	reply_copy_free(&r->starttls);
	reply_copy_free(&r->auth);
	reply_copy_free(&r->mail);
	reply_copy_free(&r->data);
	reply_copy_free(&r->eod);
	for (i = 0; i < r->nrcpt; i++) {
		reply_copy_free(&r->rcpt[i].reply);
		reply_copy_free(&r->rcpt[i].lmtp);
	}
	free(r->rcpt);
	r->rcpt = NULL;
	r->nrcpt = 0;
}

/* --- finishing ---------------------------------------------------- */

static void
smtp_finish(struct smtp_client *s)
{
	struct smtp_client_result *r = s->r;

	if (s->finished)
		return;
	s->finished = 1;
	s->st = ST_DONE;
	r->total_us = session_elapsed_us(&s->timing);
	session_close(&s->conn, r->peer, sizeof(r->peer), r->local,
	    sizeof(r->local));
	smtp_multi_abort(s);
	s->on_done(s, s->arg);
}

/* Which phase the session is in, for error reports. */
static enum smtp_phase
smtp_current_phase(const struct smtp_client *s)
{
	switch (s->st) {
	case ST_CONNECTING:
		return SMTP_PHASE_CONNECT;
	case ST_BANNER:
		return SMTP_PHASE_BANNER;
	case ST_EHLO:
	case ST_HELO:
		return SMTP_PHASE_EHLO;
	case ST_EHLO_TLS:
		return SMTP_PHASE_EHLO_TLS;
	case ST_STARTTLS:
		return SMTP_PHASE_STARTTLS;
	case ST_TLS:
		return SMTP_PHASE_TLS;
	case ST_AUTH:
		return SMTP_PHASE_AUTH;
	case ST_ENVELOPE:
		if (s->qhead < s->qlen) {
			switch (s->q[s->qhead].cmd) {
			case CMD_MAIL:
				return SMTP_PHASE_MAIL;
			case CMD_RCPT:
				return SMTP_PHASE_RCPT;
			case CMD_DATA:
				return SMTP_PHASE_DATA;
			}
		}
		return SMTP_PHASE_MAIL;
	case ST_EOD:
		return SMTP_PHASE_EOD;
	case ST_MULTI:
		if (s->mq_len == 0)
			return SMTP_PHASE_MAIL;
		switch (s->mq[s->mq_head].cmd) {
		case MQ_RCPT:
			return SMTP_PHASE_RCPT;
		case MQ_DATA:
			return SMTP_PHASE_DATA;
		case MQ_BDAT:
		case MQ_EOD:
			return SMTP_PHASE_EOD;
		case MQ_QUIT:
			return SMTP_PHASE_QUIT;
		default:
			return SMTP_PHASE_MAIL;
		}
	case ST_QUIT:
	case ST_DONE:
		return SMTP_PHASE_QUIT;
	}
	return SMTP_PHASE_QUIT;
}

static void
smtp_fail_err(struct smtp_client *s, enum smtp_phase ph,
    const struct mv_error *err)
{
	if (s->r->err.cat == MV_ERR_NONE) {
		s->r->err = *err;
		s->r->failed_phase = ph;
	}
	if (s->tr)
		transcript_addf(s->tr, TR_ERROR, "%s", err->msg);
	/* After a refusal the dialog is still in step: say goodbye. */
	if ((err->cat == MV_ERR_REJECTED || err->cat == MV_ERR_LACKS_FEATURE) &&
	    s->conn && s->st != ST_QUIT && s->st != ST_DONE) {
		smtp_quit(s);
		return;
	}
	smtp_finish(s);
}

static void
smtp_fail(struct smtp_client *s, enum smtp_phase ph, enum mv_errcat cat,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
smtp_fail(struct smtp_client *s, enum smtp_phase ph, enum mv_errcat cat,
    const char *fmt, ...)
{
	struct mv_error err;
	va_list ap;

	va_start(ap, fmt);
	mv_error_vset(&err, cat, fmt, ap);
	va_end(ap);
	smtp_fail_err(s, ph, &err);
}

/* The reply as one line for messages: "550 5.1.1 <x>: User unknown". */
static const char *
reply_summary(const struct smtp_reply_copy *c, char *out, size_t outsz);

/* reply_summary for replies kept by smtp_copy(). */
static const char *
smtp_summary(const struct smtp_client *s, const struct smtp_reply_copy *c,
    char *out, size_t outsz)
{
	if (s->bench && c->text == NULL) {
		snprintf(out, outsz, "%d %s", c->code, s->last_text);
		return out;
	}
	return reply_summary(c, out, outsz);
}

static const char *
reply_summary(const struct smtp_reply_copy *c, char *out, size_t outsz)
{
	const char *nl = c->text ? strchr(c->text, '\n') : NULL;
	int len = nl ? (int)(nl - c->text) : (int)strlen(c->text ? c->text :
	    "");

	snprintf(out, outsz, "%d %.*s", c->code, len, c->text ? c->text : "");
	return out;
}

/* --- sending ------------------------------------------------------ */

/* Arm the reply deadline; a zero timeout means the default, never
 * "wait forever". */
static void
smtp_expect(struct smtp_client *s, uint64_t ms, const char *what)
{
	if (s->conn)
		conn_set_timeout(s->conn, ms ? ms : SMTP_DEFAULT_COMMAND_MS,
		    what);
}

/* Append one command line to the output batch; shown is what the
 * transcript records (the redacted form for secrets). */
static void
smtp_queue_line(struct smtp_client *s, const char *line, const char *shown)
{
	buf_append_str(&s->out, line);
	buf_append(&s->out, "\r\n", 2);
	if (s->tr)
		transcript_add(s->tr, TR_CLIENT, shown ? shown : line,
		    strlen(shown ? shown : line));
}

static void
smtp_flush(struct smtp_client *s)
{
	if (s->out.len && s->conn) {
		conn_write(s->conn, s->out.data, s->out.len);
		s->writes++;
	}
	buf_reset(&s->out);
}

static void
smtp_send(struct smtp_client *s, const char *line, const char *shown)
{
	smtp_queue_line(s, line, shown);
	smtp_flush(s);
}

static void
smtp_quit(struct smtp_client *s)
{
	s->st = ST_QUIT;
	s->r->quit_sent = 1;
	session_phase_begin(&s->timing, SMTP_PHASE_QUIT);
	smtp_send(s, "QUIT", NULL);
	smtp_expect(s, s->p->command_timeout_ms, "the reply to QUIT");
}

/* --- envelope and data -------------------------------------------- */

static void
smtp_push(struct smtp_client *s, enum smtp_cmd cmd, size_t idx)
{
	s->q[s->qlen].cmd = cmd;
	s->q[s->qlen].idx = idx;
	s->qlen++;
}

static void
smtp_queue_mail(struct smtp_client *s)
{
	const struct smtp_caps *caps = &s->r->caps;
	char line[SMTP_CMD_MAX];
	size_t n;

	n = (size_t)snprintf(line, sizeof(line), "MAIL FROM:<%s>",
	    s->p->mail_from ? s->p->mail_from : "");
	if ((caps->caps & SMTP_CAP_SIZE) && n < sizeof(line))
		n += (size_t)snprintf(line + n, sizeof(line) - n, " SIZE=%zu",
		    s->p->message_len);
	if (s->p->eight_bit && (caps->caps & SMTP_CAP_8BITMIME) &&
	    n < sizeof(line))
		n += (size_t)snprintf(line + n, sizeof(line) - n,
		    " BODY=8BITMIME");
	if (s->p->utf8_addresses && (caps->caps & SMTP_CAP_SMTPUTF8) &&
	    n < sizeof(line))
		snprintf(line + n, sizeof(line) - n, " SMTPUTF8");
	session_phase_begin(&s->timing, SMTP_PHASE_MAIL);
	smtp_queue_line(s, line, NULL);
	smtp_push(s, CMD_MAIL, 0);
}

static void
smtp_queue_rcpt(struct smtp_client *s, size_t i)
{
	char line[SMTP_CMD_MAX];

	snprintf(line, sizeof(line), "RCPT TO:<%s>", s->p->rcpt[i]);
	if (i == 0)
		session_phase_begin(&s->timing, SMTP_PHASE_RCPT);
	smtp_queue_line(s, line, NULL);
	smtp_push(s, CMD_RCPT, i);
}

static void
smtp_queue_data(struct smtp_client *s)
{
	session_phase_begin(&s->timing, SMTP_PHASE_DATA);
	smtp_queue_line(s, "DATA", NULL);
	smtp_push(s, CMD_DATA, 0);
}

static void
smtp_begin_envelope(struct smtp_client *s)
{
	const struct smtp_client_params *p = s->p;
	size_t i;

	if (p->nrcpt == 0 || p->quit_after < SMTP_PHASE_MAIL) {
		smtp_quit(s);
		return;
	}
	if (p->eight_bit && p->quit_after >= SMTP_PHASE_DATA &&
	    !(s->r->caps.caps & SMTP_CAP_8BITMIME)) {
		/* RFC 6152: 8-bit content only to servers that accept it;
		 * mailvet does not convert the message. */
		smtp_fail(s, SMTP_PHASE_MAIL, MV_ERR_LACKS_FEATURE, "the "
		    "message has 8-bit content and the server does not offer "
		    "8BITMIME");
		return;
	}
	if (p->utf8_addresses && !(s->r->caps.caps & SMTP_CAP_SMTPUTF8)) {
		/* RFC 6531 3.4: such addresses need the extension. */
		smtp_fail(s, SMTP_PHASE_MAIL, MV_ERR_LACKS_FEATURE, "the "
		    "addresses contain non-ASCII characters, and the server "
		    "does not offer SMTPUTF8");
		return;
	}
	s->st = ST_ENVELOPE;
	s->qhead = s->qlen = 0;
	smtp_queue_mail(s);
	if (p->pipelining && (s->r->caps.caps & SMTP_CAP_PIPELINING)) {
		s->r->pipelined = 1;
		if (p->quit_after >= SMTP_PHASE_RCPT)
			for (i = 0; i < p->nrcpt; i++)
				smtp_queue_rcpt(s, i);
		s->rcpt_next = p->nrcpt;
		if (p->quit_after >= SMTP_PHASE_DATA)
			smtp_queue_data(s);
	}
	smtp_flush(s);
	smtp_expect(s, p->command_timeout_ms, "the reply to MAIL FROM");
}

static void
smtp_send_message(struct smtp_client *s)
{
	size_t lines = 0, i;

	for (i = 0; i < s->p->message_len; i++)
		if (s->p->message[i] == '\n')
			lines++;
	if (s->tr)
		transcript_addf(s->tr, TR_CLIENT, "[message: %zu bytes in %zu "
		    "lines, ending with \".\"]", s->p->message_len, lines);
	s->st = ST_EOD;
	s->lmtp_seen = 0;
	session_phase_begin(&s->timing, SMTP_PHASE_EOD);
	if (s->conn)
		conn_write(s->conn, s->p->message, s->p->message_len);
	s->writes++;
	smtp_expect(s, s->p->data_timeout_ms, "the reply to the end of data");
}

/* Next step in lock-step mode, or the end of a pipelined batch. */
static void
smtp_envelope_next(struct smtp_client *s)
{
	const struct smtp_client_params *p = s->p;
	struct smtp_client_result *r = s->r;
	char sum[600];

	if (s->qhead < s->qlen) {
		smtp_expect(s, p->command_timeout_ms, "the next pipelined "
		    "reply");
		return;
	}
	if (s->envelope_failed) {
		smtp_quit(s);
		return;
	}
	if (s->rcpt_next < p->nrcpt && p->quit_after >= SMTP_PHASE_RCPT) {
		smtp_queue_rcpt(s, s->rcpt_next++);
		smtp_flush(s);
		smtp_expect(s, p->command_timeout_ms, "the reply to RCPT TO");
		return;
	}
	if (p->quit_after < SMTP_PHASE_RCPT) {
		smtp_quit(s);
		return;
	}
	if (r->rcpt_accepted == 0) {
		smtp_fail(s, SMTP_PHASE_RCPT, MV_ERR_REJECTED, "every "
		    "recipient was rejected (first: %s)",
		    reply_summary(&r->rcpt[0].reply, sum, sizeof(sum)));
		return;
	}
	if (p->quit_after < SMTP_PHASE_DATA) {
		smtp_quit(s);
		return;
	}
	smtp_queue_data(s);
	smtp_flush(s);
	smtp_expect(s, p->command_timeout_ms, "the reply to DATA");
}

static void
smtp_on_envelope_reply(struct smtp_client *s, const struct smtp_reply *rep)
{
	struct smtp_client_result *r = s->r;
	struct smtp_pending pend;
	char sum[600];
	int ok = rep->code >= 200 && rep->code < 300;

	if (s->qhead >= s->qlen) {
		smtp_fail(s, SMTP_PHASE_MAIL, MV_ERR_PROTOCOL, "the server "
		    "sent a reply nobody asked for: %d", rep->code);
		return;
	}
	pend = s->q[s->qhead++];
	switch (pend.cmd) {
	case CMD_MAIL:
		reply_copy(&r->mail, rep);
		session_phase_end(&s->timing, SMTP_PHASE_MAIL);
		if (!ok && !s->envelope_failed) {
			s->envelope_failed = 1;
			if (r->err.cat == MV_ERR_NONE) {
				r->failed_phase = SMTP_PHASE_MAIL;
				mv_error_set(&r->err, MV_ERR_REJECTED, "the "
				    "sender was rejected: %s",
				    reply_summary(&r->mail, sum, sizeof(sum)));
				if (s->tr)
					transcript_addf(s->tr, TR_ERROR, "%s",
					    r->err.msg);
			}
		}
		break;
	case CMD_RCPT:
		reply_copy(&r->rcpt[pend.idx].reply, rep);
		if (ok)
			r->rcpt_accepted++;
		if (pend.idx + 1 == s->p->nrcpt)
			session_phase_end(&s->timing, SMTP_PHASE_RCPT);
		break;
	case CMD_DATA:
		reply_copy(&r->data, rep);
		session_phase_end(&s->timing, SMTP_PHASE_DATA);
		if (rep->code == 354 && !s->envelope_failed &&
		    r->rcpt_accepted > 0) {
			smtp_send_message(s);
			return;
		}
		if (rep->code == 354) {
			/* Pipelined DATA accepted with no valid recipient:
			 * end the empty message at once (RFC 2920 3.1). */
			if (s->conn)
				conn_write(s->conn, ".\r\n", 3);
			s->writes++;
			if (s->tr)
				transcript_addf(s->tr, TR_CLIENT, ".");
			if (r->err.cat == MV_ERR_NONE && r->nrcpt) {
				r->failed_phase = SMTP_PHASE_RCPT;
				mv_error_set(&r->err, MV_ERR_REJECTED, "every "
				    "recipient was rejected (first: %s), yet "
				    "the server answered DATA with 354",
				    reply_summary(&r->rcpt[0].reply, sum,
				    sizeof(sum)));
			}
			s->envelope_failed = 1;
			s->st = ST_EOD;
			smtp_expect(s, s->p->command_timeout_ms,
			    "the reply to an empty message");
			return;
		}
		if (!s->envelope_failed && r->rcpt_accepted > 0) {
			smtp_fail(s, SMTP_PHASE_DATA, MV_ERR_REJECTED,
			    "DATA was refused: %s",
			    reply_summary(&r->data, sum, sizeof(sum)));
			return;
		}
		break;
	}
	if (s->qhead == s->qlen && r->pipelined && !s->envelope_failed &&
	    r->rcpt_accepted == 0 && s->p->quit_after >= SMTP_PHASE_RCPT) {
		smtp_fail(s, SMTP_PHASE_RCPT, MV_ERR_REJECTED, "every "
		    "recipient was rejected (first: %s)",
		    reply_summary(&r->rcpt[0].reply, sum, sizeof(sum)));
		return;
	}
	smtp_envelope_next(s);
}

static void
smtp_on_eod_reply(struct smtp_client *s, const struct smtp_reply *rep)
{
	struct smtp_client_result *r = s->r;
	char sum[600];
	size_t i, k;

	if (s->envelope_failed) {
		smtp_quit(s);
		return;
	}
	if (!s->p->lmtp) {
		reply_copy(&r->eod, rep);
		session_phase_end(&s->timing, SMTP_PHASE_EOD);
		if (rep->code < 200 || rep->code >= 300) {
			smtp_fail(s, SMTP_PHASE_EOD, MV_ERR_REJECTED, "the "
			    "message was refused after DATA: %s",
			    reply_summary(&r->eod, sum, sizeof(sum)));
			return;
		}
		if (rep->nlines)
			smtp_queue_id_extract(rep->lines[rep->nlines - 1],
			    r->queue_id, sizeof(r->queue_id));
		smtp_quit(s);
		return;
	}
	/* LMTP: one reply per accepted recipient, in RCPT order. */
	for (i = 0, k = 0; i < r->nrcpt; i++) {
		int code = r->rcpt[i].reply.code;

		if (code < 200 || code >= 300)
			continue;
		if (k++ == s->lmtp_seen)
			break;
	}
	s->lmtp_seen++;
	if (i < r->nrcpt) {
		reply_copy(&r->rcpt[i].lmtp, rep);
		if (r->queue_id[0] == '\0' && rep->nlines)
			smtp_queue_id_extract(rep->lines[rep->nlines - 1],
			    r->queue_id, sizeof(r->queue_id));
		if ((rep->code < 200 || rep->code >= 300) &&
		    r->err.cat == MV_ERR_NONE) {
			r->failed_phase = SMTP_PHASE_EOD;
			mv_error_set(&r->err, MV_ERR_REJECTED, "delivery to "
			    "%s failed: %s", r->rcpt[i].address,
			    reply_summary(&r->rcpt[i].lmtp, sum, sizeof(sum)));
		}
	}
	if (s->lmtp_seen < r->rcpt_accepted) {
		smtp_expect(s, s->p->data_timeout_ms, "the next LMTP "
		    "per-recipient reply");
		return;
	}
	session_phase_end(&s->timing, SMTP_PHASE_EOD);
	/* The end-of-data summary is the first delivery reply (of the
	 * first recipient accepted at RCPT, not simply the first). */
	for (i = 0; i < r->nrcpt; i++) {
		if (r->rcpt[i].lmtp.code == 0)
			continue;
		reply_copy_free(&r->eod);
		r->eod.code = r->rcpt[i].lmtp.code;
		snprintf(r->eod.enh, sizeof(r->eod.enh), "%s",
		    r->rcpt[i].lmtp.enh);
		r->eod.text = strdup(r->rcpt[i].lmtp.text ?
		    r->rcpt[i].lmtp.text : "");
		break;
	}
	smtp_quit(s);
}

/* --- bench mode: transactions in a row ----------------------------- */

static void smtp_multi_pump(struct smtp_client *s);

static struct smtp_slot *
smtp_slot_head(struct smtp_client *s)
{
	return &s->slot[s->slot_head];
}

static void
smtp_mq_push(struct smtp_client *s, enum smtp_mq_cmd cmd,
    const struct smtp_slot *sl)
{
	struct smtp_mq *e;

	/* The ring holds two transactions' worth plus RSET: the window
	 * never asks for more. */
	e = &s->mq[(s->mq_head + s->mq_len) % s->mq_cap];
	e->cmd = (unsigned char)cmd;
	e->slot = (unsigned char)(sl ? (size_t)(sl - s->slot) : 0);
	s->mq_len++;
}

static void smtp_batch_flush(struct smtp_client *s);

/* Append text to the next write, extending the last text piece. */
static void
smtp_batch_text(struct smtp_client *s, const char *p, size_t n)
{
	struct smtp_piece *last = s->npieces ? &s->piece[s->npieces - 1] :
	    NULL;

	if (n == 0)
		return;
	if (last && last->base == NULL && last->off + last->len ==
	    s->out.len) {
		buf_append(&s->out, p, n);
		last->len += n;
		return;
	}
	/* Out of pieces: write what is there first (order is kept). */
	if (s->npieces == SMTP_PIECES_MAX)
		smtp_batch_flush(s);
	s->piece[s->npieces].base = NULL;
	s->piece[s->npieces].off = s->out.len;
	s->piece[s->npieces].len = n;
	s->npieces++;
	buf_append(&s->out, p, n);
}

static void
smtp_batch_str(struct smtp_client *s, const char *str)
{
	smtp_batch_text(s, str, strlen(str));
}

static void
smtp_batch_u64(struct smtp_client *s, uint64_t v)
{
	char d[24];
	size_t i = sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	smtp_batch_text(s, d + i, sizeof(d) - i);
}

/* A piece that stays where it is (the shared message). */
static void
smtp_batch_ext(struct smtp_client *s, const char *p, size_t n)
{
	if (n == 0)
		return;
	if (s->npieces == SMTP_PIECES_MAX)
		smtp_batch_flush(s);
	s->piece[s->npieces].base = p;
	s->piece[s->npieces].off = 0;
	s->piece[s->npieces].len = n;
	s->npieces++;
}

static void
smtp_batch_flush(struct smtp_client *s)
{
	uv_buf_t b[SMTP_PIECES_MAX];
	size_t i;

	if (s->npieces && s->conn) {
		for (i = 0; i < s->npieces; i++) {
			const struct smtp_piece *pc = &s->piece[i];

			b[i] = uv_buf_init((char *)(pc->base ? pc->base :
			    s->out.data + pc->off), (unsigned)pc->len);
		}
		conn_writev(s->conn, b, s->npieces);
		if (s->batch_sync || !s->multi_pipelined)
			s->writes++;
	}
	s->npieces = 0;
	s->batch_sync = 0;
	buf_reset(&s->out);
}

/* A transaction takes at most 5 pieces (text, 3 of message, text):
 * flush before one rather than split it. */
static void
smtp_batch_room(struct smtp_client *s)
{
	if (s->npieces + 5 > SMTP_PIECES_MAX)
		smtp_batch_flush(s);
}

static void
smtp_multi_note(struct smtp_client *s, const char *what)
{
	if (s->tr)
		transcript_add(s->tr, TR_CLIENT, what, strlen(what));
}

static void
smtp_multi_mail(struct smtp_client *s, struct smtp_slot *sl)
{
	const struct smtp_txn *t = &sl->t;

	smtp_batch_room(s);
	smtp_batch_str(s, "MAIL FROM:<");
	smtp_batch_str(s, t->mail_from ? t->mail_from : "");
	smtp_batch_str(s, ">");
	if (s->r->caps.caps & SMTP_CAP_SIZE) {
		smtp_batch_str(s, " SIZE=");
		smtp_batch_u64(s, t->raw ? t->raw_len : t->data_len);
	}
	smtp_batch_text(s, "\r\n", 2);
	smtp_multi_note(s, "MAIL FROM");
	smtp_mq_push(s, MQ_MAIL, sl);
}

static void
smtp_multi_rcpt(struct smtp_client *s, struct smtp_slot *sl)
{
	smtp_batch_room(s);
	smtp_batch_str(s, "RCPT TO:<");
	smtp_batch_str(s, sl->t.rcpt[sl->rcpt_sent++]);
	smtp_batch_text(s, ">\r\n", 3);
	smtp_multi_note(s, "RCPT TO");
	smtp_mq_push(s, MQ_RCPT, sl);
}

/* The message as it goes on the wire, with the per-message patch. */
static void
smtp_multi_message(struct smtp_client *s, struct smtp_slot *sl,
    const char *m, size_t len)
{
	const struct smtp_txn *t = &sl->t;

	smtp_batch_room(s);
	if (t->patch_len && t->patch_off + t->patch_len <= len) {
		smtp_batch_ext(s, m, t->patch_off);
		smtp_batch_text(s, t->patch, t->patch_len);
		/* Keep the rest a separate piece: later text must not be
		 * glued to the patch's piece. */
		smtp_batch_ext(s, m + t->patch_off + t->patch_len,
		    len - t->patch_off - t->patch_len);
	} else {
		smtp_batch_ext(s, m, len);
	}
	sl->r.wire_bytes = len;
}

/* DATA, or BDAT with the message (RFC 3030 2). */
static void
smtp_multi_data(struct smtp_client *s, struct smtp_slot *sl)
{
	if (sl->r.chunked) {
		smtp_batch_room(s);
		smtp_batch_str(s, "BDAT ");
		smtp_batch_u64(s, sl->t.raw_len);
		smtp_batch_text(s, " LAST\r\n", 7);
		smtp_multi_note(s, "BDAT LAST");
		smtp_multi_message(s, sl, sl->t.raw, sl->t.raw_len);
		smtp_mq_push(s, MQ_BDAT, sl);
		sl->eod_left = 0;
		return;
	}
	smtp_batch_text(s, "DATA\r\n", 6);
	smtp_multi_note(s, "DATA");
	smtp_mq_push(s, MQ_DATA, sl);
	sl->blocking = 1;
}

static void
smtp_multi_rset(struct smtp_client *s)
{
	if (s->quit_queued)
		return;
	smtp_batch_room(s);
	smtp_batch_text(s, "RSET\r\n", 6);
	smtp_multi_note(s, "RSET");
	smtp_mq_push(s, MQ_RSET, NULL);
}

/* Record the reply that refused the transaction (the first one). */
static void
smtp_txn_refuse(struct smtp_slot *sl, enum smtp_phase ph, int code,
    const char *enh, const char *text)
{
	if (sl->refused)
		return;
	sl->refused = 1;
	sl->r.failed_phase = ph;
	sl->r.code = code;
	snprintf(sl->r.enh, sizeof(sl->r.enh), "%s", enh);
	snprintf(sl->r.text, sizeof(sl->r.text), "%s", text);
}

static void
smtp_txn_refuse_reply(struct smtp_slot *sl, enum smtp_phase ph,
    const struct smtp_reply *rep)
{
	if (!sl->refused)
		smtp_txn_refuse(sl, ph, rep->code, rep->enh, rep->nlines ?
		    rep->lines[0] : "");
}

/* Time waited for this reply, added to the phase. */
static void
smtp_txn_phase(struct smtp_slot *sl, enum smtp_phase ph, uint64_t now)
{
	sl->r.phase_us[ph] += now - sl->t_mark;
	sl->r.phase_done |= 1u << ph;
	sl->t_mark = now;
}

/* Report the oldest transaction and free its slot. */
static void
smtp_txn_complete(struct smtp_client *s, struct smtp_slot *sl, uint64_t now)
{
	const struct smtp_client_params *p = s->p;
	uint64_t from = sl->t.intended_us ? sl->t.intended_us :
	    sl->r.start_us;

	sl->r.latency_us = now > from ? now - from : 0;
	sl->r.outcome = sl->refused ? SMTP_TXN_REJECTED : SMTP_TXN_ACCEPTED;
	s->slot_head = (s->slot_head + 1) % 2;
	s->nslots--;
	/* A transaction pipelined behind this one could not be answered
	 * before it: its MAIL wait starts now, not when it was written,
	 * or every phase would repeat the previous message's. */
	if (s->nslots > 0 && smtp_slot_head(s)->r.phase_done == 0)
		smtp_slot_head(s)->t_mark = now;
	p->txn_done(p->txn_arg, &sl->t, &sl->r);
}

/* The session ends with transactions in flight: they are aborted,
 * oldest first, before on_done. */
static void
smtp_multi_abort(struct smtp_client *s)
{
	const struct smtp_client_params *p = s->p;
	struct smtp_slot *sl;
	uint64_t now;

	if (!s->bench)
		return;
	now = clock_now_us();
	while (s->nslots > 0) {
		sl = smtp_slot_head(s);
		sl->r.outcome = SMTP_TXN_ABORTED;
		sl->r.failed_phase = sl->eod_left || sl->r.wire_bytes ?
		    SMTP_PHASE_EOD : sl->blocking ? SMTP_PHASE_DATA :
		    sl->rcpt_seen || sl->mail_ok ? SMTP_PHASE_RCPT :
		    SMTP_PHASE_MAIL;
		if (s->r->err.cat != MV_ERR_NONE)
			sl->r.err = s->r->err;
		else
			mv_error_set(&sl->r.err, MV_ERR_CLOSED, "the session "
			    "ended before the transaction did");
		sl->r.latency_us = now - (sl->t.intended_us ?
		    sl->t.intended_us : sl->r.start_us);
		s->slot_head = (s->slot_head + 1) % 2;
		s->nslots--;
		p->txn_done(p->txn_arg, &sl->t, &sl->r);
	}
	s->mq_len = 0;
}

/* Write a transaction's first commands (all of them when pipelined). */
static void
smtp_multi_start_txn(struct smtp_client *s, struct smtp_slot *sl)
{
	sl->r.pipelined = s->multi_pipelined;
	sl->r.chunked = s->multi_chunking && sl->t.raw != NULL;
	sl->r.start_us = sl->t_mark = clock_now_us();
	smtp_multi_mail(s, sl);
	if (!s->multi_pipelined)
		return;
	while (sl->rcpt_sent < sl->t.nrcpt)
		smtp_multi_rcpt(s, sl);
	smtp_multi_data(s, sl);
}

static int
smtp_multi_can_start(struct smtp_client *s)
{
	if (s->nslots == 0)
		return s->mq_len == 0 || s->multi_pipelined;
	if (!s->multi_pipelined || s->nslots >= 2)
		return 0;
	/* After DATA everything is message until the "." (RFC 5321
	 * 4.1.1.4): the next envelope waits for this body. */
	return !smtp_slot_head(s)->blocking;
}

static int
smtp_multi_txn_valid(const struct smtp_client *s, const struct smtp_txn *t)
{
	return t->nrcpt >= 1 && t->nrcpt <= s->p->txn_max_rcpt &&
	    t->rcpt != NULL && t->data != NULL &&
	    t->patch_len <= SMTP_TXN_PATCH_MAX;
}

/* Arm the reply deadline for what is expected next, or disarm it while
 * the session waits for the schedule. */
static void
smtp_multi_arm(struct smtp_client *s)
{
	const struct smtp_mq *e;

	if (s->finished || s->st != ST_MULTI || s->conn == NULL)
		return;
	if (s->mq_len == 0) {
		conn_set_timeout(s->conn, 0, "");
		return;
	}
	e = &s->mq[s->mq_head];
	if (e->cmd == MQ_EOD || e->cmd == MQ_BDAT)
		smtp_expect(s, s->p->data_timeout_ms, "the reply to the end "
		    "of a message");
	else
		smtp_expect(s, s->p->command_timeout_ms, "a reply to the "
		    "envelope");
}

/* Start what the window allows, write it in one go, QUIT at the end. */
static void
smtp_multi_pump(struct smtp_client *s)
{
	const struct smtp_client_params *p = s->p;
	struct smtp_slot *sl;
	int rc;

	while (!s->finished && s->st == ST_MULTI && !s->source_done &&
	    !s->waiting && smtp_multi_can_start(s)) {
		sl = &s->slot[(s->slot_head + s->nslots) % 2];
		memset(sl, 0, offsetof(struct smtp_slot, r));
		memset(&sl->r, 0, offsetof(struct smtp_txn_result, err));
		sl->r.err.cat = MV_ERR_NONE;
		sl->r.err.msg[0] = '\0';
		sl->rcpt_sent = sl->rcpt_seen = sl->eod_left = 0;
		sl->mail_ok = sl->refused = sl->blocking = sl->empty = 0;
		rc = p->next_txn(p->txn_arg, &sl->t);
		if (rc == 2) {
			s->waiting = 1;
			break;
		}
		if (rc != 1) {
			s->source_done = 1;
			break;
		}
		if (!smtp_multi_txn_valid(s, &sl->t)) {
			smtp_batch_flush(s);
			smtp_fail(s, SMTP_PHASE_MAIL, MV_ERR_INTERNAL, "a "
			    "transaction with %zu recipients (at most %zu) or "
			    "without a message", sl->t.nrcpt, p->txn_max_rcpt);
			return;
		}
		s->nslots++;
		s->r->txns_started++;
		smtp_multi_start_txn(s, sl);
	}
	/* Nothing more to send but the last bodies are out: QUIT goes in
	 * the same write (RFC 2920 3.1), one round trip less per
	 * connection. */
	if (s->source_done && s->multi_pipelined && !s->quit_queued &&
	    s->nslots > 0 && !s->finished && s->st == ST_MULTI &&
	    !s->slot[0].blocking && !s->slot[1].blocking) {
		s->quit_queued = 1;
		s->r->quit_sent = 1;
		session_phase_begin(&s->timing, SMTP_PHASE_QUIT);
		smtp_batch_text(s, "QUIT\r\n", 6);
		smtp_multi_note(s, "QUIT");
		smtp_mq_push(s, MQ_QUIT, NULL);
	}
	smtp_batch_flush(s);
	if (s->finished || s->st != ST_MULTI)
		return;
	if (s->source_done && s->nslots == 0 && s->mq_len == 0) {
		smtp_quit(s);
		return;
	}
	if (!s->in_read)
		smtp_multi_arm(s);
}

/* Lock-step: the next command of the head transaction. */
static void
smtp_multi_step(struct smtp_client *s, struct smtp_slot *sl, uint64_t now)
{
	if (sl->rcpt_sent < sl->t.nrcpt) {
		smtp_multi_rcpt(s, sl);
		return;
	}
	if (sl->r.rcpt_accepted == 0) {
		smtp_multi_rset(s);
		smtp_txn_complete(s, sl, now);
		return;
	}
	smtp_multi_data(s, sl);
}

/* The final reply (or one of LMTP's) to the message; 1 when more of
 * LMTP's are due. */
static int
smtp_multi_final(struct smtp_client *s, struct smtp_slot *sl,
    const struct smtp_reply *rep, int bdat, uint64_t now)
{
	int ok = rep->code >= 200 && rep->code < 300;

	if (sl->eod_left == 0)
		sl->eod_left = s->p->lmtp && sl->r.rcpt_accepted > 0 &&
		    !sl->empty ? sl->r.rcpt_accepted : 1;
	smtp_txn_phase(sl, SMTP_PHASE_EOD, now);
	if (!ok)
		smtp_txn_refuse_reply(sl, SMTP_PHASE_EOD, rep);
	else if (!sl->empty && sl->r.rcpt_accepted > 0 && sl->mail_ok)
		sl->r.deliveries += s->p->lmtp ? 1 : sl->r.rcpt_accepted;
	if (--sl->eod_left > 0)
		return 1;
	/* A refused BDAT leaves the server's transaction in doubt
	 * (RFC 3030 2): start the next one clean. */
	if (bdat && sl->refused && sl->mail_ok)
		smtp_multi_rset(s);
	smtp_txn_complete(s, sl, now);
	return 0;
}

static void
smtp_multi_reply(struct smtp_client *s, const struct smtp_reply *rep)
{
	struct smtp_slot *sl;
	struct smtp_mq e;
	char sum[SMTP_TXN_TEXT_MAX + 16];
	uint64_t now;
	int ok = rep->code >= 200 && rep->code < 300;

	if (s->mq_len == 0) {
		/* An idle session told that the server is going away. */
		if (rep->code == 421)
			goto closing;
		smtp_fail(s, SMTP_PHASE_MAIL, MV_ERR_PROTOCOL, "the server "
		    "sent a reply nobody asked for: %d", rep->code);
		return;
	}
	e = s->mq[s->mq_head];
	s->mq_head = (s->mq_head + 1) % s->mq_cap;
	s->mq_len--;
	if (e.cmd == MQ_QUIT) {
		s->r->quit_ok = rep->code == 221;
		session_phase_end(&s->timing, SMTP_PHASE_QUIT);
		s->st = ST_QUIT;
		smtp_finish(s);
		return;
	}
	if (e.cmd == MQ_RSET) {
		if (rep->code == 421)
			goto closing;
		smtp_multi_pump(s);
		return;
	}
	sl = &s->slot[e.slot];
	if (sl != smtp_slot_head(s) || s->nslots == 0) {
		smtp_fail(s, SMTP_PHASE_MAIL, MV_ERR_INTERNAL, "reply matched "
		    "to a transaction out of order");
		return;
	}
	sl->r.replies[rep->code / 100]++;
	now = clock_now_us();
	switch (e.cmd) {
	case MQ_MAIL:
		smtp_txn_phase(sl, SMTP_PHASE_MAIL, now);
		sl->mail_ok = ok;
		if (!ok)
			smtp_txn_refuse_reply(sl, SMTP_PHASE_MAIL, rep);
		if (rep->code == 421)
			break;
		if (!s->multi_pipelined) {
			if (!ok)
				smtp_txn_complete(s, sl, now);
			else
				smtp_multi_step(s, sl, now);
		}
		break;
	case MQ_RCPT:
		smtp_txn_phase(sl, SMTP_PHASE_RCPT, now);
		sl->rcpt_seen++;
		if (!sl->mail_ok) {
			/* Pipelined behind a refused MAIL: the reply (503,
			 * usually) says nothing about the recipient; the
			 * transaction is counted as refused at MAIL, as
			 * in lock-step, which never sends the RCPT. */
		} else if (ok) {
			sl->r.rcpt_accepted++;
		} else {
			sl->r.rcpt_rejected++;
			/* Remembered, in case every recipient is refused. */
			if (sl->r.code == 0 && !sl->refused) {
				sl->r.code = rep->code;
				snprintf(sl->r.enh, sizeof(sl->r.enh), "%s",
				    rep->enh);
				reply_first_line(rep, sl->r.text,
				    sizeof(sl->r.text));
			}
		}
		if (sl->rcpt_seen == sl->t.nrcpt &&
		    sl->r.rcpt_accepted == 0 && !sl->refused) {
			/* Every recipient refused: the first refusal,
			 * kept above, is the transaction's. */
			sl->refused = 1;
			sl->r.failed_phase = SMTP_PHASE_RCPT;
		}
		if (rep->code == 421)
			break;
		if (!s->multi_pipelined && sl->mail_ok)
			smtp_multi_step(s, sl, now);
		break;
	case MQ_DATA:
		smtp_txn_phase(sl, SMTP_PHASE_DATA, now);
		sl->blocking = 0;
		if (rep->code == 354) {
			s->batch_sync = 1;
			if (!sl->mail_ok || sl->r.rcpt_accepted == 0) {
				/* Pipelined DATA accepted with nobody to
				 * deliver to: end the empty message at once
				 * (RFC 2920 3.1). */
				sl->empty = 1;
				smtp_batch_text(s, ".\r\n", 3);
				sl->eod_left = 1;
			} else {
				smtp_multi_message(s, sl, sl->t.data,
				    sl->t.data_len);
			}
			smtp_mq_push(s, MQ_EOD, sl);
			sl->t_mark = now;
			break;
		}
		smtp_txn_refuse_reply(sl, SMTP_PHASE_DATA, rep);
		if (rep->code == 421)
			break;
		if (sl->mail_ok)
			smtp_multi_rset(s);
		smtp_txn_complete(s, sl, now);
		break;
	case MQ_BDAT:
	case MQ_EOD:
		if (rep->code == 421) {
			smtp_txn_refuse_reply(sl, SMTP_PHASE_EOD, rep);
			break;
		}
		if (smtp_multi_final(s, sl, rep, e.cmd == MQ_BDAT, now)) {
			/* LMTP: the entry stays for the next recipient. */
			s->mq_head = (s->mq_head + s->mq_cap - 1) % s->mq_cap;
			s->mq_len++;
		}
		break;
	}
	if (rep->code != 421) {
		smtp_multi_pump(s);
		return;
	}
closing:
	/* 421: the server is closing the session (RFC 5321 3.8).  The
	 * transaction it answered is refused; the others are aborted
	 * when the connection goes. */
	if (s->nslots > 0 && smtp_slot_head(s)->refused &&
	    smtp_slot_head(s)->r.code == 421)
		smtp_txn_complete(s, smtp_slot_head(s), clock_now_us());
	snprintf(sum, sizeof(sum), "%d %s", rep->code, rep->nlines ?
	    rep->lines[0] : "");
	smtp_batch_flush(s);
	s->source_done = 1;
	smtp_fail(s, SMTP_PHASE_MAIL, MV_ERR_REJECTED, "the server closes "
	    "the session: %s", sum);
}

static void
smtp_multi_begin(struct smtp_client *s)
{
	const struct smtp_caps *caps = &s->r->caps;

	s->st = ST_MULTI;
	s->multi_pipelined = s->p->pipelining &&
	    (caps->caps & SMTP_CAP_PIPELINING) != 0;
	s->multi_chunking = s->p->chunking &&
	    (caps->caps & SMTP_CAP_CHUNKING) != 0;
	s->r->pipelined = s->multi_pipelined;
	s->r->chunking = s->multi_chunking;
	smtp_multi_pump(s);
}

void
smtp_client_resume(struct smtp_client *s)
{
	if (s == NULL || !s->waiting)
		return;
	s->waiting = 0;
	if (s->st == ST_MULTI && !s->finished)
		smtp_multi_pump(s);
}

void
smtp_client_abort(struct smtp_client *s)
{
	if (s == NULL || s->finished)
		return;
	if (s->r->err.cat == MV_ERR_NONE) {
		mv_error_set(&s->r->err, MV_ERR_CLOSED, "stopped before the "
		    "session ended");
		s->r->failed_phase = smtp_current_phase(s);
	}
	s->source_done = 1;
	s->waiting = 0;
	smtp_finish(s);
}

void
smtp_client_drain(struct smtp_client *s)
{
	if (s == NULL || s->finished)
		return;
	s->source_done = 1;
	s->waiting = 0;
	if (s->st == ST_MULTI && s->nslots == 0 && s->mq_len == 0) {
		smtp_batch_flush(s);
		smtp_quit(s);
	}
}

/* --- AUTH --------------------------------------------------------- */

static void
smtp_begin_mail_or_quit(struct smtp_client *s)
{
	if (s->bench) {
		smtp_multi_begin(s);
		return;
	}
	if (s->p->quit_after <= SMTP_PHASE_AUTH)
		smtp_quit(s);
	else
		smtp_begin_envelope(s);
}

static void
smtp_auth_send(struct smtp_client *s, const char *resp, int initial)
{
	char line[SMTP_CMD_MAX + 8192];
	char shown[SMTP_CMD_MAX];

	if (initial) {
		if (resp)
			snprintf(line, sizeof(line), "AUTH %s %s",
			    s->r->auth_mech, resp[0] ? resp : "=");
		else
			snprintf(line, sizeof(line), "AUTH %s",
			    s->r->auth_mech);
		snprintf(shown, sizeof(shown), "AUTH %s%s", s->r->auth_mech,
		    resp ? " <redacted credentials>" : "");
	} else {
		snprintf(line, sizeof(line), "%s", resp);
		snprintf(shown, sizeof(shown), "<redacted SASL response, %zu "
		    "bytes>", strlen(resp));
	}
	smtp_send(s, line, s->p->show_secrets ? NULL : shown);
	smtp_expect(s, s->p->command_timeout_ms, "the reply to AUTH");
}

static void
smtp_begin_auth(struct smtp_client *s)
{
	const struct smtp_client_params *p = s->p;
	struct smtp_client_result *r = s->r;
	struct mv_error err;
	struct buf resp;
	int step;

	if (p->auth_user == NULL) {
		if (p->quit_after == SMTP_PHASE_AUTH)
			smtp_quit(s);
		else
			smtp_begin_mail_or_quit(s);
		return;
	}
	r->auth_attempted = 1;
	snprintf(r->auth_user, sizeof(r->auth_user), "%s", p->auth_user);
	if (!(r->caps.caps & SMTP_CAP_AUTH)) {
		smtp_fail(s, SMTP_PHASE_AUTH, MV_ERR_LACKS_FEATURE, "the "
		    "server does not offer AUTH%s", r->tls_active ? "" :
		    " (many servers offer it only after STARTTLS)");
		return;
	}
	if (sasl_choose_mech(p->auth_mech, r->caps.auth_list, r->auth_mech,
		sizeof(r->auth_mech), &err) == -1 ||
	    (s->sasl = sasl_client_new(r->auth_mech, p->auth_user,
		p->auth_pass ? p->auth_pass : "", p->auth_authzid,
		&err)) == NULL) {
		smtp_fail_err(s, SMTP_PHASE_AUTH, &err);
		return;
	}
	s->st = ST_AUTH;
	session_phase_begin(&s->timing, SMTP_PHASE_AUTH);
	if (!sasl_client_first(s->sasl)) {
		smtp_auth_send(s, NULL, 1);
		return;
	}
	buf_init(&resp, 16384);
	step = sasl_client_step(s->sasl, NULL, &resp, &err);
	if (step == -1) {
		buf_free(&resp);
		smtp_fail_err(s, SMTP_PHASE_AUTH, &err);
		return;
	}
	s->sasl_done = step == 1;
	smtp_auth_send(s, buf_cstr(&resp), 1);
	buf_free(&resp);
}

static void
smtp_on_auth_reply(struct smtp_client *s, const struct smtp_reply *rep)
{
	struct smtp_client_result *r = s->r;
	struct mv_error err;
	struct buf resp;
	char sum[600];
	int step;

	if (rep->code == 334) {
		/* A challenge after the mechanism is complete is refused
		 * by the SASL layer: acknowledging it would let a server
		 * keep us here for ever. */
		buf_init(&resp, 16384);
		step = sasl_client_step(s->sasl, rep->nlines ? rep->lines[0] :
		    "", &resp, &err);
		if (step == -1) {
			buf_free(&resp);
			/* Cancel the exchange (RFC 4954 4) before leaving. */
			smtp_send(s, "*", NULL);
			smtp_fail_err(s, SMTP_PHASE_AUTH, &err);
			return;
		}
		s->sasl_done = step == 1;
		smtp_auth_send(s, buf_cstr(&resp), 0);
		buf_free(&resp);
		return;
	}
	smtp_copy(s, &r->auth, rep);
	session_phase_end(&s->timing, SMTP_PHASE_AUTH);
	if (rep->code != 235) {
		smtp_fail(s, SMTP_PHASE_AUTH, MV_ERR_REJECTED, "authentication "
		    "as %s with %s failed: %s%s", s->p->auth_user, r->auth_mech,
		    smtp_summary(s, &r->auth, sum, sizeof(sum)),
		    rep->code == 535 ? " (the server rejects these "
		    "credentials: check the user name, its domain part and "
		    "the password)" : rep->code == 534 ? " (the server wants "
		    "a stronger mechanism: try --auth-mech)" : rep->code ==
		    538 ? " (the server wants TLS before this mechanism)" :
		    "");
		return;
	}
	if (!s->sasl_done) {
		/* SCRAM: the server's signature never came, so nothing
		 * shows that it knows the password (RFC 5802 5). */
		smtp_fail(s, SMTP_PHASE_AUTH, MV_ERR_PROTOCOL, "the server "
		    "accepted %s before the exchange was complete: it never "
		    "proved that it knows the password", r->auth_mech);
		return;
	}
	r->auth_ok = 1;
	smtp_begin_mail_or_quit(s);
}

/* --- greeting, EHLO, STARTTLS --------------------------------------- */

static void
smtp_send_ehlo(struct smtp_client *s, enum smtp_state st)
{
	char line[SMTP_CMD_MAX];

	snprintf(line, sizeof(line), "%s %s", s->p->lmtp ? "LHLO" : "EHLO",
	    s->p->helo_name);
	s->st = st;
	session_phase_begin(&s->timing, st == ST_EHLO ? SMTP_PHASE_EHLO : SMTP_PHASE_EHLO_TLS);
	smtp_send(s, line, NULL);
	smtp_expect(s, s->p->command_timeout_ms, s->p->lmtp ?
	    "the reply to LHLO" : "the reply to EHLO");
}

/* After a successful EHLO/HELO: STARTTLS, then AUTH, then mail. */
static void
smtp_after_ehlo(struct smtp_client *s)
{
	const struct smtp_client_params *p = s->p;
	struct smtp_client_result *r = s->r;

	if (!r->tls_active && p->tls != TLS_POLICY_OFF && !s->starttls_refused) {
		if (r->caps.caps & SMTP_CAP_STARTTLS) {
			if (p->quit_after <= SMTP_PHASE_EHLO) {
				smtp_quit(s);
				return;
			}
			s->st = ST_STARTTLS;
			session_phase_begin(&s->timing, SMTP_PHASE_STARTTLS);
			smtp_send(s, "STARTTLS", NULL);
			smtp_expect(s, p->command_timeout_ms,
			    "the reply to STARTTLS");
			return;
		}
		if (p->tls == TLS_POLICY_REQUIRED) {
			smtp_fail(s, SMTP_PHASE_STARTTLS, MV_ERR_LACKS_FEATURE,
			    "the server does not offer STARTTLS, and TLS is "
			    "required (--tls required): refusing to continue "
			    "in plaintext");
			return;
		}
		if (s->tr)
			transcript_addf(s->tr, TR_INFO, "the server does not "
			    "offer STARTTLS; continuing in plaintext");
	}
	if (p->quit_after <= SMTP_PHASE_STARTTLS) {
		smtp_quit(s);
		return;
	}
	smtp_begin_auth(s);
}

static void
smtp_on_ehlo_reply(struct smtp_client *s, const struct smtp_reply *rep)
{
	struct smtp_client_result *r = s->r;
	char sum[600];

	smtp_copy(s, &r->ehlo, rep);
	if (s->st == ST_EHLO)
		session_phase_end(&s->timing, SMTP_PHASE_EHLO);
	else if (s->st == ST_EHLO_TLS)
		session_phase_end(&s->timing, SMTP_PHASE_EHLO_TLS);
	if (rep->code == 250) {
		if (s->st == ST_HELO) {
			r->helo_fallback = 1;
			memset(&r->caps, 0, sizeof(r->caps));
		} else {
			smtp_ehlo_parse(rep, &r->caps);
		}
		r->have_caps = 1;
		if (!r->tls_active) {
			r->caps_plain = r->caps;
			r->have_caps_plain = 1;
			r->starttls_offered =
			    (r->caps.caps & SMTP_CAP_STARTTLS) != 0;
		}
		smtp_after_ehlo(s);
		return;
	}
	if (s->st == ST_EHLO && !s->p->lmtp && rep->code >= 500) {
		char line[SMTP_CMD_MAX];

		/* RFC 5321 3.2: fall back to HELO for old servers. */
		snprintf(line, sizeof(line), "HELO %s", s->p->helo_name);
		s->st = ST_HELO;
		smtp_send(s, line, NULL);
		smtp_expect(s, s->p->command_timeout_ms, "the reply to HELO");
		return;
	}
	smtp_fail(s, smtp_current_phase(s), MV_ERR_REJECTED, "%s was refused: %s",
	    s->st == ST_HELO ? "HELO" : s->p->lmtp ? "LHLO" : "EHLO",
	    smtp_summary(s, &r->ehlo, sum, sizeof(sum)));
}

static void
smtp_on_starttls_reply(struct smtp_client *s, const struct smtp_reply *rep,
    size_t trailing)
{
	struct smtp_client_result *r = s->r;
	char sum[600];

	smtp_copy(s, &r->starttls, rep);
	session_phase_end(&s->timing, SMTP_PHASE_STARTTLS);
	if (rep->code == 220) {
		if (trailing || smtp_reply_parser_pending(&s->parser)) {
			/* Bytes after the 220 would be read as if they had
			 * come through TLS: the STARTTLS injection class. */
			smtp_fail(s, SMTP_PHASE_STARTTLS, MV_ERR_PROTOCOL,
			    "the server sent %zu bytes of plaintext after "
			    "its 220 reply to STARTTLS; refusing to start TLS "
			    "over them (STARTTLS command injection)",
			    trailing + s->parser.line.len + s->parser.store.len);
			return;
		}
		s->st = ST_TLS;
		if (s->conn)
			conn_starttls(s->conn);
		return;
	}
	if (s->p->tls == TLS_POLICY_REQUIRED) {
		smtp_fail(s, SMTP_PHASE_STARTTLS, MV_ERR_REJECTED, "STARTTLS "
		    "was refused and TLS is required: %s",
		    smtp_summary(s, &r->starttls, sum, sizeof(sum)));
		return;
	}
	if (s->tr)
		transcript_addf(s->tr, TR_INFO, "STARTTLS refused; continuing "
		    "in plaintext");
	s->starttls_refused = 1;
	smtp_after_ehlo(s);
}

static void
smtp_on_banner(struct smtp_client *s, const struct smtp_reply *rep)
{
	struct smtp_client_result *r = s->r;
	char sum[600];

	smtp_copy(s, &r->banner, rep);
	session_phase_end(&s->timing, SMTP_PHASE_BANNER);
	if (rep->code != 220) {
		smtp_fail(s, SMTP_PHASE_BANNER, rep->code >= 400 ?
		    MV_ERR_REJECTED : MV_ERR_PROTOCOL, "the server %s: %s",
		    rep->code >= 400 ? "refuses service" :
		    "greeted with an unexpected code",
		    smtp_summary(s, &r->banner, sum, sizeof(sum)));
		return;
	}
	if (s->p->quit_after <= SMTP_PHASE_BANNER) {
		smtp_quit(s);
		return;
	}
	smtp_send_ehlo(s, ST_EHLO);
}

static void
smtp_on_reply(struct smtp_client *s, const struct smtp_reply *rep,
    size_t trailing)
{
	switch (s->st) {
	case ST_BANNER:
		smtp_on_banner(s, rep);
		break;
	case ST_EHLO:
	case ST_HELO:
	case ST_EHLO_TLS:
		smtp_on_ehlo_reply(s, rep);
		break;
	case ST_STARTTLS:
		smtp_on_starttls_reply(s, rep, trailing);
		break;
	case ST_AUTH:
		smtp_on_auth_reply(s, rep);
		break;
	case ST_ENVELOPE:
		smtp_on_envelope_reply(s, rep);
		break;
	case ST_EOD:
		smtp_on_eod_reply(s, rep);
		break;
	case ST_MULTI:
		smtp_multi_reply(s, rep);
		break;
	case ST_QUIT:
		s->r->quit_ok = rep->code == 221;
		session_phase_end(&s->timing, SMTP_PHASE_QUIT);
		smtp_finish(s);
		break;
	case ST_CONNECTING:
	case ST_TLS:
	case ST_DONE:
		smtp_fail(s, smtp_current_phase(s), MV_ERR_PROTOCOL, "the "
		    "server sent a reply (%d) when none was expected",
		    rep->code);
		break;
	}
}

/* --- connection callbacks ----------------------------------------- */

static void
smtp_conn_read(struct conn *c, const char *data, size_t len, void *arg)
{
	struct smtp_client *s = arg;
	unsigned writes = s->writes;
	struct mv_error err;
	size_t used, i;

	(void)c;
	s->in_read = 1;
	while (len > 0 && !s->finished) {
		/* Bytes of this read that follow a reply we have already
		 * answered with a new command were sent before the server
		 * could have read it: replies out of step with commands. */
		if (s->writes != writes && s->st != ST_QUIT) {
			smtp_fail(s, smtp_current_phase(s), MV_ERR_PROTOCOL,
			    "the server sent %zu bytes before it could have "
			    "read our last command: its replies are out of "
			    "step with the commands", len);
			break;
		}
		enum smtp_reply_status st;

		st = smtp_reply_parser_feed(&s->parser, data, len, &used,
		    &s->reply, &err);
		if (st == SMTP_REPLY_ERROR) {
			smtp_fail_err(s, smtp_current_phase(s), &err);
			break;
		}
		if (st == SMTP_REPLY_MORE)
			break;
		data += used;
		len -= used;
		s->r->bare_lf_lines += s->reply.bare_lf;
		s->r->replies[s->reply.code / 100]++;
		for (i = 0; s->tr && i < s->reply.nlines; i++)
			transcript_add(s->tr, TR_SERVER, s->reply.raw[i],
			    strlen(s->reply.raw[i]));
		smtp_on_reply(s, &s->reply, len);
		/* After STARTTLS the rest, if any, was refused above. */
		if (s->st == ST_TLS)
			break;
	}
	s->in_read = 0;
	/* Bench mode arms the deadline once per read, not per reply. */
	if (s->st == ST_MULTI)
		smtp_multi_arm(s);
}

static void
smtp_conn_ready(struct conn *c, void *arg)
{
	struct smtp_client *s = arg;

	s->r->tls_active = session_conn_ready(&s->timing, c,
	    SMTP_PHASE_CONNECT, SMTP_PHASE_TLS, &s->r->tls);
	if (s->p->quit_after == SMTP_PHASE_CONNECT ||
	    (s->p->quit_after == SMTP_PHASE_TLS && s->r->tls_active)) {
		smtp_finish(s);
		return;
	}
	s->st = ST_BANNER;
	session_phase_begin(&s->timing, SMTP_PHASE_BANNER);
	smtp_expect(s, s->p->banner_timeout_ms, "the server's greeting "
	    "(220 banner)");
}

static void
smtp_conn_tls(struct conn *c, void *arg)
{
	struct smtp_client *s = arg;

	s->r->tls_active = 1;
	session_conn_upgraded(&s->timing, c, SMTP_PHASE_TLS, &s->r->tls);
	/* RFC 3207 4.2: forget what was learnt before TLS. */
	smtp_reply_parser_reset(&s->parser);
	memset(&s->r->caps, 0, sizeof(s->r->caps));
	s->r->have_caps = 0;
	smtp_send_ehlo(s, ST_EHLO_TLS);
}

static void
smtp_conn_error(struct conn *c, const struct mv_error *err, void *arg)
{
	struct smtp_client *s = arg;
	struct mv_error e = *err;

	/* A certificate that did not verify is still reported. */
	if (session_tls_on_error(&s->timing, c, err, SMTP_PHASE_CONNECT,
	    SMTP_PHASE_TLS, &s->r->tls))
		s->r->tls_active = 1;
	if (s->st == ST_QUIT) {
		/* Closing right after QUIT is what servers do. */
		if (s->tr && err->cat == MV_ERR_TIMEOUT)
			transcript_addf(s->tr, TR_INFO, "no reply to QUIT");
		smtp_finish(s);
		return;
	}
	session_explain_error(err, s->st == ST_BANNER, s->r->implicit_tls,
	    smtp_reply_parser_pending(&s->parser), "465 does, use smtps://",
	    "a reply", &e);
	smtp_fail_err(s, smtp_current_phase(s), &e);
}

struct smtp_client *
smtp_client_start(uv_loop_t *loop, const struct conn_params *cp,
    const struct smtp_client_params *p, struct smtp_client_result *res,
    struct transcript *tr, smtp_client_done_cb on_done, void *arg,
    struct mv_error *err)
{
	static const struct conn_callbacks cbs = {
		.on_ready = smtp_conn_ready,
		.on_read = smtp_conn_read,
		.on_tls = smtp_conn_tls,
		.on_error = smtp_conn_error,
	};
	struct smtp_client *s;
	size_t i;

	memset(res, 0, sizeof(*res));
	if (p->next_txn && (p->txn_done == NULL || p->txn_max_rcpt == 0 ||
	    p->txn_max_rcpt > 100000)) {
		mv_error_set(err, MV_ERR_INTERNAL, "bench mode needs txn_done "
		    "and 1 to 100000 recipients per transaction");
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->q = calloc(p->nrcpt + 2, sizeof(*s->q))) == NULL ||
	    (res->rcpt = calloc(p->nrcpt ? p->nrcpt : 1,
		sizeof(*res->rcpt))) == NULL) {
		if (s)
			free(s->q);
		free(s);
		mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	if (p->next_txn) {
		s->bench = 1;
		s->mq_cap = 2 * (p->txn_max_rcpt + 4) + 4;
		if ((s->mq = calloc(s->mq_cap, sizeof(*s->mq))) == NULL) {
			free(s->q);
			free(s);
			free(res->rcpt);
			res->rcpt = NULL;
			mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
			return NULL;
		}
	}
	res->nrcpt = p->nrcpt;
	for (i = 0; i < p->nrcpt; i++)
		res->rcpt[i].address = p->rcpt[i];
	res->implicit_tls = cp->target->implicit_tls;
	s->p = p;
	s->r = res;
	s->tr = tr;
	s->on_done = on_done;
	s->arg = arg;
	s->st = ST_CONNECTING;
	session_timing_init(&s->timing, res->phase_us, &res->phase_done);
	buf_init(&s->out, 0);
	smtp_reply_parser_init(&s->parser, 0, 0, 0);
	if ((s->conn = conn_new(loop, cp, &cbs, s, err)) == NULL ||
	    conn_start(s->conn, err) == -1) {
		conn_close(s->conn);
		s->conn = NULL;
		smtp_client_free(s);
		smtp_client_result_free(res);
		return NULL;
	}
	return s;
}

void
smtp_client_free(struct smtp_client *s)
{
	if (s == NULL)
		return;
	conn_close(s->conn);
	sasl_client_free(s->sasl);
	smtp_reply_parser_free(&s->parser);
	buf_free(&s->out);
	free(s->q);
	free(s->mq);
	free(s);
}
