/*
 * duration.c - human durations to milliseconds (see duration.h).
 * Digits are accumulated by hand: strtod would accept "inf", "nan",
 * hex floats and leading blanks, none of which is a duration.
 */
#include "core/duration.h"

#include <string.h>

int
duration_parse_ms(const char *text, uint64_t *ms)
{
	double v = 0, scale, frac = 0.1;
	const char *p;
	int digits = 0, dot = 0;

	for (p = text; *p; p++) {
		if (*p >= '0' && *p <= '9') {
			if (dot) {
				v += (*p - '0') * frac;
				frac /= 10;
			} else
				v = v * 10 + (*p - '0');
			digits++;
		} else if (*p == '.' && !dot)
			dot = 1;
		else
			break;
		if (v > 1e12)
			return -1;
	}
	if (digits == 0)
		return -1;
	if (strcmp(p, "ms") == 0)
		scale = 1.0;
	else if (strcmp(p, "s") == 0 || *p == '\0')
		scale = 1000.0;
	else if (strcmp(p, "m") == 0 || strcmp(p, "min") == 0)
		scale = 60000.0;
	else if (strcmp(p, "h") == 0)
		scale = 3600000.0;
	else
		return -1;
	v *= scale;
	if (v < 1 || v > (double)DURATION_MAX_MS)
		return -1;
	*ms = (uint64_t)v;
	return 0;
}
