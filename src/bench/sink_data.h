/*
 * sink_data.h - the sink's message reader: takes the bytes after DATA
 * (RFC 5321 4.1.1.4, 4.5.2) or of BDAT chunks (RFC 3030) in any
 * chunking, finds the end of data with memchr rather than byte by
 * byte, removes dot-stuffing, keeps the header block (bounded) and
 * sums the body for the X-Mailvet-Bench check (sink_verify.h).  No I/O,
 * no allocation: buffers are the caller's.
 *
 * Only CRLF "." CRLF ends the data: a bare LF is content, so that a
 * "\n.\n" cannot smuggle a second message past a strict receiver.
 */
#ifndef MAILVET_BENCH_SINK_DATA_H
#define MAILVET_BENCH_SINK_DATA_H

#include "core/buf.h"

#include <stddef.h>
#include <stdint.h>

struct sink_data {
	/* Set by the caller before sink_data_begin(), borrowed. */
	char *hdr;            /* header block store, hdr_max bytes */
	size_t hdr_max;
	struct buf *capture;  /* NULL, or the whole content is appended */

	/* Results, valid after the end. */
	size_t hdr_len;       /* bytes kept in hdr (whole lines) */
	int hdr_done;         /* the empty line was seen */
	int hdr_truncated;    /* header block longer than hdr_max */
	int capture_full;     /* capture refused an append */
	uint64_t content_len; /* message bytes after unstuffing */
	uint64_t body_len;    /* bytes after the header block */
	uint32_t body_sum;    /* FNV-1a of those, when sum_body */
	int sum_body;         /* set by the caller: hash the body */

	/* Private. */
	int st;
	int prev_cr;
	size_t line_len;
	char line_first;
};

/* Start a new message.  sum_body starts at 0: the caller sets it when
 * the header block (sink_data_header_done()) asks for it. */
void sink_data_begin(struct sink_data *d);

/*
 * DATA: feed n bytes.  Returns how many were used: all of them, or the
 * bytes up to and including the terminating CRLF "." CRLF when it is
 * in this piece, and then sets *done.  on_header is called once (from
 * inside) when the header block ended, so the caller can look at
 * d->hdr and set d->sum_body before the body goes by; may be NULL.
 */
size_t sink_data_feed(struct sink_data *d, const char *p, size_t n,
    int *done, void (*on_header)(void *arg, struct sink_data *d),
    void *arg);

/* BDAT: n bytes of content as they are (no dot-stuffing, no end). */
void sink_data_raw(struct sink_data *d, const char *p, size_t n,
    void (*on_header)(void *arg, struct sink_data *d), void *arg);

#endif
