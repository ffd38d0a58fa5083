/*
 * bench_msg.c - messages for the load generator (see bench_msg.h).
 */
#include "bench/bench_msg.h"

#include "bench/sink_verify.h"
#include "core/buf.h"
#include "proto/message.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_MSG_MAX   (64u * 1024 * 1024)
#define BENCH_LINE_CHARS 76

void
bench_msgset_init(struct bench_msgset *set, uint64_t run_id)
{
	memset(set, 0, sizeof(*set));
	set->run_id = run_id;
}

void
bench_msgset_free(struct bench_msgset *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++) {
		free(set->msg[i].data);
		free(set->msg[i].raw);
	}
	free(set->msg);
	set->msg = NULL;
	set->n = 0;
}

void
bench_msg_patch(uint64_t seq, char out[BENCH_SEQ_DIGITS])
{
	int i;

	for (i = BENCH_SEQ_DIGITS - 1; i >= 0; i--) {
		out[i] = (char)('0' + seq % 10);
		seq /= 10;
	}
}

/* The body of a message in CRLF form: after the first CRLF CRLF. */
static void
bench_body(const char *raw, size_t len, const char **body, size_t *blen)
{
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		if (raw[i] != '\n')
			continue;
		if (raw[i + 1] == '\n') {
			*body = raw + i + 2;
			*blen = len - i - 2;
			return;
		}
		if (i + 2 < len && raw[i + 1] == '\r' && raw[i + 2] == '\n') {
			*body = raw + i + 3;
			*blen = len - i - 3;
			return;
		}
	}
	*body = raw + len;
	*blen = 0;
}

static int
bench_header_ok(const char *v)
{
	return v == NULL || strpbrk(v, "\r\n") == NULL;
}

/* The X-Mailvet-Bench line with sequence 0 and where its digits are. */
static int
bench_id_line(const struct bench_msgset *set, uint64_t body_len,
    uint32_t sum, struct buf *out, size_t *patch_off)
{
	char seq[BENCH_SEQ_DIGITS];
	size_t at;

	bench_msg_patch(0, seq);
	if (buf_printf(out, "%s: run=%016llx seq=", SINK_BENCH_HEADER,
	    (unsigned long long)set->run_id) == -1)
		return -1;
	at = out->len;
	if (buf_append(out, seq, sizeof(seq)) == -1 ||
	    buf_printf(out, " len=%llu sum=%08x\r\n",
	    (unsigned long long)body_len, (unsigned)sum) == -1)
		return -1;
	*patch_off = at;
	return 0;
}

/* Keep the built message in both forms (raw is taken). */
static int
bench_msgset_push(struct bench_msgset *set, struct buf *raw, size_t patch_off,
    uint64_t body_len, uint32_t sum, struct mv_error *err)
{
	struct bench_msg *m, *grown;
	struct buf data;

	if (set->n == BENCH_MSGS_MAX)
		return mv_error_set(err, MV_ERR_USAGE, "at most %d different "
		    "messages", BENCH_MSGS_MAX);
	buf_init(&data, BENCH_MSG_MAX + BENCH_MSG_MAX / 2);
	if (smtp_dot_stuff(raw->data, raw->len, &data) == -1) {
		buf_free(&data);
		return mv_error_set(err, MV_ERR_USAGE, "a message is too "
		    "large once dot-stuffed");
	}
	if ((grown = realloc(set->msg, (set->n + 1) * sizeof(*grown))) ==
	    NULL) {
		buf_free(&data);
		return mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
	}
	set->msg = grown;
	m = &set->msg[set->n++];
	m->raw = raw->data;
	m->raw_len = raw->len;
	m->data = data.data;
	m->data_len = data.len;
	m->patch_off = patch_off;
	m->body_len = body_len;
	m->body_sum = sum;
	raw->data = NULL;
	raw->len = raw->cap = 0;
	return 0;
}

int
bench_msgset_generate(struct bench_msgset *set,
    const struct bench_msg_params *p, uint64_t body_len,
    struct mv_error *err)
{
	static const char alphabet[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	char date[64];
	struct buf body, raw;
	uint64_t left, line;
	size_t patch_off, i, k = 0;
	uint32_t sum;

	if (!bench_header_ok(p->from) || !bench_header_ok(p->to) ||
	    !bench_header_ok(p->subject))
		return mv_error_set(err, MV_ERR_USAGE, "header values may not "
		    "contain line breaks");
	if (body_len < 2)
		body_len = 2;
	if (body_len > BENCH_MSG_MAX)
		return mv_error_set(err, MV_ERR_USAGE, "a body of %llu bytes "
		    "is larger than the %u bytes allowed",
		    (unsigned long long)body_len, BENCH_MSG_MAX);
	buf_init(&body, 0);
	buf_init(&raw, 0);
	/* Lines of 76 characters and CRLF; the last one takes what is
	 * left, and never leaves a single byte over. */
	for (left = body_len; left > 0; left -= line + 2) {
		if (left <= BENCH_LINE_CHARS + 2)
			line = left - 2;
		else if (left - (BENCH_LINE_CHARS + 2) < 2)
			line = BENCH_LINE_CHARS - 1;
		else
			line = BENCH_LINE_CHARS;
		for (i = 0; i < line; i++, k++)
			if (buf_append(&body, &alphabet[k % (sizeof(alphabet) -
			    1)], 1) == -1)
				goto nomem;
		if (buf_append(&body, "\r\n", 2) == -1)
			goto nomem;
	}
	sum = sink_fnv1a(SINK_FNV_BASIS, body.data, body.len);
	message_format_date((time_t)(p->date ? p->date : time(NULL)), date,
	    sizeof(date));
	if (bench_id_line(set, body.len, sum, &raw, &patch_off) == -1 ||
	    buf_printf(&raw, "From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\n"
	    "Date: %s\r\nMessage-ID: <bench.%016llx.%zu@%s>\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: text/plain; "
	    "charset=us-ascii\r\n\r\n", p->from ? p->from : "",
	    p->to ? p->to : "", p->subject ? p->subject : "mailvet bench",
	    date, (unsigned long long)set->run_id, set->n,
	    p->msgid_domain ? p->msgid_domain : "mailvet.invalid") == -1 ||
	    buf_append(&raw, body.data, body.len) == -1)
		goto nomem;
	buf_free(&body);
	if (bench_msgset_push(set, &raw, patch_off, body_len, sum, err) ==
	    -1) {
		buf_free(&raw);
		return -1;
	}
	return 0;
nomem:
	buf_free(&body);
	buf_free(&raw);
	return mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
}

int
bench_msgset_add(struct bench_msgset *set, const struct bench_msg_params *p,
    const char *msg, size_t len, struct mv_error *err)
{
	struct buf stuffed, norm, raw;
	const char *body;
	size_t blen, patch_off;
	uint32_t sum;

	(void)p;
	buf_init(&stuffed, BENCH_MSG_MAX + BENCH_MSG_MAX / 2);
	buf_init(&norm, BENCH_MSG_MAX + BENCH_MSG_MAX / 2);
	buf_init(&raw, 0);
	if (len > BENCH_MSG_MAX) {
		mv_error_set(err, MV_ERR_USAGE, "a message of %zu bytes is "
		    "larger than the %u bytes allowed", len, BENCH_MSG_MAX);
		goto fail;
	}
	/* Stuffing normalises the line endings; unstuffing that gives
	 * the CRLF form BDAT sends and the sink checks. */
	if (smtp_dot_stuff(msg, len, &stuffed) == -1 ||
	    smtp_dot_unstuff(stuffed.data, stuffed.len, &norm) == 0) {
		mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
		goto fail;
	}
	/* The body as the sink will find it behind our header line. */
	if (norm.len >= 2 && norm.data[0] == '\r' && norm.data[1] == '\n') {
		body = norm.data + 2;
		blen = norm.len - 2;
	} else {
		bench_body(norm.data ? norm.data : "", norm.len, &body, &blen);
	}
	sum = sink_fnv1a(SINK_FNV_BASIS, body, blen);
	if (bench_id_line(set, blen, sum, &raw, &patch_off) == -1 ||
	    buf_append(&raw, norm.data, norm.len) == -1) {
		mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
		goto fail;
	}
	if (bench_msgset_push(set, &raw, patch_off, blen, sum, err) == -1)
		goto fail;
	buf_free(&stuffed);
	buf_free(&norm);
	return 0;
fail:
	buf_free(&stuffed);
	buf_free(&norm);
	buf_free(&raw);
	return -1;
}
