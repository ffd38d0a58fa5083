/*
 * test_histogram.c - the latency histogram: bucket arithmetic, the
 * 1/64 precision promise, percentiles and merging.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/histogram.h"

static void
test_buckets_cover_every_value(void **state)
{
	static const uint64_t probes[] = { 0, 1, 63, 64, 65, 127, 128, 129,
		1000, 4095, 4096, 123456789, (uint64_t)1 << 40,
		((uint64_t)1 << 63) - 1, (uint64_t)1 << 63, UINT64_MAX };
	size_t i, idx;

	(void)state;
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		idx = histogram_index(probes[i]);
		assert_true(idx < HISTOGRAM_BUCKETS);
		assert_true(histogram_bucket_low(idx) <= probes[i]);
		assert_true(histogram_bucket_high(idx) >= probes[i]);
	}
	assert_int_equal(histogram_index(UINT64_MAX), HISTOGRAM_BUCKETS - 1);
	/* Adjacent buckets tile the number line without gaps. */
	for (i = 0; i + 1 < HISTOGRAM_BUCKETS; i++)
		assert_int_equal(histogram_bucket_high(i) + 1,
		    histogram_bucket_low(i + 1));
}

static void
test_precision(void **state)
{
	uint64_t v, w;
	size_t idx;

	(void)state;
	for (v = 64; v < ((uint64_t)1 << 50); v = v * 3 / 2 + 7) {
		idx = histogram_index(v);
		w = histogram_bucket_high(idx) - histogram_bucket_low(idx) + 1;
		assert_true(w * 64 <= v);     /* width at most v/64 */
	}
}

static void
test_percentiles(void **state)
{
	struct histogram *h = histogram_new();
	uint64_t i, p50, p99;

	(void)state;
	assert_non_null(h);
	assert_int_equal(histogram_percentile(h, 50), 0);
	for (i = 1; i <= 10000; i++)
		histogram_record(h, i);
	assert_int_equal(h->count, 10000);
	assert_int_equal(histogram_percentile(h, 0), 1);
	assert_int_equal(histogram_percentile(h, 100), 10000);
	p50 = histogram_percentile(h, 50);
	p99 = histogram_percentile(h, 99);
	assert_true(p50 >= 5000 && p50 <= 5000 + 5000 / 64);
	assert_true(p99 >= 9900 && p99 <= 9900 + 9900 / 64);
	assert_true(histogram_mean(h) > 5000.4 && histogram_mean(h) < 5000.6);
	histogram_free(h);
}

static void
test_small_values_exact(void **state)
{
	struct histogram h;

	(void)state;
	histogram_reset(&h);
	histogram_record_n(&h, 7, 99);
	histogram_record(&h, 40);
	assert_int_equal(histogram_percentile(&h, 99), 7);
	assert_int_equal(histogram_percentile(&h, 99.5), 40);
	histogram_record_n(&h, 1000, 0);
	assert_int_equal(h.count, 100);
	assert_int_equal(h.max, 40);
}

static void
test_merge(void **state)
{
	struct histogram a, b, all;
	uint64_t i;

	(void)state;
	histogram_reset(&a);
	histogram_reset(&b);
	histogram_reset(&all);
	for (i = 0; i < 5000; i++) {
		histogram_record(i % 2 ? &a : &b, i * 37);
		histogram_record(&all, i * 37);
	}
	histogram_merge(&a, &b);
	assert_int_equal(a.count, all.count);
	assert_int_equal(a.min, all.min);
	assert_int_equal(a.max, all.max);
	for (i = 1; i < 100; i += 7)
		assert_int_equal(histogram_percentile(&a, (double)i),
		    histogram_percentile(&all, (double)i));
	histogram_reset(&b);
	histogram_merge(&a, &b);              /* empty changes nothing */
	assert_int_equal(a.min, all.min);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets_cover_every_value),
		cmocka_unit_test(test_precision),
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_small_values_exact),
		cmocka_unit_test(test_merge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
