/*
 * test_buf.c - unit tests for core/buf: the hard maximum (an append
 * past it fails and changes nothing), consume, printf, NUL termination.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"

#include <stdlib.h>
#include <string.h>

static void
test_empty_cstr(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_null(b.data);
	assert_string_equal(buf_cstr(&b), "");
	buf_reset(&b); /* no allocation yet: must not crash */
	assert_int_equal(b.len, 0);
	buf_free(&b);
	buf_free(&b); /* twice is harmless */
	buf_free(NULL);
}

static void
test_append_terminates(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(buf_append(&b, "abc", 3), 0);
	assert_int_equal(buf_append_str(&b, "def"), 0);
	assert_int_equal(b.len, 6);
	assert_string_equal(buf_cstr(&b), "abcdef");
	assert_int_equal(b.data[b.len], '\0');
	/* Zero-length appends allocate so that data is a string. */
	buf_free(&b);
	buf_init(&b, 0);
	assert_int_equal(buf_append(&b, "", 0), 0);
	assert_non_null(b.data);
	assert_string_equal(b.data, "");
	buf_free(&b);
}

static void
test_embedded_nul(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(buf_append(&b, "a\0b", 3), 0);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "a\0b", 4);
	buf_free(&b);
}

static void
test_limit(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 10);
	assert_int_equal(buf_append(&b, "0123456789", 10), 0);
	/* One byte past the maximum fails and leaves everything alone. */
	assert_int_equal(buf_append(&b, "x", 1), -1);
	assert_int_equal(b.len, 10);
	assert_string_equal(buf_cstr(&b), "0123456789");
	assert_int_equal(buf_append(&b, "", 0), 0);
	buf_reset(&b);
	assert_int_equal(buf_append(&b, "01234567890", 11), -1);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_cstr(&b), "");
	buf_free(&b);
}

static void
test_limit_huge_append(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	/* SIZE_MAX-ish requests must fail cleanly, not overflow. */
	assert_int_equal(buf_append(&b, "x", SIZE_MAX), -1);
	assert_int_equal(buf_append(&b, "x", SIZE_MAX / 2 + 1), -1);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void
test_grow_large(void **state)
{
	enum { N = 1024 * 1024 };
	struct buf b;
	char *chunk;
	size_t i;

	(void)state;
	chunk = malloc(N);
	assert_non_null(chunk);
	memset(chunk, 'q', N);
	buf_init(&b, 4 * N);
	for (i = 0; i < 4; i++)
		assert_int_equal(buf_append(&b, chunk, N), 0);
	assert_int_equal(b.len, 4 * (size_t)N);
	assert_int_equal(buf_append(&b, "q", 1), -1);
	assert_true(b.cap > b.len);
	assert_int_equal(b.data[b.len], '\0');
	buf_free(&b);
	free(chunk);
}

static void
test_consume(void **state)
{
	static const struct {
		const char *in;
		size_t n;
		const char *left;
	} cases[] = {
		{ "abcdef", 0, "abcdef" },
		{ "abcdef", 2, "cdef" },
		{ "abcdef", 6, "" },
		{ "abcdef", 7, "" },          /* clamped */
		{ "abcdef", SIZE_MAX, "" },   /* clamped */
		{ "", 1, "" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;

		buf_init(&b, 0);
		assert_int_equal(buf_append_str(&b, cases[i].in), 0);
		buf_consume(&b, cases[i].n);
		if (strcmp(buf_cstr(&b), cases[i].left) != 0)
			fail_msg("case %zu: left \"%s\", want \"%s\"", i,
			    buf_cstr(&b), cases[i].left);
		assert_int_equal(b.len, strlen(cases[i].left));
		buf_free(&b);
	}
}

static void
test_consume_then_append(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_append_str(&b, "12345678"), 0);
	buf_consume(&b, 5);
	/* Consumed room is free again under the same maximum. */
	assert_int_equal(buf_append_str(&b, "abcde"), 0);
	assert_string_equal(buf_cstr(&b), "678abcde");
	assert_int_equal(buf_append_str(&b, "z"), -1);
	buf_free(&b);
}

static void
test_reset_keeps_allocation(void **state)
{
	struct buf b;
	char *data;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(buf_append_str(&b, "hello"), 0);
	data = b.data;
	buf_reset(&b);
	assert_ptr_equal(b.data, data);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_cstr(&b), "");
	buf_free(&b);
}

static void
test_printf(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(buf_printf(&b, "%d-%s", 42, "x"), 0);
	assert_int_equal(buf_printf(&b, "%c", '!'), 0);
	assert_string_equal(buf_cstr(&b), "42-x!");
	assert_int_equal(b.len, 5);
	assert_int_equal(buf_printf(&b, "%s", ""), 0);
	assert_int_equal(b.len, 5);
	buf_free(&b);
}

static void
test_printf_limit(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_printf(&b, "%s", "1234"), 0);
	assert_int_equal(buf_printf(&b, "%s", "56789"), -1);
	assert_string_equal(buf_cstr(&b), "1234");
	assert_int_equal(buf_printf(&b, "%04d", 5678), 0);
	assert_string_equal(buf_cstr(&b), "12345678");
	buf_free(&b);
}

static void
test_printf_long(void **state)
{
	struct buf b;
	char big[5000];

	(void)state;
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_init(&b, 0);
	/* Longer than the first allocation: the buffer must grow. */
	assert_int_equal(buf_printf(&b, "<%s>", big), 0);
	assert_int_equal(b.len, sizeof(big) + 1);
	assert_int_equal(b.data[0], '<');
	assert_int_equal(b.data[b.len - 1], '>');
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_cstr),
		cmocka_unit_test(test_append_terminates),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_limit_huge_append),
		cmocka_unit_test(test_grow_large),
		cmocka_unit_test(test_consume),
		cmocka_unit_test(test_consume_then_append),
		cmocka_unit_test(test_reset_keeps_allocation),
		cmocka_unit_test(test_printf),
		cmocka_unit_test(test_printf_limit),
		cmocka_unit_test(test_printf_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
