/*
 * bench_stats.h - the measurements of `mailvet bench` (the load
 * generator in src/bench/bench.h): what was run, what the server did
 * with every message, per-phase latency histograms merged from the
 * worker threads, per-interval counters, and the renderers that walk
 * them.  A value struct; nothing here prints.
 *
 * Lives in report/ rather than bench/ because renderers may not look up
 * at the bench layer (layers point down only).
 *
 * Exit status (bench_stats_exit_code): 0 every message started was
 * accepted and nothing failed; 1 anything was refused, aborted or
 * failed; 3 not one connection could be made; 4 an internal error.
 */
#ifndef MAILVET_REPORT_BENCH_STATS_H
#define MAILVET_REPORT_BENCH_STATS_H

#include "core/buf.h"
#include "core/error.h"
#include "core/histogram.h"
#include "proto/smtp_client.h"

#include <stddef.h>
#include <stdint.h>

/* One histogram per SMTP phase, then the whole message: from its
 * intended send time (open loop) or its first command to its last
 * reply. */
#define BENCH_HIST_MESSAGE SMTP_PHASE_COUNT
#define BENCH_HISTS        (SMTP_PHASE_COUNT + 1)
#define BENCH_ERR_KINDS    (MV_ERR_CLOSED + 1)
#define BENCH_SAMPLE_MAX   200
#define BENCH_INTERVALS_MAX 86400

/* Running totals, readable while the run goes on. */
struct bench_counters {
	uint64_t t_us;         /* since the start */
	uint64_t started;      /* transactions begun */
	uint64_t accepted;
	uint64_t rejected;
	uint64_t aborted;
	uint64_t errors;       /* sessions that ended in an error */
	uint64_t bytes;        /* message bytes of accepted messages */
	uint64_t connections;  /* sessions connected */
};

struct bench_interval {
	uint64_t t_ms;         /* end of the interval, since the start */
	uint64_t dt_ms;
	int partial;           /* the last one, shorter than --interval */
	struct bench_counters delta; /* delta.t_us: its real length */
};

struct bench_stats {
	/* What was run (filled by the caller, echoed in the report). */
	char target[320];
	unsigned threads;
	unsigned sessions;
	int lmtp;
	int pipelining;        /* asked for */
	int chunking;          /* asked for */
	const char *tls;       /* "off", "optional", "required", "implicit" */
	int auth;
	size_t rcpts;          /* per message */
	uint64_t body_min, body_max;   /* body bytes */
	uint64_t wire_min, wire_max;   /* message bytes as sent (DATA) */
	size_t distinct_messages;
	uint64_t messages_limit;       /* 0: none */
	uint64_t duration_ms;          /* 0: none */
	uint64_t per_connection;       /* 0: unlimited */
	double rate_per_s;             /* 0: closed loop */
	double connect_rate_per_s;     /* 0: all at once */
	uint64_t run_id;

	/* What happened. */
	uint64_t elapsed_us;
	struct bench_counters total;
	uint64_t rcpt_accepted, rcpt_rejected;
	uint64_t deliveries;           /* recipients reached */
	uint64_t connect_failed;       /* sessions that never connected */
	uint64_t sessions_pipelined;   /* PIPELINING used */
	uint64_t sessions_chunking;    /* BDAT used */
	uint64_t sessions_tls;
	uint64_t replies[6];           /* by first digit: [2]..[5] */
	uint64_t rejected_by_phase[SMTP_PHASE_COUNT];
	uint64_t errors[BENCH_ERR_KINDS];          /* sessions, by kind */
	char error_sample[BENCH_ERR_KINDS][BENCH_SAMPLE_MAX];
	char reject_sample[BENCH_SAMPLE_MAX];      /* the first refusal */
	uint64_t cpu_user_us, cpu_sys_us;          /* the whole process */
	/* Open loop: messages due before the end that no session could
	 * start (the server, or too few --sessions, fell behind). */
	uint64_t behind_schedule;
	int gave_up;                   /* every session kept failing */
	int interrupted;               /* stopped early (signal) */
	struct mv_error err;           /* could not run at all */
	struct histogram hist[BENCH_HISTS];
	struct bench_interval *intervals; /* owned */
	size_t nintervals;
};

/* Zero everything; histograms empty. */
void bench_stats_init(struct bench_stats *s);
void bench_stats_free(struct bench_stats *s);
/* Append an interval (dropped beyond BENCH_INTERVALS_MAX); -1 when out
 * of memory. */
int bench_stats_add_interval(struct bench_stats *s,
    const struct bench_interval *iv);
int bench_stats_exit_code(const struct bench_stats *s);
/* "pass", "fail" or "error", matching the exit code. */
const char *bench_stats_verdict(const struct bench_stats *s);
/* Name of histogram i ("connect", ..., "message"). */
const char *bench_hist_name(size_t i);

/* Renderers (render_text_bench.c, render_json_bench.c): fill out,
 * return 0 or -1 when out is full.  The interval line is what the
 * text output prints once per --interval. */
int bench_render_text(const struct bench_stats *s, int verbose,
    struct buf *out);
int bench_render_text_interval(const struct bench_interval *iv,
    struct buf *out);
/* The smtp-benchmark smtpsend summary ("Sent N messages in S
 * seconds" ...). */
int bench_render_smtpsend(const struct bench_stats *s, struct buf *out);
int bench_render_json(const struct bench_stats *s, struct buf *out);

#endif
