/*
 * imap_probe.c - run one IMAP session and judge it (see imap_probe.h).
 *
 * Checks: connect, tls, certificate (probe_net.c), greeting,
 * capability, plaintext-login (LOGIN allowed before TLS on a non-TLS
 * session), auth with a plain-words diagnosis (RFC 5530 codes), then
 * select, search, fetch and delete as asked.
 */
#include "check/imap_probe.h"

#include "check/auth_diagnose.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct imap_run {
	struct imap_client_params params;
	struct imap_client_result *res;
	struct transcript *tr;
};

static void
imap_done(struct imap_client *s, void *arg)
{
	(void)s;
	*(int *)arg = 1;
}

static void *
imap_start(uv_loop_t *loop, const struct conn_params *cp, void *ctx,
    int *done, struct mv_error *err)
{
	struct imap_run *run = ctx;

	return imap_client_start(loop, cp, &run->params, run->res, run->tr,
	    imap_done, done, err);
}

static void
imap_release(void *s)
{
	imap_client_free(s);
}

int
imap_session_run(const struct imap_probe_params *p,
    struct imap_client_result *res, struct transcript *tr,
    struct mv_error *err)
{
	struct imap_run run;

	run.params = p->imap;
	run.params.tls = p->net.tls_policy;
	run.res = res;
	run.tr = tr;
	return probe_session_run(&p->net, tr, imap_start, imap_release, &run,
	    err);
}

static int
reached(const struct imap_client_result *r, enum imap_phase ph)
{
	return (r->phase_done & (1u << ph)) != 0;
}

/* The phase got its reply and was not refused: a phase's bit is set by
 * the reply even when the reply was a refusal. */
static int
succeeded(const struct imap_client_result *r, enum imap_phase ph)
{
	return reached(r, ph) && !(r->err.cat != MV_ERR_NONE &&
	    r->failed_phase == ph);
}

static void
imap_unreached(struct report *rep, const char *name, enum imap_phase ph,
    const struct imap_client_result *r)
{
	probe_add_unreached(rep, name, r->failed_phase == ph, &r->err);
}

static const char *
cond_name(enum imap_cond c)
{
	switch (c) {
	case IMAP_COND_OK:
		return "OK";
	case IMAP_COND_NO:
		return "NO";
	case IMAP_COND_BAD:
		return "BAD";
	case IMAP_COND_PREAUTH:
		return "PREAUTH";
	case IMAP_COND_BYE:
		return "BYE";
	case IMAP_COND_NONE:
		break;
	}
	return "";
}

static void
imap_judge_auth(struct report *rep, const struct imap_client_result *r)
{
	struct auth_failure f;
	char advice[512];

	if (r->auth_ok) {
		report_add_check(rep, "auth", r->tls_active ? VERDICT_PASS :
		    VERDICT_WARN, "logged in as %s with %s%s", r->auth_user,
		    r->auth_method, r->tls_active ? "" : " over plaintext: "
		    "the server accepts the password without TLS");
		return;
	}
	if (r->greeting.seen && r->greeting.cond == IMAP_COND_PREAUTH) {
		report_add_check(rep, "auth", VERDICT_WARN, "the server "
		    "authenticated the connection before any login (PREAUTH)");
		return;
	}
	if (r->failed_phase != IMAP_PHASE_AUTH || r->err.cat == MV_ERR_NONE) {
		imap_unreached(rep, "auth", IMAP_PHASE_AUTH, r);
		return;
	}
	if (r->err.cat == MV_ERR_LACKS_FEATURE) {
		/* The engine's message already says what to do. */
		report_add_check(rep, "auth", VERDICT_FAIL, "%s", r->err.msg);
		return;
	}
	memset(&f, 0, sizeof(f));
	f.code = r->auth.code;
	f.text = r->auth.text ? r->auth.text : "";
	f.cat = r->err.cat;
	f.tls_active = r->tls_active;
	auth_diagnose(&f, advice, sizeof(advice));
	report_add_check(rep, "auth", r->err.cat == MV_ERR_TIMEOUT ?
	    VERDICT_ERROR : VERDICT_FAIL, "%s: %s", r->err.msg, advice);
}

static void
imap_judge_tls(const struct imap_probe_params *p, struct report *rep,
    const struct imap_client_result *r)
{
	struct probe_tls_outcome o;

	memset(&o, 0, sizeof(o));
	o.upgrade = "STARTTLS";
	o.active = r->tls_active;
	o.implicit = r->implicit_tls;
	o.offered = r->starttls_offered;
	o.reached = r->have_caps || r->have_caps_plain;
	o.refusal = r->starttls.seen && r->starttls.cond != IMAP_COND_OK ?
	    r->starttls.text : NULL;
	o.info = &r->tls;
	o.err = &r->err;
	o.err_in_tls = r->failed_phase == IMAP_PHASE_TLS ||
	    r->failed_phase == IMAP_PHASE_STARTTLS;
	probe_judge_tls(rep, &p->net, &o);
}

static void
imap_judge_mailbox(const struct imap_probe_params *p, struct report *rep,
    const struct imap_client_result *r)
{
	const struct imap_client_params *pp = &p->imap;

	if (pp->mailbox) {
		char unseen[48] = "";

		if (r->have_unseen)
			snprintf(unseen, sizeof(unseen), ", first unseen %llu",
			    (unsigned long long)r->unseen);
		if (r->selected)
			report_add_check(rep, "select", VERDICT_PASS, "%s: "
			    "%llu messages, %llu recent%s, UIDVALIDITY %llu%s",
			    pp->mailbox, (unsigned long long)r->exists,
			    (unsigned long long)r->recent, unseen,
			    (unsigned long long)r->uidvalidity, r->read_only ?
			    " (read-only)" : "");
		else
			imap_unreached(rep, "select", IMAP_PHASE_SELECT, r);
	}
	if (pp->search_header) {
		if (r->nfound)
			report_add_check(rep, "search", VERDICT_PASS, "%zu "
			    "message(s) with %s: %s, first UID %llu",
			    r->found_total, pp->search_header,
			    pp->search_value, (unsigned long long)
			    r->found_uids[0]);
		else if (succeeded(r, IMAP_PHASE_SEARCH))
			report_add_check(rep, "search", VERDICT_FAIL, "no "
			    "message with %s: %s", pp->search_header,
			    pp->search_value);
		else
			imap_unreached(rep, "search", IMAP_PHASE_SEARCH, r);
	}
	if (pp->fetch) {
		if (succeeded(r, IMAP_PHASE_FETCH) && r->fetch_msg)
			report_add_check(rep, "fetch", VERDICT_PASS, "message "
			    "%llu: %zu bytes", (unsigned long long)r->fetch_msg,
			    r->message.len);
		else
			imap_unreached(rep, "fetch", IMAP_PHASE_FETCH, r);
	}
	if (pp->delete_found) {
		if (r->deleted)
			report_add_check(rep, "delete", VERDICT_PASS, "%d "
			    "message(s) deleted and expunged", r->deleted);
		else if (r->flagged_only)
			report_add_check(rep, "delete", VERDICT_WARN, "%d "
			    "message(s) flagged \\Deleted but not expunged: the "
			    "server has no UID EXPUNGE (UIDPLUS), and EXPUNGE "
			    "would remove other messages flagged \\Deleted too",
			    r->flagged_only);
		else if (r->nfound == 0)
			report_add_check(rep, "delete", VERDICT_SKIP, "nothing "
			    "found to delete");
		else
			imap_unreached(rep, "delete", IMAP_PHASE_DELETE, r);
	}
}

void
imap_probe_judge(const struct imap_probe_params *p, struct report *rep)
{
	const struct imap_client_result *r = rep->imap;

	if (!reached(r, IMAP_PHASE_CONNECT)) {
		report_add_check(rep, "connect", VERDICT_ERROR, "%s",
		    r->err.msg);
		return;
	}
	report_add_check(rep, "connect", VERDICT_PASS, "connected to %s in "
	    "%.1f ms", r->peer, (double)r->phase_us[IMAP_PHASE_CONNECT] /
	    1000.0);
	imap_judge_tls(p, rep, r);
	if (r->greeting.seen)
		report_add_check(rep, "greeting", r->greeting.cond ==
		    IMAP_COND_BYE ? VERDICT_FAIL : VERDICT_PASS, "* %s %s",
		    cond_name(r->greeting.cond), r->greeting.text ?
		    r->greeting.text : "");
	else
		imap_unreached(rep, "greeting", IMAP_PHASE_GREETING, r);
	if (r->have_caps)
		report_add_check(rep, "capability", (r->caps.caps &
		    (IMAP_CAP_IMAP4REV1 | IMAP_CAP_IMAP4REV2)) ? VERDICT_PASS :
		    VERDICT_WARN, "%s", r->caps.all);
	else if (r->greeting.seen && r->greeting.cond != IMAP_COND_BYE)
		imap_unreached(rep, "capability", IMAP_PHASE_CAPABILITY, r);
	if (!r->tls_active && r->have_caps_plain &&
	    !(r->caps_plain.caps & IMAP_CAP_LOGINDISABLED) && p->imap.user)
		report_add_check(rep, "plaintext-login", VERDICT_WARN, "LOGIN "
		    "is allowed without TLS (no LOGINDISABLED)%s",
		    r->starttls_offered ? "; STARTTLS is available, but "
		    "nothing forces clients to use it" : "");
	if (p->imap.user)
		imap_judge_auth(rep, r);
	if (r->auth_ok || (r->greeting.seen &&
	    r->greeting.cond == IMAP_COND_PREAUTH))
		imap_judge_mailbox(p, rep, r);
	if (r->bare_lf_lines)
		report_add_check(rep, "protocol", VERDICT_WARN, "%zu response "
		    "lines ended in a bare LF instead of CRLF",
		    r->bare_lf_lines);
}

int
imap_probe_run(const struct imap_probe_params *p, struct report *rep,
    struct mv_error *err)
{
	target_format(&p->net.target, rep->target, sizeof(rep->target));
	if ((rep->imap = calloc(1, sizeof(*rep->imap))) == NULL)
		return mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
	if (imap_session_run(p, rep->imap, &rep->tr, err) == -1)
		return -1;
	rep->err = rep->imap->err;
	imap_probe_judge(p, rep);
	return 0;
}
