/*
 * test_sink_verify.c - the X-Mailvet-Bench header: FNV-1a values,
 * formatter and parser round trip, rejected variants, header lookup.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "bench/sink_verify.h"

#include <string.h>

static void
test_fnv(void **state)
{
	(void)state;
	/* Published FNV-1a 32 test vectors. */
	assert_int_equal(sink_fnv1a(SINK_FNV_BASIS, "", 0), 0x811c9dc5u);
	assert_int_equal(sink_fnv1a(SINK_FNV_BASIS, "a", 1), 0xe40c292cu);
	assert_int_equal(sink_fnv1a(SINK_FNV_BASIS, "foobar", 6),
	    0xbf9cf968u);
	/* Pieces give the same sum as the whole. */
	assert_int_equal(sink_fnv1a(sink_fnv1a(SINK_FNV_BASIS, "foo", 3),
	    "bar", 3), 0xbf9cf968u);
}

static void
test_round_trip(void **state)
{
	static const struct sink_bench_id ids[] = {
		{ 0, 0, 0, 0 },
		{ 0x0123456789abcdefull, 42, 1024, 0xdeadbeefu },
		{ UINT64_MAX, (1ull << 63) - 1, UINT64_MAX, 0xffffffffu },
	};
	struct sink_bench_id got;
	char buf[SINK_BENCH_VALUE_MAX + 1];
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		n = sink_bench_format(&ids[i], buf, sizeof(buf));
		assert_true(n > 0);
		assert_int_equal((size_t)n, strlen(buf));
		assert_int_equal(sink_bench_parse(buf, (size_t)n, &got), 0);
		assert_true(got.run == ids[i].run);
		assert_true(got.seq == ids[i].seq);
		assert_true(got.len == ids[i].len);
		assert_int_equal(got.sum, ids[i].sum);
	}
	n = sink_bench_format(&ids[1], buf, sizeof(buf));
	assert_string_equal(buf,
	    "run=0123456789abcdef seq=42 len=1024 sum=deadbeef");
	assert_int_equal(sink_bench_format(&ids[2], buf, 10), -1);
}

static void
test_parse(void **state)
{
	static const char *const good[] = {
		"run=0123456789ABCDEF seq=1 len=2 sum=0000000A",
		"  run=0123456789abcdef\tseq=1  len=2 sum=0000000a  ",
	};
	static const char *const bad[] = {
		"",
		"run=0123456789abcdef seq=1 len=2",
		"run=0123456789abcde seq=1 len=2 sum=00000000",
		"run=0123456789abcdef0 seq=1 len=2 sum=00000000",
		"run=0123456789abcdeg seq=1 len=2 sum=00000000",
		"run=0123456789abcdef seq= len=2 sum=00000000",
		"run=0123456789abcdef seq=-1 len=2 sum=00000000",
		"run=0123456789abcdef seq=9223372036854775808 len=2 sum=00000000",
		"run=0123456789abcdef seq=1 len=99999999999999999999 sum=00000000",
		"run=0123456789abcdef seq=1 len=2 sum=0000000",
		"run=0123456789abcdef seq=1 len=2 sum=00000000 x",
		"seq=1 run=0123456789abcdef len=2 sum=00000000",
		"run=0123456789abcdef seq=1x len=2 sum=00000000",
		"RUN=0123456789abcdef seq=1 len=2 sum=00000000",
		"run=0123456789abcdef seq=1 len=2 sum=00000000\r",
	};
	struct sink_bench_id id;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(sink_bench_parse(good[i], strlen(good[i]),
		    &id), 0);
		assert_true(id.run == 0x0123456789abcdefull);
		assert_int_equal(id.sum, 10);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sink_bench_parse(bad[i], strlen(bad[i]), &id) != -1)
			fail_msg("accepted '%s'", bad[i]);
}

static void
test_header_find(void **state)
{
	static const char block[] =
	    "From: a@b\r\n"
	    "x-mailvet-token:   abc \r\n"
	    "X-Mailvet-Bench: run=1\r\n"
	    "\r\n"
	    "X-Mailvet-Other: body, not header\r\n";
	const char *v;
	size_t n;

	(void)state;
	assert_int_equal(sink_header_find(block, strlen(block),
	    SINK_TOKEN_HEADER, &v, &n), 1);
	assert_int_equal(n, 4);
	assert_memory_equal(v, "abc ", 4);
	assert_int_equal(sink_header_find(block, strlen(block),
	    SINK_BENCH_HEADER, &v, &n), 1);
	assert_int_equal(n, 5);
	assert_int_equal(sink_header_find(block, strlen(block),
	    "X-Mailvet-Other", &v, &n), 0);
	assert_int_equal(sink_header_find(block, strlen(block), "From-X",
	    &v, &n), 0);
	/* LF-only lines and a block without the empty line. */
	assert_int_equal(sink_header_find("A: 1\nB: 2", 9, "B", &v, &n), 1);
	assert_int_equal(n, 1);
	assert_int_equal(sink_header_find("", 0, "B", &v, &n), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fnv),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_header_find),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
