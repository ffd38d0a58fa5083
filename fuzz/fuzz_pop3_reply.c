/*
 * fuzz_pop3_reply.c - libFuzzer target for proto/pop3_reply.
 *
 * Input: byte 0 picks the reader's limits (small ones, so that every
 * limit is reached), byte 1 seeds the read sizes, byte 2 says which
 * responses are expected to be multi-line (bit i for response i, the
 * eight bits repeating), the rest is what a server sent.  The input is
 * read twice, whole and cut into reads of pseudo-random sizes, and both
 * runs must produce the same responses, the same error and the same
 * pending state: how TCP splits the stream must never change what
 * mailvet sees.  Every response is checked against the header's
 * promises on the way.
 */
#include "proto/pop3_reply.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct outcome {
	uint64_t hash;          /* FNV-1a over every response */
	size_t responses;
	int error;
	char msg[MV_ERROR_MSG_MAX];
	int pending;
};

struct limits {
	size_t max_line, max_body;
	unsigned multi;         /* expectation bits */
};

static void
hash_bytes(struct outcome *o, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n; i++) {
		o->hash ^= s[i];
		o->hash *= 1099511628211ULL;
	}
}

static int
expect_multi(const struct limits *lim, size_t i)
{
	return (lim->multi >> (i % 8)) & 1;
}

static void
check_response(const struct pop3_response *r, const struct pop3_reader *p,
    int expected, struct outcome *o)
{
	size_t i, n = strlen(r->raw), lf = 0, codelen;

	if (n > p->max_line)
		abort();
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)r->raw[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			abort();
	}
	if (r->text < r->raw || r->text > r->raw + n)
		abort();
	switch (r->status) {
	case POP3_STATUS_OK:
		if (n < 3 || memcmp(r->raw, "+OK", 3) != 0 ||
		    (n > 3 && r->raw[3] != ' '))
			abort();
		break;
	case POP3_STATUS_ERR:
		if (n < 4 || memcmp(r->raw, "-ERR", 4) != 0 ||
		    (n > 4 && r->raw[4] != ' '))
			abort();
		break;
	case POP3_STATUS_CONT:
		if (r->raw[0] != '+' || (n > 1 && r->raw[1] != ' ') ||
		    r->code[0] != '\0')
			abort();
		break;
	default:
		abort();
	}
	/* A code was taken from the line, brackets and all. */
	codelen = strnlen(r->code, sizeof(r->code));
	if (codelen == sizeof(r->code))
		abort();
	if (codelen > 0) {
		const char *b = strchr(r->raw, '[');

		if (b == NULL || strncmp(b + 1, r->code, codelen) != 0 ||
		    b[1 + codelen] != ']' || b + 2 + codelen > r->text)
			abort();
	}
	if (r->multiline != (expected && r->status == POP3_STATUS_OK))
		abort();
	if (r->multiline) {
		if (r->body == NULL || r->body->len > p->max_body)
			abort();
		/* CRLF after every line, and no other LF. */
		for (i = 0; i < r->body->len; i++) {
			if (r->body->data[i] != '\n')
				continue;
			if (i == 0 || r->body->data[i - 1] != '\r')
				abort();
			lf++;
		}
		if (lf != r->body_lines)
			abort();
		if (r->bare_lf > r->body_lines + 2)
			abort();
		hash_bytes(o, r->body->data, r->body->len);
	} else {
		if (r->body != NULL || r->body_lines != 0 || r->bare_lf > 1)
			abort();
	}
	hash_bytes(o, r->raw, n + 1);
	hash_bytes(o, r->code, codelen + 1);
	hash_bytes(o, &r->status, sizeof(r->status));
	i = (size_t)(r->text - r->raw);
	hash_bytes(o, &i, sizeof(i));
	hash_bytes(o, &r->body_lines, sizeof(r->body_lines));
	hash_bytes(o, &r->bare_lf, sizeof(r->bare_lf));
	o->responses++;
}

/* xorshift: cheap and deterministic read sizes. */
static size_t
next_chunk(uint32_t *state)
{
	uint32_t x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	/* Mostly tiny reads, sometimes large ones. */
	return (x & 0x100) ? (x % 700) + 1 : (x % 7) + 1;
}

static void
run(const char *in, size_t len, const struct limits *lim, uint32_t seed,
    struct outcome *o)
{
	struct pop3_reader p;
	struct pop3_response resp;
	struct mv_error err;
	size_t off = 0, n, used;
	enum pop3_read_status st;

	memset(o, 0, sizeof(*o));
	o->hash = 14695981039346656037ULL;
	pop3_reader_init(&p, lim->max_line, lim->max_body);
	pop3_reader_expect(&p, expect_multi(lim, 0));
	while (off < len) {
		n = seed ? next_chunk(&seed) : len;
		if (n > len - off)
			n = len - off;
		while (n > 0) {
			st = pop3_reader_feed(&p, in + off, n, &used, &resp,
			    &err);
			if (used > n)
				abort();
			if (st == POP3_READ_ERROR) {
				if (err.cat != MV_ERR_PROTOCOL ||
				    err.msg[0] == '\0' ||
				    pop3_reader_pending(&p))
					abort();
				o->error = 1;
				memcpy(o->msg, err.msg, sizeof(o->msg));
				pop3_reader_free(&p);
				return;
			}
			if (st == POP3_READ_MORE && used != n)
				abort();
			if (st == POP3_READ_DONE) {
				if (used == 0)
					abort();
				check_response(&resp, &p,
				    expect_multi(lim, o->responses), o);
				pop3_reader_expect(&p,
				    expect_multi(lim, o->responses));
			}
			off += used;
			n -= used;
		}
	}
	o->pending = pop3_reader_pending(&p);
	pop3_reader_free(&p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t bodies[] = { 0, 8, 64, 512 };
	struct outcome whole, cut;
	struct limits lim;

	if (size < 3)
		return 0;
	lim.max_line = (data[0] & 0x0f) ? 1 + (size_t)(data[0] & 0x0f) * 4 :
	    0;
	lim.max_body = bodies[(data[0] >> 4) & 3];
	lim.multi = data[2];
	run((const char *)data + 3, size - 3, &lim, 0, &whole);
	run((const char *)data + 3, size - 3, &lim, 0x9e3779b9u ^ data[1],
	    &cut);
	if (whole.hash != cut.hash || whole.responses != cut.responses ||
	    whole.error != cut.error || whole.pending != cut.pending ||
	    strcmp(whole.msg, cut.msg) != 0)
		abort();
	return 0;
}
