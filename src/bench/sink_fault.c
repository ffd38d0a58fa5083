/*
 * sink_fault.c - fault specifications and dice for the sink (see
 * sink_fault.h).
 */
#include "bench/sink_fault.h"

#include <string.h>

int
sink_percent_parse(const char *s, uint32_t *ppm)
{
	uint64_t whole = 0, frac = 0, scale = 1000000;
	const char *p = s;
	int digits = 0;

	while (*p >= '0' && *p <= '9') {
		whole = whole * 10 + (uint64_t)(*p - '0');
		if (whole > 100)
			return -1;
		p++;
		digits++;
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			if (scale >= 10) {
				scale /= 10;
				frac += (uint64_t)(*p - '0') * scale;
			}
			p++;
			digits++;
		}
	}
	if (*p == '%')
		p++;
	if (*p != '\0' || digits == 0)
		return -1;
	/* frac is in millionths of a percent: ppm = percent * 10000. */
	frac = whole * 1000000 + frac;
	if (frac > 100000000)
		return -1;
	*ppm = (uint32_t)(frac / 100);
	return 0;
}

static int
number(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 12)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

int
sink_fault_parse(const char *spec, enum sink_fault_kind kind,
    struct sink_fault *f, struct mv_error *err)
{
	const char *c1, *c2 = NULL, *pct;
	char name[16];
	uint64_t v = 0;
	int cmd;
	size_t nl;

	memset(f, 0, sizeof(*f));
	f->kind = kind;
	c1 = strchr(spec, ':');
	if (c1 == NULL)
		goto bad;
	nl = (size_t)(c1 - spec);
	if (nl == 0 || nl >= sizeof(name))
		goto bad;
	memcpy(name, spec, nl);
	name[nl] = '\0';
	cmd = sink_cmd_from_name(name);
	if (cmd < 0 || cmd == SINK_CMD_UNKNOWN)
		return mv_error_set(err, MV_ERR_USAGE, "'%s': unknown command "
		    "'%s' (connect, helo, ehlo, lhlo, mail, rcpt, data, eod, "
		    "bdat, rset, noop, quit, vrfy, starttls, auth)", spec,
		    name);
	f->cmd = (enum sink_cmd)cmd;
	pct = c1 + 1;
	if (kind != SINK_FAULT_DISCONNECT) {
		c2 = strchr(c1 + 1, ':');
		if (c2 == NULL)
			goto bad;
		if (number(c1 + 1, (size_t)(c2 - c1 - 1),
		    kind == SINK_FAULT_REPLY ? 599 : 3600000, &v) == -1)
			goto bad;
		if (kind == SINK_FAULT_REPLY) {
			if (v < 400)
				return mv_error_set(err, MV_ERR_USAGE,
				    "'%s': the code must be 4xx or 5xx",
				    spec);
			f->code = (unsigned)v;
		} else {
			f->delay_ms = v;
		}
		pct = c2 + 1;
	}
	if (sink_percent_parse(pct, &f->ppm) == -1)
		return mv_error_set(err, MV_ERR_USAGE, "'%s': the odds must "
		    "be a percentage from 0 to 100", spec);
	return 0;
bad:
	return mv_error_set(err, MV_ERR_USAGE, "'%s': expected %s", spec,
	    kind == SINK_FAULT_REPLY ? "CMD:CODE:PERCENT (rcpt:451:5)" :
	    kind == SINK_FAULT_DELAY ? "CMD:MS:PERCENT (data:200:10)" :
	    "CMD:PERCENT (eod:1)");
}

void
sink_rng_seed(struct sink_rng *r, uint64_t seed)
{
	/* splitmix64 once, so that seeds 1, 2, 3 do not start alike. */
	seed += 0x9e3779b97f4a7c15ull;
	seed = (seed ^ (seed >> 30)) * 0xbf58476d1ce4e5b9ull;
	seed = (seed ^ (seed >> 27)) * 0x94d049bb133111ebull;
	seed ^= seed >> 31;
	r->s = seed != 0 ? seed : 0x2545f4914f6cdd1dull;
}

uint64_t
sink_rng_next(struct sink_rng *r)
{
	uint64_t x = r->s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->s = x;
	return x * 0x2545f4914f6cdd1dull;
}

int
sink_rng_hit(struct sink_rng *r, uint32_t ppm)
{
	if (ppm == 0)
		return 0;
	if (ppm >= 1000000)
		return 1;
	return (sink_rng_next(r) >> 32) % 1000000 < ppm;
}
