/*
 * test_deliver_log.c - picking one queue id's lines out of a Postfix
 * log for `mailvet deliver --log`.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "check/deliver.h"

#include <string.h>

static const char LOG[] =
    "Nov 25 15:05:18 mail postfix/smtpd[1]: 61D80512222: client=x\n"
    "Nov 25 15:05:18 mail postfix/smtpd[1]: 161D80512222: client=other\n"
    "Nov 25 15:05:18 mail postfix/cleanup[2]: 61D80512222: message-id=<a>\n"
    "Nov 25 15:05:18 mail postfix/qmgr[3]: 61D805122229: from=<b>\n"
    "Nov 25 15:05:18 mail postfix/lmtp[4]: 61D80512222: to=<c>, "
    "relay=x, delay=0.01, dsn=4.4.1, status=deferred (refused)\n"
    "Nov 25 15:06:18 mail postfix/lmtp[4]: 61D80512222: to=<c>, "
    "dsn=2.0.0, status=sent (250 Saved)\n"
    "Nov 25 15:06:18 mail postfix/qmgr[3]: 61D80512222: removed";

static void
test_picks_the_lines_of_one_queue_id(void **state)
{
	struct buf out;
	char status[16];
	size_t n;

	(void)state;
	buf_init(&out, 0);
	n = deliver_log_scan(LOG, strlen(LOG), "61D80512222", &out, status,
	    sizeof(status));
	/* Not 161D80512222 nor 61D805122229: ids match whole. */
	assert_int_equal(n, 5);
	assert_null(strstr(buf_cstr(&out), "client=other"));
	assert_null(strstr(buf_cstr(&out), "from=<b>"));
	/* The last status wins; the final line has no newline. */
	assert_string_equal(status, "sent");
	assert_non_null(strstr(buf_cstr(&out), "removed\n"));
	buf_free(&out);
}

static void
test_nothing_found(void **state)
{
	struct buf out;
	char status[16] = "junk";

	(void)state;
	buf_init(&out, 0);
	assert_int_equal(deliver_log_scan(LOG, strlen(LOG), "ABC", &out,
	    status, sizeof(status)), 0);
	assert_string_equal(status, "");
	assert_int_equal(deliver_log_scan(NULL, 0, "ABC", &out, status,
	    sizeof(status)), 0);
	assert_int_equal(deliver_log_scan(LOG, strlen(LOG), "", &out, status,
	    sizeof(status)), 0);
	assert_int_equal(out.len, 0);
	buf_free(&out);
}

static void
test_status_is_cut_to_its_buffer(void **state)
{
	static const char line[] = "x: Q1: status=deferredforeverandever";
	struct buf out;
	char status[6];

	(void)state;
	buf_init(&out, 0);
	assert_int_equal(deliver_log_scan(line, strlen(line), "Q1", &out,
	    status, sizeof(status)), 1);
	assert_string_equal(status, "defer");
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_picks_the_lines_of_one_queue_id),
		cmocka_unit_test(test_nothing_found),
		cmocka_unit_test(test_status_is_cut_to_its_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
