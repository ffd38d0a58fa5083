/*
 * fuzz_sink_data.c - libFuzzer target for bench/sink_data: the sink's
 * end-of-data reader must agree with proto's smtp_dot_unstuff() on
 * where the data ends and what the content is, however the stream is
 * cut into reads (byte 0 seeds the read sizes).
 */
#include "bench/sink_data.h"
#include "proto/message.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char hdr[64];
	struct sink_data d;
	struct buf ref, cap;
	const char *s;
	size_t want, used = 0, k, piece;
	unsigned seed;
	int done = 0;

	if (size < 1)
		return 0;
	seed = data[0];
	s = (const char *)data + 1;
	size--;
	buf_init(&ref, 1 << 20);
	buf_init(&cap, 1 << 20);
	want = smtp_dot_unstuff(s, size, &ref);
	d.hdr = hdr;
	d.hdr_max = sizeof(hdr);
	d.capture = &cap;
	sink_data_begin(&d);
	while (used < size && !done) {
		seed = seed * 1103515245u + 12345u;
		piece = 1 + (seed >> 16) % 17;
		if (piece > size - used)
			piece = size - used;
		k = sink_data_feed(&d, s + used, piece, &done, NULL, NULL);
		if (k > piece || (!done && k != piece))
			abort();
		used += k;
	}
	if (want == 0) {
		if (done)
			abort();
	} else {
		if (!done || used != want || cap.len != ref.len ||
		    (ref.len > 0 && memcmp(cap.data, ref.data, ref.len) != 0) ||
		    d.content_len != ref.len || d.hdr_len > sizeof(hdr))
			abort();
	}
	buf_free(&ref);
	buf_free(&cap);
	return 0;
}
