/*
 * transcript.h - the annotated dialog of one session, as a result.
 *
 * Engines append what was said (client, server), what happened on the
 * connection (TLS events) and notes; renderers walk it.  Secrets never
 * enter a transcript: the engine appends the redacted form unless the
 * user asked to see secrets.  Bounded in entries and bytes; once full,
 * further entries are counted in `dropped` instead of stored.
 */
#ifndef MAILVET_CORE_TRANSCRIPT_H
#define MAILVET_CORE_TRANSCRIPT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

enum transcript_kind {
	TR_CLIENT, /* a line mailvet sent */
	TR_SERVER, /* a line the server sent */
	TR_TLS,    /* a TLS event: handshake, version, certificate */
	TR_INFO,   /* a note: resolving, connecting, timing */
	TR_ERROR,  /* what went wrong */
};

struct transcript_entry {
	uint64_t t_us;             /* since the transcript started */
	enum transcript_kind kind;
	char *text;                /* owned, NUL-terminated, no CRLF */
};

struct transcript {
	struct transcript_entry *v; /* owned */
	size_t n, cap;
	size_t bytes;               /* text bytes stored */
	size_t dropped;             /* entries not stored: limits reached */
	uint64_t t0_us;             /* clock_now_us() at init */
};

#define TRANSCRIPT_MAX_ENTRIES 4096
#define TRANSCRIPT_MAX_BYTES   (1024 * 1024)
/* Longer lines are cut and annotated with their real length. */
#define TRANSCRIPT_MAX_LINE 1024

void transcript_init(struct transcript *t);
void transcript_free(struct transcript *t);
/* Append text of length n (may contain anything; control bytes are
 * shown escaped).  Never fails: on a limit or allocation failure the
 * entry is counted in dropped. */
void transcript_add(struct transcript *t, enum transcript_kind kind,
    const char *text, size_t n);
void transcript_addf(struct transcript *t, enum transcript_kind kind,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void transcript_vaddf(struct transcript *t, enum transcript_kind kind,
    const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
const char *transcript_kind_name(enum transcript_kind kind);

#endif
