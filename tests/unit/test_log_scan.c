/*
 * test_log_scan.c - the correlator (logscan/logscan.h) and the reader
 * (logscan/log_reader.h) over the sample corpus in data/log: the lab's
 * real Postfix maillog_file and Dovecot log_path output, and syslog
 * samples (traditional and RFC 3339) written from the documented
 * formats, with malformed lines.  Also: any chunking gives the same
 * result, .gz input, over-long lines, the open-message cap, queue-id
 * reuse, and follow-style completion with a grace time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "logscan/log_reader.h"
#include "logscan/logscan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static char data_dir[512];

static const char *
data(const char *name)
{
	static char path[700];

	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	return path;
}

static struct logscan *
scan(const struct logscan_params *p, const char *const *files, size_t n)
{
	struct logscan *ls = logscan_new(p);
	struct mv_error err;
	size_t i;

	assert_non_null(ls);
	for (i = 0; i < n; i++)
		assert_int_equal(log_read_path(ls, data(files[i]), &err), 0);
	assert_int_equal(logscan_finish(ls), 0);
	return ls;
}

static const struct log_msg *
only_match(struct logscan *ls)
{
	const struct log_msg *const *m;

	assert_int_equal(logscan_matches(ls, &m), 1);
	return m[0];
}

static void
test_lab_summary(void **state)
{
	static const char *const f[] = { "lab-postfix.log", "lab-dovecot.log" };
	struct logscan_params p = { 0 };
	struct logscan *ls;
	const struct log_summary *s;

	(void)state;
	ls = scan(&p, f, 2);
	s = logscan_summary(ls);
	assert_int_equal(s->lines, 94);
	assert_int_equal(s->malformed, 0);
	assert_int_equal(s->postfix_lines, 54);
	assert_int_equal(s->dovecot_lines, 40);
	assert_int_equal(s->received, 5);
	assert_int_equal(s->delivered, 4);
	assert_int_equal(s->deferred, 1);
	assert_int_equal(s->rejected, 1);
	assert_int_equal(s->completed, 4);
	assert_int_equal(s->still_queued, 1);
	assert_int_equal(s->dv_logins, 4);
	assert_int_equal(s->dv_logins_tls, 4);
	assert_int_equal(s->dv_login_failures, 4);
	assert_int_equal(s->dv_saved, 4);
	assert_int_equal(s->dv_auth_backend_failures, 4);
	assert_int_equal(s->smtpd_tls, 4);
	assert_int_equal(s->delay_ms.count, 4);
	logscan_free(ls);
}

/* Postfix's record ends in Dovecot's mailbox, whichever file is read
 * first. */
static void
test_lab_linked(void **state)
{
	static const char *const f1[] = { "lab-postfix.log",
	    "lab-dovecot.log" };
	static const char *const f2[] = { "lab-dovecot.log",
	    "lab-postfix.log" };
	const char *const *orders[] = { f1, f2 };
	struct logscan_params p = { 0 };
	const struct log_msg *m;
	struct logscan *ls;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		p.want_qid = "12D51A7A0AF";
		p.keep_events = p.link_saves = 1;
		ls = scan(&p, orders[i], 2);
		m = only_match(ls);
		assert_string_equal(m->message_id,
		    "<mailvet.8437b01799cdae202d1dc349@mailvet.invalid>");
		assert_string_equal(m->sasl_user, "charlie@lab.example");
		assert_string_equal(m->sasl_method, "SCRAM-SHA-256");
		assert_string_equal(m->tls_proto, "TLSv1.3");
		assert_int_equal(m->size, 752);
		assert_true(m->removed);
		assert_int_equal(m->nrcpt_seen, 1);
		assert_int_equal(m->rcpt[0].status, LOG_STATUS_SENT);
		assert_int_equal(m->rcpt[0].saved, 1);
		assert_string_equal(m->rcpt[0].mailbox, "INBOX");
		assert_string_equal(m->rcpt[0].box_session,
		    "gAWtBMwKB2sGMwAAg+zDdQ");
		/* connect (8 s before), TLS, client ... removed, saved */
		assert_int_equal(m->nevents, 9);
		assert_true(strncmp(m->events[0].text, "connect from",
		    12) == 0);
		assert_true(m->connect_us + 8000000 == m->first_us);
		assert_true(strstr(m->events[8].text, "saved mail to INBOX") !=
		    NULL);
		logscan_free(ls);
	}
	/* by message-id, with or without the angle brackets */
	memset(&p, 0, sizeof(p));
	p.want_msgid = "20261125161949.015490@vm";
	p.keep_events = p.link_saves = 1;
	ls = scan(&p, f1, 2);
	m = only_match(ls);
	assert_string_equal(m->qid, "B0B4FA7A084");
	assert_int_equal(log_msg_status(m), LOG_STATUS_DEFERRED);
	assert_false(m->removed);
	assert_string_equal(m->rcpt[0].dsn, "4.4.1");
	assert_int_equal(m->rcpt[0].saved, 0);
	logscan_free(ls);
}

static void
test_syslog_traditional(void **state)
{
	static const char *const f[] = { "syslog-traditional.log" };
	struct logscan_params p = { 0 };
	const struct log_summary *s;
	const struct log_msg *const *ms;
	const struct log_msg *m;
	struct logscan *ls;

	(void)state;
	ls = scan(&p, f, 1);
	s = logscan_summary(ls);
	assert_int_equal(s->lines, 60);
	assert_int_equal(s->malformed, 5);
	assert_int_equal(s->bad_fields, 1);
	assert_int_equal(s->other, 2);
	assert_int_equal(s->received, 5);
	assert_int_equal(s->delivered, 4);
	assert_int_equal(s->bounced, 1);
	assert_int_equal(s->expired, 1);
	assert_int_equal(s->deferred, 0);
	assert_int_equal(s->deferrals, 1);
	assert_int_equal(s->rejected, 4);
	assert_int_equal(s->ndr, 2);
	assert_int_equal(s->completed, 7);
	assert_int_equal(s->still_queued, 0);
	assert_int_equal(s->sasl_failures, 2);
	assert_int_equal(s->dv_logins, 2);
	assert_int_equal(s->dv_logins_plain, 1);
	assert_int_equal(s->dv_login_failures, 2);
	assert_int_equal(s->dv_failed_attempts, 5);
	assert_int_equal(s->dv_logouts, 2);
	assert_int_equal(s->dv_auth_backend_failures, 1);
	assert_int_equal(s->smtpd_connects, 3);
	assert_int_equal(histogram_percentile(&s->delay_ms, 100), 77000);
	logscan_free(ls);

	/* the reused queue id gives two records */
	memset(&p, 0, sizeof(p));
	p.want_qid = "5E4A5BA2D4";
	p.keep_events = p.link_saves = 1;
	ls = scan(&p, f, 1);
	assert_int_equal(logscan_matches(ls, &ms), 2);
	m = ms[0];
	assert_string_equal(m->message_id, "<20061212080251.5E4A5BA2D4@host>");
	assert_string_equal(m->tls_proto, "TLSv1.2");
	assert_int_equal(m->nrcpt_seen, 2);
	assert_int_equal(m->rcpt[0].saved, 1);       /* bob: LMTP */
	assert_int_equal(m->rcpt[1].saved, 0);       /* root: local(8) */
	assert_string_equal(m->rcpt[1].orig_to, "postmaster@example.com");
	assert_true(m->rcpt[0].delays_s[0] == 77);
	assert_string_equal(ms[1]->message_id, "<reuse@a.example>");
	assert_int_equal(ms[1]->rcpt[0].status, LOG_STATUS_SENT);
	logscan_free(ls);

	/* expired after deferral */
	memset(&p, 0, sizeof(p));
	p.want_qid = "7B2C1A0F3";
	ls = scan(&p, f, 1);
	m = only_match(ls);
	assert_int_equal(log_msg_status(m), LOG_STATUS_EXPIRED);
	assert_string_equal(m->ndr_qid, "9C3D2B1E4");
	assert_string_equal(m->sasl_user, "dave");
	logscan_free(ls);

	/* a milter reject ends the message without "removed" */
	memset(&p, 0, sizeof(p));
	p.want_qid = "1A2B3C4D5E";
	ls = scan(&p, f, 1);
	m = only_match(ls);
	assert_int_equal(log_msg_status(m), LOG_STATUS_REJECTED);
	assert_string_equal(m->reject_action, "milter-reject");
	logscan_free(ls);
}

static void
test_rfc3339(void **state)
{
	static const char *const f[] = { "rfc3339.log" };
	struct logscan_params p = { 0 };
	const struct log_msg *m;
	struct logscan *ls;

	(void)state;
	p.want_msgid = "<rfc3339@client.example>";
	p.keep_events = p.link_saves = 1;
	ls = scan(&p, f, 1);
	m = only_match(ls);
	assert_int_equal(m->connect_us, 1772355600LL * 1000000 + 123456);
	assert_int_equal(m->rcpt[0].saved, 1);
	assert_int_equal(m->rcpt[0].saved_us, 1772355600LL * 1000000 + 600000);
	assert_string_equal(m->client_ip, "2001:db8::5");
	assert_int_equal(logscan_summary(ls)->malformed, 2);
	assert_int_equal(logscan_summary(ls)->dv_logins_secured, 1);
	logscan_free(ls);
}

/* Feeding in any chunk size gives the same summary. */
static void
test_chunking(void **state)
{
	FILE *f;
	char *all;
	long n;
	size_t chunk, off, k, avail;
	struct logscan_params p = { 0 };
	struct log_reader r;
	struct logscan *ls;
	uint64_t want_lines = 0, want_delivered = 0;
	static const size_t chunks[] = { 1, 7, 100, 65536 };

	(void)state;
	assert_non_null(f = fopen(data("syslog-traditional.log"), "rb"));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	all = malloc((size_t)n);
	assert_int_equal(fread(all, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	for (k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
		chunk = chunks[k];
		ls = logscan_new(&p);
		assert_int_equal(log_reader_init(&r, 1767657600), 0);
		for (off = 0; off < (size_t)n; off += chunk) {
			size_t m = (size_t)n - off < chunk ? (size_t)n - off :
			    chunk;
			char *space = log_reader_space(&r, &avail);

			assert_true(avail >= m);
			memcpy(space, all + off, m);
			assert_int_equal(log_reader_commit(&r, ls, m), 0);
		}
		log_reader_flush(&r, ls);
		logscan_finish(ls);
		if (k == 0) {
			want_lines = logscan_summary(ls)->lines;
			want_delivered = logscan_summary(ls)->delivered;
			assert_int_equal(want_lines, 60);
		}
		assert_int_equal(logscan_summary(ls)->lines, want_lines);
		assert_int_equal(logscan_summary(ls)->delivered,
		    want_delivered);
		log_reader_free(&r);
		logscan_free(ls);
	}
	free(all);
}

static void
test_gzip_and_long_lines(void **state)
{
	char path[] = "/tmp/mailvet-test-log-XXXXXX";
	int fd = mkstemp(path);
	gzFile gz;
	FILE *f;
	char *big;
	int c;
	struct logscan_params p = { 0 };
	struct logscan *ls;
	struct mv_error err;

	(void)state;
	assert_true(fd >= 0);
	gz = gzdopen(fd, "wb");
	assert_non_null(f = fopen(data("lab-postfix.log"), "rb"));
	while ((c = fgetc(f)) != EOF)
		gzputc(gz, c);
	fclose(f);
	/* a 200 KiB line: cut, counted, the next line still read */
	big = malloc(200 * 1024);
	memset(big, 'x', 200 * 1024);
	gzwrite(gz, big, 200 * 1024);
	gzputs(gz, "\nNov 25 16:30:00 mail postfix/smtpd[1]: connect from "
	    "unknown[127.0.0.1]\nNov 25 16:30:01 mail postfix/qmgr[2]: "
	    "ABCDEF123: removed");   /* no final newline */
	gzclose(gz);
	free(big);
	ls = logscan_new(&p);
	assert_int_equal(log_read_path(ls, path, &err), 0);
	logscan_finish(ls);
	assert_int_equal(logscan_summary(ls)->lines, 54 + 3);
	assert_int_equal(logscan_summary(ls)->malformed, 1);
	assert_int_equal(logscan_summary(ls)->received, 5);
	assert_int_equal(logscan_summary(ls)->smtpd_connects, 10 + 1);
	logscan_free(ls);
	unlink(path);

	ls = logscan_new(&p);
	assert_int_equal(log_read_path(ls, "/nonexistent/maillog", &err), -1);
	assert_int_equal(err.cat, MV_ERR_USAGE);
	assert_int_equal(log_read_path(ls, "/tmp", &err), -1);
	logscan_free(ls);
}

static void
feed(struct logscan *ls, struct log_clock *clk, const char *line)
{
	assert_int_equal(logscan_line(ls, clk, line, strlen(line)), 0);
}

/* The open-message cap closes the oldest, counted incomplete. */
static void
test_max_open(void **state)
{
	struct logscan_params p = { 0 };
	struct logscan *ls;
	struct log_clock clk;
	char line[200];
	int i;

	(void)state;
	p.max_open = 10;
	ls = logscan_new(&p);
	log_clock_init(&clk, 1764000000);
	for (i = 0; i < 25; i++) {
		snprintf(line, sizeof(line), "Nov 25 16:19:49 h "
		    "postfix/qmgr[1]: %05X1234: from=<a@b>, size=1, "
		    "nrcpt=1 (queue active)", 0x10000 + i);
		feed(ls, &clk, line);
	}
	logscan_finish(ls);
	assert_int_equal(logscan_summary(ls)->evicted, 15);
	assert_int_equal(logscan_summary(ls)->still_queued, 10);
	logscan_free(ls);
}

/* client= and then no message: abandoned when the session moves on
 * (the lab's relay tests leave such lines), not "still queued". */
static void
test_abandoned(void **state)
{
	static const char *const lines[] = {
		"Nov 25 16:47:04 mail postfix/smtpd[7647]: connect from "
		"unknown[127.0.0.1]",
		"Nov 25 16:47:04 mail postfix/smtpd[7647]: 54CB0519181: "
		"client=unknown[127.0.0.1]",
		"Nov 25 16:47:04 mail postfix/smtpd[7647]: disconnect from "
		"unknown[127.0.0.1] ehlo=1 mail=1 rcpt=1 quit=1 commands=4",
		/* RSET after RCPT, then a real message in the same session */
		"Nov 25 16:47:05 mail postfix/smtpd[7647]: connect from "
		"unknown[127.0.0.1]",
		"Nov 25 16:47:05 mail postfix/smtpd[7647]: 55261519181: "
		"client=unknown[127.0.0.1]",
		"Nov 25 16:47:05 mail postfix/smtpd[7647]: 5577D519181: "
		"client=unknown[127.0.0.1]",
		"Nov 25 16:47:05 mail postfix/cleanup[7650]: 5577D519181: "
		"message-id=<x@y>",
		"Nov 25 16:47:05 mail postfix/smtpd[7647]: disconnect from "
		"unknown[127.0.0.1] ehlo=1 mail=2 rcpt=2 data=1 rset=1 quit=1",
		"Nov 25 16:47:05 mail postfix/qmgr[7600]: 5577D519181: from=<"
		"a@b>, size=300, nrcpt=1 (queue active)",
	};
	struct logscan_params p = { 0 };
	struct logscan *ls;
	struct log_clock clk;
	const struct log_msg *m;
	size_t i;
	int pass;

	(void)state;
	for (pass = 0; pass < 2; pass++) {
		memset(&p, 0, sizeof(p));
		if (pass == 1) {
			p.want_qid = "55261519181";
			p.keep_events = 1;
		}
		ls = logscan_new(&p);
		log_clock_init(&clk, 1764000000);
		for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
			feed(ls, &clk, lines[i]);
		logscan_finish(ls);
		assert_int_equal(logscan_summary(ls)->received, 3);
		assert_int_equal(logscan_summary(ls)->abandoned, 2);
		assert_int_equal(logscan_summary(ls)->still_queued, 1);
		if (pass == 1) {
			m = only_match(ls);
			assert_true(m->abandoned);
			assert_false(m->removed);
			assert_int_equal(log_msg_status(m), LOG_STATUS_NONE);
		}
		logscan_free(ls);
	}
}

/*
 * A milter (or smtpd) reject at RCPT refuses one recipient and the
 * message goes on; at END-OF-MESSAGE it ends the message.  (Reviewer:
 * every milter-reject closed the record, so the accepted recipient's
 * delivery opened a second, broken one.)
 */
static void
test_milter_rcpt_reject(void **state)
{
	static const char *const lines[] = {
		"Nov 25 12:00:00 mx postfix/smtpd[10]: connect from "
		"c.example[198.51.100.1]",
		"Nov 25 12:00:01 mx postfix/smtpd[10]: 4F1A2B3C4D: client="
		"c.example[198.51.100.1]",
		"Nov 25 12:00:01 mx postfix/smtpd[10]: 4F1A2B3C4D: milter-"
		"reject: RCPT from c.example[198.51.100.1]: 451 4.3.2 Try "
		"later; from=<s@c.example> to=<bad@example.com> proto=ESMTP "
		"helo=<c.example>",
		"Nov 25 12:00:02 mx postfix/cleanup[11]: 4F1A2B3C4D: message-"
		"id=<m1@c.example>",
		"Nov 25 12:00:02 mx postfix/qmgr[12]: 4F1A2B3C4D: from=<s@c."
		"example>, size=500, nrcpt=1 (queue active)",
		"Nov 25 12:00:03 mx postfix/local[13]: 4F1A2B3C4D: to=<good@"
		"example.com>, relay=local, delay=2, delays=1/0/0/1, dsn=2.0.0,"
		" status=sent (delivered to mailbox)",
		"Nov 25 12:00:03 mx postfix/qmgr[12]: 4F1A2B3C4D: removed",
		/* the same milter at END-OF-MESSAGE: the message is gone */
		"Nov 25 12:00:04 mx postfix/smtpd[10]: 5A6B7C8D9E: client="
		"c.example[198.51.100.1]",
		"Nov 25 12:00:05 mx postfix/cleanup[11]: 5A6B7C8D9E: message-"
		"id=<m2@c.example>",
		"Nov 25 12:00:05 mx postfix/cleanup[11]: 5A6B7C8D9E: milter-"
		"reject: END-OF-MESSAGE from c.example[198.51.100.1]: 5.7.1 "
		"Spam; from=<s@c.example> to=<good@example.com> proto=ESMTP "
		"helo=<c.example>",
	};
	struct logscan_params p = { 0 };
	struct logscan *ls;
	struct log_clock clk;
	const struct log_msg *const *ms;
	const struct log_summary *s;
	size_t i;

	(void)state;
	p.want_qid = "4F1A2B3C4D";
	ls = logscan_new(&p);
	assert_non_null(ls);
	log_clock_init(&clk, 1764000000);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		feed(ls, &clk, lines[i]);
	assert_int_equal(logscan_finish(ls), 0);
	assert_int_equal(logscan_matches(ls, &ms), 1);
	assert_true(ms[0]->removed);
	assert_int_equal(log_msg_status(ms[0]), LOG_STATUS_SENT);
	assert_string_equal(ms[0]->message_id, "<m1@c.example>");
	assert_int_equal(ms[0]->nrcpt_seen, 2);
	assert_string_equal(ms[0]->rcpt[0].to, "bad@example.com");
	assert_int_equal(ms[0]->rcpt[0].status, LOG_STATUS_REJECTED);
	assert_string_equal(ms[0]->rcpt[1].to, "good@example.com");
	assert_int_equal(ms[0]->rcpt[1].status, LOG_STATUS_SENT);
	s = logscan_summary(ls);
	assert_int_equal(s->rejected, 2);
	assert_int_equal(s->delivered, 1);
	assert_int_equal(s->completed, 2);
	assert_int_equal(s->still_queued, 0);
	logscan_free(ls);

	memset(&p, 0, sizeof(p));
	p.want_qid = "5A6B7C8D9E";
	ls = logscan_new(&p);
	assert_non_null(ls);
	log_clock_init(&clk, 1764000000);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		feed(ls, &clk, lines[i]);
	assert_int_equal(logscan_finish(ls), 0);
	assert_int_equal(logscan_matches(ls, &ms), 1);
	assert_true(ms[0]->removed);
	assert_int_equal(log_msg_status(ms[0]), LOG_STATUS_REJECTED);
	assert_string_equal(ms[0]->reject_action, "milter-reject");
	logscan_free(ls);
}

struct seen {
	int n;
	int saved;
	char qid[40];
};

static void
on_msg(void *ctx, const struct log_msg *m)
{
	struct seen *s = ctx;

	s->n++;
	s->saved = m->nrcpt_seen ? m->rcpt[0].saved : 0;
	snprintf(s->qid, sizeof(s->qid), "%s", m->qid);
}

/* follow: a finished message waits grace_ms for Dovecot's line. */
static void
test_follow_grace(void **state)
{
	struct logscan_params p = { 0 };
	struct logscan *ls;
	struct log_clock clk;
	struct seen seen = { 0 };

	(void)state;
	p.on_msg = on_msg;
	p.ctx = &seen;
	p.grace_ms = 1000;
	p.link_saves = 1;
	ls = logscan_new(&p);
	log_clock_init(&clk, 1764000000);
	logscan_tick(ls, 5000);
	feed(ls, &clk, "Nov 25 16:19:49 mail postfix/cleanup[1]: 9DA8FA7A084: "
	    "message-id=<m1@vm>");
	feed(ls, &clk, "Nov 25 16:19:49 mail postfix/lmtp[2]: 9DA8FA7A084: to="
	    "<c@lab.example>, relay=x, delay=0.02, delays=0/0/0/0.02, dsn="
	    "2.0.0, status=sent (250 2.0.0 <c@lab.example> SeSs Saved)");
	feed(ls, &clk, "Nov 25 16:19:49 mail postfix/qmgr[3]: 9DA8FA7A084: "
	    "removed");
	logscan_tick(ls, 5500);
	assert_int_equal(seen.n, 0);
	feed(ls, &clk, "Nov 25 16:19:49 lmtp(c@lab.example)<9><SeSs>: Info: "
	    "msgid=<m1@vm>: saved mail to INBOX");
	logscan_tick(ls, 6100);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.saved, 1);
	assert_string_equal(seen.qid, "9DA8FA7A084");
	logscan_finish(ls);
	assert_int_equal(seen.n, 1);
	logscan_free(ls);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lab_summary),
		cmocka_unit_test(test_lab_linked),
		cmocka_unit_test(test_syslog_traditional),
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_chunking),
		cmocka_unit_test(test_gzip_and_long_lines),
		cmocka_unit_test(test_max_open),
		cmocka_unit_test(test_follow_grace),
		cmocka_unit_test(test_abandoned),
		cmocka_unit_test(test_milter_rcpt_reject),
	};
	const char *slash;

	/* the corpus sits next to this source file */
	slash = strrchr(__FILE__, '/');
	snprintf(data_dir, sizeof(data_dir), "%.*s/data/log",
	    slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
