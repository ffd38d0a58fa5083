/*
 * test_sasl.c - unit tests for proto/sasl: base64 (RFC 4648 vectors,
 * strictness), PLAIN, LOGIN, CRAM-MD5 against RFC 2195's example,
 * SCRAM against a GNU SASL server session (including a server that
 * cannot prove it knows the password), and mechanism choice.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "proto/sasl.h"

#include <gsasl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void
test_b64_vectors(void **state)
{
	/* RFC 4648 section 10, plus bytes that need all of the alphabet. */
	static const struct {
		const char *raw;
		size_t len;
		const char *b64;
	} cases[] = {
		{ "", 0, "" },
		{ "f", 1, "Zg==" },
		{ "fo", 2, "Zm8=" },
		{ "foo", 3, "Zm9v" },
		{ "foob", 4, "Zm9vYg==" },
		{ "fooba", 5, "Zm9vYmE=" },
		{ "foobar", 6, "Zm9vYmFy" },
		{ "\0user\0pass", 10, "AHVzZXIAcGFzcw==" },
		{ "\xfb\xff\xbf", 3, "+/+/" },
		{ "\0", 1, "AA==" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		struct buf enc, dec;

		buf_init(&enc, 0);
		buf_init(&dec, 0);
		assert_int_equal(b64_encode(cases[i].raw, cases[i].len, &enc),
		    0);
		if (strcmp(buf_cstr(&enc), cases[i].b64) != 0)
			fail_msg("case %zu: encoded \"%s\"", i, buf_cstr(&enc));
		assert_int_equal(b64_decode(cases[i].b64, strlen(cases[i].b64),
				     &dec),
		    0);
		/* The exact length, not EVP_DecodeBlock's padded one. */
		assert_int_equal(dec.len, cases[i].len);
		assert_memory_equal(buf_cstr(&dec), cases[i].raw,
		    cases[i].len);
		buf_free(&enc);
		buf_free(&dec);
	}
}

static void
test_b64_bad(void **state)
{
	static const char *const bad[] = {
		"Z", "Zg", "Zg=", "Zm9vY", "Zg=a", "Z===", "====", "=Zm9",
		"Zm9v!", "Zm 9v", "Zm9v\n", " Zm9v", "Zg==Zg==", "Z=g=",
		"Zm9v\r\n", "Zm-_",
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(bad); i++) {
		struct buf out;

		buf_init(&out, 0);
		buf_append_str(&out, "keep");
		if (b64_decode(bad[i], strlen(bad[i]), &out) != -1)
			fail_msg("case %zu \"%s\" accepted", i, bad[i]);
		assert_string_equal(buf_cstr(&out), "keep");
		buf_free(&out);
	}
	{
		struct buf out;

		/* Embedded NUL in the text. */
		buf_init(&out, 0);
		assert_int_equal(b64_decode("Zm\0v", 4, &out), -1);
		buf_free(&out);
	}
}

static void
test_b64_large_and_limits(void **state)
{
	enum { N = 1024 * 1024 + 7 };
	unsigned char *raw;
	struct buf enc, dec;
	size_t i;

	(void)state;
	raw = malloc(N);
	assert_non_null(raw);
	for (i = 0; i < N; i++)
		raw[i] = (unsigned char)(i * 131 + (i >> 8));
	buf_init(&enc, 0);
	buf_init(&dec, 0);
	assert_int_equal(b64_encode(raw, N, &enc), 0);
	assert_int_equal(enc.len, (N + 2) / 3 * 4);
	assert_null(strchr(enc.data, '\n'));
	assert_int_equal(b64_decode(enc.data, enc.len, &dec), 0);
	assert_int_equal(dec.len, N);
	assert_memory_equal(dec.data, raw, N);
	buf_free(&enc);
	buf_free(&dec);

	/* Appends, and fails cleanly at a buffer maximum. */
	buf_init(&enc, 6);
	buf_append_str(&enc, "x:");
	assert_int_equal(b64_encode("foo", 3, &enc), 0);
	assert_string_equal(buf_cstr(&enc), "x:Zm9v");
	assert_int_equal(b64_encode("f", 1, &enc), -1);
	assert_string_equal(buf_cstr(&enc), "x:Zm9v");
	buf_free(&enc);
	buf_init(&dec, 2);
	assert_int_equal(b64_decode("Zm9v", 4, &dec), -1);
	assert_int_equal(dec.len, 0);
	buf_free(&dec);
	free(raw);
}

/* Run one step and check its outcome. */
static void
step_ok(struct sasl_client *c, const char *challenge, int want_ret,
    const char *want_b64)
{
	struct mv_error err;
	struct buf out;
	int r;

	buf_init(&out, 0);
	r = sasl_client_step(c, challenge, &out, &err);
	if (r != want_ret)
		fail_msg("step returned %d (%s)", r, err.msg);
	if (want_b64 != NULL)
		assert_string_equal(buf_cstr(&out), want_b64);
	buf_free(&out);
}

static void
test_plain(void **state)
{
	struct sasl_client *c;
	struct mv_error err;
	struct buf out;

	(void)state;
	c = sasl_client_new("PLAIN", "user", "pass", NULL, &err);
	assert_non_null(c);
	assert_true(sasl_client_first(c));
	step_ok(c, NULL, 1, "AHVzZXIAcGFzcw==");
	/* A further challenge after completion is the server's fault. */
	buf_init(&out, 0);
	assert_int_equal(sasl_client_step(c, "", &out, &err), -1);
	assert_int_equal(err.cat, MV_ERR_PROTOCOL);
	buf_free(&out);
	sasl_client_free(c);

	/* Lower-case name, an authorisation identity, an empty 334. */
	c = sasl_client_new("plain", "user", "pass", "admin", &err);
	assert_non_null(c);
	step_ok(c, "", 1, "YWRtaW4AdXNlcgBwYXNz");
	sasl_client_free(c);
	sasl_client_free(NULL);
}

static void
test_login(void **state)
{
	struct sasl_client *c;
	struct mv_error err;

	(void)state;
	c = sasl_client_new("LOGIN", "user", "pass", NULL, &err);
	assert_non_null(c);
	assert_false(sasl_client_first(c));
	/* "Username:" then "Password:". */
	step_ok(c, "VXNlcm5hbWU6", 0, "dXNlcg==");
	step_ok(c, "UGFzc3dvcmQ6", 1, "cGFzcw==");
	sasl_client_free(c);
}

static void
test_cram_md5_rfc2195(void **state)
{
	struct sasl_client *c;
	struct mv_error err;

	(void)state;
	c = sasl_client_new("CRAM-MD5", "tim", "tanstaaftanstaaf", NULL, &err);
	assert_non_null(c);
	assert_false(sasl_client_first(c));
	step_ok(c,
	    "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+", 1,
	    "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
	sasl_client_free(c);
}

static void
test_scram_first_message(void **state)
{
	static const char *const mechs[] = { "SCRAM-SHA-256", "scram-sha-1" };
	size_t i, k;

	(void)state;
	for (i = 0; i < NELEM(mechs); i++) {
		struct sasl_client *c;
		struct mv_error err;
		struct buf out, dec;
		const char *nonce;

		c = sasl_client_new(mechs[i], "user", "pencil", NULL, &err);
		assert_non_null(c);
		assert_true(sasl_client_first(c));
		buf_init(&out, 0);
		buf_init(&dec, 0);
		assert_int_equal(sasl_client_step(c, NULL, &out, &err), 0);
		assert_int_equal(b64_decode(out.data, out.len, &dec), 0);
		/* No channel binding, no authzid, user, a client nonce. */
		assert_true(strncmp(dec.data, "n,,n=user,r=", 12) == 0);
		nonce = dec.data + 12;
		assert_true(strlen(nonce) >= 16);
		for (k = 0; nonce[k] != '\0'; k++)
			assert_true(nonce[k] > 0x20 && nonce[k] < 0x7f &&
			    nonce[k] != ',');
		buf_free(&out);
		buf_free(&dec);
		sasl_client_free(c);
	}
}

/* A GNU SASL server knowing one user, to run whole SCRAM exchanges. */
static int
server_cb(Gsasl *ctx, Gsasl_session *sctx, Gsasl_property prop)
{
	const char *authid = gsasl_property_fast(sctx, GSASL_AUTHID);

	if (prop == GSASL_PASSWORD && authid != NULL &&
	    strcmp(authid, "user") == 0)
		return gsasl_property_set(sctx, GSASL_PASSWORD,
		    gsasl_callback_hook_get(ctx));
	return GSASL_NO_CALLBACK;
}

enum tamper { TAMPER_NONE, TAMPER_SIGNATURE, TAMPER_ERROR, TAMPER_GARBAGE };

static void
scram_exchange(const char *mech, const char *server_pass, enum tamper how)
{
	struct sasl_client *c;
	struct mv_error err;
	struct buf out, dec, chal;
	Gsasl *sctx;
	Gsasl_session *srv;
	char *answer = NULL;
	int rc, r;

	assert_int_equal(gsasl_init(&sctx), GSASL_OK);
	gsasl_callback_set(sctx, server_cb);
	gsasl_callback_hook_set(sctx, (void *)server_pass);
	assert_int_equal(gsasl_server_start(sctx, mech, &srv), GSASL_OK);
	c = sasl_client_new(mech, "user", "pencil", NULL, &err);
	assert_non_null(c);
	buf_init(&out, 0);
	buf_init(&dec, 0);
	buf_init(&chal, 0);

	/* client-first, server-first, client-final, server-final. */
	assert_int_equal(sasl_client_step(c, NULL, &out, &err), 0);
	assert_int_equal(gsasl_step64(srv, buf_cstr(&out), &answer),
	    GSASL_NEEDS_MORE);
	assert_int_equal(sasl_client_step(c, answer, &out, &err), 0);
	gsasl_free(answer);
	answer = NULL;
	rc = gsasl_step64(srv, buf_cstr(&out), &answer);
	if (strcmp(server_pass, "pencil") != 0) {
		/* The server itself refuses a wrong password. */
		assert_int_not_equal(rc, GSASL_OK);
		goto done;
	}
	assert_int_equal(rc, GSASL_OK);
	assert_int_equal(b64_decode(answer, strlen(answer), &dec), 0);
	assert_true(strncmp(dec.data, "v=", 2) == 0);
	switch (how) {
	case TAMPER_NONE:
		break;
	case TAMPER_SIGNATURE:
		/* Change one character of the signature. */
		dec.data[3] = dec.data[3] == 'A' ? 'B' : 'A';
		break;
	case TAMPER_ERROR:
		buf_reset(&dec);
		buf_append_str(&dec, "e=invalid-proof");
		break;
	case TAMPER_GARBAGE:
		buf_reset(&dec);
		buf_append_str(&dec, "nonsense");
		break;
	}
	buf_reset(&chal);
	b64_encode(dec.data, dec.len, &chal);
	r = sasl_client_step(c, buf_cstr(&chal), &out, &err);
	if (how == TAMPER_NONE) {
		/* Only now, with the server verified, is it complete. */
		assert_int_equal(r, 1);
		assert_string_equal(buf_cstr(&out), "");
	} else {
		assert_int_equal(r, -1);
		assert_int_equal(err.cat, MV_ERR_PROTOCOL);
	}
done:
	gsasl_free(answer);
	buf_free(&out);
	buf_free(&dec);
	buf_free(&chal);
	sasl_client_free(c);
	gsasl_finish(srv);
	gsasl_done(sctx);
}

static void
test_scram_exchange(void **state)
{
	(void)state;
	scram_exchange("SCRAM-SHA-256", "pencil", TAMPER_NONE);
	scram_exchange("SCRAM-SHA-1", "pencil", TAMPER_NONE);
	scram_exchange("SCRAM-SHA-256", "pencil", TAMPER_SIGNATURE);
	scram_exchange("SCRAM-SHA-256", "pencil", TAMPER_ERROR);
	scram_exchange("SCRAM-SHA-1", "pencil", TAMPER_GARBAGE);
	scram_exchange("SCRAM-SHA-256", "other", TAMPER_NONE);
}

static void
test_bad_challenges(void **state)
{
	static const char *const bad[] = { "abc", "!!!!", "Zg=", "VXNl cm5h" };
	struct sasl_client *c;
	struct mv_error err;
	struct buf out;
	size_t i;

	(void)state;
	buf_init(&out, 0);
	for (i = 0; i < NELEM(bad); i++) {
		c = sasl_client_new("LOGIN", "user", "pass", NULL, &err);
		assert_non_null(c);
		mv_error_clear(&err);
		assert_int_equal(sasl_client_step(c, bad[i], &out, &err), -1);
		assert_int_equal(err.cat, MV_ERR_PROTOCOL);
		assert_non_null(strstr(err.msg, "not valid base64"));
		sasl_client_free(c);
	}
	/* Trailing blanks and "=" are tolerated. */
	c = sasl_client_new("LOGIN", "user", "pass", NULL, &err);
	step_ok(c, "VXNlcm5hbWU6  \t", 0, "dXNlcg==");
	step_ok(c, "=", 1, "cGFzcw==");
	sasl_client_free(c);
	/* A malformed SCRAM server-first is a protocol error. */
	c = sasl_client_new("SCRAM-SHA-256", "user", "pass", NULL, &err);
	assert_int_equal(sasl_client_step(c, NULL, &out, &err), 0);
	assert_int_equal(sasl_client_step(c, "bm9uc2Vuc2U=", &out, &err), -1);
	assert_int_equal(err.cat, MV_ERR_PROTOCOL);
	sasl_client_free(c);
	buf_free(&out);
}

static void
test_missing_credentials(void **state)
{
	struct sasl_client *c;
	struct mv_error err;
	struct buf out;

	(void)state;
	buf_init(&out, 0);
	c = sasl_client_new("PLAIN", NULL, "pass", NULL, &err);
	assert_non_null(c);
	assert_int_equal(sasl_client_step(c, NULL, &out, &err), -1);
	assert_int_equal(err.cat, MV_ERR_USAGE);
	assert_non_null(strstr(err.msg, "user name"));
	sasl_client_free(c);
	c = sasl_client_new("PLAIN", "user", NULL, NULL, &err);
	assert_int_equal(sasl_client_step(c, NULL, &out, &err), -1);
	assert_int_equal(err.cat, MV_ERR_USAGE);
	assert_non_null(strstr(err.msg, "password"));
	sasl_client_free(c);
	buf_free(&out);
}

static void
test_new_unknown(void **state)
{
	static const char *const names[] = {
		"FOO",
		"",
		"PLAIN LOGIN",
		"A-MECHANISM-NAME-TOO-LONG",
		"PL\x01IN",
	};
	struct mv_error err;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(names); i++) {
		mv_error_clear(&err);
		assert_null(sasl_client_new(names[i], "u", "p", NULL, &err));
		assert_int_equal(err.cat, MV_ERR_USAGE);
	}
	assert_null(sasl_client_new(NULL, "u", "p", NULL, &err));
}

static void
test_choose_mech(void **state)
{
	static const struct {
		const char *wanted;
		const char *advertised;
		const char *chosen;      /* NULL: failure */
		enum mv_errcat cat;
	} cases[] = {
		{ NULL, "PLAIN LOGIN CRAM-MD5", "CRAM-MD5", MV_ERR_NONE },
		{ "auto", "LOGIN PLAIN", "PLAIN", MV_ERR_NONE },
		{ "AUTO", "LOGIN", "LOGIN", MV_ERR_NONE },
		{ NULL, "SCRAM-SHA-1 SCRAM-SHA-256 PLAIN", "SCRAM-SHA-256",
		    MV_ERR_NONE },
		{ NULL, "PLAIN SCRAM-SHA-1", "SCRAM-SHA-1", MV_ERR_NONE },
		{ NULL, "plain  login\tcram-md5", "CRAM-MD5", MV_ERR_NONE },
		{ NULL, "SCRAM-SHA-256-PLUS PLAIN", "PLAIN", MV_ERR_NONE },
		{ NULL, "XOAUTH2 GSSAPI", NULL, MV_ERR_LACKS_FEATURE },
		{ NULL, "", NULL, MV_ERR_LACKS_FEATURE },
		{ NULL, NULL, NULL, MV_ERR_LACKS_FEATURE },
		{ "plain", "PLAIN LOGIN", "PLAIN", MV_ERR_NONE },
		{ "Login", "PLAIN LOGIN", "LOGIN", MV_ERR_NONE },
		{ "cram-md5", "PLAIN LOGIN", NULL, MV_ERR_LACKS_FEATURE },
		/* No list known: the user's choice stands. */
		{ "DIGEST-MD5", NULL, "DIGEST-MD5", MV_ERR_NONE },
		{ "FOO", "FOO PLAIN", NULL, MV_ERR_USAGE },
		{ "PLAIN LOGIN", "PLAIN", NULL, MV_ERR_USAGE },
		{ "", "PLAIN", NULL, MV_ERR_USAGE },
	};
	char out[32];
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		struct mv_error err;
		int r;

		mv_error_clear(&err);
		r = sasl_choose_mech(cases[i].wanted, cases[i].advertised, out,
		    sizeof(out), &err);
		if (cases[i].chosen != NULL) {
			if (r != 0 || strcmp(out, cases[i].chosen) != 0)
				fail_msg("case %zu: %d \"%s\" (%s)", i, r, out,
				    err.msg);
		} else if (r != -1 || err.cat != cases[i].cat) {
			fail_msg("case %zu: %d \"%s\" cat %s (%s)", i, r, out,
			    mv_errcat_name(err.cat), err.msg);
		}
	}
	/* Output too small: an error, not a cut name. */
	{
		struct mv_error err;

		assert_int_equal(sasl_choose_mech(NULL, "CRAM-MD5", out, 5,
				     &err),
		    -1);
		assert_int_equal(err.cat, MV_ERR_INTERNAL);
	}
}

/* Several threads starting sessions at once share the lazily made
 * context safely. */
static void *
thread_main(void *arg)
{
	struct sasl_client *c;
	struct mv_error err;
	struct buf out;
	int i, *ok = arg;

	buf_init(&out, 0);
	*ok = 1;
	for (i = 0; i < 50; i++) {
		c = sasl_client_new("PLAIN", "user", "pass", NULL, &err);
		if (c == NULL || sasl_client_step(c, NULL, &out, &err) != 1 ||
		    strcmp(buf_cstr(&out), "AHVzZXIAcGFzcw==") != 0)
			*ok = 0;
		sasl_client_free(c);
	}
	buf_free(&out);
	return NULL;
}

static void
test_threads(void **state)
{
	pthread_t t[4];
	int ok[4];
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(t); i++)
		assert_int_equal(pthread_create(&t[i], NULL, thread_main,
				     &ok[i]),
		    0);
	for (i = 0; i < NELEM(t); i++) {
		pthread_join(t[i], NULL);
		assert_true(ok[i]);
	}
}

int
main(void)
{
	/* The threads test comes first so that it is what creates the
	 * shared context. */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_b64_vectors),
		cmocka_unit_test(test_b64_bad),
		cmocka_unit_test(test_b64_large_and_limits),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_login),
		cmocka_unit_test(test_cram_md5_rfc2195),
		cmocka_unit_test(test_scram_first_message),
		cmocka_unit_test(test_scram_exchange),
		cmocka_unit_test(test_bad_challenges),
		cmocka_unit_test(test_missing_credentials),
		cmocka_unit_test(test_new_unknown),
		cmocka_unit_test(test_choose_mech),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
