/*
 * test_log_dialects.c - the Postfix and Dovecot dialects
 * (logscan/log_postfix.h, logscan/log_dovecot.h): tables of real lab
 * lines and documented forms, queue ids short and long, broken fields.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "logscan/log_dovecot.h"
#include "logscan/log_postfix.h"

#include <string.h>

static struct log_str
S(const char *s)
{
	return log_str_make(s, strlen(s));
}

static void
eq(struct log_str s, const char *want)
{
	char got[512];
	size_t n = s.n < sizeof(got) - 1 ? s.n : sizeof(got) - 1;

	if (want == NULL) {
		assert_null(s.p);
		return;
	}
	assert_non_null(s.p);
	memcpy(got, s.p, n);
	got[n] = '\0';
	assert_string_equal(got, want);
}

static void
test_queue_ids(void **state)
{
	(void)state;
	assert_true(pf_is_queue_id("5E4A5BA2D4", 10));
	assert_true(pf_is_queue_id("9DA8FA7A084", 11));
	assert_true(pf_is_queue_id("4Kq9hJ0ZGWz9sWd", 15));
	assert_false(pf_is_queue_id("warning", 7));
	assert_false(pf_is_queue_id("NOQUEUE", 7));
	assert_false(pf_is_queue_id("5e4a5ba2d4", 10));   /* lower-case hex */
	assert_false(pf_is_queue_id("ABC", 3));
	assert_false(pf_is_queue_id("4Kq9hJ0ZGWz9z", 13));  /* two 'z' */
	assert_false(pf_is_queue_id("4Kq9hJ0ZGWa9sWd", 15)); /* a vowel */
}

static void
test_postfix_rcpt(void **state)
{
	struct pf_event ev;

	(void)state;
	assert_int_equal(pf_parse(S("lmtp"), S("9DA8FA7A084: to=<charlie@lab."
	    "example>, relay=mail.lab.example[/tmp/lab-log/run/lmtp-postfix], "
	    "delay=0.02, delays=0.01/0.01/0/0, dsn=2.0.0, status=sent (250 "
	    "2.0.0 <charlie@lab.example> uHYTJ6UKB2sGMwAAg+zDdQ Saved)"), &ev),
	    0);
	assert_int_equal(ev.type, PF_EV_RCPT);
	eq(ev.qid, "9DA8FA7A084");
	eq(ev.to, "charlie@lab.example");
	eq(ev.relay, "mail.lab.example[/tmp/lab-log/run/lmtp-postfix]");
	eq(ev.dsn, "2.0.0");
	assert_int_equal(ev.status, LOG_STATUS_SENT);
	eq(ev.reason, "250 2.0.0 <charlie@lab.example> uHYTJ6UKB2sGMwAAg+zDdQ "
	    "Saved");
	assert_true(ev.delay_s > 0.0199 && ev.delay_s < 0.0201);
	assert_true(ev.have_delays);
	assert_true(ev.delays_s[0] > 0.0099 && ev.delays_s[1] > 0.0099);
	assert_true(ev.delays_s[2] == 0 && ev.delays_s[3] == 0);

	assert_int_equal(pf_parse(S("local"), S("5E4A5BA2D4: to=<root@h>, "
	    "orig_to=<postmaster@h>, relay=local, delay=77, delays=77/0.05/0/"
	    "0.03, dsn=2.0.0, status=sent (delivered to mailbox)"), &ev), 0);
	eq(ev.orig_to, "postmaster@h");
	assert_true(ev.delay_s == 77);
	assert_true(ev.delays_s[1] > 0.0499 && ev.delays_s[3] > 0.0299);

	assert_int_equal(pf_parse(S("smtp"), S("B0B4FA7A084: to=<someone@far."
	    "example>, relay=none, delay=0.01, delays=0/0.01/0/0, dsn=4.4.1, "
	    "status=deferred (connect to 127.0.0.1[127.0.0.1]:2999: Connection "
	    "refused)"), &ev), 0);
	assert_int_equal(ev.status, LOG_STATUS_DEFERRED);
	eq(ev.reason, "connect to 127.0.0.1[127.0.0.1]:2999: Connection "
	    "refused");

	/* an address with ", " inside the angle brackets */
	assert_int_equal(pf_parse(S("smtp"), S("ABCDE12345: to=<\"a, b\"@x>, "
	    "relay=none, delay=1, delays=1/0/0/0, dsn=5.0.0, status=bounced "
	    "(x)"), &ev), 0);
	eq(ev.to, "\"a, b\"@x");
	assert_int_equal(ev.status, LOG_STATUS_BOUNCED);

	/* broken: a to= line without a status */
	assert_int_equal(pf_parse(S("qmgr"), S("5E4A5BA2D4: to=<b@x>, relay="),
	    &ev), -1);
	/* delays= with three parts is not used */
	assert_int_equal(pf_parse(S("smtp"), S("ABCDE12345: to=<a@x>, delay=1,"
	    " delays=1/2/3, dsn=2.0.0, status=sent (ok)"), &ev), 0);
	assert_false(ev.have_delays);
}

static void
test_postfix_other(void **state)
{
	struct pf_event ev;

	(void)state;
	assert_int_equal(pf_parse(S("smtpd"), S("F2B4CA7A092: client=unknown["
	    "127.0.0.1], sasl_method=SCRAM-SHA-256, sasl_username=charlie@lab."
	    "example"), &ev), 0);
	assert_int_equal(ev.type, PF_EV_CLIENT);
	eq(ev.client, "unknown[127.0.0.1]");
	eq(ev.client_ip, "127.0.0.1");
	eq(ev.sasl_method, "SCRAM-SHA-256");
	eq(ev.sasl_user, "charlie@lab.example");

	pf_parse(S("cleanup"), S("F2B4CA7A092: message-id=<m@x>"), &ev);
	assert_int_equal(ev.type, PF_EV_MSGID);
	eq(ev.message_id, "<m@x>");

	pf_parse(S("qmgr"), S("9DA8FA7A084: from=<bob@example.org>, size=397, "
	    "nrcpt=1 (queue active)"), &ev);
	assert_int_equal(ev.type, PF_EV_QUEUED);
	eq(ev.from, "bob@example.org");
	assert_int_equal(ev.size, 397);
	assert_int_equal(ev.nrcpt, 1);

	pf_parse(S("qmgr"), S("4Kq9hK1ZGXz9sWf: from=<>, size=3200, nrcpt=1 "
	    "(queue active)"), &ev);
	eq(ev.qid, "4Kq9hK1ZGXz9sWf");
	eq(ev.from, "");

	pf_parse(S("qmgr"), S("7B2C1A0F3: from=<d@x>, status=expired, returned "
	    "to sender"), &ev);
	assert_int_equal(ev.type, PF_EV_EXPIRED);

	pf_parse(S("qmgr"), S("9DA8FA7A084: removed"), &ev);
	assert_int_equal(ev.type, PF_EV_REMOVED);

	pf_parse(S("pickup"), S("4Kq9hJ0ZGWz9sWd: uid=1000 from=<carol>"), &ev);
	assert_int_equal(ev.type, PF_EV_PICKUP);
	eq(ev.from, "carol");

	pf_parse(S("bounce"), S("4Kq9hJ0ZGWz9sWd: sender non-delivery "
	    "notification: 4Kq9hK1ZGXz9sWf"), &ev);
	assert_int_equal(ev.type, PF_EV_NDR);
	eq(ev.new_qid, "4Kq9hK1ZGXz9sWf");

	pf_parse(S("smtpd"), S("connect from unknown[127.0.0.1]"), &ev);
	assert_int_equal(ev.type, PF_EV_CONNECT);
	eq(ev.client_ip, "127.0.0.1");
	pf_parse(S("postscreen"), S("CONNECT from [198.51.100.7]:51234 to "
	    "[192.0.2.1]:25"), &ev);
	assert_int_equal(ev.type, PF_EV_CONNECT);
	eq(ev.client_ip, "198.51.100.7");
	pf_parse(S("smtpd"), S("disconnect from unknown[127.0.0.1] ehlo=1 "
	    "quit=1 commands=2"), &ev);
	assert_int_equal(ev.type, PF_EV_DISCONNECT);
	eq(ev.client, "unknown[127.0.0.1]");

	pf_parse(S("smtpd"), S("Anonymous TLS connection established from "
	    "unknown[127.0.0.1]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 "
	    "(256/256 bits) key-exchange X25519"), &ev);
	assert_int_equal(ev.type, PF_EV_TLS);
	eq(ev.tls_proto, "TLSv1.3");
	eq(ev.tls_cipher, "TLS_AES_256_GCM_SHA384");

	pf_parse(S("smtpd"), S("warning: unknown[203.0.113.99]: SASL PLAIN "
	    "authentication failed: authentication failure, sasl_username="
	    "admin"), &ev);
	assert_int_equal(ev.type, PF_EV_SASL_FAIL);
	eq(ev.client_ip, "203.0.113.99");
	eq(ev.sasl_method, "PLAIN");
	eq(ev.sasl_user, "admin");

	pf_parse(S("smtpd"), S("warning: hostname x does not resolve"), &ev);
	assert_int_equal(ev.type, PF_EV_NONE);
	pf_parse(S("master"), S("daemon started -- version 3.7.11"), &ev);
	assert_int_equal(ev.type, PF_EV_NONE);
}

static void
test_postfix_reject(void **state)
{
	struct pf_event ev;

	(void)state;
	assert_int_equal(pf_parse(S("smtpd"), S("NOQUEUE: reject: RCPT from "
	    "unknown[127.0.0.1]: 550 5.1.1 <nobody@lab.example>: Recipient "
	    "address rejected: User unknown in virtual mailbox table; from=<bob"
	    "@example.org> to=<nobody@lab.example> proto=ESMTP helo=<vm>"),
	    &ev), 0);
	assert_int_equal(ev.type, PF_EV_REJECT);
	assert_int_equal(ev.qid.n, 0);
	assert_int_equal(ev.status, LOG_STATUS_REJECTED);
	eq(ev.stage, "RCPT");
	eq(ev.client_ip, "127.0.0.1");
	eq(ev.from, "bob@example.org");
	eq(ev.to, "nobody@lab.example");
	eq(ev.reason, "550 5.1.1 <nobody@lab.example>: Recipient address "
	    "rejected: User unknown in virtual mailbox table");

	/* postscreen: comma-separated envelope, [ip]:port client */
	pf_parse(S("postscreen"), S("NOQUEUE: reject: RCPT from [203.0.113.66]"
	    ":40000: 550 5.7.1 Service unavailable; client [203.0.113.66] "
	    "blocked using zen.spamhaus.org; from=<s@x>, to=<b@y>, proto=ESMTP,"
	    " helo=<x>"), &ev);
	assert_int_equal(ev.type, PF_EV_REJECT);
	eq(ev.client_ip, "203.0.113.66");
	eq(ev.to, "b@y");
	eq(ev.reason, "550 5.7.1 Service unavailable; client [203.0.113.66] "
	    "blocked using zen.spamhaus.org");

	pf_parse(S("cleanup"), S("2B3C4D5E6F: reject: header Subject: You won "
	    "from unknown[192.0.2.77]; from=<x@y> to=<b@z> proto=ESMTP helo=<y>"
	    ": 5.7.1 Message content rejected"), &ev);
	eq(ev.qid, "2B3C4D5E6F");
	eq(ev.stage, "header");
	eq(ev.reason, "5.7.1 Message content rejected");

	pf_parse(S("cleanup"), S("1A2B3C4D5E: milter-reject: END-OF-MESSAGE "
	    "from unknown[192.0.2.77]: 5.7.1 Spam; from=<x@y> to=<b@z> "
	    "proto=ESMTP helo=<y>"), &ev);
	eq(ev.action, "milter-reject");
	assert_int_equal(ev.status, LOG_STATUS_REJECTED);
	eq(ev.reason, "5.7.1 Spam");

	pf_parse(S("cleanup"), S("1A2B3C4D5E: discard: END-OF-MESSAGE from "
	    "x[192.0.2.1]: header X: y; from=<a@b> to=<c@d> proto=SMTP"), &ev);
	assert_int_equal(ev.status, LOG_STATUS_DISCARDED);
}

static void
test_dovecot(void **state)
{
	struct dv_event ev;

	(void)state;
	assert_int_equal(dv_parse(S("imap-login"), S("imap-login"), S("Login: "
	    "user=<charlie@lab.example>, method=PLAIN, rip=127.0.0.1, lip=127."
	    "0.0.1, mpid=15525, TLS, session=<Gtw7MhxhftJ/AAAB>"), &ev), 0);
	assert_int_equal(ev.type, DV_EV_LOGIN);
	eq(ev.proto, "imap");
	eq(ev.user, "charlie@lab.example");
	eq(ev.method, "PLAIN");
	eq(ev.rip, "127.0.0.1");
	eq(ev.session, "Gtw7MhxhftJ/AAAB");
	assert_int_equal(ev.tls, DV_TLS_YES);

	dv_parse(S("pop3-login"), S("pop3-login"), S("Login: user=<a>, method="
	    "PLAIN, rip=::1, lip=::1, mpid=1, secured, session=<x>"), &ev);
	assert_int_equal(ev.tls, DV_TLS_SECURED);
	dv_parse(S("pop3-login"), S("pop3-login"), S("Login: user=<a>, method="
	    "PLAIN, rip=192.0.2.1, lip=192.0.2.2, mpid=1, session=<x>"), &ev);
	assert_int_equal(ev.tls, DV_TLS_NONE);

	dv_parse(S("pop3-login"), S("pop3-login"), S("Disconnected: Aborted "
	    "login by logging out (auth failed, 1 attempts in 2 secs): user=<"
	    "alice@lab.example>, method=PLAIN, rip=127.0.0.1, lip=127.0.0.1, "
	    "TLS, session=<4CqMMxxhzrZ/AAAB>"), &ev);
	assert_int_equal(ev.type, DV_EV_LOGIN_FAIL);
	assert_int_equal(ev.attempts, 1);
	eq(ev.user, "alice@lab.example");
	eq(ev.rip, "127.0.0.1");

	dv_parse(S("pop3-login"), S("pop3-login"), S("Aborted login (auth "
	    "failed, 2 attempts in 8 secs): user=<root>, method=LOGIN, rip="
	    "203.0.113.99, lip=192.0.2.1, session=<s2>"), &ev);
	assert_int_equal(ev.type, DV_EV_LOGIN_FAIL);
	assert_int_equal(ev.attempts, 2);

	dv_parse(S("imap-login"), S("imap-login"), S("Disconnected: Connection "
	    "closed (no auth attempts in 0 secs): user=<>, rip=127.0.0.1, lip="
	    "127.0.0.1, TLS: Connection closed, session=<x>"), &ev);
	assert_int_equal(ev.type, DV_EV_LOGIN_ABORT);
	assert_int_equal(ev.tls, DV_TLS_YES);

	dv_parse(S("lmtp"), S("lmtp(charlie@lab.example)<13062><uHYTJ6UKB2sGMw"
	    "AAg+zDdQ>"), S("msgid=<20261125161949.015485@vm>: saved mail to "
	    "INBOX"), &ev);
	assert_int_equal(ev.type, DV_EV_SAVED);
	eq(ev.user, "charlie@lab.example");
	eq(ev.session, "uHYTJ6UKB2sGMwAAg+zDdQ");
	eq(ev.msgid, "<20261125161949.015485@vm>");
	eq(ev.mailbox, "INBOX");

	dv_parse(S("lmtp"), S("lmtp(1234, bob)"), S("msgid=<m>: save failed "
	    "to INBOX: Quota exceeded"), &ev);
	assert_int_equal(ev.type, DV_EV_SAVE_FAIL);
	eq(ev.user, "bob");
	eq(ev.reason, "save failed to INBOX: Quota exceeded");

	assert_int_equal(dv_parse(S("lmtp"), S("lmtp(u)"), S("msgid=<m>: "
	    "something else"), &ev), -1);

	dv_parse(S("pop3"), S("pop3(charlie@lab.example)<15715><lsKLMxxhzLZ/"
	    "AAAB>"), S("Disconnected: Logged out top=0/0, retr=0/0, del=0/2, "
	    "size=1671"), &ev);
	assert_int_equal(ev.type, DV_EV_LOGOUT);
	eq(ev.stats, "top=0/0, retr=0/0, del=0/2, size=1671");

	dv_parse(S("auth"), S("auth"), S("passwd-file(charlie@lab.example,127."
	    "0.0.1,<+t60MhxhPIh/AAAB>): Password mismatch"), &ev);
	assert_int_equal(ev.type, DV_EV_AUTH_FAIL);
	eq(ev.user, "charlie@lab.example");
	eq(ev.rip, "127.0.0.1");
	dv_parse(S("auth"), S("auth"), S("passwd-file(nosuch@lab.example,127.0."
	    "0.1,<U0KqMxxh7oJ/AAAB>): unknown user"), &ev);
	assert_int_equal(ev.type, DV_EV_AUTH_FAIL);
	dv_parse(S("auth-worker"), S("auth-worker(3010)"), S("pam(m@x,203.0."
	    "113.99,<s1>): pam_authenticate() failed: Authentication failure"),
	    &ev);
	assert_int_equal(ev.type, DV_EV_AUTH_FAIL);
	eq(ev.user, "m@x");
	/* late 2.3 / 2.4: "Login aborted: ... (auth_failed): user=<>" */
	dv_parse(S("imap-login"), S("imap-login"), S("Login aborted: "
	    "Connection closed (auth failed, 2 attempts in 14 secs) "
	    "(auth_failed): user=<jose>, method=PLAIN, rip=1.2.3.4, lip="
	    "10.0.0.1, TLS, session=<abc>"), &ev);
	assert_int_equal(ev.type, DV_EV_LOGIN_FAIL);
	assert_int_equal(ev.attempts, 2);
	eq(ev.user, "jose");
	eq(ev.rip, "1.2.3.4");
	eq(ev.method, "PLAIN");
	assert_int_equal(ev.tls, DV_TLS_YES);
	dv_parse(S("imap-login"), S("imap-login"), S("Login aborted: "
	    "Connection closed (no auth attempts in 0 secs) "
	    "(no_auth_attempts): user=<>, rip=1.2.3.5, lip=10.0.0.1, "
	    "session=<abd>"), &ev);
	assert_int_equal(ev.type, DV_EV_LOGIN_ABORT);
	eq(ev.rip, "1.2.3.5");
	/* newer auth-worker: user and ip in the prefix */
	dv_parse(S("auth-worker"), S("auth-worker(jose,138.255.206.154)<1234>"
	    "<sEsS>"), S("request [393]: unix_user: pam_authenticate() "
	    "failed: Authentication failure (Password mismatch?)"), &ev);
	assert_int_equal(ev.type, DV_EV_AUTH_FAIL);
	eq(ev.user, "jose");
	eq(ev.rip, "138.255.206.154");
	eq(ev.reason, "unix_user: pam_authenticate() failed: Authentication "
	    "failure (Password mismatch?)");
	/* ... but not its ordinary lines */
	dv_parse(S("auth-worker"), S("auth-worker(jose,138.255.206.154)<1234>"
	    "<sEsS>"), S("request [394]: sql(jose,138.255.206.154): query "
	    "done"), &ev);
	assert_int_equal(ev.type, DV_EV_NONE);
	dv_parse(S("master"), S("master"), S("Dovecot v2.3.19.1 starting up"),
	    &ev);
	assert_int_equal(ev.type, DV_EV_NONE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queue_ids),
		cmocka_unit_test(test_postfix_rcpt),
		cmocka_unit_test(test_postfix_other),
		cmocka_unit_test(test_postfix_reject),
		cmocka_unit_test(test_dovecot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
