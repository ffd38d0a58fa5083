/*
 * fuzz_dot_stuff.c - libFuzzer target for the DATA transparency code in
 * proto/message (RFC 5321 4.5.2).
 *
 * Stuffing any body must give CRLF-only text whose one and only end of
 * data is its last line, and unstuffing that must give back the body
 * with its line endings normalised and a final CRLF, nothing else.
 * Unstuffing raw input must stop at a real terminator or not at all,
 * and building a message around the input as a body must give CRLF-only
 * text.
 */
#include "proto/message.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The reference: line endings made CRLF, a final CRLF added. */
static void
normalise(const char *in, size_t len, struct buf *out)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (in[i] == '\r' && i + 1 < len && in[i + 1] == '\n') {
			buf_append(out, "\r\n", 2);
			i++;
		} else if (in[i] == '\r' || in[i] == '\n') {
			buf_append(out, "\r\n", 2);
		} else {
			buf_append(out, &in[i], 1);
		}
	}
	if (out->len > 0 &&
	    (out->len < 2 || memcmp(out->data + out->len - 2, "\r\n", 2) != 0))
		buf_append(out, "\r\n", 2);
}

static void
check_crlf_only(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\r' && (i + 1 == n || s[i + 1] != '\n'))
			abort();
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			abort();
	}
}

static void
check_build(const char *body, size_t len)
{
	static const char *const to[] = { "rcpt@example.org" };
	struct message_params p;
	struct mv_error err;
	struct buf out;

	memset(&p, 0, sizeof(p));
	p.from = "sender@example.org";
	p.to = to;
	p.nto = 1;
	p.body = body;
	p.body_len = len;
	p.token = "0123456789abcdef01234567";
	buf_init(&out, 0);
	if (message_build(&p, &out, &err) == -1)
		abort();
	check_crlf_only(out.data, out.len);
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	struct buf stuffed, back, want, raw;
	size_t n;

	buf_init(&stuffed, 0);
	buf_init(&back, 0);
	buf_init(&want, 0);
	buf_init(&raw, 0);
	if (smtp_dot_stuff(in, size, &stuffed) == -1)
		abort();
	check_crlf_only(stuffed.data, stuffed.len);
	if (stuffed.len < 3 ||
	    memcmp(stuffed.data + stuffed.len - 3, ".\r\n", 3) != 0)
		abort();
	if (smtp_dot_unstuff(stuffed.data, stuffed.len, &back) != stuffed.len)
		abort();
	normalise(in, size, &want);
	if (back.len != want.len ||
	    memcmp(buf_cstr(&back), buf_cstr(&want), want.len) != 0)
		abort();

	/* Arbitrary bytes given to the unstuffer. */
	n = smtp_dot_unstuff(in, size, &raw);
	if (n > size)
		abort();
	if (n > 0 && (n < 3 || memcmp(in + n - 3, ".\r\n", 3) != 0 ||
			 (n > 3 &&
			     (n < 5 || memcmp(in + n - 5, "\r\n", 2) != 0))))
		abort();
	if (n == 0 && raw.len != 0)
		abort();

	check_build(in, size);
	buf_free(&stuffed);
	buf_free(&back);
	buf_free(&want);
	buf_free(&raw);
	return 0;
}
