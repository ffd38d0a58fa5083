/*
 * render_text_log.c - `mailvet log` for people: a summary in the
 * manner of pflogsumm with Dovecot's side added, or each queried
 * message's timeline from client connect to mailbox.
 */
#include "report/log_render.h"

#include "report/text_safe.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void
log_render_time(int64_t ts_us, int iso, char *out, size_t outsz)
{
	time_t t = (time_t)(ts_us / 1000000);
	struct tm tm;
	char zone[8];
	size_t n;
	int us = (int)(ts_us % 1000000);

	out[0] = '\0';
	if (ts_us == 0 || localtime_r(&t, &tm) == NULL)
		return;
	n = strftime(out, outsz, iso ? "%Y-%m-%dT%H:%M:%S" :
	    "%Y-%m-%d %H:%M:%S", &tm);
	if (n == 0)
		return;
	if (us != 0 && outsz - n > 8)
		n += (size_t)snprintf(out + n, outsz - n, ".%06d", us);
	if (iso && strftime(zone, sizeof(zone), "%z", &tm) == 5 &&
	    outsz - n > 7)
		snprintf(out + n, outsz - n, "%.3s:%.2s", zone, zone + 3);
}

/*
 * Log text must not drive the terminal: C0 controls and DEL, the C1
 * controls written as UTF-8 (U+0080..U+009F: C2 80..C2 9F, e.g. C2 9B
 * is CSI) and bytes that are not valid UTF-8 (which a terminal may read
 * as C1 controls, or which break the user's locale) are shown as \xNN.
 * Valid UTF-8 text (names, subjects) is kept.
 */
static void
safe(struct buf *out, const char *s)
{
	if (s == NULL)
		buf_append_str(out, "-");
	else
		text_append_safe(out, s);
}

static void
kv(struct buf *out, const char *label, const char *v)
{
	buf_printf(out, "  %-14s ", label);
	safe(out, v);
	buf_append_str(out, "\n");
}

static void
table(struct buf *out, const struct log_count *c, int col, size_t top,
    const char *title, const char *unit)
{
	const struct log_count_entry *e[100];
	size_t i, n;

	if (top > 100)
		top = 100;
	n = log_count_top(c, col, top, e);
	if (n == 0)
		return;
	buf_printf(out, "\n%s\n", title);
	for (i = 0; i < n; i++) {
		buf_printf(out, "  %8llu %s  ",
		    (unsigned long long)e[i]->n[col], unit);
		safe(out, e[i]->key[0] ? e[i]->key : "(empty)");
		buf_append_str(out, "\n");
	}
}

static void
domain_table(struct buf *out, const struct log_count *c, size_t top)
{
	const struct log_count_entry *e[100];
	size_t i, n;

	if (top > 100)
		top = 100;
	n = log_count_top(c, LOG_COUNT_COLS, top, e);
	if (n == 0)
		return;
	buf_append_str(out, "\nRecipient domains\n"
	    "      sent deferred  bounced rejected  domain\n");
	for (i = 0; i < n; i++) {
		buf_printf(out, "  %8llu %8llu %8llu %8llu  ",
		    (unsigned long long)e[i]->n[0],
		    (unsigned long long)e[i]->n[1],
		    (unsigned long long)e[i]->n[2],
		    (unsigned long long)e[i]->n[3]);
		safe(out, e[i]->key);
		buf_append_str(out, "\n");
	}
}

static void
summary_text(const struct log_render *r, struct buf *out)
{
	const struct log_summary *s = r->sum;
	char a[48], b[48];
	const struct histogram *h = &s->delay_ms;

	log_render_time(s->first_us, 0, a, sizeof(a));
	log_render_time(s->last_us, 0, b, sizeof(b));
	buf_printf(out, "Mail log summary: %llu lines (%s .. %s)\n",
	    (unsigned long long)s->lines, a[0] ? a : "-", b[0] ? b : "-");
	buf_printf(out, "  postfix %llu, dovecot %llu, other programs %llu, "
	    "malformed %llu (skipped), broken fields %llu\n",
	    (unsigned long long)s->postfix_lines,
	    (unsigned long long)s->dovecot_lines,
	    (unsigned long long)s->other, (unsigned long long)s->malformed,
	    (unsigned long long)s->bad_fields);
	buf_printf(out, "\nMessages\n"
	    "  %8llu received (client= or pickup lines)\n"
	    "  %8llu bytes queued (size= of the messages qmgr queued)\n"
	    "  %8llu delivered (recipients)\n"
	    "  %8llu deferred (recipients still deferred at the end; "
	    "%llu deferrals)\n"
	    "  %8llu bounced\n"
	    "  %8llu expired\n"
	    "  %8llu rejected\n"
	    "  %8llu discarded\n"
	    "  %8llu completed (removed from the queue)\n"
	    "  %8llu still queued at the end of the log\n"
	    "  %8llu abandoned (client= logged, no message sent)\n"
	    "  %8llu incomplete (closed by the open-message limit)\n"
	    "  %8llu non-delivery notices\n",
	    (unsigned long long)s->received,
	    (unsigned long long)s->queued_bytes,
	    (unsigned long long)s->delivered,
	    (unsigned long long)s->deferred,
	    (unsigned long long)s->deferrals,
	    (unsigned long long)s->bounced, (unsigned long long)s->expired,
	    (unsigned long long)s->rejected,
	    (unsigned long long)s->discarded,
	    (unsigned long long)s->completed,
	    (unsigned long long)s->still_queued,
	    (unsigned long long)s->abandoned,
	    (unsigned long long)s->evicted, (unsigned long long)s->ndr);
	if (h->count > 0)
		buf_printf(out, "\nDelivery delay (%llu delivered): p50 %.2fs  "
		    "p90 %.2fs  p95 %.2fs  p99 %.2fs  max %.2fs\n",
		    (unsigned long long)h->count,
		    histogram_percentile(h, 50) / 1000.0,
		    histogram_percentile(h, 90) / 1000.0,
		    histogram_percentile(h, 95) / 1000.0,
		    histogram_percentile(h, 99) / 1000.0,
		    histogram_percentile(h, 100) / 1000.0);
	buf_printf(out, "\nSessions\n"
	    "  smtpd: %llu connections, %llu with TLS, %llu plaintext; "
	    "%llu SASL failures\n"
	    "  dovecot: %llu logins (%llu TLS, %llu secured, %llu "
	    "plaintext), %llu failed logins (%llu attempts), %llu aborted,\n"
	    "           %llu sessions ended, %llu saved by LMTP/LDA, "
	    "%llu saves failed, %llu passdb failures\n",
	    (unsigned long long)s->smtpd_connects,
	    (unsigned long long)s->smtpd_tls,
	    (unsigned long long)(s->smtpd_connects > s->smtpd_tls ?
	    s->smtpd_connects - s->smtpd_tls : 0),
	    (unsigned long long)s->sasl_failures,
	    (unsigned long long)s->dv_logins,
	    (unsigned long long)s->dv_logins_tls,
	    (unsigned long long)s->dv_logins_secured,
	    (unsigned long long)s->dv_logins_plain,
	    (unsigned long long)s->dv_login_failures,
	    (unsigned long long)s->dv_failed_attempts,
	    (unsigned long long)s->dv_aborted,
	    (unsigned long long)s->dv_logouts,
	    (unsigned long long)s->dv_saved,
	    (unsigned long long)s->dv_save_failed,
	    (unsigned long long)s->dv_auth_backend_failures);
	domain_table(out, &s->rcpt_domain, r->top);
	table(out, &s->senders, 0, r->top, "Top senders", "msgs");
	table(out, &s->sender_domain, 0, r->top, "Top sender domains", "msgs");
	table(out, &s->recipients, 0, r->top, "Top recipients", "sent");
	table(out, &s->reasons, 0, r->top, "Reject reasons", "");
	table(out, &s->reasons, 1, r->top, "Deferral reasons", "");
	table(out, &s->reasons, 2, r->top, "Bounce reasons", "");
	table(out, &s->reasons, 3, r->top, "Mailbox save failures", "");
	table(out, &s->auth_ip, 0, r->top,
	    "Failed logins per remote ip (Dovecot attempts)", "");
	table(out, &s->auth_ip, 1, r->top,
	    "SASL failures per client ip (Postfix)", "");
	table(out, &s->auth_user, 0, r->top,
	    "Failed logins per user (Dovecot attempts)", "");
	table(out, &s->auth_user, 1, r->top,
	    "Password database failures per user (Dovecot)", "");
}

static void
delivery_text(const struct log_delivery *d, struct buf *out)
{
	char t[48];

	buf_append_str(out, "  to ");
	safe(out, d->to);
	if (d->orig_to) {
		buf_append_str(out, " (originally ");
		safe(out, d->orig_to);
		buf_append_str(out, ")");
	}
	buf_printf(out, ": %s", log_status_name(d->status));
	if (d->dsn) {
		buf_append_str(out, " ");
		safe(out, d->dsn);
	}
	buf_printf(out, " after %u attempt%s\n", d->attempts,
	    d->attempts == 1 ? "" : "s");
	buf_append_str(out, "    relay ");
	safe(out, d->relay);
	buf_printf(out, ", delay %.2fs", d->delay_s);
	if (d->have_delays)
		buf_printf(out, " (before queue %.2fs, in queue %.2fs, "
		    "connection %.2fs, transmission %.2fs)", d->delays_s[0],
		    d->delays_s[1], d->delays_s[2], d->delays_s[3]);
	buf_append_str(out, "\n");
	if (d->reason) {
		buf_append_str(out, "    ");
		safe(out, d->reason);
		buf_append_str(out, "\n");
	}
	if (d->saved != 0) {
		log_render_time(d->saved_us, 0, t, sizeof(t));
		buf_printf(out, "    mailbox: %s ", d->saved > 0 ? "saved to" :
		    "NOT saved to");
		safe(out, d->mailbox ? d->mailbox : "?");
		buf_append_str(out, " of ");
		safe(out, d->box_user);
		buf_printf(out, " at %s", t);
		if (d->box_error) {
			buf_append_str(out, ": ");
			safe(out, d->box_error);
		}
		buf_append_str(out, "\n");
	}
}

static void
msg_text(const struct log_msg *m, struct buf *out)
{
	char t[48];
	size_t i;

	buf_append_str(out, "Message ");
	safe(out, m->qid);
	buf_printf(out, ": %s%s\n", log_status_name(log_msg_status(m)),
	    m->removed ? "" : m->evicted ? " (incomplete: closed early)" :
	    m->abandoned ? " (abandoned: the client sent no message)" :
	    " (still in the queue at the end of the log)");
	kv(out, "message-id", m->message_id);
	kv(out, "from", m->from ? (m->from[0] ? m->from : "<>") : NULL);
	kv(out, "client", m->client);
	if (m->sasl_user) {
		buf_printf(out, "  %-14s ", "sasl");
		safe(out, m->sasl_user);
		buf_append_str(out, " (");
		safe(out, m->sasl_method);
		buf_append_str(out, ")\n");
	}
	if (m->client)
		kv(out, "tls", m->tls_proto ? m->tls_proto : "none");
	if (m->tls_cipher)
		kv(out, "cipher", m->tls_cipher);
	buf_printf(out, "  %-14s %llu bytes, %u recipient%s\n", "size",
	    (unsigned long long)m->size, m->nrcpt, m->nrcpt == 1 ? "" : "s");
	if (m->reject_action) {
		buf_printf(out, "  %-14s ", m->reject_action);
		safe(out, m->reject_reason);
		buf_append_str(out, "\n");
	}
	if (m->ndr_qid)
		kv(out, "bounce notice", m->ndr_qid);
	for (i = 0; i < m->nrcpt_seen; i++)
		delivery_text(&m->rcpt[i], out);
	if (m->nevents > 0)
		buf_append_str(out, "  timeline:\n");
	for (i = 0; i < m->nevents; i++) {
		log_render_time(m->events[i].ts_us, 0, t, sizeof(t));
		buf_printf(out, "    %s ", t);
		safe(out, m->events[i].prog);
		buf_append_str(out, ": ");
		safe(out, m->events[i].text);
		buf_append_str(out, "\n");
	}
	if (m->events_dropped)
		buf_printf(out, "    (%zu more lines not kept)\n",
		    m->events_dropped);
}

int
log_render_msg_text_line(const struct log_msg *m, struct buf *out)
{
	char t[48];
	size_t i;

	log_render_time(m->removed_us ? m->removed_us : m->last_us, 0, t,
	    sizeof(t));
	buf_printf(out, "%s ", t);
	safe(out, m->qid);
	buf_printf(out, " %s from=", log_status_name(log_msg_status(m)));
	/* "<>" is a real null sender (a bounce); "-" means no line said */
	if (m->from != NULL) {
		buf_append_str(out, "<");
		safe(out, m->from);
		buf_append_str(out, ">");
	} else
		buf_append_str(out, "-");
	for (i = 0; i < m->nrcpt_seen; i++) {
		buf_append_str(out, " to=<");
		safe(out, m->rcpt[i].to);
		buf_printf(out, ">:%s", log_status_name(m->rcpt[i].status));
		if (m->rcpt[i].saved > 0) {
			buf_append_str(out, "->");
			safe(out, m->rcpt[i].mailbox);
		}
	}
	buf_append_str(out, " message-id=");
	safe(out, m->message_id);
	if (!m->removed)
		buf_append_str(out, m->evicted ? " (incomplete: closed early)"
		    : m->abandoned ? " (abandoned: no message sent)" :
		    " (incomplete: still queued)");
	buf_append_str(out, "\n");
	return 0;
}

int
log_render_text(const struct log_render *r, struct buf *out)
{
	size_t i;

	if (r->error != NULL) {
		buf_append_str(out, "mailvet log: ");
		safe(out, r->error);
		buf_append_str(out, "\n");
		return 0;
	}
	if (!r->query) {
		summary_text(r, out);
		return 0;
	}
	if (r->nmsgs == 0)
		buf_printf(out, "No message matched in %llu lines.\n",
		    (unsigned long long)r->sum->lines);
	for (i = 0; i < r->nmsgs; i++) {
		if (i > 0)
			buf_append_str(out, "\n");
		msg_text(r->msgs[i], out);
	}
	return 0;
}
