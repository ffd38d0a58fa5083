/*
 * render_text_mailbox.c - the summary blocks of `mailvet pop3`,
 * `mailvet imap` and `mailvet deliver` in the text report.
 */
#include "report/render_text_parts.h"

#include <string.h>

static const char *
rt_pop3_phase(int ph)
{
	return pop3_phase_name((enum pop3_phase)ph);
}

static const char *
rt_imap_phase(int ph)
{
	return imap_phase_name((enum imap_phase)ph);
}

void
rt_pop3(const struct report *rep, const struct render_opts *o,
    struct buf *out)
{
	const struct pop3_client_result *r = rep->pop3;
	size_t i;

	if (r->peer[0])
		rt_line(out, "Server", "%s (from %s)", r->peer, r->local);
	if (r->have_capa) {
		struct buf capa;

		buf_init(&capa, 0);
		buf_append_lines(&capa, r->capa, ", ");
		rt_line(out, "CAPA", "%s", buf_cstr(&capa));
		buf_free(&capa);
	}
	if (r->tls_active)
		rt_tls(out, o, &r->tls, r->implicit_tls, "STLS");
	if (r->auth_attempted)
		rt_line(out, "Login", "%s as %s: %s%s%s%s", r->auth_method,
		    r->auth_user, r->auth_ok ? "accepted" : "refused",
		    !r->auth_ok && r->auth.code[0] ? " [" : "",
		    r->auth_ok ? "" : r->auth.code,
		    !r->auth_ok && r->auth.code[0] ? "]" : "");
	if (r->stat_ok)
		rt_line(out, "Mailbox", "%llu messages, %llu octets",
		    (unsigned long long)r->stat_count,
		    (unsigned long long)r->stat_octets);
	for (i = 0; i < r->nlisting && (i < 20 || o->verbose); i++)
		rt_line(out, i ? "" : "Messages", "%llu: %llu octets%s%s",
		    (unsigned long long)r->listing[i].msg,
		    (unsigned long long)r->listing[i].size,
		    r->listing[i].uid[0] ? ", uid " : "", r->listing[i].uid);
	if (r->nlisting > 20 && !o->verbose)
		rt_line(out, "", "(%zu more; --verbose shows all)",
		    r->nlisting - 20);
	if (r->retr_msg)
		rt_line(out, "Message", "%llu: %zu bytes",
		    (unsigned long long)r->retr_msg, r->message.len);
	rt_timings(out, r->phase_us, r->phase_done, POP3_PHASE_COUNT,
	    rt_pop3_phase, r->total_us);
	if (r->retr_msg && o->verbose)
		buf_printf(out, "\n%.*s\n", (int)r->message.len,
		    r->message.data ? r->message.data : "");
}

void
rt_imap(const struct report *rep, const struct render_opts *o,
    struct buf *out)
{
	const struct imap_client_result *r = rep->imap;

	if (r->peer[0])
		rt_line(out, "Server", "%s (from %s)", r->peer, r->local);
	if (r->have_caps)
		rt_line(out, "Capability", "%s", r->caps.all);
	if (r->tls_active)
		rt_tls(out, o, &r->tls, r->implicit_tls, "STARTTLS");
	if (r->auth_attempted)
		rt_line(out, "Login", "%s as %s: %s%s%s%s", r->auth_method,
		    r->auth_user, r->auth_ok ? "accepted" : "refused",
		    !r->auth_ok && r->auth.code[0] ? " [" : "",
		    r->auth_ok ? "" : r->auth.code,
		    !r->auth_ok && r->auth.code[0] ? "]" : "");
	if (r->selected) {
		rt_line(out, "Mailbox", "%llu messages, %llu recent%s",
		    (unsigned long long)r->exists,
		    (unsigned long long)r->recent, r->read_only ?
		    ", read-only" : "");
		if (r->have_unseen)
			rt_line(out, "", "first unseen %llu",
			    (unsigned long long)r->unseen);
		rt_line(out, "", "UIDVALIDITY %llu, UIDNEXT %llu",
		    (unsigned long long)r->uidvalidity,
		    (unsigned long long)r->uidnext);
		if (r->flags[0])
			rt_line(out, "", "flags %s", r->flags);
		if (r->permanentflags[0])
			rt_line(out, "", "permanent flags %s",
			    r->permanentflags);
	}
	if (r->phase_done & (1u << IMAP_PHASE_SEARCH))
		rt_line(out, "Search", "%zu found", r->found_total);
	if (r->fetch_msg)
		rt_line(out, "Message", "%llu: %zu bytes",
		    (unsigned long long)r->fetch_msg, r->message.len);
	rt_timings(out, r->phase_us, r->phase_done, IMAP_PHASE_COUNT,
	    rt_imap_phase, r->total_us);
	if (r->fetch_msg && o->verbose)
		buf_printf(out, "\n%.*s\n", (int)r->message.len,
		    r->message.data ? r->message.data : "");
}

void
rt_deliver(const struct report *rep, const struct render_opts *o,
    struct buf *out)
{
	const struct deliver_summary *d = rep->deliver;
	const char *p = d->log.data ? d->log.data : "";

	(void)o;
	rt_line(out, "Mailbox", "%s, %u session(s), every %llu ms, waiting "
	    "up to %llu ms", d->check, d->polls,
	    (unsigned long long)d->poll_ms, (unsigned long long)d->wait_ms);
	if (d->found)
		rt_line(out, "To inbox", "%.0f ms after the 250 reply",
		    (double)d->time_to_inbox_us / 1000.0);
	else if (d->submitted)
		rt_line(out, "To inbox", "not found");
	while (*p) {
		size_t n = strcspn(p, "\n");

		rt_line(out, p == d->log.data ? "Log" : "", "%.*s", (int)n, p);
		p += n;
		if (*p == '\n')
			p++;
	}
}
