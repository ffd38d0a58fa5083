/*
 * pop3_probe.c - run one POP3 session and judge it (see pop3_probe.h).
 *
 * Checks: connect, tls, certificate (probe_net.c), greeting, capa,
 * plaintext-login (USER offered before TLS on a non-TLS session), auth
 * with a plain-words diagnosis, then one check per mailbox command that
 * was asked for.
 */
#include "check/pop3_probe.h"

#include "check/auth_diagnose.h"

#include <stdlib.h>
#include <string.h>

struct pop3_run {
	struct pop3_client_params params;
	struct pop3_client_result *res;
	struct transcript *tr;
};

static void
pop3_done(struct pop3_client *s, void *arg)
{
	(void)s;
	*(int *)arg = 1;
}

static void *
pop3_start(uv_loop_t *loop, const struct conn_params *cp, void *ctx,
    int *done, struct mv_error *err)
{
	struct pop3_run *run = ctx;

	return pop3_client_start(loop, cp, &run->params, run->res, run->tr,
	    pop3_done, done, err);
}

static void
pop3_release(void *s)
{
	pop3_client_free(s);
}

int
pop3_session_run(const struct pop3_probe_params *p,
    struct pop3_client_result *res, struct transcript *tr,
    struct mv_error *err)
{
	struct pop3_run run;

	run.params = p->pop3;
	run.params.tls = p->net.tls_policy;
	run.res = res;
	run.tr = tr;
	return probe_session_run(&p->net, tr, pop3_start, pop3_release, &run,
	    err);
}

static int
reached(const struct pop3_client_result *r, enum pop3_phase ph)
{
	return (r->phase_done & (1u << ph)) != 0;
}

/* The phase got its reply and was not refused: a phase's bit is set by
 * the reply even when the reply was a refusal. */
static int
succeeded(const struct pop3_client_result *r, enum pop3_phase ph)
{
	return reached(r, ph) && !(r->err.cat != MV_ERR_NONE &&
	    r->failed_phase == ph);
}

static void
pop3_unreached(struct report *rep, const char *name, enum pop3_phase ph,
    const struct pop3_client_result *r)
{
	probe_add_unreached(rep, name, r->failed_phase == ph, &r->err);
}

static void
pop3_judge_auth(const struct pop3_probe_params *p, struct report *rep,
    const struct pop3_client_result *r)
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
	if (r->failed_phase != POP3_PHASE_AUTH || r->err.cat == MV_ERR_NONE) {
		pop3_unreached(rep, "auth", POP3_PHASE_AUTH, r);
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
	(void)p;
}

static void
pop3_judge_tls(const struct pop3_probe_params *p, struct report *rep,
    const struct pop3_client_result *r)
{
	struct probe_tls_outcome o;

	memset(&o, 0, sizeof(o));
	o.upgrade = "STLS";
	o.active = r->tls_active;
	o.implicit = r->implicit_tls;
	o.offered = r->stls_offered;
	o.reached = reached(r, POP3_PHASE_CAPA);
	o.refusal = r->stls.seen && !r->stls.ok ? r->stls.text : NULL;
	o.info = &r->tls;
	o.err = &r->err;
	o.err_in_tls = r->failed_phase == POP3_PHASE_TLS ||
	    r->failed_phase == POP3_PHASE_STLS;
	probe_judge_tls(rep, &p->net, &o);
}

static void
pop3_judge_mailbox(const struct pop3_probe_params *p, struct report *rep,
    const struct pop3_client_result *r)
{
	const struct pop3_client_params *pp = &p->pop3;

	if (succeeded(r, POP3_PHASE_STAT))
		report_add_check(rep, "stat", VERDICT_PASS, "%llu messages, "
		    "%llu octets", (unsigned long long)r->stat_count,
		    (unsigned long long)r->stat_octets);
	else if (pp->stat)
		pop3_unreached(rep, "stat", POP3_PHASE_STAT, r);
	if (pp->list || pp->uidl) {
		if (succeeded(r, POP3_PHASE_LIST) ||
		    succeeded(r, POP3_PHASE_UIDL))
			report_add_check(rep, "list", VERDICT_PASS, "%zu "
			    "messages listed", r->listing_total);
		else
			pop3_unreached(rep, "list", pp->list ?
			    POP3_PHASE_LIST : POP3_PHASE_UIDL, r);
	}
	if (pp->find_token) {
		if (r->found)
			report_add_check(rep, "search", VERDICT_PASS, "message "
			    "%llu carries the token", (unsigned long long)
			    r->found);
		else if (succeeded(r, POP3_PHASE_SEARCH))
			report_add_check(rep, "search", VERDICT_FAIL, "no "
			    "message carries the token");
		else
			pop3_unreached(rep, "search", POP3_PHASE_SEARCH, r);
	}
	if (pp->retr || pp->top) {
		if (succeeded(r, POP3_PHASE_RETR))
			report_add_check(rep, "retr", VERDICT_PASS, "message "
			    "%llu: %zu bytes", (unsigned long long)r->retr_msg,
			    r->message.len);
		else
			pop3_unreached(rep, "retr", POP3_PHASE_RETR, r);
	}
	if (pp->dele || pp->dele_found) {
		if (r->deleted)
			report_add_check(rep, "dele", VERDICT_PASS, "marked "
			    "for deletion; removed at QUIT%s", r->quit_ok ?
			    "" : " (QUIT was not confirmed)");
		else if (pp->dele_found && !r->found)
			report_add_check(rep, "dele", VERDICT_SKIP, "nothing "
			    "found to delete");
		else
			pop3_unreached(rep, "dele", POP3_PHASE_DELE, r);
	}
}

void
pop3_probe_judge(const struct pop3_probe_params *p, struct report *rep)
{
	const struct pop3_client_result *r = rep->pop3;

	if (!reached(r, POP3_PHASE_CONNECT)) {
		report_add_check(rep, "connect", VERDICT_ERROR, "%s",
		    r->err.msg);
		return;
	}
	report_add_check(rep, "connect", VERDICT_PASS, "connected to %s in "
	    "%.1f ms", r->peer, (double)r->phase_us[POP3_PHASE_CONNECT] /
	    1000.0);
	pop3_judge_tls(p, rep, r);
	if (reached(r, POP3_PHASE_GREETING))
		report_add_check(rep, "greeting", r->greeting.ok ?
		    VERDICT_PASS : VERDICT_FAIL, "%s%s%s", r->greeting.ok ?
		    "+OK " : "-ERR ", r->greeting.text ? r->greeting.text : "",
		    r->apop_timestamp[0] ? " (APOP timestamp offered)" : "");
	else
		pop3_unreached(rep, "greeting", POP3_PHASE_GREETING, r);
	if (r->have_capa) {
		struct buf capa;

		buf_init(&capa, REPORT_SUMMARY_MAX);
		buf_append_lines(&capa, r->capa, ", ");
		report_add_check(rep, "capa", VERDICT_PASS, "%s",
		    buf_cstr(&capa));
		buf_free(&capa);
	}
	else if (reached(r, POP3_PHASE_CAPA))
		report_add_check(rep, "capa", VERDICT_WARN, "the server does "
		    "not answer CAPA (RFC 2449): its extensions cannot be "
		    "known");
	if (!r->tls_active && r->user_before_tls && p->pop3.user)
		report_add_check(rep, "plaintext-login", VERDICT_WARN, "USER/"
		    "PASS is offered without TLS%s", r->stls_offered ?
		    "; STLS is available, so clients can protect the "
		    "password, but nothing forces them to" : "");
	if (p->pop3.user)
		pop3_judge_auth(p, rep, r);
	if (r->auth_ok)
		pop3_judge_mailbox(p, rep, r);
	if (r->bare_lf_lines)
		report_add_check(rep, "protocol", VERDICT_WARN, "%zu response "
		    "lines ended in a bare LF instead of CRLF",
		    r->bare_lf_lines);
}

int
pop3_probe_run(const struct pop3_probe_params *p, struct report *rep,
    struct mv_error *err)
{
	target_format(&p->net.target, rep->target, sizeof(rep->target));
	if ((rep->pop3 = calloc(1, sizeof(*rep->pop3))) == NULL)
		return mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
	if (pop3_session_run(p, rep->pop3, &rep->tr, err) == -1)
		return -1;
	rep->err = rep->pop3->err;
	pop3_probe_judge(p, rep);
	return 0;
}
