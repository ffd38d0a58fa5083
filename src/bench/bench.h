/*
 * bench.h - the SMTP/LMTP load generator behind `mailvet bench` and
 * `smtpsend`: worker threads, each with its own libuv loop running
 * many sessions of the one SMTP engine (proto/smtp_client.h) in bench
 * mode.  Counts, durations, closed-loop saturation or an open-loop
 * fixed rate (latency from each message's intended send time), paced
 * connection opening, messages per connection.  Statistics are kept
 * per thread (counters, one histogram per phase) and merged at the
 * end; nothing on the message path takes a lock.  Errors are counted
 * by kind and never stop the run; only when every session keeps
 * failing before its first message does a worker give up.
 *
 *   b = bench_new(&params, &err);  bench_start(b, &err);
 *   while (!bench_wait(b, 100)) { bench_counters(b, &c); ... }
 *   bench_finish(b, &stats);  bench_free(b);
 *
 * Errors: bench_new/bench_start return NULL/-1 with struct mv_error
 * (MV_ERR_DNS when the target does not resolve, MV_ERR_TLS when the
 * TLS context cannot be made, MV_ERR_INTERNAL).  Nothing here prints.
 */
#ifndef MAILVET_BENCH_BENCH_H
#define MAILVET_BENCH_BENCH_H

#include "bench/bench_msg.h"
#include "core/error.h"
#include "net/target.h"
#include "net/tls.h"
#include "proto/smtp_client.h"
#include "report/bench_stats.h"

#include <stddef.h>
#include <stdint.h>

#define BENCH_MAX_THREADS  64
#define BENCH_MAX_SESSIONS 100000
#define BENCH_MAX_RCPTS    1000

struct bench_params {
	/* Where and how to connect (borrowed until bench_free). */
	const struct target *target;
	int family;                   /* AF_UNSPEC, AF_INET, AF_INET6 */
	const char *source;           /* local address or NULL */
	struct tls_config tls;        /* server_name defaulted by caller;
				       * .shared is made by bench_start */
	uint64_t connect_timeout_ms;
	uint64_t tls_timeout_ms;
	/* The engine's session parameters: lmtp, helo_name, tls policy,
	 * auth, pipelining, chunking, timeouts.  The bench-mode fields
	 * are filled by the bench. */
	struct smtp_client_params smtp;

	/* Envelope: mail_from, and rcpts recipients per message taken in
	 * turn from the nto addresses. */
	const char *mail_from;
	const char *const *to;        /* borrowed */
	size_t nto;
	size_t rcpts;                 /* 1..BENCH_MAX_RCPTS */
	const struct bench_msgset *msgs; /* borrowed, >= 1 message */

	/* Load. */
	unsigned threads;             /* 1..BENCH_MAX_THREADS */
	unsigned sessions;            /* in total */
	uint64_t messages;            /* 0: no limit */
	uint64_t duration_ms;         /* 0: no limit */
	double rate_per_s;            /* 0: closed loop */
	uint64_t per_connection;      /* messages per connection, 0: all */
	double connect_rate_per_s;    /* 0: open at once */
	uint64_t seed;                /* message choice; 0: fixed default */
};

struct bench;

/* Check and copy params; returned-owned. */
struct bench *bench_new(const struct bench_params *p, struct mv_error *err);
/* Resolve the target once, make the shared TLS context, start the
 * worker threads. */
int bench_start(struct bench *b, struct mv_error *err);
/* Wait up to ms for every worker to end: 1 ended, 0 not yet. */
int bench_wait(struct bench *b, uint64_t ms);
/* Thread-safe running totals (approximate while running). */
void bench_counters(struct bench *b, struct bench_counters *out);
/* Ask every worker to finish what is in flight and stop.  Thread-safe;
 * not async-signal-safe (call it from the waiting thread). */
void bench_stop(struct bench *b);
/* Stop now: every session's connection is closed, the messages in
 * flight are counted aborted.  Thread-safe, as bench_stop. */
void bench_abort(struct bench *b);
/* After bench_wait() returned 1: join the threads and merge their
 * results into out (initialised by the caller with bench_stats_init;
 * the run's description fields are left alone). */
void bench_finish(struct bench *b, struct bench_stats *out);
void bench_free(struct bench *b);

#endif
