/*
 * test_smtp_reply.c - unit tests for proto/smtp_reply.
 *
 * Most cases are a table of server output and the replies (or error)
 * it must produce; every case is run with the input fed whole and cut
 * into pieces of 1, 2, 3, 5, 7 and 64 bytes, and all runs must describe
 * the same outcome.  Then the limits: a 1 MB line, an endless
 * multi-line reply, small custom limits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "proto/smtp_reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* One reply as text: code[enh]nlines{line|line}lfN; */
static void
describe(const struct smtp_reply *r, struct buf *res)
{
	size_t i;

	assert_true(r->nlines >= 1);
	assert_true(r->code >= 200 && r->code <= 599);
	buf_printf(res, "%d[%s]%zu{", r->code, r->enh, r->nlines);
	for (i = 0; i < r->nlines; i++) {
		size_t rawlen = strlen(r->raw[i]);

		/* The text is the raw line after "NNN-" or "NNN ". */
		assert_true(rawlen >= 3);
		assert_ptr_equal(r->lines[i], r->raw[i] + (rawlen > 3 ? 4 : 3));
		assert_int_equal(r->raw[i][0], '0' + r->code / 100);
		if (i + 1 < r->nlines)
			assert_int_equal(r->raw[i][3], '-');
		buf_printf(res, "%s%s", i ? "|" : "", r->lines[i]);
	}
	buf_append_str(res, "}");
	if (r->bare_lf)
		buf_printf(res, "lf%zu", r->bare_lf);
	buf_append_str(res, ";");
}

/* Feed in pieces of `chunk` bytes (0: all at once), describing every
 * reply, the first error, and whether bytes are left pending. */
static void
run(const char *in, size_t len, size_t chunk, struct buf *res)
{
	struct smtp_reply_parser p;
	struct smtp_reply r;
	struct mv_error err;
	size_t off = 0, n, pos, used;
	enum smtp_reply_status st;

	smtp_reply_parser_init(&p, 0, 0, 0);
	while (off < len) {
		n = chunk && len - off > chunk ? chunk : len - off;
		for (pos = 0; pos < n;) {
			st = smtp_reply_parser_feed(&p, in + off + pos, n - pos,
			    &used, &r, &err);
			assert_true(used <= n - pos);
			if (st == SMTP_REPLY_ERROR) {
				assert_int_equal(err.cat, MV_ERR_PROTOCOL);
				buf_printf(res, "ERR(%s)", err.msg);
				smtp_reply_parser_free(&p);
				return;
			}
			if (st == SMTP_REPLY_MORE) {
				assert_int_equal(used, n - pos);
			} else {
				assert_true(used > 0);
				describe(&r, res);
			}
			pos += used;
		}
		off += n;
	}
	if (smtp_reply_parser_pending(&p))
		buf_append_str(res, "PENDING");
	smtp_reply_parser_free(&p);
}

struct reply_case {
	const char *in;
	size_t len; /* 0: strlen(in) */
	const char *want;
};

static const struct reply_case reply_cases[] = {
	{ "220 mail.example.org ESMTP Postfix\r\n", 0,
	    "220[]1{mail.example.org ESMTP Postfix};" },
	{ "250-mail.example.org\r\n250-PIPELINING\r\n250 8BITMIME\r\n", 0,
	    "250[]3{mail.example.org|PIPELINING|8BITMIME};" },
	/* "NNN" alone is a complete last line; text may be empty. */
	{ "250\r\n", 0, "250[]1{};" },
	{ "250-\r\n250 \r\n", 0, "250[]2{|};" },
	{ "354-a\r\n354\r\n", 0, "354[]2{a|};" },
	{ "550 5.1.1 <x@y>: Recipient address rejected\r\n", 0,
	    "550[5.1.1]1{5.1.1 <x@y>: Recipient address rejected};" },
	{ "250-2.0.0 first\r\n250 2.0.1 last\r\n", 0,
	    "250[2.0.0]2{2.0.0 first|2.0.1 last};" },
	{ "421 4.3.2 Service shutting down\r\n", 0,
	    "421[4.3.2]1{4.3.2 Service shutting down};" },
	{ "250 2.1.0abc\r\n", 0, "250[]1{2.1.0abc};" },
	/* Bare LF is accepted and counted. */
	{ "250-a\n250 b\r\n", 0, "250[]2{a|b}lf1;" },
	{ "220 hi\n", 0, "220[]1{hi}lf1;" },
	/* A CR not followed by LF is text. */
	{ "250 a\rb\r\n", 0, "250[]1{a\rb};" },
	{ "250 \r\r\n", 0, "250[]1{\r};" },
	{ "220-\xff\xfe high bytes\r\n220 ok\r\n", 0,
	    "220[]2{\xff\xfe high bytes|ok};" },
	/* Pipelined replies in one read come out one at a time. */
	{ "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data\r\n", 0,
	    "250[2.1.0]1{2.1.0 Ok};250[2.1.5]1{2.1.5 Ok};354[]1{End data};" },
	{ "250-a\r\n250 b\r\n550-c\r\n550 d\r\n", 0,
	    "250[]2{a|b};550[]2{c|d};" },
	/* Incomplete input is pending, not an error. */
	{ "250-a\r\n250 b", 0, "PENDING" },
	{ "250-a\r\n250 b\r", 0, "PENDING" },
	{ "250-a\r\n", 0, "PENDING" },
	{ "2", 0, "PENDING" },
	{ "250 ok\r\n25", 0, "250[]1{ok};PENDING" },
	{ "", 0, "" },
	/* Malformed lines. */
	{ "abc\r\n", 0, "ERR(reply line does not start with a 3-digit code: "
			"\"abc\")" },
	{ "25\r\n", 0, "ERR(reply line does not start with a 3-digit code: "
		       "\"25\")" },
	{ "\r\n", 0, "ERR(reply line does not start with a 3-digit code: "
		     "\"\")" },
	{ "\n", 0, "ERR(reply line does not start with a 3-digit code: "
		   "\"\")" },
	{ "2x0 ok\r\n", 0, "ERR(reply line does not start with a 3-digit "
			   "code: \"2x0 ok\")" },
	{ " 250 ok\r\n", 0, "ERR(reply line does not start with a 3-digit "
			    "code: \" 250 ok\")" },
	{ "\x1b[2J\r\n", 0, "ERR(reply line does not start with a 3-digit "
			    "code: \"\\x1b[2J\")" },
	{ "150 x\r\n", 0, "ERR(reply code 150 out of range (expected 2xx to "
			  "5xx): \"150 x\")" },
	{ "650 x\r\n", 0, "ERR(reply code 650 out of range (expected 2xx to "
			  "5xx): \"650 x\")" },
	{ "099 x\r\n", 0, "ERR(reply code 099 out of range (expected 2xx to "
			  "5xx): \"099 x\")" },
	{ "999\r\n", 0, "ERR(reply code 999 out of range (expected 2xx to "
			"5xx): \"999\")" },
	{ "250x\r\n", 0, "ERR(reply code not followed by ' ' or '-': "
			 "\"250x\")" },
	{ "2500\r\n", 0, "ERR(reply code not followed by ' ' or '-': "
			 "\"2500\")" },
	{ "250\t\r\n", 0, "ERR(reply code not followed by ' ' or '-': "
			  "\"250\\x09\")" },
	{ "250-a\r\n251 b\r\n", 0, "ERR(reply line code 251 differs from 250 "
				   "on the reply's first line: \"251 b\")" },
	{ "250-a\r\n550-b\r\n", 0, "ERR(reply line code 550 differs from 250 "
				   "on the reply's first line: \"550-b\")" },
	{ "250 a\0b\r\n", 10, "ERR(reply line contains a NUL byte: "
			      "\"250 a\\x00b\")" },
	{ "\0\0\0\r\n", 5, "ERR(reply line does not start with a 3-digit "
			   "code: \"\\x00\\x00\\x00\")" },
	{ "250 ok\r\nxyz\r\n", 0, "250[]1{ok};ERR(reply line does not start "
				  "with a 3-digit code: \"xyz\")" },
	{ "250 ok\r\n\r\n", 0, "250[]1{ok};ERR(reply line does not start "
			       "with a 3-digit code: \"\")" },
};

static void
test_table(void **state)
{
	static const size_t chunks[] = { 0, 1, 2, 3, 5, 7, 64 };
	size_t i, k, len;

	(void)state;
	for (i = 0; i < NELEM(reply_cases); i++) {
		const struct reply_case *c = &reply_cases[i];

		len = c->len ? c->len : strlen(c->in);
		for (k = 0; k < NELEM(chunks); k++) {
			struct buf res;

			buf_init(&res, 0);
			run(c->in, len, chunks[k], &res);
			if (strcmp(buf_cstr(&res), c->want) != 0)
				fail_msg("case %zu chunk %zu:\n got  %s\n want "
					 "%s",
				    i, chunks[k], buf_cstr(&res), c->want);
			buf_free(&res);
		}
	}
}

static void
test_consumed_pipelined(void **state)
{
	static const char in[] = "250 a\r\n251-b\r\n251 c\n354 d\r\n";
	struct smtp_reply_parser p;
	struct smtp_reply r;
	struct mv_error err;
	size_t used, off = 0;

	(void)state;
	smtp_reply_parser_init(&p, 0, 0, 0);
	assert_int_equal(smtp_reply_parser_feed(&p, in, sizeof(in) - 1, &used,
			     &r, &err),
	    SMTP_REPLY_DONE);
	assert_int_equal(used, 7);
	/* The rest is still there: the caller must see it as pending. */
	assert_false(smtp_reply_parser_pending(&p));
	off += used;
	assert_int_equal(smtp_reply_parser_feed(&p, in + off,
			     sizeof(in) - 1 - off, &used, &r, &err),
	    SMTP_REPLY_DONE);
	assert_int_equal(used, 13);
	assert_int_equal(r.code, 251);
	assert_int_equal(r.nlines, 2);
	assert_int_equal(r.bare_lf, 1);
	off += used;
	assert_int_equal(smtp_reply_parser_feed(&p, in + off,
			     sizeof(in) - 1 - off, &used, &r, &err),
	    SMTP_REPLY_DONE);
	assert_int_equal(used, 7);
	/* bare_lf counts per reply. */
	assert_int_equal(r.bare_lf, 0);
	assert_int_equal(off + used, sizeof(in) - 1);
	smtp_reply_parser_free(&p);
}

static void
test_zero_and_more(void **state)
{
	struct smtp_reply_parser p;
	struct smtp_reply r;
	struct mv_error err;
	size_t used = 99;

	(void)state;
	smtp_reply_parser_init(&p, 0, 0, 0);
	assert_int_equal(smtp_reply_parser_feed(&p, "", 0, &used, &r, &err),
	    SMTP_REPLY_MORE);
	assert_int_equal(used, 0);
	assert_false(smtp_reply_parser_pending(&p));
	assert_int_equal(smtp_reply_parser_feed(&p, "250-x\r\n25", 9, &used,
			     &r, &err),
	    SMTP_REPLY_MORE);
	assert_int_equal(used, 9);
	assert_true(smtp_reply_parser_pending(&p));
	assert_int_equal(smtp_reply_parser_feed(&p, "0 y\r\n", 5, &used, &r,
			     &err),
	    SMTP_REPLY_DONE);
	assert_int_equal(used, 5);
	assert_string_equal(r.lines[0], "x");
	assert_string_equal(r.lines[1], "y");
	assert_string_equal(r.raw[1], "250 y");
	assert_false(smtp_reply_parser_pending(&p));
	/* Still valid after a call that does not feed. */
	assert_string_equal(r.lines[0], "x");
	smtp_reply_parser_free(&p);
	smtp_reply_parser_free(NULL);
}

static void
test_reset(void **state)
{
	struct smtp_reply_parser p;
	struct smtp_reply r;
	struct mv_error err;
	size_t used;

	(void)state;
	smtp_reply_parser_init(&p, 0, 0, 0);
	smtp_reply_parser_feed(&p, "250-a\r\n250 b", 12, &used, &r, &err);
	assert_true(smtp_reply_parser_pending(&p));
	smtp_reply_parser_reset(&p);
	assert_false(smtp_reply_parser_pending(&p));
	assert_int_equal(smtp_reply_parser_feed(&p, "220 c\r\n", 7, &used, &r,
			     &err),
	    SMTP_REPLY_DONE);
	assert_int_equal(r.code, 220);
	assert_int_equal(r.nlines, 1);
	/* After an error and a reset the parser works again. */
	assert_int_equal(smtp_reply_parser_feed(&p, "xx\r\n", 4, &used, &r,
			     &err),
	    SMTP_REPLY_ERROR);
	assert_int_equal(used, 4);
	smtp_reply_parser_reset(&p);
	assert_int_equal(smtp_reply_parser_feed(&p, "221 bye\r\n", 9, &used,
			     &r, &err),
	    SMTP_REPLY_DONE);
	assert_string_equal(r.lines[0], "bye");
	smtp_reply_parser_free(&p);
}

static void
test_error_consumed(void **state)
{
	static const char in[] = "250 ok\r\n250x\r\n220 more\r\n";
	struct smtp_reply_parser p;
	struct smtp_reply r;
	struct mv_error err;
	size_t used;

	(void)state;
	smtp_reply_parser_init(&p, 0, 0, 0);
	assert_int_equal(smtp_reply_parser_feed(&p, in, sizeof(in) - 1, &used,
			     &r, &err),
	    SMTP_REPLY_DONE);
	assert_int_equal(used, 8);
	/* On error, consumed covers the bad line and no more. */
	assert_int_equal(smtp_reply_parser_feed(&p, in + 8, sizeof(in) - 9,
			     &used, &r, &err),
	    SMTP_REPLY_ERROR);
	assert_int_equal(used, 6);
	smtp_reply_parser_free(&p);
}

/* A line of exactly max_line bytes passes; one more fails, however it
 * is fed and whatever its ending. */
static void
test_line_limit_exact(void **state)
{
	static const char *const endings[] = { "\r\n", "\n" };
	static const size_t chunks[] = { 0, 1, 4095, 4096, 4097 };
	size_t e, k, extra;

	(void)state;
	for (e = 0; e < NELEM(endings); e++) {
		for (extra = 0; extra <= 1; extra++) {
			size_t content = SMTP_REPLY_DEFAULT_MAX_LINE + extra;
			size_t len = content + strlen(endings[e]);
			char *in = malloc(len);

			assert_non_null(in);
			memcpy(in, "250 ", 4);
			memset(in + 4, 'x', content - 4);
			memcpy(in + content, endings[e], strlen(endings[e]));
			for (k = 0; k < NELEM(chunks); k++) {
				struct buf res;

				buf_init(&res, 0);
				run(in, len, chunks[k], &res);
				if (extra == 0 &&
				    strncmp(buf_cstr(&res), "250[]1{xxx", 10))
					fail_msg("ending %zu chunk %zu: %.40s",
					    e, chunks[k], buf_cstr(&res));
				if (extra == 1 &&
				    strncmp(buf_cstr(&res),
					"ERR(reply line longer than 4096 bytes",
					37) != 0)
					fail_msg("ending %zu chunk %zu: %.60s",
					    e, chunks[k], buf_cstr(&res));
				buf_free(&res);
			}
			free(in);
		}
	}
}

static void
test_one_megabyte_line(void **state)
{
	enum { N = 1024 * 1024 };
	struct smtp_reply_parser p;
	struct smtp_reply r;
	struct mv_error err;
	size_t used, off;
	char *in;

	(void)state;
	in = malloc(N + 2);
	assert_non_null(in);
	memcpy(in, "250 ", 4);
	memset(in + 4, 'A', N - 4);
	memcpy(in + N, "\r\n", 2);

	/* All at once, with its CRLF. */
	smtp_reply_parser_init(&p, 0, 0, 0);
	assert_int_equal(smtp_reply_parser_feed(&p, in, N + 2, &used, &r,
			     &err),
	    SMTP_REPLY_ERROR);
	assert_int_equal(used, N + 2);
	assert_non_null(strstr(err.msg, "reply line longer than 4096 bytes"));
	assert_true(strlen(err.msg) < 200);
	smtp_reply_parser_free(&p);

	/* In 1 KB reads: refused as soon as it cannot fit, without
	 * buffering the rest. */
	smtp_reply_parser_init(&p, 0, 0, 0);
	for (off = 0; off < N; off += 1024) {
		enum smtp_reply_status st;

		st = smtp_reply_parser_feed(&p, in + off, 1024, &used, &r,
		    &err);
		if (st == SMTP_REPLY_ERROR)
			break;
		assert_int_equal(st, SMTP_REPLY_MORE);
	}
	assert_int_equal(off, 4096);
	assert_true(p.line.cap <= 2 * SMTP_REPLY_DEFAULT_MAX_LINE + 2);
	smtp_reply_parser_free(&p);
	free(in);
}

static void
test_endless_multiline(void **state)
{
	struct smtp_reply_parser p;
	struct smtp_reply r;
	struct mv_error err;
	enum smtp_reply_status st;
	size_t used, lines = 0;

	(void)state;
	smtp_reply_parser_init(&p, 0, 0, 0);
	for (;;) {
		st = smtp_reply_parser_feed(&p, "250-more\r\n", 10, &used, &r,
		    &err);
		if (st != SMTP_REPLY_MORE)
			break;
		lines++;
		assert_true(lines <= SMTP_REPLY_DEFAULT_MAX_LINES);
	}
	assert_int_equal(st, SMTP_REPLY_ERROR);
	assert_int_equal(lines, SMTP_REPLY_DEFAULT_MAX_LINES);
	assert_string_equal(err.msg,
	    "reply has more than 512 lines: \"250-more\"");
	smtp_reply_parser_free(&p);
}

static void
test_byte_limit_default(void **state)
{
	struct smtp_reply_parser p;
	struct smtp_reply r;
	struct mv_error err;
	enum smtp_reply_status st;
	char line[200];
	size_t used, lines = 0;

	(void)state;
	/* 500 lines of 200 bytes: under the line count, over 64 KB. */
	memset(line, 'y', sizeof(line));
	memcpy(line, "250-", 4);
	memcpy(line + sizeof(line) - 2, "\r\n", 2);
	smtp_reply_parser_init(&p, 0, 0, 0);
	for (;;) {
		st = smtp_reply_parser_feed(&p, line, sizeof(line), &used, &r,
		    &err);
		if (st != SMTP_REPLY_MORE)
			break;
		lines++;
	}
	assert_int_equal(st, SMTP_REPLY_ERROR);
	assert_true(lines < 500);
	assert_non_null(strstr(err.msg, "reply longer than 65536 bytes"));
	assert_true(p.store.cap <= 2 * SMTP_REPLY_DEFAULT_MAX_BYTES);
	smtp_reply_parser_free(&p);
}

static void
test_custom_limits(void **state)
{
	static const struct {
		size_t max_line, max_lines, max_bytes;
		const char *in;
		const char *want;
	} cases[] = {
		{ 8, 0, 0, "250 1234\r\n", "250[]1{1234};" },
		{ 8, 0, 0, "250 12345\r\n",
		    "ERR(reply line longer than 8 bytes: \"250 1234...\")" },
		{ 8, 0, 0, "250 12345",
		    "ERR(reply line longer than 8 bytes: \"250 1234...\")" },
		{ 8, 0, 0, "250 123456789abcdef\r\n",
		    "ERR(reply line longer than 8 bytes: \"250 1234...\")" },
		{ 8, 0, 0, "250 1234\r", "PENDING" },
		{ 3, 0, 0, "250\r\n", "250[]1{};" },
		{ 0, 2, 0, "250-a\r\n250 b\r\n", "250[]2{a|b};" },
		{ 0, 2, 0, "250-a\r\n250-b\r\n250 c\r\n",
		    "ERR(reply has more than 2 lines: \"250 c\")" },
		{ 0, 1, 0, "250 a\r\n251 b\r\n", "250[]1{a};251[]1{b};" },
		/* Each stored line costs its length plus one. */
		{ 0, 0, 13, "250-ab\r\n250 c\r\n", "250[]2{ab|c};" },
		{ 0, 0, 13, "250-ab\r\n250 cd\r\n",
		    "ERR(reply longer than 13 bytes: \"250 cd\")" },
	};
	static const size_t chunks[] = { 0, 1, 3 };
	size_t i, k;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		for (k = 0; k < NELEM(chunks); k++) {
			struct smtp_reply_parser p;
			struct smtp_reply r;
			struct mv_error err;
			struct buf res;
			const char *in = cases[i].in;
			size_t len = strlen(in), off = 0, n, used;
			enum smtp_reply_status st;

			buf_init(&res, 0);
			smtp_reply_parser_init(&p, cases[i].max_line,
			    cases[i].max_lines, cases[i].max_bytes);
			while (off < len) {
				n = chunks[k] && len - off > chunks[k] ?
				    chunks[k] :
				    len - off;
				st = smtp_reply_parser_feed(&p, in + off, n,
				    &used, &r, &err);
				if (st == SMTP_REPLY_ERROR) {
					buf_printf(&res, "ERR(%s)", err.msg);
					break;
				}
				if (st == SMTP_REPLY_DONE)
					describe(&r, &res);
				off += used;
			}
			if (off >= len && smtp_reply_parser_pending(&p))
				buf_append_str(&res, "PENDING");
			if (strcmp(buf_cstr(&res), cases[i].want) != 0)
				fail_msg("case %zu chunk %zu:\n got  %s\n want "
					 "%s",
				    i, chunks[k], buf_cstr(&res),
				    cases[i].want);
			smtp_reply_parser_free(&p);
			buf_free(&res);
		}
	}
}

static void
test_limit_defaults_and_clamp(void **state)
{
	struct smtp_reply_parser p;

	(void)state;
	smtp_reply_parser_init(&p, 0, 0, 0);
	assert_int_equal(p.max_line, SMTP_REPLY_DEFAULT_MAX_LINE);
	assert_int_equal(p.max_lines, SMTP_REPLY_DEFAULT_MAX_LINES);
	assert_int_equal(p.max_bytes, SMTP_REPLY_DEFAULT_MAX_BYTES);
	smtp_reply_parser_free(&p);
	smtp_reply_parser_init(&p, 0, 100000, 0);
	assert_int_equal(p.max_lines, SMTP_REPLY_MAX_LINES_HARD);
	smtp_reply_parser_free(&p);
}

static void
test_max_lines_hard(void **state)
{
	struct smtp_reply_parser p;
	struct smtp_reply *r;
	struct mv_error err;
	size_t used, i;

	(void)state;
	r = malloc(sizeof(*r));
	assert_non_null(r);
	smtp_reply_parser_init(&p, 0, SMTP_REPLY_MAX_LINES_HARD, 1024 * 1024);
	for (i = 0; i + 1 < SMTP_REPLY_MAX_LINES_HARD; i++)
		assert_int_equal(smtp_reply_parser_feed(&p, "250-x\r\n", 7,
				     &used, r, &err),
		    SMTP_REPLY_MORE);
	assert_int_equal(smtp_reply_parser_feed(&p, "250 y\r\n", 7, &used, r,
			     &err),
	    SMTP_REPLY_DONE);
	assert_int_equal(r->nlines, SMTP_REPLY_MAX_LINES_HARD);
	assert_string_equal(r->lines[SMTP_REPLY_MAX_LINES_HARD - 1], "y");
	smtp_reply_parser_free(&p);
	free(r);
}

static void
test_enhanced_code(void **state)
{
	static const struct {
		const char *text;
		size_t len;
		const char *code;
	} cases[] = {
		{ "2.1.0 Ok", 5, "2.1.0" },
		{ "5.7.1", 5, "5.7.1" },
		{ "4.4.7\tdelayed", 5, "4.4.7" },
		{ "5.123.456 x", 9, "5.123.456" },
		{ "2.0.0", 5, "2.0.0" },
		{ "3.1.0 x", 0, "" },
		{ "1.1.0 x", 0, "" },
		{ "2.1000.0 x", 0, "" },
		{ "2.1.1000 x", 0, "" },
		{ "2..0 x", 0, "" },
		{ "2.1. x", 0, "" },
		{ "2.1 x", 0, "" },
		{ "2.1.0abc", 0, "" },
		{ "2.1.0.1", 0, "" },
		{ "", 0, "" },
		{ "x2.1.0", 0, "" },
		{ "25.1.0", 0, "" },
	};
	char out[16];
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		size_t n = smtp_enhanced_code_parse(cases[i].text, out,
		    sizeof(out));

		if (n != cases[i].len || strcmp(out, cases[i].code) != 0)
			fail_msg("case %zu \"%s\": %zu \"%s\"", i,
			    cases[i].text, n, out);
	}
	/* Too small an output: nothing, not a cut code. */
	assert_int_equal(smtp_enhanced_code_parse("5.123.456", out, 9), 0);
	assert_string_equal(out, "");
	assert_int_equal(smtp_enhanced_code_parse("5.123.456", out, 10), 9);
	assert_int_equal(smtp_enhanced_code_parse("2.0.0", out, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_consumed_pipelined),
		cmocka_unit_test(test_zero_and_more),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_error_consumed),
		cmocka_unit_test(test_line_limit_exact),
		cmocka_unit_test(test_one_megabyte_line),
		cmocka_unit_test(test_endless_multiline),
		cmocka_unit_test(test_byte_limit_default),
		cmocka_unit_test(test_custom_limits),
		cmocka_unit_test(test_limit_defaults_and_clamp),
		cmocka_unit_test(test_max_lines_hard),
		cmocka_unit_test(test_enhanced_code),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
