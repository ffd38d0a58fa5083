/*
 * bench_msg.h - the load generator's messages, built once before the
 * run: generated ones of given body sizes, or given ones (.eml files
 * read by the caller).  Each is kept in both wire forms, dot-stuffed
 * for DATA (RFC 5321 4.5.2) and plain for BDAT (RFC 3030), and carries
 * an X-Mailvet-Bench header (format in bench/sink_verify.h) as its
 * first line, whose sequence number is a fixed-width field: a message
 * is made unique on the wire by writing BENCH_SEQ_DIGITS bytes in its
 * place (bench_msg_patch), never by building or copying the message.
 *
 * No I/O.  Errors: -1 with MV_ERR_USAGE (bad header text) or
 * MV_ERR_INTERNAL (memory).
 */
#ifndef MAILVET_BENCH_BENCH_MSG_H
#define MAILVET_BENCH_BENCH_MSG_H

#include "core/error.h"

#include <stddef.h>
#include <stdint.h>

/* 2^63 - 1 has 19 digits; leading zeros are allowed by the format. */
#define BENCH_SEQ_DIGITS 19
#define BENCH_MSGS_MAX   100000

struct bench_msg {
	char *data;           /* dot-stuffed, ends in ".\r\n"; owned */
	size_t data_len;
	char *raw;            /* CRLF lines, not stuffed; owned */
	size_t raw_len;
	size_t patch_off;     /* the sequence digits, in both forms */
	uint64_t body_len;    /* len= of the header */
	uint32_t body_sum;    /* sum= of the header */
};

struct bench_msgset {
	struct bench_msg *msg; /* owned, n entries */
	size_t n;
	uint64_t run_id;
};

struct bench_msg_params {
	uint64_t run_id;
	const char *from;     /* header From (envelope sender) */
	const char *to;       /* header To */
	const char *subject;  /* NULL: "mailvet bench" */
	const char *msgid_domain; /* NULL: "mailvet.invalid" */
	int64_t date;         /* seconds since the epoch, for Date: */
};

void bench_msgset_init(struct bench_msgset *set, uint64_t run_id);
void bench_msgset_free(struct bench_msgset *set);
/* A generated message whose body has exactly body_len bytes (at least
 * 2: the body ends in CRLF) of printable lines. */
int bench_msgset_generate(struct bench_msgset *set,
    const struct bench_msg_params *p, uint64_t body_len,
    struct mv_error *err);
/* A given message (any line endings; its own headers are kept, the
 * X-Mailvet-Bench line is put before them). */
int bench_msgset_add(struct bench_msgset *set,
    const struct bench_msg_params *p, const char *msg, size_t len,
    struct mv_error *err);
/* The sequence field for seq (zero-padded, no NUL). */
void bench_msg_patch(uint64_t seq, char out[BENCH_SEQ_DIGITS]);

#endif
