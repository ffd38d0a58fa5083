/*
 * clock.h - monotonic time in microseconds, for phase timings and
 * transcripts.  Never goes backwards; not wall-clock time.
 */
#ifndef MAILVET_CORE_CLOCK_H
#define MAILVET_CORE_CLOCK_H

#include <stdint.h>

uint64_t clock_now_us(void);

#endif
