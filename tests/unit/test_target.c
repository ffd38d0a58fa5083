/*
 * test_target.c - unit tests for net/target: every accepted form from
 * target.h, and the refusals with the messages users will read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/target.h"

#include <stdlib.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct ok_case {
	const char *text;
	enum target_scheme dflt;
	enum target_scheme scheme;
	enum target_proto proto;
	int tls;
	const char *host;
	uint16_t port;
	int literal;
};

static const struct ok_case ok_cases[] = {
	{ "smtp://mail.example.org", TARGET_SCHEME_IMAP, TARGET_SCHEME_SMTP,
	    TARGET_PROTO_SMTP, 0, "mail.example.org", 25, 0 },
	{ "smtp://mail.example.org/", TARGET_SCHEME_SMTP, TARGET_SCHEME_SMTP,
	    TARGET_PROTO_SMTP, 0, "mail.example.org", 25, 0 },
	{ "SMTPS://Mail.Example.ORG", TARGET_SCHEME_SMTP, TARGET_SCHEME_SMTPS,
	    TARGET_PROTO_SMTP, 1, "Mail.Example.ORG", 465, 0 },
	{ "submission://h:2587/", TARGET_SCHEME_SMTP,
	    TARGET_SCHEME_SUBMISSION, TARGET_PROTO_SMTP, 0, "h", 2587, 0 },
	{ "Submissions://h", TARGET_SCHEME_SMTP, TARGET_SCHEME_SUBMISSIONS,
	    TARGET_PROTO_SMTP, 1, "h", 465, 0 },
	{ "lmtp://127.0.0.1", TARGET_SCHEME_SMTP, TARGET_SCHEME_LMTP,
	    TARGET_PROTO_LMTP, 0, "127.0.0.1", 24, 1 },
	{ "pop3://h", TARGET_SCHEME_SMTP, TARGET_SCHEME_POP3,
	    TARGET_PROTO_POP3, 0, "h", 110, 0 },
	{ "pop3s://h", TARGET_SCHEME_SMTP, TARGET_SCHEME_POP3S,
	    TARGET_PROTO_POP3, 1, "h", 995, 0 },
	{ "imap://h", TARGET_SCHEME_SMTP, TARGET_SCHEME_IMAP,
	    TARGET_PROTO_IMAP, 0, "h", 143, 0 },
	{ "imaps://h:1993", TARGET_SCHEME_SMTP, TARGET_SCHEME_IMAPS,
	    TARGET_PROTO_IMAP, 1, "h", 1993, 0 },
	{ "mail.example.org", TARGET_SCHEME_SMTP, TARGET_SCHEME_SMTP,
	    TARGET_PROTO_SMTP, 0, "mail.example.org", 25, 0 },
	{ "mail.example.org:2525", TARGET_SCHEME_SUBMISSION,
	    TARGET_SCHEME_SUBMISSION, TARGET_PROTO_SMTP, 0,
	    "mail.example.org", 2525, 0 },
	{ "mail.example.org.", TARGET_SCHEME_IMAPS, TARGET_SCHEME_IMAPS,
	    TARGET_PROTO_IMAP, 1, "mail.example.org.", 993, 0 },
	{ "_dmarc-x.example", TARGET_SCHEME_SMTP, TARGET_SCHEME_SMTP,
	    TARGET_PROTO_SMTP, 0, "_dmarc-x.example", 25, 0 },
	{ "127.0.0.1:00025", TARGET_SCHEME_SMTP, TARGET_SCHEME_SMTP,
	    TARGET_PROTO_SMTP, 0, "127.0.0.1", 25, 1 },
	{ "h:65535", TARGET_SCHEME_SMTP, TARGET_SCHEME_SMTP,
	    TARGET_PROTO_SMTP, 0, "h", 65535, 0 },
	{ "h:1", TARGET_SCHEME_SMTP, TARGET_SCHEME_SMTP, TARGET_PROTO_SMTP, 0,
	    "h", 1, 0 },
	{ "[::1]", TARGET_SCHEME_SMTP, TARGET_SCHEME_SMTP, TARGET_PROTO_SMTP,
	    0, "::1", 25, 1 },
	{ "[::1]:2525", TARGET_SCHEME_SMTP, TARGET_SCHEME_SMTP,
	    TARGET_PROTO_SMTP, 0, "::1", 2525, 1 },
	{ "::1", TARGET_SCHEME_POP3S, TARGET_SCHEME_POP3S, TARGET_PROTO_POP3,
	    1, "::1", 995, 1 },
	{ "2001:db8::25", TARGET_SCHEME_SMTP, TARGET_SCHEME_SMTP,
	    TARGET_PROTO_SMTP, 0, "2001:db8::25", 25, 1 },
	{ "fe80::1%eth0", TARGET_SCHEME_SMTP, TARGET_SCHEME_SMTP,
	    TARGET_PROTO_SMTP, 0, "fe80::1%eth0", 25, 1 },
	{ "smtp://[2001:db8::1]:587", TARGET_SCHEME_IMAP, TARGET_SCHEME_SMTP,
	    TARGET_PROTO_SMTP, 0, "2001:db8::1", 587, 1 },
	{ "imaps://[::ffff:192.0.2.1]/", TARGET_SCHEME_SMTP,
	    TARGET_SCHEME_IMAPS, TARGET_PROTO_IMAP, 1, "::ffff:192.0.2.1", 993,
	    1 },
	/* "unix:" followed by digits only is host "unix" with a port. */
	{ "unix:25", TARGET_SCHEME_SMTP, TARGET_SCHEME_SMTP, TARGET_PROTO_SMTP,
	    0, "unix", 25, 0 },
	{ "smtp:25", TARGET_SCHEME_SMTP, TARGET_SCHEME_SMTP, TARGET_PROTO_SMTP,
	    0, "smtp", 25, 0 },
	/* Not a valid IPv4 address: a name, left to the resolver. */
	{ "999.1.1.1", TARGET_SCHEME_SMTP, TARGET_SCHEME_SMTP,
	    TARGET_PROTO_SMTP, 0, "999.1.1.1", 25, 0 },
};

static void
test_accepted(void **state)
{
	struct mv_error err;
	struct target t;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(ok_cases); i++) {
		const struct ok_case *c = &ok_cases[i];

		mv_error_clear(&err);
		if (target_parse(c->text, c->dflt, &t, &err) != 0)
			fail_msg("case %zu \"%s\": %s", i, c->text, err.msg);
		if (t.scheme != c->scheme || t.proto != c->proto ||
		    t.implicit_tls != c->tls || strcmp(t.host, c->host) != 0 ||
		    t.port != c->port || t.is_literal != c->literal ||
		    t.is_unix)
			fail_msg("case %zu \"%s\": scheme %d proto %d tls %d "
				 "host \"%s\" port %u literal %d unix %d",
			    i, c->text, t.scheme, t.proto, t.implicit_tls,
			    t.host, t.port, t.is_literal, t.is_unix);
	}
}

struct bad_case {
	const char *text;
	const char *msg; /* expected substring of the message */
};

static const struct bad_case bad_cases[] = {
	{ "", "empty target" },
	{ "smtpx://h", "unknown scheme 'smtpx' (expected smtp, smtps, "
		       "submission, submissions, lmtp, pop3, pop3s, imap, "
		       "imaps or unix)" },
	{ "http://h", "unknown scheme 'http'" },
	{ "://h", "unknown scheme ''" },
	{ "smtp+tls://h", "unknown scheme 'smtp+tls'" },
	{ "h/a://b", "targets take no path ('/a://b')" },
	{ "a b://c", "invalid character ' ' in host name 'a b'" },
	{ "smtp://h:70000", "port 70000 out of range (1..65535)" },
	{ "smtp://h:65536", "port 65536 out of range" },
	{ "smtp://h:0", "port 0 out of range" },
	{ "h:99999999999999999999999", "port 99999999999999999999999 out of "
				       "range" },
	{ "h:abc", "port 'abc' is not a number" },
	{ "h:-1", "port '-1' is not a number" },
	{ "h:25 ", "port '25 ' is not a number" },
	{ "h:", "empty port after ':'" },
	{ "smtp://user@h", "put the user name in --auth-user, not in the URL" },
	{ "user@h", "put the user name in --auth-user, not in the URL" },
	{ "smtp://user:secret@h:25", "password in --password-file" },
	{ "smtp://", "missing host name" },
	{ "smtp://:25", "missing host name" },
	{ ":25", "missing host name" },
	{ "smtp://h/INBOX", "--helo" },
	{ "imap://h/INBOX", "choose the mailbox with --mailbox" },
	{ "pop3://h/x", "targets take no path ('/x')" },
	{ "smtp://h?x=1", "no query string" },
	{ "smtp://h/?x=1", "no query string" },
	{ "smtp://h#frag", "no query string or fragment ('#frag')" },
	{ "smtp://::1", "put IPv6 addresses in brackets" },
	{ "smtp://::1:25", "put IPv6 addresses in brackets" },
	{ "1:2:3", "'1:2:3' is not a valid IPv6 address" },
	{ "[::1", "missing ']'" },
	{ "[::1]x", "unexpected 'x' after ']'" },
	{ "[::1]:", "empty port after ':'" },
	{ "[::1]:99999", "port 99999 out of range" },
	{ "[zz::1]", "'zz::1' is not a valid IPv6 address" },
	{ "[]", "'' is not a valid IPv6 address" },
	{ "[127.0.0.1]", "not a valid IPv6 address" },
	{ "[fe80::1%]", "not a valid IPv6 address" },
	{ "[fe80::1%e th]", "not a valid IPv6 address" },
	{ "mail example", "invalid character ' ' in host name 'mail example'" },
	{ "h\x01", "invalid character '\\x01' in host name 'h\\x01'" },
	{ "h\xc3\xa9", "invalid character '\\xc3'" },
	{ " h", "invalid character ' '" },
	{ "a..b", "empty label in host name 'a..b'" },
	{ ".a", "empty label" },
	{ "smtp:mail.example.org", "missing '//' after 'smtp:' (write "
				   "smtp://host)" },
	{ "IMAPS:mail.example.org", "write imaps://host" },
	{ "/run/mail.sock", "for a UNIX-domain socket write "
			    "unix:/run/mail.sock" },
	{ "unix:", "empty socket path after 'unix:'" },
};

static void
test_refused(void **state)
{
	struct mv_error err;
	struct target t;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];

		mv_error_clear(&err);
		if (target_parse(c->text, TARGET_SCHEME_SMTP, &t, &err) != -1)
			fail_msg("case %zu \"%s\": accepted", i, c->text);
		if (err.cat != MV_ERR_USAGE || strstr(err.msg, c->msg) == NULL)
			fail_msg("case %zu \"%s\": got [%s] \"%s\", want "
				 "\"%s\"",
			    i, c->text, mv_errcat_name(err.cat), err.msg,
			    c->msg);
	}
}

static void
test_null_text(void **state)
{
	struct mv_error err;
	struct target t;

	(void)state;
	assert_int_equal(target_parse(NULL, TARGET_SCHEME_SMTP, &t, &err), -1);
	assert_int_equal(err.cat, MV_ERR_USAGE);
	assert_int_equal(target_parse("h", (enum target_scheme)99, &t, &err),
	    -1);
	assert_int_equal(err.cat, MV_ERR_INTERNAL);
}

static void
test_unix(void **state)
{
	struct mv_error err;
	struct target t;

	(void)state;
	assert_int_equal(target_parse("unix:/run/dovecot/lmtp",
			     TARGET_SCHEME_LMTP, &t, &err),
	    0);
	assert_true(t.is_unix);
	assert_string_equal(t.path, "/run/dovecot/lmtp");
	assert_string_equal(t.host, "");
	assert_int_equal(t.port, 0);
	assert_int_equal(t.proto, TARGET_PROTO_LMTP);
	assert_int_equal(t.scheme, TARGET_SCHEME_LMTP);

	/* Case-insensitive, relative paths allowed, never implicit TLS. */
	assert_int_equal(target_parse("UNIX:./sock", TARGET_SCHEME_SMTPS, &t,
			     &err),
	    0);
	assert_true(t.is_unix);
	assert_string_equal(t.path, "./sock");
	assert_int_equal(t.implicit_tls, 0);
	assert_int_equal(t.proto, TARGET_PROTO_SMTP);
}

static void
test_unix_path_limit(void **state)
{
	char text[5 + TARGET_PATH_MAX + 2];
	struct mv_error err;
	struct target t;

	(void)state;
	memcpy(text, "unix:", 5);
	text[5] = '/';
	memset(text + 6, 'p', TARGET_PATH_MAX - 1);
	text[5 + TARGET_PATH_MAX] = '\0';
	assert_int_equal(target_parse(text, TARGET_SCHEME_SMTP, &t, &err), 0);
	assert_int_equal(strlen(t.path), TARGET_PATH_MAX);
	text[5 + TARGET_PATH_MAX] = 'p';
	text[5 + TARGET_PATH_MAX + 1] = '\0';
	assert_int_equal(target_parse(text, TARGET_SCHEME_SMTP, &t, &err), -1);
	assert_non_null(strstr(err.msg, "socket path longer than 107"));
}

static void
test_host_limit(void **state)
{
	char text[TARGET_HOST_MAX + 16];
	struct mv_error err;
	struct target t;

	(void)state;
	memset(text, 'a', TARGET_HOST_MAX);
	text[TARGET_HOST_MAX] = '\0';
	assert_int_equal(target_parse(text, TARGET_SCHEME_SMTP, &t, &err), 0);
	assert_int_equal(strlen(t.host), TARGET_HOST_MAX);
	memcpy(text + TARGET_HOST_MAX, "a:25", 5);
	assert_int_equal(target_parse(text, TARGET_SCHEME_SMTP, &t, &err), -1);
	assert_non_null(strstr(err.msg, "host name longer than 255"));
}

static void
test_oversized_input(void **state)
{
	enum { N = 1024 * 1024 };
	struct mv_error err;
	struct target t;
	char *text;

	(void)state;
	text = malloc(N + 1);
	assert_non_null(text);
	memset(text, 'a', N);
	text[N] = '\0';
	assert_int_equal(target_parse(text, TARGET_SCHEME_SMTP, &t, &err), -1);
	/* The message quotes a bounded part of the input. */
	assert_true(strlen(err.msg) < 200);
	memcpy(text, "smtp://", 7);
	memset(text + 7, '1', N - 7);
	text[10] = ':';
	assert_int_equal(target_parse(text, TARGET_SCHEME_SMTP, &t, &err), -1);
	assert_non_null(strstr(err.msg, "out of range"));
	assert_non_null(strstr(err.msg, "..."));
	free(text);
}

static void
test_format(void **state)
{
	static const struct {
		const char *text;
		const char *formatted;
	} cases[] = {
		{ "mail.example.org", "smtp://mail.example.org:25" },
		{ "imaps://h", "imaps://h:993" },
		{ "[::1]:2525", "smtp://[::1]:2525" },
		{ "fe80::1%eth0", "smtp://[fe80::1%eth0]:25" },
		{ "unix:/run/x.sock", "unix:/run/x.sock" },
		{ "Submissions://H:1", "submissions://H:1" },
	};
	struct mv_error err;
	struct target t, t2;
	char out[512];
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		assert_int_equal(target_parse(cases[i].text, TARGET_SCHEME_SMTP,
				     &t, &err),
		    0);
		target_format(&t, out, sizeof(out));
		assert_string_equal(out, cases[i].formatted);
		/* What is printed parses back to the same target (unix:
		 * carries no scheme, hence the same default). */
		assert_int_equal(target_parse(out, TARGET_SCHEME_SMTP, &t2,
				     &err),
		    0);
		assert_memory_equal(&t, &t2, sizeof(t));
	}
	/* A short buffer is cut, never overflowed. */
	memset(out, 'Z', sizeof(out));
	target_format(&t, out, 5);
	assert_string_equal(out, "subm");
	assert_int_equal(out[5], 'Z');
	target_format(&t, out, 0);
}

static void
test_scheme_names_ports(void **state)
{
	static const struct {
		enum target_scheme s;
		const char *name;
		uint16_t port;
	} cases[] = {
		{ TARGET_SCHEME_SMTP, "smtp", 25 },
		{ TARGET_SCHEME_SMTPS, "smtps", 465 },
		{ TARGET_SCHEME_SUBMISSION, "submission", 587 },
		{ TARGET_SCHEME_SUBMISSIONS, "submissions", 465 },
		{ TARGET_SCHEME_LMTP, "lmtp", 24 },
		{ TARGET_SCHEME_POP3, "pop3", 110 },
		{ TARGET_SCHEME_POP3S, "pop3s", 995 },
		{ TARGET_SCHEME_IMAP, "imap", 143 },
		{ TARGET_SCHEME_IMAPS, "imaps", 993 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		assert_string_equal(target_scheme_name(cases[i].s),
		    cases[i].name);
		assert_int_equal(target_default_port(cases[i].s),
		    cases[i].port);
	}
	assert_string_equal(target_scheme_name((enum target_scheme)42),
	    "unknown");
	assert_int_equal(target_default_port((enum target_scheme)42), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_null_text),
		cmocka_unit_test(test_unix),
		cmocka_unit_test(test_unix_path_limit),
		cmocka_unit_test(test_host_limit),
		cmocka_unit_test(test_oversized_input),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_scheme_names_ports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
