/*
 * sink_verify.h - bench's per-message id, the X-Mailvet-Bench header:
 * its format, a formatter for the sender (mailvet bench) and a parser
 * and checksum for the receiver (mailvet sink).  No I/O.
 *
 * The header, on one unfolded line of the message's header block:
 *
 *   X-Mailvet-Bench: run=<16 hex> seq=<decimal> len=<decimal> sum=<8 hex>
 *
 *   run  64-bit id of the bench run, 16 hex digits (any case), chosen
 *        at random by the sender once per run
 *   seq  the message's number within the run, 0 <= seq < 2^63,
 *        decimal without sign; each message of a run has its own seq
 *        (a retry of a refused message may reuse it: only accepted
 *        messages are counted)
 *   len  the number of bytes of the body, decimal
 *   sum  FNV-1a 32-bit (offset basis 0x811c9dc5, prime 0x01000193) of
 *        the body, 8 hex digits (any case)
 *
 * The body is the message content after the first empty line (the
 * CRLF CRLF that ends the header block) up to the end of the message:
 * for DATA the content after dot-unstuffing, up to and including the
 * CRLF before the terminating "."; for BDAT the chunk bytes as sent.
 * A message whose header block has no empty line has an empty body.
 * Field names are lower case, in this order, separated by one or more
 * spaces or tabs; trailing white space is allowed, nothing else.
 *
 * Errors: the parser returns -1 for anything that does not follow the
 * format exactly (the sink counts such messages as "malformed").
 */
#ifndef MAILVET_BENCH_SINK_VERIFY_H
#define MAILVET_BENCH_SINK_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#define SINK_BENCH_HEADER     "X-Mailvet-Bench"
#define SINK_TOKEN_HEADER     "X-Mailvet-Token"
/* Longest value sink_bench_format() writes, without the NUL. */
#define SINK_BENCH_VALUE_MAX  (4 + 16 + 5 + 19 + 5 + 20 + 5 + 8)
#define SINK_FNV_BASIS        0x811c9dc5u

struct sink_bench_id {
	uint64_t run;
	uint64_t seq;
	uint64_t len;
	uint32_t sum;
};

/* FNV-1a 32: start with SINK_FNV_BASIS, feed the body in any number of
 * pieces, the last return value is the sum. */
uint32_t sink_fnv1a(uint32_t h, const void *p, size_t n);

/* The header's value (no name, no CRLF) into out: "run=... seq=... len=
 * ... sum=...".  Returns the length, or -1 when outsz is too small
 * (SINK_BENCH_VALUE_MAX + 1 is always enough). */
int sink_bench_format(const struct sink_bench_id *id, char *out,
    size_t outsz);

/* Parse a header value (the bytes after "X-Mailvet-Bench:", leading
 * white space allowed, no CRLF) of n bytes.  0 and *id filled, or -1. */
int sink_bench_parse(const char *value, size_t n, struct sink_bench_id *id);

/*
 * Find header name (case-insensitive, e.g. SINK_BENCH_HEADER) in a
 * header block of n bytes (lines ending in CRLF or LF, the block may
 * or may not include the empty line).  Sets *value and *vlen to the
 * first occurrence's value with leading white space and the line end
 * removed (continuation lines are not joined) and returns 1, or 0
 * when there is none.
 */
int sink_header_find(const char *block, size_t n, const char *name,
    const char **value, size_t *vlen);

#endif
