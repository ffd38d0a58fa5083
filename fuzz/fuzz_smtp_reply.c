/*
 * fuzz_smtp_reply.c - libFuzzer target for proto/smtp_reply.
 *
 * Input: byte 0 picks the parser limits (small ones, so that every
 * limit is reached), byte 1 seeds the read sizes, the rest is what a
 * server sent.  The input is parsed twice, whole and cut into reads of
 * pseudo-random sizes, and both runs must produce the same replies, the
 * same error and the same pending state: how TCP splits the stream must
 * never change what mailvet sees.  Every reply is checked against the
 * header's promises on the way.
 */
#include "proto/smtp_reply.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct outcome {
	uint64_t hash;          /* FNV-1a over every reply */
	size_t replies;
	int error;
	char msg[MV_ERROR_MSG_MAX];
	int pending;
};

struct limits {
	size_t max_line, max_lines, max_bytes;
};

/* One static reply: it is 16 KB, too big to want on the stack twice. */
static struct smtp_reply reply;

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

static void
check_reply(const struct smtp_reply *r, const struct smtp_reply_parser *p,
    struct outcome *o)
{
	char enh[16];
	size_t i, n;

	if (r->code < 200 || r->code > 599)
		abort();
	if (r->nlines < 1 || r->nlines > p->max_lines)
		abort();
	if (r->bare_lf > r->nlines)
		abort();
	for (i = 0; i < r->nlines; i++) {
		n = strlen(r->raw[i]);
		if (n < 3 || n > p->max_line)
			abort();
		if (r->lines[i] != r->raw[i] + (n > 3 ? 4 : 3))
			abort();
		if ((r->raw[i][0] - '0') * 100 + (r->raw[i][1] - '0') * 10 +
			(r->raw[i][2] - '0') !=
		    r->code)
			abort();
		/* Only the last line may end the reply. */
		if ((i + 1 < r->nlines) != (n > 3 && r->raw[i][3] == '-'))
			abort();
		hash_bytes(o, r->raw[i], n + 1);
	}
	smtp_enhanced_code_parse(r->lines[0], enh, sizeof(enh));
	if (strcmp(enh, r->enh) != 0)
		abort();
	hash_bytes(o, &r->bare_lf, sizeof(r->bare_lf));
	o->replies++;
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
	struct smtp_reply_parser p;
	struct mv_error err;
	size_t off = 0, n, used;
	enum smtp_reply_status st;

	memset(o, 0, sizeof(*o));
	o->hash = 14695981039346656037ULL;
	smtp_reply_parser_init(&p, lim->max_line, lim->max_lines,
	    lim->max_bytes);
	while (off < len) {
		n = seed ? next_chunk(&seed) : len;
		if (n > len - off)
			n = len - off;
		while (n > 0) {
			st = smtp_reply_parser_feed(&p, in + off, n, &used,
			    &reply, &err);
			if (used > n)
				abort();
			if (st == SMTP_REPLY_ERROR) {
				if (err.cat != MV_ERR_PROTOCOL ||
				    err.msg[0] == '\0')
					abort();
				o->error = 1;
				memcpy(o->msg, err.msg, sizeof(o->msg));
				smtp_reply_parser_free(&p);
				return;
			}
			if (st == SMTP_REPLY_MORE && used != n)
				abort();
			if (st == SMTP_REPLY_DONE) {
				if (used == 0)
					abort();
				check_reply(&reply, &p, o);
			}
			off += used;
			n -= used;
		}
	}
	o->pending = smtp_reply_parser_pending(&p);
	smtp_reply_parser_free(&p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t lines[] = { 0, 1, 3, 8 };
	static const size_t bytes[] = { 0, 16, 64, 256 };
	struct outcome whole, cut;
	struct limits lim;

	if (size < 2)
		return 0;
	lim.max_line = (data[0] & 0x0f) ? 3 + (size_t)(data[0] & 0x0f) * 5 : 0;
	lim.max_lines = lines[(data[0] >> 4) & 3];
	lim.max_bytes = bytes[data[0] >> 6];
	run((const char *)data + 2, size - 2, &lim, 0, &whole);
	run((const char *)data + 2, size - 2, &lim, 0x9e3779b9u ^ data[1],
	    &cut);
	if (whole.hash != cut.hash || whole.replies != cut.replies ||
	    whole.error != cut.error || whole.pending != cut.pending ||
	    strcmp(whole.msg, cut.msg) != 0)
		abort();
	return 0;
}
