/*
 * render_json_log.c - `mailvet log --json`: the common top level
 * (docs/json.md) with a "log" object holding the summary and the
 * queried messages (docs/mailvet-log.md), and the one-message lines of
 * --follow --json.  Log-controlled strings go through json_text().
 */
#include "report/log_render.h"

#include "report/json_text.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static json_t *
jtime(int64_t ts_us)
{
	char t[48];

	if (ts_us == 0)
		return json_null();
	log_render_time(ts_us, 1, t, sizeof(t));
	return json_string(t);
}

static json_t *
jsec(int64_t a_us, int64_t b_us)
{
	if (a_us == 0 || b_us == 0)
		return json_null();
	return json_real((double)(b_us - a_us) / 1e6);
}

static json_t *
delivery_json(const struct log_delivery *d)
{
	json_t *o = json_object(), *box = json_null();

	json_object_set_new(o, "to", json_text(d->to));
	json_object_set_new(o, "orig_to", json_text(d->orig_to));
	json_object_set_new(o, "status", json_string(log_status_name(
	    d->status)));
	json_object_set_new(o, "dsn", json_text(d->dsn));
	json_object_set_new(o, "relay", json_text(d->relay));
	json_object_set_new(o, "reason", json_text(d->reason));
	json_object_set_new(o, "attempts", json_integer(d->attempts));
	json_object_set_new(o, "time", jtime(d->ts_us));
	json_object_set_new(o, "delay_s", json_real(d->delay_s));
	if (d->have_delays)
		json_object_set_new(o, "delays_s",
		    json_pack("{s:f,s:f,s:f,s:f}",
		    "before_queue", d->delays_s[0],
		    "in_queue", d->delays_s[1],
		    "connection", d->delays_s[2],
		    "transmission", d->delays_s[3]));
	else
		json_object_set_new(o, "delays_s", json_null());
	if (d->saved != 0) {
		box = json_object();
		json_object_set_new(box, "saved", json_boolean(d->saved > 0));
		json_object_set_new(box, "time", jtime(d->saved_us));
		json_object_set_new(box, "user", json_text(d->box_user));
		json_object_set_new(box, "mailbox", json_text(d->mailbox));
		json_object_set_new(box, "session", json_text(d->box_session));
		json_object_set_new(box, "error", json_text(d->box_error));
	}
	json_object_set_new(o, "mailbox", box);
	return o;
}

static json_t *
msg_json(const struct log_msg *m)
{
	json_t *o = json_object(), *a, *ev;
	size_t i;
	int64_t end_us = 0;

	json_object_set_new(o, "queue_id", json_text(m->qid));
	json_object_set_new(o, "status", json_string(log_status_name(
	    log_msg_status(m))));
	json_object_set_new(o, "complete", json_boolean(m->removed));
	json_object_set_new(o, "incomplete_reason", m->removed ? json_null()
	    : json_string(m->evicted ? "open-message limit" : m->abandoned ?
	    "abandoned" : "end of log"));
	json_object_set_new(o, "message_id", json_text(m->message_id));
	json_object_set_new(o, "from", json_text(m->from));
	json_object_set_new(o, "size", json_integer((json_int_t)m->size));
	json_object_set_new(o, "nrcpt", json_integer(m->nrcpt));
	json_object_set_new(o, "origin", json_text(m->origin));
	json_object_set_new(o, "client", json_text(m->client));
	json_object_set_new(o, "client_ip", json_text(m->client_ip));
	json_object_set_new(o, "sasl_method", json_text(m->sasl_method));
	json_object_set_new(o, "sasl_username", json_text(m->sasl_user));
	json_object_set_new(o, "tls", m->tls_proto ? json_pack("{s:o,s:o}",
	    "version", json_text(m->tls_proto), "cipher",
	    json_text(m->tls_cipher)) : json_null());
	json_object_set_new(o, "connect_time", jtime(m->connect_us));
	json_object_set_new(o, "first_time", jtime(m->first_us));
	json_object_set_new(o, "removed_time", jtime(m->removed_us));
	json_object_set_new(o, "disconnect_time", jtime(m->disconnect_us));
	json_object_set_new(o, "reject", m->reject_action ?
	    json_pack("{s:o,s:o}", "action", json_text(m->reject_action),
	    "reason", json_text(m->reject_reason)) : json_null());
	json_object_set_new(o, "ndr_queue_id", json_text(m->ndr_qid));
	a = json_array();
	for (i = 0; i < m->nrcpt_seen; i++) {
		json_array_append_new(a, delivery_json(&m->rcpt[i]));
		if (m->rcpt[i].saved_us > end_us)
			end_us = m->rcpt[i].saved_us;
	}
	json_object_set_new(o, "recipients", a);
	json_object_set_new(o, "recipients_dropped",
	    json_integer((json_int_t)m->rcpt_dropped));
	/* client connect to the last mailbox save */
	json_object_set_new(o, "connect_to_mailbox_s",
	    jsec(m->connect_us ? m->connect_us : m->first_us, end_us));
	a = json_array();
	for (i = 0; i < m->nevents; i++) {
		ev = json_object();
		json_object_set_new(ev, "time", jtime(m->events[i].ts_us));
		json_object_set_new(ev, "program",
		    json_text(m->events[i].prog));
		json_object_set_new(ev, "text", json_text(m->events[i].text));
		json_array_append_new(a, ev);
	}
	json_object_set_new(o, "timeline", a);
	json_object_set_new(o, "timeline_dropped",
	    json_integer((json_int_t)m->events_dropped));
	return o;
}

static json_t *
count_json(const struct log_count *c, int col, size_t top,
    const char *name)
{
	const struct log_count_entry *e[100];
	json_t *a = json_array();
	size_t i, n;

	if (top > 100)
		top = 100;
	n = log_count_top(c, col, top, e);
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:o,s:I}", name,
		    json_text(e[i]->key), "count", (json_int_t)e[i]->n[col]));
	return a;
}

static json_t *
domains_json(const struct log_count *c, size_t top)
{
	const struct log_count_entry *e[100];
	json_t *a = json_array();
	size_t i, n;

	if (top > 100)
		top = 100;
	n = log_count_top(c, LOG_COUNT_COLS, top, e);
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:o,s:I,s:I,s:I,s:I}",
		    "domain", json_text(e[i]->key),
		    "sent", (json_int_t)e[i]->n[0],
		    "deferred", (json_int_t)e[i]->n[1],
		    "bounced", (json_int_t)e[i]->n[2],
		    "rejected", (json_int_t)e[i]->n[3]));
	return a;
}

#define U(x) json_integer((json_int_t)(x))

static json_t *
summary_json(const struct log_render *r)
{
	const struct log_summary *s = r->sum;
	const struct histogram *h = &s->delay_ms;
	json_t *o = json_object();

	json_object_set_new(o, "lines", json_pack("{s:o,s:o,s:o,s:o,s:o,"
	    "s:o,s:o}", "total", U(s->lines), "bytes", U(s->bytes),
	    "postfix", U(s->postfix_lines), "dovecot", U(s->dovecot_lines),
	    "other", U(s->other), "malformed", U(s->malformed),
	    "bad_fields", U(s->bad_fields)));
	json_object_set_new(o, "first_time", jtime(s->first_us));
	json_object_set_new(o, "last_time", jtime(s->last_us));
	json_object_set_new(o, "messages", json_pack("{s:o,s:o,s:o,s:o,s:o,"
	    "s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
	    "received", U(s->received), "queued_bytes",
	    U(s->queued_bytes), "delivered", U(s->delivered),
	    "deferred", U(s->deferred), "deferrals", U(s->deferrals),
	    "bounced", U(s->bounced), "expired", U(s->expired),
	    "rejected", U(s->rejected), "discarded", U(s->discarded),
	    "completed", U(s->completed), "still_queued",
	    U(s->still_queued), "abandoned", U(s->abandoned),
	    "incomplete", U(s->evicted),
	    "ndr", U(s->ndr), "delivered_with_delay", U(h->count)));
	json_object_set_new(o, "delay_s", h->count ? json_pack(
	    "{s:f,s:f,s:f,s:f,s:f,s:f}",
	    "p50", histogram_percentile(h, 50) / 1000.0,
	    "p90", histogram_percentile(h, 90) / 1000.0,
	    "p95", histogram_percentile(h, 95) / 1000.0,
	    "p99", histogram_percentile(h, 99) / 1000.0,
	    "max", histogram_percentile(h, 100) / 1000.0,
	    "mean", histogram_mean(h) / 1000.0) : json_null());
	json_object_set_new(o, "smtpd", json_pack("{s:o,s:o,s:o,s:o}",
	    "connections", U(s->smtpd_connects), "tls", U(s->smtpd_tls),
	    "plaintext", U(s->smtpd_connects > s->smtpd_tls ?
	    s->smtpd_connects - s->smtpd_tls : 0),
	    "sasl_failures", U(s->sasl_failures)));
	json_object_set_new(o, "dovecot", json_pack("{s:o,s:o,s:o,s:o,s:o,"
	    "s:o,s:o,s:o,s:o,s:o,s:o}", "logins", U(s->dv_logins),
	    "logins_tls", U(s->dv_logins_tls), "logins_secured",
	    U(s->dv_logins_secured), "logins_plaintext",
	    U(s->dv_logins_plain), "login_failures",
	    U(s->dv_login_failures), "failed_attempts",
	    U(s->dv_failed_attempts), "aborted", U(s->dv_aborted),
	    "sessions_ended", U(s->dv_logouts), "saved", U(s->dv_saved),
	    "save_failed", U(s->dv_save_failed), "passdb_failures",
	    U(s->dv_auth_backend_failures)));
	json_object_set_new(o, "recipient_domains",
	    domains_json(&s->rcpt_domain, r->top));
	json_object_set_new(o, "top_senders", count_json(&s->senders, 0,
	    r->top, "address"));
	json_object_set_new(o, "top_sender_domains",
	    count_json(&s->sender_domain, 0, r->top, "domain"));
	json_object_set_new(o, "top_recipients", count_json(&s->recipients,
	    0, r->top, "address"));
	json_object_set_new(o, "reasons", json_pack("{s:o,s:o,s:o,s:o}",
	    "reject", count_json(&s->reasons, 0, r->top, "reason"),
	    "defer", count_json(&s->reasons, 1, r->top, "reason"),
	    "bounce", count_json(&s->reasons, 2, r->top, "reason"),
	    "mailbox", count_json(&s->reasons, 3, r->top, "reason")));
	json_object_set_new(o, "auth_failures", json_pack("{s:o,s:o,s:o,"
	    "s:o}", "login_by_ip", count_json(&s->auth_ip, 0, r->top, "ip"),
	    "sasl_by_ip", count_json(&s->auth_ip, 1, r->top, "ip"),
	    "login_by_user", count_json(&s->auth_user, 0, r->top, "user"),
	    "passdb_by_user", count_json(&s->auth_user, 1, r->top, "user")));
	return o;
}

static int
dump(json_t *root, struct buf *out, size_t flags)
{
	char *s;
	int rc;

	if (root == NULL)
		return -1;
	s = json_dumps(root, flags);
	json_decref(root);
	if (s == NULL)
		return -1;
	rc = buf_append_str(out, s);
	free(s);
	if (rc == 0)
		rc = buf_append_str(out, "\n");
	return rc;
}

int
log_render_msg_json_line(const struct log_msg *m, struct buf *out)
{
	return dump(msg_json(m), out, JSON_COMPACT);
}

int
log_render_json(const struct log_render *r, struct buf *out)
{
	json_t *root = json_object(), *log, *a;
	size_t i;

	json_object_set_new(root, "mailvet", json_string(MAILVET_VERSION));
	json_object_set_new(root, "command", json_string("log"));
	json_object_set_new(root, "target", r->ninputs ?
	    json_text(r->inputs[0]) : json_null());
	json_object_set_new(root, "verdict", json_string(r->exit_code == 0 ?
	    "pass" : r->exit_code == 1 ? "fail" : "error"));
	json_object_set_new(root, "exit_code", json_integer(r->exit_code));
	json_object_set_new(root, "error", r->error ? json_pack("{s:s,s:o}",
	    "category", r->exit_code == 4 ? "internal" : "io",
	    "message", json_text(r->error)) : json_null());
	json_object_set_new(root, "checks", json_array());
	json_object_set_new(root, "transcript", json_array());
	json_object_set_new(root, "transcript_dropped", json_integer(0));
	log = json_object();
	a = json_array();
	for (i = 0; i < r->ninputs; i++)
		json_array_append_new(a, json_text(r->inputs[i]));
	json_object_set_new(log, "inputs", a);
	json_object_set_new(log, "query", json_boolean(r->query));
	json_object_set_new(log, "summary", r->sum ? summary_json(r) :
	    json_null());
	a = json_array();
	for (i = 0; i < r->nmsgs; i++)
		json_array_append_new(a, msg_json(r->msgs[i]));
	json_object_set_new(log, "messages", a);
	json_object_set_new(root, "log", log);
	return dump(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
}
