/*
 * render_json_ports.c - the "ports" object of the JSON document
 * (fields in docs/mailvet-ports.md): the sweep's counters and one
 * object per port swept.
 */
#include "report/ports_report.h"
#include "report/render_json_parts.h"

static json_t *
rjp_entry(const struct ports_entry *e)
{
	json_t *o = json_object();
	int proto = e->service == PORTS_SVC_SMTP ||
	    e->service == PORTS_SVC_LMTP || e->service == PORTS_SVC_POP3 ||
	    e->service == PORTS_SVC_IMAP || e->service == PORTS_SVC_SIEVE;

	rj_set(o, "port", json_integer(e->port));
	rj_set(o, "state", json_string(ports_state_name(e->state)));
	rj_set(o, "usual_name",
	    json_text_or_null(ports_conventional_name(e->port)));
	if (e->state == PORTS_STATE_OPEN) {
		rj_set(o, "service",
		    json_string(ports_service_key(e->service)));
		rj_set(o, "service_name", json_string(ports_display_name(e)));
		rj_set(o, "implicit_tls", json_boolean(e->tls_implicit));
		rj_set(o, "starttls_offered", proto && e->caps_seen &&
		    !e->tls_implicit ? json_boolean(e->starttls_offered) :
		    json_null());
		rj_set(o, "capabilities_incomplete",
		    json_boolean(e->caps_incomplete));
		rj_set(o, "greeting_incomplete",
		    json_boolean(e->greeting_incomplete));
		rj_set(o, "preauth", json_boolean(e->preauth));
		rj_set(o, "detail", json_text(e->detail));
		rj_set(o, "tls_version", json_text_or_null(e->tls_version));
		rj_set(o, "certificate_subject",
		    json_text_or_null(e->cert_subject));
		rj_set(o, "certificate_verified", e->tls_version[0] ?
		    json_boolean(e->cert_verified) : json_null());
		rj_set(o, "connect_ms",
		    json_real((double)e->connect_us / 1000.0));
	} else {
		rj_set(o, "service", json_null());
		rj_set(o, "why", json_text(e->why));
	}
	rj_set(o, "expected", json_boolean(e->expected));
	rj_set(o, "verdict", e->verdict == VERDICT_SKIP ? json_null() :
	    json_string(verdict_name(e->verdict)));
	rj_set(o, "judgement", json_text_or_null(e->judgement));
	return o;
}

json_t *
rj_ports(const struct report *rep)
{
	const struct ports_report *r = rep->ports;
	json_t *o = json_object(), *a = json_array();
	size_t i;

	rj_set(o, "host", json_text(r->host));
	rj_set(o, "address", json_text_or_null(r->address));
	rj_set(o, "other_family", json_boolean(r->other_family));
	rj_set(o, "expect_given", json_boolean(r->expect_given));
	rj_set(o, "swept", json_integer((json_int_t)r->n));
	rj_set(o, "open", json_integer((json_int_t)r->open));
	rj_set(o, "closed", json_integer((json_int_t)r->closed));
	rj_set(o, "filtered", json_integer((json_int_t)r->filtered));
	rj_set(o, "unreachable", json_integer((json_int_t)r->errors));
	rj_set(o, "not_expected", json_integer((json_int_t)r->unexpected));
	rj_set(o, "total_ms", json_real((double)r->total_us / 1000.0));
	for (i = 0; i < r->n; i++)
		json_array_append_new(a, rjp_entry(&r->v[i]));
	rj_set(o, "entries", a);
	return o;
}
