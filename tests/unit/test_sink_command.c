/*
 * test_sink_command.c - the sink's command-line classifier, from a
 * table: verb, result, and the arguments it extracted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "bench/sink_command.h"

#include <string.h>

static void
test_table(void **state)
{
	static const struct {
		const char *line;
		enum sink_parse r;
		enum sink_cmd cmd;
		const char *addr;     /* NULL: not checked */
	} t[] = {
		{ "EHLO client.example", SINK_PARSE_OK, SINK_CMD_EHLO, NULL },
		{ "ehlo x", SINK_PARSE_OK, SINK_CMD_EHLO, NULL },
		{ "EHLO", SINK_PARSE_SYNTAX, SINK_CMD_EHLO, NULL },
		{ "HELO x", SINK_PARSE_OK, SINK_CMD_HELO, NULL },
		{ "LHLO x", SINK_PARSE_OK, SINK_CMD_LHLO, NULL },
		{ "MAIL FROM:<a@b.c>", SINK_PARSE_OK, SINK_CMD_MAIL, "a@b.c" },
		{ "mail from:<>", SINK_PARSE_OK, SINK_CMD_MAIL, "" },
		{ "MAIL FROM: <a@b>", SINK_PARSE_OK, SINK_CMD_MAIL, "a@b" },
		{ "MAIL FROM:a@b", SINK_PARSE_SYNTAX, SINK_CMD_MAIL, NULL },
		{ "MAIL FROM:<a@b", SINK_PARSE_SYNTAX, SINK_CMD_MAIL, NULL },
		{ "MAIL FROM:<a@b>x", SINK_PARSE_SYNTAX, SINK_CMD_MAIL, NULL },
		{ "MAIL TO:<a@b>", SINK_PARSE_SYNTAX, SINK_CMD_MAIL, NULL },
		{ "MAIL FROM:<a> SIZE=", SINK_PARSE_SYNTAX, SINK_CMD_MAIL, NULL },
		{ "MAIL FROM:<a> SIZE=1x", SINK_PARSE_SYNTAX, SINK_CMD_MAIL,
		    NULL },
		{ "MAIL FROM:<a> BODY=9BIT", SINK_PARSE_SYNTAX, SINK_CMD_MAIL,
		    NULL },
		{ "MAIL FROM:<a> FOO=bar", SINK_PARSE_OK, SINK_CMD_MAIL, "a" },
		{ "RCPT TO:<d@e>", SINK_PARSE_OK, SINK_CMD_RCPT, "d@e" },
		{ "RCPT TO:<>", SINK_PARSE_SYNTAX, SINK_CMD_RCPT, NULL },
		{ "RCPT FROM:<d@e>", SINK_PARSE_SYNTAX, SINK_CMD_RCPT, NULL },
		{ "DATA", SINK_PARSE_OK, SINK_CMD_DATA, NULL },
		{ "DATA x", SINK_PARSE_SYNTAX, SINK_CMD_DATA, NULL },
		{ "BDAT 100", SINK_PARSE_OK, SINK_CMD_BDAT, NULL },
		{ "BDAT", SINK_PARSE_SYNTAX, SINK_CMD_BDAT, NULL },
		{ "BDAT -1", SINK_PARSE_SYNTAX, SINK_CMD_BDAT, NULL },
		{ "BDAT 10 FIRST", SINK_PARSE_SYNTAX, SINK_CMD_BDAT, NULL },
		{ "BDAT 99999999999999999999", SINK_PARSE_SYNTAX,
		    SINK_CMD_BDAT, NULL },
		{ "RSET", SINK_PARSE_OK, SINK_CMD_RSET, NULL },
		{ "NOOP hello", SINK_PARSE_OK, SINK_CMD_NOOP, NULL },
		{ "QUIT", SINK_PARSE_OK, SINK_CMD_QUIT, NULL },
		{ "VRFY x", SINK_PARSE_OK, SINK_CMD_VRFY, NULL },
		{ "STARTTLS", SINK_PARSE_OK, SINK_CMD_STARTTLS, NULL },
		{ "AUTH", SINK_PARSE_SYNTAX, SINK_CMD_AUTH, NULL },
		{ "AUTH PLAIN", SINK_PARSE_OK, SINK_CMD_AUTH, NULL },
		{ "EXPN x", SINK_PARSE_UNKNOWN, SINK_CMD_UNKNOWN, NULL },
		{ "", SINK_PARSE_UNKNOWN, SINK_CMD_UNKNOWN, NULL },
		{ "MAILFROM:<a>", SINK_PARSE_UNKNOWN, SINK_CMD_UNKNOWN, NULL },
		{ "GET / HTTP/1.0", SINK_PARSE_UNKNOWN, SINK_CMD_UNKNOWN, NULL },
	};
	struct sink_command c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum sink_parse r = sink_command_parse(t[i].line,
		    strlen(t[i].line), &c);

		if (r != t[i].r || c.cmd != t[i].cmd)
			fail_msg("'%s': got %d/%d", t[i].line, r, c.cmd);
		if (t[i].addr != NULL) {
			assert_int_equal(c.addr_len, strlen(t[i].addr));
			assert_memory_equal(c.addr, t[i].addr, c.addr_len);
		}
	}
}

static void
test_params(void **state)
{
	struct sink_command c;
	const char *l;

	(void)state;
	l = "MAIL FROM:<a@b> SIZE=1234 BODY=8BITMIME SMTPUTF8";
	assert_int_equal(sink_command_parse(l, strlen(l), &c), SINK_PARSE_OK);
	assert_true(c.has_size);
	assert_true(c.size == 1234);
	assert_true(c.body_8bit);
	assert_true(c.smtputf8);
	l = "BDAT 512 LAST";
	assert_int_equal(sink_command_parse(l, strlen(l), &c), SINK_PARSE_OK);
	assert_true(c.chunk_len == 512);
	assert_true(c.last);
	l = "BDAT 0 last";
	assert_int_equal(sink_command_parse(l, strlen(l), &c), SINK_PARSE_OK);
	assert_true(c.chunk_len == 0);
	assert_true(c.last);
	l = "AUTH PLAIN AGEAYg== ";
	assert_int_equal(sink_command_parse(l, strlen(l), &c), SINK_PARSE_OK);
	assert_int_equal(c.mech_len, 5);
	assert_int_equal(c.initial_len, 8);
	assert_memory_equal(c.initial, "AGEAYg==", 8);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
