/*
 * render.h - turn a struct report into text for people or JSON for
 * programs (docs/json.md).  Renderers fill a buffer; cli/ decides where
 * it goes.  They never change the report.
 */
#ifndef MAILVET_REPORT_RENDER_H
#define MAILVET_REPORT_RENDER_H

#include "core/buf.h"
#include "report/report.h"

struct render_opts {
	int color;       /* ANSI colours (a TTY, NO_COLOR unset) */
	int transcript;  /* include the annotated dialog */
	int verbose;     /* certificate chain and every reply in full */
};

int report_render_text(const struct report *r, const struct render_opts *o,
    struct buf *out);
int report_render_json(const struct report *r, const struct render_opts *o,
    struct buf *out);

#endif
