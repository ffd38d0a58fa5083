/*
 * test_message.c - unit tests for proto/message: dot-stuffing with
 * every kind of line ending, unstuffing (and why a bare-LF "." is not
 * an end of data), the generated message's headers, and header
 * injection refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "proto/message.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define TOKEN "0123456789abcdef01234567"

struct stuff_case {
	const char *in;
	size_t len; /* 0: strlen(in) */
	const char *out;
	size_t outlen; /* 0: strlen(out) */
};

static const struct stuff_case stuff_cases[] = {
	{ "", 0, ".\r\n", 0 },
	{ "a", 0, "a\r\n.\r\n", 0 },
	{ "a\r\n", 0, "a\r\n.\r\n", 0 },
	{ "a\n", 0, "a\r\n.\r\n", 0 },
	{ "a\r", 0, "a\r\n.\r\n", 0 },
	{ "a\rb", 0, "a\r\nb\r\n.\r\n", 0 },
	{ "a\nb\r\nc\rd", 0, "a\r\nb\r\nc\r\nd\r\n.\r\n", 0 },
	{ "\n\n", 0, "\r\n\r\n.\r\n", 0 },
	{ "\r\r\n", 0, "\r\n\r\n.\r\n", 0 },
	{ "\n\r", 0, "\r\n\r\n.\r\n", 0 },
	/* Leading dots, including a line that is a lone dot. */
	{ ".", 0, "..\r\n.\r\n", 0 },
	{ ".\r\n", 0, "..\r\n.\r\n", 0 },
	{ "..", 0, "...\r\n.\r\n", 0 },
	{ ".a\n.b\n", 0, "..a\r\n..b\r\n.\r\n", 0 },
	{ "a\r\n.\r\nb", 0, "a\r\n..\r\nb\r\n.\r\n", 0 },
	{ "x\n.", 0, "x\r\n..\r\n.\r\n", 0 },
	{ "a.b\n c.\n", 0, "a.b\r\n c.\r\n.\r\n", 0 },
	/* The smuggling shapes: bare LF/CR around a dot. */
	{ "a\n.\nb", 0, "a\r\n..\r\nb\r\n.\r\n", 0 },
	{ "a\r.\rb", 0, "a\r\n..\r\nb\r\n.\r\n", 0 },
	{ "a\r\n.\nMAIL FROM:<x>\r\n", 0,
	    "a\r\n..\r\nMAIL FROM:<x>\r\n.\r\n", 0 },
	/* Embedded NUL and 8-bit bytes pass through. */
	{ "a\0b", 3, "a\0b\r\n.\r\n", 8 },
	{ "\xc3\xa9\n", 0, "\xc3\xa9\r\n.\r\n", 0 },
};

/* What unstuffing must give back: line endings made CRLF and a final
 * CRLF added, nothing else. */
static void
normalise(const char *in, size_t len, struct buf *out)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (in[i] == '\r' && i + 1 < len && in[i + 1] == '\n') {
			buf_append(out, "\r\n", 2);
			i++;
		} else if (in[i] == '\r' || in[i] == '\n') {
			buf_append(out, "\r\n", 2);
		} else {
			buf_append(out, &in[i], 1);
		}
	}
	if (out->len > 0 &&
	    (out->len < 2 || memcmp(out->data + out->len - 2, "\r\n", 2)))
		buf_append(out, "\r\n", 2);
}

static void
test_dot_stuff(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(stuff_cases); i++) {
		const struct stuff_case *c = &stuff_cases[i];
		size_t len = c->len ? c->len : strlen(c->in);
		size_t outlen = c->outlen ? c->outlen : strlen(c->out);
		struct buf out;

		buf_init(&out, 0);
		assert_int_equal(smtp_dot_stuff(c->in, len, &out), 0);
		if (out.len != outlen ||
		    memcmp(buf_cstr(&out), c->out, outlen) != 0)
			fail_msg("case %zu: got %zu bytes \"%s\"", i, out.len,
			    buf_cstr(&out));
		buf_free(&out);
	}
}

static void
test_unstuff_round_trip(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(stuff_cases); i++) {
		const struct stuff_case *c = &stuff_cases[i];
		size_t len = c->len ? c->len : strlen(c->in);
		struct buf stuffed, back, want;

		buf_init(&stuffed, 0);
		buf_init(&back, 0);
		buf_init(&want, 0);
		assert_int_equal(smtp_dot_stuff(c->in, len, &stuffed), 0);
		/* Trailing bytes after the terminator are not consumed. */
		buf_append_str(&stuffed, "QUIT\r\n");
		assert_int_equal(smtp_dot_unstuff(stuffed.data, stuffed.len,
				     &back),
		    stuffed.len - 6);
		normalise(c->in, len, &want);
		if (back.len != want.len ||
		    memcmp(buf_cstr(&back), buf_cstr(&want), want.len) != 0)
			fail_msg("case %zu: got \"%s\"", i, buf_cstr(&back));
		buf_free(&stuffed);
		buf_free(&back);
		buf_free(&want);
	}
}

static void
test_unstuff_cases(void **state)
{
	static const struct {
		const char *in;
		size_t consumed;
		const char *out;
	} cases[] = {
		{ ".\r\n", 3, "" },
		{ "a\r\n.\r\n", 6, "a\r\n" },
		{ "..a\r\n.\r\n", 8, ".a\r\n" },
		/* A single unstuffed leading dot is removed too. */
		{ ".a\r\n.\r\n", 7, "a\r\n" },
		{ "a\r\n.\r\nb\r\n.\r\n", 6, "a\r\n" },
		/* Bare LF or CR around a dot does not end the data. */
		{ "a\n.\nb\r\n.\r\n", 10, "a\n.\nb\r\n" },
		{ "a\r\n.\nb\r\n.\r\n", 11, "a\r\n\nb\r\n" },
		{ "a\r.\rb\r\n.\r\n", 10, "a\r.\rb\r\n" },
		{ "a\r\n. \r\n.\r\n", 10, "a\r\n \r\n" },
		/* No terminator yet. */
		{ "", 0, "" },
		{ "a\r\n", 0, "" },
		{ "a\r\n.\r", 0, "" },
		{ "a\r\n.", 0, "" },
		{ "a\r\n.\n", 0, "" },
		{ "a\r\n..\r\n", 0, "" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		struct buf out;
		size_t n;

		buf_init(&out, 0);
		buf_append_str(&out, "keep:");
		n = smtp_dot_unstuff(cases[i].in, strlen(cases[i].in), &out);
		if (n != cases[i].consumed ||
		    strncmp(buf_cstr(&out), "keep:", 5) != 0 ||
		    strcmp(buf_cstr(&out) + 5, cases[i].out) != 0)
			fail_msg("case %zu: consumed %zu, out \"%s\"", i, n,
			    buf_cstr(&out));
		buf_free(&out);
	}
}

static void
test_stuff_limit(void **state)
{
	struct buf out;

	(void)state;
	buf_init(&out, 10);
	buf_append_str(&out, "ab");
	/* "hello\r\n.\r\n" is 10 bytes: does not fit after "ab". */
	assert_int_equal(smtp_dot_stuff("hello", 5, &out), -1);
	assert_string_equal(buf_cstr(&out), "ab");
	assert_int_equal(smtp_dot_stuff("hell", 4, &out), -1);
	assert_int_equal(smtp_dot_stuff("hel", 3, &out), 0);
	assert_string_equal(buf_cstr(&out), "abhel\r\n.\r\n");
	buf_free(&out);
}

static void
test_unstuff_limit(void **state)
{
	static const char in[] = "line one\r\nline two\r\n.\r\nQUIT\r\n";
	struct buf out;

	(void)state;
	/* Content past the maximum is dropped; the terminator is still
	 * found so the caller stays in step. */
	buf_init(&out, 12);
	assert_int_equal(smtp_dot_unstuff(in, sizeof(in) - 1, &out), 23);
	assert_true(out.len <= 12);
	assert_string_equal(buf_cstr(&out), "line one\r\n");
	buf_free(&out);
}

static void
test_stuff_large(void **state)
{
	enum { N = 1024 * 1024 };
	struct buf out, back;
	char *in;
	size_t i;

	(void)state;
	in = malloc(N);
	assert_non_null(in);
	/* A 1 MB body of short lines that all start with a dot. */
	for (i = 0; i < N; i++)
		in[i] = i % 8 == 0 ? '.' : (i % 8 == 7 ? '\n' : 'x');
	buf_init(&out, 0);
	buf_init(&back, 0);
	assert_int_equal(smtp_dot_stuff(in, N, &out), 0);
	assert_int_equal(out.len, N + N / 8 * 2 + 3);
	assert_int_equal(smtp_dot_unstuff(out.data, out.len, &back), out.len);
	assert_int_equal(back.len, N + N / 8);
	buf_free(&out);
	buf_free(&back);
	free(in);
}

static void
default_params(struct message_params *p)
{
	static const char *const to[] = { "rcpt@example.org" };

	memset(p, 0, sizeof(*p));
	p->from = "sender@example.net";
	p->to = to;
	p->nto = 1;
	p->token = TOKEN;
	p->msgid_domain = "example.net";
	p->date = 0;
}

/* The header block of a built message, for substring checks. */
static const char *
header_end(const struct buf *b)
{
	const char *end = strstr(buf_cstr(b), "\r\n\r\n");

	assert_non_null(end);
	return end;
}

static void
test_build_defaults(void **state)
{
	struct message_params p;
	struct mv_error err;
	struct buf out;
	const char *s, *end;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	default_params(&p);
	buf_init(&out, 0);
	assert_int_equal(message_build(&p, &out, &err), 0);
	s = buf_cstr(&out);
	end = header_end(&out);
	assert_true(strncmp(s, "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n",
			39) == 0);
	assert_non_null(strstr(s, "\r\nFrom: sender@example.net\r\n"));
	assert_non_null(strstr(s, "\r\nTo: rcpt@example.org\r\n"));
	assert_non_null(strstr(s, "\r\nSubject: mailvet test " TOKEN "\r\n"));
	assert_non_null(strstr(s,
	    "\r\nMessage-ID: <mailvet." TOKEN "@example.net>\r\n"));
	assert_non_null(strstr(s, "\r\nX-Mailvet-Token: " TOKEN "\r\n"));
	assert_non_null(strstr(s, "\r\nMIME-Version: 1.0\r\n"));
	assert_non_null(strstr(s,
	    "\r\nContent-Type: text/plain; charset=utf-8\r\n"));
	assert_non_null(strstr(s, "\r\nContent-Transfer-Encoding: 7bit\r\n"));
	assert_true(strstr(s, "Content-Type") < end);
	/* The generated body names the token and ends in CRLF. */
	assert_non_null(strstr(end + 4, TOKEN));
	assert_memory_equal(s + out.len - 2, "\r\n", 2);
	/* CRLF only: no bare LF or CR anywhere. */
	for (s = out.data; s < out.data + out.len; s++) {
		if (*s == '\n')
			assert_int_equal(s[-1], '\r');
		if (*s == '\r')
			assert_int_equal(s[1], '\n');
	}
	buf_free(&out);
}

static void
test_build_options(void **state)
{
	static const char *const to[] = {
		"first.recipient@example.org",
		"second.recipient@example.org",
		"third.recipient@example.org",
		"x@y",
	};
	static const char *const hdrs[] = { "X-Test: one", "Reply-To: r@x" };
	static const char body[] = "line 1\nline 2\n.dot\n\xc3\xa9";
	struct message_params p;
	struct mv_error err;
	struct buf out;
	const char *s, *line;

	(void)state;
	default_params(&p);
	p.from = "";
	p.to = to;
	p.nto = NELEM(to);
	p.subject = "Hello there";
	p.headers = hdrs;
	p.nheaders = NELEM(hdrs);
	p.body = body;
	p.body_len = sizeof(body) - 1;
	p.msgid_domain = NULL;
	buf_init(&out, 0);
	assert_int_equal(message_build(&p, &out, &err), 0);
	s = buf_cstr(&out);
	assert_non_null(strstr(s, "\r\nFrom: mailvet <mailvet@mailvet.invalid>"
				  "\r\n"));
	assert_non_null(strstr(s, "\r\nSubject: Hello there\r\n"));
	assert_non_null(strstr(s, "@mailvet.invalid>\r\n"));
	assert_non_null(strstr(s, "\r\nX-Test: one\r\nReply-To: r@x\r\n\r\n"));
	assert_non_null(strstr(s, "\r\nContent-Transfer-Encoding: 8bit\r\n"));
	/* Body line endings made CRLF; dots untouched (that is DATA's
	 * business, not the message's). */
	assert_non_null(strstr(s, "\r\n\r\nline 1\r\nline 2\r\n.dot\r\n"
				  "\xc3\xa9\r\n"));
	/* To: folded, no header line longer than 78. */
	line = strstr(s, "To: ");
	assert_non_null(line);
	assert_non_null(strstr(line, ",\r\n "));
	for (line = s; *line != '\0';) {
		size_t n = strcspn(line, "\r");

		if (strncmp(line, "\r\n", 2) == 0)
			break;
		assert_true(n <= 78);
		line += n + 2;
	}
	buf_free(&out);
}

/* A user header replaces the generated one of the same name, so that
 * each of Date, From, To, Subject and Message-ID appears once. */
static void
test_build_user_header_overrides(void **state)
{
	static const char *const hdrs[] = { "subject: mine",
		"Message-ID: <own@example.org>", "X-Extra: 1" };
	struct message_params p;
	struct mv_error err;
	struct buf out;
	const char *s;

	(void)state;
	default_params(&p);
	p.subject = "generated";
	p.headers = hdrs;
	p.nheaders = 3;
	buf_init(&out, 0);
	assert_int_equal(message_build(&p, &out, &err), 0);
	s = buf_cstr(&out);
	assert_null(strstr(s, "Subject: generated"));
	assert_non_null(strstr(s, "\r\nsubject: mine\r\n"));
	assert_null(strstr(s, "<mailvet." TOKEN));
	assert_non_null(strstr(s, "\r\nMessage-ID: <own@example.org>\r\n"));
	/* The token header stays, so the message can still be found. */
	assert_non_null(strstr(s, "\r\nX-Mailvet-Token: " TOKEN "\r\n"));
	assert_string_equal(message_user_header(&p, "SUBJECT"), "mine");
	assert_string_equal(message_user_header(&p, "message-id"),
	    "<own@example.org>");
	assert_null(message_user_header(&p, "X-Extr"));
	assert_null(message_user_header(&p, "Date"));
	buf_free(&out);
}

static void
test_build_no_recipients(void **state)
{
	struct message_params p;
	struct mv_error err;
	struct buf out;

	(void)state;
	default_params(&p);
	p.to = NULL;
	p.nto = 0;
	p.body = "";
	p.body_len = 0;
	buf_init(&out, 0);
	assert_int_equal(message_build(&p, &out, &err), 0);
	assert_non_null(strstr(buf_cstr(&out),
	    "\r\nTo: undisclosed-recipients:;\r\n"));
	/* An empty body: the message ends with the blank line. */
	assert_memory_equal(out.data + out.len - 4, "\r\n\r\n", 4);
	buf_free(&out);
}

static void
test_build_injection(void **state)
{
	static const char *const bad_to[] = { "ok@x", "a@x\r\nBcc: evil@x" };
	static const char *const bad_hdr[] = { "X-A: 1\nX-B: 2" };
	static const char *const no_colon[] = { "X-A 1" };
	static const char *const empty_name[] = { ": value" };
	static const char *const space_name[] = { "X A: value" };
	struct message_params p;
	struct mv_error err;
	struct buf out;
	char longsub[1200];

	(void)state;
	buf_init(&out, 0);
	buf_append_str(&out, "untouched");

	default_params(&p);
	p.subject = "hi\r\nBcc: evil@example.org";
	assert_int_equal(message_build(&p, &out, &err), -1);
	assert_int_equal(err.cat, MV_ERR_USAGE);
	assert_non_null(strstr(err.msg, "subject contains a line break"));

	default_params(&p);
	p.from = "a@x\nX-Evil: 1";
	assert_int_equal(message_build(&p, &out, &err), -1);
	assert_non_null(strstr(err.msg, "sender"));

	default_params(&p);
	p.to = bad_to;
	p.nto = 2;
	assert_int_equal(message_build(&p, &out, &err), -1);
	assert_non_null(strstr(err.msg, "recipient"));

	default_params(&p);
	p.msgid_domain = "x\r";
	assert_int_equal(message_build(&p, &out, &err), -1);

	default_params(&p);
	p.headers = bad_hdr;
	p.nheaders = 1;
	assert_int_equal(message_build(&p, &out, &err), -1);
	assert_non_null(strstr(err.msg, "line break"));

	default_params(&p);
	p.headers = no_colon;
	p.nheaders = 1;
	assert_int_equal(message_build(&p, &out, &err), -1);
	assert_non_null(strstr(err.msg, "'X-A 1' is not of the form"));
	p.headers = empty_name;
	assert_int_equal(message_build(&p, &out, &err), -1);
	p.headers = space_name;
	assert_int_equal(message_build(&p, &out, &err), -1);

	default_params(&p);
	memset(longsub, 's', sizeof(longsub) - 1);
	longsub[sizeof(longsub) - 1] = '\0';
	p.subject = longsub;
	assert_int_equal(message_build(&p, &out, &err), -1);
	assert_non_null(strstr(err.msg, "longer than"));

	default_params(&p);
	p.token = "not-a-token";
	assert_int_equal(message_build(&p, &out, &err), -1);
	assert_non_null(strstr(err.msg, "24 hexadecimal"));
	p.token = TOKEN "0";
	assert_int_equal(message_build(&p, &out, &err), -1);
	p.token = NULL;
	assert_int_equal(message_build(&p, &out, &err), -1);

	/* Nothing was written by any refused build. */
	assert_string_equal(buf_cstr(&out), "untouched");
	buf_free(&out);
}

static void
test_build_buffer_full(void **state)
{
	struct message_params p;
	struct mv_error err;
	struct buf out;

	(void)state;
	default_params(&p);
	buf_init(&out, 100);
	buf_append_str(&out, "x");
	assert_int_equal(message_build(&p, &out, &err), -1);
	assert_int_equal(err.cat, MV_ERR_USAGE);
	assert_string_equal(err.msg, "the message is larger than 100 bytes");
	assert_string_equal(buf_cstr(&out), "x");
	buf_free(&out);
}

static void
test_token(void **state)
{
	char a[MESSAGE_TOKEN_LEN + 1], b[MESSAGE_TOKEN_LEN + 1];
	struct mv_error err;
	size_t i;

	(void)state;
	assert_int_equal(message_token_new(a, &err), 0);
	assert_int_equal(message_token_new(b, &err), 0);
	assert_int_equal(strlen(a), MESSAGE_TOKEN_LEN);
	for (i = 0; i < MESSAGE_TOKEN_LEN; i++)
		assert_non_null(strchr("0123456789abcdef", a[i]));
	assert_string_not_equal(a, b);
}

static void
test_date(void **state)
{
	static const struct {
		const char *tz;
		time_t t;
		const char *want;
	} cases[] = {
		{ "UTC", 0, "Thu, 01 Jan 1970 00:00:00 +0000" },
		{ "UTC", 1795615380, "Wed, 25 Nov 2026 14:03:00 +0000" },
		{ "XYZ-02:30", 0, "Thu, 01 Jan 1970 02:30:00 +0230" },
		{ "XYZ+05", 0, "Wed, 31 Dec 1969 19:00:00 -0500" },
		{ "UTC", 951782400, "Tue, 29 Feb 2000 00:00:00 +0000" },
	};
	char out[64];
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		setenv("TZ", cases[i].tz, 1);
		tzset();
		message_format_date(cases[i].t, out, sizeof(out));
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("case %zu: \"%s\"", i, out);
	}
	/* Short buffers are cut, never overflowed. */
	memset(out, 'Z', sizeof(out));
	message_format_date(0, out, 4);
	assert_string_equal(out, "Thu");
	assert_int_equal(out[4], 'Z');
	message_format_date(0, out, 0);
	setenv("TZ", "UTC", 1);
	tzset();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dot_stuff),
		cmocka_unit_test(test_unstuff_round_trip),
		cmocka_unit_test(test_unstuff_cases),
		cmocka_unit_test(test_stuff_limit),
		cmocka_unit_test(test_unstuff_limit),
		cmocka_unit_test(test_stuff_large),
		cmocka_unit_test(test_build_defaults),
		cmocka_unit_test(test_build_options),
		cmocka_unit_test(test_build_user_header_overrides),
		cmocka_unit_test(test_build_no_recipients),
		cmocka_unit_test(test_build_injection),
		cmocka_unit_test(test_build_buffer_full),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_date),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
