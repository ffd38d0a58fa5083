/*
 * sink_verify.c - the X-Mailvet-Bench header (format in sink_verify.h):
 * checksum, formatter, parser, header lookup.  Pure functions, no I/O,
 * no allocation; fuzzed by fuzz/fuzz_sink_bench.c.
 */
#include "bench/sink_verify.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

uint32_t
sink_fnv1a(uint32_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x01000193u;
	}
	return h;
}

int
sink_bench_format(const struct sink_bench_id *id, char *out, size_t outsz)
{
	int n;

	n = snprintf(out, outsz, "run=%016llx seq=%llu len=%llu sum=%08x",
	    (unsigned long long)id->run, (unsigned long long)id->seq,
	    (unsigned long long)id->len, (unsigned)id->sum);
	if (n < 0 || (size_t)n >= outsz)
		return -1;
	return n;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t';
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "name=" then exactly ndigits hex digits (ndigits 0: decimal, 1..20
 * digits, no overflow).  Advances *i past the value. */
static int
field(const char *s, size_t n, size_t *i, const char *name, int hexdigits,
    uint64_t *out)
{
	size_t nl = strlen(name), start;
	uint64_t v = 0;
	int d;

	while (*i < n && is_space(s[*i]))
		(*i)++;
	if (n - *i < nl + 1 || memcmp(s + *i, name, nl) != 0 ||
	    s[*i + nl] != '=')
		return -1;
	*i += nl + 1;
	start = *i;
	if (hexdigits > 0) {
		while (*i < n && (d = hex_value(s[*i])) >= 0) {
			if (*i - start == (size_t)hexdigits)
				return -1;
			v = v << 4 | (uint64_t)d;
			(*i)++;
		}
		if (*i - start != (size_t)hexdigits)
			return -1;
	} else {
		while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
			d = s[*i] - '0';
			if (v > (UINT64_MAX - (uint64_t)d) / 10)
				return -1;
			v = v * 10 + (uint64_t)d;
			(*i)++;
		}
		if (*i == start || *i - start > 20)
			return -1;
	}
	/* A field ends at white space or at the end. */
	if (*i < n && !is_space(s[*i]))
		return -1;
	*out = v;
	return 0;
}

int
sink_bench_parse(const char *value, size_t n, struct sink_bench_id *id)
{
	size_t i = 0;
	uint64_t run, seq, len, sum;

	if (field(value, n, &i, "run", 16, &run) == -1 ||
	    field(value, n, &i, "seq", 0, &seq) == -1 ||
	    field(value, n, &i, "len", 0, &len) == -1 ||
	    field(value, n, &i, "sum", 8, &sum) == -1)
		return -1;
	while (i < n && is_space(value[i]))
		i++;
	if (i != n || seq >= (1ull << 63))
		return -1;
	id->run = run;
	id->seq = seq;
	id->len = len;
	id->sum = (uint32_t)sum;
	return 0;
}

int
sink_header_find(const char *block, size_t n, const char *name,
    const char **value, size_t *vlen)
{
	size_t nl = strlen(name), i = 0, end, v;
	const char *lf;

	while (i < n) {
		lf = memchr(block + i, '\n', n - i);
		end = lf != NULL ? (size_t)(lf - block) : n;
		/* The line is block[i..end), without the LF. */
		if (end - i > nl && block[i + nl] == ':' &&
		    strncasecmp(block + i, name, nl) == 0) {
			v = i + nl + 1;
			while (v < end && is_space(block[v]))
				v++;
			if (end > v && block[end - 1] == '\r')
				end--;
			*value = block + v;
			*vlen = end - v;
			return 1;
		}
		if (end == i || (end == i + 1 && block[i] == '\r'))
			break; /* the empty line: the header block ended */
		i = end + 1;
	}
	return 0;
}
