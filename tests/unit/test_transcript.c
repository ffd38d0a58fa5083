/*
 * test_transcript.c - unit tests for core/transcript: control bytes
 * escaped so a server cannot drive the terminal, long lines cut with
 * their real length noted, entry and byte limits counted as dropped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/transcript.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
test_plain_line(void **state)
{
	struct transcript t;

	(void)state;
	transcript_init(&t);
	transcript_add(&t, TR_SERVER, "220 mail.example.org ESMTP", 26);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.v[0].kind, TR_SERVER);
	assert_string_equal(t.v[0].text, "220 mail.example.org ESMTP");
	assert_int_equal(t.dropped, 0);
	assert_int_equal(t.bytes, 26);
	transcript_free(&t);
	transcript_free(NULL);
}

static void
test_escaping(void **state)
{
	static const struct {
		const char *in;
		size_t n;
		const char *want;
	} cases[] = {
		{ "", 0, "" },
		{ "tab\there", 8, "tab\there" },
		{ "\x1b[31mred", 8, "\\x1b[31mred" },
		{ "cr\rlf\n", 6, "cr\\x0dlf\\x0a" },
		{ "del\x7f", 4, "del\\x7f" },
		{ "nul\0after", 9, "nul\\x00after" },
		/* UTF-8 is kept as it is. */
		{ "\xc3\xa9t\xc3\xa9", 5, "\xc3\xa9t\xc3\xa9" },
		{ "\x01\x02", 2, "\\x01\\x02" },
	};
	struct transcript t;
	size_t i;

	(void)state;
	transcript_init(&t);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		transcript_add(&t, TR_SERVER, cases[i].in, cases[i].n);
		assert_int_equal(t.n, i + 1);
		if (strcmp(t.v[i].text, cases[i].want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i,
			    t.v[i].text, cases[i].want);
	}
	transcript_free(&t);
}

static void
test_line_cut(void **state)
{
	enum { N = TRANSCRIPT_MAX_LINE * 2 + 5 };
	struct transcript t;
	char *line, want[64];
	size_t i;

	(void)state;
	line = malloc(N);
	assert_non_null(line);
	memset(line, 'x', N);
	transcript_init(&t);
	transcript_add(&t, TR_SERVER, line, N);
	assert_int_equal(t.n, 1);
	for (i = 0; i < TRANSCRIPT_MAX_LINE; i++)
		assert_int_equal(t.v[0].text[i], 'x');
	snprintf(want, sizeof(want), "... [%d bytes in all]", N);
	assert_string_equal(t.v[0].text + TRANSCRIPT_MAX_LINE, want);
	/* Only what is kept counts against the byte budget. */
	assert_int_equal(t.bytes, TRANSCRIPT_MAX_LINE);
	transcript_free(&t);
	free(line);
}

static void
test_line_exactly_max(void **state)
{
	struct transcript t;
	char line[TRANSCRIPT_MAX_LINE];

	(void)state;
	memset(line, 'y', sizeof(line));
	transcript_init(&t);
	transcript_add(&t, TR_CLIENT, line, sizeof(line));
	assert_int_equal(strlen(t.v[0].text), TRANSCRIPT_MAX_LINE);
	assert_null(strstr(t.v[0].text, "bytes in all"));
	transcript_free(&t);
}

static void
test_escaped_line_cut(void **state)
{
	struct transcript t;
	char line[TRANSCRIPT_MAX_LINE + 10];

	(void)state;
	/* Every byte expands to four: the cut is still by input bytes. */
	memset(line, '\x01', sizeof(line));
	transcript_init(&t);
	transcript_add(&t, TR_SERVER, line, sizeof(line));
	assert_int_equal(t.n, 1);
	assert_non_null(strstr(t.v[0].text, "... [1034 bytes in all]"));
	assert_int_equal(strlen(t.v[0].text),
	    TRANSCRIPT_MAX_LINE * 4 + strlen("... [1034 bytes in all]"));
	transcript_free(&t);
}

static void
test_entry_limit(void **state)
{
	struct transcript t;
	size_t i;

	(void)state;
	transcript_init(&t);
	for (i = 0; i < TRANSCRIPT_MAX_ENTRIES + 10; i++)
		transcript_add(&t, TR_INFO, "x", 1);
	assert_int_equal(t.n, TRANSCRIPT_MAX_ENTRIES);
	assert_int_equal(t.dropped, 10);
	transcript_free(&t);
}

static void
test_byte_limit(void **state)
{
	enum { PER = TRANSCRIPT_MAX_LINE };
	struct transcript t;
	char line[PER];
	size_t i, fit = TRANSCRIPT_MAX_BYTES / PER;

	(void)state;
	memset(line, 'b', sizeof(line));
	transcript_init(&t);
	for (i = 0; i < fit + 3; i++)
		transcript_add(&t, TR_SERVER, line, sizeof(line));
	assert_int_equal(t.n, fit);
	assert_int_equal(t.bytes, TRANSCRIPT_MAX_BYTES);
	assert_int_equal(t.dropped, 3);
	transcript_free(&t);
}

static void
test_addf(void **state)
{
	struct transcript t;
	char big[TRANSCRIPT_MAX_LINE * 2];

	(void)state;
	transcript_init(&t);
	transcript_addf(&t, TR_TLS, "TLSv1.3 %s %d", "TLS_AES_256_GCM_SHA384",
	    256);
	assert_string_equal(t.v[0].text, "TLSv1.3 TLS_AES_256_GCM_SHA384 256");
	assert_int_equal(t.v[0].kind, TR_TLS);
	/* Formatted text is cut to the line maximum, never overflowed. */
	memset(big, 'f', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	transcript_addf(&t, TR_INFO, "%s", big);
	assert_int_equal(strlen(t.v[1].text), TRANSCRIPT_MAX_LINE - 1);
	transcript_addf(&t, TR_ERROR, "\x1b[2J%s", "clear");
	assert_string_equal(t.v[2].text, "\\x1b[2Jclear");
	transcript_free(&t);
}

static void
test_timestamps(void **state)
{
	struct transcript t;

	(void)state;
	transcript_init(&t);
	transcript_add(&t, TR_INFO, "a", 1);
	transcript_add(&t, TR_INFO, "b", 1);
	assert_true(t.v[1].t_us >= t.v[0].t_us);
	transcript_free(&t);
}

static void
test_kind_names(void **state)
{
	(void)state;
	assert_string_equal(transcript_kind_name(TR_CLIENT), "client");
	assert_string_equal(transcript_kind_name(TR_SERVER), "server");
	assert_string_equal(transcript_kind_name(TR_TLS), "tls");
	assert_string_equal(transcript_kind_name(TR_INFO), "info");
	assert_string_equal(transcript_kind_name(TR_ERROR), "error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_line),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_line_cut),
		cmocka_unit_test(test_line_exactly_max),
		cmocka_unit_test(test_escaped_line_cut),
		cmocka_unit_test(test_entry_limit),
		cmocka_unit_test(test_byte_limit),
		cmocka_unit_test(test_addf),
		cmocka_unit_test(test_timestamps),
		cmocka_unit_test(test_kind_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
