/*
 * render_json_bench.c - `mailvet bench --json`: the shared top level
 * (docs/json.md) with a "bench" object (fields in docs/mailvet-bench.md).
 */
#include "report/bench_stats.h"

#include "report/json_text.h"
#include "report/report.h"

#include <jansson.h>
#include <stdlib.h>

static void
set(json_t *o, const char *k, json_t *v)
{
	json_object_set_new(o, k, v ? v : json_null());
}

static json_t *
counters(const struct bench_counters *c)
{
	json_t *o = json_object();

	set(o, "started", json_integer((json_int_t)c->started));
	set(o, "accepted", json_integer((json_int_t)c->accepted));
	set(o, "rejected", json_integer((json_int_t)c->rejected));
	set(o, "aborted", json_integer((json_int_t)c->aborted));
	set(o, "errors", json_integer((json_int_t)c->errors));
	set(o, "bytes", json_integer((json_int_t)c->bytes));
	set(o, "connections", json_integer((json_int_t)c->connections));
	return o;
}

static json_t *
latency(const struct histogram *h)
{
	json_t *o = json_object();

	set(o, "count", json_integer((json_int_t)h->count));
	set(o, "min_us", json_integer((json_int_t)(h->count ? h->min : 0)));
	set(o, "mean_us", json_real(histogram_mean(h)));
	set(o, "p50_us", json_integer((json_int_t)histogram_percentile(h,
	    50)));
	set(o, "p90_us", json_integer((json_int_t)histogram_percentile(h,
	    90)));
	set(o, "p99_us", json_integer((json_int_t)histogram_percentile(h,
	    99)));
	set(o, "p99_9_us", json_integer((json_int_t)histogram_percentile(h,
	    99.9)));
	set(o, "max_us", json_integer((json_int_t)h->max));
	return o;
}

static json_t *
bench_object(const struct bench_stats *s)
{
	json_t *o = json_object(), *cfg = json_object(), *lat = json_object();
	json_t *rep = json_object(), *err = json_object(), *iv = json_array();
	json_t *rej = json_object();
	double secs = (double)s->elapsed_us / 1e6;
	size_t i;

	set(cfg, "threads", json_integer(s->threads));
	set(cfg, "sessions", json_integer(s->sessions));
	set(cfg, "protocol", json_string(s->lmtp ? "lmtp" : "smtp"));
	set(cfg, "pipelining", json_boolean(s->pipelining));
	set(cfg, "chunking", json_boolean(s->chunking));
	set(cfg, "tls", json_string(s->tls ? s->tls : "off"));
	set(cfg, "auth", json_boolean(s->auth));
	set(cfg, "recipients", json_integer((json_int_t)s->rcpts));
	set(cfg, "body_bytes_min", json_integer((json_int_t)s->body_min));
	set(cfg, "body_bytes_max", json_integer((json_int_t)s->body_max));
	set(cfg, "wire_bytes_min", json_integer((json_int_t)s->wire_min));
	set(cfg, "wire_bytes_max", json_integer((json_int_t)s->wire_max));
	set(cfg, "distinct_messages",
	    json_integer((json_int_t)s->distinct_messages));
	set(cfg, "messages", s->messages_limit ?
	    json_integer((json_int_t)s->messages_limit) : json_null());
	set(cfg, "duration_ms", s->duration_ms ?
	    json_integer((json_int_t)s->duration_ms) : json_null());
	set(cfg, "messages_per_connection", s->per_connection ?
	    json_integer((json_int_t)s->per_connection) : json_null());
	set(cfg, "rate_per_s", s->rate_per_s > 0 ? json_real(s->rate_per_s) :
	    json_null());
	set(cfg, "connect_rate_per_s", s->connect_rate_per_s > 0 ?
	    json_real(s->connect_rate_per_s) : json_null());
	{
		char run[24];

		snprintf(run, sizeof(run), "%016llx",
		    (unsigned long long)s->run_id);
		set(cfg, "run_id", json_string(run));
	}
	set(o, "config", cfg);
	set(o, "elapsed_s", json_real(secs));
	set(o, "messages", counters(&s->total));
	set(o, "messages_per_s", json_real(secs > 0 ?
	    (double)s->total.accepted / secs : 0));
	set(o, "bytes_per_s", json_real(secs > 0 ?
	    (double)s->total.bytes / secs : 0));
	set(o, "recipients_accepted", json_integer((json_int_t)
	    s->rcpt_accepted));
	set(o, "recipients_rejected", json_integer((json_int_t)
	    s->rcpt_rejected));
	set(o, "deliveries", json_integer((json_int_t)s->deliveries));
	set(o, "connect_failed", json_integer((json_int_t)s->connect_failed));
	set(o, "sessions_pipelined", json_integer((json_int_t)
	    s->sessions_pipelined));
	set(o, "sessions_chunking", json_integer((json_int_t)
	    s->sessions_chunking));
	set(o, "sessions_tls", json_integer((json_int_t)s->sessions_tls));
	for (i = 2; i < 6; i++) {
		char k[4] = { (char)('0' + i), 'x', 'x', '\0' };

		set(rep, k, json_integer((json_int_t)s->replies[i]));
	}
	set(o, "replies", rep);
	for (i = 0; i < SMTP_PHASE_COUNT; i++)
		if (s->rejected_by_phase[i])
			set(rej, smtp_phase_name((enum smtp_phase)i),
			    json_integer((json_int_t)s->rejected_by_phase[i]));
	set(o, "rejected_by_phase", rej);
	set(o, "first_rejection", json_text_or_null(s->reject_sample));
	for (i = 1; i < BENCH_ERR_KINDS; i++) {
		json_t *e;

		if (s->errors[i] == 0)
			continue;
		e = json_object();
		set(e, "count", json_integer((json_int_t)s->errors[i]));
		set(e, "sample", json_text(s->error_sample[i]));
		set(err, mv_errcat_name((enum mv_errcat)i), e);
	}
	set(o, "errors", err);
	set(o, "cpu_user_s", json_real((double)s->cpu_user_us / 1e6));
	set(o, "cpu_sys_s", json_real((double)s->cpu_sys_us / 1e6));
	set(o, "cpu_us_per_message", json_real(s->total.accepted ?
	    (double)(s->cpu_user_us + s->cpu_sys_us) /
	    (double)s->total.accepted : 0));
	for (i = 0; i < BENCH_HISTS; i++)
		if (s->hist[i].count)
			set(lat, bench_hist_name(i), latency(&s->hist[i]));
	set(o, "latency", lat);
	for (i = 0; i < s->nintervals; i++) {
		json_t *e = counters(&s->intervals[i].delta);

		set(e, "t_ms", json_integer((json_int_t)s->intervals[i].t_ms));
		set(e, "dt_ms", json_integer((json_int_t)
		    s->intervals[i].dt_ms));
		set(e, "partial", json_boolean(s->intervals[i].partial));
		json_array_append_new(iv, e);
	}
	set(o, "intervals", iv);
	set(o, "behind_schedule", json_integer((json_int_t)
	    s->behind_schedule));
	set(o, "gave_up", json_boolean(s->gave_up));
	set(o, "interrupted", json_boolean(s->interrupted));
	return o;
}


/* Not one connection made (exit 3) and no stopping error: the first
 * session error is what stopped the run, so scripts reading
 * .error.category get it, as with every other command. */
static json_t *
bench_untested_error(const struct bench_stats *s)
{
	json_t *e;
	size_t i;

	if (bench_stats_exit_code(s) != EXIT_UNTESTED)
		return NULL;
	for (i = 0; i < BENCH_ERR_KINDS; i++) {
		if (s->errors[i] == 0 || s->error_sample[i][0] == '\0')
			continue;
		if ((e = json_object()) == NULL)
			return NULL;
		set(e, "category", json_string(mv_errcat_name(
		    (enum mv_errcat)i)));
		set(e, "message", json_text(s->error_sample[i]));
		return e;
	}
	return NULL;
}

int
bench_render_json(const struct bench_stats *s, struct buf *out)
{
	json_t *root = json_object(), *e;
	char *text;
	int rc;

	set(root, "mailvet", json_string(MAILVET_VERSION));
	set(root, "command", json_string("bench"));
	set(root, "target", json_text(s->target));
	set(root, "verdict", json_string(bench_stats_verdict(s)));
	set(root, "exit_code", json_integer(bench_stats_exit_code(s)));
	if (s->err.cat != MV_ERR_NONE) {
		e = json_object();
		set(e, "category", json_string(mv_errcat_name(s->err.cat)));
		set(e, "message", json_text(s->err.msg));
		set(root, "error", e);
	} else if ((e = bench_untested_error(s)) != NULL) {
		set(root, "error", e);
	} else {
		set(root, "error", json_null());
	}
	set(root, "checks", json_array());
	set(root, "bench", bench_object(s));
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(10));
	json_decref(root);
	if (text == NULL)
		return -1;
	rc = buf_append_str(out, text);
	buf_append(out, "\n", 1);
	free(text);
	return rc;
}
