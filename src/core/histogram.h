/*
 * histogram.h - a log-linear latency histogram in the manner of
 * HdrHistogram: values below 64 are counted exactly, larger values in
 * 64 linear sub-buckets per power of two, so every recorded value is
 * known to within 1/64 (1.6 %) at any magnitude from 1 to 2^63.
 *
 * Fixed size, no allocation after histogram_new(), O(1) record, and
 * mergeable: per-thread histograms are added together at the end, so
 * the hot path takes no lock.  Units are the caller's (bench and sink
 * record microseconds, log records seconds of delay); nothing here
 * knows about time.
 *
 * Not thread-safe: one histogram per thread, merged by one thread.
 */
#ifndef MAILVET_CORE_HISTOGRAM_H
#define MAILVET_CORE_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

#define HISTOGRAM_SUB_BITS 6
#define HISTOGRAM_SUB      (1u << HISTOGRAM_SUB_BITS)
/* Exact values 0..63, then 58 powers of two of 64 sub-buckets each. */
#define HISTOGRAM_BUCKETS  (HISTOGRAM_SUB + (64 - HISTOGRAM_SUB_BITS) * HISTOGRAM_SUB)

struct histogram {
	uint64_t count;                   /* values recorded */
	uint64_t min, max;                /* exact; min is UINT64_MAX when empty */
	long double sum;                  /* for the mean, exact enough */
	uint64_t bucket[HISTOGRAM_BUCKETS];
};

/* Empty the histogram (also the initialiser for one in static or
 * caller-owned memory). */
void histogram_reset(struct histogram *h);
/* Returned-owned, empty; NULL when out of memory. */
struct histogram *histogram_new(void);
void histogram_free(struct histogram *h);

void histogram_record(struct histogram *h, uint64_t value);
/* Record value n times (n may be 0). */
void histogram_record_n(struct histogram *h, uint64_t value, uint64_t n);
/* dst += src (both borrowed). */
void histogram_merge(struct histogram *dst, const struct histogram *src);

/*
 * The value at percentile p (0..100): the highest value of the bucket
 * holding the p-th ranked value, clamped to [min, max] so that p100 is
 * the exact maximum and p0 the exact minimum.  0 when empty.
 */
uint64_t histogram_percentile(const struct histogram *h, double p);
/* Arithmetic mean, 0 when empty. */
double histogram_mean(const struct histogram *h);

/* Bucket arithmetic, exposed for tests: the index a value goes to and
 * the lowest and highest value that index stands for. */
size_t histogram_index(uint64_t value);
uint64_t histogram_bucket_low(size_t index);
uint64_t histogram_bucket_high(size_t index);

#endif
