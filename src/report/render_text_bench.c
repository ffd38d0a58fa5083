/*
 * render_text_bench.c - `mailvet bench` for people: the interval line
 * printed once per --interval, the final summary with per-phase
 * latency percentiles, and smtp-benchmark's own summary for the
 * smtpsend name.
 */
#include "report/bench_stats.h"

#include "report/report.h"

#include <stdio.h>

static double
per_s(uint64_t n, uint64_t us)
{
	return us ? (double)n * 1e6 / (double)us : 0.0;
}

int
bench_render_text_interval(const struct bench_interval *iv, struct buf *out)
{
	const struct bench_counters *d = &iv->delta;

	/* Rates over the interval's real length in microseconds: a
	 * short last one rounded to whole milliseconds would inflate. */
	return buf_printf(out, "%7.1fs %9.0f msg/s  accepted %llu  rejected "
	    "%llu  aborted %llu  errors %llu  %.1f MB/s%s\n",
	    (double)iv->t_ms / 1000.0, per_s(d->accepted, d->t_us),
	    (unsigned long long)d->accepted, (unsigned long long)d->rejected,
	    (unsigned long long)d->aborted, (unsigned long long)d->errors,
	    per_s(d->bytes, d->t_us) / 1e6, iv->partial ?
	    "  (partial)" : "");
}

static void
render_latency(const struct bench_stats *s, struct buf *out)
{
	static const double pct[] = { 50, 90, 99, 99.9 };
	size_t i, k;

	buf_printf(out, "latency (ms)        count       p50       p90       "
	    "p99     p99.9       max\n");
	for (i = 0; i < BENCH_HISTS; i++) {
		const struct histogram *h = &s->hist[i];

		if (h->count == 0)
			continue;
		buf_printf(out, "  %-12s %10llu", bench_hist_name(i),
		    (unsigned long long)h->count);
		for (k = 0; k < sizeof(pct) / sizeof(pct[0]); k++)
			buf_printf(out, " %9.3f",
			    (double)histogram_percentile(h, pct[k]) / 1000.0);
		buf_printf(out, " %9.3f\n", (double)h->max / 1000.0);
	}
}

int
bench_render_text(const struct bench_stats *s, int verbose, struct buf *out)
{
	const struct bench_counters *t = &s->total;
	uint64_t cpu = s->cpu_user_us + s->cpu_sys_us;
	size_t i;
	int any = 0;

	buf_printf(out, "mailvet bench %s: %llu messages accepted in %.2f s, "
	    "%.0f msg/s\n", s->target, (unsigned long long)t->accepted,
	    (double)s->elapsed_us / 1e6, per_s(t->accepted, s->elapsed_us));
	buf_printf(out, "  load       %u session%s on %u thread%s, %s%s, "
	    "%zu recipient%s per message", s->sessions, s->sessions == 1 ?
	    "" : "s", s->threads, s->threads == 1 ? "" : "s",
	    s->rate_per_s > 0 ? "open loop" : "closed loop",
	    s->per_connection == 1 ? ", a new connection per message" : "",
	    s->rcpts, s->rcpts == 1 ? "" : "s");
	if (s->rate_per_s > 0)
		buf_printf(out, ", %.1f msg/s asked", s->rate_per_s);
	buf_printf(out, "\n  messages   %zu distinct, body %llu", 
	    s->distinct_messages, (unsigned long long)s->body_min);
	if (s->body_max != s->body_min)
		buf_printf(out, "..%llu", (unsigned long long)s->body_max);
	buf_printf(out, " bytes, %llu", (unsigned long long)s->wire_min);
	if (s->wire_max != s->wire_min)
		buf_printf(out, "..%llu", (unsigned long long)s->wire_max);
	buf_printf(out, " on the wire\n");
	buf_printf(out, "  protocol   %s; pipelining %s (used in %llu "
	    "session%s)%s", s->lmtp ? "LMTP" : "SMTP", s->pipelining ?
	    "asked" : "off", (unsigned long long)s->sessions_pipelined,
	    s->sessions_pipelined == 1 ? "" : "s", s->chunking ?
	    ", CHUNKING asked" : "");
	if (s->chunking)
		buf_printf(out, " (BDAT in %llu)",
		    (unsigned long long)s->sessions_chunking);
	buf_printf(out, "; TLS %s (%llu session%s)%s\n", s->tls ? s->tls :
	    "off", (unsigned long long)s->sessions_tls, s->sessions_tls == 1 ?
	    "" : "s", s->auth ? "; AUTH" : "");
	buf_printf(out, "  sent       %llu started, %llu accepted, %llu "
	    "rejected, %llu aborted\n", (unsigned long long)t->started,
	    (unsigned long long)t->accepted, (unsigned long long)t->rejected,
	    (unsigned long long)t->aborted);
	buf_printf(out, "  bytes      %llu accepted (%.1f MB/s)\n",
	    (unsigned long long)t->bytes, per_s(t->bytes, s->elapsed_us) /
	    1e6);
	buf_printf(out, "  recipients %llu accepted, %llu rejected; %llu "
	    "deliveries\n", (unsigned long long)s->rcpt_accepted,
	    (unsigned long long)s->rcpt_rejected,
	    (unsigned long long)s->deliveries);
	buf_printf(out, "  sessions   %llu connected, %llu could not connect"
	    "\n", (unsigned long long)t->connections,
	    (unsigned long long)s->connect_failed);
	buf_printf(out, "  replies    2xx %llu, 3xx %llu, 4xx %llu, 5xx %llu"
	    "\n", (unsigned long long)s->replies[2],
	    (unsigned long long)s->replies[3],
	    (unsigned long long)s->replies[4],
	    (unsigned long long)s->replies[5]);
	if (t->rejected) {
		buf_printf(out, "  rejected  ");
		for (i = 0; i < SMTP_PHASE_COUNT; i++)
			if (s->rejected_by_phase[i])
				buf_printf(out, " %s %llu", smtp_phase_name(
				    (enum smtp_phase)i), (unsigned long long)
				    s->rejected_by_phase[i]);
		buf_printf(out, "; first: %s\n", s->reject_sample);
	}
	buf_printf(out, "  errors    ");
	for (i = 0; i < BENCH_ERR_KINDS; i++) {
		if (s->errors[i] == 0)
			continue;
		any = 1;
		buf_printf(out, " %s %llu", mv_errcat_name((enum mv_errcat)i),
		    (unsigned long long)s->errors[i]);
	}
	buf_printf(out, "%s\n", any ? "" : " none");
	for (i = 0; i < BENCH_ERR_KINDS && (verbose || any); i++)
		if (s->error_sample[i][0])
			buf_printf(out, "    %s: %s\n",
			    mv_errcat_name((enum mv_errcat)i),
			    s->error_sample[i]);
	buf_printf(out, "  cpu        user %.2f s, sys %.2f s: %.1f us per "
	    "message\n", (double)s->cpu_user_us / 1e6,
	    (double)s->cpu_sys_us / 1e6, t->accepted ? (double)cpu /
	    (double)t->accepted : 0.0);
	render_latency(s, out);
	if (s->behind_schedule)
		buf_printf(out, "behind schedule: %llu message%s due before "
		    "the end never started (the server or --sessions could not "
		    "keep up with --rate)\n",
		    (unsigned long long)s->behind_schedule,
		    s->behind_schedule == 1 ? "" : "s");
	if (s->gave_up)
		buf_printf(out, "stopped early: every session kept failing "
		    "before its first message\n");
	if (s->interrupted)
		buf_printf(out, "interrupted: the run was stopped before its "
		    "end\n");
	if (s->err.cat != MV_ERR_NONE)
		buf_printf(out, "error: %s\n", s->err.msg);
	return buf_printf(out, "verdict: %s (exit %d)\n",
	    bench_stats_verdict(s), bench_stats_exit_code(s));
}

int
bench_render_smtpsend(const struct bench_stats *s, struct buf *out)
{
	uint64_t sent = s->total.accepted;
	/* smtp-benchmark counts whole seconds; so do we, at least one. */
	uint64_t secs = (s->elapsed_us + 500000) / 1000000;

	if (secs == 0)
		secs = 1;
	buf_printf(out, "Sent %llu messages in %llu seconds\n",
	    (unsigned long long)sent, (unsigned long long)secs);
	buf_printf(out, "Sending rate: %8.2f messages/minute, %8.2f "
	    "messages/second\n", (double)sent * 60.0 / (double)secs,
	    (double)sent / (double)secs);
	return buf_printf(out, "Average delivery time: %8.2f seconds/message"
	    "\n", sent ? (double)secs / (double)sent : 0.0);
}
