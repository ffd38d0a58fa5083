/*
 * bench_sched.c - open-loop schedule and option parsers (see
 * bench_sched.h).
 */
#include "bench/bench_sched.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void
bench_sched_init(struct bench_sched *s, double rate_per_s, uint64_t t0_us)
{
	s->t0_us = t0_us;
	s->period_us = rate_per_s > 0 ? 1e6 / rate_per_s : 0;
	s->k = 0;
}

uint64_t
bench_sched_due(const struct bench_sched *s, uint64_t k)
{
	double off;

	/* Multiplied, not summed: no drift however long the run.
	 * Saturated: "never" rather than a wrapped, early time. */
	off = (double)k * s->period_us;
	if (!(off < 18446744073709549568.0))
		return UINT64_MAX;
	if ((uint64_t)off > UINT64_MAX - s->t0_us)
		return UINT64_MAX;
	return s->t0_us + (uint64_t)off;
}

int
bench_sched_take(struct bench_sched *s, uint64_t now_us, uint64_t *due)
{
	*due = bench_sched_due(s, s->k);
	if (*due > now_us)
		return 0;
	s->k++;
	return 1;
}

int
bench_size_parse(const char *v, uint64_t *bytes)
{
	uint64_t n = 0, mult = 1;
	const char *p = v;

	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (1ull << 40))
			return -1;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	if (p == v)
		return -1;
	if (strcasecmp(p, "k") == 0 || strcasecmp(p, "kb") == 0)
		mult = 1024;
	else if (strcasecmp(p, "m") == 0 || strcasecmp(p, "mb") == 0)
		mult = 1024 * 1024;
	else if (*p != '\0' && strcmp(p, "b") != 0)
		return -1;
	if (n == 0 || n > (1ull << 40) / mult)
		return -1;
	*bytes = n * mult;
	return 0;
}

int
bench_sizes_parse(const char *v, uint64_t max_size, uint64_t *sizes,
    size_t *n)
{
	char one[32];
	const char *p = v, *colon;
	size_t len;

	*n = 0;
	for (;;) {
		colon = strchr(p, ':');
		len = colon ? (size_t)(colon - p) : strlen(p);
		if (len == 0 || len >= sizeof(one) || *n == BENCH_SIZES_MAX)
			return -1;
		memcpy(one, p, len);
		one[len] = '\0';
		if (bench_size_parse(one, &sizes[*n]) == -1 ||
		    sizes[*n] > max_size)
			return -1;
		(*n)++;
		if (colon == NULL)
			return 0;
		p = colon + 1;
	}
}

int
bench_rate_parse(const char *v, double *per_s)
{
	const char *slash;
	char num[BENCH_RATE_DIGITS_MAX + 1];
	char *end;
	double n;
	double unit = 1;
	size_t len, dots = 0;

	/* Plain decimals only ("500", "0.5"): strtod alone would also
	 * take hex, exponents, inf and nan. */
	for (len = 0; (v[len] >= '0' && v[len] <= '9') || v[len] == '.';
	    len++)
		dots += v[len] == '.';
	if (len == 0 || len > BENCH_RATE_DIGITS_MAX || dots > 1 ||
	    v[0] == '.' || v[len - 1] == '.')
		return -1;
	memcpy(num, v, len);
	num[len] = '\0';
	n = strtod(num, &end);
	if (*end != '\0')
		return -1;
	slash = v + len;
	if (*slash == '/') {
		slash++;
		if (strcmp(slash, "s") == 0 || strcmp(slash, "sec") == 0)
			unit = 1;
		else if (strcmp(slash, "m") == 0 ||
		    strcmp(slash, "min") == 0)
			unit = 60;
		else if (strcmp(slash, "h") == 0)
			unit = 3600;
		else
			return -1;
	} else if (*slash != '\0') {
		return -1;
	}
	if (!(n > 0) || n > 1e9 || n / unit < BENCH_RATE_MIN_PER_S)
		return -1;
	*per_s = n / unit;
	return 0;
}
