/*
 * render_tls.h - the `mailvet tls` parts of the text and JSON reports
 * (internal to report/; called from render_text.c and render_json.c).
 */
#ifndef MAILVET_REPORT_RENDER_TLS_H
#define MAILVET_REPORT_RENDER_TLS_H

#include "core/buf.h"
#include "report/render.h"
#include "report/report.h"

#include <jansson.h>

void rt_tls_report(const struct report *rep, const struct render_opts *o,
    struct buf *out);
/* The "tls" object (docs/mailvet-tls.md); returned-owned. */
json_t *rj_tls_report(const struct report *rep);

#endif
