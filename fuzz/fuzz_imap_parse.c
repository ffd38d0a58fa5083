/*
 * fuzz_imap_parse.c - libFuzzer target for proto/imap_parse.
 *
 * Input: byte 0 picks the reader's limits (small ones, so that every
 * limit is reached), byte 1 seeds the read sizes, the rest is what a
 * server sent.  The input is read twice, whole and cut into reads of
 * pseudo-random sizes, and both runs must produce the same responses,
 * the same error and the same pending state: how TCP splits the stream
 * must never change what mailvet sees.  On the way every response is
 * checked against the header's promises, the reader's buffer against
 * its limits, and the small parsers are run on the parsed fields
 * (quoting must round-trip).
 */
#include "proto/imap_parse.h"

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
	size_t max_line, max_literal, max_response;
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

static void
hash_str(struct outcome *o, const char *s)
{
	hash_bytes(o, s, strlen(s) + 1);
}

/* imap_quote either refuses or produces a quoted string that reads
 * back as the input. */
static void
check_quote(const char *s)
{
	struct buf q;
	size_t i, o = 0, n = strlen(s);
	int rc;

	buf_init(&q, 0);
	rc = imap_quote(s, &q);
	if (rc == 1) {
		if (q.len != 0)
			abort();
		for (i = 0; i < n; i++)
			if (s[i] == '\r' || s[i] == '\n' ||
			    ((unsigned char)s[i] & 0x80))
				break;
		if (i == n)
			abort();
		buf_free(&q);
		return;
	}
	if (rc != 0 || q.len < 2 || q.data[0] != '"' ||
	    q.data[q.len - 1] != '"')
		abort();
	for (i = 1; i + 1 < q.len; i++) {
		char c = q.data[i];

		if (c == '"')
			abort();
		if (c == '\\') {
			c = q.data[++i];
			if (i + 1 >= q.len || (c != '"' && c != '\\'))
				abort();
		}
		if (o >= n || s[o++] != c)
			abort();
	}
	if (o != n)
		abort();
	buf_free(&q);
}

static void
check_response(const struct imap_response *r, const struct imap_reader *rd,
    struct outcome *o)
{
	struct imap_caps caps;
	uint64_t uids[4];
	const char *body;
	size_t i, end = 0, len;

	if (r->raw == NULL || r->text == NULL || r->code_arg == NULL ||
	    r->rest == NULL || r->raw[r->raw_len] != '\0')
		abort();
	if (r->raw_len > rd->max_response)
		abort();
	if (r->nliterals > IMAP_MAX_LITERALS)
		abort();
	for (i = 0; i < r->nliterals; i++) {
		const struct imap_literal *l = &r->literals[i];

		/* In order, inside raw, each after its "{n}" line end. */
		if (l->off < end || l->off > r->raw_len ||
		    l->len > r->raw_len - l->off || l->len > rd->max_literal ||
		    l->off == 0 || r->raw[l->off - 1] != '\n')
			abort();
		end = l->off + l->len;
		hash_bytes(o, r->raw + l->off, l->len);
	}
	switch (r->kind) {
	case IMAP_TAGGED:
		if (r->tag[0] == '\0' || strlen(r->tag) >= sizeof(r->tag) ||
		    (r->cond != IMAP_COND_OK && r->cond != IMAP_COND_NO &&
			r->cond != IMAP_COND_BAD) ||
		    r->raw[0] == '*' || r->raw[0] == '+')
			abort();
		break;
	case IMAP_UNTAGGED:
		if (r->raw[0] != '*' || r->keyword[0] == '\0' ||
		    r->tag[0] != '\0')
			abort();
		if (r->number >= 0 && r->cond != IMAP_COND_NONE)
			abort();
		break;
	case IMAP_CONTINUATION:
		if (r->raw[0] != '+' || r->cond != IMAP_COND_NONE ||
		    r->code[0] != '\0')
			abort();
		break;
	default:
		abort();
	}
	for (i = 0; r->code[i] != '\0'; i++)
		if (r->code[i] >= 'a' && r->code[i] <= 'z')
			abort();
	if (r->code[0] == '\0' && r->code_arg[0] != '\0')
		abort();
	hash_bytes(o, &r->kind, sizeof(r->kind));
	hash_bytes(o, &r->cond, sizeof(r->cond));
	hash_bytes(o, &r->number, sizeof(r->number));
	hash_bytes(o, &r->bare_lf, sizeof(r->bare_lf));
	hash_bytes(o, &r->nliterals, sizeof(r->nliterals));
	hash_str(o, r->tag);
	hash_str(o, r->code);
	hash_str(o, r->code_arg);
	hash_str(o, r->text);
	hash_str(o, r->keyword);
	hash_str(o, r->rest);
	hash_bytes(o, r->raw, r->raw_len);

	/* The body, when there is one, is exactly one of the literals
	 * (the one that follows a BODY[]/BINARY[]/RFC822 item). */
	body = imap_fetch_body(r, &len);
	if (body != NULL) {
		size_t k;

		for (k = 0; k < r->nliterals; k++)
			if (body == r->raw + r->literals[k].off &&
			    len == r->literals[k].len)
				break;
		if (k == r->nliterals)
			abort();
	}
	if (imap_search_parse(r->rest, uids, 4) < -1)
		abort();
	imap_caps_parse(r->rest, &caps);
	if (strlen(caps.auth_list) > IMAP_AUTH_LIST_MAX)
		abort();
	imap_caps_parse(r->code_arg, &caps);
	check_quote(r->text);
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
	struct imap_reader rd;
	struct imap_response resp;
	struct mv_error err;
	size_t off = 0, n, used;
	enum imap_read_status st;

	memset(o, 0, sizeof(*o));
	o->hash = 14695981039346656037ULL;
	imap_reader_init(&rd, lim->max_line, lim->max_literal,
	    lim->max_response);
	while (off < len) {
		n = seed ? next_chunk(&seed) : len;
		if (n > len - off)
			n = len - off;
		while (n > 0) {
			st = imap_reader_feed(&rd, in + off, n, &used, &resp,
			    &err);
			if (used > n)
				abort();
			/* Nothing held beyond a response and a line. */
			if (rd.resp.len > rd.max_response + rd.max_line + 2)
				abort();
			if (st == IMAP_READ_ERROR) {
				if (err.cat != MV_ERR_PROTOCOL ||
				    err.msg[0] == '\0' ||
				    imap_reader_pending(&rd))
					abort();
				o->error = 1;
				memcpy(o->msg, err.msg, sizeof(o->msg));
				imap_reader_free(&rd);
				return;
			}
			if (st == IMAP_READ_MORE && used != n)
				abort();
			if (st == IMAP_READ_DONE) {
				if (used == 0 || imap_reader_pending(&rd))
					abort();
				check_response(&resp, &rd, o);
			}
			off += used;
			n -= used;
		}
	}
	o->pending = imap_reader_pending(&rd);
	imap_reader_free(&rd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t literals[] = { 0, 1, 10, 100 };
	static const size_t responses[] = { 0, 16, 64, 256 };
	struct outcome whole, cut;
	struct limits lim;

	if (size < 2)
		return 0;
	lim.max_line = (data[0] & 0x0f) ? 3 + (size_t)(data[0] & 0x0f) * 5 :
	    0;
	lim.max_literal = literals[(data[0] >> 4) & 3];
	lim.max_response = responses[data[0] >> 6];
	run((const char *)data + 2, size - 2, &lim, 0, &whole);
	run((const char *)data + 2, size - 2, &lim, 0x9e3779b9u ^ data[1],
	    &cut);
	if (whole.hash != cut.hash || whole.responses != cut.responses ||
	    whole.error != cut.error || whole.pending != cut.pending ||
	    strcmp(whole.msg, cut.msg) != 0)
		abort();
	return 0;
}
