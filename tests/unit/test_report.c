/*
 * test_report.c - the exit-code contract (docs/exit-codes.md) computed
 * from the result model, and the JSON renderer's top level.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "report/json_text.h"
#include "report/render.h"
#include "report/report.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void
test_error_categories(void **state)
{
	static const struct {
		enum mv_errcat cat;
		enum exit_code code;
		const char *verdict;
	} map[] = {
		{ MV_ERR_NONE, EXIT_PASS, "pass" },
		{ MV_ERR_USAGE, EXIT_USAGE, "error" },
		{ MV_ERR_INTERNAL, EXIT_INTERNAL, "error" },
		{ MV_ERR_DNS, EXIT_UNTESTED, "error" },
		{ MV_ERR_CONNECT, EXIT_UNTESTED, "error" },
		{ MV_ERR_TIMEOUT, EXIT_UNTESTED, "error" },
		{ MV_ERR_TLS, EXIT_FINDING, "fail" },
		{ MV_ERR_PROTOCOL, EXIT_FINDING, "fail" },
		{ MV_ERR_LACKS_FEATURE, EXIT_FINDING, "fail" },
		{ MV_ERR_REJECTED, EXIT_FINDING, "fail" },
		{ MV_ERR_CLOSED, EXIT_FINDING, "fail" },
	};
	struct report r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		report_init(&r, "smtp");
		if (map[i].cat != MV_ERR_NONE)
			mv_error_set(&r.err, map[i].cat, "x");
		assert_int_equal(report_exit_code(&r), map[i].code);
		assert_string_equal(report_verdict_name(&r), map[i].verdict);
		report_free(&r);
	}
}

static void
test_checks_decide_without_error(void **state)
{
	struct report r;

	(void)state;
	report_init(&r, "smtp");
	report_add_check(&r, "a", VERDICT_PASS, "fine");
	report_add_check(&r, "b", VERDICT_WARN, "meh");
	report_add_check(&r, "c", VERDICT_SKIP, "n/a");
	assert_int_equal(report_exit_code(&r), EXIT_PASS);
	report_add_check(&r, "d", VERDICT_ERROR, "could not");
	assert_int_equal(report_exit_code(&r), EXIT_UNTESTED);
	/* A finding outranks a check that could not run. */
	report_add_check(&r, "e", VERDICT_FAIL, "bad");
	assert_int_equal(report_exit_code(&r), EXIT_FINDING);
	report_free(&r);
}

static void
test_check_limit(void **state)
{
	struct report r;
	int i;

	(void)state;
	report_init(&r, "smtp");
	for (i = 0; i < REPORT_MAX_CHECKS + 10; i++)
		report_add_check(&r, "n", VERDICT_PASS, "%d", i);
	assert_int_equal(r.nchecks, REPORT_MAX_CHECKS);
	report_free(&r);
}

static void
test_json_top_level(void **state)
{
	struct render_opts o;
	struct report r;
	struct buf out;
	json_error_t jerr;
	json_t *doc;

	(void)state;
	memset(&o, 0, sizeof(o));
	report_init(&r, "smtp");
	snprintf(r.target, sizeof(r.target), "smtp://127.0.0.1:25");
	mv_error_set(&r.err, MV_ERR_TIMEOUT, "timed out \"quoted\"\n");
	report_add_check(&r, "connect", VERDICT_ERROR, "ctl \x1b[31m");
	transcript_add(&r.tr, TR_SERVER, "220 \x01hi", 7);
	buf_init(&out, 0);
	assert_int_equal(report_render_json(&r, &o, &out), 0);
	doc = json_loads(buf_cstr(&out), 0, &jerr);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "verdict")),
	    "error");
	assert_int_equal(json_integer_value(json_object_get(doc, "exit_code")),
	    EXIT_UNTESTED);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    doc, "error"), "category")), "timeout");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(doc, "transcript"), 0), "text")), "220 \\x01hi");
	assert_true(json_is_null(json_object_get(doc, "smtp")) ||
	    json_object_get(doc, "smtp") == NULL);
	json_decref(doc);
	buf_free(&out);
	report_free(&r);
}

static void
test_text_no_color_has_no_escape(void **state)
{
	struct render_opts o;
	struct report r;
	struct buf out;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.transcript = 1;
	report_init(&r, "smtp");
	report_add_check(&r, "banner", VERDICT_FAIL, "554 no");
	report_add_check(&r, "capability", VERDICT_PASS,
	    "IMAP4rev1 X\x1b[31mRED");
	mv_error_set(&r.err, MV_ERR_CLOSED, "the server said BYE: \x1b]2;x\x07");
	transcript_add(&r.tr, TR_SERVER, "554 \x1b]0;owned\x07", 13);
	buf_init(&out, 0);
	assert_int_equal(report_render_text(&r, &o, &out), 0);
	assert_null(strchr(buf_cstr(&out), '\x1b'));
	assert_null(strchr(buf_cstr(&out), '\x07'));
	assert_non_null(strstr(buf_cstr(&out), "X\\x1b[31mRED"));
	assert_non_null(strstr(buf_cstr(&out), "FAIL"));
	assert_non_null(strstr(buf_cstr(&out), "Verdict: FAIL"));
	buf_free(&out);
	report_free(&r);
}

static void
test_json_text_repairs_utf8(void **state)
{
	static const struct {
		const char *in;
		size_t n;
		const char *out;
	} cases[] = {
		{ "plain", 5, "plain" },
		{ "caf\xc3\xa9", 5, "caf\xc3\xa9" },           /* valid */
		{ "caf\xe9", 4, "caf\xef\xbf\xbd" },           /* Latin-1 */
		{ "\xff\xfe", 2, "\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd" }, /* overlong */
		{ "\xed\xa0\x80", 3,
		    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* surrogate */
		{ "\xf4\x90\x80\x80", 4, "\xef\xbf\xbd\xef\xbf\xbd"
		    "\xef\xbf\xbd\xef\xbf\xbd" },            /* > U+10FFFF */
		{ "\xe2\x82", 2, "\xef\xbf\xbd\xef\xbf\xbd" }, /* cut short */
		{ "\xf0\x9f\x93\xab", 4, "\xf0\x9f\x93\xab" }, /* emoji */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *j = json_text_n(cases[i].in, cases[i].n);

		assert_non_null(j);
		assert_string_equal(json_string_value(j), cases[i].out);
		json_decref(j);
	}
	assert_true(json_is_null(json_text_or_null("")));
	assert_true(json_is_null(json_text(NULL)));
}

/* A server's 8-bit junk must not make the document, or a part of it,
 * disappear. */
static void
test_json_survives_invalid_utf8(void **state)
{
	struct smtp_client_result *res;
	struct render_opts o;
	struct report r;
	struct buf out;
	json_error_t jerr;
	json_t *doc, *smtp;

	(void)state;
	memset(&o, 0, sizeof(o));
	report_init(&r, "smtp");
	res = calloc(1, sizeof(*res));
	assert_non_null(res);
	res->banner.code = 220;
	res->banner.text = strdup("caf\xe9 \xff");
	r.smtp = res;
	report_add_check(&r, "banner", VERDICT_PASS, "220 caf\xe9");
	transcript_add(&r.tr, TR_SERVER, "220 caf\xe9", 8);
	buf_init(&out, 0);
	assert_int_equal(report_render_json(&r, &o, &out), 0);
	doc = json_loads(buf_cstr(&out), 0, &jerr);
	assert_non_null(doc);
	smtp = json_object_get(doc, "smtp");
	assert_non_null(smtp);
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(smtp, "banner"), "text")),
	    "caf\xef\xbf\xbd \xef\xbf\xbd");
	assert_int_equal(json_array_size(json_object_get(doc, "transcript")),
	    1);
	json_decref(doc);
	buf_free(&out);
	report_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_categories),
		cmocka_unit_test(test_checks_decide_without_error),
		cmocka_unit_test(test_check_limit),
		cmocka_unit_test(test_json_top_level),
		cmocka_unit_test(test_text_no_color_has_no_escape),
		cmocka_unit_test(test_json_text_repairs_utf8),
		cmocka_unit_test(test_json_survives_invalid_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
