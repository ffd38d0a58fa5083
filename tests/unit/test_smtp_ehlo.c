/*
 * test_smtp_ehlo.c - unit tests for proto/smtp_ehlo: real servers'
 * EHLO replies, case-insensitive keywords, the old "AUTH=" form, SIZE
 * edge cases, and lists that must be cut rather than overflowed.
 * Replies go through the real reply parser first.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "proto/smtp_ehlo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The reply points into the parser, so both live together. */
struct parsed {
	struct smtp_reply_parser p;
	struct smtp_reply r;
};

static struct parsed *
parse(const char *text)
{
	struct parsed *x = malloc(sizeof(*x));
	struct mv_error err;
	size_t used;

	assert_non_null(x);
	smtp_reply_parser_init(&x->p, 0, 0, 1024 * 1024);
	if (smtp_reply_parser_feed(&x->p, text, strlen(text), &used, &x->r,
		&err) != SMTP_REPLY_DONE)
		fail_msg("reply did not parse: %s", err.msg);
	assert_int_equal(used, strlen(text));
	return x;
}

static void
parsed_free(struct parsed *x)
{
	smtp_reply_parser_free(&x->p);
	free(x);
}

static void
test_postfix(void **state)
{
	struct parsed *x;
	struct smtp_caps c;

	(void)state;
	x = parse("250-mail.example.org\r\n"
		  "250-PIPELINING\r\n"
		  "250-SIZE 10240000\r\n"
		  "250-VRFY\r\n"
		  "250-ETRN\r\n"
		  "250-STARTTLS\r\n"
		  "250-AUTH PLAIN LOGIN\r\n"
		  "250-AUTH=PLAIN LOGIN\r\n"
		  "250-ENHANCEDSTATUSCODES\r\n"
		  "250-8BITMIME\r\n"
		  "250-DSN\r\n"
		  "250-SMTPUTF8\r\n"
		  "250 CHUNKING\r\n");
	smtp_ehlo_parse(&x->r, &c);
	assert_string_equal(c.domain, "mail.example.org");
	assert_int_equal(c.caps,
	    SMTP_CAP_PIPELINING | SMTP_CAP_SIZE | SMTP_CAP_VRFY |
		SMTP_CAP_ETRN | SMTP_CAP_STARTTLS | SMTP_CAP_AUTH |
		SMTP_CAP_ENHANCEDSTATUSCODES | SMTP_CAP_8BITMIME |
		SMTP_CAP_DSN | SMTP_CAP_SMTPUTF8 | SMTP_CAP_CHUNKING);
	assert_int_equal(c.size_max, 10240000);
	assert_int_equal(c.auth, SMTP_AUTH_PLAIN | SMTP_AUTH_LOGIN);
	/* Advertised twice (broken_sasl_auth_clients), listed once. */
	assert_string_equal(c.auth_list, "PLAIN LOGIN");
	assert_string_equal(c.unknown, "");
	parsed_free(x);
}

static void
test_exim_style(void **state)
{
	struct parsed *x;
	struct smtp_caps c;

	(void)state;
	x = parse("250-mx.example.net Hello client [192.0.2.7]\r\n"
		  "250-size 52428800\r\n"
		  "250-Pipelining\r\n"
		  "250-auth cram-md5 Scram-Sha-256 scram-sha-1 x-unknown\r\n"
		  "250-X-FOO bar\r\n"
		  "250-XEXPS\r\n"
		  "250-HELP\r\n"
		  "250-x-foo again\r\n"
		  "250-REQUIRETLS\r\n"
		  "250-DELIVERBY 240\r\n"
		  "250-XCLIENT NAME ADDR\r\n"
		  "250-XFORWARD NAME ADDR\r\n"
		  "250-BINARYMIME\r\n"
		  "250 starttls\r\n");
	smtp_ehlo_parse(&x->r, &c);
	assert_string_equal(c.domain, "mx.example.net");
	assert_int_equal(c.caps,
	    SMTP_CAP_SIZE | SMTP_CAP_PIPELINING | SMTP_CAP_AUTH |
		SMTP_CAP_REQUIRETLS | SMTP_CAP_DELIVERBY | SMTP_CAP_XCLIENT |
		SMTP_CAP_XFORWARD | SMTP_CAP_BINARYMIME | SMTP_CAP_STARTTLS);
	assert_int_equal(c.size_max, 52428800);
	assert_int_equal(c.auth,
	    SMTP_AUTH_CRAM_MD5 | SMTP_AUTH_SCRAM_SHA_256 |
		SMTP_AUTH_SCRAM_SHA_1 | SMTP_AUTH_OTHER);
	/* As advertised, case kept. */
	assert_string_equal(c.auth_list,
	    "cram-md5 Scram-Sha-256 scram-sha-1 x-unknown");
	assert_string_equal(c.unknown, "X-FOO XEXPS HELP");
	parsed_free(x);
}

static void
test_old_auth_only(void **state)
{
	struct parsed *x;
	struct smtp_caps c;

	(void)state;
	x = parse("250-h\r\n250 AUTH=LOGIN PLAIN\r\n");
	smtp_ehlo_parse(&x->r, &c);
	assert_int_equal(c.caps, SMTP_CAP_AUTH);
	assert_int_equal(c.auth, SMTP_AUTH_LOGIN | SMTP_AUTH_PLAIN);
	assert_string_equal(c.auth_list, "LOGIN PLAIN");
	parsed_free(x);
}

static void
test_size_values(void **state)
{
	static const struct {
		const char *line;
		uint64_t size;
	} cases[] = {
		{ "250 SIZE", 0 },
		{ "250 SIZE 0", 0 },
		{ "250 SIZE   4096", 4096 },
		{ "250 SIZE abc", 0 },
		{ "250 SIZE 12abc", 12 },
		{ "250 SIZE 18446744073709551615", UINT64_MAX },
		{ "250 SIZE 99999999999999999999999", UINT64_MAX },
		{ "250 SIZE -5", 0 },
	};
	char text[128];
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		struct parsed *x;
		struct smtp_caps c;

		snprintf(text, sizeof(text), "250-h\r\n%s\r\n", cases[i].line);
		x = parse(text);
		smtp_ehlo_parse(&x->r, &c);
		assert_true(c.caps & SMTP_CAP_SIZE);
		if (c.size_max != cases[i].size)
			fail_msg("case %zu \"%s\": %llu", i, cases[i].line,
			    (unsigned long long)c.size_max);
		parsed_free(x);
	}
}

static void
test_not_250(void **state)
{
	struct parsed *x;
	struct smtp_caps c;

	(void)state;
	x = parse("502 5.5.1 EHLO not supported\r\n");
	memset(&c, 0xff, sizeof(c));
	smtp_ehlo_parse(&x->r, &c);
	assert_int_equal(c.caps, 0);
	assert_int_equal(c.auth, 0);
	assert_string_equal(c.domain, "");
	parsed_free(x);
	smtp_ehlo_parse(NULL, &c);
	assert_int_equal(c.caps, 0);
}

static void
test_odd_lines(void **state)
{
	struct parsed *x;
	struct smtp_caps c;

	(void)state;
	/* Empty lines, leading blanks, tabs, a bare "AUTH", "=" alone. */
	x = parse("250-\r\n"
		  "250-\r\n"
		  "250-   PIPELINING\r\n"
		  "250-AUTH\r\n"
		  "250-=\r\n"
		  "250-STARTTLS\textra\r\n"
		  "250 \r\n");
	smtp_ehlo_parse(&x->r, &c);
	assert_string_equal(c.domain, "");
	assert_int_equal(c.caps,
	    SMTP_CAP_PIPELINING | SMTP_CAP_AUTH | SMTP_CAP_STARTTLS);
	assert_int_equal(c.auth, 0);
	assert_string_equal(c.auth_list, "");
	assert_string_equal(c.unknown, "");
	parsed_free(x);
}

static void
test_hostile_bytes(void **state)
{
	struct parsed *x;
	struct smtp_caps c;

	(void)state;
	x = parse("250-\x1b[31mevil\x7f.example\r\n"
		  "250-X\x01Y\r\n"
		  "250 AUTH PL\x1b" "AIN\r\n");
	smtp_ehlo_parse(&x->r, &c);
	assert_string_equal(c.domain, "?[31mevil?.example");
	assert_string_equal(c.unknown, "X?Y");
	assert_string_equal(c.auth_list, "PL?AIN");
	assert_int_equal(c.auth, SMTP_AUTH_OTHER);
	parsed_free(x);
}

/* Word-boundary cut: the list stays within its size and every word in
 * it is whole. */
static void
check_list_cut(const char *list, size_t max, const char *word_prefix)
{
	const char *w;

	assert_true(strlen(list) <= max);
	assert_true(strlen(list) > max / 2);
	for (w = list; *w != '\0';) {
		size_t n = strcspn(w, " ");

		assert_true(strncmp(w, word_prefix, strlen(word_prefix)) == 0);
		assert_int_equal(n, strlen(word_prefix) + 4);
		w += n;
		if (*w == ' ')
			w++;
	}
}

static void
test_long_lists_cut(void **state)
{
	struct buf text;
	struct parsed *x;
	struct smtp_caps c;
	size_t i;

	(void)state;
	buf_init(&text, 0);
	buf_append_str(&text, "250-");
	for (i = 0; i < 300; i++)
		buf_append_str(&text, "d");
	buf_append_str(&text, " greets you\r\n250-AUTH");
	for (i = 0; i < 200; i++)
		buf_printf(&text, " MECH%04zu", i);
	buf_append_str(&text, "\r\n");
	for (i = 0; i < 300; i++)
		buf_printf(&text, "250-XKEY%04zu\r\n", i);
	buf_append_str(&text, "250 PIPELINING\r\n");
	x = parse(buf_cstr(&text));
	smtp_ehlo_parse(&x->r, &c);
	assert_int_equal(strlen(c.domain), SMTP_EHLO_DOMAIN_MAX);
	check_list_cut(c.auth_list, SMTP_EHLO_AUTH_MAX, "MECH");
	check_list_cut(c.unknown, SMTP_EHLO_UNKNOWN_MAX, "XKEY");
	/* Bits are still set for what did not fit in the lists. */
	assert_int_equal(c.auth, SMTP_AUTH_OTHER);
	assert_true(c.caps & SMTP_CAP_PIPELINING);
	parsed_free(x);
	buf_free(&text);
}

static void
test_hand_built_reply(void **state)
{
	struct smtp_reply *r;
	struct smtp_caps c;

	(void)state;
	/* Callers may build replies by hand; only lines[] is read. */
	r = calloc(1, sizeof(*r));
	assert_non_null(r);
	r->code = 250;
	r->nlines = 3;
	r->lines[0] = "lmtp.example.org";
	r->lines[1] = "ENHANCEDSTATUSCODES";
	r->lines[2] = "8BITMIME";
	smtp_ehlo_parse(r, &c);
	assert_string_equal(c.domain, "lmtp.example.org");
	assert_int_equal(c.caps,
	    SMTP_CAP_ENHANCEDSTATUSCODES | SMTP_CAP_8BITMIME);
	free(r);
}

static void
test_mech_names(void **state)
{
	static const struct {
		const char *name;
		unsigned bit;
	} cases[] = {
		{ "PLAIN", SMTP_AUTH_PLAIN },
		{ "login", SMTP_AUTH_LOGIN },
		{ "cram-md5", SMTP_AUTH_CRAM_MD5 },
		{ "SCRAM-SHA-1", SMTP_AUTH_SCRAM_SHA_1 },
		{ "scram-sha-256", SMTP_AUTH_SCRAM_SHA_256 },
		{ "XOAUTH2", SMTP_AUTH_XOAUTH2 },
		{ "OAuthBearer", SMTP_AUTH_OAUTHBEARER },
		{ "DIGEST-MD5", SMTP_AUTH_DIGEST_MD5 },
		{ "EXTERNAL", SMTP_AUTH_EXTERNAL },
		{ "GSSAPI", SMTP_AUTH_GSSAPI },
		{ "SCRAM-SHA-256-PLUS", 0 },
		{ "PLAI", 0 },
		{ "PLAINX", 0 },
		{ "", 0 },
		{ "OTHER", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		unsigned bit = smtp_auth_mech_from_name(cases[i].name);

		if (bit != cases[i].bit)
			fail_msg("case %zu \"%s\": %#x", i, cases[i].name, bit);
		if (bit != 0)
			assert_int_equal(smtp_auth_mech_from_name(
					     smtp_auth_mech_name(bit)),
			    bit);
	}
	assert_string_equal(smtp_auth_mech_name(SMTP_AUTH_CRAM_MD5),
	    "CRAM-MD5");
	assert_string_equal(smtp_auth_mech_name(SMTP_AUTH_OTHER), "OTHER");
	assert_string_equal(smtp_auth_mech_name(0), "unknown");
	assert_string_equal(smtp_auth_mech_name(SMTP_AUTH_PLAIN |
				SMTP_AUTH_LOGIN),
	    "unknown");
}

static void
test_cap_names(void **state)
{
	unsigned bit;

	(void)state;
	for (bit = 1; bit <= SMTP_CAP_XFORWARD; bit <<= 1) {
		const char *name = smtp_cap_name(bit);
		struct smtp_reply *r = calloc(1, sizeof(*r));
		struct smtp_caps c;

		assert_non_null(r);
		assert_string_not_equal(name, "unknown");
		/* The name is the keyword that sets the bit. */
		r->code = 250;
		r->nlines = 2;
		r->lines[0] = "h";
		r->lines[1] = name;
		smtp_ehlo_parse(r, &c);
		assert_int_equal(c.caps, bit);
		free(r);
	}
	assert_string_equal(smtp_cap_name(SMTP_CAP_STARTTLS), "STARTTLS");
	assert_string_equal(smtp_cap_name(0), "unknown");
	assert_string_equal(smtp_cap_name(1u << 30), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_postfix),
		cmocka_unit_test(test_exim_style),
		cmocka_unit_test(test_old_auth_only),
		cmocka_unit_test(test_size_values),
		cmocka_unit_test(test_not_250),
		cmocka_unit_test(test_odd_lines),
		cmocka_unit_test(test_hostile_bytes),
		cmocka_unit_test(test_long_lists_cut),
		cmocka_unit_test(test_hand_built_reply),
		cmocka_unit_test(test_mech_names),
		cmocka_unit_test(test_cap_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
