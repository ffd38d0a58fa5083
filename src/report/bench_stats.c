/*
 * bench_stats.c - the bench result model: initialisation, intervals
 * and the exit-code contract (see bench_stats.h).
 */
#include "report/bench_stats.h"

#include "report/report.h"

#include <stdlib.h>
#include <string.h>

void
bench_stats_init(struct bench_stats *s)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < BENCH_HISTS; i++)
		histogram_reset(&s->hist[i]);
}

void
bench_stats_free(struct bench_stats *s)
{
	if (s == NULL)
		return;
	free(s->intervals);
	s->intervals = NULL;
	s->nintervals = 0;
}

int
bench_stats_add_interval(struct bench_stats *s,
    const struct bench_interval *iv)
{
	struct bench_interval *grown;
	size_t cap;

	if (s->nintervals >= BENCH_INTERVALS_MAX)
		return 0;
	/* Grow by doubling: 16, 32, ... */
	if ((s->nintervals & (s->nintervals - 1)) == 0 &&
	    s->nintervals >= 16) {
		cap = s->nintervals * 2;
		if ((grown = realloc(s->intervals, cap * sizeof(*grown))) ==
		    NULL)
			return -1;
		s->intervals = grown;
	} else if (s->intervals == NULL) {
		if ((s->intervals = calloc(16, sizeof(*s->intervals))) == NULL)
			return -1;
	}
	s->intervals[s->nintervals++] = *iv;
	return 0;
}

int
bench_stats_exit_code(const struct bench_stats *s)
{
	switch (s->err.cat) {
	case MV_ERR_NONE:
		break;
	case MV_ERR_INTERNAL:
		return EXIT_INTERNAL;
	case MV_ERR_USAGE:
		return EXIT_USAGE;
	case MV_ERR_DNS:
	case MV_ERR_CONNECT:
	case MV_ERR_TIMEOUT:
		return EXIT_UNTESTED;
	default:
		return EXIT_FINDING;
	}
	if (s->errors[MV_ERR_INTERNAL])
		return EXIT_INTERNAL;
	if (s->total.connections == 0)
		return EXIT_UNTESTED;
	if (s->total.rejected || s->total.aborted || s->total.errors ||
	    s->rcpt_rejected || s->gave_up ||
	    s->total.accepted != s->total.started)
		return EXIT_FINDING;
	return EXIT_PASS;
}

const char *
bench_stats_verdict(const struct bench_stats *s)
{
	switch (bench_stats_exit_code(s)) {
	case EXIT_PASS:
		return "pass";
	case EXIT_FINDING:
		return "fail";
	default:
		return "error";
	}
}

const char *
bench_hist_name(size_t i)
{
	return i == BENCH_HIST_MESSAGE ? "message" :
	    smtp_phase_name((enum smtp_phase)i);
}
