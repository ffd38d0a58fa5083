/*
 * smtp_reply.h - incremental SMTP/LMTP reply parser (RFC 5321 4.2,
 * enhanced status codes RFC 3463 / RFC 2034).  No I/O.
 *
 * Bytes are fed as they arrive, in pieces of any size (one byte per
 * packet included).  The parser stops at the end of each complete reply
 * so that pipelined replies arriving in one read are returned one at a
 * time: the caller feeds the remainder again.
 *
 * Lines end in CRLF; a bare LF is accepted as an ending too (servers in
 * the field send it) and counted in reply.bare_lf.  Every line must
 * start with the same three-digit code (2..5 first digit) followed by
 * '-' (more lines follow), ' ' or the end of the line (last line).
 * Limits bound what a hostile server can make us hold: line length,
 * number of lines and total reply size.
 */
#ifndef MAILVET_PROTO_SMTP_REPLY_H
#define MAILVET_PROTO_SMTP_REPLY_H

#include "core/buf.h"
#include "core/error.h"

#include <stddef.h>

/* RFC 5321 allows 512 octets per reply line; real servers exceed it. */
#define SMTP_REPLY_DEFAULT_MAX_LINE  4096
#define SMTP_REPLY_DEFAULT_MAX_LINES 512
#define SMTP_REPLY_DEFAULT_MAX_BYTES (64 * 1024)
#define SMTP_REPLY_MAX_LINES_HARD    1024

struct smtp_reply {
	int code;         /* 200..599 */
	char enh[16];     /* enhanced status "x.y.z" of the first line, or "" */
	size_t nlines;
	/* Text of each line after "NNN-" / "NNN " (no CRLF), pointers into
	 * storage owned by the parser; valid until the next feed. */
	const char *lines[SMTP_REPLY_MAX_LINES_HARD];
	/* Each line exactly as received, without the line ending. */
	const char *raw[SMTP_REPLY_MAX_LINES_HARD];
	size_t bare_lf;   /* lines that ended in LF without CR */
};

struct smtp_reply_parser {
	size_t max_line;
	size_t max_lines; /* at most SMTP_REPLY_MAX_LINES_HARD */
	size_t max_bytes;
	struct buf line;  /* the partial line being received */
	struct buf store; /* the lines of the reply being received */
	size_t nlines;
	int code;
	size_t bare_lf;
	/* Offsets into store, turned into pointers when the reply completes. */
	size_t text_off[SMTP_REPLY_MAX_LINES_HARD];
	size_t raw_off[SMTP_REPLY_MAX_LINES_HARD];
};

enum smtp_reply_status {
	SMTP_REPLY_ERROR = -1, /* err says why; the parser must be reset */
	SMTP_REPLY_MORE = 0,   /* all input consumed, reply incomplete */
	SMTP_REPLY_DONE = 1,   /* *out is complete; *consumed bytes used */
};

/* Zero limits mean the defaults above. */
void smtp_reply_parser_init(struct smtp_reply_parser *p, size_t max_line,
    size_t max_lines, size_t max_bytes);
void smtp_reply_parser_free(struct smtp_reply_parser *p);
/* Forget any partial reply (after an error or a new connection). */
void smtp_reply_parser_reset(struct smtp_reply_parser *p);
/* True when bytes of an incomplete reply are buffered: the caller uses
 * this to detect plaintext left over at STARTTLS time. */
int smtp_reply_parser_pending(const struct smtp_reply_parser *p);
/*
 * Feed len bytes.  On DONE, *consumed is how many bytes of data belong
 * to this reply (the rest must be fed again) and out is filled; on MORE
 * all len bytes were consumed; on ERROR err has category
 * MV_ERR_PROTOCOL and a message such as "reply line longer than 4096
 * bytes" or "reply line does not start with a 3-digit code: ...".
 */
enum smtp_reply_status smtp_reply_parser_feed(struct smtp_reply_parser *p,
    const char *data, size_t len, size_t *consumed, struct smtp_reply *out,
    struct mv_error *err);
/* Parse "x.y.z" at the start of text (class 2, 4 or 5; subject and
 * detail 0..999).  Returns its length, or 0 when there is none. */
size_t smtp_enhanced_code_parse(const char *text, char *out, size_t outsz);

#endif
