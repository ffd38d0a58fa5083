/*
 * test_bench_sched.c - the load generator's open-loop schedule and the
 * parsers of --rate, --size and --size-dist.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "bench/bench_sched.h"

static void
test_rate_valid(void **state)
{
	static const struct {
		const char *text;
		double per_s;
	} ok[] = {
		{ "500", 500 }, { "500/s", 500 }, { "500/sec", 500 },
		{ "30/m", 0.5 }, { "120/min", 2 }, { "0.5/s", 0.5 },
		{ "3600/h", 1 }, { "1/h", 1.0 / 3600 },
		{ "0.000012", 0.000012 }, { "1000000000", 1e9 },
	};
	double r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		r = 0;
		assert_int_equal(bench_rate_parse(ok[i].text, &r), 0);
		assert_true(r > ok[i].per_s * 0.999999 &&
		    r < ok[i].per_s * 1.000001);
	}
}

static void
test_rate_invalid(void **state)
{
	static const char *const bad[] = {
		"", "/s", "0", "0/s", "-5/s", "5/d", "5/", "fast", "5 /s",
		"inf", "nan", "1e10", " 5",
		/* Not plain decimals, though strtod takes them. */
		"0x10", "0X10/s", "1e3/s", "1E3", "infinity", "+5", "5.",
		".5", "1..2", "1.2.3", "0x1p4",
		/* Slower than one a day (1e-30: a period past 64 bits of
		 * microseconds), or faster than 1e9. */
		"1e-30", "0.00001", "0.000000000000000000000000000001",
		"1/min0", "0.01/h", "1000000001",
	};
	double r = 7;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(bench_rate_parse(bad[i], &r), -1);
		assert_true(r == 7);
	}
}

static void
test_sizes(void **state)
{
	uint64_t sizes[BENCH_SIZES_MAX], one;
	size_t n = 0;

	(void)state;
	assert_int_equal(bench_size_parse("1k", &one), 0);
	assert_int_equal(one, 1024);
	assert_int_equal(bench_size_parse("512", &one), 0);
	assert_int_equal(one, 512);
	assert_int_equal(bench_size_parse("2m", &one), 0);
	assert_int_equal(one, 2 * 1024 * 1024);
	assert_int_equal(bench_size_parse("0", &one), -1);
	assert_int_equal(bench_size_parse("k", &one), -1);
	assert_int_equal(bench_size_parse("1x", &one), -1);
	assert_int_equal(bench_sizes_parse("512:1k:64k", 1 << 20, sizes, &n),
	    0);
	assert_int_equal(n, 3);
	assert_int_equal(sizes[0], 512);
	assert_int_equal(sizes[1], 1024);
	assert_int_equal(sizes[2], 65536);
	assert_int_equal(bench_sizes_parse("1k", 1 << 20, sizes, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(bench_sizes_parse("1k::2k", 1 << 20, sizes, &n), -1);
	assert_int_equal(bench_sizes_parse(":1k", 1 << 20, sizes, &n), -1);
	assert_int_equal(bench_sizes_parse("1k:", 1 << 20, sizes, &n), -1);
	assert_int_equal(bench_sizes_parse("2m", 1 << 20, sizes, &n), -1);
}

static void
test_schedule(void **state)
{
	struct bench_sched s;
	uint64_t due;

	(void)state;
	/* 1000/s from t0 = 5000: message k is due at 5000 + 1000 k. */
	bench_sched_init(&s, 1000, 5000);
	assert_int_equal(bench_sched_due(&s, 0), 5000);
	assert_int_equal(bench_sched_due(&s, 7), 12000);
	assert_int_equal(bench_sched_take(&s, 4999, &due), 0);
	assert_int_equal(due, 5000);
	assert_int_equal(s.k, 0);
	assert_int_equal(bench_sched_take(&s, 5000, &due), 1);
	assert_int_equal(due, 5000);
	/* A late taker gets the intended time, not the time it asked:
	 * the wait counts in the latency. */
	assert_int_equal(bench_sched_take(&s, 9500, &due), 1);
	assert_int_equal(due, 6000);
	assert_int_equal(bench_sched_take(&s, 9500, &due), 1);
	assert_int_equal(due, 7000);
	assert_int_equal(s.k, 3);
	/* No drift over a long run at a rate with no exact period. */
	bench_sched_init(&s, 3, 0);
	due = bench_sched_due(&s, 3000000);
	assert_true(due >= 999999999999ull && due <= 1000000000001ull);
	/* Closed loop: everything is due at once. */
	bench_sched_init(&s, 0, 100);
	assert_int_equal(bench_sched_take(&s, 100, &due), 1);
	assert_int_equal(bench_sched_take(&s, 100, &due), 1);
	assert_int_equal(due, 100);
}

/* Far-off due times saturate instead of wrapping round to "now" (a
 * wrapped schedule sent at full speed; a cast past 64 bits is UB). */
static void
test_schedule_saturates(void **state)
{
	struct bench_sched s;
	uint64_t due;

	(void)state;
	bench_sched_init(&s, 1e-30, 1000);
	assert_int_equal(bench_sched_due(&s, 0), 1000);
	assert_true(bench_sched_due(&s, 1) == UINT64_MAX);
	assert_int_equal(bench_sched_take(&s, 1000, &due), 1);
	assert_int_equal(bench_sched_take(&s, UINT64_MAX - 1, &due), 0);
	assert_true(due == UINT64_MAX);
	/* The slowest rate accepted, for as many messages as 64 bits
	 * count: no overflow, never earlier than message 1. */
	bench_sched_init(&s, BENCH_RATE_MIN_PER_S, UINT64_MAX - 10);
	assert_true(bench_sched_due(&s, 1) == UINT64_MAX);
	bench_sched_init(&s, BENCH_RATE_MIN_PER_S, 0);
	assert_true(bench_sched_due(&s, UINT64_MAX) == UINT64_MAX);
	assert_true(bench_sched_due(&s, 1) >= 86399999999ull &&
	    bench_sched_due(&s, 1) <= 86400000001ull);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_valid),
		cmocka_unit_test(test_rate_invalid),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_schedule),
		cmocka_unit_test(test_schedule_saturates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
