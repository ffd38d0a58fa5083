/*
 * log_str.h - borrowed slices of a log line, and the small pure helpers
 * the log parsers share.  A slice points into the caller's line and is
 * valid only as long as that line; nothing here allocates.
 */
#ifndef MAILVET_LOGSCAN_LOG_STR_H
#define MAILVET_LOGSCAN_LOG_STR_H

#include <stddef.h>
#include <string.h>

struct log_str {
	const char *p;   /* borrowed; NULL when absent */
	size_t n;
};

static inline struct log_str
log_str_make(const char *p, size_t n)
{
	struct log_str s = { p, n };

	return s;
}

/* s starts with the literal lit (a string constant). */
static inline int
log_str_starts(const char *p, size_t n, const char *lit, size_t litn)
{
	return n >= litn && memcmp(p, lit, litn) == 0;
}

#define LOG_STARTS(p, n, lit) log_str_starts((p), (n), (lit), \
	    sizeof(lit) - 1)

/* First occurrence of lit in [p, p + n), or NULL (log_str.c). */
const char *log_str_find(const char *p, size_t n, const char *lit,
    size_t litn);

#define LOG_FIND(p, n, lit) log_str_find((p), (n), (lit), sizeof(lit) - 1)

/* 1 when equal to the literal. */
static inline int
log_str_is(struct log_str s, const char *lit, size_t litn)
{
	return s.p != NULL && s.n == litn && memcmp(s.p, lit, litn) == 0;
}

#define LOG_IS(s, lit) log_str_is((s), (lit), sizeof(lit) - 1)

#endif
