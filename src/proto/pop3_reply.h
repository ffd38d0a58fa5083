/*
 * pop3_reply.h - incremental POP3 response reader (RFC 1939 3, extended
 * response codes RFC 2449 8 and RFC 3206).  No I/O.
 *
 * A response is a status line ("+OK ...", "-ERR ...", or "+ base64" for
 * a SASL continuation, RFC 5034) and, when the caller said the command
 * is multi-line and the status is +OK, the lines that follow up to the
 * terminating ".", with the leading dot of stuffed lines removed.
 * Bytes are fed in pieces of any size; the reader stops at the end of
 * each response and reports the bytes it used.  Lines end in CRLF; a
 * bare LF is accepted and counted.  Limits bound line length and body
 * size, so a server whose multi-line response never ends cannot make
 * mailvet allocate without bound.
 */
#ifndef MAILVET_PROTO_POP3_REPLY_H
#define MAILVET_PROTO_POP3_REPLY_H

#include "core/buf.h"
#include "core/error.h"

#include <stddef.h>

#define POP3_DEFAULT_MAX_LINE 8192            /* RFC 1939: 512 */
#define POP3_DEFAULT_MAX_BODY (64u * 1024 * 1024)

enum pop3_status {
	POP3_STATUS_OK,     /* +OK */
	POP3_STATUS_ERR,    /* -ERR */
	POP3_STATUS_CONT,   /* "+ " continuation in AUTH (RFC 5034 4) */
};

struct pop3_response {
	enum pop3_status status;
	/* Extended response code without brackets ("AUTH", "SYS/TEMP",
	 * "IN-USE", "LOGIN-DELAY", "SYS/PERM"), or "". */
	char code[32];
	const char *text;   /* after the status and code; "" if none */
	const char *raw;    /* the status line as received, no line end */
	int multiline;      /* body holds the lines that followed */
	const struct buf *body; /* unstuffed body, CRLF line ends, without
				 * the terminator; NULL unless multiline */
	size_t body_lines;
	size_t bare_lf;     /* lines that ended in LF only */
};

struct pop3_reader {
	size_t max_line;
	size_t max_body;
	int expect_multiline;   /* set by pop3_reader_expect() */
	int in_body;            /* status line done, reading the body */
	struct buf line;        /* partial line */
	struct buf status;      /* the status line of this response */
	struct buf body;
	size_t body_lines;
	size_t bare_lf;
	char code[32];
	size_t text_off;        /* where the text starts in status */
	enum pop3_status st;
};

enum pop3_read_status {
	POP3_READ_ERROR = -1,   /* err says why (MV_ERR_PROTOCOL) */
	POP3_READ_MORE = 0,     /* all input consumed, response incomplete */
	POP3_READ_DONE = 1,     /* *out complete; *consumed bytes used */
};

/* Zero limits mean the defaults above. */
void pop3_reader_init(struct pop3_reader *r, size_t max_line,
    size_t max_body);
void pop3_reader_free(struct pop3_reader *r);
/* Before each command's response: will a +OK be followed by lines?
 * (CAPA, LIST and UIDL without argument, RETR, TOP: yes.) */
void pop3_reader_expect(struct pop3_reader *r, int multiline);
/* Forget any partial response (STLS, errors). */
void pop3_reader_reset(struct pop3_reader *r);
/* Bytes of an incomplete response are buffered (STARTTLS injection). */
int pop3_reader_pending(const struct pop3_reader *r);
/* Feed len bytes; out's pointers stay valid until the next feed. */
enum pop3_read_status pop3_reader_feed(struct pop3_reader *r,
    const char *data, size_t len, size_t *consumed,
    struct pop3_response *out, struct mv_error *err);
/* APOP timestamp "<...@...>" in a greeting (RFC 1939 7), or "". */
void pop3_greeting_timestamp(const char *text, char *out, size_t outsz);

#endif
