/*
 * render_relay.h - the text and JSON pieces of `mailvet relay` (internal
 * to report/; called from render_text.c and render_json.c).
 */
#ifndef MAILVET_REPORT_RENDER_RELAY_H
#define MAILVET_REPORT_RENDER_RELAY_H

#include "core/buf.h"
#include "report/render.h"
#include "report/report.h"

#include <jansson.h>

void rt_relay(const struct report *rep, const struct render_opts *o,
    struct buf *out);
json_t *rj_relay(const struct report *rep);

#endif
