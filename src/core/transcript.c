/*
 * transcript.c - bounded annotated dialog (see transcript.h).
 */
#include "core/transcript.h"

#include "core/buf.h"
#include "core/clock.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void
transcript_init(struct transcript *t)
{
	t->v = NULL;
	t->n = t->cap = 0;
	t->bytes = 0;
	t->dropped = 0;
	t->t0_us = clock_now_us();
}

void
transcript_free(struct transcript *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free(t->v[i].text);
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}

/* Copy text, escaping control bytes so that a hostile server cannot
 * drive the user's terminal, and cutting very long lines. */
static char *
transcript_sanitize(const char *text, size_t n)
{
	struct buf b;
	size_t i, shown;

	buf_init(&b, TRANSCRIPT_MAX_LINE * 4 + 64);
	shown = n > TRANSCRIPT_MAX_LINE ? TRANSCRIPT_MAX_LINE : n;
	for (i = 0; i < shown; i++) {
		unsigned char c = (unsigned char)text[i];
		int r;

		if (c == '\t' || (c >= 0x20 && c != 0x7f))
			r = buf_append(&b, &text[i], 1);
		else
			r = buf_printf(&b, "\\x%02x", c);
		if (r == -1)
			break;
	}
	if (shown < n)
		buf_printf(&b, "... [%zu bytes in all]", n);
	if (b.data == NULL)
		buf_append(&b, "", 0);
	return b.data;
}

void
transcript_add(struct transcript *t, enum transcript_kind kind,
    const char *text, size_t n)
{
	struct transcript_entry *e;
	char *s;

	if (t->n >= TRANSCRIPT_MAX_ENTRIES || t->bytes >= TRANSCRIPT_MAX_BYTES) {
		t->dropped++;
		return;
	}
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 32;
		struct transcript_entry *nv;

		nv = realloc(t->v, ncap * sizeof(*nv));
		if (nv == NULL) {
			t->dropped++;
			return;
		}
		t->v = nv;
		t->cap = ncap;
	}
	if ((s = transcript_sanitize(text, n)) == NULL) {
		t->dropped++;
		return;
	}
	e = &t->v[t->n++];
	e->t_us = clock_now_us() - t->t0_us;
	e->kind = kind;
	e->text = s;
	t->bytes += n < TRANSCRIPT_MAX_LINE ? n : TRANSCRIPT_MAX_LINE;
}

void
transcript_vaddf(struct transcript *t, enum transcript_kind kind,
    const char *fmt, va_list ap)
{
	char line[TRANSCRIPT_MAX_LINE];
	int n;

	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	transcript_add(t, kind, line, (size_t)n);
}

void
transcript_addf(struct transcript *t, enum transcript_kind kind,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	transcript_vaddf(t, kind, fmt, ap);
	va_end(ap);
}

const char *
transcript_kind_name(enum transcript_kind kind)
{
	switch (kind) {
	case TR_CLIENT:
		return "client";
	case TR_SERVER:
		return "server";
	case TR_TLS:
		return "tls";
	case TR_INFO:
		return "info";
	case TR_ERROR:
		return "error";
	}
	return "info";
}
