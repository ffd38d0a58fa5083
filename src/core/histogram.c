/*
 * histogram.c - log-linear histogram (see histogram.h for the layout).
 */
#include "core/histogram.h"

#include <stdlib.h>
#include <string.h>

void
histogram_reset(struct histogram *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

struct histogram *
histogram_new(void)
{
	struct histogram *h = malloc(sizeof(*h));

	if (h != NULL)
		histogram_reset(h);
	return h;
}

void
histogram_free(struct histogram *h)
{
	free(h);
}

size_t
histogram_index(uint64_t value)
{
	unsigned e;

	if (value < HISTOGRAM_SUB)
		return (size_t)value;
	e = 63u - (unsigned)__builtin_clzll(value);   /* e >= SUB_BITS */
	return HISTOGRAM_SUB + (size_t)(e - HISTOGRAM_SUB_BITS) * HISTOGRAM_SUB +
	    (size_t)((value >> (e - HISTOGRAM_SUB_BITS)) - HISTOGRAM_SUB);
}

uint64_t
histogram_bucket_low(size_t index)
{
	size_t e, sub;

	if (index < HISTOGRAM_SUB)
		return index;
	e = (index - HISTOGRAM_SUB) / HISTOGRAM_SUB + HISTOGRAM_SUB_BITS;
	sub = (index - HISTOGRAM_SUB) % HISTOGRAM_SUB;
	return (uint64_t)(HISTOGRAM_SUB + sub) << (e - HISTOGRAM_SUB_BITS);
}

uint64_t
histogram_bucket_high(size_t index)
{
	size_t e;

	if (index < HISTOGRAM_SUB)
		return index;
	e = (index - HISTOGRAM_SUB) / HISTOGRAM_SUB + HISTOGRAM_SUB_BITS;
	/* The width is 2^(e - SUB_BITS); the top bucket ends at 2^64 - 1. */
	return histogram_bucket_low(index) +
	    (((uint64_t)1 << (e - HISTOGRAM_SUB_BITS)) - 1);
}

void
histogram_record_n(struct histogram *h, uint64_t value, uint64_t n)
{
	if (n == 0)
		return;
	h->bucket[histogram_index(value)] += n;
	h->count += n;
	h->sum += (long double)value * (long double)n;
	if (value < h->min)
		h->min = value;
	if (value > h->max)
		h->max = value;
}

void
histogram_record(struct histogram *h, uint64_t value)
{
	histogram_record_n(h, value, 1);
}

void
histogram_merge(struct histogram *dst, const struct histogram *src)
{
	size_t i;

	if (src->count == 0)
		return;
	for (i = 0; i < HISTOGRAM_BUCKETS; i++)
		dst->bucket[i] += src->bucket[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t
histogram_percentile(const struct histogram *h, double p)
{
	uint64_t rank, seen = 0, v;
	size_t i;

	if (h->count == 0)
		return 0;
	if (p <= 0)
		return h->min;
	if (p >= 100)
		return h->max;
	/* The rank of the p-th value, counted from 1, rounded up so that
	 * p99 of 100 values is the 99th and not the 98th. */
	rank = (uint64_t)((p / 100.0) * (double)h->count);
	if ((double)rank < (p / 100.0) * (double)h->count)
		rank++;
	if (rank == 0)
		rank = 1;
	for (i = 0; i < HISTOGRAM_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank)
			break;
	}
	if (i == HISTOGRAM_BUCKETS)
		return h->max;
	v = histogram_bucket_high(i);
	if (v > h->max)
		v = h->max;
	if (v < h->min)
		v = h->min;
	return v;
}

double
histogram_mean(const struct histogram *h)
{
	if (h->count == 0)
		return 0;
	return (double)(h->sum / (long double)h->count);
}
