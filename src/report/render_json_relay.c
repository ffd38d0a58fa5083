/*
 * render_json_relay.c - the "relay" object of `mailvet relay --json`
 * (fields in docs/mailvet-relay.md): assumptions, one object per vantage
 * and one per attempt and vantage, with the commands, the replies, the
 * outcome and the verdict.  Server text goes through json_text().
 */
#include "report/relay_report.h"
#include "report/render_json_parts.h"
#include "report/render_relay.h"

#include <string.h>

static json_t *
rj_reply(const struct relay_reply *rp)
{
	json_t *o;

	if (rp->code == 0)
		return json_null();
	o = json_object();
	rj_set(o, "code", json_integer(rp->code));
	rj_set(o, "enhanced", json_text_or_null(rp->enh));
	rj_set(o, "text", json_text(rp->text));
	return o;
}

static json_t *
rj_session(const struct transcript *tr, json_t **commands)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < tr->n; i++) {
		json_t *e = json_object();

		rj_set(e, "t_ms", json_real((double)tr->v[i].t_us / 1000.0));
		rj_set(e, "kind",
		    json_string(transcript_kind_name(tr->v[i].kind)));
		rj_set(e, "text", json_text(tr->v[i].text));
		json_array_append_new(a, e);
		if (commands && tr->v[i].kind == TR_CLIENT)
			json_array_append_new(*commands,
			    json_text(tr->v[i].text));
	}
	return a;
}

static json_t *
rj_vantage(const struct relay_vantage *v)
{
	json_t *o = json_object();

	rj_set(o, "label", json_text(relay_vantage_label(v)));
	rj_set(o, "source", json_text_or_null(v->source));
	rj_set(o, "address", json_text_or_null(v->address));
	rj_set(o, "expect_relay", json_boolean(v->expect_relay));
	rj_set(o, "attempts", json_integer((json_int_t)v->attempts));
	rj_set(o, "accepted", json_integer((json_int_t)v->accepted));
	rj_set(o, "relayed", json_integer((json_int_t)v->relayed));
	rj_set(o, "not_relayed", json_integer((json_int_t)v->not_relayed));
	rj_set(o, "rejected", json_integer((json_int_t)v->rejected));
	rj_set(o, "errors", json_integer((json_int_t)v->errors));
	rj_set(o, "skipped", json_integer((json_int_t)v->skipped));
	rj_set(o, "unconfirmed", json_integer((json_int_t)v->unconfirmed));
	rj_set(o, "rejected_data",
	    json_integer((json_int_t)v->rejected_data));
	rj_set(o, "deferred", json_integer((json_int_t)v->deferred));
	rj_set(o, "not_run", json_integer((json_int_t)v->not_run));
	rj_set(o, "control_accepted", v->control_run ?
	    json_boolean(v->control_accepted) : json_null());
	rj_set(o, "verdict", json_string(verdict_name(v->verdict)));
	rj_set(o, "summary", json_text(v->summary));
	return o;
}

static json_t *
rj_attempt(const struct relay_report *rr, const struct relay_result *r)
{
	json_t *o = json_object(), *cmds = json_array(), *tr;

	rj_set(o, "id", json_string(r->id));
	rj_set(o, "description", json_text(r->description));
	rj_set(o, "kind", json_string(relay_kind_name(r->kind)));
	rj_set(o, "vantage",
	    json_text(relay_vantage_label(&rr->vantage[r->vantage])));
	rj_set(o, "mail_from", json_text(r->mail_from));
	rj_set(o, "rcpt_to", json_text(r->rcpt));
	tr = rj_session(&r->tr, &cmds);
	rj_set(o, "commands", cmds);
	rj_set(o, "banner", r->banner.code >= 400 ?
	    rj_reply(&r->banner) : json_null());
	rj_set(o, "mail", rj_reply(&r->mail));
	rj_set(o, "rcpt", rj_reply(&r->rcpt_reply));
	rj_set(o, "outcome", json_string(relay_outcome_name(r->outcome)));
	rj_set(o, "verdict", json_string(verdict_name(r->verdict)));
	rj_set(o, "note", json_text(r->note));
	rj_set(o, "error", json_text_or_null(r->error));
	rj_set(o, "confirmed", json_boolean(r->confirmed));
	rj_set(o, "data", r->confirmed ? rj_reply(&r->data) : json_null());
	rj_set(o, "token", json_text_or_null(r->confirmed ? r->token : ""));
	rj_set(o, "relayed", r->confirmed ? json_boolean(r->outcome ==
	    RELAY_OUT_RELAYED) : json_null());
	rj_set(o, "arrived_ms", r->outcome == RELAY_OUT_RELAYED ?
	    json_integer((json_int_t)r->arrived_ms) : json_null());
	rj_set(o, "transcript", tr);
	rj_set(o, "confirm_transcript", r->confirmed ?
	    rj_session(&r->tr_confirm, NULL) : json_null());
	return o;
}

json_t *
rj_relay(const struct report *rep)
{
	const struct relay_report *rr = rep->relay;
	json_t *o = json_object(), *va = json_array(), *aa = json_array();
	size_t i;

	rj_set(o, "domain", json_text(rr->domain));
	rj_set(o, "domain_from", json_text_or_null(rr->domain_source));
	rj_set(o, "foreign_domain", json_text(rr->foreign_domain));
	rj_set(o, "foreign_rcpt", json_text(rr->foreign_rcpt));
	rj_set(o, "ip_literal", json_text_or_null(rr->ip_literal));
	rj_set(o, "banner", json_text_or_null(rr->banner));
	rj_set(o, "ehlo_name", json_text_or_null(rr->ehlo_name));
	rj_set(o, "confirm", json_boolean(rr->confirm));
	rj_set(o, "sink", json_text_or_null(rr->sink));
	rj_set(o, "confirm_route_default",
	    json_boolean(rr->confirm_route_default));
	rj_set(o, "sink_other_messages", rr->confirm ?
	    json_integer((json_int_t)rr->sink_other) : json_null());
	rj_set(o, "max_time_ms", json_integer((json_int_t)rr->max_time_ms));
	rj_set(o, "max_time_hit", json_boolean(rr->max_time_hit));
	rj_set(o, "confirm_wait_ms",
	    json_integer((json_int_t)rr->confirm_wait_ms));
	rj_set(o, "auth_user", json_text_or_null(rr->auth_user));
	rj_set(o, "concurrency", json_integer(rr->concurrency));
	rj_set(o, "total_ms", json_real((double)rr->total_us / 1000.0));
	for (i = 0; i < rr->nvantage; i++)
		json_array_append_new(va, rj_vantage(&rr->vantage[i]));
	for (i = 0; i < rr->n; i++)
		json_array_append_new(aa, rj_attempt(rr, &rr->v[i]));
	rj_set(o, "vantages", va);
	rj_set(o, "attempts", aa);
	return o;
}
