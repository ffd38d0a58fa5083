/*
 * tls_probe.c - run every dialog of `mailvet tls` on one loop and
 * collect the results into struct tls_report (see tls_probe.h).
 *
 * Jobs: per listener one main dialog; when it is done and TLS worked,
 * one dialog per protocol version (min = max = that version), one that
 * offers the main dialog's session for resumption, and, for STARTTLS
 * listeners that offer it, the injection dialog.  At most max_parallel
 * connections are open at once, so a small server's connection limits
 * are not mistaken for findings.  A main handshake that fails for want
 * of legacy settings gets the version sweep anyway and a second main
 * dialog at security level 0 (JOB_LEGACY).  One timer bounds the whole
 * run (--max-time): dialogs still running are aborted, jobs not
 * started are reported as not tried.  Only the main dialog of a single
 * target writes to the transcript (interleaved dialogs would be
 * unreadable).
 */
#include "check/tls_probe.h"

#include "report/tls_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum job_kind {
	JOB_MAIN,
	JOB_VERSION,
	JOB_RESUME,
	JOB_INJECT,
	JOB_LEGACY,   /* the main dialog again at security level 0 */
};

struct tls_job {
	enum job_kind kind;
	enum tls_ver ver;
	size_t port;
	int started, finished;
	struct tls_config tls;
	struct conn_params cp;
	struct tls_dialog_params dp;
	struct tls_dialog_result res;
	struct tls_dialog *d;
	struct tls_runner *run;
};

#define TLS_JOBS_PER_PORT (1 + TLS_VER_COUNT + 2)

struct tls_runner {
	uv_loop_t loop;
	const struct tls_probe_params *p;
	struct report *rep;
	struct tls_report *tr;
	struct tls_job jobs[TLS_REPORT_MAX_PORTS * TLS_JOBS_PER_PORT];
	size_t njobs;
	size_t running;
	struct tls_session_store *stores[TLS_REPORT_MAX_PORTS];
	int legacy[TLS_REPORT_MAX_PORTS]; /* the port needs level 0 */
	uv_timer_t deadline;          /* --max-time */
	int deadline_open;            /* the timer handle is not closed */
	int expired;                  /* --max-time ran out */
};

static const int ver_code[TLS_VER_COUNT] = {
	TLS_VERSION_1_0, TLS_VERSION_1_1, TLS_VERSION_1_2, TLS_VERSION_1_3,
};

enum tls_dialog_proto
tls_dialog_proto_of(const struct target *t)
{
	switch (t->proto) {
	case TARGET_PROTO_LMTP:
		return TLS_DIALOG_LMTP;
	case TARGET_PROTO_POP3:
		return TLS_DIALOG_POP3;
	case TARGET_PROTO_IMAP:
		return TLS_DIALOG_IMAP;
	default:
		return TLS_DIALOG_SMTP;
	}
}

static void runner_pump(struct tls_runner *r);

static struct tls_job *
runner_add(struct tls_runner *r, enum job_kind kind, size_t port)
{
	const struct tls_probe_target *t = &r->p->targets[port];
	struct tls_job *j;

	if (r->njobs >= sizeof(r->jobs) / sizeof(r->jobs[0]))
		return NULL;
	j = &r->jobs[r->njobs++];
	memset(j, 0, sizeof(*j));
	j->kind = kind;
	j->port = port;
	j->run = r;
	probe_conn_params(&t->net, &j->tls, NULL, &j->cp);
	/* The certificate is judged, not obeyed: always finish the
	 * handshake so the chain can be shown. */
	j->tls.insecure = 1;
	j->tls.security_level0 = kind == JOB_LEGACY || r->legacy[port];
	if (kind == JOB_LEGACY) /* offer every version mailvet can */
		j->tls.min_version = TLS_VERSION_1_0;
	j->cp.prepare_tls = 1;
	if (kind == JOB_MAIN && !r->p->all_ports)
		j->cp.tr = &r->rep->tr;
	if (kind == JOB_MAIN || kind == JOB_RESUME || kind == JOB_LEGACY)
		j->tls.sessions = r->stores[port];
	j->dp.proto = t->proto;
	j->dp.implicit = t->net.target.implicit_tls;
	j->dp.mail_before_tls = (kind == JOB_MAIN || kind == JOB_LEGACY) &&
	    t->submission;
	j->dp.inject = kind == JOB_INJECT;
	j->dp.helo_name = r->p->helo_name;
	j->dp.greeting_timeout_ms = r->p->greeting_timeout_ms;
	j->dp.command_timeout_ms = r->p->command_timeout_ms;
	return j;
}

/* prefix and text into out; text that does not fit is cut at a word
 * boundary and ends in "..." (U+2026), never mid-word. */
static void
text_fit(char *out, size_t outsz, const char *prefix, const char *text)
{
	static const char ell[] = "\xe2\x80\xa6";
	size_t pl = strlen(prefix), tl = strlen(text), keep, cut;

	if (outsz == 0)
		return;
	if (pl + tl < outsz) {
		memcpy(out, prefix, pl);
		memcpy(out + pl, text, tl + 1);
		return;
	}
	if (pl + sizeof(ell) >= outsz) {
		snprintf(out, outsz, "%s", prefix);
		return;
	}
	keep = outsz - pl - sizeof(ell); /* room for the text */
	cut = keep;
	while (keep > 0 && text[keep] != ' ')
		keep--;
	if (keep == 0) { /* one long word: cut it, not a UTF-8 sequence */
		keep = cut;
		while (keep > 0 && ((unsigned char)text[keep] & 0xc0) == 0x80)
			keep--;
	}
	while (keep > 0 && (text[keep - 1] == ' ' || text[keep - 1] == ','
	    || text[keep - 1] == ':' || text[keep - 1] == ';' ||
	    text[keep - 1] == '('))
		keep--;
	snprintf(out, outsz, "%s%.*s%s", prefix, (int)keep, text, ell);
}

/* Why a handshake limited to one version failed, in words that fit
 * that probe: the general advice of net/tls.c ("no version in common,
 * the server may offer only older versions") is misleading when
 * mailvet offered exactly one version on purpose.  The OpenSSL reason
 * at the end of msg tells what the server did. */
static const char *
tls_refusal_words(const char *msg)
{
	static const struct {
		const char *reason;
		const char *words;
	} map[] = {
		{ "alert protocol version", "refused (protocol_version "
		    "alert)" },
		{ "unsupported protocol", "refused (the server chose another "
		    "version)" },
		{ "wrong version number", "refused (the server answered with "
		    "another version)" },
		{ "alert handshake failure", "refused (handshake_failure "
		    "alert: no cipher or signature algorithm in common at "
		    "this version)" },
		{ "no shared cipher", "refused (no cipher in common at this "
		    "version)" },
		{ "no ciphers available", "not offered: this system has no "
		    "cipher for this version" },
		{ "no protocols available", "not offered: this system's "
		    "OpenSSL cannot speak this version" },
		{ "legacy sigalg disallowed", "refused (only legacy "
		    "signature algorithms)" },
		{ "unexpected eof", "refused (the server closed the "
		    "connection)" },
		{ "closed the TLS session", "refused (the server closed the "
		    "connection)" },
		{ "internal error", "refused (internal_error alert)" },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strstr(msg, map[i].reason) != NULL)
			return map[i].words;
	return msg;
}

static void
job_version_result(struct tls_job *j, struct tls_port_result *pr)
{
	struct tls_version_result *v = &pr->versions[j->ver];

	v->tried = 1;
	if (j->res.tls_active) {
		v->accepted = 1;
		snprintf(v->detail, sizeof(v->detail), "%s", j->res.tls.cipher);
	} else if (j->res.err_in_tls) {
		/* Refusal reasons are short; a long one is cut. */
		snprintf(v->detail, sizeof(v->detail), "%.255s",
		    tls_refusal_words(j->res.err.msg));
	} else {
		v->untested = 1;
		snprintf(v->detail, sizeof(v->detail), "%.255s",
		    j->res.err.cat != MV_ERR_NONE ? j->res.err.msg :
		    "the dialog ended before TLS");
	}
}

static void
job_main_result(struct tls_runner *r, struct tls_job *j,
    struct tls_port_result *pr)
{
	const struct tls_dialog_result *d = &j->res;
	int have = 0, ticket = 0;
	unsigned long life = 0;

	pr->open = d->connected;
	snprintf(pr->peer, sizeof(pr->peer), "%s", d->peer);
	pr->err = d->err;
	pr->err_in_tls = d->err_in_tls;
	snprintf(pr->greeting, sizeof(pr->greeting), "%s", d->greeting);
	pr->caps_seen = d->caps_seen;
	pr->starttls_offered = d->starttls_offered;
	snprintf(pr->caps_plain, sizeof(pr->caps_plain), "%s", d->caps);
	snprintf(pr->auth_plain, sizeof(pr->auth_plain), "%s", d->auth);
	pr->login_plain = d->login_allowed;
	pr->mail_tested = d->mail_code != 0;
	pr->mail_code = d->mail_code;
	snprintf(pr->mail_reply, sizeof(pr->mail_reply), "%s",
	    d->mail_reply);
	snprintf(pr->starttls_reply, sizeof(pr->starttls_reply), "%s",
	    d->starttls_reply);
	pr->starttls_accepted = d->starttls_code == 1;
	pr->tls_active = d->tls_active;
	if (d->tls_active)
		pr->tls = d->tls;
	pr->tls_ms = d->tls_ms;
	tls_session_store_state(r->stores[j->port], &have, &life, &ticket);
	pr->session_offered = have;
	pr->session_ticket = ticket;
	pr->ticket_lifetime_s = life;
}

/* A handshake failure that a server limited to old versions, SHA-1
 * signatures or small keys causes under this system's default security
 * level (OpenSSL's reason is at the end of the message). */
static int
legacy_failure(const struct tls_port_result *pr)
{
	static const char *const reasons[] = { "legacy sigalg",
		"alert protocol version", "unsupported protocol",
		"no protocols available", "alert handshake failure",
		"too small", "too weak", "no shared cipher",
		"no ciphers available", "no suitable signature",
		"version too low" };
	size_t i;

	if (!pr->err_in_tls || pr->err.cat != MV_ERR_TLS ||
	    strstr(pr->err.msg, TLS_PLAINTEXT_PREFIX) != NULL)
		return 0;
	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (strstr(pr->err.msg, reasons[i]) != NULL)
			return 1;
	return 0;
}

static void
queue_versions(struct tls_runner *r, size_t port)
{
	struct tls_job *j;
	int v;

	for (v = 0; v < TLS_VER_COUNT; v++) {
		if ((j = runner_add(r, JOB_VERSION, port)) == NULL)
			return;
		j->ver = (enum tls_ver)v;
		j->tls.min_version = ver_code[v];
		j->tls.max_version = ver_code[v];
		j->tls.sessions = NULL;
	}
}

/* The main dialog is done: queue what depends on it.  When its
 * handshake failed for want of legacy settings, sweep the versions
 * anyway and run it again at security level 0 (JOB_LEGACY), so that
 * the chain and the versions that work can still be shown. */
static void
job_main_followups(struct tls_runner *r, size_t port, int legacy)
{
	const struct tls_port_result *pr = &r->tr->ports[port];
	const struct tls_probe_params *p = r->p;

	if (!pr->tls_active && !legacy && legacy_failure(pr)) {
		if (p->versions)
			queue_versions(r, port);
		r->legacy[port] = 1;
		(void)runner_add(r, JOB_LEGACY, port);
		return;
	}
	if (!pr->tls_active)
		return;
	if (p->versions && !legacy) {
		queue_versions(r, port);
	}
	if (p->resumption && pr->session_offered)
		(void)runner_add(r, JOB_RESUME, port);
	if (p->injection && !pr->implicit && pr->starttls_offered)
		(void)runner_add(r, JOB_INJECT, port);
}

static void
job_done(struct tls_dialog *d, void *arg)
{
	struct tls_job *j = arg;
	struct tls_runner *r = j->run;
	struct tls_port_result *pr = &r->tr->ports[j->port];

	(void)d;
	j->finished = 1;
	r->running--;
	switch (j->kind) {
	case JOB_MAIN:
		job_main_result(r, j, pr);
		job_main_followups(r, j->port, 0);
		break;
	case JOB_LEGACY:
		if (!j->res.tls_active)
			break; /* the first failure stands */
		{
			struct mv_error strict = pr->err;

			job_main_result(r, j, pr);
			pr->legacy_only = 1;
			pr->strict_err = strict;
		}
		job_main_followups(r, j->port, 1);
		break;
	case JOB_VERSION:
		pr->versions_tested = 1;
		job_version_result(j, pr);
		break;
	case JOB_RESUME:
		pr->resumption_tested = 1;
		pr->resumed = j->res.tls_active && j->res.tls.session_reused;
		text_fit(pr->resumption_detail, sizeof(pr->resumption_detail),
		    "", !j->res.tls_active ? j->res.err.msg :
		    pr->resumed ? "session resumed on a second connection" :
		    "the server gave a session but did a full handshake when "
		    "it was offered back");
		break;
	case JOB_INJECT: {
		char ev[200];

		if (j->res.pre_tls_extra[0]) {
			pr->injection = TLS_INJECT_PLAINTEXT;
			text_fit(pr->injection_evidence,
			    sizeof(pr->injection_evidence), "it sent before "
			    "the handshake: ", j->res.pre_tls_extra);
		} else if (!j->res.tls_active && j->res.err_in_tls &&
		    j->res.err.cat == MV_ERR_CLOSED) {
			/* The main dialog's handshake worked: this refusal
			 * is the server's answer to the pending command. */
			pr->injection = TLS_INJECT_SAFE;
			snprintf(pr->injection_evidence,
			    sizeof(pr->injection_evidence), "the server closed "
			    "the connection instead of starting TLS with a "
			    "command pending");
		} else if (!j->res.tls_active) {
			pr->injection = TLS_INJECT_ERROR;
			text_fit(pr->injection_evidence,
			    sizeof(pr->injection_evidence), "",
			    j->res.err.cat != MV_ERR_NONE ? j->res.err.msg :
			    "TLS did not start");
		} else if (tls_dialog_injection_answered(j->dp.proto,
		    buf_cstr(&j->res.post_tls), j->res.post_tls.len, ev,
		    sizeof(ev))) {
			pr->injection = TLS_INJECT_VULNERABLE;
			snprintf(pr->injection_evidence,
			    sizeof(pr->injection_evidence), "inside TLS: %s",
			    ev);
		} else {
			pr->injection = TLS_INJECT_SAFE;
			snprintf(pr->injection_evidence,
			    sizeof(pr->injection_evidence), "the command sent "
			    "with STARTTLS was not answered");
		}
		break;
	}
	}
	runner_pump(r);
}

static void
runner_pump(struct tls_runner *r)
{
	size_t i, max = r->p->max_parallel ? r->p->max_parallel : 8;

	for (i = 0; !r->expired && i < r->njobs && r->running < max; i++) {
		struct tls_job *j = &r->jobs[i];
		struct mv_error err;

		if (j->started)
			continue;
		j->started = 1;
		j->d = tls_dialog_start(&r->loop, &j->cp, &j->dp, &j->res,
		    job_done, j, &err);
		if (j->d == NULL) {
			j->res.err = err;
			j->finished = 1;
			if (j->kind == JOB_MAIN)
				job_main_result(r, j, &r->tr->ports[j->port]);
			continue;
		}
		r->running++;
	}
	/* Nothing left to run: the deadline timer must not keep the loop
	 * alive. */
	if (r->running == 0 && r->deadline_open) {
		r->deadline_open = 0;
		uv_close((uv_handle_t *)&r->deadline, NULL);
	}
}

static void
runner_deadline(uv_timer_t *h)
{
	struct tls_runner *r = h->data;
	struct mv_error err;
	size_t i;

	r->expired = 1;
	/* In seconds with a decimal: "0 s" would read as "no limit". */
	mv_error_set(&err, MV_ERR_TIMEOUT, "the overall time limit "
	    "(--max-time, %.1f s) ran out first",
	    (double)r->p->max_time_ms / 1000.0);
	for (i = 0; i < r->njobs; i++)
		if (r->jobs[i].started && !r->jobs[i].finished)
			tls_dialog_abort(r->jobs[i].d, &err);
	runner_pump(r);
}

/* After the loop: what --max-time left untried says so. */
static void
runner_untried(struct tls_runner *r)
{
	static const char why[] = "not tried: the overall time limit "
	    "(--max-time) ran out first";
	size_t i;

	for (i = 0; i < r->njobs; i++) {
		struct tls_job *j = &r->jobs[i];
		struct tls_port_result *pr = &r->tr->ports[j->port];

		if (j->started)
			continue;
		switch (j->kind) {
		case JOB_MAIN:
			mv_error_set(&j->res.err, MV_ERR_TIMEOUT, "%s", why);
			job_main_result(r, j, pr);
			break;
		case JOB_VERSION:
			pr->versions_tested = 1;
			pr->versions[j->ver].tried = 1;
			pr->versions[j->ver].untested = 1;
			snprintf(pr->versions[j->ver].detail,
			    sizeof(pr->versions[j->ver].detail), "%s", why);
			break;
		case JOB_RESUME:
			pr->resumption_tested = 1;
			snprintf(pr->resumption_detail,
			    sizeof(pr->resumption_detail), "%s", why);
			break;
		case JOB_INJECT:
			pr->injection = TLS_INJECT_ERROR;
			snprintf(pr->injection_evidence,
			    sizeof(pr->injection_evidence), "%s", why);
			break;
		case JOB_LEGACY:
			break;
		}
	}
}

static void
runner_fill_ports(struct tls_runner *r)
{
	const struct tls_probe_params *p = r->p;
	size_t i;

	r->tr->all_ports = p->all_ports;
	snprintf(r->tr->host, sizeof(r->tr->host), "%s", p->host ? p->host :
	    p->ntargets ? p->targets[0].net.target.host : "");
	r->tr->warn_days = p->warn_days;
	r->tr->crit_days = p->crit_days;
	r->tr->nports = p->ntargets;
	for (i = 0; i < p->ntargets; i++) {
		struct tls_port_result *pr = &r->tr->ports[i];
		const struct target *t = &p->targets[i].net.target;

		snprintf(pr->label, sizeof(pr->label), "%s",
		    p->targets[i].label);
		if (p->targets[i].proto == TLS_DIALOG_SIEVE)
			snprintf(pr->url, sizeof(pr->url),
			    strchr(t->host, ':') ? "sieve://[%s]:%u" :
			    "sieve://%s:%u", t->host, t->port);
		else
			target_format(t, pr->url, sizeof(pr->url));
		pr->port = t->port;
		pr->implicit = t->implicit_tls;
	}
}

int
tls_probe_run(const struct tls_probe_params *p, struct report *rep,
    struct mv_error *err)
{
	struct tls_runner *r;
	size_t i;
	int ret = -1;

	if (p->ntargets == 0 || p->ntargets > TLS_REPORT_MAX_PORTS)
		return mv_error_set(err, MV_ERR_USAGE, "no listener to test");
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (rep->tls = calloc(1, sizeof(*rep->tls))) == NULL) {
		free(r);
		return mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
	}
	r->p = p;
	r->rep = rep;
	r->tr = rep->tls;
	if (p->all_ports)
		snprintf(rep->target, sizeof(rep->target), "%s", p->host);
	else
		target_format(&p->targets[0].net.target, rep->target,
		    sizeof(rep->target));
	runner_fill_ports(r);
	if (uv_loop_init(&r->loop) != 0) {
		mv_error_set(err, MV_ERR_INTERNAL, "cannot start the event "
		    "loop");
		free(r);
		return -1;
	}
	if (p->max_time_ms > 0 && uv_timer_init(&r->loop, &r->deadline) == 0) {
		r->deadline.data = r;
		r->deadline_open = 1;
		uv_timer_start(&r->deadline, runner_deadline, p->max_time_ms, 0);
	}
	for (i = 0; i < p->ntargets; i++) {
		if ((r->stores[i] = tls_session_store_new()) == NULL) {
			mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
			goto out;
		}
		(void)runner_add(r, JOB_MAIN, i);
	}
	runner_pump(r);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	runner_untried(r);
	ret = 0;
out:
	if (r->deadline_open) {
		r->deadline_open = 0;
		uv_close((uv_handle_t *)&r->deadline, NULL);
	}
	for (i = 0; i < r->njobs; i++) {
		tls_dialog_free(r->jobs[i].d);
		r->jobs[i].d = NULL;
	}
	if (probe_loop_run(&r->loop, ret == 0 ? err : &(struct mv_error){0})
	    == -1)
		ret = -1;
	for (i = 0; i < r->njobs; i++)
		tls_dialog_result_free(&r->jobs[i].res);
	for (i = 0; i < TLS_REPORT_MAX_PORTS; i++)
		tls_session_store_free(r->stores[i]);
	if (ret == 0)
		for (i = 0; i < p->ntargets; i++)
			tls_judge_port(rep, p, &p->targets[i],
			    &r->tr->ports[i]);
	if (ret == 0 && p->all_ports)
		tls_judge_allports(rep, r->tr);
	free(r);
	return ret;
}
