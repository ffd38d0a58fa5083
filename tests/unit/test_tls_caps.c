/*
 * test_tls_caps.c - the capability replies of `mailvet tls` parsed from
 * tables (check/tls_caps.c): SMTP/LMTP EHLO, POP3 CAPA, IMAP
 * CAPABILITY and the ManageSieve greeting, with the malformed lines
 * that once made the parser read past a line's end (an unterminated
 * "SASL quote) and bounds on every field.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "check/tls_caps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct caps_case {
	enum tls_dialog_proto proto;
	const char *resp;
	const char *caps;
	int starttls;
	const char *auth;
	int login;
};

static const struct caps_case cases[] = {
	/* SMTP: the first line is the server's name. */
	{ TLS_DIALOG_SMTP, "250-mail.test\n250-STARTTLS\n250-AUTH PLAIN "
	    "LOGIN\n250 8BITMIME\n", "STARTTLS AUTH 8BITMIME", 1,
	    "PLAIN LOGIN", 0 },
	{ TLS_DIALOG_SMTP, "250 mail.test\n", "", 0, "", 0 },
	{ TLS_DIALOG_SMTP, "250-mail.test\r\n250-starttls\r\n250 SIZE 10\r\n",
	    "starttls SIZE", 1, "", 0 },
	{ TLS_DIALOG_SMTP, "250-mail.test\n250-XTARTTLS\n250 AUTH\n",
	    "XTARTTLS AUTH", 0, "", 0 },
	{ TLS_DIALOG_SMTP, "250-mail.test\n250-STARTTLSX\n250-AUTH  PLAIN\n",
	    "STARTTLSX AUTH", 0, "PLAIN", 0 },
	{ TLS_DIALOG_LMTP, "250-lmtp\n250-STARTTLS\n250 PIPELINING\n",
	    "STARTTLS PIPELINING", 1, "", 0 },
	/* POP3: "+OK", the capabilities, "." */
	{ TLS_DIALOG_POP3, "+OK\nSTLS\nUSER\nSASL PLAIN LOGIN\n.\n",
	    "STLS USER SASL", 1, "PLAIN LOGIN", 1 },
	{ TLS_DIALOG_POP3, "+OK Capability list\nTOP\nUIDL\n.\n", "TOP UIDL",
	    0, "", 0 },
	{ TLS_DIALOG_POP3, "+OK\nSASL\n.\n", "SASL", 0, "", 0 },
	/* IMAP: only "* CAPABILITY" lines; LOGIN unless LOGINDISABLED. */
	{ TLS_DIALOG_IMAP, "* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED "
	    "AUTH=PLAIN\nmvc OK done\n", "IMAP4rev1 STARTTLS LOGINDISABLED "
	    "AUTH=PLAIN", 1, "PLAIN", 0 },
	{ TLS_DIALOG_IMAP, "* CAPABILITY IMAP4rev1 STARTTLS\nmvc OK\n",
	    "IMAP4rev1 STARTTLS", 1, "LOGIN", 1 },
	{ TLS_DIALOG_IMAP, "* OK hello\nmvc OK\n", "", 0, "", 0 },
	{ TLS_DIALOG_IMAP, "* CAPABILITY  IMAP4rev1   AUTH=\n", "IMAP4rev1 "
	    "AUTH=", 0, "LOGIN", 1 },
	/* ManageSieve: "NAME" ["VALUE"] lines, then OK. */
	{ TLS_DIALOG_SIEVE, "\"IMPLEMENTATION\" \"Dovecot\"\n\"SASL\" "
	    "\"PLAIN LOGIN\"\n\"STARTTLS\"\n\"VERSION\" \"1.0\"\nOK \"ready\"\n",
	    "IMPLEMENTATION SASL STARTTLS VERSION", 1, "PLAIN LOGIN", 0 },
	{ TLS_DIALOG_SIEVE, "\"SASL\" \"\"\nOK\n", "SASL", 0, "", 0 },
	{ TLS_DIALOG_SIEVE, "\"SASL\"\nOK\n", "SASL", 0, "", 0 },
	/* The reviewer's case: an unterminated "SASL after a longer line
	 * must not pick up that line's "PLAIN". */
	{ TLS_DIALOG_SIEVE, "\"AAAAAAA\"PLAIN\"\n\"SASL\n\"VERSION\" \"1.0\"\n"
	    "OK \"ready\"\n", "AAAAAAA VERSION", 0, "", 0 },
	{ TLS_DIALOG_SIEVE, "\"SASL\" \"PLAIN\nOK\n", "SASL", 0, "", 0 },
	{ TLS_DIALOG_SIEVE, "\"SASL\" PLAIN\n", "SASL", 0, "", 0 },
	{ TLS_DIALOG_SIEVE, "\"\n\"STARTTLS\n", "", 0, "", 0 },
	{ TLS_DIALOG_SIEVE, "STARTTLS\nOK\n", "", 0, "", 0 },
};

static void
test_caps_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		const struct caps_case *c = &cases[i];
		struct tls_caps out;

		tls_caps_parse(c->proto, c->resp, strlen(c->resp), &out);
		if (strcmp(out.caps, c->caps) != 0 ||
		    out.starttls_offered != c->starttls ||
		    strcmp(out.auth, c->auth) != 0 ||
		    out.login_allowed != c->login)
			fail_msg("case %zu: caps \"%s\" starttls %d auth \"%s\" "
			    "login %d", i, out.caps, out.starttls_offered,
			    out.auth, out.login_allowed);
	}
}

/* The length bounds the parse, not a NUL: a sieve line cut inside its
 * SASL value, followed in memory by a closing quote and more words. */
static void
test_caps_length_bound(void **state)
{
	static const char buf[] = "\"SASL\" \"PLA\"IN\" \"X\"\n";
	struct tls_caps out;

	(void)state;
	tls_caps_parse(TLS_DIALOG_SIEVE, buf, 11, &out); /* "SASL" "PLA */
	assert_string_equal(out.caps, "SASL");
	assert_string_equal(out.auth, "");
	tls_caps_parse(TLS_DIALOG_SIEVE, buf, 12, &out);
	assert_string_equal(out.auth, "PLA");
	/* A NUL inside a word drops the word, not the rest. */
	tls_caps_parse(TLS_DIALOG_SMTP, "250-x\n250-ST\0RTTLS\n250 AUTH "
	    "PLAIN\n", 34, &out);
	assert_string_equal(out.caps, "AUTH");
	assert_int_equal(out.starttls_offered, 0);
	assert_string_equal(out.auth, "PLAIN");
}

/* A field that would overflow drops whole words and stays a string. */
static void
test_caps_overflow(void **state)
{
	char *resp = malloc(20000);
	struct tls_caps out;
	size_t used = 0, i;

	(void)state;
	assert_non_null(resp);
	used += (size_t)snprintf(resp, 20000, "250-x\n250-AUTH");
	for (i = 0; i < 400; i++)
		used += (size_t)snprintf(resp + used, 20000 - used, " MECH%zu",
		    i);
	used += (size_t)snprintf(resp + used, 20000 - used, "\n");
	for (i = 0; i < 300; i++)
		used += (size_t)snprintf(resp + used, 20000 - used,
		    "250-KEYWORD%zu\n", i);
	used += (size_t)snprintf(resp + used, 20000 - used, "250 STARTTLS\n");
	tls_caps_parse(TLS_DIALOG_SMTP, resp, used, &out);
	assert_true(strlen(out.auth) < sizeof(out.auth));
	assert_true(strlen(out.caps) < sizeof(out.caps));
	assert_int_equal(strncmp(out.auth, "MECH0 MECH1 ", 12), 0);
	assert_true(out.auth[strlen(out.auth) - 1] != ' ');
	/* STARTTLS is seen even when the list is full. */
	assert_int_equal(out.starttls_offered, 1);
	free(resp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_caps_table),
		cmocka_unit_test(test_caps_length_bound),
		cmocka_unit_test(test_caps_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
