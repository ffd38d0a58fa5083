/*
 * test_log_line.c - the mail-log prefix parser (logscan/log_line.h):
 * traditional syslog, RFC 3339, Postfix maillog_file and Dovecot
 * log_path lines from the lab and from the documented formats; year
 * inference; malformed lines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "logscan/log_line.h"

#include <stdlib.h>
#include <string.h>

struct line_case {
	const char *line;
	int rc;
	enum log_source src;
	const char *host, *prog, *service, *dprefix, *msg;
	long pid;
	char level;
};

static const struct line_case line_cases[] = {
	/* the lab's Postfix maillog_file */
	{ "Nov 25 16:19:49 mail postfix/smtpd[13022]: connect from "
	  "unknown[127.0.0.1]", 0, LOG_SRC_POSTFIX, "mail", "postfix/smtpd"
	  "[13022]", "smtpd", "", "connect from unknown[127.0.0.1]", 13022,
	  0 },
	{ "Nov 25 16:19:49 mail postfix/submission/smtpd[13028]: X", 0,
	  LOG_SRC_POSTFIX, "mail", "postfix/submission/smtpd[13028]", "smtpd",
	  "", "X", 13028, 0 },
	/* multi-instance syslog_name */
	{ "Mar  1 09:00:02 mx2 postfix-out/smtp[700]: 4D5E6F7A8B: to=<a@b>", 0,
	  LOG_SRC_POSTFIX, "mx2", "postfix-out/smtp[700]", "smtp", "",
	  "4D5E6F7A8B: to=<a@b>", 700, 0 },
	/* the lab's Dovecot log_path: no host */
	{ "Nov 25 16:19:49 lmtp(charlie@lab.example)<13062><uHYTJ6UKB2sGMw"
	  "AAg+zDdQ>: Info: msgid=<x@vm>: saved mail to INBOX", 0,
	  LOG_SRC_DOVECOT, "", "lmtp(charlie@lab.example)<13062><uHYTJ6UKB2"
	  "sGMwAAg+zDdQ>", "lmtp", "lmtp(charlie@lab.example)<13062><uHYTJ6UK"
	  "B2sGMwAAg+zDdQ>", "msgid=<x@vm>: saved mail to INBOX", -1, 'I' },
	{ "Nov 25 16:19:32 imap-login: Info: Disconnected: x", 0,
	  LOG_SRC_DOVECOT, "", "imap-login", "imap-login", "imap-login",
	  "Disconnected: x", -1, 'I' },
	{ "Nov 25 16:19:32 auth: Error: passwd-file(u,1.2.3.4,<s>): "
	  "Password mismatch", 0, LOG_SRC_DOVECOT, "", "auth", "auth", "auth",
	  "passwd-file(u,1.2.3.4,<s>): Password mismatch", -1, 'E' },
	/* newer auth-worker: user and ip in the prefix */
	{ "Nov 25 16:19:32 auth-worker(jose,138.255.206.154)<77><sS>: Info: "
	  "request [393]: unix_user: pam_authenticate() failed: x", 0,
	  LOG_SRC_DOVECOT, "", "auth-worker(jose,138.255.206.154)<77><sS>",
	  "auth-worker", "auth-worker(jose,138.255.206.154)<77><sS>",
	  "request [393]: unix_user: pam_authenticate() failed: x", -1, 'I' },
	/* Dovecot through syslog */
	{ "Jan  6 00:05:00 mx1 dovecot: imap-login: Login: user=<b>", 0,
	  LOG_SRC_DOVECOT, "mx1", "dovecot", "imap-login", "imap-login",
	  "Login: user=<b>", -1, 0 },
	{ "2026-03-01T09:00:00.6Z mx2 dovecot[600]: lmtp(u@x)<601><s>: msgid"
	  "=<m>: saved mail to INBOX", 0, LOG_SRC_DOVECOT, "mx2",
	  "dovecot[600]", "lmtp", "lmtp(u@x)<601><s>",
	  "msgid=<m>: saved mail to INBOX", 600, 0 },
	/* RFC 3339 and a Dovecot log_timestamp with a space */
	{ "2026-03-01T10:00:00.123456+01:00 mx2 postfix/smtpd[501]: hello", 0,
	  LOG_SRC_POSTFIX, "mx2", "postfix/smtpd[501]", "smtpd", "", "hello",
	  501, 0 },
	{ "2026-03-01 10:00:00 pop3-login: Info: Login: user=<u>", 0,
	  LOG_SRC_DOVECOT, "", "pop3-login", "pop3-login", "pop3-login",
	  "Login: user=<u>", -1, 'I' },
	/* other programs are well-formed but not ours */
	{ "Jan  6 00:06:01 mx1 CRON[4000]: (root) CMD (x)", 0, LOG_SRC_OTHER,
	  "mx1", "CRON[4000]", "", "", "(root) CMD (x)", 4000, 0 },
	{ "Jan  6 00:06:02 mx1 kernel: [1.2] eth0: up", 0, LOG_SRC_OTHER,
	  "mx1", "kernel", "", "", "[1.2] eth0: up", -1, 0 },
	{ "Jan  6 00:06:02 mx1 postfix/smtpd[9]: a\r", 0, LOG_SRC_POSTFIX,
	  "mx1", "postfix/smtpd[9]", "smtpd", "", "a", 9, 0 },
	/* malformed: never fatal, reported as -1 */
	{ "", -1, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 },
	{ "this is not a log line", -1, 0, NULL, NULL, NULL, NULL, NULL, 0,
	  0 },
	{ "Foo 32 99:99:99 mx1 postfix/smtpd[1]: x", -1, 0, NULL, NULL, NULL,
	  NULL, NULL, 0, 0 },
	{ "Jan 32 00:00:00 mx1 postfix/smtpd[1]: x", -1, 0, NULL, NULL, NULL,
	  NULL, NULL, 0, 0 },
	{ "Jan  6 24:00:00 mx1 postfix/smtpd[1]: x", -1, 0, NULL, NULL, NULL,
	  NULL, NULL, 0, 0 },
	{ "Jan  6 00:06:00 mx1", -1, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 },
	{ "Jan  6 00:06:00 mx1 ", -1, 0, NULL, NULL, NULL, NULL, NULL, 0, 0 },
	{ "Jan  6 00:06:00 mx1 postfix/smtpd[12x]: y", -1, 0, NULL, NULL,
	  NULL, NULL, NULL, 0, 0 },
	{ "Jan  6 00:06:00 mx1 postfix/smtpd[: y", -1, 0, NULL, NULL, NULL,
	  NULL, NULL, 0, 0 },
	{ "2026-13-01T10:00:00Z mx2 postfix/smtpd[1]: x", -1, 0, NULL, NULL,
	  NULL, NULL, NULL, 0, 0 },
	{ "2026-03-01T10:00:00+01:0 mx2 postfix/smtpd[1]: x", -1, 0, NULL,
	  NULL, NULL, NULL, NULL, 0, 0 },
	{ "2026-03-01T10:00:00. mx2 postfix/smtpd[1]: x", -1, 0, NULL, NULL,
	  NULL, NULL, NULL, 0, 0 },
};

static void
assert_slice(struct log_str s, const char *want)
{
	char got[512];
	size_t n = s.n < sizeof(got) - 1 ? s.n : sizeof(got) - 1;

	if (s.p != NULL)
		memcpy(got, s.p, n);
	got[s.p ? n : 0] = '\0';
	assert_string_equal(got, want);
}

static void
test_line_table(void **state)
{
	size_t i;
	struct log_clock clk;
	struct log_line l;

	(void)state;
	for (i = 0; i < sizeof(line_cases) / sizeof(line_cases[0]); i++) {
		const struct line_case *c = &line_cases[i];

		log_clock_init(&clk, 1764000000);
		print_message("case %zu: %s\n", i, c->line);
		assert_int_equal(log_line_parse(c->line, strlen(c->line), &clk,
		    &l), c->rc);
		if (c->rc != 0)
			continue;
		assert_int_equal(l.src, c->src);
		assert_slice(l.host, c->host);
		assert_slice(l.prog, c->prog);
		assert_slice(l.service, c->service);
		assert_slice(l.dprefix, c->dprefix);
		assert_slice(l.msg, c->msg);
		assert_int_equal(l.pid, c->pid);
		assert_int_equal(l.level, c->level);
	}
}

static void
test_rfc3339_zone(void **state)
{
	struct log_clock clk;
	struct log_line l;
	const char *a =
	    "2026-03-01T10:00:00.123456+01:00 h postfix/smtpd[1]: x";
	const char *b = "2026-03-01T09:00:00.123456Z h postfix/smtpd[1]: x";
	const char *c = "2026-03-01T09:00:00,5-00:30 h postfix/smtpd[1]: x";
	const char *d = "2026-03-01T10:00:00.123456+0100 h postfix/smtpd[1]: x";
	int64_t ta;

	(void)state;
	log_clock_init(&clk, 0);
	assert_int_equal(log_line_parse(a, strlen(a), &clk, &l), 0);
	ta = l.ts_us;
	assert_true(l.ts_has_zone);
	/* 2026-03-01T09:00:00Z is 1772355600 */
	assert_int_equal(ta, 1772355600LL * 1000000 + 123456);
	assert_int_equal(log_line_parse(b, strlen(b), &clk, &l), 0);
	assert_int_equal(l.ts_us, ta);
	assert_int_equal(log_line_parse(c, strlen(c), &clk, &l), 0);
	assert_int_equal(l.ts_us, (1772355600LL + 1800) * 1000000 + 500000);
	/* journalctl -o short-iso-precise */
	assert_int_equal(log_line_parse(d, strlen(d), &clk, &l), 0);
	assert_int_equal(l.ts_us, ta);
}

/* Traditional timestamps: year from the reference, Dec -> Jan rolls. */
static void
test_year_inference(void **state)
{
	struct log_clock clk;
	struct log_line l;
	const char *dec = "Dec 31 23:59:59 h postfix/smtpd[1]: x";
	const char *jan = "Jan  1 00:00:00 h postfix/smtpd[1]: x";
	int64_t tdec;

	(void)state;
	setenv("TZ", "UTC", 1);
	/* file written 2026-01-06: its December lines are from 2025 */
	log_clock_init(&clk, 1767657600);
	assert_int_equal(log_line_parse(dec, strlen(dec), &clk, &l), 0);
	tdec = l.ts_us;
	assert_int_equal(tdec, 1767225599LL * 1000000);  /* 2025-12-31 */
	assert_int_equal(log_line_parse(jan, strlen(jan), &clk, &l), 0);
	assert_int_equal(l.ts_us, tdec + 1000000);       /* 2026-01-01 */
	/* a file from June: its January lines are from the same year */
	log_clock_init(&clk, 1780000000);                /* 2026-05-28 */
	assert_int_equal(log_line_parse(jan, strlen(jan), &clk, &l), 0);
	assert_int_equal(l.ts_us, 1767225600LL * 1000000);
}

/*
 * One line out of order at a month boundary must not start a new year
 * for the rest of the file (reviewer: Oct 31 after Nov 1 made every
 * later line a year late).
 */
static void
test_year_out_of_order(void **state)
{
	struct log_clock clk;
	struct log_line l;
	const char *nov = "Nov  1 00:00:00 h postfix/smtpd[1]: x";
	const char *oct = "Oct 31 23:59:59 h postfix/smtpd[1]: x";
	const char *nov2 = "Nov  1 00:00:01 h postfix/smtpd[1]: x";
	const char *oct2 = "Oct 31 23:59:58 h postfix/smtpd[1]: x";
	const char *dec = "Dec  2 10:00:00 h postfix/smtpd[1]: x";
	const char *jan = "Jan  1 00:00:00 h postfix/smtpd[1]: x";

	(void)state;
	setenv("TZ", "UTC", 1);
	log_clock_init(&clk, 1796428800);                /* 2026-12-05 */
	assert_int_equal(log_line_parse(nov, strlen(nov), &clk, &l), 0);
	assert_int_equal(l.ts_us, 1793491200LL * 1000000);
	assert_int_equal(log_line_parse(oct, strlen(oct), &clk, &l), 0);
	assert_int_equal(l.ts_us, 1793491199LL * 1000000);  /* 2026 too */
	assert_int_equal(log_line_parse(nov2, strlen(nov2), &clk, &l), 0);
	assert_int_equal(l.ts_us, 1793491201LL * 1000000);
	/* two in a row out of order: still the same year */
	assert_int_equal(log_line_parse(oct2, strlen(oct2), &clk, &l), 0);
	assert_int_equal(log_line_parse(oct, strlen(oct), &clk, &l), 0);
	assert_int_equal(l.ts_us, 1793491199LL * 1000000);
	assert_int_equal(log_line_parse(dec, strlen(dec), &clk, &l), 0);
	assert_int_equal(l.ts_us, (1796428800LL - 3 * 86400 + 36000) *
	    1000000);                                    /* 2026-12-02 */
	/* and a real new year still rolls over */
	assert_int_equal(log_line_parse(jan, strlen(jan), &clk, &l), 0);
	assert_int_equal(l.ts_us, 1798761600LL * 1000000);  /* 2027-01-01 */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_table),
		cmocka_unit_test(test_rfc3339_zone),
		cmocka_unit_test(test_year_inference),
		cmocka_unit_test(test_year_out_of_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
