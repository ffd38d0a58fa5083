/*
 * test_imap_parse.c - unit tests for proto/imap_parse.
 *
 * Most reader cases are a table of server output and the responses (or
 * error) it must produce; every case is run with the input fed whole
 * and cut into pieces of 1, 2, 3, 5, 7 and 64 bytes, and all runs must
 * describe the same outcome.  Then what a table cannot show: consumed
 * counts, a 4 GB literal refused before any of its bytes, line and
 * response limits, and the small parsers (capabilities, quoting,
 * SEARCH, FETCH bodies).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "proto/imap_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Bytes made printable: \r, \n, \0 and \xNN. */
static void
escape(struct buf *res, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r')
			buf_append_str(res, "\\r");
		else if (c == '\n')
			buf_append_str(res, "\\n");
		else if (c == '\0')
			buf_append_str(res, "\\0");
		else if (c < 0x20 || c >= 0x7f)
			buf_printf(res, "\\x%02x", c);
		else
			buf_append(res, s + i, 1);
	}
}

static const char *const cond_names[] = {
	"", " OK", " NO", " BAD", " PREAUTH", " BYE",
};

/*
 * One response as text:
 *   T(tag) / * / +, then " COND", " [CODE|arg]", " #number", " KEYWORD"
 *   (data only), " rest{...}" (data), " text{...}" (status and
 *   continuation), " L{bytes}" per literal, " raw{...}" when there are
 *   literals, " lf=N", and ";".
 */
static void
describe(const struct imap_response *r, struct buf *res)
{
	size_t i;

	assert_non_null(r->raw);
	assert_non_null(r->text);
	assert_non_null(r->code_arg);
	assert_non_null(r->rest);
	assert_int_equal(r->raw[r->raw_len], '\0');
	assert_true(r->nliterals <= IMAP_MAX_LITERALS);
	switch (r->kind) {
	case IMAP_TAGGED:
		assert_true(r->tag[0] != '\0');
		buf_printf(res, "T(%s)", r->tag);
		break;
	case IMAP_UNTAGGED:
		buf_append_str(res, "*");
		break;
	case IMAP_CONTINUATION:
		buf_append_str(res, "+");
		assert_int_equal(r->cond, IMAP_COND_NONE);
		break;
	}
	buf_append_str(res, cond_names[r->cond]);
	if (r->code[0])
		buf_printf(res, " [%s|%s]", r->code, r->code_arg);
	else
		assert_string_equal(r->code_arg, "");
	if (r->number >= 0)
		buf_printf(res, " #%lld", (long long)r->number);
	if (r->kind == IMAP_UNTAGGED && r->cond == IMAP_COND_NONE) {
		buf_printf(res, " %s rest{", r->keyword);
		escape(res, r->rest, strlen(r->rest));
		buf_append_str(res, "}");
	} else {
		buf_append_str(res, " text{");
		escape(res, r->text, strlen(r->text));
		buf_append_str(res, "}");
	}
	for (i = 0; i < r->nliterals; i++) {
		assert_true(r->literals[i].off + r->literals[i].len <=
		    r->raw_len);
		buf_append_str(res, " L{");
		escape(res, r->raw + r->literals[i].off, r->literals[i].len);
		buf_append_str(res, "}");
	}
	if (r->nliterals) {
		buf_append_str(res, " raw{");
		escape(res, r->raw, r->raw_len);
		buf_append_str(res, "}");
	}
	if (r->bare_lf)
		buf_printf(res, " lf=%zu", r->bare_lf);
	buf_append_str(res, ";");
}

struct limits {
	size_t max_line, max_literal, max_response;
};

/* Feed in pieces of `chunk` bytes (0: all at once), describing every
 * response, the first error, and whether bytes are left pending. */
static void
run_limits(const char *in, size_t len, size_t chunk,
    const struct limits *lim, struct buf *res)
{
	struct imap_reader rd;
	struct imap_response r;
	struct mv_error err;
	size_t off = 0, n, pos, used;
	enum imap_read_status st;

	imap_reader_init(&rd, lim ? lim->max_line : 0,
	    lim ? lim->max_literal : 0, lim ? lim->max_response : 0);
	while (off < len) {
		n = chunk && len - off > chunk ? chunk : len - off;
		for (pos = 0; pos < n;) {
			st = imap_reader_feed(&rd, in + off + pos, n - pos,
			    &used, &r, &err);
			assert_true(used <= n - pos);
			if (st == IMAP_READ_ERROR) {
				assert_int_equal(err.cat, MV_ERR_PROTOCOL);
				assert_false(imap_reader_pending(&rd));
				buf_printf(res, "ERR(%s)", err.msg);
				imap_reader_free(&rd);
				return;
			}
			if (st == IMAP_READ_MORE) {
				assert_int_equal(used, n - pos);
			} else {
				assert_true(used > 0);
				assert_false(imap_reader_pending(&rd));
				describe(&r, res);
			}
			pos += used;
		}
		off += n;
	}
	if (imap_reader_pending(&rd))
		buf_append_str(res, "PENDING");
	imap_reader_free(&rd);
}

struct reader_case {
	const char *in;
	size_t len; /* 0: strlen(in) */
	const char *want;
};

static const struct reader_case reader_cases[] = {
	/* Tagged status responses. */
	{ "a1 OK LOGIN completed\r\n", 0, "T(a1) OK text{LOGIN completed};" },
	{ "A001 ok [READ-WRITE] SELECT completed\r\n", 0,
	    "T(A001) OK [READ-WRITE|] text{SELECT completed};" },
	{ "a2 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n", 0,
	    "T(a2) NO [AUTHENTICATIONFAILED|] text{Authentication failed.};" },
	{ "a3 BAD\r\n", 0, "T(a3) BAD text{};" },
	{ "a3 BAD \r\n", 0, "T(a3) BAD text{};" },
	{ "a4 OK [CAPABILITY IMAP4rev1 IDLE] Logged in\r\n", 0,
	    "T(a4) OK [CAPABILITY|IMAP4rev1 IDLE] text{Logged in};" },
	{ "a5 OK [uidnext 7]\r\n", 0, "T(a5) OK [UIDNEXT|7] text{};" },
	/* ']' is an ASTRING-CHAR, so it may be part of a tag. */
	{ "x]1 OK y\r\n", 0, "T(x]1) OK text{y};" },
	/* Untagged status responses and response codes. */
	{ "* OK [CAPABILITY IMAP4rev1 SASL-IR LITERAL+ STARTTLS AUTH=PLAIN] "
	  "Dovecot ready.\r\n",
	    0,
	    "* OK [CAPABILITY|IMAP4rev1 SASL-IR LITERAL+ STARTTLS "
	    "AUTH=PLAIN] text{Dovecot ready.};" },
	{ "* PREAUTH [CAPABILITY IMAP4rev2] hi\r\n", 0,
	    "* PREAUTH [CAPABILITY|IMAP4rev2] text{hi};" },
	{ "* BYE Logging out\r\n", 0, "* BYE text{Logging out};" },
	{ "* OK [UIDVALIDITY 1700000000] UIDs valid\r\n", 0,
	    "* OK [UIDVALIDITY|1700000000] text{UIDs valid};" },
	{ "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen "
	  "\\Draft \\*)] Flags permitted.\r\n",
	    0,
	    "* OK [PERMANENTFLAGS|(\\Answered \\Flagged \\Deleted \\Seen "
	    "\\Draft \\*)] text{Flags permitted.};" },
	/* Brackets nest inside a code; quoted strings are skipped. */
	{ "* OK [PERMANENTFLAGS (\\Seen $Label[1] \\*)] x\r\n", 0,
	    "* OK [PERMANENTFLAGS|(\\Seen $Label[1] \\*)] text{x};" },
	{ "* NO [BADCHARSET (UTF-8 \"x]y\" \"a\\\"]\")] no\r\n", 0,
	    "* NO [BADCHARSET|(UTF-8 \"x]y\" \"a\\\"]\")] text{no};" },
	{ "a1 NO [BADCHARSET ([US-ASCII] UTF-8)] bad\r\n", 0,
	    "T(a1) NO [BADCHARSET|([US-ASCII] UTF-8)] text{bad};" },
	/* No closing bracket: no code, all of it is text. */
	{ "* OK [ALERT oops\r\n", 0, "* OK text{[ALERT oops};" },
	{ "* OK [ALERT]\r\n", 0, "* OK [ALERT|] text{};" },
	{ "* OK [] x\r\n", 0, "* OK text{[] x};" },
	{ "* OK [ ALERT] x\r\n", 0, "* OK text{[ ALERT] x};" },
	{ "* OK\r\n", 0, "* OK text{};" },
	{ "* OK {5} text\r\n", 0, "* OK text{{5} text};" },
	/* A CR not followed by LF is text. */
	{ "* OK a\rb\r\n", 0, "* OK text{a\\rb};" },
	{ "* OK \r\r\n", 0, "* OK text{\\r};" },
	{ "* OK caf\xc3\xa9\r\n", 0, "* OK text{caf\\xc3\\xa9};" },
	/* Untagged data. */
	{ "* 3 EXISTS\r\n", 0, "* #3 EXISTS rest{};" },
	{ "* 0 RECENT\r\n", 0, "* #0 RECENT rest{};" },
	{ "* 44 expunge\r\n", 0, "* #44 EXPUNGE rest{};" },
	{ "* CAPABILITY IMAP4rev1 STARTTLS\r\n", 0,
	    "* CAPABILITY rest{IMAP4rev1 STARTTLS};" },
	{ "* FLAGS (\\Answered \\Seen)\r\n", 0,
	    "* FLAGS rest{(\\Answered \\Seen)};" },
	{ "* SEARCH 2 5 9\r\n", 0, "* SEARCH rest{2 5 9};" },
	{ "* SEARCH\r\n", 0, "* SEARCH rest{};" },
	{ "* 3 OK x\r\n", 0, "* #3 OK rest{x};" },
	{ "* 1 FETCH (FLAGS (\\Seen))\r\n", 0,
	    "* #1 FETCH rest{(FLAGS (\\Seen))};" },
	/* Continuations: everything after "+ " is text. */
	{ "+ \r\n", 0, "+ text{};" },
	{ "+\r\n", 0, "+ text{};" },
	{ "+ dXNlcg==\r\n", 0, "+ text{dXNlcg==};" },
	{ "+ [ALERT] Ready\r\n", 0, "+ text{[ALERT] Ready};" },
	{ "+ \r\n+ \r\n", 0, "+ text{};+ text{};" },
	/* Literals. */
	{ "* 1 FETCH (BODY[] {5}\r\nhello)\r\n", 0,
	    "* #1 FETCH rest{(BODY[] {5}} L{hello} "
	    "raw{* 1 FETCH (BODY[] {5}\\r\\nhello)};" },
	{ "* 1 FETCH (BODY[] {0}\r\n)\r\n", 0,
	    "* #1 FETCH rest{(BODY[] {0}} L{} "
	    "raw{* 1 FETCH (BODY[] {0}\\r\\n)};" },
	{ "* 1 FETCH (BODY[HEADER] {3}\r\nab\n BODY[TEXT] {2}\r\nxy)\r\n", 0,
	    "* #1 FETCH rest{(BODY[HEADER] {3}} L{ab\\n} L{xy} "
	    "raw{* 1 FETCH (BODY[HEADER] {3}\\r\\nab\\n BODY[TEXT] {2}\\r\\n"
	    "xy)};" },
	{ "* 1 FETCH (X {3+}\r\nabc)\r\n", 0,
	    "* #1 FETCH rest{(X {3+}} L{abc} raw{* 1 FETCH (X {3+}\\r\\n"
	    "abc)};" },
	{ "* 1 FETCH (BINARY[] ~{2}\r\nab)\r\n", 0,
	    "* #1 FETCH rest{(BINARY[] ~{2}} L{ab} raw{* 1 FETCH (BINARY[] "
	    "~{2}\\r\\nab)};" },
	/* Literal bytes are not looked at: CRLF, NUL, a fake tagged line. */
	{ "* 2 FETCH (BODY[] {13}\r\na1 OK x\r\n\0z\r\n)\r\na1 OK done\r\n",
	    52,
	    "* #2 FETCH rest{(BODY[] {13}} L{a1 OK x\\r\\n\\0z\\r\\n} "
	    "raw{* 2 FETCH (BODY[] {13}\\r\\na1 OK x\\r\\n\\0z\\r\\n)};"
	    "T(a1) OK text{done};" },
	/* The response may end right after a literal. */
	{ "* 1 FETCH (BODY[] {3}\r\nabc\r\n", 0,
	    "* #1 FETCH rest{(BODY[] {3}} L{abc} "
	    "raw{* 1 FETCH (BODY[] {3}\\r\\nabc};" },
	/* {0} right before another {0}. */
	{ "* 1 X {0}\r\n{0}\r\n\r\n", 0,
	    "* #1 X rest{{0}} L{} L{} raw{* 1 X {0}\\r\\n{0}\\r\\n};" },
	{ "* 7 FETCH (UID 9 BODY[] {2}\r\n\r\n)\r\n", 0,
	    "* #7 FETCH rest{(UID 9 BODY[] {2}} L{\\r\\n} "
	    "raw{* 7 FETCH (UID 9 BODY[] {2}\\r\\n\\r\\n)};" },
	/* Not literals: no digits, no brace, something after. */
	{ "* OK {}\r\n", 0, "* OK text{{}};" },
	{ "* OK {+}\r\n", 0, "* OK text{{+}};" },
	{ "* OK 5}\r\n", 0, "* OK text{5}};" },
	{ "* OK {5}x\r\n", 0, "* OK text{{5}x};" },
	{ "* OK {5 }\r\n", 0, "* OK text{{5 }};" },
	/* Bare LF is accepted and counted, literal lines included. */
	{ "* 3 EXISTS\n", 0, "* #3 EXISTS rest{} lf=1;" },
	{ "* 1 FETCH (BODY[] {2}\nab)\n", 0,
	    "* #1 FETCH rest{(BODY[] {2}} L{ab} raw{* 1 FETCH (BODY[] "
	    "{2}\\nab)} lf=2;" },
	{ "* 1 FETCH (BODY[] {2}\nab)\r\na1 OK\n", 0,
	    "* #1 FETCH rest{(BODY[] {2}} L{ab} raw{* 1 FETCH (BODY[] "
	    "{2}\\nab)} lf=1;T(a1) OK text{} lf=1;" },
	/* Pipelined responses in one read come out one at a time. */
	{ "* 2 EXISTS\r\n* 0 RECENT\r\na1 OK done\r\n", 0,
	    "* #2 EXISTS rest{};* #0 RECENT rest{};T(a1) OK text{done};" },
	{ "* BYE bye\r\na9 OK Logout completed.\r\n", 0,
	    "* BYE text{bye};T(a9) OK text{Logout completed.};" },
	/* Incomplete input is pending, not an error. */
	{ "a1 OK", 0, "PENDING" },
	{ "a1 OK\r", 0, "PENDING" },
	{ "* 1 FETCH (BODY[] {5}", 0, "PENDING" },
	{ "* 1 FETCH (BODY[] {5}\r\n", 0, "PENDING" },
	{ "* 1 FETCH (BODY[] {5}\r\nhel", 0, "PENDING" },
	{ "* 1 FETCH (BODY[] {5}\r\nhello", 0, "PENDING" },
	{ "* 1 FETCH (BODY[] {5}\r\nhello)", 0, "PENDING" },
	{ "* 1 X {0}\r\n", 0, "PENDING" },
	{ "a1 OK\r\n* 2", 0, "T(a1) OK text{};PENDING" },
	{ "", 0, "" },
	/* Malformed lines. */
	{ "\r\n", 0, "ERR(response line does not start with a tag, '*' or "
		     "'+': \"\")" },
	{ "\n", 0, "ERR(response line does not start with a tag, '*' or "
		   "'+': \"\")" },
	{ " a1 OK\r\n", 0, "ERR(response line does not start with a tag, "
			   "'*' or '+': \" a1 OK\")" },
	{ "a(1 OK\r\n", 0, "ERR(response line does not start with a tag, "
			   "'*' or '+': \"a(1 OK\")" },
	{ "\x1b[2J\r\n", 0, "ERR(response line does not start with a tag, "
			    "'*' or '+': \"\\x1b[2J\")" },
	{ "HTTP/1.1 400 Bad Request\r\n", 0, "ERR(tagged response without "
					     "OK, NO or BAD: \"HTTP/1.1 400 "
					     "Bad Request\")" },
	{ "a1\r\n", 0, "ERR(tagged response without OK, NO or BAD: "
		       "\"a1\")" },
	{ "a1 \r\n", 0, "ERR(tagged response without OK, NO or BAD: "
			"\"a1 \")" },
	{ "a1 PREAUTH x\r\n", 0, "ERR(tagged response without OK, NO or "
				 "BAD: \"a1 PREAUTH x\")" },
	{ "a1 OKAY\r\n", 0, "ERR(tagged response without OK, NO or BAD: "
			    "\"a1 OKAY\")" },
	{ "a1  OK\r\n", 0, "ERR(tagged response without OK, NO or BAD: "
			   "\"a1  OK\")" },
	{ "*\r\n", 0, "ERR(untagged response without a keyword: \"*\")" },
	{ "* \r\n", 0, "ERR(untagged response without a keyword: \"* \")" },
	{ "*OK\r\n", 0, "ERR(untagged response without a keyword: "
			"\"*OK\")" },
	{ "*  OK\r\n", 0, "ERR(untagged response without a keyword: "
			  "\"*  OK\")" },
	{ "* 3\r\n", 0, "ERR(untagged response has a number but no "
			"keyword: \"* 3\")" },
	{ "* 3 \r\n", 0, "ERR(untagged response has a number but no "
			 "keyword: \"* 3 \")" },
	{ "* 3x EXISTS\r\n", 0, "ERR(untagged response number is not a "
				"number below 10^18: \"* 3x EXISTS\")" },
	{ "* 12345678901234567890 EXISTS\r\n", 0,
	    "ERR(untagged response number is not a number below 10^18: "
	    "\"* 12345678901234567890 EXISTS\")" },
	{ "* ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF x\r\n", 0,
	    "ERR(untagged response keyword is too long: \"* "
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF x\")" },
	{ "a1 OK x\0y\r\n", 11, "ERR(response line contains a NUL byte: "
				"\"a1 OK x\\x00y\")" },
	{ "\0\r\n", 3, "ERR(response line contains a NUL byte: "
		       "\"\\x00\")" },
	{ "* 1 FETCH (BODY[] {1}\r\nx\0)\r\n", 28,
	    "ERR(response line contains a NUL byte: \"\\x00)\")" },
	{ "a1 OK\r\nxyz abc\r\n", 0, "T(a1) OK text{};ERR(tagged response "
				     "without OK, NO or BAD: \"xyz abc\")" },
	/* The line is judged before its literal announcement. */
	{ "garbage line {4294967296}\r\n", 0,
	    "ERR(tagged response without OK, NO or BAD: \"garbage line "
	    "{4294967296}\")" },
	/* Literal sizes over the limit are refused at the announcement. */
	{ "* 1 FETCH (BODY[] {4294967296}\r\n", 0,
	    "ERR(literal of 4294967296 bytes is over the 67108864-byte "
	    "limit)" },
	{ "* 1 FETCH (BODY[] {4294967296}\r\nabc", 0,
	    "ERR(literal of 4294967296 bytes is over the 67108864-byte "
	    "limit)" },
	{ "* 1 FETCH (BODY[] {67108865}\r\n", 0,
	    "ERR(literal of 67108865 bytes is over the 67108864-byte "
	    "limit)" },
	{ "* 1 X {99999999999999999999999999999999}\r\n", 0,
	    "ERR(literal of 999999999999999999999999... bytes is over the "
	    "67108864-byte limit)" },
	{ "* 1 X {1}\r\nx {99999999999999999999}\r\n", 0,
	    "ERR(literal of 99999999999999999999 bytes is over the "
	    "67108864-byte limit)" },
};

static void
check_case(const char *in, size_t len, const char *want,
    const struct limits *lim, size_t idx)
{
	static const size_t chunks[] = { 0, 1, 2, 3, 5, 7, 64 };
	size_t k;

	for (k = 0; k < NELEM(chunks); k++) {
		struct buf res;

		buf_init(&res, 0);
		run_limits(in, len, chunks[k], lim, &res);
		if (strcmp(buf_cstr(&res), want) != 0)
			fail_msg("case %zu chunk %zu:\n got  %s\n want %s", idx,
			    chunks[k], buf_cstr(&res), want);
		buf_free(&res);
	}
}

static void
test_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(reader_cases); i++) {
		const struct reader_case *c = &reader_cases[i];

		check_case(c->in, c->len ? c->len : strlen(c->in), c->want,
		    NULL, i);
	}
}

struct limit_case {
	struct limits lim;
	const char *in;
	const char *want;
};

static const struct limit_case limit_cases[] = {
	/* max_line 10: ten bytes pass, eleven do not, however they end. */
	{ { 10, 0, 0 }, "a1 OK 6789\r\n", "T(a1) OK text{6789};" },
	{ { 10, 0, 0 }, "a1 OK 6789\n", "T(a1) OK text{6789} lf=1;" },
	{ { 10, 0, 0 }, "a1 OK 67890\r\n",
	    "ERR(response line longer than 10 bytes: \"a1 OK 6789...\")" },
	{ { 10, 0, 0 }, "a1 OK 67890\n",
	    "ERR(response line longer than 10 bytes: \"a1 OK 6789...\")" },
	{ { 10, 0, 0 }, "a1 OK 67890",
	    "ERR(response line longer than 10 bytes: \"a1 OK 6789...\")" },
	{ { 10, 0, 0 }, "a1 OK 6789\rx\r\n",
	    "ERR(response line longer than 10 bytes: \"a1 OK 6789...\")" },
	/* Each line of a response has its own max_line. */
	{ { 12, 0, 0 }, "* 1 X {2}\r\nab 123456789\r\n",
	    "* #1 X rest{{2}} L{ab} raw{* 1 X {2}\\r\\nab 123456789};" },
	{ { 12, 0, 0 }, "* 1 X {2}\r\nab 123456789012\r\n",
	    "ERR(response line longer than 12 bytes: \" 12345678901...\")" },
	/* max_literal. */
	{ { 0, 10, 0 }, "* 1 X {10}\r\n0123456789\r\n",
	    "* #1 X rest{{10}} L{0123456789} raw{* 1 X {10}\\r\\n"
	    "0123456789};" },
	{ { 0, 10, 0 }, "* 1 X {11}\r\n01234567890\r\n",
	    "ERR(literal of 11 bytes is over the 10-byte limit)" },
	/* max_response counts raw: lines, their inner line ends and
	 * literals, not the final line end. */
	{ { 0, 0, 20 }, "* 1 X {5}\r\nabcde)\r\n",
	    "* #1 X rest{{5}} L{abcde} raw{* 1 X {5}\\r\\nabcde)};" },
	{ { 0, 0, 20 }, "* 1 X {9}\r\nabcdefghi\r\n",
	    "* #1 X rest{{9}} L{abcdefghi} raw{* 1 X {9}\\r\\nabcdefghi};" },
	{ { 0, 0, 20 }, "* 1 X {9}\r\nabcdefghi)\r\n",
	    "ERR(response longer than 20 bytes: \"* 1 X "
	    "{9}\\x0d\\x0aabcdefghi)\")" },
	{ { 0, 0, 20 }, "* 1 X {10}\r\n0123456789\r\n",
	    "ERR(response longer than 20 bytes (a literal of 10 bytes follows "
	    "12 bytes))" },
	{ { 0, 0, 8 }, "a1 OK 78\r\n", "T(a1) OK text{78};" },
	{ { 0, 0, 8 }, "a1 OK 789\r\n",
	    "ERR(response longer than 8 bytes: \"a1 OK 789\")" },
};

static void
test_limits_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(limit_cases); i++) {
		const struct limit_case *c = &limit_cases[i];

		check_case(c->in, strlen(c->in), c->want, &c->lim, i);
	}
}

static void
test_consumed_pipelined(void **state)
{
	static const char in[] = "* 2 EXISTS\r\n* 1 FETCH (BODY[] {3}\r\n"
				 "a\nb)\na1 OK done\r\n";
	struct imap_reader rd;
	struct imap_response r;
	struct mv_error err;
	size_t used, off = 0;

	(void)state;
	imap_reader_init(&rd, 0, 0, 0);
	assert_int_equal(imap_reader_feed(&rd, in, sizeof(in) - 1, &used, &r,
			     &err),
	    IMAP_READ_DONE);
	assert_int_equal(used, 12);
	assert_int_equal(r.number, 2);
	/* The rest is the caller's to feed again: nothing is pending. */
	assert_false(imap_reader_pending(&rd));
	off += used;
	assert_int_equal(imap_reader_feed(&rd, in + off, sizeof(in) - 1 - off,
			     &used, &r, &err),
	    IMAP_READ_DONE);
	assert_int_equal(used, 28);
	assert_int_equal(r.nliterals, 1);
	assert_int_equal(r.bare_lf, 1);
	assert_memory_equal(r.raw + r.literals[0].off, "a\nb", 3);
	off += used;
	assert_int_equal(imap_reader_feed(&rd, in + off, sizeof(in) - 1 - off,
			     &used, &r, &err),
	    IMAP_READ_DONE);
	assert_int_equal(used, 12);
	assert_int_equal(r.kind, IMAP_TAGGED);
	assert_string_equal(r.tag, "a1");
	assert_string_equal(r.text, "done");
	assert_int_equal(r.bare_lf, 0);
	assert_int_equal(off + used, sizeof(in) - 1);
	/* A feed of nothing keeps nothing and finds nothing. */
	assert_int_equal(imap_reader_feed(&rd, "", 0, &used, &r, &err),
	    IMAP_READ_MORE);
	assert_int_equal(used, 0);
	assert_false(imap_reader_pending(&rd));
	imap_reader_free(&rd);
	imap_reader_free(NULL);
}

/* The 4 GB literal: refused exactly when its announcing line ends,
 * byte by byte, with no literal byte fed and nothing large allocated. */
static void
test_huge_literal(void **state)
{
	static const char line[] = "* 1 FETCH (BODY[] {4294967296}\r\n";
	struct imap_reader rd;
	struct imap_response r;
	struct mv_error err;
	size_t i, used;

	(void)state;
	imap_reader_init(&rd, 0, 0, 0);
	for (i = 0; i + 1 < sizeof(line) - 1; i++) {
		assert_int_equal(imap_reader_feed(&rd, line + i, 1, &used, &r,
				     &err),
		    IMAP_READ_MORE);
		assert_true(imap_reader_pending(&rd));
	}
	assert_int_equal(imap_reader_feed(&rd, line + i, 1, &used, &r, &err),
	    IMAP_READ_ERROR);
	assert_int_equal(used, 1);
	assert_int_equal(err.cat, MV_ERR_PROTOCOL);
	assert_string_equal(err.msg, "literal of 4294967296 bytes is over the "
				     "67108864-byte limit");
	assert_true(rd.resp.cap <= 1024);
	assert_false(imap_reader_pending(&rd));
	/* After the error the reader starts afresh. */
	assert_int_equal(imap_reader_feed(&rd, "a1 OK\r\n", 7, &used, &r,
			     &err),
	    IMAP_READ_DONE);
	imap_reader_free(&rd);

	/* Whole, with literal bytes behind it in the same read: consumed
	 * ends at the line. */
	imap_reader_init(&rd, 0, 0, 0);
	assert_int_equal(imap_reader_feed(&rd, "* 1 FETCH (BODY[] "
			     "{4294967296}\r\nxxxxxxxx", 40, &used, &r, &err),
	    IMAP_READ_ERROR);
	assert_int_equal(used, 32);
	imap_reader_free(&rd);
}

/* A literal is taken as it arrives, in reads of any size, and its bytes
 * never count against max_line. */
static void
test_big_literal(void **state)
{
	enum { N = 300 * 1024 };
	struct imap_reader rd;
	struct imap_response r;
	struct mv_error err;
	struct buf in;
	size_t used, off, n;
	enum imap_read_status st;
	const char *body;
	size_t blen;

	(void)state;
	buf_init(&in, 0);
	buf_printf(&in, "* 4 FETCH (BODY[] {%d}\r\n", N);
	for (n = 0; n < N; n++)
		buf_append(&in, n % 80 == 79 ? "\n" : "x", 1);
	buf_append_str(&in, ")\r\n");
	imap_reader_init(&rd, 100, 0, 0);
	for (off = 0;; off += used) {
		n = in.len - off < 4000 ? in.len - off : 4000;
		st = imap_reader_feed(&rd, in.data + off, n, &used, &r, &err);
		assert_int_not_equal(st, IMAP_READ_ERROR);
		if (st == IMAP_READ_DONE)
			break;
	}
	assert_int_equal(off + used, in.len);
	body = imap_fetch_body(&r, &blen);
	assert_non_null(body);
	assert_int_equal(blen, N);
	assert_memory_equal(body, in.data + in.len - 3 - N, N);
	assert_int_equal(r.number, 4);
	imap_reader_free(&rd);
	buf_free(&in);
}

static void
test_one_megabyte_line(void **state)
{
	enum { N = 1024 * 1024 };
	struct imap_reader rd;
	struct imap_response r;
	struct mv_error err;
	size_t used, off;
	char *in;

	(void)state;
	in = malloc(N + 2);
	assert_non_null(in);
	memcpy(in, "* OK ", 5);
	memset(in + 5, 'A', N - 5);
	memcpy(in + N, "\r\n", 2);

	imap_reader_init(&rd, 0, 0, 0);
	assert_int_equal(imap_reader_feed(&rd, in, N + 2, &used, &r, &err),
	    IMAP_READ_ERROR);
	assert_int_equal(used, N + 2);
	assert_non_null(strstr(err.msg, "response line longer than 65536 "
					"bytes: \"* OK AAAA"));
	/* The first 40 bytes of the line, then "...". */
	assert_int_equal(strlen(strchr(err.msg, '"')), 1 + 40 + 3 + 1);
	imap_reader_free(&rd);

	/* In 1 KB reads: refused as soon as it cannot fit, without
	 * buffering the rest. */
	imap_reader_init(&rd, 0, 0, 0);
	for (off = 0; off < N; off += 1024) {
		enum imap_read_status st;

		st = imap_reader_feed(&rd, in + off, 1024, &used, &r, &err);
		if (st == IMAP_READ_ERROR)
			break;
		assert_int_equal(st, IMAP_READ_MORE);
	}
	assert_true(off < N);
	assert_true(off <= IMAP_DEFAULT_MAX_LINE + 1024);
	assert_true(rd.resp.cap <= 2 * (IMAP_DEFAULT_MAX_LINE + 1024));
	assert_non_null(strstr(err.msg, "response line longer than 65536"));
	imap_reader_free(&rd);
	free(in);
}

/* A response announcing literal after literal ends at max_response,
 * and only the first IMAP_MAX_LITERALS get positions. */
static void
test_many_literals(void **state)
{
	struct imap_reader rd;
	struct imap_response r;
	struct mv_error err;
	struct buf in;
	size_t used, i;

	(void)state;
	buf_init(&in, 0);
	buf_append_str(&in, "* 1 FETCH (");
	for (i = 0; i < 20; i++)
		buf_printf(&in, "X%zu {1}\r\n%c ", i, (char)('a' + i));
	buf_append_str(&in, ")\r\n");
	imap_reader_init(&rd, 0, 0, 0);
	assert_int_equal(imap_reader_feed(&rd, in.data, in.len, &used, &r,
			     &err),
	    IMAP_READ_DONE);
	assert_int_equal(used, in.len);
	assert_int_equal(r.nliterals, IMAP_MAX_LITERALS);
	for (i = 0; i < IMAP_MAX_LITERALS; i++) {
		assert_int_equal(r.literals[i].len, 1);
		assert_int_equal(r.raw[r.literals[i].off], 'a' + (int)i);
	}
	imap_reader_free(&rd);

	/* An endless stream of {0} lines meets max_response. */
	imap_reader_init(&rd, 0, 0, 1000);
	buf_reset(&in);
	buf_append_str(&in, "* 1 X {0}\r\n");
	for (i = 0; i < 400; i++)
		buf_append_str(&in, "{0}\r\n");
	assert_int_equal(imap_reader_feed(&rd, in.data, in.len, &used, &r,
			     &err),
	    IMAP_READ_ERROR);
	assert_non_null(strstr(err.msg, "response longer than 1000 bytes"));
	assert_true(used < in.len);
	imap_reader_free(&rd);
	buf_free(&in);
}

static void
test_reset(void **state)
{
	struct imap_reader rd;
	struct imap_response r;
	struct mv_error err;
	size_t used;

	(void)state;
	imap_reader_init(&rd, 0, 0, 0);
	assert_int_equal(imap_reader_feed(&rd, "* 1 X {5}\r\nab", 13, &used,
			     &r, &err),
	    IMAP_READ_MORE);
	assert_true(imap_reader_pending(&rd));
	imap_reader_reset(&rd);
	assert_false(imap_reader_pending(&rd));
	assert_int_equal(imap_reader_feed(&rd, "* 2 EXISTS\r\n", 12, &used, &r,
			     &err),
	    IMAP_READ_DONE);
	assert_int_equal(r.number, 2);
	assert_string_equal(r.keyword, "EXISTS");
	/* What was handed out stays valid until the next feed. */
	imap_reader_reset(&rd);
	imap_reader_free(&rd);
}

/* --- capabilities ----------------------------------------------------- */

static void
test_caps(void **state)
{
	struct imap_caps c;

	(void)state;
	imap_caps_parse("IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE "
			"LITERAL+ STARTTLS AUTH=PLAIN AUTH=scram-sha-256",
	    &c);
	assert_int_equal(c.caps, IMAP_CAP_IMAP4REV1 | IMAP_CAP_SASL_IR |
		IMAP_CAP_ID | IMAP_CAP_ENABLE | IMAP_CAP_IDLE |
		IMAP_CAP_LITERAL_PLUS | IMAP_CAP_STARTTLS);
	assert_string_equal(c.auth_list, "PLAIN SCRAM-SHA-256");
	assert_string_equal(c.all, "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID "
				   "ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN "
				   "AUTH=scram-sha-256");

	imap_caps_parse("imap4rev2 logindisabled literal- uidplus move "
			"condstore namespace utf8=accept",
	    &c);
	assert_int_equal(c.caps, IMAP_CAP_IMAP4REV2 | IMAP_CAP_LOGINDISABLED |
		IMAP_CAP_LITERAL_MINUS | IMAP_CAP_UIDPLUS | IMAP_CAP_MOVE |
		IMAP_CAP_CONDSTORE | IMAP_CAP_NAMESPACE |
		IMAP_CAP_UTF8_ACCEPT);
	assert_string_equal(c.auth_list, "");

	/* Prefixes and lookalikes are not the capability. */
	imap_caps_parse("  STARTTLSX XSTARTTLS AUTH= LITERAL UTF8=ONLY  "
			"IDLE\tID ", &c);
	assert_int_equal(c.caps, IMAP_CAP_UTF8_ACCEPT | IMAP_CAP_IDLE |
		IMAP_CAP_ID);
	assert_string_equal(c.auth_list, "");

	imap_caps_parse("", &c);
	assert_int_equal(c.caps, 0);
	assert_string_equal(c.all, "");
}

static void
test_caps_limits(void **state)
{
	struct imap_caps c;
	struct buf in;
	size_t i;

	(void)state;
	buf_init(&in, 0);
	for (i = 0; i < 100; i++)
		buf_printf(&in, "AUTH=MECH-%02zu ", i);
	buf_append_str(&in, "STARTTLS");
	imap_caps_parse(in.data, &c);
	/* Whole names only, within the list's size. */
	assert_true(strlen(c.auth_list) <= IMAP_AUTH_LIST_MAX);
	assert_int_equal(strlen(c.auth_list) % 8, 7);
	assert_non_null(strstr(c.auth_list, "MECH-00 MECH-01"));
	assert_null(strstr(c.auth_list, "MECH-59"));
	/* The flags come from the whole list, "all" is cut. */
	assert_int_equal(c.caps, IMAP_CAP_STARTTLS);
	assert_int_equal(strlen(c.all), sizeof(c.all) - 1);
	buf_free(&in);
}

/* --- quoting ------------------------------------------------------------ */

static void
test_quote(void **state)
{
	static const struct {
		const char *in;
		int rc;
		const char *want;
	} cases[] = {
		{ "charlie@lab.example", 0, "\"charlie@lab.example\"" },
		{ "", 0, "\"\"" },
		{ "pa ss", 0, "\"pa ss\"" },
		{ "a\"b", 0, "\"a\\\"b\"" },
		{ "a\\b", 0, "\"a\\\\b\"" },
		{ "\\\"", 0, "\"\\\\\\\"\"" },
		{ "{5}", 0, "\"{5}\"" },
		{ "tab\there", 0, "\"tab\there\"" },
		{ "caf\xc3\xa9", 1, "" },
		{ "a\r\nb", 1, "" },
		{ "a\rb", 1, "" },
		{ "a\nb", 1, "" },
		{ "\x80", 1, "" },
	};
	struct buf out;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		buf_init(&out, 0);
		buf_append_str(&out, "x ");
		assert_int_equal(imap_quote(cases[i].in, &out), cases[i].rc);
		if (cases[i].rc == 0)
			assert_string_equal(out.data + 2, cases[i].want);
		else
			assert_string_equal(buf_cstr(&out), "x ");
		buf_free(&out);
	}
	/* A buffer that cannot take it is left as it was. */
	buf_init(&out, 6);
	buf_append_str(&out, "x ");
	assert_int_equal(imap_quote("abcdef", &out), -1);
	assert_string_equal(buf_cstr(&out), "x ");
	buf_free(&out);
}

/* --- SEARCH and FETCH ------------------------------------------------- */

static void
test_search(void **state)
{
	uint64_t v[4];
	long n;

	(void)state;
	assert_int_equal(imap_search_parse("", v, 4), 0);
	assert_int_equal(imap_search_parse("2 5 9", v, 4), 3);
	assert_true(v[0] == 2 && v[1] == 5 && v[2] == 9);
	n = imap_search_parse("1 2 3 4 5 6", v, 4);
	assert_int_equal(n, 6);
	assert_true(v[3] == 4);
	assert_int_equal(imap_search_parse("4294967295 18446744073", v, 4), 2);
	assert_true(v[0] == 4294967295u && v[1] == 18446744073u);
	/* RFC 7162: a trailing (MODSEQ n) is not a number. */
	assert_int_equal(imap_search_parse("7 8 (MODSEQ 917162500)", v, 4), 2);
	assert_true(v[0] == 7 && v[1] == 8);
	assert_int_equal(imap_search_parse("3 (modseq 1) ", v, 4), 1);
	assert_int_equal(imap_search_parse("  3  4 ", v, 4), 2);
	/* Malformed. */
	assert_int_equal(imap_search_parse("1 x", v, 4), -1);
	assert_int_equal(imap_search_parse("1,2", v, 4), -1);
	assert_int_equal(imap_search_parse("0", v, 4), -1);
	assert_int_equal(imap_search_parse("-1", v, 4), -1);
	assert_int_equal(imap_search_parse("99999999999999999999", v, 4), -1);
	assert_int_equal(imap_search_parse("1 (MODSEQ x)", v, 4), -1);
	assert_int_equal(imap_search_parse("1 (MODSEQ 5) 2", v, 4), -1);
	assert_int_equal(imap_search_parse("1 (MODSEQ 5", v, 4), -1);
	assert_int_equal(imap_search_parse("1 (MOD", v, 4), -1);
	assert_int_equal(imap_search_parse("1 (", v, 4), -1);
	/* max 0: counted, not stored. */
	assert_int_equal(imap_search_parse("1 2", NULL, 0), 2);
}

static void
test_fetch_body(void **state)
{
	static const char in[] = "* 3 FETCH (UID 8 BODY[] {4}\r\nab\r\n)\r\n"
				 "* 3 FETCH (FLAGS (\\Seen))\r\n";
	struct imap_reader rd;
	struct imap_response r;
	struct mv_error err;
	const char *body;
	size_t used, len = 99;

	(void)state;
	imap_reader_init(&rd, 0, 0, 0);
	assert_int_equal(imap_reader_feed(&rd, in, sizeof(in) - 1, &used, &r,
			     &err),
	    IMAP_READ_DONE);
	body = imap_fetch_body(&r, &len);
	assert_non_null(body);
	assert_int_equal(len, 4);
	assert_memory_equal(body, "ab\r\n", 4);
	assert_int_equal(imap_reader_feed(&rd, in + used,
			     sizeof(in) - 1 - used, &used, &r, &err),
	    IMAP_READ_DONE);
	assert_null(imap_fetch_body(&r, &len));
	assert_int_equal(len, 0);
	imap_reader_free(&rd);
}

/* The message is the literal of BODY[]/BINARY[]/RFC822, not the first
 * literal of the response (an ENVELOPE string may come first). */
static void
test_fetch_body_picks_the_body_literal(void **state)
{
	static const struct {
		const char *wire;
		const char *body; /* NULL: none */
	} cases[] = {
		{ "* 2 FETCH (X {0}\r\n Q {2}\r\nab)\r\n", NULL },
		{ "* 2 FETCH (ENVELOPE (NIL {3}\r\nsub NIL) BODY[] {5}\r\n"
		  "hello)\r\n", "hello" },
		{ "* 2 FETCH (BODY[TEXT] {4}\r\ntext)\r\n", "text" },
		{ "* 2 FETCH (BODY[]<0> {3}\r\nabc)\r\n", "abc" },
		{ "* 2 FETCH (RFC822 {2}\r\nxy)\r\n", "xy" },
		{ "* 2 FETCH (BODY[HEADER.FIELDS (SUBJECT DATE)] {3}\r\nhdr)"
		  "\r\n", "hdr" },
		{ "* 2 FETCH (BINARY[1] {1}\r\nz)\r\n", "z" },
		{ "* 2 FETCH (FLAGS (\\Seen))\r\n", NULL },
	};
	struct imap_reader rd;
	struct imap_response resp;
	struct mv_error err;
	size_t i, used, len;
	const char *body;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		imap_reader_init(&rd, 0, 0, 0);
		assert_int_equal(imap_reader_feed(&rd, cases[i].wire,
		    strlen(cases[i].wire), &used, &resp, &err),
		    IMAP_READ_DONE);
		body = imap_fetch_body(&resp, &len);
		if (cases[i].body == NULL) {
			assert_null(body);
		} else {
			assert_non_null(body);
			assert_int_equal(len, strlen(cases[i].body));
			assert_memory_equal(body, cases[i].body, len);
		}
		imap_reader_free(&rd);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fetch_body_picks_the_body_literal),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_limits_table),
		cmocka_unit_test(test_consumed_pipelined),
		cmocka_unit_test(test_huge_literal),
		cmocka_unit_test(test_big_literal),
		cmocka_unit_test(test_one_megabyte_line),
		cmocka_unit_test(test_many_literals),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_caps_limits),
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_search),
		cmocka_unit_test(test_fetch_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
