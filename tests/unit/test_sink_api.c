/*
 * test_sink_api.c - the embeddable sink (bench/sink.h) as relay
 * --confirm and the tests use it: start on 127.0.0.1:0, talk to it over
 * loopback with a plain blocking socket, and check that every message
 * is counted, bench ids are verified (ok, duplicate, corrupt,
 * unmarked), tokens are seen, faults are counted, and remote addresses
 * are refused unless allowed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "bench/sink.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int
dial(const char *addr)
{
	struct sockaddr_in in;
	const char *colon = strrchr(addr, ':');
	int fd;

	assert_non_null(colon);
	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	in.sin_port = htons((uint16_t)strtoul(colon + 1, NULL, 10));
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&in, sizeof(in)), 0);
	return fd;
}

/* Send everything, read until the server closes; returns the replies. */
static char *
converse(const char *addr, const char *script, size_t n)
{
	static char in[65536];
	size_t got = 0;
	ssize_t r;
	int fd = dial(addr);

	assert_true(write(fd, script, n) == (ssize_t)n);
	while (got < sizeof(in) - 1 &&
	    (r = read(fd, in + got, sizeof(in) - 1 - got)) > 0)
		got += (size_t)r;
	in[got] = '\0';
	close(fd);
	return in;
}

/* The id is over the body as delivered; wire is how DATA sends it
 * (dot-stuffed), NULL when the same. */
static void
bench_message(char *out, size_t outsz, uint64_t seq, const char *body,
    const char *wire, int corrupt, const char *token)
{
	struct sink_bench_id id = { 0xfeedfacecafebeefull, seq, strlen(body),
	    sink_fnv1a(SINK_FNV_BASIS, body, strlen(body)) };
	char v[SINK_BENCH_VALUE_MAX + 1];

	if (corrupt)
		id.sum ^= 1;
	assert_true(sink_bench_format(&id, v, sizeof(v)) > 0);
	snprintf(out, outsz, "X-Mailvet-Bench: %s\r\nX-Mailvet-Token: %s\r\n"
	    "Subject: t\r\n\r\n%s", v, token, wire != NULL ? wire : body);
}

static void
test_counts_and_verification(void **state)
{
	struct sink_params p;
	struct sink_stats *st = malloc(sizeof(*st));
	struct mv_error err;
	struct sink *s;
	char m1[512], m3[512], m5[512], script[4096];
	const char *replies;
	int n;

	(void)state;
	assert_non_null(st);
	sink_params_init(&p);
	p.listen[0].addr = "127.0.0.1:0";
	p.nlisten = 1;
	p.threads = 2;
	p.expect_count = 3;
	s = sink_new(&p, &err);
	assert_non_null(s);
	assert_int_equal(sink_start(s, &err), 0);
	assert_true(strncmp(sink_bound_address(s), "127.0.0.1:", 10) == 0);
	assert_string_not_equal(sink_bound_address(s), "127.0.0.1:0");

	bench_message(m1, sizeof(m1), 0, "hello\r\n.dot\r\n",
	    "hello\r\n..dot\r\n", 0,
	    "tok1tok1tok1tok1tok1tok1");
	bench_message(m3, sizeof(m3), 1, "corrupt\r\n", NULL, 1, "tok3");
	bench_message(m5, sizeof(m5), 2, "chunked\r\n", NULL, 0, "tok5");
	/* All pipelined in one write: ok, duplicate, corrupt, unmarked,
	 * then BDAT in two chunks. */
	n = snprintf(script, sizeof(script),
	    "EHLO t\r\n"
	    "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n%s.\r\n"
	    "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n%s.\r\n"
	    "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n%s.\r\n"
	    "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nSubject: x\r\n\r\n"
	    "no id\r\n.\r\n"
	    "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 10\r\n%.10sBDAT %zu "
	    "LAST\r\n%s"
	    "QUIT\r\n", m1, m1, m3, m5, strlen(m5) - 10, m5 + 10);
	replies = converse(sink_bound_address(s), script, (size_t)n);
	assert_non_null(strstr(replies, "221 "));
	sink_stats(s, st);
	assert_true(st->messages == 5);
	assert_true(st->messages_rejected == 0);
	assert_true(st->recipients == 5);
	assert_true(st->verify.ok == 2);
	assert_true(st->verify.duplicate == 1);
	assert_true(st->verify.corrupt == 1);
	assert_true(st->verify.unmarked == 1);
	assert_true(st->verify.lost == 1);
	assert_true(st->verify.runs == 1);
	assert_true(st->commands[SINK_CMD_BDAT] == 2);
	assert_true(st->connections == 1);
	assert_int_equal(sink_token_seen(s, "tok1tok1tok1tok1tok1tok1"), 2);
	assert_int_equal(sink_token_seen(s, "tok5"), 1);
	assert_int_equal(sink_token_seen(s, "nope"), 0);
	sink_stop(s);
	sink_stop(s);
	sink_free(s);
	sink_free(NULL);
	free(st);
}

static void
test_faults_counted(void **state)
{
	struct sink_params p;
	struct sink_stats *st = malloc(sizeof(*st));
	struct mv_error err;
	struct sink *s;
	const char *replies;
	static const char script[] =
	    "HELO t\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nRCPT TO:<e@f>\r\n"
	    "DATA\r\nRSET\r\nNOOP\r\nQUIT\r\n";

	(void)state;
	assert_non_null(st);
	sink_params_init(&p);
	p.listen[0].addr = "127.0.0.1:0";
	p.nlisten = 1;
	p.faults[0] = (struct sink_fault){ SINK_CMD_RCPT, SINK_FAULT_REPLY,
	    452, 0, 1000000 };
	p.nfaults = 1;
	s = sink_new(&p, &err);
	assert_non_null(s);
	assert_int_equal(sink_start(s, &err), 0);
	replies = converse(sink_bound_address(s), script, sizeof(script) - 1);
	assert_non_null(strstr(replies, "452 4.0.0 Injected fault on rcpt"));
	assert_non_null(strstr(replies, "503 5.5.1 Error: need RCPT"));
	sink_stats(s, st);
	assert_true(st->fault_replies[SINK_CMD_RCPT] == 2);
	assert_true(st->recipients == 0);
	assert_true(st->recipients_rejected == 2);
	assert_true(st->messages == 0);
	sink_free(s);
	free(st);
}

static void
test_refusals(void **state)
{
	struct sink_params p;
	struct mv_error err;
	struct sink *s;

	(void)state;
	sink_params_init(&p);
	p.listen[0].addr = "0.0.0.0:0";
	p.nlisten = 1;
	assert_null(sink_new(&p, &err));
	assert_int_equal(err.cat, MV_ERR_USAGE);
	p.listen[0].addr = "localhost:25";
	assert_null(sink_new(&p, &err));
	assert_int_equal(err.cat, MV_ERR_USAGE);
	p.listen[0].addr = "[::1]:0";
	p.starttls = 1;
	assert_null(sink_new(&p, &err));
	p.starttls = 0;
	p.threads = 0;
	assert_null(sink_new(&p, &err));
	/* Never started: free must still be clean. */
	p.threads = 1;
	s = sink_new(&p, &err);
	assert_non_null(s);
	sink_free(s);
}

/* A second sink on a port a sink already listens on must fail
 * (MV_ERR_CONNECT), not share the port through SO_REUSEPORT; port 0
 * still gives every thread the same, real port. */
static void
test_second_sink_refused(void **state)
{
	struct sink_params p;
	struct mv_error err;
	struct sink *a, *b;
	char addr[64];
	char *r;

	(void)state;
	sink_params_init(&p);
	p.listen[0].addr = "127.0.0.1:0";
	p.nlisten = 1;
	p.threads = 3;
	a = sink_new(&p, &err);
	assert_non_null(a);
	assert_int_equal(sink_start(a, &err), 0);
	assert_null(strstr(sink_bound_address(a), ":0"));
	snprintf(addr, sizeof(addr), "%s", sink_bound_address(a));
	p.listen[0].addr = addr;
	p.threads = 1;
	b = sink_new(&p, &err);
	assert_non_null(b);
	assert_int_equal(sink_start(b, &err), -1);
	assert_int_equal(err.cat, MV_ERR_CONNECT);
	assert_non_null(strstr(err.msg, "address in use"));
	sink_free(b);
	r = converse(addr, "QUIT\r\n", 6);
	assert_non_null(strstr(r, "221"));
	sink_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_and_verification),
		cmocka_unit_test(test_faults_counted),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_second_sink_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
