/*
 * sink_data.c - end of data, dot-unstuffing, header block and body sum
 * for the sink (see sink_data.h).  The hot path is one memchr per line
 * and a check of the byte after each CRLF; the body sum is only
 * computed when the header block asked for it.
 */
#include "bench/sink_data.h"
#include "bench/sink_verify.h"

#include <string.h>

enum {
	ST_MID,        /* inside a line */
	ST_SOL,        /* just after CRLF (or at the very start) */
	ST_SOL_DOT,    /* "." at the start of a line */
	ST_SOL_DOT_CR, /* "." CR at the start of a line */
};

void
sink_data_begin(struct sink_data *d)
{
	d->hdr_len = 0;
	d->hdr_done = 0;
	d->hdr_truncated = 0;
	d->capture_full = 0;
	d->content_len = 0;
	d->body_len = 0;
	d->body_sum = SINK_FNV_BASIS;
	d->sum_body = 0;
	d->st = ST_SOL;
	d->prev_cr = 0;
	d->line_len = 0;
	d->line_first = 0;
}

static void
keep_header(struct sink_data *d, const char *p, size_t n)
{
	size_t room = d->hdr_max - d->hdr_len;

	if (n > room) {
		n = room;
		d->hdr_truncated = 1;
	}
	if (n > 0) {
		memcpy(d->hdr + d->hdr_len, p, n);
		d->hdr_len += n;
	}
}

static void
body(struct sink_data *d, const char *p, size_t n)
{
	d->body_len += n;
	if (d->sum_body)
		d->body_sum = sink_fnv1a(d->body_sum, p, n);
}

/* n bytes of message content, in order. */
static void
content(struct sink_data *d, const char *p, size_t n,
    void (*on_header)(void *, struct sink_data *), void *arg)
{
	const char *lf;
	size_t seg;

	if (n == 0)
		return;
	d->content_len += n;
	if (d->capture != NULL && !d->capture_full &&
	    buf_append(d->capture, p, n) == -1)
		d->capture_full = 1;
	while (!d->hdr_done && n > 0) {
		lf = memchr(p, '\n', n);
		if (lf == NULL) {
			if (d->line_len == 0)
				d->line_first = p[0];
			d->line_len += n;
			keep_header(d, p, n);
			return;
		}
		seg = (size_t)(lf - p);
		if (d->line_len == 0 && seg > 0)
			d->line_first = p[0];
		d->line_len += seg;
		keep_header(d, p, seg + 1);
		if (d->line_len == 0 ||
		    (d->line_len == 1 && d->line_first == '\r')) {
			d->hdr_done = 1;
			if (on_header != NULL)
				on_header(arg, d);
		}
		d->line_len = 0;
		p += seg + 1;
		n -= seg + 1;
	}
	if (n > 0)
		body(d, p, n);
}

void
sink_data_raw(struct sink_data *d, const char *p, size_t n,
    void (*on_header)(void *, struct sink_data *), void *arg)
{
	content(d, p, n, on_header, arg);
}

size_t
sink_data_feed(struct sink_data *d, const char *p, size_t n, int *done,
    void (*on_header)(void *, struct sink_data *), void *arg)
{
	size_t i = 0, entry, emit, k;
	const char *lf;
	int crlf;

	*done = 0;
	/* Settle a line start left over from the previous piece. */
	while (i < n && d->st != ST_MID) {
		switch (d->st) {
		case ST_SOL:
			if (p[i] == '.') {
				d->st = ST_SOL_DOT;
				i++;
			} else {
				d->st = ST_MID;
				d->prev_cr = 0;
			}
			break;
		case ST_SOL_DOT:
			if (p[i] == '\r') {
				d->st = ST_SOL_DOT_CR;
				i++;
			} else {
				/* A stuffed dot: dropped. */
				d->st = ST_MID;
				d->prev_cr = 0;
			}
			break;
		default: /* ST_SOL_DOT_CR */
			if (p[i] == '\n') {
				*done = 1;
				return i + 1;
			}
			/* ".\r" then more: the dot was stuffing. */
			content(d, "\r", 1, on_header, arg);
			d->st = ST_MID;
			d->prev_cr = 1;
			break;
		}
	}
	if (i == n)
		return n;

	entry = emit = i;
	while (i < n) {
		lf = memchr(p + i, '\n', n - i);
		if (lf == NULL) {
			content(d, p + emit, n - emit, on_header, arg);
			d->prev_cr = p[n - 1] == '\r';
			return n;
		}
		k = (size_t)(lf - p);
		crlf = k > entry ? p[k - 1] == '\r' : d->prev_cr;
		i = k + 1;
		if (!crlf)
			continue;
		if (i == n) {
			content(d, p + emit, n - emit, on_header, arg);
			d->st = ST_SOL;
			return n;
		}
		if (p[i] != '.')
			continue;
		/* A line starting with a dot: the end or stuffing. */
		content(d, p + emit, i - emit, on_header, arg);
		i++;
		if (i == n) {
			d->st = ST_SOL_DOT;
			return n;
		}
		if (p[i] == '\r') {
			if (i + 1 == n) {
				d->st = ST_SOL_DOT_CR;
				return n;
			}
			if (p[i + 1] == '\n') {
				*done = 1;
				return i + 2;
			}
		}
		entry = emit = i;
		d->prev_cr = 0;
	}
	/* The piece ended exactly after a stuffed dot's successor. */
	content(d, p + emit, n - emit, on_header, arg);
	d->prev_cr = n > entry ? p[n - 1] == '\r' : d->prev_cr;
	d->st = ST_MID;
	return n;
}
