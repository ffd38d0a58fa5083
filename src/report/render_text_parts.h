/*
 * render_text_parts.h - pieces the text renderers of the different
 * commands share (internal to report/).
 */
#ifndef MAILVET_REPORT_RENDER_TEXT_PARTS_H
#define MAILVET_REPORT_RENDER_TEXT_PARTS_H

#include "core/buf.h"
#include "net/tls.h"
#include "report/render.h"
#include "report/report.h"

#include <stdint.h>

/* "  Label        value" lines of the summary block. */
void rt_line(struct buf *out, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void rt_tls(struct buf *out, const struct render_opts *o,
    const struct tls_info *ti, int implicit, const char *upgrade);
void rt_timings(struct buf *out, const uint64_t *phase_us, unsigned done,
    int nphases, const char *(*name)(int), uint64_t total_us);

void rt_pop3(const struct report *rep, const struct render_opts *o,
    struct buf *out);
void rt_imap(const struct report *rep, const struct render_opts *o,
    struct buf *out);
void rt_deliver(const struct report *rep, const struct render_opts *o,
    struct buf *out);

#endif
