/*
 * test_sink_data.c - the sink's message reader: end of data found at
 * every split point, dot-unstuffing equal to smtp_dot_unstuff(), the
 * header block kept, the body summed as X-Mailvet-Bench defines it,
 * bare LF never ending the data.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "bench/sink_data.h"
#include "bench/sink_verify.h"
#include "proto/message.h"

#include <string.h>

static char hdr[256];

static void
want_sum(void *arg, struct sink_data *d)
{
	(void)arg;
	d->sum_body = 1;
}

/* Feed s in pieces of at most step bytes (0: cut at split only). */
static size_t
feed(struct sink_data *d, struct buf *cap, const char *s, size_t n,
    size_t split, int *done)
{
	size_t used = 0, k;

	buf_reset(cap);
	d->hdr = hdr;
	d->hdr_max = sizeof(hdr);
	d->capture = cap;
	sink_data_begin(d);
	*done = 0;
	if (split > 0 && split < n) {
		k = sink_data_feed(d, s, split, done, want_sum, NULL);
		used += k;
		if (*done)
			return used;
	}
	k = sink_data_feed(d, s + used, n - used, done, want_sum, NULL);
	return used + k;
}

static void
test_every_split(void **state)
{
	static const char *const stream[] = {
		".\r\n",
		"\r\n.\r\n",
		"A: b\r\n\r\nbody\r\n.\r\n",
		"A: b\r\n\r\n..dot\r\n...\r\n.x\r\n.\r\n",
		"A: b\r\n\r\nbare\nLF\n.\nstill\r\n.\r\n",
		"A: b\r\n\r\n.\rx\r\n.\r\nQUIT\r\n",
		"no header end\r\n.\r\nMAIL FROM:<a>\r\n",
		"A: b\r\n\r\nx\r\r\n.\r\n",
		"..\r\n.\r\n",
	};
	struct sink_data d;
	struct buf cap, ref;
	size_t i, split, used, want;
	int done;

	(void)state;
	buf_init(&cap, 4096);
	buf_init(&ref, 4096);
	for (i = 0; i < sizeof(stream) / sizeof(stream[0]); i++) {
		size_t n = strlen(stream[i]);

		buf_reset(&ref);
		want = smtp_dot_unstuff(stream[i], n, &ref);
		assert_true(want > 0);
		for (split = 0; split <= n; split++) {
			used = feed(&d, &cap, stream[i], n, split, &done);
			if (!done || used != want)
				fail_msg("stream %zu split %zu: done %d used "
				    "%zu want %zu", i, split, done, used, want);
			assert_int_equal(cap.len, ref.len);
			assert_memory_equal(cap.data, ref.data, ref.len);
			assert_true(d.content_len == ref.len);
		}
	}
	buf_free(&cap);
	buf_free(&ref);
}

static void
test_no_end(void **state)
{
	static const char *const stream[] = {
		"", "x", "x\n.\n", "x\r\n.", "x\r\n.\r", "x\r\n..\r\n",
		"x\r\n. \r\n",
	};
	struct sink_data d;
	struct buf cap;
	size_t i, split, n;
	int done;

	(void)state;
	buf_init(&cap, 4096);
	for (i = 0; i < sizeof(stream) / sizeof(stream[0]); i++) {
		n = strlen(stream[i]);
		for (split = 0; split <= n; split++) {
			assert_int_equal(feed(&d, &cap, stream[i], n, split,
			    &done), n);
			assert_false(done);
		}
	}
	buf_free(&cap);
}

static void
test_header_and_sum(void **state)
{
	static const char s[] =
	    "X-Mailvet-Bench: run=1\r\nSubject: t\r\n\r\n"
	    "..line one\r\nline two\r\n.\r\n";
	static const char body[] = ".line one\r\nline two\r\n";
	struct sink_data d;
	struct buf cap;
	size_t split;
	int done;

	(void)state;
	buf_init(&cap, 4096);
	for (split = 0; split <= sizeof(s) - 1; split++) {
		feed(&d, &cap, s, sizeof(s) - 1, split, &done);
		assert_true(done);
		assert_true(d.hdr_done);
		assert_int_equal(d.hdr_len, 38);
		assert_memory_equal(d.hdr, s, 38);
		assert_true(d.body_len == sizeof(body) - 1);
		assert_int_equal(d.body_sum, sink_fnv1a(SINK_FNV_BASIS, body,
		    sizeof(body) - 1));
	}
	/* BDAT: the same content raw, in two chunks. */
	d.hdr = hdr;
	d.hdr_max = sizeof(hdr);
	d.capture = NULL;
	sink_data_begin(&d);
	sink_data_raw(&d, "A: 1\r\n\r", 7, want_sum, NULL);
	sink_data_raw(&d, "\nxy", 3, want_sum, NULL);
	assert_true(d.hdr_done);
	assert_true(d.body_len == 2);
	assert_int_equal(d.body_sum, sink_fnv1a(SINK_FNV_BASIS, "xy", 2));
	buf_free(&cap);
}

static void
test_header_bounded(void **state)
{
	char big[1024];
	struct sink_data d;
	int done;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(big); i++)
		big[i] = 'h';
	memcpy(big + sizeof(big) - 9, "\r\n\r\nb\r\n.", 8);
	big[sizeof(big) - 1] = '\r';
	d.hdr = hdr;
	d.hdr_max = sizeof(hdr);
	d.capture = NULL;
	sink_data_begin(&d);
	assert_int_equal(sink_data_feed(&d, big, sizeof(big), &done, NULL,
	    NULL), sizeof(big));
	assert_int_equal(sink_data_feed(&d, "\n", 1, &done, NULL, NULL), 1);
	assert_true(done);
	assert_true(d.hdr_truncated);
	assert_int_equal(d.hdr_len, sizeof(hdr));
	assert_true(d.body_len == 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_split),
		cmocka_unit_test(test_no_end),
		cmocka_unit_test(test_header_and_sum),
		cmocka_unit_test(test_header_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
