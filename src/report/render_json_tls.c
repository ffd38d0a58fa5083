/*
 * render_json_tls.c - the "tls" object of `mailvet tls --json`
 * (docs/mailvet-tls.md): host, thresholds and one object per listener
 * with every measured field.
 */
#include "report/render_json_parts.h"
#include "report/render_tls.h"
#include "report/tls_report.h"

#include <time.h>

static json_t *
rj_handshake(const struct tls_port_result *pr)
{
	const struct tls_info *ti = &pr->tls;
	json_t *o = rj_tls(ti, pr->tls_active, pr->implicit);

	if (!pr->tls_active)
		return o;
	rj_set(o, "handshake_ms", json_real(pr->tls_ms));
	rj_set(o, "peer_signature", json_text_or_null(ti->peer_sig));
	rj_set(o, "ephemeral_key", json_text_or_null(ti->temp_key));
	rj_set(o, "ephemeral_key_bits", json_integer(ti->temp_key_bits));
	rj_set(o, "intermediates_sent", json_boolean(ti->intermediates_sent));
	rj_set(o, "diagnosis",
	    json_string(tls_verify_kind_name(ti->verify_kind)));
	/* The certificate verification failed on: 0 the leaf, 1 the first
	 * intermediate, ...; null when it did not fail on one. */
	rj_set(o, "failed_depth", ti->fail_depth >= 0 &&
	    ti->fail_cert.subject[0] ? json_integer(ti->fail_depth) :
	    json_null());
	rj_set(o, "failed_subject", ti->fail_depth >= 0 &&
	    ti->fail_cert.subject[0] ? json_text(ti->fail_cert.subject) :
	    json_null());
	rj_set(o, "name_matches", ti->name_checked ?
	    json_boolean(ti->name_matches) : json_null());
	if (ti->chain_len)
		rj_set(o, "days_left", json_integer((json_int_t)
		    (difftime(ti->chain[0].not_after_t, time(NULL)) / 86400)));
	return o;
}

static json_t *
rj_versions(const struct tls_port_result *pr)
{
	json_t *o;
	int v;

	if (!pr->versions_tested)
		return json_null();
	o = json_object();
	for (v = 0; v < TLS_VER_COUNT; v++) {
		const struct tls_version_result *r = &pr->versions[v];
		json_t *e = json_object();

		rj_set(e, "accepted", r->untested ? json_null() :
		    json_boolean(r->accepted));
		rj_set(e, "detail", json_text(r->detail));
		rj_set(o, tls_ver_name((enum tls_ver)v), e);
	}
	return o;
}

static json_t *
rj_policy(const struct tls_port_result *pr)
{
	json_t *o;

	if (pr->implicit || !pr->greeting[0])
		return json_null();
	o = json_object();
	rj_set(o, "capabilities", rj_words(pr->caps_plain));
	rj_set(o, "starttls_offered", json_boolean(pr->starttls_offered));
	rj_set(o, "starttls_reply", json_text_or_null(pr->starttls_reply));
	rj_set(o, "auth_before_tls", rj_words(pr->auth_plain));
	rj_set(o, "login_before_tls", json_boolean(pr->login_plain));
	if (pr->mail_tested) {
		json_t *m = json_object();

		rj_set(m, "code", json_integer(pr->mail_code));
		rj_set(m, "reply", json_text(pr->mail_reply));
		rj_set(o, "mail_before_tls", m);
	} else
		rj_set(o, "mail_before_tls", json_null());
	return o;
}

static json_t *
rj_port(const struct tls_port_result *pr)
{
	json_t *o = json_object(), *res, *inj;

	rj_set(o, "label", json_string(pr->label));
	rj_set(o, "url", json_text(pr->url));
	rj_set(o, "port", json_integer(pr->port));
	rj_set(o, "implicit", json_boolean(pr->implicit));
	rj_set(o, "open", json_boolean(pr->open));
	rj_set(o, "peer", json_text_or_null(pr->peer));
	if (pr->err.cat != MV_ERR_NONE) {
		json_t *e = json_object();

		rj_set(e, "category", json_string(mv_errcat_name(pr->err.cat)));
		rj_set(e, "message", json_text(pr->err.msg));
		rj_set(o, "error", e);
	} else
		rj_set(o, "error", json_null());
	rj_set(o, "legacy_only", json_boolean(pr->legacy_only));
	rj_set(o, "strict_error", pr->legacy_only ?
	    json_text(pr->strict_err.msg) : json_null());
	rj_set(o, "greeting", json_text_or_null(pr->greeting));
	rj_set(o, "policy", rj_policy(pr));
	rj_set(o, "tls", rj_handshake(pr));
	rj_set(o, "versions", rj_versions(pr));
	res = json_object();
	rj_set(res, "session_offered", json_boolean(pr->session_offered));
	rj_set(res, "ticket", json_boolean(pr->session_ticket));
	rj_set(res, "ticket_lifetime_s",
	    json_integer((json_int_t)pr->ticket_lifetime_s));
	rj_set(res, "tested", json_boolean(pr->resumption_tested));
	rj_set(res, "resumed", json_boolean(pr->resumed));
	rj_set(res, "detail", json_text_or_null(pr->resumption_detail));
	rj_set(o, "resumption", res);
	inj = json_object();
	rj_set(inj, "result", json_string(tls_inject_name(pr->injection)));
	rj_set(inj, "evidence", json_text_or_null(pr->injection_evidence));
	rj_set(o, "injection", inj);
	return o;
}

json_t *
rj_tls_report(const struct report *rep)
{
	const struct tls_report *tr = rep->tls;
	json_t *o = json_object(), *ports = json_array();
	size_t i;

	rj_set(o, "all_ports", json_boolean(tr->all_ports));
	rj_set(o, "host", json_text(tr->host));
	rj_set(o, "warn_days", json_integer(tr->warn_days));
	rj_set(o, "crit_days", json_integer(tr->crit_days));
	for (i = 0; i < tr->nports; i++)
		json_array_append_new(ports, rj_port(&tr->ports[i]));
	rj_set(o, "listeners", ports);
	return o;
}
