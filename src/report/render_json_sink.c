/*
 * render_json_sink.c - the sink's counters as one JSON object (fields
 * in docs/mailvet-sink.md) and one object per interval.  jansson does
 * the escaping; nothing here comes from the network except the
 * addresses we bound.
 */
#include "report/sink_stats.h"

#include <jansson.h>
#include <stdlib.h>

static json_t *
cmd_obj(const uint64_t *v)
{
	json_t *o = json_object();
	int i;

	for (i = 0; i < SINK_CMD_COUNT && o != NULL; i++)
		if (v[i] > 0)
			json_object_set_new(o, sink_cmd_name((enum sink_cmd)i),
			    json_integer((json_int_t)v[i]));
	return o;
}

static json_t *
hist_obj(const struct histogram *h)
{
	return json_pack("{s:I,s:f,s:I,s:I,s:I,s:I,s:I,s:I}",
	    "count", (json_int_t)h->count,
	    "mean", histogram_mean(h),
	    "min", (json_int_t)(h->count ? h->min : 0),
	    "p50", (json_int_t)histogram_percentile(h, 50),
	    "p90", (json_int_t)histogram_percentile(h, 90),
	    "p99", (json_int_t)histogram_percentile(h, 99),
	    "p999", (json_int_t)histogram_percentile(h, 99.9),
	    "max", (json_int_t)h->max);
}

static int
dump(json_t *o, struct buf *out)
{
	char *text;
	int r;

	if (o == NULL)
		return -1;
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (text == NULL)
		return -1;
	r = buf_append_str(out, text) | buf_append_str(out, "\n");
	free(text);
	return r == 0 ? 0 : -1;
}

#define I(x) ((json_int_t)(x))

int
sink_render_json(const struct sink_stats *s, struct buf *out)
{
	const struct sink_verify_stats *v = &s->verify;
	json_t *o, *listen;
	unsigned i;

	listen = json_array();
	for (i = 0; listen != NULL && i < s->nlisten && i < 8; i++)
		json_array_append_new(listen, json_string(s->listen[i]));
	o = json_pack("{s:s,s:o,s:I,s:f,s:f,"
	    "s:{s:I,s:I,s:I,s:I,s:I,s:I},"
	    "s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I},"
	    "s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I},"
	    "s:o,"
	    "s:{s:o,s:o,s:o,s:I,s:I},"
	    "s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I},"
	    "s:{s:o,s:o}}",
	    "command", "sink",
	    "listen", listen,
	    "threads", I(s->threads),
	    "elapsed_s", (double)s->elapsed_us / 1e6,
	    "messages_per_s", s->elapsed_us ?
	    (double)s->messages * 1e6 / (double)s->elapsed_us : 0.0,
	    "connections",
	    "accepted", I(s->connections), "open", I(s->connections_open),
	    "refused", I(s->connections_refused),
	    "idle_timeouts", I(s->idle_timeouts),
	    "closed_by_client", I(s->peer_closed),
	    "closed_mid_message", I(s->closed_mid_data),
	    "messages",
	    "accepted", I(s->messages), "rejected", I(s->messages_rejected),
	    "unanswered", I(s->messages_unanswered),
	    "too_big", I(s->too_big), "deliveries", I(s->deliveries),
	    "recipients", I(s->recipients),
	    "recipients_refused", I(s->recipients_rejected),
	    "bytes", I(s->message_bytes), "tokens", I(s->tokens),
	    "verify",
	    "ok", I(v->ok), "duplicate", I(v->duplicate),
	    "corrupt", I(v->corrupt), "malformed", I(v->malformed),
	    "unmarked", I(v->unmarked), "untrackable", I(v->out_of_range),
	    "expected", I(v->expected), "lost", I(v->lost),
	    "runs", I(v->runs),
	    "commands", cmd_obj(s->commands),
	    "faults",
	    "replies", cmd_obj(s->fault_replies),
	    "delays", cmd_obj(s->fault_delays),
	    "disconnects", cmd_obj(s->fault_disconnects),
	    "rate_limited", I(s->rate_limited),
	    "tarpitted", I(s->tarpitted),
	    "other",
	    "bytes_read", I(s->bytes_read), "bytes_written",
	    I(s->bytes_written), "lines_too_long", I(s->lines_too_long),
	    "syntax_errors", I(s->syntax_errors), "auth_ok", I(s->auth_ok),
	    "auth_failed", I(s->auth_failed), "tls_ok", I(s->tls_ok),
	    "tls_failed", I(s->tls_failed), "captured", I(s->captured),
	    "capture_errors", I(s->capture_errors),
	    "capture_skipped", I(s->capture_skipped),
	    "latency_us",
	    "transaction", hist_obj(&s->txn_us),
	    "reply", hist_obj(&s->reply_us));
	return dump(o, out);
}

int
sink_render_json_interval(const struct sink_stats *s,
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
	return dump(json_pack("{s:s,s:f,s:f,s:I,s:I,s:I,s:I,s:I}",
	    "interval", "sink", "elapsed_s", (double)s->elapsed_us / 1e6,
	    "messages_per_s", us ? (double)m * 1e6 / (double)us : 0.0,
	    "messages", I(m), "rejected", I(rj), "connections", I(cn),
	    "open", I(s->connections_open), "total", I(s->messages)), out);
}
