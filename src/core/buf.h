/*
 * buf.h - growable byte buffer with a hard maximum.
 *
 * Every buffer that holds peer-controlled data has a maximum so that a
 * hostile server cannot make mailvet allocate without bound.  Appends
 * past the maximum fail with -1 and leave the buffer unchanged.  The
 * data is always NUL-terminated (the NUL is not counted in len) so text
 * can be handed to string functions.
 */
#ifndef MAILVET_CORE_BUF_H
#define MAILVET_CORE_BUF_H

#include <stddef.h>

struct buf {
	char *data;  /* owned; NULL until the first append */
	size_t len;  /* bytes in use */
	size_t cap;  /* bytes allocated */
	size_t max;  /* len may never exceed this; 0 means SIZE_MAX/2 */
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
/* Drop contents, keep the allocation. */
void buf_reset(struct buf *b);
int buf_append(struct buf *b, const void *p, size_t n);
int buf_append_str(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append '\n'-separated text with each line break replaced by joiner
 * (", " for one-line summaries). */
int buf_append_lines(struct buf *b, const char *text, const char *joiner);
/* Remove the first n bytes (n > len is clamped). */
void buf_consume(struct buf *b, size_t n);
/* Return the data as a NUL-terminated string ("" when empty); the
 * pointer stays valid until the next mutation. */
const char *buf_cstr(const struct buf *b);

#endif
