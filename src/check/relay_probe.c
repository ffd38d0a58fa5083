/*
 * relay_probe.c - run the open-relay battery (see relay_probe.h).
 *
 * Order: one discovery session per vantage until one reaches EHLO (the
 * server's name, hence the default local domain, and its address, hence
 * the IP literal); then every attempt from every vantage, each its own
 * session that says QUIT after RCPT, at most `concurrency` at once on one
 * loop; with confirm, the accepted relaying attempts again with DATA and
 * a tagged message each, then a bounded wait for the tokens at the sink.
 * --max-time bounds the sessions: a timer on the loop aborts those in
 * flight (a tarpit holds each for every phase timeout) and no more
 * start; the sink wait (--confirm-wait) comes on top.  Which 4xx
 * refuses and which only defers is relay_judge.c's rule
 * (relay_reply_refuses), as is all judgement.
 */
#include "check/relay_probe.h"

#include "bench/sink.h"
#include "check/relay_battery.h"
#include "check/relay_judge.h"
#include "core/buf.h"
#include "core/clock.h"
#include "proto/message.h"
#include "proto/smtp_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <uv.h>

#define RELAY_MESSAGE_MAX (64u * 1024)
#define RELAY_POLL_MS     100

struct relay_ctx;

/* One session: an attempt's RCPT run, or its confirming DATA run. */
struct relay_job {
	struct relay_ctx *ctx;
	struct relay_result *res;
	const char *source;
	int confirm;
	const char *rcpt[1];
	struct smtp_client_params sp;
	struct smtp_client_result sr;
	struct tls_config tls;
	struct conn_params cp;
	struct probe_net net;
	struct smtp_client *s;
	struct buf wire;
	int done;
	int not_run;                  /* --max-time: never started */
	int stopped;                  /* --max-time: cut short */
	uint64_t done_us;
};

struct relay_ctx {
	const struct relay_probe_params *p;
	struct tls_context *tlsctx;
	uv_loop_t loop;
	uv_timer_t timer;             /* --max-time */
	int timer_open;
	uint64_t deadline_us;         /* 0: no --max-time */
	int deadline_hit;
	struct relay_job *jobs;
	size_t njobs, next, running;
};

/* --- small helpers ------------------------------------------------ */

static void
copy_reply(struct relay_reply *dst, const struct smtp_reply_copy *src)
{
	const char *t = src->text ? src->text : "";
	size_t n = strcspn(t, "\n");

	dst->code = src->code;
	snprintf(dst->enh, sizeof(dst->enh), "%s", src->enh);
	if (n >= sizeof(dst->text))
		n = sizeof(dst->text) - 1;
	memcpy(dst->text, t, n);
	dst->text[n] = '\0';
}

static int
expected_vantage(const struct relay_probe_params *p, const char *addr)
{
	size_t i;

	for (i = 0; i < p->nexpect; i++)
		if (relay_addr_match(p->expect_relay[i], addr) == 1)
			return 1;
	return 0;
}

static void
base_params(const struct relay_probe_params *p, struct smtp_client_params *sp)
{
	memset(sp, 0, sizeof(*sp));
	sp->helo_name = p->helo_name;
	sp->tls = p->net.tls_policy;
	sp->show_secrets = p->show_secrets;
	sp->banner_timeout_ms = p->banner_timeout_ms;
	sp->command_timeout_ms = p->command_timeout_ms;
	sp->data_timeout_ms = p->data_timeout_ms;
}

/* --- running sessions --------------------------------------------- */

static void relay_fill(struct relay_ctx *ctx);

static void
job_done(struct smtp_client *s, void *arg)
{
	struct relay_job *j = arg;

	(void)s;
	j->done = 1;
	j->done_us = clock_now_us();
	j->ctx->running--;
	relay_fill(j->ctx);
}

static void
job_start(struct relay_ctx *ctx, struct relay_job *j)
{
	struct mv_error err;

	j->net = ctx->p->net;
	j->net.source = j->source;
	j->net.tls.shared = ctx->tlsctx;
	probe_conn_params(&j->net, &j->tls, j->confirm ? &j->res->tr_confirm :
	    &j->res->tr, &j->cp);
	ctx->running++;
	j->s = smtp_client_start(&ctx->loop, &j->cp, &j->sp, &j->sr,
	    j->cp.tr, job_done, j, &err);
	if (j->s == NULL) {
		j->sr.err = err;
		j->done = 1;
		ctx->running--;
	}
}

static int
past_deadline(const struct relay_ctx *ctx)
{
	return ctx->deadline_us && clock_now_us() >= ctx->deadline_us;
}

static void
timer_close(struct relay_ctx *ctx)
{
	if (ctx->timer_open) {
		ctx->timer_open = 0;
		uv_timer_stop(&ctx->timer);
		uv_close((uv_handle_t *)&ctx->timer, NULL);
	}
}

/* --max-time: the jobs not started are not run. */
static void
jobs_give_up(struct relay_ctx *ctx)
{
	ctx->deadline_hit = 1;
	for (; ctx->next < ctx->njobs; ctx->next++) {
		ctx->jobs[ctx->next].not_run = 1;
		ctx->jobs[ctx->next].done = 1;
	}
}

static void
relay_fill(struct relay_ctx *ctx)
{
	unsigned max = ctx->p->concurrency ? ctx->p->concurrency : 1;

	if (ctx->next < ctx->njobs && past_deadline(ctx))
		jobs_give_up(ctx);
	while (ctx->running < max && ctx->next < ctx->njobs)
		job_start(ctx, &ctx->jobs[ctx->next++]);
	if (ctx->running == 0 && ctx->next >= ctx->njobs)
		timer_close(ctx);
}

/* --max-time reached: abort the sessions in flight (a tarpit can hold
 * each for every phase timeout), start no more. */
static void
deadline_fired(uv_timer_t *t)
{
	struct relay_ctx *ctx = t->data;
	size_t i;

	jobs_give_up(ctx);
	for (i = 0; i < ctx->njobs; i++) {
		struct relay_job *j = &ctx->jobs[i];

		if (j->done || j->s == NULL)
			continue;
		smtp_client_free(j->s);	/* no callback after this */
		j->s = NULL;
		j->stopped = 1;
		j->done = 1;
		j->done_us = clock_now_us();
		ctx->running--;
	}
	timer_close(ctx);
}

/* Run every job of ctx on one loop; -1 only when no loop could run. */
static int
relay_run_jobs(struct relay_ctx *ctx, struct mv_error *err)
{
	size_t i;

	if (uv_loop_init(&ctx->loop) != 0)
		return mv_error_set(err, MV_ERR_INTERNAL, "cannot start the "
		    "event loop");
	ctx->next = ctx->running = 0;
	if (ctx->deadline_us) {
		uint64_t now = clock_now_us();

		uv_timer_init(&ctx->loop, &ctx->timer);
		ctx->timer.data = ctx;
		ctx->timer_open = 1;
		uv_timer_start(&ctx->timer, deadline_fired,
		    ctx->deadline_us > now ? (ctx->deadline_us - now) / 1000 +
		    1 : 0, 0);
	}
	relay_fill(ctx);
	uv_run(&ctx->loop, UV_RUN_DEFAULT);
	for (i = 0; i < ctx->njobs; i++) {
		smtp_client_free(ctx->jobs[i].s);
		ctx->jobs[i].s = NULL;
	}
	return probe_loop_run(&ctx->loop, err);
}

static void
jobs_free(struct relay_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->njobs; i++) {
		smtp_client_result_free(&ctx->jobs[i].sr);
		buf_free(&ctx->jobs[i].wire);
	}
	free(ctx->jobs);
	ctx->jobs = NULL;
	ctx->njobs = 0;
}

/* --- discovery ---------------------------------------------------- */

struct discovery {
	const struct smtp_client_params *sp;
	struct smtp_client_result *res;
	struct transcript *tr;
};

static void
discovery_done(struct smtp_client *s, void *arg)
{
	(void)s;
	*(int *)arg = 1;
}

static void *
discovery_start(uv_loop_t *loop, const struct conn_params *cp, void *ctx,
    int *done, struct mv_error *err)
{
	struct discovery *d = ctx;

	return smtp_client_start(loop, cp, d->sp, d->res, d->tr,
	    discovery_done, done, err);
}

static void
discovery_release(void *s)
{
	smtp_client_free(s);
}

/*
 * Reach EHLO from the first vantage that can: the server's name and
 * address.  A greeting that refuses (4xx/5xx) counts too: that vantage
 * is refused at once, and the banner still names the server.  0 with
 * found set when one worked; the last session's error is in rep->err
 * otherwise.  A certificate that does not verify (without --insecure)
 * ends the search at once: it is the same from every vantage.
 */
static int
relay_discover(const struct relay_probe_params *p, struct report *rep,
    struct relay_report *rr, struct tls_context *tlsctx,
    uint64_t deadline_us, int *found, struct mv_error *err)
{
	struct smtp_client_params sp;
	struct smtp_client_result res;
	struct discovery d;
	struct probe_net n;
	char addr[RELAY_LABEL_MAX];
	size_t vi;

	*found = 0;
	base_params(p, &sp);
	sp.quit_after = SMTP_PHASE_EHLO_TLS;
	for (vi = 0; vi < rr->nvantage && !*found; vi++) {
		if (vi && deadline_us && clock_now_us() >= deadline_us)
			break;
		memset(&res, 0, sizeof(res));
		n = p->net;
		n.source = p->nsources ? p->sources[vi] : NULL;
		n.tls.shared = tlsctx;
		d.sp = &sp;
		d.res = &res;
		d.tr = &rep->tr;
		if (vi)
			transcript_addf(&rep->tr, TR_INFO, "trying the next "
			    "vantage point, %s", n.source ? n.source :
			    "default");
		if (probe_session_run(&n, &rep->tr, discovery_start,
			discovery_release, &d, err) == -1) {
			smtp_client_result_free(&res);
			return -1;
		}
		if (res.err.cat == MV_ERR_TLS && res.tls_active &&
		    !res.tls.verified && !p->net.tls.insecure) {
			/* Every attempt would fail the same way, from
			 * every vantage: stop before the battery. */
			mv_error_set(&rep->err, MV_ERR_TLS, "%.400s; no "
			    "attempt was run (--insecure tests relaying "
			    "anyway)", res.err.msg);
			smtp_client_result_free(&res);
			return 0;
		}
		if (res.have_caps || res.banner.code >= 400) {
			*found = 1;
			mv_error_clear(&rep->err);
			rr->banner_code = res.banner.code;
			snprintf(rr->ehlo_name, sizeof(rr->ehlo_name), "%s",
			    res.caps.domain);
			if (res.banner.text)
				snprintf(rr->banner, sizeof(rr->banner), "%.*s",
				    (int)strcspn(res.banner.text, "\n"),
				    res.banner.text);
			if (relay_addr_strip_port(res.peer, addr,
				sizeof(addr)) == 0)
				relay_ip_literal(addr, rr->ip_literal,
				    sizeof(rr->ip_literal));
		} else
			rep->err = res.err;
		smtp_client_result_free(&res);
	}
	return 0;
}

/* --- the battery -------------------------------------------------- */

static void
job_init(struct relay_ctx *ctx, struct relay_job *j, struct relay_result *r,
    int confirm)
{
	const struct relay_probe_params *p = ctx->p;

	memset(j, 0, sizeof(*j));
	j->ctx = ctx;
	j->res = r;
	j->confirm = confirm;
	j->source = p->nsources ? p->sources[r->vantage] : NULL;
	buf_init(&j->wire, RELAY_MESSAGE_MAX * 2);
	base_params(p, &j->sp);
	j->sp.mail_from = r->mail_from;
	j->rcpt[0] = r->rcpt;
	j->sp.rcpt = j->rcpt;
	j->sp.nrcpt = 1;
	/* Never DATA unless confirming: QUIT right after RCPT. */
	j->sp.quit_after = confirm ? SMTP_PHASE_COUNT : SMTP_PHASE_RCPT;
	if (r->kind == RELAY_KIND_AUTH || r->kind == RELAY_KIND_AUTH_SPOOF) {
		j->sp.auth_user = p->auth_user;
		j->sp.auth_pass = p->auth_pass;
		j->sp.auth_mech = p->auth_mech;
		j->sp.auth_authzid = p->auth_authzid;
	}
}

/* The outcome of an RCPT session. */
static void
rcpt_outcome(struct relay_job *j)
{
	struct relay_result *r = j->res;
	const struct smtp_client_result *sr = &j->sr;

	if (j->not_run || j->stopped) {
		r->outcome = RELAY_OUT_NOT_RUN;
		snprintf(r->error, sizeof(r->error), "%s: --max-time was "
		    "reached", j->stopped ? "stopped" : "not run");
		return;
	}
	copy_reply(&r->banner, &sr->banner);
	copy_reply(&r->mail, &sr->mail);
	if (sr->nrcpt)
		copy_reply(&r->rcpt_reply, &sr->rcpt[0].reply);
	if (sr->err.cat != MV_ERR_NONE)
		snprintf(r->error, sizeof(r->error), "%s", sr->err.msg);
	if (sr->banner.code >= 400)
		r->outcome = relay_reply_refuses(&r->banner) ?
		    RELAY_OUT_REJECTED_CONNECT : RELAY_OUT_DEFERRED;
	else if (sr->auth_attempted && !sr->auth_ok)
		r->outcome = RELAY_OUT_AUTH_FAILED;
	else if (sr->mail.code == 530 && !sr->tls_active) {
		/* "Must issue a STARTTLS command first": the relay rules
		 * were never reached, so this refusal proves nothing. */
		r->outcome = RELAY_OUT_ERROR;
		snprintf(r->error, sizeof(r->error), "the server wants "
		    "STARTTLS before MAIL (530); run again with --tls "
		    "optional (and --insecure if its certificate does not "
		    "verify)");
	} else if (sr->mail.code && sr->mail.code / 100 != 2)
		r->outcome = relay_reply_refuses(&r->mail) ?
		    RELAY_OUT_REJECTED_MAIL : RELAY_OUT_DEFERRED;
	else if (sr->nrcpt && sr->rcpt[0].reply.code / 100 == 2)
		r->outcome = RELAY_OUT_ACCEPTED;
	else if (sr->nrcpt && sr->rcpt[0].reply.code >= 400)
		r->outcome = relay_reply_refuses(&r->rcpt_reply) ?
		    RELAY_OUT_REJECTED_RCPT : RELAY_OUT_DEFERRED;
	else {
		r->outcome = RELAY_OUT_ERROR;
		if (r->error[0] == '\0')
			snprintf(r->error, sizeof(r->error), "the session "
			    "ended before RCPT");
	}
}

/* Build the tagged message for a confirming session. */
static int
confirm_message(struct relay_job *j, const char *target,
    struct mv_error *err)
{
	struct relay_result *r = j->res;
	struct message_params mp;
	struct buf msg;
	char subject[128], body[512];
	int rc = -1;

	if (message_token_new(r->token, err) == -1)
		return -1;
	snprintf(subject, sizeof(subject), "mailvet relay test %s %s", r->id,
	    r->token);
	snprintf(body, sizeof(body), "This message was sent by mailvet relay "
	    "--confirm to find out whether\r\n%s relays attempt '%s'.  It "
	    "is addressed to a test sink; please\r\ndiscard it.\r\n",
	    target, r->id);
	memset(&mp, 0, sizeof(mp));
	mp.from = r->mail_from;
	mp.to = j->rcpt;
	mp.nto = 1;
	mp.subject = subject;
	mp.body = body;
	mp.body_len = strlen(body);
	mp.token = r->token;
	mp.msgid_domain = "mailvet.invalid";
	mp.date = time(NULL);
	buf_init(&msg, RELAY_MESSAGE_MAX);
	if (message_build(&mp, &msg, err) == -1)
		goto out;
	if (smtp_dot_stuff(msg.data ? msg.data : "", msg.len, &j->wire) == -1) {
		mv_error_set(err, MV_ERR_INTERNAL, "the test message is too "
		    "large");
		goto out;
	}
	j->sp.message = j->wire.data;
	j->sp.message_len = j->wire.len;
	rc = 0;
out:
	buf_free(&msg);
	return rc;
}

/* The outcome of a confirming session; 1 when the message was taken
 * (the sink is to be watched for it). */
static int
confirm_outcome(struct relay_job *j)
{
	struct relay_result *r = j->res;
	const struct smtp_client_result *sr = &j->sr;

	if (j->not_run || j->stopped) {
		/* Stays "accepted", unconfirmed. */
		snprintf(r->error, sizeof(r->error), "the confirming session "
		    "was %s: --max-time was reached", j->stopped ? "stopped" :
		    "not run");
		r->confirmed = j->stopped;
		return 0;
	}
	r->confirmed = 1;
	if (sr->eod.code / 100 == 2) {
		copy_reply(&r->data, &sr->eod);
		return 1;
	}
	/* A 4xx here decides nothing either (421, 451 4.3.0 ...): the
	 * same rule as at RCPT. */
	if (sr->banner.code >= 400 || (sr->mail.code &&
	    sr->mail.code / 100 != 2)) {
		/* Taken once, put off or refused before RCPT now. */
		copy_reply(&r->data, sr->banner.code >= 400 ? &sr->banner :
		    &sr->mail);
	} else if (sr->eod.code || (sr->data.code && sr->data.code != 354))
		copy_reply(&r->data, sr->eod.code ? &sr->eod : &sr->data);
	else if (sr->nrcpt && sr->rcpt[0].reply.code >= 400)
		/* Taken once, refused now: no message went. */
		copy_reply(&r->data, &sr->rcpt[0].reply);
	if (r->data.code >= 400) {
		r->outcome = relay_reply_refuses(&r->data) ?
		    RELAY_OUT_REJECTED_DATA : RELAY_OUT_DEFERRED;
		return 0;
	}
	snprintf(r->error, sizeof(r->error), "%s", sr->err.cat !=
	    MV_ERR_NONE ? sr->err.msg : "the session ended early");
	return 0;
}

/* Wait for the tokens of the taken messages; mark relayed or not. */
static void
confirm_wait(const struct relay_probe_params *p, struct sink *sink,
    struct relay_job *jobs, const int *taken, size_t n)
{
	uint64_t start = clock_now_us(), deadline;
	struct timespec ts = { 0, RELAY_POLL_MS * 1000000L };
	size_t i, left;

	deadline = start + p->confirm_wait_ms * 1000;
	for (;;) {
		left = 0;
		for (i = 0; i < n; i++) {
			struct relay_result *r = jobs[i].res;

			if (!taken[i] || r->outcome == RELAY_OUT_RELAYED)
				continue;
			if (sink_token_seen(sink, r->token) > 0) {
				uint64_t now = clock_now_us();

				r->outcome = RELAY_OUT_RELAYED;
				r->arrived_ms = now > jobs[i].done_us ?
				    (now - jobs[i].done_us) / 1000 : 0;
			} else
				left++;
		}
		if (left == 0 || clock_now_us() >= deadline)
			break;
		nanosleep(&ts, NULL);
	}
	for (i = 0; i < n; i++)
		if (taken[i] && jobs[i].res->outcome != RELAY_OUT_RELAYED)
			jobs[i].res->outcome = RELAY_OUT_NOT_RELAYED;
}

static int
relay_confirm(struct relay_ctx *ctx, struct relay_report *rr,
    struct sink *sink, const char *target, struct mv_error *err)
{
	size_t i, n = 0;
	int *taken = NULL, rc = -1;

	for (i = 0; i < rr->n; i++)
		if (rr->v[i].outcome == RELAY_OUT_ACCEPTED &&
		    rr->v[i].kind != RELAY_KIND_CONTROL)
			n++;
	if (n == 0)
		return 0;
	if ((ctx->jobs = calloc(n, sizeof(*ctx->jobs))) == NULL ||
	    (taken = calloc(n, sizeof(*taken))) == NULL) {
		free(ctx->jobs);
		ctx->jobs = NULL;
		return mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
	}
	for (i = 0; i < rr->n; i++) {
		if (rr->v[i].outcome != RELAY_OUT_ACCEPTED ||
		    rr->v[i].kind == RELAY_KIND_CONTROL)
			continue;
		job_init(ctx, &ctx->jobs[ctx->njobs], &rr->v[i], 1);
		if (confirm_message(&ctx->jobs[ctx->njobs++], target,
			err) == -1)
			goto out;
	}
	if (relay_run_jobs(ctx, err) == -1)
		goto out;
	for (i = 0; i < ctx->njobs; i++)
		taken[i] = confirm_outcome(&ctx->jobs[i]);
	confirm_wait(ctx->p, sink, ctx->jobs, taken, ctx->njobs);
	rc = 0;
out:
	free(taken);
	jobs_free(ctx);
	return rc;
}

static int
relay_battery_run(struct relay_ctx *ctx, struct relay_report *rr,
    struct mv_error *err)
{
	size_t i;

	if ((ctx->jobs = calloc(rr->n, sizeof(*ctx->jobs))) == NULL)
		return mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
	for (i = 0; i < rr->n; i++)
		if (rr->v[i].outcome != RELAY_OUT_SKIPPED)
			job_init(ctx, &ctx->jobs[ctx->njobs++], &rr->v[i], 0);
	if (relay_run_jobs(ctx, err) == -1) {
		jobs_free(ctx);
		return -1;
	}
	for (i = 0; i < ctx->njobs; i++) {
		struct relay_job *jb = &ctx->jobs[i];
		struct relay_vantage *v = &rr->vantage[jb->res->vantage];

		rcpt_outcome(jb);
		if (v->address[0] == '\0' && jb->sr.local[0])
			relay_addr_strip_port(jb->sr.local, v->address,
			    sizeof(v->address));
	}
	jobs_free(ctx);
	for (i = 0; i < rr->nvantage; i++) {
		struct relay_vantage *v = &rr->vantage[i];

		v->expect_relay = expected_vantage(ctx->p, v->source[0] ?
		    v->source : v->address);
	}
	return 0;
}

/* --- setting up --------------------------------------------------- */

static int
relay_domain(const struct relay_probe_params *p, struct relay_report *rr,
    struct mv_error *err)
{
	char first[256];
	const char *w;
	size_t len;

	if (p->domain) {
		snprintf(rr->domain, sizeof(rr->domain), "%s", p->domain);
		rr->domain_source = "--domain";
		return 0;
	}
	if (relay_default_domain(rr->ehlo_name, rr->domain,
		sizeof(rr->domain)) == 0) {
		rr->domain_source = "the EHLO name";
		return 0;
	}
	/* The greeting names the host right after the code (RFC 5321
	 * 4.2: "220 name ESMTP", "554 5.3.2 name ..."): skip a code and an
	 * enhanced code (digits and dots), then that one word only - a
	 * later word ("ESMTP", "Service") is no host name. */
	w = rr->banner;
	for (;;) {
		w += strspn(w, " ");
		len = strcspn(w, " ");
		if (len == 0 || strspn(w, "0123456789.") < len)
			break;
		w += len;
	}
	snprintf(first, sizeof(first), "%.*s", (int)len, w);
	if (len && relay_default_domain(first, rr->domain,
	    sizeof(rr->domain)) == 0) {
		rr->domain_source = "the banner";
		return 0;
	}
	return mv_error_set(err, MV_ERR_USAGE, "neither the server's EHLO "
	    "name ('%.100s') nor its greeting ('%.100s') names a mail domain "
	    "(a dotted name such as mail.example.org); say which with "
	    "--domain", rr->ehlo_name, rr->banner);
}

static int
relay_prepare(const struct relay_probe_params *p, struct relay_report **out,
    struct relay_report *proto, struct mv_error *err)
{
	struct relay_attempt *att;
	struct relay_battery_params bp;
	struct relay_report *rr;
	char local_rcpt[RELAY_ADDR_MAX], local_sender[RELAY_ADDR_MAX];
	char auth_addr[RELAY_ADDR_MAX];
	size_t natt, nt, i, vi, k;
	unsigned kinds = (1u << RELAY_KIND_CONTROL) | (1u << RELAY_KIND_RELAY);
	int rc = -1;

	relay_battery_table(&nt);
	if ((att = calloc(nt, sizeof(*att))) == NULL)
		return mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
	snprintf(local_rcpt, sizeof(local_rcpt), "%s", p->local_rcpt ?
	    p->local_rcpt : "");
	if (!p->local_rcpt)
		snprintf(local_rcpt, sizeof(local_rcpt), "postmaster@%s",
		    proto->domain);
	if (p->local_sender)
		snprintf(local_sender, sizeof(local_sender), "%s",
		    p->local_sender);
	else
		snprintf(local_sender, sizeof(local_sender), "postmaster@%s",
		    proto->domain);
	memset(&bp, 0, sizeof(bp));
	bp.local_domain = proto->domain;
	bp.foreign_user = p->foreign_user;
	bp.foreign_domain = p->foreign_domain;
	bp.sender_user = p->sender_user;
	bp.ip_literal = proto->ip_literal;
	bp.local_rcpt = local_rcpt;
	bp.local_sender = local_sender;
	bp.other_sender = p->other_sender;
	if (p->auth_user) {
		kinds |= (1u << RELAY_KIND_AUTH) |
		    (1u << RELAY_KIND_AUTH_SPOOF);
		if (strchr(p->auth_user, '@'))
			snprintf(auth_addr, sizeof(auth_addr), "%s",
			    p->auth_user);
		else
			snprintf(auth_addr, sizeof(auth_addr), "%s@%s",
			    p->auth_user, proto->domain);
		bp.auth_address = auth_addr;
	}
	if (relay_battery_build(&bp, kinds, att, nt, &natt, err) == -1)
		goto out;
	if ((rr = relay_report_new(natt * proto->nvantage)) == NULL) {
		mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
		goto out;
	}
	/* Copy everything but the results array the new report owns. */
	{
		struct relay_result *v = rr->v;
		size_t n = rr->n;

		*rr = *proto;
		rr->v = v;
		rr->n = n;
	}
	snprintf(rr->foreign_rcpt, sizeof(rr->foreign_rcpt), "%s@%s",
	    p->foreign_user, p->foreign_domain);
	k = 0;
	for (vi = 0; vi < rr->nvantage; vi++)
		for (i = 0; i < natt; i++, k++) {
			struct relay_result *r = &rr->v[k];

			snprintf(r->id, sizeof(r->id), "%s", att[i].def->id);
			r->description = att[i].def->description;
			r->kind = att[i].def->kind;
			r->vantage = vi;
			snprintf(r->mail_from, sizeof(r->mail_from), "%s",
			    att[i].mail_from);
			snprintf(r->rcpt, sizeof(r->rcpt), "%s", att[i].rcpt);
			if (att[i].skip) {
				r->outcome = RELAY_OUT_SKIPPED;
				snprintf(r->note, sizeof(r->note), "%s",
				    att[i].skip_why);
			} else
				r->outcome = RELAY_OUT_ERROR;
		}
	*out = rr;
	rc = 0;
out:
	free(att);
	return rc;
}

static struct sink *
relay_sink_start(const struct relay_probe_params *p, char *bound,
    size_t boundsz, struct mv_error *err)
{
	struct sink_params sp;
	struct sink *s;

	sink_params_init(&sp);
	sp.listen[0].addr = p->sink_listen;
	sp.nlisten = 1;
	/* The user chose the address: a real foreign domain's MX may well
	 * point at a public address of this machine. */
	sp.allow_remote = 1;
	sp.threads = 1;
	sp.hostname = "mailvet-relay-sink";
	sp.track_tokens = 1;
	if ((s = sink_new(&sp, err)) == NULL)
		return NULL;
	if (sink_start(s, err) == -1) {
		sink_free(s);
		return NULL;
	}
	snprintf(bound, boundsz, "%s", sink_bound_address(s));
	return s;
}

/*
 * Messages the sink took that carry none of our tokens in their header:
 * the sink matches X-Mailvet-Token in the top-level header only, so a
 * delivery status notification quoting our message is one of these (the
 * sink is ours alone; anything else arriving is unlikely).
 */
static uint64_t
relay_sink_other(struct sink *sink, const struct relay_report *rr)
{
	struct sink_stats *st;
	uint64_t other = 0, ours = 0;
	size_t i;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return 0;
	sink_stats(sink, st);
	for (i = 0; i < rr->n; i++)
		if (rr->v[i].outcome == RELAY_OUT_RELAYED && rr->v[i].token[0])
			ours += (uint64_t)sink_token_seen(sink, rr->v[i].token);
	if (st->messages > ours)
		other = st->messages - ours;
	free(st);
	return other;
}

/* What the sink saw, as a check: it makes "not relayed" credible. */
static void
relay_sink_check(const struct relay_report *rr, struct report *rep)
{
	size_t i, sent = 0, arrived = 0;

	for (i = 0; i < rr->n; i++) {
		if (rr->v[i].outcome == RELAY_OUT_RELAYED)
			arrived++;
		if (rr->v[i].outcome == RELAY_OUT_RELAYED ||
		    rr->v[i].outcome == RELAY_OUT_NOT_RELAYED)
			sent++;
	}
	if (rr->sink_other)
		report_add_check(rep, "sink", VERDICT_PASS, "listened on %s; "
		    "%zu of %zu messages the server took arrived there, and "
		    "%llu other message(s) without a mailvet token (a bounce, "
		    "most likely): mail from the server does reach the sink, "
		    "so a message that never arrived was taken and not "
		    "relayed (catch-all or accept-then-bounce)", rr->sink,
		    arrived, sent, (unsigned long long)rr->sink_other);
	else
		report_add_check(rep, "sink", VERDICT_PASS, "listened on %s; "
		    "%zu of %zu messages the server took arrived there", rr->sink,
		    arrived, sent);
}

int
relay_probe_run(const struct relay_probe_params *p, struct report *rep,
    struct mv_error *err)
{
	struct relay_report proto, *rr = NULL;
	struct relay_ctx ctx;
	struct sink *sink = NULL;
	struct tls_config tc;
	uint64_t t0 = clock_now_us();
	size_t vi;
	int found, rc = -1;

	memset(&ctx, 0, sizeof(ctx));
	memset(&proto, 0, sizeof(proto));
	ctx.p = p;
	target_format(&p->net.target, rep->target, sizeof(rep->target));
	proto.nvantage = p->nsources ? p->nsources : 1;
	for (vi = 0; vi < proto.nvantage; vi++)
		snprintf(proto.vantage[vi].source,
		    sizeof(proto.vantage[vi].source), "%s", p->nsources ?
		    p->sources[vi] : "");
	proto.submission = p->net.target.scheme == TARGET_SCHEME_SUBMISSION ||
	    p->net.target.scheme == TARGET_SCHEME_SUBMISSIONS;
	proto.confirm = p->confirm;
	proto.confirm_wait_ms = p->confirm_wait_ms;
	{
		size_t fl = strlen(p->foreign_domain);

		/* Nothing routes .invalid (RFC 2606) but a relayhost. */
		proto.confirm_route_default = p->confirm && fl >= 8 &&
		    strcasecmp(p->foreign_domain + fl - 8, ".invalid") == 0;
	}
	proto.concurrency = p->concurrency;
	if (p->auth_user)
		snprintf(proto.auth_user, sizeof(proto.auth_user), "%s",
		    p->auth_user);
	snprintf(proto.foreign_domain, sizeof(proto.foreign_domain), "%s",
	    p->foreign_domain);
	/* One trust store for every session. */
	if (p->net.target.implicit_tls || p->net.tls_policy != TLS_POLICY_OFF) {
		tc = p->net.tls;
		if ((ctx.tlsctx = tls_context_new(&tc, err)) == NULL)
			return -1;
	}
	if (p->confirm && (sink = relay_sink_start(p, proto.sink,
	    sizeof(proto.sink), err)) == NULL)
		goto out;
	if (p->max_time_ms)
		ctx.deadline_us = t0 + p->max_time_ms * 1000;
	proto.max_time_ms = p->max_time_ms;
	if (relay_discover(p, rep, &proto, ctx.tlsctx, ctx.deadline_us,
	    &found, err) == -1)
		goto out;
	if (!found) {
		/* Nothing can be tested: the report says why. */
		report_add_check(rep, "connect", VERDICT_ERROR, "%s",
		    rep->err.msg);
		rc = 0;
		goto out;
	}
	if (relay_domain(p, &proto, err) == -1) {
		struct relay_reply b;

		/* "421 Too many connections" naming no host is a server
		 * that put us off, not a usage error. */
		memset(&b, 0, sizeof(b));
		b.code = proto.banner_code;
		snprintf(b.enh, sizeof(b.enh), "%.*s", (int)strspn(
		    proto.banner, "0123456789."), proto.banner);
		if (b.code >= 400 && !relay_reply_refuses(&b)) {
			report_add_check(rep, "connect", VERDICT_ERROR, "could "
			    "not test: the server deferred the connection "
			    "(%d %.200s)", b.code, proto.banner);
			rc = 0;
		}
		goto out;
	}
	if (relay_prepare(p, &rr, &proto, err) == -1)
		goto out;
	rep->relay = rr;
	if (relay_battery_run(&ctx, rr, err) == -1)
		goto out;
	if (sink && relay_confirm(&ctx, rr, sink, rep->target, err) == -1)
		goto out;
	rr->max_time_hit = ctx.deadline_hit;
	if (sink)
		rr->sink_other = relay_sink_other(sink, rr);
	relay_judge(rr, rep);
	if (sink)
		relay_sink_check(rr, rep);
	rr->total_us = clock_now_us() - t0;
	rc = 0;
out:
	if (sink) {
		sink_stop(sink);
		sink_free(sink);
	}
	tls_context_free(ctx.tlsctx);
	return rc;
}
