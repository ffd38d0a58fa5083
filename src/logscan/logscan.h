/*
 * logscan.h - the mail-log correlator: feeds of log lines in, one
 * record per message (Postfix queue id, linked to Dovecot's delivery of
 * the same message-id) and a summary out.  An engine: it never prints,
 * never exits, never reads options; the caller reads files (see
 * log_reader.h, log_follow.h) and renders (report/log_render.h).
 *
 * The result structs (struct log_msg, struct log_summary) are the
 * report layer's (report/log_report.h), so renderers need not look up
 * at this layer; the correlator fills them.
 *
 * Memory is bounded: at most max_open messages are open at once (the
 * oldest is closed as "incomplete" beyond that), every string kept is
 * cut at LOG_FIELD_MAX bytes, each record keeps at most LOG_MAX_RCPT
 * recipients and LOG_MAX_EVENTS timeline lines, and the summary tables
 * stop adding keys at their maximum (log_count.h).
 * Functions return 0, or -1 only when out of memory.
 */
#ifndef MAILVET_LOGSCAN_LOGSCAN_H
#define MAILVET_LOGSCAN_LOGSCAN_H

#include "logscan/log_count.h"
#include "logscan/log_line.h"
#include "logscan/log_postfix.h"
#include "report/log_report.h"

#include <stdint.h>

#define LOG_FIELD_MAX   1024
#define LOG_MAX_RCPT    1000
#define LOG_MAX_EVENTS  500
#define LOG_DEFAULT_MAX_OPEN 200000   /* ~700 bytes each: ~140 MB */

/* A finished message handed to the caller (borrowed for the call). */
typedef void logscan_msg_cb(void *ctx, const struct log_msg *m);

struct logscan_params {
	const char *want_qid;        /* borrowed: keep only these records */
	const char *want_msgid;      /* borrowed: "<...>" or without <> */
	int keep_events;             /* build timelines */
	int link_saves;              /* remember Dovecot saves to link */
	size_t max_open;             /* 0: LOG_DEFAULT_MAX_OPEN */
	int64_t grace_ms;            /* follow: hold a finished message this
				      * long for Dovecot's lines */
	size_t max_sessions;         /* smtpd sessions remembered; 0: 4096 */
	size_t max_saves;            /* Dovecot saves waiting for their
				      * Postfix record; 0: 65536 (rounded
				      * up to a power of two) */
	logscan_msg_cb *on_msg;      /* follow: each finished message */
	void *ctx;
};

struct logscan;

/* Returned-owned; NULL when out of memory.  p is copied (its strings
 * must outlive the scanner). */
struct logscan *logscan_new(const struct logscan_params *p);
void logscan_free(struct logscan *ls);
/* One line without its newline (borrowed).  clk: the input's clock. */
int logscan_line(struct logscan *ls, struct log_clock *clk, const char *s,
    size_t n);
/* follow: the wall clock now; releases finished messages older than
 * the grace time to on_msg. */
void logscan_tick(struct logscan *ls, int64_t now_ms);
/* End of input: close open messages (counted still queued), link
 * Dovecot saves, fold everything into the summary. */
int logscan_finish(struct logscan *ls);
/* Results, valid until logscan_free(). */
const struct log_summary *logscan_summary(const struct logscan *ls);
/* The records kept by want_qid/want_msgid, in completion order. */
size_t logscan_matches(const struct logscan *ls,
    const struct log_msg *const **out);
/* The address domain (after the last '@'), "" when none. */
struct log_str log_addr_domain(const char *addr, size_t n);

#endif
