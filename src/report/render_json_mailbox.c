/*
 * render_json_mailbox.c - the "pop3", "imap" and "deliver" objects of
 * the JSON document (docs/json.md).
 */
#include "report/render_json_parts.h"

#include <string.h>

static json_t *
rj_message(uint64_t msg, const struct buf *m)
{
	json_t *o;

	if (msg == 0)
		return json_null();
	o = json_object();
	rj_set(o, "msg", json_integer((json_int_t)msg));
	rj_set(o, "bytes", json_integer((json_int_t)m->len));
	rj_set(o, "text", json_text_n(m->data ? m->data : "", m->len));
	return o;
}

static json_t *
rj_auth(int attempted, const char *method, const char *user, int ok,
    const char *code, const char *text)
{
	json_t *o;

	if (!attempted)
		return json_null();
	o = json_object();
	rj_set(o, "method", json_text(method));
	rj_set(o, "user", json_text(user));
	rj_set(o, "ok", json_boolean(ok));
	rj_set(o, "code", json_text(code ? code : ""));
	rj_set(o, "text", json_text(text ? text : ""));
	return o;
}

static const char *
rj_pop3_phase(int ph)
{
	return pop3_phase_name((enum pop3_phase)ph);
}

json_t *
rj_pop3(const struct report *rep)
{
	const struct pop3_client_result *r = rep->pop3;
	json_t *o = json_object(), *x, *list = json_array();
	size_t i;

	rj_set(o, "peer", json_text_or_null(r->peer));
	rj_set(o, "local", json_text_or_null(r->local));
	x = json_null();
	if (r->greeting.seen) {
		x = json_object();
		rj_set(x, "ok", json_boolean(r->greeting.ok));
		rj_set(x, "code", json_text(r->greeting.code));
		rj_set(x, "text", json_text(r->greeting.text ?
		    r->greeting.text : ""));
	}
	rj_set(o, "greeting", x);
	rj_set(o, "apop_timestamp", json_text_or_null(r->apop_timestamp));
	rj_set(o, "capa", r->have_capa ? rj_split(r->capa, '\n') :
	    json_null());
	rj_set(o, "sasl", rj_words(r->sasl));
	rj_set(o, "capa_before_tls", r->have_capa_plain && r->tls_active ?
	    rj_split(r->capa_plain, '\n') : json_null());
	rj_set(o, "stls_offered", json_boolean(r->stls_offered));
	rj_set(o, "tls", rj_tls(&r->tls, r->tls_active, r->implicit_tls));
	rj_set(o, "auth", rj_auth(r->auth_attempted, r->auth_method,
	    r->auth_user, r->auth_ok, r->auth.code, r->auth.text));
	x = json_null();
	if (r->stat_ok) {
		x = json_object();
		rj_set(x, "count", json_integer((json_int_t)r->stat_count));
		rj_set(x, "octets", json_integer((json_int_t)r->stat_octets));
	}
	rj_set(o, "stat", x);
	for (i = 0; i < r->nlisting; i++) {
		json_t *e = json_object();

		rj_set(e, "msg", json_integer((json_int_t)r->listing[i].msg));
		rj_set(e, "size", json_integer((json_int_t)r->listing[i].size));
		rj_set(e, "uid", json_text_or_null(r->listing[i].uid));
		json_array_append_new(list, e);
	}
	rj_set(o, "messages", list);
	rj_set(o, "messages_total", json_integer((json_int_t)r->listing_total));
	rj_set(o, "found", json_integer((json_int_t)r->found));
	rj_set(o, "message", rj_message(r->retr_msg, &r->message));
	rj_set(o, "deleted", json_boolean(r->deleted));
	rj_set(o, "quit_ok", json_boolean(r->quit_ok));
	rj_set(o, "bare_lf_lines", json_integer((json_int_t)r->bare_lf_lines));
	rj_set(o, "timings_ms", rj_timings(r->phase_us, r->phase_done,
	    POP3_PHASE_COUNT, rj_pop3_phase, r->total_us));
	return o;
}

static const char *
rj_cond(enum imap_cond c)
{
	static const char *const names[] = { "", "OK", "NO", "BAD",
		"PREAUTH", "BYE" };

	return (unsigned)c < sizeof(names) / sizeof(names[0]) ? names[c] : "";
}

static const char *
rj_imap_phase(int ph)
{
	return imap_phase_name((enum imap_phase)ph);
}

static json_t *
rj_mailbox(const struct report *rep)
{
	const struct imap_client_result *r = rep->imap;
	json_t *o;

	if (!r->selected)
		return json_null();
	o = json_object();
	rj_set(o, "name", json_text(r->mailbox));
	rj_set(o, "exists", json_integer((json_int_t)r->exists));
	rj_set(o, "recent", json_integer((json_int_t)r->recent));
	rj_set(o, "unseen", r->have_unseen ?
	    json_integer((json_int_t)r->unseen) : json_null());
	rj_set(o, "uidvalidity", r->have_uidvalidity ?
	    json_integer((json_int_t)r->uidvalidity) : json_null());
	rj_set(o, "uidnext", r->have_uidnext ?
	    json_integer((json_int_t)r->uidnext) : json_null());
	rj_set(o, "flags", json_text(r->flags));
	rj_set(o, "permanentflags", json_text(r->permanentflags));
	rj_set(o, "read_only", json_boolean(r->read_only));
	return o;
}

json_t *
rj_imap(const struct report *rep)
{
	const struct imap_client_result *r = rep->imap;
	json_t *o = json_object(), *x;
	size_t i;

	rj_set(o, "peer", json_text_or_null(r->peer));
	rj_set(o, "local", json_text_or_null(r->local));
	x = json_null();
	if (r->greeting.seen) {
		x = json_object();
		rj_set(x, "cond", json_string(rj_cond(r->greeting.cond)));
		rj_set(x, "code", json_text(r->greeting.code));
		rj_set(x, "text", json_text(r->greeting.text ?
		    r->greeting.text : ""));
	}
	rj_set(o, "greeting", x);
	rj_set(o, "capabilities", r->have_caps ? rj_words(r->caps.all) :
	    json_null());
	rj_set(o, "auth_mechanisms", rj_words(r->caps.auth_list));
	x = json_null();
	if (r->have_caps_plain && r->tls_active) {
		x = json_object();
		rj_set(x, "starttls", json_boolean(r->starttls_offered));
		rj_set(x, "logindisabled",
		    json_boolean(r->logindisabled_plain));
		rj_set(x, "capabilities", rj_words(r->caps_plain.all));
	}
	rj_set(o, "before_tls", x);
	rj_set(o, "starttls_offered", json_boolean(r->starttls_offered));
	rj_set(o, "tls", rj_tls(&r->tls, r->tls_active, r->implicit_tls));
	rj_set(o, "auth", rj_auth(r->auth_attempted, r->auth_method,
	    r->auth_user, r->auth_ok, r->auth.code, r->auth.text));
	x = rj_mailbox(rep);
	rj_set(o, "mailbox", x);
	x = json_null();
	if (r->phase_done & (1u << IMAP_PHASE_SEARCH)) {
		json_t *uids = json_array();

		for (i = 0; i < r->nfound; i++)
			json_array_append_new(uids,
			    json_integer((json_int_t)r->found_uids[i]));
		x = json_object();
		rj_set(x, "uids", uids);
		rj_set(x, "total", json_integer((json_int_t)r->found_total));
	}
	rj_set(o, "search", x);
	rj_set(o, "message", rj_message(r->fetch_msg, &r->message));
	rj_set(o, "deleted", json_integer(r->deleted));
	rj_set(o, "logout_ok", json_boolean(r->logout_ok));
	rj_set(o, "bare_lf_lines", json_integer((json_int_t)r->bare_lf_lines));
	rj_set(o, "timings_ms", rj_timings(r->phase_us, r->phase_done,
	    IMAP_PHASE_COUNT, rj_imap_phase, r->total_us));
	return o;
}

json_t *
rj_deliver(const struct report *rep)
{
	const struct deliver_summary *d = rep->deliver;
	json_t *o = json_object(), *log = json_array();
	const char *p = d->log.data ? d->log.data : "";

	while (*p) {
		size_t n = strcspn(p, "\n");

		json_array_append_new(log, json_text_n(p, n));
		p += n;
		if (*p == '\n')
			p++;
	}
	rj_set(o, "via", json_text(d->via));
	rj_set(o, "check", json_text(d->check));
	rj_set(o, "submitted", json_boolean(d->submitted));
	rj_set(o, "found", json_boolean(d->found));
	rj_set(o, "time_to_inbox_ms", d->found ?
	    json_real((double)d->time_to_inbox_us / 1000.0) : json_null());
	rj_set(o, "polls", json_integer(d->polls));
	rj_set(o, "wait_ms", json_integer((json_int_t)d->wait_ms));
	rj_set(o, "poll_ms", json_integer((json_int_t)d->poll_ms));
	rj_set(o, "cleaned", json_boolean(d->cleaned));
	rj_set(o, "queue_id", rep->smtp ?
	    json_text_or_null(rep->smtp->queue_id) : json_null());
	rj_set(o, "token", json_text_or_null(rep->token));
	rj_set(o, "log", log);
	return o;
}
