/*
 * bench_sched.h - the load generator's schedules, pure arithmetic:
 * the open-loop send times (message k of a stream at rate r is due at
 * t0 + k/r, whatever happened to the earlier ones, so latency measured
 * from it includes any queueing: no coordinated omission), and the
 * parsers of rate and size-list options.  No I/O, no clock reads.
 */
#ifndef MAILVET_BENCH_BENCH_SCHED_H
#define MAILVET_BENCH_BENCH_SCHED_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_SIZES_MAX 64
/* The slowest rate: one a day.  Slower ones are typos, and their
 * periods would overflow the schedule's microseconds. */
#define BENCH_RATE_MIN_PER_S (1.0 / 86400.0)
#define BENCH_RATE_DIGITS_MAX 32

struct bench_sched {
	uint64_t t0_us;       /* when message 0 is due */
	double period_us;     /* 1e6 / rate; 0: no schedule (closed loop) */
	uint64_t k;           /* next message */
};

/* rate_per_s 0: closed loop (every message due at once). */
void bench_sched_init(struct bench_sched *s, double rate_per_s,
    uint64_t t0_us);
/* When message k is due; UINT64_MAX when past what 64 bits hold. */
uint64_t bench_sched_due(const struct bench_sched *s, uint64_t k);
/* The next message's due time, if it is due at now: returns 1 and
 * sets *due, advancing; else 0 and *due is when it will be. */
int bench_sched_take(struct bench_sched *s, uint64_t now_us,
    uint64_t *due);

/* "500", "500/s", "30/m", "2000/min", "0.5/s": messages per second into
 * *per_s (> 0).  -1 when it is not a rate: not a plain decimal (no
 * hex, exponent, inf, nan, sign), above 1e9 per unit, or below one a
 * day (BENCH_RATE_MIN_PER_S). */
int bench_rate_parse(const char *v, double *per_s);
/* "512:1k:64k" (sizes as cli's 64k/10m; 1 to BENCH_SIZES_MAX of them)
 * into sizes; -1 when malformed.  Each size 1 .. max_size. */
int bench_sizes_parse(const char *v, uint64_t max_size, uint64_t *sizes,
    size_t *n);
/* One size: "1024", "1k", "10m". -1 when malformed or 0. */
int bench_size_parse(const char *v, uint64_t *bytes);

#endif
