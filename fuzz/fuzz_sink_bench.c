/*
 * fuzz_sink_bench.c - libFuzzer target for bench/sink_verify: the
 * X-Mailvet-Bench parser and the header lookup.  Whatever parses must
 * format back to a value that parses to the same id; the lookup's
 * value lies inside the block.
 */
#include "bench/sink_verify.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sink_bench_id id, again;
	char out[SINK_BENCH_VALUE_MAX + 1];
	char *s = malloc(size + 1);
	const char *v;
	size_t vl;
	int n;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	if (sink_bench_parse(s, size, &id) == 0) {
		n = sink_bench_format(&id, out, sizeof(out));
		if (n < 0 || sink_bench_parse(out, (size_t)n, &again) != 0 ||
		    id.run != again.run || id.seq != again.seq ||
		    id.len != again.len || id.sum != again.sum)
			abort();
	}
	if (sink_header_find(s, size, SINK_BENCH_HEADER, &v, &vl)) {
		if (v < s || v + vl > s + size)
			abort();
		(void)sink_bench_parse(v, vl, &id);
	}
	free(s);
	return 0;
}
