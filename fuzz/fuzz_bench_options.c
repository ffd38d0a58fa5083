/*
 * fuzz_bench_options.c - libFuzzer target for the load generator's
 * pure parsers and message builder: bench_rate_parse(),
 * bench_sizes_parse() and bench_msgset_add() (any bytes as an .eml
 * file).  Checks: a parsed rate is positive and finite, parsed sizes
 * are within the maximum, and a built message keeps its promises (both
 * forms, the DATA form ends in CRLF "." CRLF, the X-Mailvet-Bench line
 * first with the sequence digits at patch_off in both forms).
 */
#include "bench/bench_msg.h"
#include "bench/bench_sched.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Any rate the parser takes gives a schedule that never runs
 * backwards nor wraps (UBSan catches an overflowing cast). */
static void
check_schedule(double r)
{
	static const uint64_t ks[] = { 0, 1, 2, 1000, 1ull << 32,
	    1ull << 52, 1ull << 63, UINT64_MAX };
	struct bench_sched s;
	uint64_t prev = 0, due;
	size_t i;

	bench_sched_init(&s, r, 1ull << 40);
	for (i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
		due = bench_sched_due(&s, ks[i]);
		if (due < prev || due < s.t0_us)
			abort();
		prev = due;
	}
}

static void
check_text_parsers(const uint8_t *data, size_t size)
{
	uint64_t sizes[BENCH_SIZES_MAX];
	char text[256];
	double r;
	size_t n, i;

	n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
	memcpy(text, data, n);
	text[n] = '\0';
	if (bench_rate_parse(text, &r) == 0) {
		if (!(r > 0) || !isfinite(r) || r < BENCH_RATE_MIN_PER_S)
			abort();
		check_schedule(r);
	}
	if (bench_sizes_parse(text, 1u << 20, sizes, &n) == 0) {
		if (n == 0 || n > BENCH_SIZES_MAX)
			abort();
		for (i = 0; i < n; i++)
			if (sizes[i] == 0 || sizes[i] > (1u << 20))
				abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct bench_msg_params p = { .run_id = 42 };
	struct bench_msgset set;
	struct mv_error err;
	const struct bench_msg *m;
	size_t k;

	check_text_parsers(data, size);
	bench_msgset_init(&set, 42);
	if (bench_msgset_add(&set, &p, (const char *)data, size, &err) == 0) {
		m = &set.msg[0];
		if (m->data_len < 5 || memcmp(m->data + m->data_len - 5,
		    "\r\n.\r\n", 5) != 0)
			abort();
		if (memcmp(m->raw, "X-Mailvet-Bench: ", 17) != 0 ||
		    m->patch_off + BENCH_SEQ_DIGITS > m->raw_len ||
		    memcmp(m->raw, m->data, m->patch_off + BENCH_SEQ_DIGITS))
			abort();
		for (k = 0; k < BENCH_SEQ_DIGITS; k++)
			if (m->raw[m->patch_off + k] != '0')
				abort();
		if (m->body_len > m->raw_len)
			abort();
	}
	bench_msgset_free(&set);
	return 0;
}
