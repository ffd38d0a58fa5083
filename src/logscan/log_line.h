/*
 * log_line.h - the prefix of one mail-log line: timestamp, host,
 * program, pid, and the message after it.  Pure: no I/O, no allocation.
 *
 * Formats (docs/mailvet-log.md):
 *   traditional syslog (RFC 3164):  "Nov 25 16:19:49 host prog[pid]: msg"
 *   RFC 3339 / RFC 5424 timestamps: "2026-11-25T16:19:49.123+01:00 host ..."
 *   (also journalctl -o short-iso[-precise]: "+0100" without the colon)
 *   Postfix 3.4+ maillog_file:      the same two forms as Postfix writes
 *   Dovecot log_path (no host):     "Nov 25 16:19:49 imap-login: Info: msg",
 *                                   "2026-11-25 16:19:49 lmtp(u)<pid><s>: ..."
 * Traditional timestamps carry no year and no zone: they are read as
 * local time, the year from struct log_clock (see log_clock_init()).
 */
#ifndef MAILVET_LOGSCAN_LOG_LINE_H
#define MAILVET_LOGSCAN_LOG_LINE_H

#include "logscan/log_str.h"

#include <stdint.h>
#include <time.h>

enum log_source {
	LOG_SRC_OTHER = 0,     /* a program that is not a mail program */
	LOG_SRC_POSTFIX,
	LOG_SRC_DOVECOT,
};

struct log_line {
	int64_t ts_us;         /* UTC, microseconds since the epoch */
	int ts_has_zone;       /* the timestamp said its zone (RFC 3339) */
	struct log_str host;   /* empty for Dovecot's own log file */
	struct log_str prog;   /* "postfix/submission/smtpd", "dovecot" */
	struct log_str service;/* postfix: "smtpd"; dovecot: "imap-login",
				* "lmtp", "auth" (the process name) */
	struct log_str dprefix;/* dovecot: the whole prefix,
				* "lmtp(user)<pid><session>" */
	long pid;              /* -1 when absent */
	char level;            /* dovecot: 'I','W','E','F','P','D'; 0 none */
	struct log_str msg;    /* the rest, without the level */
	enum log_source src;
};

/*
 * Year inference for timestamps without a year: the first such line
 * takes the year of ref_s (the file's modification time, or now for
 * standard input), or the year before when its month is later than
 * ref_s's month (a January file holding December lines); after that
 * the year advances when the month goes back by six or more (Dec ->
 * Jan).  A smaller step back (a line logged out of order at a month
 * boundary) keeps the year and is not remembered as the last month.
 */
struct log_clock {
	time_t ref_s;
	int year;              /* 0 until the first yearless line */
	int last_mon;
	int64_t day_key;       /* cache: the local day computed last */
	int64_t day_base_s;    /* its midnight, UTC seconds */
};

void log_clock_init(struct log_clock *c, time_t ref_s);

/*
 * Parse the prefix of line s (n bytes, no newline).  Returns 0, or -1
 * when the line is malformed (no timestamp, no program, garbage); out
 * is then unspecified.  Lines of other programs return 0 with src
 * LOG_SRC_OTHER.
 */
int log_line_parse(const char *s, size_t n, struct log_clock *clk,
    struct log_line *out);

#endif
