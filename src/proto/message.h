/*
 * message.h - build the test message and put it on the wire
 * (RFC 5322 message format, RFC 5321 4.5.2 transparency).  No I/O:
 * file contents are read by the caller.
 *
 * A generated message carries a unique token in its Message-ID
 * (<mailvet.TOKEN@domain>) and in an X-Mailvet-Token header, so that a
 * later check (deliver, relay --confirm, the log reader) can find it.
 */
#ifndef MAILVET_PROTO_MESSAGE_H
#define MAILVET_PROTO_MESSAGE_H

#include "core/buf.h"
#include "core/error.h"

#include <stddef.h>
#include <time.h>

#define MESSAGE_TOKEN_LEN 24 /* hex characters */

struct message_params {
	const char *from;         /* envelope/header sender; "" = null sender */
	const char *const *to;    /* recipients for the To: header */
	size_t nto;
	const char *subject;      /* NULL: "mailvet test TOKEN" */
	const char *const *headers; /* extra "Name: value" lines, borrowed */
	size_t nheaders;
	const char *body;         /* NULL: a short generated body */
	size_t body_len;
	const char *token;        /* MESSAGE_TOKEN_LEN hex chars, borrowed */
	const char *msgid_domain; /* right side of Message-ID; NULL: "mailvet.invalid" */
	time_t date;              /* for the Date: header */
};

/* Make a fresh random token (hex, NUL-terminated) from the OS RNG. */
int message_token_new(char out[MESSAGE_TOKEN_LEN + 1], struct mv_error *err);
/*
 * Build a complete message (headers, blank line, body) into out, with
 * CRLF line endings.  Header values containing CR or LF are rejected
 * (MV_ERR_USAGE) so a user option cannot inject headers by accident.
 */
int message_build(const struct message_params *p, struct buf *out,
    struct mv_error *err);
/* The value of the user's extra header called name (case-insensitive),
 * or NULL.  User headers replace generated ones of the same name. */
const char *message_user_header(const struct message_params *p,
    const char *name);
/*
 * Prepare a message for DATA: normalise line endings to CRLF (a bare LF
 * or bare CR becomes CRLF), double a leading '.' on every line, make
 * sure the last line ends in CRLF, and append the ".\r\n" terminator.
 * Fails only when out's maximum is reached.
 */
int smtp_dot_stuff(const char *msg, size_t len, struct buf *out);
/* The inverse, for tests and the sink: remove one leading '.' per line
 * and stop at the terminator.  Returns the bytes of input consumed
 * including the terminator, or 0 when no terminator was found. */
size_t smtp_dot_unstuff(const char *data, size_t len, struct buf *out);
/* RFC 5322 date-time for t in local time ("Wed, 25 Nov 2026 14:03:00 +0000"). */
void message_format_date(time_t t, char *out, size_t outsz);

#endif
