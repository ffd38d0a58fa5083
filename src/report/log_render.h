/*
 * log_render.h - text and JSON for `mailvet log` (docs/mailvet-log.md):
 * the summary, the records of queried messages, and the one-record
 * forms --follow prints as messages finish.  Renderers fill a buffer
 * and never change the results.  Every string from the log is
 * untrusted: control bytes are escaped in text and invalid UTF-8
 * repaired in JSON (json_text.h).
 *
 * (The result structs are report/log_report.h's, filled by logscan:
 * the log command renders them directly, as the issue asks, rather
 * than through struct report.)
 */
#ifndef MAILVET_REPORT_LOG_RENDER_H
#define MAILVET_REPORT_LOG_RENDER_H

#include "core/buf.h"
#include "report/log_report.h"

#include <stddef.h>

struct log_render {
	const struct log_summary *sum;      /* borrowed */
	const struct log_msg *const *msgs;  /* borrowed: queried records */
	size_t nmsgs;
	int query;                          /* --queue-id / --message-id */
	const char *const *inputs;          /* borrowed: the paths read */
	size_t ninputs;
	size_t top;                         /* rows per table */
	int exit_code;
	const char *error;                  /* NULL, or why it failed */
	int color;
};

int log_render_text(const struct log_render *r, struct buf *out);
int log_render_json(const struct log_render *r, struct buf *out);
/* --follow: one message as a line of text / one JSON line. */
int log_render_msg_text_line(const struct log_msg *m, struct buf *out);
int log_render_msg_json_line(const struct log_msg *m, struct buf *out);

/* Shared with the renderers: ISO 8601 local time, "" for 0. */
void log_render_time(int64_t ts_us, int iso, char *out, size_t outsz);

#endif
