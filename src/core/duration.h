/*
 * duration.h - parse the durations users type for timeouts and test
 * lengths: "500ms", "10s", "1.5s", "2m", "1h", or a plain number of
 * seconds.  No I/O.
 */
#ifndef MAILVET_CORE_DURATION_H
#define MAILVET_CORE_DURATION_H

#include <stdint.h>

#define DURATION_MAX_MS (24u * 3600u * 1000u)

/* 0 and *ms set, or -1 for garbage, zero, or more than a day (a typing
 * error rather than a wish). */
int duration_parse_ms(const char *text, uint64_t *ms);

#endif
