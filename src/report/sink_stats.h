/*
 * sink_stats.h - the measurements of `mailvet sink` (the SMTP/LMTP
 * sink in src/bench/sink.h): counters, the verification of bench's
 * per-message ids and a server-side latency histogram.  A plain value
 * struct, filled by the sink (merged from its per-thread counters) and
 * walked by the renderers below; nothing here prints.
 *
 * Lives in report/ rather than bench/ because renderers may not look
 * up at the bench layer (layers point down only).
 */
#ifndef MAILVET_REPORT_SINK_STATS_H
#define MAILVET_REPORT_SINK_STATS_H

#include "core/buf.h"
#include "core/histogram.h"

#include <stdint.h>

/* The commands (and pseudo-commands) the sink counts and can fault. */
enum sink_cmd {
	SINK_CMD_CONNECT,  /* the greeting */
	SINK_CMD_HELO,
	SINK_CMD_EHLO,
	SINK_CMD_LHLO,
	SINK_CMD_MAIL,
	SINK_CMD_RCPT,
	SINK_CMD_DATA,     /* the 354 go-ahead */
	SINK_CMD_EOD,      /* the reply to the message after DATA ("dot") */
	SINK_CMD_BDAT,
	SINK_CMD_RSET,
	SINK_CMD_NOOP,
	SINK_CMD_QUIT,
	SINK_CMD_VRFY,
	SINK_CMD_STARTTLS,
	SINK_CMD_AUTH,
	SINK_CMD_UNKNOWN,  /* anything else, answered 500 */
	SINK_CMD_COUNT
};

/* Stable lower-case name ("mail", "eod", ...), used by the option
 * parser, the text report and JSON. */
const char *sink_cmd_name(enum sink_cmd c);
/* The command called name (case-insensitive; "dot" is an alias of
 * "eod", "banner" of "connect"), or -1. */
int sink_cmd_from_name(const char *name);

/* What the sink found when it checked bench's X-Mailvet-Bench header
 * (format in src/bench/sink.h).  Only accepted messages are checked. */
struct sink_verify_stats {
	uint64_t ok;         /* intact, sequence number seen first time */
	uint64_t duplicate;  /* intact, sequence number seen before */
	uint64_t corrupt;    /* len= or sum= does not match the body */
	uint64_t malformed;  /* an X-Mailvet-Bench header we cannot parse */
	uint64_t unmarked;   /* no X-Mailvet-Bench header at all */
	uint64_t out_of_range; /* seq beyond what the sink can track */
	uint64_t expected;   /* --expect-count, 0 when not given */
	uint64_t lost;       /* expected - ok when expected is given */
	uint64_t runs;       /* distinct run= values seen */
};

struct sink_stats {
	uint64_t elapsed_us;          /* since sink_start() */
	unsigned threads;
	char listen[8][64];           /* bound addresses, "127.0.0.1:2526" */
	unsigned nlisten;

	uint64_t connections;         /* accepted */
	uint64_t connections_open;    /* now */
	uint64_t connections_refused; /* over --max-connections (421) */
	uint64_t idle_timeouts;       /* closed for idling (421) */
	uint64_t peer_closed;         /* the client closed (or reset) */
	uint64_t closed_mid_data;     /* ... in the middle of a message */

	uint64_t commands[SINK_CMD_COUNT];
	uint64_t fault_replies[SINK_CMD_COUNT];     /* injected 4xx/5xx */
	uint64_t fault_delays[SINK_CMD_COUNT];      /* injected delays */
	uint64_t fault_disconnects[SINK_CMD_COUNT]; /* injected closes */
	uint64_t rate_limited;        /* MAIL refused over --rate-limit */
	uint64_t tarpitted;           /* replies held by --tarpit */

	uint64_t messages;            /* accepted (2xx after the data) */
	uint64_t messages_rejected;   /* refused after the data */
	uint64_t messages_unanswered; /* would have been accepted, but the
				       * sink stopped (or the client went)
				       * before the 250 reached the socket:
				       * not in messages */
	uint64_t deliveries;          /* LMTP: accepted per-recipient */
	uint64_t recipients;          /* RCPT accepted */
	uint64_t recipients_rejected;
	uint64_t message_bytes;       /* message content, after unstuffing */
	uint64_t bytes_read;          /* off the sockets (plaintext) */
	uint64_t bytes_written;

	uint64_t lines_too_long;      /* command lines over the limit (500) */
	uint64_t syntax_errors;       /* 501/503/555 for bad commands */
	uint64_t too_big;             /* messages over SIZE (552) */
	uint64_t auth_ok, auth_failed;
	uint64_t tls_ok, tls_failed;  /* handshakes */
	uint64_t captured, capture_errors; /* --capture Maildir files */
	uint64_t capture_skipped;     /* not written: over
				       * --capture-max-bytes */
	uint64_t tokens;              /* messages with X-Mailvet-Token */

	struct sink_verify_stats verify;

	/* Microseconds from the MAIL command's read to the read of the
	 * message's end (client and network speed, seen by the server). */
	struct histogram txn_us;
	/* Microseconds from the read that completed a command to the write
	 * of its reply: injected delays and tarpit show here. */
	struct histogram reply_us;
};

/* Zero everything, histograms empty. */
void sink_stats_reset(struct sink_stats *s);
/* dst += src (counters and histograms; elapsed, threads, listen and
 * verify.expected/lost/runs are the merger's business). */
void sink_stats_merge(struct sink_stats *dst, const struct sink_stats *src);

/* Renderers (render_text_sink.c, render_json_sink.c), in the manner of
 * report_render_*: fill out, return 0 or -1 when out is full.
 * final: the summary at the end (else a one-line interval report).
 * The interval line reports the difference to prev (may be NULL). */
int sink_render_text(const struct sink_stats *s, int verbose,
    struct buf *out);
int sink_render_text_interval(const struct sink_stats *s,
    const struct sink_stats *prev, struct buf *out);
int sink_render_json(const struct sink_stats *s, struct buf *out);
int sink_render_json_interval(const struct sink_stats *s,
    const struct sink_stats *prev, struct buf *out);

#endif
