/*
 * test_duration.c - the durations users type for timeouts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/duration.h"

static void
test_valid(void **state)
{
	static const struct {
		const char *text;
		uint64_t ms;
	} ok[] = {
		{ "500ms", 500 }, { "10s", 10000 }, { "10", 10000 },
		{ "1.5s", 1500 }, { "0.25", 250 }, { "2m", 120000 },
		{ "2min", 120000 }, { "1h", 3600000 }, { "24h", 86400000 },
		{ "1ms", 1 },
	};
	uint64_t ms;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ms = 0;
		assert_int_equal(duration_parse_ms(ok[i].text, &ms), 0);
		assert_int_equal(ms, ok[i].ms);
	}
}

static void
test_invalid(void **state)
{
	static const char *const bad[] = {
		"", "s", "ms", "soon", "-1s", " 1s", "1s ", "1 s", "0", "0s",
		"0.0001s", "25h", "1d", "1.2.3", "inf", "nan", "0x10",
		"99999999999999999999999",
	};
	uint64_t ms = 7;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(duration_parse_ms(bad[i], &ms), -1);
		assert_int_equal(ms, 7); /* untouched on failure */
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
