/*
 * sink_fault.h - the sink's fault options: parse "CMD:CODE:PERCENT",
 * "CMD:MS:PERCENT" and "CMD:PERCENT" (--fault, --fault-delay,
 * --fault-disconnect), and roll the dice with a small per-thread
 * generator so that a seed gives the same sequence again.  No I/O.
 * Errors: -1 with MV_ERR_USAGE and the reason.
 */
#ifndef MAILVET_BENCH_SINK_FAULT_H
#define MAILVET_BENCH_SINK_FAULT_H

#include "bench/sink.h"
#include "core/error.h"

#include <stdint.h>

/* Parse spec for kind into *f. */
int sink_fault_parse(const char *spec, enum sink_fault_kind kind,
    struct sink_fault *f, struct mv_error *err);

/* Percent "5", "0.5", "100" into parts per million. */
int sink_percent_parse(const char *s, uint32_t *ppm);

/* xorshift64* state; never 0. */
struct sink_rng {
	uint64_t s;
};

void sink_rng_seed(struct sink_rng *r, uint64_t seed);
uint64_t sink_rng_next(struct sink_rng *r);
/* 1 with odds ppm / 1e6. */
int sink_rng_hit(struct sink_rng *r, uint32_t ppm);

#endif
