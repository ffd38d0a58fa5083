/*
 * render_text.c - the human report: transcript (optional), session
 * summary, timings, one line per check, and the verdict.  Colour only
 * when render_opts.color says so (cli/ checks the TTY and NO_COLOR).
 */
#include "report/render.h"

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
		buf_printf(out, "%9.1f ms  %s%s %s%s\n",
		    (double)e->t_us / 1000.0, col(o, c), tag, e->text,
		    col(o, C_RESET));
	}
	if (r->tr.dropped)
		buf_printf(out, "  (%zu more transcript entries not kept)\n",
		    r->tr.dropped);
	buf_append_str(out, "\n");
}

static void
render_smtp(const struct report *rep, const struct render_opts *o,
    struct buf *out)
{
	const struct smtp_client_result *r = rep->smtp;
	const struct tls_info *ti = &r->tls;
	int ph, any = 0;
	size_t i;

	if (r->peer[0])
		buf_printf(out, "  %-12s %s (from %s)\n", "Server", r->peer,
		    r->local);
	if (r->tls_active) {
		buf_printf(out, "  %-12s %s, %s%s%s (%s)\n", "TLS",
		    ti->version, ti->cipher, ti->group[0] ? ", " : "",
		    ti->group, r->implicit_tls ? "implicit" : "STARTTLS");
		for (i = 0; i < ti->chain_len && (i == 0 || o->verbose); i++) {
			const struct tls_cert_info *ci = &ti->chain[i];

			buf_printf(out, "  %-12s %s\n", i ? "" : "Certificate",
			    ci->subject);
			buf_printf(out, "  %-12s   issuer %s\n", "",
			    ci->issuer);
			if (ci->san[0])
				buf_printf(out, "  %-12s   names %s\n", "",
				    ci->san);
			buf_printf(out, "  %-12s   valid %s to %s; %s %d "
			    "bits\n", "", ci->not_before, ci->not_after,
			    ci->key_type, ci->key_bits);
			if (o->verbose)
				buf_printf(out, "  %-12s   sha256 %s\n", "",
				    ci->sha256);
		}
		buf_printf(out, "  %-12s %s\n", "Verified", ti->verified ?
		    "yes" : ti->verify_error);
	}
	if (r->auth_attempted)
		buf_printf(out, "  %-12s %s as %s: %s\n", "AUTH", r->auth_mech,
		    r->auth_user, r->auth_ok ? "accepted" : "refused");
	if (rep->message_id[0])
		buf_printf(out, "  %-12s %s\n", "Message-ID", rep->message_id);
	if (r->queue_id[0])
		buf_printf(out, "  %-12s %s\n", "Queue id", r->queue_id);
	for (ph = 0; ph < SMTP_PHASE_COUNT; ph++) {
		if (!(r->phase_done & (1u << ph)))
			continue;
		if (!any)
			buf_printf(out, "  %-12s", "Timings ms");
		buf_printf(out, " %s %.1f", smtp_phase_name(ph),
		    (double)r->phase_us[ph] / 1000.0);
		any = 1;
	}
	buf_printf(out, "%s total %.1f\n", any ? "" : "  Timings ms  ",
	    (double)r->total_us / 1000.0);
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
	buf_append_str(out, "\n");
	for (i = 0; i < r->nchecks; i++) {
		const struct check_result *c = &r->checks[i];
		static const char *const tags[] = { "PASS", "WARN", "FAIL",
			"SKIP", "ERROR" };
		const char *tag = tags[c->verdict];

		buf_printf(out, "  %s%-5s%s %-12s %s\n",
		    col(o, verdict_color(c->verdict)), tag, col(o, C_RESET),
		    c->name, c->summary);
	}
	buf_printf(out, "\n%sVerdict: %s%s%s", col(o, C_BOLD),
	    col(o, strcmp(v, "pass") == 0 ? C_GREEN : C_RED),
	    strcmp(v, "pass") == 0 ? "PASS" : strcmp(v, "fail") == 0 ?
	    "FAIL" : "ERROR (could not test)", col(o, C_RESET));
	if (r->err.cat != MV_ERR_NONE)
		buf_printf(out, " - %s: %s", mv_errcat_name(r->err.cat),
		    r->err.msg);
	return buf_append_str(out, "\n");
}
