/*
 * render_text_relay.c - the text block of `mailvet relay`: what was
 * assumed (domains, IP literal, sink), the matrix attempt x vantage,
 * then every attempt with its exact commands and each vantage's reply
 * and verdict; with --verbose every session's transcript.  Server text
 * is escaped: it must not drive the terminal.
 */
#include "report/relay_report.h"
#include "report/render.h"
#include "report/render_relay.h"
#include "report/text_safe.h"
#include "report/render_text_parts.h"

#include <stdio.h>
#include <string.h>

static const char *
tag(enum verdict v)
{
	static const char *const tags[] = { "PASS", "WARN", "FAIL", "SKIP",
		"ERROR" };

	return (unsigned)v < 5 ? tags[v] : "?";
}

/* The reply that decided the outcome. */
static const struct relay_reply *
deciding_reply(const struct relay_result *r)
{
	if (r->outcome == RELAY_OUT_NOT_RELAYED ||
	    r->outcome == RELAY_OUT_RELAYED)
		return &r->rcpt_reply;	/* the matrix shows the RCPT reply */
	return relay_deciding_reply(r);
}

static void
reply(struct buf *out, const struct relay_reply *rp)
{
	if (rp->code == 0) {
		buf_append_str(out, "(no reply)");
		return;
	}
	/* The text keeps the enhanced code: it is not repeated. */
	buf_printf(out, "%d", rp->code);
	if (rp->text[0]) {
		buf_append_str(out, " ");
		text_append_safe(out, rp->text);
	}
}

static void
matrix(const struct relay_report *rr, struct buf *out)
{
	size_t natt = rr->nvantage ? rr->n / rr->nvantage : 0;
	size_t i, vi;

	buf_printf(out, "\n  %-20s", "attempt");
	for (vi = 0; vi < rr->nvantage; vi++)
		buf_printf(out, " %-22.22s",
		    relay_vantage_label(&rr->vantage[vi]));
	buf_append_str(out, "\n");
	for (i = 0; i < natt; i++) {
		buf_printf(out, "  %-20s", rr->v[i].id);
		for (vi = 0; vi < rr->nvantage; vi++) {
			const struct relay_result *r = &rr->v[vi * natt + i];
			char cell[40];

			if (deciding_reply(r)->code)
				snprintf(cell, sizeof(cell), "%s %d",
				    relay_outcome_name(r->outcome),
				    deciding_reply(r)->code);
			else
				snprintf(cell, sizeof(cell), "%s",
				    relay_outcome_name(r->outcome));
			buf_printf(out, " %-5s %-16s", tag(r->verdict), cell);
		}
		buf_append_str(out, "\n");
	}
}

static void
transcript(struct buf *out, const struct transcript *tr, const char *title)
{
	size_t i;

	if (tr->n == 0)
		return;
	buf_printf(out, "        %s\n", title);
	for (i = 0; i < tr->n; i++) {
		const struct transcript_entry *e = &tr->v[i];
		const char *t = e->kind == TR_CLIENT ? "C:" : e->kind ==
		    TR_SERVER ? "S:" : e->kind == TR_ERROR ? "! " : "* ";

		buf_printf(out, "        %8.1f ms %s ", (double)e->t_us /
		    1000.0, t);
		text_append_safe(out, e->text);
		buf_append_str(out, "\n");
	}
}

static void
attempts(const struct relay_report *rr, const struct render_opts *o,
    struct buf *out)
{
	size_t natt = rr->nvantage ? rr->n / rr->nvantage : 0;
	size_t i, vi;

	buf_append_str(out, "\nAttempts (the commands sent, the reply that "
	    "decided, the verdict)\n");
	for (i = 0; i < natt; i++) {
		const struct relay_result *a = &rr->v[i];

		buf_printf(out, "  %s: %s\n", a->id, a->description);
		if (a->outcome != RELAY_OUT_SKIPPED || a->rcpt[0]) {
			buf_append_str(out, "      MAIL FROM:<");
			text_append_safe(out, a->mail_from);
			buf_append_str(out, ">\n      RCPT TO:<");
			text_append_safe(out, a->rcpt);
			buf_append_str(out, ">\n");
		}
		for (vi = 0; vi < rr->nvantage; vi++) {
			const struct relay_result *r = &rr->v[vi * natt + i];

			buf_printf(out, "      %-15s %-5s %-16s ",
			    relay_vantage_label(&rr->vantage[vi]),
			    tag(r->verdict), relay_outcome_name(r->outcome));
			if (r->outcome == RELAY_OUT_SKIPPED ||
			    r->outcome == RELAY_OUT_ERROR)
				text_append_safe(out, r->note);
			else
				reply(out, deciding_reply(r));
			buf_append_str(out, "\n");
			if (r->verdict != VERDICT_PASS &&
			    r->outcome != RELAY_OUT_SKIPPED &&
			    r->outcome != RELAY_OUT_ERROR) {
				buf_append_str(out, "        ");
				text_append_safe(out, r->note);
				buf_append_str(out, "\n");
			}
			if (o->verbose) {
				transcript(out, &r->tr, "session:");
				transcript(out, &r->tr_confirm, "confirming "
				    "session:");
			}
		}
	}
}

void
rt_relay(const struct report *rep, const struct render_opts *o,
    struct buf *out)
{
	const struct relay_report *rr = rep->relay;
	size_t vi;

	if (rr->ehlo_name[0] || rr->banner[0]) {
		buf_printf(out, "  %-12s ", "Server");
		text_append_safe(out, rr->banner);
		buf_append_str(out, "\n");
	}
	buf_printf(out, "  %-12s %s (%s); foreign %s; IP literal %s\n",
	    "Domains", rr->domain, rr->domain_source ? rr->domain_source :
	    "", rr->foreign_domain, rr->ip_literal[0] ? rr->ip_literal :
	    "unknown");
	if (rr->confirm)
		buf_printf(out, "  %-12s sink on %s, waited up to %.0f s\n",
		    "Confirm", rr->sink, (double)rr->confirm_wait_ms / 1000.0);
	else
		buf_printf(out, "  %-12s no DATA was sent (QUIT after RCPT); "
		    "--confirm proves relaying\n", "Safe mode");
	if (rr->auth_user[0])
		buf_printf(out, "  %-12s %s\n", "Login", rr->auth_user);
	buf_printf(out, "  %-12s", "Vantages");
	for (vi = 0; vi < rr->nvantage; vi++)
		buf_printf(out, "%s %s%s", vi ? "," : "",
		    relay_vantage_label(&rr->vantage[vi]),
		    rr->vantage[vi].expect_relay ? " (relay expected)" : "");
	buf_printf(out, "\n  %-12s %.1f ms, %zu sessions at most %u at once\n",
	    "Time", (double)rr->total_us / 1000.0, rr->n, rr->concurrency);
	matrix(rr, out);
	attempts(rr, o, out);
}
