/*
 * test_smtp_queue_id.c - queue ids from final replies of real servers
 * (Postfix, Exim, OpenSMTPD, Sendmail, Dovecot LMTP) and replies that
 * carry none.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "proto/smtp_queue_id.h"

#include <string.h>

struct qid_case {
	const char *text; /* reply line after the code */
	const char *want; /* "" when there is no id */
};

static const struct qid_case qid_cases[] = {
	{ "2.0.0 Ok: queued as 4ZkQ1x3YpWz9", "4ZkQ1x3YpWz9" },
	{ "2.0.0 Ok: queued as 931A7A725F3", "931A7A725F3" },
	{ "Ok: Queued as ABC123.", "ABC123" },
	{ "OK id=1tG5Xb-000Abc-1D", "1tG5Xb-000Abc-1D" },
	{ "2.0.0 9a8b7c6d Message accepted for delivery", "9a8b7c6d" },
	{ "2.0.0 5APE3J9v003456 Message accepted for delivery",
	    "5APE3J9v003456" },
	{ "2.0.0 <charlie@lab.example> GCh3Kw6FJmm5RwAAxgGtGA Saved",
	    "GCh3Kw6FJmm5RwAAxgGtGA" },
	{ "2.0.0 Ok", "" },
	{ "Message accepted for delivery", "" },
	{ "2.0.0 <charlie@lab.example> no id here", "" },
	{ "", "" },
	{ "grid=7 queued as", "" },
	/* An over-long run is not an id. */
	{ "queued as "
	  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	  "AAAA", "" },
};

static void
test_table(void **state)
{
	char out[SMTP_QUEUE_ID_MAX + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(qid_cases) / sizeof(qid_cases[0]); i++) {
		int found = smtp_queue_id_extract(qid_cases[i].text, out,
		    sizeof(out));

		assert_string_equal(out, qid_cases[i].want);
		assert_int_equal(found, qid_cases[i].want[0] != '\0');
	}
}

static void
test_small_output_and_null(void **state)
{
	char out[4];

	(void)state;
	assert_int_equal(smtp_queue_id_extract("queued as ABCDEFG", out,
	    sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(smtp_queue_id_extract(NULL, out, sizeof(out)), 0);
	assert_int_equal(smtp_queue_id_extract("queued as AB", out,
	    sizeof(out)), 1);
	assert_string_equal(out, "AB");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_small_output_and_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
