/*
 * render_json_smtp.c - the "smtp" object of the JSON document
 * (docs/json.md).
 */
#include "report/render_json_parts.h"

static json_t *
rj_reply(const struct smtp_reply_copy *c)
{
	json_t *o;

	if (c->code == 0)
		return json_null();
	o = json_object();
	rj_set(o, "code", json_integer(c->code));
	rj_set(o, "enhanced", json_text_or_null(c->enh));
	rj_set(o, "text", json_text(c->text ? c->text : ""));
	return o;
}

static json_t *
rj_caps(const struct smtp_client_result *r)
{
	const struct smtp_caps *c = &r->caps;
	json_t *o, *list;
	unsigned bit;

	if (!r->have_caps)
		return json_null();
	o = json_object();
	list = json_array();
	for (bit = 1; bit && bit <= SMTP_CAP_XFORWARD; bit <<= 1)
		if (c->caps & bit)
			json_array_append_new(list,
			    json_string(smtp_cap_name(bit)));
	rj_set(o, "domain", json_text(c->domain));
	rj_set(o, "capabilities", list);
	rj_set(o, "auth", rj_words(c->auth_list));
	rj_set(o, "size", json_integer((json_int_t)c->size_max));
	rj_set(o, "unknown", json_text(c->unknown));
	return o;
}

static const char *
rj_smtp_phase(int ph)
{
	return smtp_phase_name((enum smtp_phase)ph);
}

json_t *
rj_smtp(const struct report *rep)
{
	const struct smtp_client_result *r = rep->smtp;
	json_t *o = json_object(), *rcpts = json_array(), *x;
	size_t i;

	for (i = 0; i < r->nrcpt; i++) {
		const struct smtp_rcpt_result *rr = &r->rcpt[i];
		json_t *j = json_object();

		rj_set(j, "address", json_text(rr->address));
		rj_set(j, "code", rr->reply.code ?
		    json_integer(rr->reply.code) : json_null());
		rj_set(j, "enhanced", json_text_or_null(rr->reply.enh));
		rj_set(j, "text", json_text(rr->reply.text));
		if (rr->lmtp.code)
			rj_set(j, "delivery", rj_reply(&rr->lmtp));
		json_array_append_new(rcpts, j);
	}
	rj_set(o, "peer", json_text_or_null(r->peer));
	rj_set(o, "local", json_text_or_null(r->local));
	rj_set(o, "banner", rj_reply(&r->banner));
	rj_set(o, "ehlo", rj_caps(r));
	x = json_null();
	if (r->have_caps_plain && r->tls_active) {
		x = json_object();
		rj_set(x, "starttls", json_boolean(r->starttls_offered));
		rj_set(x, "auth", rj_words(r->caps_plain.auth_list));
	}
	rj_set(o, "ehlo_before_tls", x);
	rj_set(o, "helo_fallback", json_boolean(r->helo_fallback));
	rj_set(o, "starttls_offered", json_boolean(r->starttls_offered));
	rj_set(o, "tls", rj_tls(&r->tls, r->tls_active, r->implicit_tls));
	x = json_null();
	if (r->auth_attempted) {
		x = json_object();
		rj_set(x, "user", json_text(r->auth_user));
		rj_set(x, "mechanism", json_text(r->auth_mech));
		rj_set(x, "ok", json_boolean(r->auth_ok));
		rj_set(x, "reply", rj_reply(&r->auth));
	}
	rj_set(o, "auth", x);
	rj_set(o, "mail", rj_reply(&r->mail));
	rj_set(o, "recipients", rcpts);
	rj_set(o, "data", rj_reply(&r->data));
	rj_set(o, "end_of_data", rj_reply(&r->eod));
	rj_set(o, "queue_id", json_text_or_null(r->queue_id));
	rj_set(o, "message_id", json_text_or_null(rep->message_id));
	rj_set(o, "token", json_text_or_null(rep->token));
	rj_set(o, "pipelined", json_boolean(r->pipelined));
	rj_set(o, "quit_ok", json_boolean(r->quit_ok));
	rj_set(o, "bare_lf_lines", json_integer((json_int_t)r->bare_lf_lines));
	rj_set(o, "timings_ms", rj_timings(r->phase_us, r->phase_done,
	    SMTP_PHASE_COUNT, rj_smtp_phase, r->total_us));
	return o;
}
