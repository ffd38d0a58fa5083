/*
 * probe_net.c - connection set-up, loop running and TLS judgement shared
 * by the probes (see probe_net.h).
 *
 * TLS verdicts: pass for an upgraded or implicit session whose
 * certificate verified; fail when TLS was required and is missing, when
 * the handshake failed, or when the certificate did not verify (also
 * with --insecure, which only lets the session go on); warn when TLS was
 * optional and the server did not offer or refused it; skip when the
 * user turned TLS off or stopped before it.
 */
#include "check/probe_net.h"

#include <string.h>

void
probe_conn_params(const struct probe_net *n, struct tls_config *tls,
    struct transcript *tr, struct conn_params *cp)
{
	*tls = n->tls;
	if (tls->server_name == NULL && !n->target.is_unix)
		tls->server_name = n->target.host;
	memset(cp, 0, sizeof(*cp));
	cp->target = &n->target;
	cp->family = n->family;
	cp->source = n->source;
	cp->connect_timeout_ms = n->connect_timeout_ms;
	cp->tls_timeout_ms = n->tls_timeout_ms;
	cp->tls = tls;
	cp->tr = tr;
	cp->prepare_tls = n->target.implicit_tls ||
	    n->tls_policy != TLS_POLICY_OFF;
}

int
probe_loop_run(uv_loop_t *loop, struct mv_error *err)
{
	uv_run(loop, UV_RUN_DEFAULT);
	/* Closed handles' callbacks may still be pending. */
	uv_run(loop, UV_RUN_DEFAULT);
	if (uv_loop_close(loop) != 0)
		return mv_error_set(err, MV_ERR_INTERNAL, "the event loop "
		    "still had work after the session ended");
	return 0;
}

int
probe_session_run(const struct probe_net *n, struct transcript *tr,
    probe_start_fn start, probe_free_fn release, void *ctx,
    struct mv_error *err)
{
	struct tls_config tls;
	struct conn_params cp;
	uv_loop_t loop;
	void *session;
	int done = 0;

	probe_conn_params(n, &tls, tr, &cp);
	if (uv_loop_init(&loop) != 0)
		return mv_error_set(err, MV_ERR_INTERNAL, "cannot start the "
		    "event loop");
	if ((session = start(&loop, &cp, ctx, &done, err)) == NULL) {
		struct mv_error ignored;

		/* A half-made connection closes its handles through the
		 * loop: run it so that nothing is left behind. */
		probe_loop_run(&loop, &ignored);
		return -1;
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	release(session);
	if (probe_loop_run(&loop, err) == -1)
		return -1;
	if (!done)
		return mv_error_set(err, MV_ERR_INTERNAL, "the session ended "
		    "without a result");
	return 0;
}

static int
err_is_finding(const struct mv_error *err)
{
	switch (err->cat) {
	case MV_ERR_REJECTED:
	case MV_ERR_PROTOCOL:
	case MV_ERR_CLOSED:
	case MV_ERR_LACKS_FEATURE:
	case MV_ERR_TLS:
		return 1;
	default:
		return 0;
	}
}

void
probe_add_unreached(struct report *rep, const char *name, int failed_here,
    const struct mv_error *err)
{
	if (failed_here && err->cat != MV_ERR_NONE)
		report_add_check(rep, name, err_is_finding(err) ?
		    VERDICT_FAIL : VERDICT_ERROR, "%s", err->msg);
	else
		report_add_check(rep, name, VERDICT_SKIP, "not reached");
}

static void
probe_judge_certificate(struct report *rep, const struct probe_net *n,
    const struct tls_info *ti)
{
	const struct tls_cert_info *leaf = ti->chain_len ? &ti->chain[0] :
	    NULL;

	if (ti->verified)
		report_add_check(rep, "certificate", VERDICT_PASS,
		    "verified for %s; %s, expires %s",
		    ti->server_name[0] ? ti->server_name : "-",
		    leaf ? leaf->subject : "", leaf ? leaf->not_after : "");
	else
		report_add_check(rep, "certificate", VERDICT_FAIL, "%s%s",
		    ti->verify_error, n->tls.insecure ?
		    " (continued because of --insecure)" : "");
}

void
probe_judge_tls(struct report *rep, const struct probe_net *n,
    const struct probe_tls_outcome *o)
{
	const struct tls_info *ti = o->info;

	if (o->active) {
		report_add_check(rep, "tls", VERDICT_PASS, "%s with %s%s%s "
		    "(%s)", ti->version, ti->cipher, ti->group[0] ?
		    ", key exchange " : "", ti->group, o->implicit ?
		    "implicit TLS" : o->upgrade);
		probe_judge_certificate(rep, n, ti);
		return;
	}
	if (o->err->cat == MV_ERR_TLS ||
	    (o->err->cat != MV_ERR_NONE && o->err_in_tls)) {
		report_add_check(rep, "tls", VERDICT_FAIL, "%s", o->err->msg);
		return;
	}
	if (n->tls_policy == TLS_POLICY_OFF && !o->implicit) {
		report_add_check(rep, "tls", VERDICT_SKIP, "not attempted "
		    "(--tls off)%s%s%s", o->offered ? "; the server offers " :
		    "", o->offered ? o->upgrade : "", "");
		return;
	}
	if (!o->reached) {
		report_add_check(rep, "tls", VERDICT_SKIP, "not reached");
		return;
	}
	if (o->stopped_before && o->offered) {
		report_add_check(rep, "tls", VERDICT_SKIP, "%s offered, not "
		    "attempted (stopped earlier)", o->upgrade);
		return;
	}
	if (o->offered && o->refusal)
		report_add_check(rep, "tls", VERDICT_WARN, "%s offered but "
		    "refused (%s); the session stayed in plaintext",
		    o->upgrade, o->refusal);
	else
		report_add_check(rep, "tls", VERDICT_WARN, "the server does "
		    "not offer %s; everything, passwords included, travels in "
		    "plaintext", o->upgrade);
}
