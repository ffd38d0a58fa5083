/*
 * render_text_sink.c - the sink's counters for people: a summary at
 * the end and one line per interval (sink_stats.h).  Fills a buffer;
 * cli/ prints it.
 */
#include "report/sink_stats.h"

static double
per_s(uint64_t n, uint64_t us)
{
	return us > 0 ? (double)n * 1e6 / (double)us : 0.0;
}

static int
cmd_list(struct buf *out, const char *label, const uint64_t *v)
{
	int r = 0, any = 0, i;

	for (i = 0; i < SINK_CMD_COUNT; i++) {
		if (v[i] == 0)
			continue;
		if (!any)
			r |= buf_printf(out, "%-13s", label);
		r |= buf_printf(out, "%s %s %llu", any ? "," : "",
		    sink_cmd_name((enum sink_cmd)i),
		    (unsigned long long)v[i]);
		any = 1;
	}
	if (any)
		r |= buf_append_str(out, "\n");
	return r;
}

static int
hist(struct buf *out, const char *label, const struct histogram *h)
{
	if (h->count == 0)
		return buf_printf(out, "%-13s none\n", label);
	return buf_printf(out, "%-13s n %llu, mean %.0f, p50 %llu, p90 %llu, "
	    "p99 %llu, p99.9 %llu, max %llu\n", label,
	    (unsigned long long)h->count, histogram_mean(h),
	    (unsigned long long)histogram_percentile(h, 50),
	    (unsigned long long)histogram_percentile(h, 90),
	    (unsigned long long)histogram_percentile(h, 99),
	    (unsigned long long)histogram_percentile(h, 99.9),
	    (unsigned long long)h->max);
}

#define U(x) ((unsigned long long)(x))

int
sink_render_text(const struct sink_stats *s, int verbose, struct buf *out)
{
	const struct sink_verify_stats *v = &s->verify;
	unsigned i;
	int r = 0;

	r |= buf_append_str(out, "mailvet sink:");
	for (i = 0; i < s->nlisten && i < 8; i++)
		r |= buf_printf(out, "%s %s", i > 0 ? "," : "", s->listen[i]);
	r |= buf_printf(out, ", %u thread%s, %.3f s\n", s->threads,
	    s->threads == 1 ? "" : "s", (double)s->elapsed_us / 1e6);
	r |= buf_printf(out, "%-13s %llu accepted (%.1f/s), %llu rejected, "
	    "%llu recipients (%llu refused), %llu bytes\n", "messages",
	    U(s->messages), per_s(s->messages, s->elapsed_us),
	    U(s->messages_rejected), U(s->recipients),
	    U(s->recipients_rejected), U(s->message_bytes));
	if (s->deliveries > 0)
		r |= buf_printf(out, "%-13s %llu (LMTP)\n", "deliveries",
		    U(s->deliveries));
	r |= buf_printf(out, "%-13s %llu accepted, %llu open, %llu refused "
	    "(max), %llu idle timeouts, %llu closed by the client (%llu in a "
	    "message)\n", "connections", U(s->connections),
	    U(s->connections_open), U(s->connections_refused),
	    U(s->idle_timeouts), U(s->peer_closed), U(s->closed_mid_data));
	r |= buf_printf(out, "%-13s %llu ok, %llu duplicate, %llu corrupt, "
	    "%llu malformed, %llu unmarked", "verified", U(v->ok),
	    U(v->duplicate), U(v->corrupt), U(v->malformed), U(v->unmarked));
	if (v->out_of_range > 0)
		r |= buf_printf(out, ", %llu untrackable", U(v->out_of_range));
	if (v->expected > 0)
		r |= buf_printf(out, ", %llu lost of %llu expected",
		    U(v->lost), U(v->expected));
	r |= buf_append_str(out, "\n");
	r |= cmd_list(out, "commands", s->commands);
	r |= cmd_list(out, "fault replies", s->fault_replies);
	r |= cmd_list(out, "fault delays", s->fault_delays);
	r |= cmd_list(out, "disconnects", s->fault_disconnects);
	if (s->rate_limited > 0 || s->tarpitted > 0)
		r |= buf_printf(out, "%-13s %llu rate-limited, %llu tarpitted "
		    "replies\n", "throttling", U(s->rate_limited),
		    U(s->tarpitted));
	if (s->lines_too_long + s->syntax_errors + s->too_big > 0)
		r |= buf_printf(out, "%-13s %llu lines too long, %llu syntax "
		    "errors, %llu over SIZE\n", "bad input",
		    U(s->lines_too_long), U(s->syntax_errors), U(s->too_big));
	if (s->auth_ok + s->auth_failed + s->tls_ok + s->tls_failed > 0)
		r |= buf_printf(out, "%-13s AUTH %llu ok, %llu failed; TLS %llu "
		    "ok, %llu failed\n", "security", U(s->auth_ok),
		    U(s->auth_failed), U(s->tls_ok), U(s->tls_failed));
	if (s->messages_unanswered > 0)
		r |= buf_printf(out, "%-13s %llu messages whose 250 was never "
		    "sent (not counted as accepted)\n", "unanswered",
		    U(s->messages_unanswered));
	if (s->captured + s->capture_errors + s->capture_skipped > 0)
		r |= buf_printf(out, "%-13s %llu written, %llu failed, %llu "
		    "skipped (--capture-max-bytes)\n", "captured",
		    U(s->captured), U(s->capture_errors),
		    U(s->capture_skipped));
	r |= hist(out, "txn us", &s->txn_us);
	if (verbose || s->reply_us.max > 1000)
		r |= hist(out, "reply us", &s->reply_us);
	if (verbose)
		r |= buf_printf(out, "%-13s %llu read, %llu written, %llu "
		    "tokens\n", "bytes", U(s->bytes_read), U(s->bytes_written),
		    U(s->tokens));
	return r == 0 ? 0 : -1;
}

int
sink_render_text_interval(const struct sink_stats *s,
    const struct sink_stats *prev, struct buf *out)
{
	uint64_t m = s->messages, rj = s->messages_rejected, us = s->elapsed_us;
	uint64_t cn = s->connections;

	if (prev != NULL) {
		m -= prev->messages;
		rj -= prev->messages_rejected;
		us -= prev->elapsed_us;
		cn -= prev->connections;
	}
	return buf_printf(out, "%8.1fs %10.1f msg/s %8llu msgs %6llu rejected "
	    "%6llu new conns %6llu open %10llu total\n",
	    (double)s->elapsed_us / 1e6, per_s(m, us), U(m), U(rj), U(cn),
	    U(s->connections_open), U(s->messages));
}
