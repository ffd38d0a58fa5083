/*
 * smtp_probe.c - run one SMTP session and judge it (see smtp_probe.h).
 *
 * Verdict rules, per check:
 *   connect   pass when connected; error when DNS/connect failed
 *   tls       pass for TLS 1.2+ verified; warn for plaintext when TLS
 *             was optional and not offered; fail when required and
 *             missing, or when the certificate did not verify
 *   banner, ehlo, auth, mail, rcpt, data   pass on the expected code,
 *             fail on a refusal, skip when not reached
 */
#include "check/smtp_probe.h"

#include "core/buf.h"
#include "proto/message.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#define PROBE_MESSAGE_MAX (64u * 1024 * 1024)

struct smtp_run {
	const struct smtp_client_params *params;
	struct smtp_client_result *res;
	struct transcript *tr;
};

static void
probe_done(struct smtp_client *s, void *arg)
{
	(void)s;
	*(int *)arg = 1;
}

static void *
smtp_start(uv_loop_t *loop, const struct conn_params *cp, void *ctx,
    int *done, struct mv_error *err)
{
	struct smtp_run *run = ctx;

	return smtp_client_start(loop, cp, run->params, run->res, run->tr,
	    probe_done, done, err);
}

static void
smtp_release(void *s)
{
	smtp_client_free(s);
}

static int
has_8bit(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] & 0x80)
			return 1;
	return 0;
}

/* Build the message the session will send, dot-stuffed. */
static int
probe_message(const struct smtp_probe_params *p, struct report *rep,
    struct buf *wire, struct mv_error *err)
{
	struct message_params mp;
	struct buf msg;
	const char *domain;
	int r = -1;

	buf_init(&msg, PROBE_MESSAGE_MAX);
	if (p->raw_message) {
		if (buf_append(&msg, p->raw_message, p->raw_message_len) == -1) {
			mv_error_set(err, MV_ERR_USAGE, "the message is "
			    "larger than %u bytes", PROBE_MESSAGE_MAX);
			goto fail;
		}
	} else {
		if (message_token_new(rep->token, err) == -1)
			goto fail;
		domain = p->msgid_domain ? p->msgid_domain : "mailvet.invalid";
		memset(&mp, 0, sizeof(mp));
		mp.from = p->smtp.mail_from;
		mp.to = p->smtp.rcpt;
		mp.nto = p->smtp.nrcpt;
		mp.subject = p->subject;
		mp.headers = p->headers;
		mp.nheaders = p->nheaders;
		mp.body = p->body;
		mp.body_len = p->body_len;
		mp.token = rep->token;
		mp.msgid_domain = domain;
		mp.date = time(NULL);
		if (message_build(&mp, &msg, err) == -1)
			goto fail;
		if (message_user_header(&mp, "Message-ID") != NULL)
			snprintf(rep->message_id, sizeof(rep->message_id),
			    "%s", message_user_header(&mp, "Message-ID"));
		else
			snprintf(rep->message_id, sizeof(rep->message_id),
			    "<mailvet.%s@%s>", rep->token, domain);
	}
	if (smtp_dot_stuff(msg.data ? msg.data : "", msg.len, wire) == -1) {
		mv_error_set(err, MV_ERR_USAGE, "the message is larger than "
		    "%u bytes", PROBE_MESSAGE_MAX);
		goto fail;
	}
	r = 0;
fail:
	buf_free(&msg);
	return r;
}

static int
phase_reached(const struct smtp_client_result *r, enum smtp_phase ph)
{
	return (r->phase_done & (1u << ph)) != 0;
}

static const char *
first_line(const struct smtp_reply_copy *c, char *out, size_t outsz)
{
	const char *t = c->text ? c->text : "";
	const char *nl = strchr(t, '\n');

	snprintf(out, outsz, "%d%s%.*s", c->code, t[0] ? " " : "",
	    nl ? (int)(nl - t) : (int)strlen(t), t);
	return out;
}

/* The extension lines of an EHLO reply on one line, comma-separated. */
static const char *
ehlo_keywords(const struct smtp_reply_copy *c, char *out, size_t outsz)
{
	const char *t = c->text ? strchr(c->text, '\n') : NULL;
	size_t n = 0;

	if (t == NULL) {
		snprintf(out, outsz, "no extensions");
		return out;
	}
	for (t++; *t && n + 3 < outsz; t++) {
		if (*t == '\n') {
			out[n++] = ',';
			out[n++] = ' ';
		} else
			out[n++] = *t;
	}
	out[n] = '\0';
	return out;
}

static void
probe_unreached(struct report *rep, const char *name, enum smtp_phase ph,
    const struct smtp_client_result *r)
{
	probe_add_unreached(rep, name, r->failed_phase == ph, &r->err);
}

static void
probe_check_tls(const struct smtp_probe_params *p, struct report *rep,
    const struct smtp_client_result *r)
{
	struct probe_tls_outcome o;
	char refusal[600];

	memset(&o, 0, sizeof(o));
	o.upgrade = "STARTTLS";
	o.active = r->tls_active;
	o.implicit = r->implicit_tls;
	o.offered = r->starttls_offered;
	o.reached = phase_reached(r, SMTP_PHASE_EHLO);
	o.stopped_before = p->smtp.quit_after <= SMTP_PHASE_EHLO;
	if (r->starttls.code && r->starttls.code != 220)
		o.refusal = first_line(&r->starttls, refusal, sizeof(refusal));
	o.info = &r->tls;
	o.err = &r->err;
	o.err_in_tls = r->failed_phase == SMTP_PHASE_TLS ||
	    r->failed_phase == SMTP_PHASE_STARTTLS;
	probe_judge_tls(rep, &p->net, &o);
}

static void
probe_check_envelope(const struct smtp_probe_params *p, struct report *rep,
    const struct smtp_client_result *r)
{
	char line[600];
	size_t i, bad = 0;

	if (phase_reached(r, SMTP_PHASE_MAIL))
		report_add_check(rep, "mail", r->mail.code / 100 == 2 ?
		    VERDICT_PASS : VERDICT_FAIL, "MAIL FROM:<%s>: %s",
		    p->smtp.mail_from, first_line(&r->mail, line,
		    sizeof(line)));
	else if (p->smtp.quit_after >= SMTP_PHASE_MAIL && p->smtp.nrcpt)
		probe_unreached(rep, "mail", SMTP_PHASE_MAIL, r);
	if (phase_reached(r, SMTP_PHASE_RCPT)) {
		for (i = 0; i < r->nrcpt; i++)
			if (r->rcpt[i].reply.code / 100 != 2)
				bad++;
		if (bad == 0)
			report_add_check(rep, "rcpt", VERDICT_PASS, "%zu of "
			    "%zu recipients accepted", r->rcpt_accepted,
			    r->nrcpt);
		else
			for (i = 0; i < r->nrcpt; i++)
				if (r->rcpt[i].reply.code / 100 != 2)
					report_add_check(rep, "rcpt",
					    VERDICT_FAIL, "<%s> refused: %s",
					    r->rcpt[i].address,
					    first_line(&r->rcpt[i].reply,
					    line, sizeof(line)));
	} else if (p->smtp.quit_after >= SMTP_PHASE_RCPT && p->smtp.nrcpt)
		probe_unreached(rep, "rcpt", SMTP_PHASE_RCPT, r);
	if (p->smtp.quit_after < SMTP_PHASE_DATA || p->smtp.nrcpt == 0)
		return;
	if (phase_reached(r, SMTP_PHASE_EOD) && r->eod.code / 100 == 2 &&
	    r->err.cat == MV_ERR_NONE)
		report_add_check(rep, "data", VERDICT_PASS, "message accepted"
		    "%s%s: %s", r->queue_id[0] ? ", queue id " : "",
		    r->queue_id, first_line(&r->eod, line, sizeof(line)));
	else if (phase_reached(r, SMTP_PHASE_EOD) ||
	    (r->err.cat != MV_ERR_NONE && (r->failed_phase == SMTP_PHASE_DATA ||
		r->failed_phase == SMTP_PHASE_EOD)))
		report_add_check(rep, "data", VERDICT_FAIL, "%s",
		    r->err.cat != MV_ERR_NONE ? r->err.msg :
		    first_line(&r->eod, line, sizeof(line)));
	else
		report_add_check(rep, "data", VERDICT_SKIP, "not reached");
}

static void
probe_judge(const struct smtp_probe_params *p, struct report *rep)
{
	const struct smtp_client_result *r = rep->smtp;
	char line[600];

	if (phase_reached(r, SMTP_PHASE_CONNECT))
		report_add_check(rep, "connect", VERDICT_PASS, "connected to "
		    "%s in %.1f ms", r->peer,
		    (double)r->phase_us[SMTP_PHASE_CONNECT] / 1000.0);
	else {
		/* Nothing else was reached: one check says it all. */
		report_add_check(rep, "connect", VERDICT_ERROR, "%s",
		    r->err.msg);
		return;
	}
	if (p->smtp.quit_after == SMTP_PHASE_CONNECT)
		return;
	if (p->net.target.implicit_tls || phase_reached(r, SMTP_PHASE_EHLO) ||
	    r->err.cat == MV_ERR_TLS)
		probe_check_tls(p, rep, r);
	if (phase_reached(r, SMTP_PHASE_BANNER))
		report_add_check(rep, "banner", r->banner.code == 220 ?
		    VERDICT_PASS : VERDICT_FAIL, "%s",
		    first_line(&r->banner, line, sizeof(line)));
	else if (phase_reached(r, SMTP_PHASE_CONNECT))
		probe_unreached(rep, "banner", SMTP_PHASE_BANNER, r);
	if (p->smtp.quit_after <= SMTP_PHASE_BANNER)
		return;
	if (r->have_caps && r->helo_fallback)
		report_add_check(rep, "ehlo", VERDICT_WARN, "EHLO refused, "
		    "HELO accepted: the server offers no ESMTP extension");
	else if (r->have_caps)
		report_add_check(rep, "ehlo", VERDICT_PASS, "%s offers %s",
		    r->caps.domain, ehlo_keywords(&r->ehlo, line,
		    sizeof(line)));
	else if (phase_reached(r, SMTP_PHASE_BANNER))
		probe_unreached(rep, "ehlo", r->failed_phase ==
		    SMTP_PHASE_EHLO_TLS ? SMTP_PHASE_EHLO_TLS : SMTP_PHASE_EHLO,
		    r);
	if (p->smtp.auth_user) {
		if (r->auth_ok && r->tls_active)
			report_add_check(rep, "auth", VERDICT_PASS, "%s "
			    "authenticated with %s", p->smtp.auth_user,
			    r->auth_mech);
		else if (r->auth_ok)
			report_add_check(rep, "auth", VERDICT_WARN, "%s "
			    "authenticated with %s over plaintext: the server "
			    "accepts credentials without TLS", p->smtp.auth_user,
			    r->auth_mech);
		else
			probe_unreached(rep, "auth", SMTP_PHASE_AUTH, r);
	}
	probe_check_envelope(p, rep, r);
	if (r->bare_lf_lines)
		report_add_check(rep, "protocol", VERDICT_WARN, "%zu reply "
		    "lines ended in a bare LF instead of CRLF (RFC 5321 "
		    "2.3.8)", r->bare_lf_lines);
}

int
smtp_probe_run(const struct smtp_probe_params *p, struct report *rep,
    struct mv_error *err)
{
	struct smtp_probe_params pp = *p;
	struct smtp_run run;
	struct buf wire;
	int r = -1;

	buf_init(&wire, PROBE_MESSAGE_MAX + PROBE_MESSAGE_MAX / 8);
	target_format(&p->net.target, rep->target, sizeof(rep->target));
	if ((rep->smtp = calloc(1, sizeof(*rep->smtp))) == NULL) {
		mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (p->smtp.quit_after >= SMTP_PHASE_DATA && p->smtp.nrcpt) {
		if (probe_message(p, rep, &wire, err) == -1)
			goto out;
		pp.smtp.message = wire.data;
		pp.smtp.message_len = wire.len;
		pp.smtp.eight_bit = has_8bit(wire.data, wire.len);
	}
	pp.smtp.utf8_addresses = has_8bit(p->smtp.mail_from,
	    strlen(p->smtp.mail_from));
	for (size_t i = 0; i < p->smtp.nrcpt; i++)
		if (has_8bit(p->smtp.rcpt[i], strlen(p->smtp.rcpt[i])))
			pp.smtp.utf8_addresses = 1;
	pp.smtp.tls = p->net.tls_policy;
	run.params = &pp.smtp;
	run.res = rep->smtp;
	run.tr = &rep->tr;
	if (probe_session_run(&pp.net, &rep->tr, smtp_start, smtp_release,
	    &run, err) == -1)
		goto out;
	rep->err = rep->smtp->err;
	if (!phase_reached(rep->smtp, SMTP_PHASE_DATA)) {
		/* The message never left: it has no identity to report. */
		rep->message_id[0] = '\0';
		rep->token[0] = '\0';
	}
	probe_judge(&pp, rep);
	r = 0;
out:
	buf_free(&wire);
	return r;
}
