/*
 * test_ports_identify.c - unit tests for check/ports_identify (service
 * names from greetings and probe answers, reply boundaries, STARTTLS in
 * capability answers) and the pure list parsers of check/ports_judge.
 *
 * Greetings come from a table of what real servers send (Postfix,
 * Dovecot IMAP/POP3/LMTP/ManageSieve, Exim, OpenSSH, MariaDB, ...) and
 * of broken input; each is classified whole, and every strict prefix
 * must either ask for more bytes or give the same answer, so that how
 * TCP cuts the greeting never changes the name.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "check/ports_identify.h"
#include "check/ports_judge.h"

#include <stdio.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct greeting_case {
	const char *in;
	size_t len;               /* 0: strlen(in) */
	enum ports_service service;
	int smtp_family, lmtp_named, preauth, caps_seen, starttls;
	const char *detail;       /* NULL: not checked */
};

static const char mariadb[] =
    "\x24\x00\x00\x00\x0a" "10.11.6-MariaDB\0" "\x01\x00\x00\x00"
    "abcdefgh\0" "\xff\xf7\x08\x02\x00\x00\x00";

static const struct greeting_case greetings[] = {
	{ "220 mail.lab.example ESMTP Postfix\r\n", 0, PORTS_SVC_SMTP, 1, 0,
	    0, 0, 0, "220 mail.lab.example ESMTP Postfix" },
	{ "220-mx.example ESMTP Exim 4.96\r\n220-policy text\r\n220 go\r\n",
	    0, PORTS_SVC_SMTP, 1, 0, 0, 0, 0,
	    "220-mx.example ESMTP Exim 4.96" },
	{ "220 mail.lab.example Dovecot (Debian) ready.\r\n", 0,
	    PORTS_SVC_SMTP, 1, 0, 0, 0, 0, NULL },
	{ "220 lmtp.example LMTP Server ready\r\n", 0, PORTS_SVC_LMTP, 1, 1,
	    0, 0, 0, NULL },
	{ "554 5.7.1 no service for you\r\n", 0, PORTS_SVC_SMTP, 1, 0, 0,
	    0, 0, NULL },
	{ "220 ProFTPD Server (Debian) [::ffff:127.0.0.1]\r\n", 0,
	    PORTS_SVC_FTP, 0, 0, 0, 0, 0, NULL },
	{ "+OK Dovecot (Debian) ready.\r\n", 0, PORTS_SVC_POP3, 0, 0, 0, 0,
	    0, "+OK Dovecot (Debian) ready." },
	{ "* OK [CAPABILITY IMAP4rev1 SASL-IR STARTTLS AUTH=PLAIN] Dovecot "
	    "ready.\r\n", 0, PORTS_SVC_IMAP, 0, 0, 0, 1, 1,
	    "* OK [CAPABILITY ...] Dovecot ready." },
	{ "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] Dovecot ready.\r\n", 0,
	    PORTS_SVC_IMAP, 0, 0, 0, 1, 0, NULL },
	{ "* OK IMAP4rev1 Service Ready\r\n", 0, PORTS_SVC_IMAP, 0, 0, 0, 0,
	    0, "* OK IMAP4rev1 Service Ready" },
	{ "* PREAUTH IMAP4rev1 server logged in as Smith\r\n", 0,
	    PORTS_SVC_IMAP, 0, 0, 1, 0, 0, NULL },
	{ "* BYE too many connections\r\n", 0, PORTS_SVC_IMAP, 0, 0, 0, 0, 0,
	    NULL },
	{ "\"IMPLEMENTATION\" \"Dovecot Pigeonhole\"\r\n\"SIEVE\" \"fileinto"
	    "\"\r\n\"STARTTLS\"\r\n\"VERSION\" \"1.0\"\r\nOK \"ready\"\r\n",
	    0, PORTS_SVC_SIEVE, 0, 0, 0, 1, 1,
	    "\"IMPLEMENTATION\" \"Dovecot Pigeonhole\"" },
	{ "\"IMPLEMENTATION\" \"x\"\r\n\"SASL\" \"PLAIN\"\r\nOK\r\n", 0,
	    PORTS_SVC_SIEVE, 0, 0, 0, 1, 0, NULL },
	{ "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", 0, PORTS_SVC_SSH, 0, 0, 0, 0,
	    0, "SSH-2.0-OpenSSH_9.2p1 Debian-2" },
	{ mariadb, sizeof(mariadb) - 1, PORTS_SVC_MYSQL, 0, 0, 0, 0, 0,
	    "version 10.11.6-MariaDB" },
	{ "hello there\r\n", 0, PORTS_SVC_UNKNOWN, 0, 0, 0, 0, 0,
	    "hello there" },
	{ "22 short\r\n", 0, PORTS_SVC_UNKNOWN, 0, 0, 0, 0, 0, NULL },
	{ "220\x1b]0;x\x07 evil\r\n", 0, PORTS_SVC_UNKNOWN, 0, 0, 0, 0, 0,
	    "220?]0;x? evil" },
	{ "220 a\x1b[2Jb\r\n", 0, PORTS_SVC_SMTP, 1, 0, 0, 0, 0,
	    "220 a?[2Jb" },
	{ "+OK bare lf\n", 0, PORTS_SVC_POP3, 0, 0, 0, 0, 0, "+OK bare lf" },
	{ "\0\0\0\0\r\n", 6, PORTS_SVC_UNKNOWN, 0, 0, 0, 0, 0, "????" },
	/* Host names holding "ftp" or "lmtp" are not service words. */
	{ "220 ftp.example.com ESMTP Postfix\r\n", 0, PORTS_SVC_SMTP, 1, 0,
	    0, 0, 0, NULL },
	{ "220 lmtp.example.com ESMTP Postfix\r\n", 0, PORTS_SVC_SMTP, 1, 0,
	    0, 0, 0, NULL },
	{ "220 ftp.example.com Microsoft ESMTP MAIL Service ready\r\n", 0,
	    PORTS_SVC_SMTP, 1, 0, 0, 0, 0, NULL },
	{ "220 mx.example LMTP Cyrus v2.4 ready\r\n", 0, PORTS_SVC_LMTP, 1,
	    1, 0, 0, 0, NULL },
	{ "220 (vsFTPd 3.0.3)\r\n", 0, PORTS_SVC_FTP, 0, 0, 0, 0, 0, NULL },
	{ "220 Microsoft FTP Service\r\n", 0, PORTS_SVC_FTP, 0, 0, 0, 0, 0,
	    NULL },
	{ "220-FileZilla Server 1.7.3\r\n220 Please visit x\r\n", 0,
	    PORTS_SVC_FTP, 0, 0, 0, 0, 0, NULL },
	{ "220 ftp.example.com ready\r\n", 0, PORTS_SVC_SMTP, 1, 0, 0, 0, 0,
	    NULL },
	/* redis in protected mode speaks first. */
	{ "-DENIED Redis is running in protected mode because protected "
	    "mode is enabled\r\n", 0, PORTS_SVC_REDIS, 0, 0, 0, 0, 0, NULL },
	{ "-NOAUTH Authentication required.\r\n", 0, PORTS_SVC_REDIS, 0, 0,
	    0, 0, 0, "-NOAUTH Authentication required." },
};

static void
check_ident(const struct greeting_case *g, const struct ports_ident *id)
{
	assert_int_equal(id->service, g->service);
	assert_int_equal(id->smtp_family, g->smtp_family);
	assert_int_equal(id->lmtp_named, g->lmtp_named);
	assert_int_equal(id->preauth, g->preauth);
	assert_int_equal(id->caps_seen, g->caps_seen);
	assert_int_equal(id->starttls_offered, g->starttls);
	if (g->detail)
		assert_string_equal(id->detail, g->detail);
}

static void
test_greetings(void **state)
{
	size_t i, cut;

	(void)state;
	for (i = 0; i < NELEM(greetings); i++) {
		const struct greeting_case *g = &greetings[i];
		size_t len = g->len ? g->len : strlen(g->in);
		struct ports_ident id;

		print_message("greeting %zu\n", i);
		assert_int_equal(ports_identify_greeting(g->in, len, 0, &id),
		    1);
		check_ident(g, &id);
		assert_int_equal(ports_identify_greeting(g->in, len, 1, &id),
		    1);
		check_ident(g, &id);
		/* A prefix either waits for more or already knows. */
		for (cut = 0; cut < len; cut++)
			if (ports_identify_greeting(g->in, cut, 0, &id) == 1)
				assert_int_equal(id.service, g->service);
	}
}

static void
test_greeting_final(void **state)
{
	struct ports_ident id;

	(void)state;
	/* Nothing at all: silent, only once no more can come. */
	assert_int_equal(ports_identify_greeting("", 0, 0, &id), 0);
	assert_int_equal(ports_identify_greeting("", 0, 1, &id), 1);
	assert_int_equal(id.service, PORTS_SVC_NONE);
	/* A line without its end is used as it is at the end. */
	assert_int_equal(ports_identify_greeting("+OK hi", 6, 0, &id), 0);
	assert_int_equal(ports_identify_greeting("+OK hi", 6, 1, &id), 1);
	assert_int_equal(id.service, PORTS_SVC_POP3);
	/* An unfinished multi-line greeting waits, then counts. */
	assert_int_equal(ports_identify_greeting("220-a\r\n", 7, 0, &id), 0);
	assert_int_equal(ports_identify_greeting("220-a\r\n", 7, 1, &id), 1);
	assert_int_equal(id.service, PORTS_SVC_SMTP);
	assert_int_equal(id.smtp_code, 220);
	/* ... marked incomplete, so that the scanner does not speak
	 * before the last line (postscreen's pregreet test). */
	assert_int_equal(id.greeting_complete, 0);
	assert_int_equal(ports_identify_greeting("220-a\r\n220 b\r\n", 14,
	    0, &id), 1);
	assert_int_equal(id.greeting_complete, 1);
	assert_int_equal(ports_identify_greeting("220 a\r\n", 7, 1, &id), 1);
	assert_int_equal(id.greeting_complete, 1);
}

static void
test_greeting_full_buffer(void **state)
{
	static char big[PORTS_READ_MAX];
	struct ports_ident id;

	(void)state;
	memset(big, 'A', sizeof(big));
	/* No line end in a full buffer: decided anyway, detail bounded. */
	assert_int_equal(ports_identify_greeting(big, sizeof(big), 0, &id),
	    1);
	assert_int_equal(id.service, PORTS_SVC_UNKNOWN);
	assert_int_equal(strlen(id.detail), PORTS_DETAIL_MAX - 1);
	/* A MySQL-looking header claiming more than was sent. */
	assert_int_equal(ports_identify_greeting("\xff\x00\x00\x00\x0a" "5",
	    6, 0, &id), 0);
	assert_int_equal(ports_identify_greeting("\xff\x00\x00\x00\x0a" "5",
	    6, 1, &id), 1);
	assert_int_not_equal(id.service, PORTS_SVC_MYSQL);
}

static const struct {
	const char *in;
	enum ports_service service;
} probes[] = {
	{ "+PONG\r\n", PORTS_SVC_REDIS },
	{ "-NOAUTH Authentication required.\r\n", PORTS_SVC_REDIS },
	{ "-DENIED Redis is running in protected mode\r\n", PORTS_SVC_REDIS },
	{ "-ERR unknown command 'HEAD', with args\r\n", PORTS_SVC_REDIS },
	{ "PONG\n", PORTS_SVC_CLAMD },
	{ "SPAMD/1.5 76 Bad header line: PING\r\n", PORTS_SVC_SPAMD },
	{ "HTTP/1.1 400 Bad Request\r\n", PORTS_SVC_HTTP },
	{ "HTTP/1.0 200 OK\r\n", PORTS_SVC_HTTP },
	{ "<!DOCTYPE HTML>\n<html>", PORTS_SVC_HTTP },
	{ "-ERR what\r\n", PORTS_SVC_NONE },
	{ "garbage", PORTS_SVC_NONE },
	{ "", PORTS_SVC_NONE },
};

static void
test_probes(void **state)
{
	struct ports_ident id;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(probes); i++) {
		ports_identify_probe(probes[i].in, strlen(probes[i].in), &id);
		assert_int_equal(id.service, probes[i].service);
	}
}

static const struct {
	enum ports_reply_kind kind;
	const char *tag, *in;
	int complete;
} replies[] = {
	{ PORTS_REPLY_SMTP, NULL, "250-a\r\n250-b\r\n", 0 },
	{ PORTS_REPLY_SMTP, NULL, "250-a\r\n250 b\r\n", 1 },
	{ PORTS_REPLY_SMTP, NULL, "250 b", 0 },
	{ PORTS_REPLY_SMTP, NULL, "garbage\r\n", 1 },
	{ PORTS_REPLY_SMTP, NULL, "250\r\n", 1 },
	{ PORTS_REPLY_POP3_MULTI, NULL, "-ERR no\r\n", 1 },
	{ PORTS_REPLY_POP3_MULTI, NULL, "+OK\r\nSTLS\r\n", 0 },
	{ PORTS_REPLY_POP3_MULTI, NULL, "+OK\r\nSTLS\r\n.\r\n", 1 },
	{ PORTS_REPLY_POP3_MULTI, NULL, "+OK\r\n..\r\n", 0 },
	{ PORTS_REPLY_IMAP_TAGGED, "a", "* CAPABILITY X\r\n", 0 },
	{ PORTS_REPLY_IMAP_TAGGED, "a", "* CAPABILITY X\r\na OK\r\n", 1 },
	{ PORTS_REPLY_IMAP_TAGGED, "a", "ab OK\r\n", 0 },
	{ PORTS_REPLY_SIEVE, NULL, "\"SASL\" \"\"\r\n", 0 },
	{ PORTS_REPLY_SIEVE, NULL, "\"SASL\" \"\"\r\nOK\r\n", 1 },
	{ PORTS_REPLY_SIEVE, NULL, "NOPE\r\n", 0 },
	{ PORTS_REPLY_SIEVE, NULL, "NO (QUOTA) \"x\"\r\n", 1 },
	{ PORTS_REPLY_LINE, NULL, "x", 0 },
	{ PORTS_REPLY_LINE, NULL, "x\n", 1 },
};

static void
test_reply_complete(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(replies); i++) {
		print_message("reply %zu\n", i);
		assert_int_equal(ports_reply_complete(replies[i].kind,
		    replies[i].tag, replies[i].in, strlen(replies[i].in)),
		    replies[i].complete);
	}
	assert_int_equal(ports_smtp_code("250-a\r\n500 b\r\n", 14), 500);
	assert_int_equal(ports_smtp_code("junk\r\n", 6), -1);
	assert_int_equal(ports_smtp_code("250 no end", 10), -1);
}

static const struct {
	enum ports_service s;
	const char *in;
	int offered;
} caps[] = {
	{ PORTS_SVC_SMTP, "250-mail\r\n250-STARTTLS\r\n250 8BITMIME\r\n", 1 },
	{ PORTS_SVC_SMTP, "250-mail\r\n250 starttls  \r\n", 1 },
	{ PORTS_SVC_SMTP, "250-mail\r\n250-STARTTLSX\r\n250 X\r\n", 0 },
	{ PORTS_SVC_SMTP, "250-mail\r\n250-X STARTTLS\r\n250 X\r\n", 0 },
	{ PORTS_SVC_SMTP, "550-STARTTLS\r\n550 no\r\n", 0 },
	{ PORTS_SVC_LMTP, "250-x\r\n250 STARTTLS\r\n", 1 },
	{ PORTS_SVC_POP3, "+OK\r\nUSER\r\nSTLS\r\n.\r\n", 1 },
	{ PORTS_SVC_POP3, "+OK\r\nUSER\r\nSTLSX\r\n.\r\n", 0 },
	{ PORTS_SVC_IMAP, "* CAPABILITY IMAP4rev1 STARTTLS\r\na OK\r\n", 1 },
	{ PORTS_SVC_IMAP, "* OK [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n", 1 },
	{ PORTS_SVC_IMAP, "* CAPABILITY IMAP4rev1 XSTARTTLS\r\n", 0 },
	{ PORTS_SVC_IMAP, "* OK STARTTLS is nice\r\n", 0 },
	{ PORTS_SVC_SIEVE, "\"SASL\" \"\"\r\n\"STARTTLS\"\r\nOK\r\n", 1 },
	{ PORTS_SVC_SIEVE, "\"SASL\" \"STARTTLS\"\r\nOK\r\n", 0 },
	{ PORTS_SVC_REDIS, "STARTTLS\r\n", 0 },
};

static void
test_caps(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(caps); i++) {
		print_message("caps %zu\n", i);
		assert_int_equal(ports_caps_starttls(caps[i].s, caps[i].in,
		    strlen(caps[i].in)), caps[i].offered);
	}
}

static void
test_port_lists(void **state)
{
	uint16_t ports[PORTS_MAX];
	struct mv_error err;
	size_t n = 0;

	(void)state;
	assert_int_equal(ports_list_parse("25,2525-2527,25,65535", ports,
	    PORTS_MAX, &n, &err), 0);
	assert_int_equal(n, 5);
	assert_int_equal(ports[0], 25);
	assert_int_equal(ports[1], 2525);
	assert_int_equal(ports[3], 2527);
	assert_int_equal(ports[4], 65535);
	n = 0;
	assert_int_equal(ports_list_parse("1-1024", ports, PORTS_MAX, &n,
	    &err), 0);
	assert_int_equal(n, 1024);
	assert_int_equal(ports_list_parse("2000", ports, PORTS_MAX, &n, &err),
	    -1);
	assert_int_equal(err.cat, MV_ERR_USAGE);
	n = 0;
	assert_int_equal(ports_list_parse("1-1025", ports, PORTS_MAX, &n,
	    &err), -1);
	assert_int_equal(ports_list_parse("0", ports, 8, &n, &err), -1);
	assert_int_equal(ports_list_parse("65536", ports, 8, &n, &err), -1);
	assert_int_equal(ports_list_parse("5-3", ports, 8, &n, &err), -1);
	assert_int_equal(ports_list_parse("", ports, 8, &n, &err), -1);
	assert_int_equal(ports_list_parse("2x", ports, 8, &n, &err), -1);
	assert_int_equal(ports_list_parse("-5", ports, 8, &n, &err), -1);
	assert_int_equal(ports_list_parse("123456", ports, 8, &n, &err), -1);
}

static void
test_expect_lists(void **state)
{
	static struct ports_expect_list l;
	struct mv_error err;

	(void)state;
	memset(&l, 0, sizeof(l));
	assert_int_equal(ports_expect_parse("smtp,IMAPS,2525,pop3:2110,"
	    "smtps/2465", &l, &err), 0);
	assert_int_equal(l.n, 5);
	assert_int_equal(l.v[0].port, 25);
	assert_int_equal(l.v[0].service, PORTS_SVC_SMTP);
	assert_int_equal(l.v[0].tls, 0);
	assert_int_equal(l.v[1].port, 993);
	assert_int_equal(l.v[1].tls, 1);
	assert_int_equal(l.v[2].port, 2525);
	assert_int_equal(l.v[2].service, PORTS_SVC_NONE);
	assert_int_equal(l.v[3].port, 2110);
	assert_int_equal(l.v[3].service, PORTS_SVC_POP3);
	assert_int_equal(l.v[4].port, 2465);
	assert_int_equal(l.v[4].tls, 1);
	assert_int_equal(ports_expect_parse("gopher", &l, &err), -1);
	assert_non_null(strstr(err.msg, "gopher"));
	assert_int_equal(ports_expect_parse("imap:", &l, &err), -1);
	assert_int_equal(ports_expect_parse("imap:0", &l, &err), -1);
	assert_int_equal(ports_expect_parse("a,,b", &l, &err), -1);
	assert_int_equal(ports_expect_parse("", &l, &err), -1);
	ports_expect_default(&l);
	assert_int_equal(l.n, 8);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_greetings),
		cmocka_unit_test(test_greeting_final),
		cmocka_unit_test(test_greeting_full_buffer),
		cmocka_unit_test(test_probes),
		cmocka_unit_test(test_reply_complete),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_port_lists),
		cmocka_unit_test(test_expect_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
