/*
 * render_text_ports.c - the text of `mailvet ports`: one line per port
 * (state, what answers, its usual name, the greeting), then the checks
 * that report_render_text() prints for every command.  Closed ports are
 * listed for short sweeps and with --verbose; long sweeps only count
 * them.  Server text is shown with control bytes escaped.
 */
#include "report/ports_report.h"
#include "report/render.h"
#include "report/text_safe.h"

#include <stdio.h>
#include <string.h>

#define PORTS_TEXT_ALL_CLOSED 64  /* list closed ports up to this many */

static void
rtp_entry(struct buf *out, const struct ports_entry *e)
{
	const char *conv = ports_conventional_name(e->port);
	char conv_col[24];

	snprintf(conv_col, sizeof(conv_col), "%s%s%s", conv[0] ? "(" : "",
	    conv, conv[0] ? ")" : "");
	buf_printf(out, "  %5u  %-8s  %-14s %-15s ", e->port,
	    ports_state_name(e->state), e->state == PORTS_STATE_OPEN ?
	    ports_display_name(e) : "", conv_col);
	if (e->state != PORTS_STATE_OPEN) {
		text_append_safe(out, e->why);
		buf_append_str(out, "\n");
		return;
	}
	text_append_safe(out, e->detail);
	if (e->service == PORTS_SVC_SMTP || e->service == PORTS_SVC_LMTP ||
	    e->service == PORTS_SVC_POP3 || e->service == PORTS_SVC_IMAP ||
	    e->service == PORTS_SVC_SIEVE) {
		if (e->tls_implicit)
			;
		else if (e->greeting_incomplete)
			buf_append_str(out, "; greeting incomplete (\"220-\" "
			    "without its last line): mailvet did not speak");
		else if (e->caps_incomplete)
			buf_printf(out, "; capabilities incomplete (the answer "
			    "was cut short): %s unknown",
			    e->service == PORTS_SVC_POP3 ? "STLS" : "STARTTLS");
		else if (!e->caps_seen)
			buf_append_str(out, "; capabilities not read");
		else
			buf_printf(out, "; %s %s",
			    e->service == PORTS_SVC_POP3 ? "STLS" : "STARTTLS",
			    e->starttls_offered ? "offered" : "NOT offered");
	}
	if (e->preauth)
		buf_append_str(out, "; PREAUTH");
	if (e->tls_version[0]) {
		buf_printf(out, "; %s", e->tls_version);
		if (e->cert_subject[0]) {
			buf_append_str(out, ", certificate ");
			text_append_safe(out, e->cert_subject);
		}
		if (!e->cert_verified)
			buf_append_str(out, " (not verified)");
	}
	buf_printf(out, "%s\n", e->expected ? "" : "  [not expected]");
}

void
rt_ports(const struct report *rep, const struct render_opts *o,
    struct buf *out)
{
	const struct ports_report *r = rep->ports;
	size_t i, hidden = 0;
	int all = o->verbose || r->n <= PORTS_TEXT_ALL_CLOSED;

	buf_printf(out, "  %-12s %s, %zu ports in %.1f s\n", "Address",
	    r->address[0] ? r->address : "-", r->n,
	    (double)r->total_us / 1e6);
	if (r->address[0] == '\0')
		return;
	if (r->other_family)
		buf_printf(out, "  %-12s %s also has %s addresses, not swept "
		    "(%s sweeps them)\n", "", r->host,
		    strchr(r->address, ':') ? "IPv4" : "IPv6",
		    strchr(r->address, ':') ? "-4" : "-6");
	buf_printf(out, "\n  %5s  %-8s  %-14s %-15s %s\n", "PORT", "STATE",
	    "SERVICE", "USUALLY", "WHAT ANSWERS");
	for (i = 0; i < r->n; i++) {
		const struct ports_entry *e = &r->v[i];

		if (e->state != PORTS_STATE_OPEN && !all && !e->expected) {
			hidden++;
			continue;
		}
		rtp_entry(out, e);
	}
	if (hidden)
		buf_printf(out, "  (%zu ports not open are not listed; "
		    "--verbose lists them)\n", hidden);
}
