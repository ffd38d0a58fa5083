/*
 * render_text.c - the human report: transcript (optional), session
 * summary, timings, one line per check, and the verdict.  Colour only
 * when render_opts.color says so (cli/ checks the TTY and NO_COLOR).
 */
#include "report/ports_report.h"
#include "report/render.h"
#include "report/text_safe.h"
#include "report/render_relay.h"
#include "report/render_text_parts.h"
#include "report/render_tls.h"

#include <stdarg.h>
#include <stdio.h>

#include <string.h>

#define C_RESET  "\033[0m"
#define C_BOLD   "\033[1m"
#define C_DIM    "\033[2m"
#define C_RED    "\033[31m"
#define C_GREEN  "\033[32m"
#define C_YELLOW "\033[33m"
#define C_CYAN   "\033[36m"

static const char *
col(const struct render_opts *o, const char *code)
{
	return o->color ? code : "";
}

static const char *
verdict_color(enum verdict v)
{
	switch (v) {
	case VERDICT_PASS:
		return C_GREEN;
	case VERDICT_WARN:
		return C_YELLOW;
	case VERDICT_FAIL:
	case VERDICT_ERROR:
		return C_RED;
	case VERDICT_SKIP:
		return C_DIM;
	}
	return "";
}

static void
render_transcript(const struct report *r, const struct render_opts *o,
    struct buf *out)
{
	size_t i;

	buf_printf(out, "%sTranscript%s\n", col(o, C_BOLD), col(o, C_RESET));
	for (i = 0; i < r->tr.n; i++) {
		const struct transcript_entry *e = &r->tr.v[i];
		const char *tag = "  ", *c = "";

		switch (e->kind) {
		case TR_CLIENT:
			tag = "C:";
			c = C_CYAN;
			break;
		case TR_SERVER:
			tag = "S:";
			break;
		case TR_TLS:
			tag = "~ ";
			c = C_YELLOW;
			break;
		case TR_INFO:
			tag = "* ";
			c = C_DIM;
			break;
		case TR_ERROR:
			tag = "! ";
			c = C_RED;
			break;
		}
		buf_printf(out, "%9.1f ms  %s%s ", (double)e->t_us / 1000.0,
		    col(o, c), tag);
		/* The transcript escaped C0 controls; C1 controls and
		 * malformed UTF-8 are escaped here, as everywhere. */
		text_append_safe(out, e->text);
		buf_printf(out, "%s\n", col(o, C_RESET));
	}
	if (r->tr.dropped)
		buf_printf(out, "  (%zu more transcript entries not kept)\n",
		    r->tr.dropped);
	buf_append_str(out, "\n");
}

void
rt_line(struct buf *out, const char *label, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	buf_printf(out, "  %-12s ", label);
	text_append_safe(out, line);
	buf_append(out, "\n", 1);
}

void
rt_tls(struct buf *out, const struct render_opts *o,
    const struct tls_info *ti, int implicit, const char *upgrade)
{
	size_t i;

	rt_line(out, "TLS", "%s, %s%s%s (%s)", ti->version, ti->cipher,
	    ti->group[0] ? ", " : "", ti->group, implicit ? "implicit" :
	    upgrade);
	for (i = 0; i < ti->chain_len && (i == 0 || o->verbose); i++) {
		const struct tls_cert_info *ci = &ti->chain[i];

		rt_line(out, i ? "" : "Certificate", "%s", ci->subject);
		rt_line(out, "", "  issuer %s", ci->issuer);
		if (ci->san[0])
			rt_line(out, "", "  names %s", ci->san);
		rt_line(out, "", "  valid %s to %s; %s %d bits",
		    ci->not_before, ci->not_after, ci->key_type, ci->key_bits);
		if (o->verbose)
			rt_line(out, "", "  sha256 %s", ci->sha256);
	}
	rt_line(out, "Verified", "%s", ti->verified ? "yes" :
	    ti->verify_error);
}

void
rt_timings(struct buf *out, const uint64_t *phase_us, unsigned done,
    int nphases, const char *(*name)(int), uint64_t total_us)
{
	int ph;

	buf_printf(out, "  %-12s", "Timings ms");
	for (ph = 0; ph < nphases; ph++)
		if (done & (1u << ph))
			buf_printf(out, " %s %.1f", name(ph),
			    (double)phase_us[ph] / 1000.0);
	buf_printf(out, " total %.1f\n", (double)total_us / 1000.0);
}

static const char *
rt_smtp_phase(int ph)
{
	return smtp_phase_name((enum smtp_phase)ph);
}

static void
render_smtp(const struct report *rep, const struct render_opts *o,
    struct buf *out)
{
	const struct smtp_client_result *r = rep->smtp;

	if (r->peer[0])
		rt_line(out, "Server", "%s (from %s)", r->peer, r->local);
	if (r->tls_active)
		rt_tls(out, o, &r->tls, r->implicit_tls, "STARTTLS");
	if (r->auth_attempted)
		rt_line(out, "AUTH", "%s as %s: %s", r->auth_mech,
		    r->auth_user, r->auth_ok ? "accepted" : "refused");
	if (rep->message_id[0])
		rt_line(out, "Message-ID", "%s", rep->message_id);
	if (r->queue_id[0])
		rt_line(out, "Queue id", "%s", r->queue_id);
	rt_timings(out, r->phase_us, r->phase_done, SMTP_PHASE_COUNT,
	    rt_smtp_phase, r->total_us);
}

int
report_render_text(const struct report *r, const struct render_opts *o,
    struct buf *out)
{
	const char *v = report_verdict_name(r);
	size_t i;

	if (o->transcript)
		render_transcript(r, o, out);
	buf_printf(out, "%smailvet %s %s%s\n", col(o, C_BOLD), r->command,
	    r->target, col(o, C_RESET));
	if (r->smtp)
		render_smtp(r, o, out);
	if (r->deliver && (r->pop3 || r->imap))
		buf_printf(out, "\n%sMailbox%s %s\n", col(o, C_BOLD),
		    col(o, C_RESET), r->deliver->check);
	if (r->pop3)
		rt_pop3(r, o, out);
	if (r->imap)
		rt_imap(r, o, out);
	if (r->deliver)
		rt_deliver(r, o, out);
	if (r->tls)
		rt_tls_report(r, o, out);
	if (r->relay)
		rt_relay(r, o, out);
	if (r->ports)
		rt_ports(r, o, out);
	buf_append_str(out, "\n");
	for (i = 0; i < r->nchecks; i++) {
		const struct check_result *c = &r->checks[i];
		static const char *const tags[] = { "PASS", "WARN", "FAIL",
			"SKIP", "ERROR" };
		const char *tag = tags[c->verdict];

		buf_printf(out, "  %s%-5s%s %-12s ",
		    col(o, verdict_color(c->verdict)), tag, col(o, C_RESET),
		    c->name);
		text_append_safe(out, c->summary);
		buf_append(out, "\n", 1);
	}
	buf_printf(out, "\n%sVerdict: %s%s%s", col(o, C_BOLD),
	    col(o, strcmp(v, "pass") == 0 ? C_GREEN : C_RED),
	    strcmp(v, "pass") == 0 ? "PASS" : strcmp(v, "fail") == 0 ?
	    "FAIL" : "ERROR (could not test)", col(o, C_RESET));
	if (r->err.cat != MV_ERR_NONE) {
		buf_printf(out, " - %s: ", mv_errcat_name(r->err.cat));
		text_append_safe(out, r->err.msg);
	}
	return buf_append_str(out, "\n");
}
