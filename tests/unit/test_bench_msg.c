/*
 * test_bench_msg.c - the load generator's messages: exact body sizes,
 * both wire forms, the X-Mailvet-Bench header as the sink reads it,
 * and the per-message sequence patch.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bench/bench_msg.h"
#include "bench/sink_verify.h"
#include "core/buf.h"
#include "proto/message.h"

static const struct bench_msg_params params = {
	.run_id = 0x0123456789abcdefull,
	.from = "a@example.org",
	.to = "b@example.org",
	.date = 1700000000,
};

/* The message as sent with seq patched in, in the raw form. */
static char *
patched(const struct bench_msg *m, uint64_t seq)
{
	char *copy = malloc(m->raw_len + 1);

	assert_non_null(copy);
	memcpy(copy, m->raw, m->raw_len);
	copy[m->raw_len] = '\0';
	bench_msg_patch(seq, copy + m->patch_off);
	return copy;
}

/* What the sink does: find the header, parse it, check the body. */
static void
check_id(const char *raw, size_t len, uint64_t seq)
{
	struct sink_bench_id id;
	const char *v, *end, *body;
	size_t vlen, blen;

	end = strstr(raw, "\r\n\r\n");
	assert_non_null(end);
	body = end + 4;
	blen = len - (size_t)(body - raw);
	assert_int_equal(sink_header_find(raw, (size_t)(end - raw) + 2,
	    SINK_BENCH_HEADER, &v, &vlen), 1);
	assert_int_equal(sink_bench_parse(v, vlen, &id), 0);
	assert_int_equal(id.run, params.run_id);
	assert_int_equal(id.seq, seq);
	assert_int_equal(id.len, blen);
	assert_int_equal(id.sum, sink_fnv1a(SINK_FNV_BASIS, body, blen));
}

static void
test_generated_sizes(void **state)
{
	static const uint64_t sizes[] = {
		2, 3, 4, 77, 78, 79, 80, 81, 157, 1024, 70000,
	};
	struct bench_msgset set;
	struct mv_error err;
	struct buf stuffed;
	size_t i, k;

	(void)state;
	bench_msgset_init(&set, params.run_id);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		assert_int_equal(bench_msgset_generate(&set, &params, sizes[i],
		    &err), 0);
	assert_int_equal(set.n, sizeof(sizes) / sizeof(sizes[0]));
	for (i = 0; i < set.n; i++) {
		const struct bench_msg *m = &set.msg[i];
		const char *body = strstr(m->raw, "\r\n\r\n") + 4;
		char *p;

		assert_int_equal(m->body_len, sizes[i]);
		assert_int_equal(m->raw_len - (size_t)(body - m->raw),
		    sizes[i]);
		/* CRLF lines only: no bare CR or LF, ends in CRLF. */
		for (k = 0; k < m->raw_len; k++) {
			if (m->raw[k] == '\r')
				assert_true(m->raw[k + 1] == '\n');
			if (m->raw[k] == '\n')
				assert_true(k > 0 && m->raw[k - 1] == '\r');
		}
		assert_memory_equal(m->raw + m->raw_len - 2, "\r\n", 2);
		/* The DATA form is exactly the stuffed raw form. */
		buf_init(&stuffed, 0);
		assert_int_equal(smtp_dot_stuff(m->raw, m->raw_len, &stuffed),
		    0);
		assert_int_equal(stuffed.len, m->data_len);
		assert_memory_equal(stuffed.data, m->data, m->data_len);
		buf_free(&stuffed);
		/* The patch lands on the sequence digits of line one, at
		 * the same place in both forms. */
		assert_true(m->patch_off + BENCH_SEQ_DIGITS <
		    (size_t)(strchr(m->raw, '\n') - m->raw));
		assert_memory_equal(m->raw, m->data, m->patch_off +
		    BENCH_SEQ_DIGITS);
		check_id(m->raw, m->raw_len, 0);
		p = patched(m, 4242 + i);
		check_id(p, m->raw_len, 4242 + i);
		free(p);
	}
	bench_msgset_free(&set);
}

static void
test_given_message(void **state)
{
	static const char eml[] =
	    "Subject: given\n"
	    "From: x@example.org\n"
	    "\n"
	    ".leading dot\n"
	    "bare\rcr\n"
	    "last line without newline";
	static const char no_body[] = "Subject: only headers\r\n";
	static const char starts_empty[] = "\r\nall body\r\n";
	struct bench_msgset set;
	struct mv_error err;
	char *p;

	(void)state;
	bench_msgset_init(&set, params.run_id);
	assert_int_equal(bench_msgset_add(&set, &params, eml, strlen(eml),
	    &err), 0);
	assert_int_equal(bench_msgset_add(&set, &params, no_body,
	    strlen(no_body), &err), 0);
	assert_int_equal(bench_msgset_add(&set, &params, starts_empty,
	    strlen(starts_empty), &err), 0);
	/* Dot-stuffed for DATA, plain CRLF for BDAT. */
	assert_non_null(strstr(set.msg[0].data, "\r\n..leading dot\r\n"));
	assert_non_null(strstr(set.msg[0].raw, "\r\n.leading dot\r\n"));
	assert_null(strstr(set.msg[0].raw, "\r\n..leading"));
	assert_memory_equal(set.msg[0].data + set.msg[0].data_len - 5,
	    "\r\n.\r\n", 5);
	assert_memory_equal(set.msg[0].raw, "X-Mailvet-Bench: ", 17);
	check_id(set.msg[0].raw, set.msg[0].raw_len, 0);
	p = patched(&set.msg[0], 9223372036854775807ull);
	check_id(p, set.msg[0].raw_len, 9223372036854775807ull);
	free(p);
	/* Without an empty line there is no body. */
	assert_int_equal(set.msg[1].body_len, 0);
	/* An empty first line makes everything after it the body. */
	assert_int_equal(set.msg[2].body_len, strlen("all body\r\n"));
	check_id(set.msg[2].raw, set.msg[2].raw_len, 0);
	bench_msgset_free(&set);
	bench_msgset_free(NULL);
}

static void
test_bad_header_values(void **state)
{
	struct bench_msg_params bad = params;
	struct bench_msgset set;
	struct mv_error err;

	(void)state;
	bench_msgset_init(&set, 1);
	bad.subject = "two\r\nX-Injected: yes";
	assert_int_equal(bench_msgset_generate(&set, &bad, 100, &err), -1);
	assert_int_equal(err.cat, MV_ERR_USAGE);
	assert_int_equal(set.n, 0);
	bench_msgset_free(&set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generated_sizes),
		cmocka_unit_test(test_given_message),
		cmocka_unit_test(test_bad_header_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
