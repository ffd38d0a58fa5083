/*
 * test_tls_probe.c - unit tests for the pure parts of `mailvet tls`:
 * the injection verdict from what a server sent after the handshake
 * (check/tls_dialog.c) and the --all-ports listener list with its
 * --ports overrides (check/tls_allports.c), from tables.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "check/tls_probe.h"

#include <stdlib.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct inject_case {
	enum tls_dialog_proto proto;
	const char *post;       /* lines after the handshake */
	int answered;
	const char *evidence;
};

static const struct inject_case inject_cases[] = {
	/* SMTP: QUIT's 221 first is safe; anything before it is not. */
	{ TLS_DIALOG_SMTP, "221 2.0.0 Bye\n", 0, "" },
	{ TLS_DIALOG_SMTP, "", 0, "" },
	{ TLS_DIALOG_SMTP, "250 2.0.0 Ok\n221 2.0.0 Bye\n", 1,
	    "250 2.0.0 Ok" },
	{ TLS_DIALOG_LMTP, "502 5.5.2 unknown\n221 Bye\n", 1,
	    "502 5.5.2 unknown" },
	{ TLS_DIALOG_SMTP, "\n\n221 Bye\n", 0, "" },
	/* POP3: QUIT is one line; the pipelined CAPA adds more. */
	{ TLS_DIALOG_POP3, "+OK Logging out.\n", 0, "" },
	{ TLS_DIALOG_POP3, "+OK\nSTLS\n.\n+OK Logging out.\n", 1, "+OK" },
	{ TLS_DIALOG_POP3, "-ERR unknown\n+OK bye\n", 1, "-ERR unknown" },
	/* IMAP: the injected tag "mvi" must never come back. */
	{ TLS_DIALOG_IMAP, "* BYE Logging out\nmvq OK done\n", 0, "" },
	{ TLS_DIALOG_IMAP, "mvi OK NOOP done\n* BYE\nmvq OK\n", 1,
	    "mvi OK NOOP done" },
	{ TLS_DIALOG_IMAP, "MVI BAD what\n", 1, "MVI BAD what" },
	{ TLS_DIALOG_IMAP, "mvix OK\n", 0, "" },
	/* ManageSieve: capabilities + OK, then LOGOUT's OK; a third final
	 * response answers the injected NOOP. */
	{ TLS_DIALOG_SIEVE, "\"STARTTLS\"\nOK\nOK \"Logout\"\n", 0, "" },
	{ TLS_DIALOG_SIEVE, "OK\nOK \"NOOP\"\nOK \"Logout\"\n", 1,
	    "OK \"Logout\"" },
	{ TLS_DIALOG_SMTP, "221", 0, "" },
};

static void
test_injection(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(inject_cases); i++) {
		const struct inject_case *c = &inject_cases[i];
		char ev[64];
		int r = tls_dialog_injection_answered(c->proto, c->post,
		    strlen(c->post), ev, sizeof(ev));

		if (r != c->answered || strcmp(ev, c->evidence) != 0)
			fail_msg("case %zu: got %d '%s', want %d '%s'", i, r,
			    ev, c->answered, c->evidence);
	}
}

static void
test_injection_small_evidence(void **state)
{
	char ev[4];

	(void)state;
	assert_int_equal(tls_dialog_injection_answered(TLS_DIALOG_SMTP,
	    "250 a long line\n", 16, ev, sizeof(ev)), 1);
	assert_string_equal(ev, "250");
}

static void
allports(const char *spec, struct tls_probe_params *p, struct mv_error *err,
    int want)
{
	struct probe_net base;

	memset(&base, 0, sizeof(base));
	memset(p, 0, sizeof(*p));
	if (tls_allports_targets(p, &base, "mail.example.org", spec, err) !=
	    want)
		fail_msg("'%s': got the other result (%s)", spec ? spec : "-",
		    err->msg);
}

static void
test_allports_default(void **state)
{
	static const char *const labels[] = { "smtp", "smtps", "submission",
		"pop3", "pop3s", "imap", "imaps", "sieve" };
	static const uint16_t ports[] = { 25, 465, 587, 110, 995, 143, 993,
		4190 };
	struct tls_probe_params p;
	struct mv_error err;
	size_t i;

	(void)state;
	allports(NULL, &p, &err, 0);
	assert_int_equal(p.ntargets, NELEM(labels));
	for (i = 0; i < p.ntargets; i++) {
		assert_string_equal(p.targets[i].label, labels[i]);
		assert_int_equal(p.targets[i].net.target.port, ports[i]);
		assert_string_equal(p.targets[i].net.target.host,
		    "mail.example.org");
		assert_true(p.targets[i].optional);
	}
	assert_true(p.targets[1].net.target.implicit_tls);
	assert_false(p.targets[2].net.target.implicit_tls);
	assert_true(p.targets[2].submission);
	assert_int_equal(p.targets[7].proto, TLS_DIALOG_SIEVE);
	assert_int_equal(p.targets[5].proto, TLS_DIALOG_IMAP);
	assert_int_equal(p.targets[3].proto, TLS_DIALOG_POP3);
}

static void
test_allports_overrides(void **state)
{
	struct tls_probe_params p;
	struct mv_error err;

	(void)state;
	allports("smtp=2525,IMAPS=2993,sieve=0,pop3=0,pop3s=0", &p, &err, 0);
	assert_int_equal(p.ntargets, 5);
	assert_int_equal(p.targets[0].net.target.port, 2525);
	assert_string_equal(p.targets[4].label, "imaps");
	assert_int_equal(p.targets[4].net.target.port, 2993);
	allports("", &p, &err, 0);
	assert_int_equal(p.ntargets, 8);
}

static void
test_allports_refusals(void **state)
{
	static const struct {
		const char *spec, *msg;
	} bad[] = {
		{ "smtp", "is not label=port" },
		{ "smtp=", "is not a port number" },
		{ "smtp=65536", "is not a port number" },
		{ "smtp=12x", "is not a port number" },
		{ "nntp=119", "unknown listener 'nntp'" },
		{ "=25", "unknown listener ''" },
		{ "smtp=0,smtps=0,submission=0,pop3=0,pop3s=0,imap=0,imaps=0,"
		    "sieve=0", "left no listener" },
	};
	struct tls_probe_params p;
	struct mv_error err;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(bad); i++) {
		allports(bad[i].spec, &p, &err, -1);
		assert_int_equal(err.cat, MV_ERR_USAGE);
		if (strstr(err.msg, bad[i].msg) == NULL)
			fail_msg("'%s': message '%s'", bad[i].spec, err.msg);
	}
}

static void
test_allports_v6_host(void **state)
{
	struct tls_probe_params p;
	struct probe_net base;
	struct mv_error err;

	(void)state;
	memset(&base, 0, sizeof(base));
	assert_int_equal(tls_allports_targets(&p, &base, "::1", "sieve=0",
	    &err), 0);
	assert_string_equal(p.targets[0].net.target.host, "::1");
	assert_true(p.targets[0].net.target.is_literal);
	assert_int_equal(tls_allports_targets(&p, &base, "", NULL, &err), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_injection),
		cmocka_unit_test(test_injection_small_evidence),
		cmocka_unit_test(test_allports_default),
		cmocka_unit_test(test_allports_overrides),
		cmocka_unit_test(test_allports_refusals),
		cmocka_unit_test(test_allports_v6_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
