/*
 * test_pop3_reply.c - unit tests for proto/pop3_reply.
 *
 * Most cases are a table of server output, which responses are expected
 * to be multi-line, and the responses (or error) it must produce; every
 * case is run with the input fed whole and cut into pieces of every
 * size from 1 byte up to its length, and all runs must describe the
 * same outcome.  Then *consumed, pointer lifetimes, reset, the limits
 * (a 1 MB status line, a body over the limit, an endless body) and the
 * APOP timestamp.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "proto/pop3_reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Bytes as text: CRLF as "|" (in bodies), the rest escaped. */
static void
describe_bytes(struct buf *res, const char *p, size_t n, int crlf_bar)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (crlf_bar && c == '\r' && i + 1 < n && p[i + 1] == '\n') {
			buf_append_str(res, "|");
			i++;
		} else if (c < 0x20 || c >= 0x7f) {
			buf_printf(res, "\\x%02x", c);
		} else {
			buf_append(res, &p[i], 1);
		}
	}
}

static size_t
count_crlf(const struct buf *b)
{
	size_t i, n = 0;

	for (i = 0; i + 1 < b->len; i++)
		if (b->data[i] == '\r' && b->data[i + 1] == '\n')
			n++;
	return n;
}

/* One response as text: OK[code]{text}, then for a multi-line one
 * N<body>, then lfN for bare LFs, then ";". */
static void
describe(const struct pop3_response *r, struct buf *res)
{
	static const char *const names[] = { "OK", "ERR", "CONT" };
	size_t rawlen = strlen(r->raw);

	/* The header's promises. */
	assert_true(r->text >= r->raw && r->text <= r->raw + rawlen);
	switch (r->status) {
	case POP3_STATUS_OK:
		assert_memory_equal(r->raw, "+OK", 3);
		break;
	case POP3_STATUS_ERR:
		assert_memory_equal(r->raw, "-ERR", 4);
		break;
	case POP3_STATUS_CONT:
		assert_int_equal(r->raw[0], '+');
		assert_true(r->raw[1] == '\0' || r->raw[1] == ' ');
		assert_string_equal(r->code, "");
		break;
	}
	assert_true(strlen(r->code) < sizeof(r->code));
	if (r->multiline) {
		assert_int_equal(r->status, POP3_STATUS_OK);
		assert_non_null(r->body);
		assert_int_equal(count_crlf(r->body), r->body_lines);
		if (r->body->len)
			assert_memory_equal(r->body->data + r->body->len - 2,
			    "\r\n", 2);
	} else {
		assert_null(r->body);
	}
	buf_printf(res, "%s[%s]{", names[r->status], r->code);
	describe_bytes(res, r->text, strlen(r->text), 0);
	buf_append_str(res, "}");
	if (r->multiline) {
		buf_printf(res, "%zu<", r->body_lines);
		describe_bytes(res, r->body->data, r->body->len, 1);
		buf_append_str(res, ">");
	}
	if (r->bare_lf)
		buf_printf(res, "lf%zu", r->bare_lf);
	buf_append_str(res, ";");
}

/* Whether response number i is expected to be multi-line: expect is a
 * string of 'M' and 'S', the last letter repeating. */
static int
expect_multi(const char *expect, size_t i)
{
	size_t n = strlen(expect);

	if (n == 0)
		return 0;
	return expect[i < n ? i : n - 1] == 'M';
}

/* Feed in pieces of `chunk` bytes (0: all at once), describing every
 * response, the first error, and whether bytes are left pending. */
static void
run(const char *in, size_t len, const char *expect, size_t max_line,
    size_t max_body, size_t chunk, struct buf *res)
{
	struct pop3_reader r;
	struct pop3_response out;
	struct mv_error err;
	size_t off = 0, n, pos, used, nresp = 0;
	enum pop3_read_status st;

	pop3_reader_init(&r, max_line, max_body);
	pop3_reader_expect(&r, expect_multi(expect, 0));
	while (off < len) {
		n = chunk && len - off > chunk ? chunk : len - off;
		for (pos = 0; pos < n;) {
			st = pop3_reader_feed(&r, in + off + pos, n - pos,
			    &used, &out, &err);
			assert_true(used <= n - pos);
			if (st == POP3_READ_ERROR) {
				assert_int_equal(err.cat, MV_ERR_PROTOCOL);
				buf_printf(res, "ERR(%s)", err.msg);
				assert_false(pop3_reader_pending(&r));
				pop3_reader_free(&r);
				return;
			}
			if (st == POP3_READ_MORE) {
				assert_int_equal(used, n - pos);
			} else {
				assert_true(used > 0);
				describe(&out, res);
				nresp++;
				pop3_reader_expect(&r,
				    expect_multi(expect, nresp));
			}
			pos += used;
		}
		off += n;
	}
	if (pop3_reader_pending(&r))
		buf_append_str(res, "PENDING");
	pop3_reader_free(&r);
}

struct reply_case {
	const char *expect; /* "S", "M", "MS", ... */
	const char *in;
	size_t len;         /* 0: strlen(in) */
	const char *want;
};

static const struct reply_case reply_cases[] = {
	/* Status lines. */
	{ "S", "+OK POP3 server ready\r\n", 0, "OK[]{POP3 server ready};" },
	{ "S", "+OK\r\n", 0, "OK[]{};" },
	{ "S", "+OK \r\n", 0, "OK[]{};" },
	{ "S", "+OK   spaced\r\n", 0, "OK[]{spaced};" },
	{ "S", "-ERR\r\n", 0, "ERR[]{};" },
	{ "S", "-ERR no such message\r\n", 0, "ERR[]{no such message};" },
	{ "S", "+OK 2 320\r\n", 0, "OK[]{2 320};" },
	{ "S", "+OK tab\there caf\xc3\xa9\r\n", 0,
	    "OK[]{tab\\x09here caf\\xc3\\xa9};" },
	/* Extended response codes (RFC 2449 8, RFC 3206). */
	{ "S", "-ERR [AUTH] Authentication failed.\r\n", 0,
	    "ERR[AUTH]{Authentication failed.};" },
	{ "S", "-ERR [SYS/TEMP] Try again later\r\n", 0,
	    "ERR[SYS/TEMP]{Try again later};" },
	{ "S", "-ERR [SYS/PERM] Mailbox is broken\r\n", 0,
	    "ERR[SYS/PERM]{Mailbox is broken};" },
	{ "S", "-ERR [IN-USE] Mailbox is locked\r\n", 0,
	    "ERR[IN-USE]{Mailbox is locked};" },
	{ "S", "-ERR [LOGIN-DELAY] Wait 5 minutes\r\n", 0,
	    "ERR[LOGIN-DELAY]{Wait 5 minutes};" },
	{ "S", "+OK [XYZ]\r\n", 0, "OK[XYZ]{};" },
	{ "S", "-ERR [AUTH]text\r\n", 0, "ERR[AUTH]{text};" },
	{ "S", "-ERR [A/B/C] x\r\n", 0, "ERR[A/B/C]{x};" },
	{ "S", "-ERR [ABCDEFGHIJKLMNOPQRSTUVWXYZ01234] x\r\n", 0,
	    "ERR[ABCDEFGHIJKLMNOPQRSTUVWXYZ01234]{x};" },
	/* Not codes: the text keeps them. */
	{ "S", "-ERR [ABCDEFGHIJKLMNOPQRSTUVWXYZ012345] x\r\n", 0,
	    "ERR[]{[ABCDEFGHIJKLMNOPQRSTUVWXYZ012345] x};" },
	{ "S", "-ERR [AUTH no bracket\r\n", 0, "ERR[]{[AUTH no bracket};" },
	{ "S", "-ERR []\r\n", 0, "ERR[]{[]};" },
	{ "S", "-ERR [A B] x\r\n", 0, "ERR[]{[A B] x};" },
	{ "S", "-ERR [A//B] x\r\n", 0, "ERR[]{[A//B] x};" },
	{ "S", "-ERR [/A] x\r\n", 0, "ERR[]{[/A] x};" },
	{ "S", "-ERR [A/] x\r\n", 0, "ERR[]{[A/] x};" },
	{ "S", "-ERR [A[B] x\r\n", 0, "ERR[]{[A[B] x};" },
	{ "S", "-ERR x [AUTH]\r\n", 0, "ERR[]{x [AUTH]};" },
	/* SASL continuations (RFC 5034 4), never with a code. */
	{ "S", "+ \r\n", 0, "CONT[]{};" },
	{ "S", "+\r\n", 0, "CONT[]{};" },
	{ "S", "+ dGVzdA==\r\n", 0, "CONT[]{dGVzdA==};" },
	{ "M", "+ cj1hYmM=\r\n", 0, "CONT[]{cj1hYmM=};" },
	{ "S", "+ [AUTH] x\r\n", 0, "CONT[]{[AUTH] x};" },
	/* Multi-line responses. */
	{ "M", "+OK 2 messages\r\n1 120\r\n2 200\r\n.\r\n", 0,
	    "OK[]{2 messages}2<1 120|2 200|>;" },
	{ "M", "+OK\r\n.\r\n", 0, "OK[]{}0<>;" },
	{ "M", "+OK\r\n\r\n.\r\n", 0, "OK[]{}1<|>;" },
	{ "M", "+OK Capability list follows\r\nTOP\r\nUSER\r\n"
	       "SASL PLAIN SCRAM-SHA-256\r\nRESP-CODES\r\nSTLS\r\n.\r\n", 0,
	    "OK[]{Capability list follows}5<TOP|USER|SASL PLAIN "
	    "SCRAM-SHA-256|RESP-CODES|STLS|>;" },
	/* -ERR and continuations are single lines even when a body was
	 * expected. */
	{ "M", "-ERR no such message\r\n", 0, "ERR[]{no such message};" },
	{ "M", "-ERR [SYS/TEMP] x\r\n.\r\n", 0,
	    "ERR[SYS/TEMP]{x};ERR(status line does not start with +OK, -ERR "
	    "or \"+ \": \".\")" },
	/* Dot-unstuffing: only the first dot goes, "." alone ends. */
	{ "M", "+OK\r\n..\r\n...\r\n..x\r\n.x\r\n. \r\nx.\r\n.\r\n", 0,
	    "OK[]{}6<.|..|.x|x| |x.|>;" },
	{ "M", "+OK\r\n.\r\n.\r\n", 0,
	    "OK[]{}0<>;ERR(status line does not start with +OK, -ERR or "
	    "\"+ \": \".\")" },
	{ "M", "+OK\r\n.\r\r\n.\r\n", 0, "OK[]{}1<\\x0d|>;" },
	{ "M", "+OK\r\n.. \r\n.\n", 0, "OK[]{}1<. |>lf1;" },
	/* Body lines carry anything: NUL, controls, long lines. */
	{ "M", "+OK\r\na\0b\x1b\r\n.\r\n", 14,
	    "OK[]{}1<a\\x00b\\x1b|>;" },
	{ "M", "+OK\r\na\rb\r\n.\r\n", 0, "OK[]{}1<a\\x0db|>;" },
	/* Bare LF is accepted and counted, everywhere. */
	{ "M", "+OK\n1 2\n.\n", 0, "OK[]{}1<1 2|>lf3;" },
	{ "M", "+OK\r\na\nb\r\n.\r\n", 0, "OK[]{}2<a|b|>lf1;" },
	{ "S", "-ERR x\n", 0, "ERR[]{x}lf1;" },
	/* Pipelined responses in one read come out one at a time, each
	 * as its command expects. */
	{ "MS", "+OK\r\na\r\n.\r\n+OK done\r\n", 0,
	    "OK[]{}1<a|>;OK[]{done};" },
	{ "SM", "-ERR x\r\n+OK\r\nb\r\n.\r\n", 0,
	    "ERR[]{x};OK[]{}1<b|>;" },
	{ "SMS", "+OK 1 5\r\n+OK\n1 5\n.\n+OK bye\r\n", 0,
	    "OK[]{1 5};OK[]{}1<1 5|>lf3;OK[]{bye};" },
	{ "M", "+OK\r\nx\r\n.\r\n-ERR y\r\n+OK\r\n.\r\n", 0,
	    "OK[]{}1<x|>;ERR[]{y};OK[]{}0<>;" },
	{ "S", "+OK a\r\n+OK b\r\n-ERR c\r\n+ d\r\n", 0,
	    "OK[]{a};OK[]{b};ERR[]{c};CONT[]{d};" },
	/* Incomplete input is pending, not an error. */
	{ "S", "+OK", 0, "PENDING" },
	{ "S", "+OK\r", 0, "PENDING" },
	{ "M", "+OK\r\n", 0, "PENDING" },
	{ "M", "+OK\r\na\r\n", 0, "PENDING" },
	{ "M", "+OK\r\na\r\n.", 0, "PENDING" },
	{ "M", "+OK\r\na\r\n.\r", 0, "PENDING" },
	{ "S", "+OK a\r\n-E", 0, "OK[]{a};PENDING" },
	{ "S", "", 0, "" },
	/* Malformed status lines. */
	{ "S", "OK\r\n", 0, "ERR(status line does not start with +OK, -ERR "
			    "or \"+ \": \"OK\")" },
	{ "S", "+OKAY\r\n", 0, "ERR(status line does not start with +OK, "
			       "-ERR or \"+ \": \"+OKAY\")" },
	{ "S", "+ok\r\n", 0, "ERR(status line does not start with +OK, -ERR "
			     "or \"+ \": \"+ok\")" },
	{ "S", "-ERROR\r\n", 0, "ERR(status line does not start with +OK, "
				"-ERR or \"+ \": \"-ERROR\")" },
	{ "S", "-\r\n", 0, "ERR(status line does not start with +OK, -ERR or "
			   "\"+ \": \"-\")" },
	{ "S", "\r\n", 0, "ERR(status line does not start with +OK, -ERR or "
			  "\"+ \": \"\")" },
	{ "S", "\n", 0, "ERR(status line does not start with +OK, -ERR or "
			"\"+ \": \"\")" },
	{ "S", " +OK\r\n", 0, "ERR(status line does not start with +OK, -ERR "
			      "or \"+ \": \" +OK\")" },
	{ "S", "+OK\tx\r\n", 0, "ERR(status line does not start with +OK, "
				"-ERR or \"+ \": \"+OK\\x09x\")" },
	{ "S", "* OK [CAPABILITY IMAP4rev1] ready\r\n", 0,
	    "ERR(status line does not start with +OK, -ERR or \"+ \": \"* OK "
	    "[CAPABILITY IMAP4rev1] ready\")" },
	{ "S", "220 mail.example.org ESMTP\r\n", 0,
	    "ERR(status line does not start with +OK, -ERR or \"+ \": \"220 "
	    "mail.example.org ESMTP\")" },
	{ "S", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n", 13,
	    "ERR(status line does not start with +OK, -ERR or \"+ \": "
	    "\"\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xfc\\x03\\x03\")" },
	{ "S", "+OK a\x01" "b\r\n", 0, "ERR(status line contains a control "
				       "character: \"+OK a\\x01b\")" },
	{ "S", "+OK \x1b[2J\r\n", 0, "ERR(status line contains a control "
				     "character: \"+OK \\x1b[2J\")" },
	{ "S", "-ERR a\rb\r\n", 0, "ERR(status line contains a control "
				   "character: \"-ERR a\\x0db\")" },
	{ "S", "+OK a\x7f\r\n", 0, "ERR(status line contains a control "
				   "character: \"+OK a\\x7f\")" },
	{ "S", "+OK a\0b\r\n", 9, "ERR(status line contains a NUL byte: "
				  "\"+OK a\\x00b\")" },
	{ "S", "+ a\0\r\n", 6, "ERR(status line contains a NUL byte: "
			       "\"+ a\\x00\")" },
	{ "S", "+OK\r\r\n", 0, "ERR(status line does not start with +OK, "
			       "-ERR or \"+ \": \"+OK\\x0d\")" },
	/* A body where none was expected is not a status line. */
	{ "S", "+OK\r\n1 2\r\n.\r\n", 0,
	    "OK[]{};ERR(status line does not start with +OK, -ERR or \"+ \": "
	    "\"1 2\")" },
	{ "S", "+OK a\r\nbad\r\n+OK b\r\n", 0,
	    "OK[]{a};ERR(status line does not start with +OK, -ERR or \"+ \": "
	    "\"bad\")" },
	/* Long bad lines are quoted only in part. */
	{ "S", "0123456789012345678901234567890123456789012345\r\n", 0,
	    "ERR(status line does not start with +OK, -ERR or \"+ \": "
	    "\"0123456789012345678901234567890123456789...\")" },
};

static void
test_table(void **state)
{
	size_t i, k, len;

	(void)state;
	for (i = 0; i < NELEM(reply_cases); i++) {
		const struct reply_case *c = &reply_cases[i];

		len = c->len ? c->len : strlen(c->in);
		/* 0 is "all at once"; then every piece size. */
		for (k = 0; k <= len; k++) {
			struct buf res;

			buf_init(&res, 0);
			run(c->in, len, c->expect, 0, 0, k, &res);
			if (strcmp(buf_cstr(&res), c->want) != 0)
				fail_msg("case %zu chunk %zu:\n got  %s\n want "
					 "%s",
				    i, k, buf_cstr(&res), c->want);
			buf_free(&res);
		}
	}
}

/* Small limits, at the exact boundary, in every chunking. */
struct limit_case {
	size_t max_line, max_body;
	const char *expect;
	const char *in;
	const char *want;
};

static const struct limit_case limit_cases[] = {
	/* A status line of exactly max_line passes, one more fails. */
	{ 8, 0, "S", "+OK 1234\r\n", "OK[]{1234};" },
	{ 8, 0, "S", "+OK 1234\n", "OK[]{1234}lf1;" },
	{ 8, 0, "S", "+OK 12345\r\n",
	    "ERR(status line longer than 8 bytes: \"+OK 1234...\")" },
	{ 8, 0, "S", "+OK 12345\n",
	    "ERR(status line longer than 8 bytes: \"+OK 1234...\")" },
	{ 8, 0, "S", "+OK 12345",
	    "ERR(status line longer than 8 bytes: \"+OK 1234...\")" },
	/* The CR of a CRLF is not content. */
	{ 8, 0, "S", "+OK 1234\r", "PENDING" },
	{ 8, 0, "S", "+OK 1234\r\r\n",
	    "ERR(status line longer than 8 bytes: \"+OK 1234...\")" },
	/* Body lines are not bound by max_line, only by max_body. */
	{ 8, 0, "M", "+OK\r\n0123456789abcdef0123456789\r\n.\r\n",
	    "OK[]{}1<0123456789abcdef0123456789|>;" },
	/* max_body counts the unstuffed body with CRLF line ends. */
	{ 0, 12, "M", "+OK\r\n1234\r\nabcd\r\n.\r\n",
	    "OK[]{}2<1234|abcd|>;" },
	{ 0, 12, "M", "+OK\n1234\nabcd\n.\n", "OK[]{}2<1234|abcd|>lf4;" },
	{ 0, 12, "M", "+OK\r\n1234\r\nabcde\r\n.\r\n",
	    "ERR(multi-line response larger than 12 bytes (the server never "
	    "sent the final \".\"))" },
	{ 0, 12, "M", "+OK\r\n1234\r\nabcde",
	    "ERR(multi-line response larger than 12 bytes (the server never "
	    "sent the final \".\"))" },
	{ 0, 12, "M", "+OK\r\n..345\r\n.bcde\r\n.\r\n",
	    "OK[]{}2<.345|bcde|>;" },
	{ 0, 12, "M", "+OK\r\n1234\r\n..bcde\r\n.\r\n",
	    "ERR(multi-line response larger than 12 bytes (the server never "
	    "sent the final \".\"))" },
	/* The terminator costs nothing, even when the body is full. */
	{ 0, 12, "M", "+OK\r\n1234\r\nabcd\r\n.\r", "PENDING" },
	{ 0, 12, "M", "+OK\r\n1234\r\nabcd\r\n", "PENDING" },
	{ 0, 12, "M", "+OK\r\n1234\r\nabcd\r\n\r\n",
	    "ERR(multi-line response larger than 12 bytes (the server never "
	    "sent the final \".\"))" },
	{ 0, 2, "M", "+OK\r\n\r\n.\r\n", "OK[]{}1<|>;" },
	{ 0, 1, "M", "+OK\r\n.\r\n", "OK[]{}0<>;" },
	{ 0, 1, "M", "+OK\r\n\r\n",
	    "ERR(multi-line response larger than 1 bytes (the server never "
	    "sent the final \".\"))" },
	{ 0, 1, "M", "+OK\n\n",
	    "ERR(multi-line response larger than 1 bytes (the server never "
	    "sent the final \".\"))" },
	{ 0, 12, "M", "+OK\r\n1234\r\nabcd\r\n\n",
	    "ERR(multi-line response larger than 12 bytes (the server never "
	    "sent the final \".\"))" },
	/* The limit is per response. */
	{ 0, 6, "M", "+OK\r\n1234\r\n.\r\n+OK\r\nabcd\r\n.\r\n",
	    "OK[]{}1<1234|>;OK[]{}1<abcd|>;" },
};

static void
test_limits_table(void **state)
{
	size_t i, k, len;

	(void)state;
	for (i = 0; i < NELEM(limit_cases); i++) {
		const struct limit_case *c = &limit_cases[i];

		len = strlen(c->in);
		for (k = 0; k <= len; k++) {
			struct buf res;

			buf_init(&res, 0);
			run(c->in, len, c->expect, c->max_line, c->max_body, k,
			    &res);
			if (strcmp(buf_cstr(&res), c->want) != 0)
				fail_msg("case %zu chunk %zu:\n got  %s\n want "
					 "%s",
				    i, k, buf_cstr(&res), c->want);
			buf_free(&res);
		}
	}
}

static void
test_consumed_pipelined(void **state)
{
	static const char in[] = "+OK 2 msgs\r\n1 5\n2 7\r\n.\r\n-ERR no\r\n"
				 "+OK bye\r\n";
	struct pop3_reader r;
	struct pop3_response out;
	struct mv_error err;
	size_t used, off = 0, len = sizeof(in) - 1;

	(void)state;
	pop3_reader_init(&r, 0, 0);
	pop3_reader_expect(&r, 1);
	assert_int_equal(pop3_reader_feed(&r, in, len, &used, &out, &err),
	    POP3_READ_DONE);
	assert_int_equal(used, 24);
	assert_true(out.multiline);
	assert_int_equal(out.body_lines, 2);
	assert_int_equal(out.bare_lf, 1);
	assert_string_equal(buf_cstr(out.body), "1 5\r\n2 7\r\n");
	assert_string_equal(out.raw, "+OK 2 msgs");
	assert_string_equal(out.text, "2 msgs");
	/* The rest belongs to later responses: nothing is pending. */
	assert_false(pop3_reader_pending(&r));
	off += used;
	pop3_reader_expect(&r, 1);
	assert_int_equal(pop3_reader_feed(&r, in + off, len - off, &used, &out,
			     &err),
	    POP3_READ_DONE);
	assert_int_equal(used, 9);
	assert_int_equal(out.status, POP3_STATUS_ERR);
	assert_false(out.multiline);
	assert_null(out.body);
	/* bare_lf counts per response. */
	assert_int_equal(out.bare_lf, 0);
	off += used;
	pop3_reader_expect(&r, 0);
	assert_int_equal(pop3_reader_feed(&r, in + off, len - off, &used, &out,
			     &err),
	    POP3_READ_DONE);
	assert_int_equal(used, 9);
	assert_string_equal(out.text, "bye");
	assert_int_equal(off + used, len);
	pop3_reader_free(&r);
}

static void
test_lifetime_and_pending(void **state)
{
	struct pop3_reader r;
	struct pop3_response out;
	struct mv_error err;
	size_t used = 99;

	(void)state;
	pop3_reader_init(&r, 0, 0);
	pop3_reader_expect(&r, 1);
	assert_int_equal(pop3_reader_feed(&r, "", 0, &used, &out, &err),
	    POP3_READ_MORE);
	assert_int_equal(used, 0);
	assert_false(pop3_reader_pending(&r));
	/* The status line alone is pending while the body is awaited. */
	assert_int_equal(pop3_reader_feed(&r, "+OK\r\n", 5, &used, &out,
			     &err),
	    POP3_READ_MORE);
	assert_int_equal(used, 5);
	assert_true(pop3_reader_pending(&r));
	assert_int_equal(pop3_reader_feed(&r, "x\r\n.", 4, &used, &out, &err),
	    POP3_READ_MORE);
	assert_true(pop3_reader_pending(&r));
	assert_int_equal(pop3_reader_feed(&r, "\r\n", 2, &used, &out, &err),
	    POP3_READ_DONE);
	assert_int_equal(used, 2);
	assert_false(pop3_reader_pending(&r));
	assert_string_equal(out.raw, "+OK");
	assert_string_equal(out.text, "");
	assert_string_equal(buf_cstr(out.body), "x\r\n");
	/* Still valid after a feed of nothing... */
	assert_string_equal(buf_cstr(out.body), "x\r\n");
	/* ...and replaced by the next response. */
	pop3_reader_expect(&r, 0);
	assert_int_equal(pop3_reader_feed(&r, "-ERR [IN-USE] locked\r\n", 22,
			     &used, &out, &err),
	    POP3_READ_DONE);
	assert_string_equal(out.code, "IN-USE");
	assert_string_equal(out.text, "locked");
	assert_string_equal(out.raw, "-ERR [IN-USE] locked");
	pop3_reader_free(&r);
	pop3_reader_free(NULL);
}

static void
test_reset(void **state)
{
	struct pop3_reader r;
	struct pop3_response out;
	struct mv_error err;
	size_t used;

	(void)state;
	pop3_reader_init(&r, 0, 0);
	pop3_reader_expect(&r, 1);
	pop3_reader_feed(&r, "+OK\r\nabc\r\nde", 12, &used, &out, &err);
	assert_true(pop3_reader_pending(&r));
	pop3_reader_reset(&r);
	assert_false(pop3_reader_pending(&r));
	/* After STLS: a fresh start, the expectation kept. */
	assert_int_equal(pop3_reader_feed(&r, "+OK\r\nSTLS\r\n.\r\n", 14,
			     &used, &out, &err),
	    POP3_READ_DONE);
	assert_int_equal(out.body_lines, 1);
	assert_string_equal(buf_cstr(out.body), "STLS\r\n");
	/* After an error the reader has forgotten everything and works
	 * again. */
	pop3_reader_expect(&r, 0);
	assert_int_equal(pop3_reader_feed(&r, "xx\r\n+OK", 7, &used, &out,
			     &err),
	    POP3_READ_ERROR);
	assert_int_equal(used, 4);
	assert_false(pop3_reader_pending(&r));
	pop3_reader_reset(&r);
	assert_int_equal(pop3_reader_feed(&r, "+OK bye\r\n", 9, &used, &out,
			     &err),
	    POP3_READ_DONE);
	assert_string_equal(out.text, "bye");
	pop3_reader_free(&r);
}

static void
test_one_megabyte_status_line(void **state)
{
	enum { N = 1024 * 1024 };
	/* Only the first 40 bytes are quoted, however the line came. */
	static const char want[] = "status line longer than 8192 bytes: "
				   "\"+OK AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
				   "...\"";
	struct pop3_reader r;
	struct pop3_response out;
	struct mv_error err;
	enum pop3_read_status st = POP3_READ_MORE;
	size_t used, off;
	char *in;

	(void)state;
	in = malloc(N + 2);
	assert_non_null(in);
	memcpy(in, "+OK ", 4);
	memset(in + 4, 'A', N - 4);
	memcpy(in + N, "\r\n", 2);

	/* All at once, with its CRLF: the whole line is consumed. */
	pop3_reader_init(&r, 0, 0);
	assert_int_equal(pop3_reader_feed(&r, in, N + 2, &used, &out, &err),
	    POP3_READ_ERROR);
	assert_int_equal(used, N + 2);
	assert_string_equal(err.msg, want);
	pop3_reader_free(&r);

	/* In 1 KB reads: refused as soon as it cannot fit, having held
	 * no more than the limit. */
	pop3_reader_init(&r, 0, 0);
	for (off = 0; off < N; off += 1024) {
		st = pop3_reader_feed(&r, in + off, 1024, &used, &out, &err);
		if (st == POP3_READ_ERROR)
			break;
		assert_int_equal(st, POP3_READ_MORE);
		assert_true(r.line.cap <= 2 * POP3_DEFAULT_MAX_LINE + 2);
	}
	assert_int_equal(st, POP3_READ_ERROR);
	assert_int_equal(off, 8 * 1024);
	assert_string_equal(err.msg, want);
	pop3_reader_free(&r);
	free(in);
}

/* A multi-line response just over the limit, fed whole. */
static void
test_body_over_limit(void **state)
{
	enum { LIMIT = 4096 };
	struct pop3_reader r;
	struct pop3_response out;
	struct mv_error err;
	struct buf in;
	size_t used, i;

	(void)state;
	buf_init(&in, 0);
	buf_append_str(&in, "+OK 4096 octets\r\n");
	/* 512 lines of 6 bytes + CRLF = 4096 bytes of body exactly. */
	for (i = 0; i < 512; i++)
		buf_append_str(&in, "abcdef\r\n");
	buf_append_str(&in, ".\r\n");
	pop3_reader_init(&r, 0, LIMIT);
	pop3_reader_expect(&r, 1);
	assert_int_equal(pop3_reader_feed(&r, in.data, in.len, &used, &out,
			     &err),
	    POP3_READ_DONE);
	assert_int_equal(used, in.len);
	assert_int_equal(out.body->len, LIMIT);
	assert_int_equal(out.body_lines, 512);
	pop3_reader_free(&r);

	/* One byte more. */
	buf_reset(&in);
	buf_append_str(&in, "+OK 4097 octets\r\n");
	for (i = 0; i < 511; i++)
		buf_append_str(&in, "abcdef\r\n");
	buf_append_str(&in, "abcdefg\r\n.\r\n");
	pop3_reader_init(&r, 0, LIMIT);
	pop3_reader_expect(&r, 1);
	assert_int_equal(pop3_reader_feed(&r, in.data, in.len, &used, &out,
			     &err),
	    POP3_READ_ERROR);
	assert_int_equal(err.cat, MV_ERR_PROTOCOL);
	assert_string_equal(err.msg, "multi-line response larger than 4096 "
				     "bytes (the server never sent the final "
				     "\".\")");
	/* Consumed up to the end of the line that did not fit. */
	assert_int_equal(used, in.len - 3);
	assert_false(pop3_reader_pending(&r));
	pop3_reader_free(&r);
	buf_free(&in);
}

/* A server that never sends the final ".": 4 KB reads of lines until
 * the 1 MB limit stops it, with memory bounded by the limit. */
static void
test_endless_body(void **state)
{
	enum { LIMIT = 1048576 };
	struct pop3_reader r;
	struct pop3_response out;
	struct mv_error err;
	enum pop3_read_status st;
	char chunk[4096];
	size_t used, i, total = 0;

	(void)state;
	for (i = 0; i < sizeof(chunk); i += 64) {
		memset(chunk + i, 'x', 62);
		memcpy(chunk + i + 62, "\r\n", 2);
	}
	pop3_reader_init(&r, 0, LIMIT);
	pop3_reader_expect(&r, 1);
	assert_int_equal(pop3_reader_feed(&r, "+OK\r\n", 5, &used, &out, &err),
	    POP3_READ_MORE);
	for (i = 0; i < 1000; i++) {
		st = pop3_reader_feed(&r, chunk, sizeof(chunk), &used, &out,
		    &err);
		total += used;
		if (st == POP3_READ_ERROR)
			break;
		assert_int_equal(st, POP3_READ_MORE);
		assert_true(r.body.len <= LIMIT);
		assert_true(r.body.cap <= 2 * (size_t)LIMIT + 1);
	}
	assert_int_equal(st, POP3_READ_ERROR);
	/* Exactly 1 MB of lines fit; the next line is refused. */
	assert_int_equal(total, (size_t)LIMIT + 64);
	assert_string_equal(err.msg, "multi-line response larger than 1048576 "
				     "bytes (the server never sent the final "
				     "\".\")");
	pop3_reader_free(&r);
}

/* One body line of 1 MB with no line end at all: refused at the limit,
 * not after buffering whatever the server sends. */
static void
test_endless_body_line(void **state)
{
	enum { LIMIT = 65536 };
	struct pop3_reader r;
	struct pop3_response out;
	struct mv_error err;
	enum pop3_read_status st = POP3_READ_MORE;
	char chunk[1000];
	size_t used, i;

	(void)state;
	memset(chunk, 'y', sizeof(chunk));
	pop3_reader_init(&r, 0, LIMIT);
	pop3_reader_expect(&r, 1);
	pop3_reader_feed(&r, "+OK\r\n", 5, &used, &out, &err);
	for (i = 0; i < 1000; i++) {
		st = pop3_reader_feed(&r, chunk, sizeof(chunk), &used, &out,
		    &err);
		if (st == POP3_READ_ERROR)
			break;
		assert_true(r.line.cap <= 2 * (size_t)LIMIT + 2);
	}
	assert_int_equal(st, POP3_READ_ERROR);
	assert_int_equal(i, 65);
	assert_non_null(strstr(err.msg, "larger than 65536 bytes"));
	pop3_reader_free(&r);
}

struct stamp_case {
	const char *greeting;
	size_t outsz;
	const char *want;
};

static const struct stamp_case stamp_cases[] = {
	{ "POP3 server ready <1896.697170952@dbc.mtview.ca.us>", 256,
	    "<1896.697170952@dbc.mtview.ca.us>" },
	{ "<a@b> ready", 256, "<a@b>" },
	{ "Dovecot (Debian) ready.", 256, "" },
	{ "", 256, "" },
	{ "ready <no-at-sign> <x@y>", 256, "<x@y>" },
	{ "<@b> <a@> <a b@c> <a@b", 256, "" },
	{ "<<a@b>", 256, "<a@b>" },
	{ "<a@b\x01> <c@d>", 256, "<c@d>" },
	{ "<a@b@c>", 256, "<a@b@c>" },
	/* Too long for the caller's buffer: none rather than a cut one. */
	{ "<1896.697170952@dbc.mtview.ca.us>", 33, "" },
	{ "<1896.697170952@dbc.mtview.ca.us>", 34,
	    "<1896.697170952@dbc.mtview.ca.us>" },
};

static void
test_greeting_timestamp(void **state)
{
	char out[256];
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(stamp_cases); i++) {
		memset(out, 'Z', sizeof(out));
		pop3_greeting_timestamp(stamp_cases[i].greeting, out,
		    stamp_cases[i].outsz);
		if (strcmp(out, stamp_cases[i].want) != 0)
			fail_msg("case %zu: got \"%s\" want \"%s\"", i, out,
			    stamp_cases[i].want);
	}
	/* outsz 0 writes nothing. */
	out[0] = 'Z';
	pop3_greeting_timestamp("<a@b>", out, 0);
	assert_int_equal(out[0], 'Z');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_limits_table),
		cmocka_unit_test(test_consumed_pipelined),
		cmocka_unit_test(test_lifetime_and_pending),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_one_megabyte_status_line),
		cmocka_unit_test(test_body_over_limit),
		cmocka_unit_test(test_endless_body),
		cmocka_unit_test(test_endless_body_line),
		cmocka_unit_test(test_greeting_timestamp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
