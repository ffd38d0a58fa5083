/*
 * imap_parse.h - incremental IMAP4 response reader and the small parsers
 * the client needs (RFC 9051 / RFC 3501 sections 7 and 9, response codes
 * RFC 5530, SASL-IR RFC 4959, LITERAL+ RFC 7888).  No I/O.
 *
 * A response is one line, or several when it carries literals: a line
 * ending in "{n}" (or "{n+}") is followed by exactly n bytes and then
 * the rest of the response.  The reader collects a whole response, the
 * literal bytes inline, and returns it with the literals' positions, so
 * FETCH bodies are available without another copy.  Limits bound the
 * line length, each literal and the whole response: a literal announced
 * at 4 GB is refused at once, before any byte of it is buffered.
 */
#ifndef MAILVET_PROTO_IMAP_PARSE_H
#define MAILVET_PROTO_IMAP_PARSE_H

#include "core/buf.h"
#include "core/error.h"

#include <stddef.h>
#include <stdint.h>

#define IMAP_DEFAULT_MAX_LINE     (64 * 1024)
#define IMAP_DEFAULT_MAX_LITERAL  (64u * 1024 * 1024)
#define IMAP_DEFAULT_MAX_RESPONSE (65u * 1024 * 1024)
#define IMAP_MAX_LITERALS         16

enum imap_kind {
	IMAP_TAGGED,       /* "a1 OK ..." */
	IMAP_UNTAGGED,     /* "* ..." */
	IMAP_CONTINUATION, /* "+ ..." */
};

enum imap_cond {
	IMAP_COND_NONE,    /* untagged data, or a continuation */
	IMAP_COND_OK,
	IMAP_COND_NO,
	IMAP_COND_BAD,
	IMAP_COND_PREAUTH,
	IMAP_COND_BYE,
};

struct imap_literal {
	size_t off;        /* of the first literal byte in raw */
	size_t len;
};

struct imap_response {
	enum imap_kind kind;
	char tag[64];           /* tagged responses */
	enum imap_cond cond;    /* status responses, tagged or untagged */
	char code[48];          /* response code atom, upper case ("UIDVALIDITY",
				 * "AUTHENTICATIONFAILED", "CAPABILITY"), or "" */
	const char *code_arg;   /* the rest inside the brackets, or "" */
	const char *text;       /* human text after condition and code; for a
				 * continuation, everything after "+ " */
	/* Untagged data: "* 3 EXISTS" gives number 3 and keyword "EXISTS";
	 * "* CAPABILITY IMAP4rev1 ..." gives number -1, keyword
	 * "CAPABILITY" and rest "IMAP4rev1 ...". */
	int64_t number;
	char keyword[32];
	const char *rest;       /* after the keyword, first line only */
	const char *raw;        /* the whole response as received, literal
				 * bytes inline, without the final line end */
	size_t raw_len;
	size_t nliterals;
	struct imap_literal literals[IMAP_MAX_LITERALS];
	size_t bare_lf;
};

struct imap_reader {
	size_t max_line, max_literal, max_response;
	struct buf resp;        /* the response being collected */
	size_t line_start;      /* where the current line starts in resp */
	size_t literal_left;    /* bytes of a literal still to come */
	size_t nliterals;
	struct imap_literal literals[IMAP_MAX_LITERALS];
	size_t bare_lf;
	/* Parsed copies returned through struct imap_response. */
	struct buf fields;
};

enum imap_read_status {
	IMAP_READ_ERROR = -1,
	IMAP_READ_MORE = 0,
	IMAP_READ_DONE = 1,
};

/* Zero limits mean the defaults. */
void imap_reader_init(struct imap_reader *r, size_t max_line,
    size_t max_literal, size_t max_response);
void imap_reader_free(struct imap_reader *r);
void imap_reader_reset(struct imap_reader *r);
int imap_reader_pending(const struct imap_reader *r);
/* Feed len bytes; on DONE *consumed bytes were used (feed the rest
 * again) and out's pointers are valid until the next feed.  Errors are
 * MV_ERR_PROTOCOL with a plain message ("literal of 4294967296 bytes is
 * over the 67108864-byte limit", "response line does not start with a
 * tag, '*' or '+'"). */
enum imap_read_status imap_reader_feed(struct imap_reader *r,
    const char *data, size_t len, size_t *consumed,
    struct imap_response *out, struct mv_error *err);

/* Capabilities (RFC 9051 7.2.2 and extensions). */
enum imap_cap {
	IMAP_CAP_IMAP4REV1 = 1u << 0,
	IMAP_CAP_IMAP4REV2 = 1u << 1,
	IMAP_CAP_STARTTLS = 1u << 2,
	IMAP_CAP_LOGINDISABLED = 1u << 3,
	IMAP_CAP_SASL_IR = 1u << 4,
	IMAP_CAP_LITERAL_PLUS = 1u << 5,
	IMAP_CAP_LITERAL_MINUS = 1u << 6,
	IMAP_CAP_IDLE = 1u << 7,
	IMAP_CAP_UIDPLUS = 1u << 8,
	IMAP_CAP_ID = 1u << 9,
	IMAP_CAP_ENABLE = 1u << 10,
	IMAP_CAP_MOVE = 1u << 11,
	IMAP_CAP_CONDSTORE = 1u << 12,
	IMAP_CAP_NAMESPACE = 1u << 13,
	IMAP_CAP_UTF8_ACCEPT = 1u << 14,
};

#define IMAP_AUTH_LIST_MAX 256

struct imap_caps {
	unsigned caps;
	char auth_list[IMAP_AUTH_LIST_MAX + 1]; /* "PLAIN LOGIN", from AUTH= */
	char all[1024];                         /* the list as received, cut */
};

/* Parse a space-separated capability list (the rest of "* CAPABILITY"
 * or the argument of a [CAPABILITY ...] code). */
void imap_caps_parse(const char *list, struct imap_caps *caps);
/* Append s as an IMAP quoted string ("..." with \" and \\ escaped).
 * Returns 0, or 1 when s cannot be quoted (CR, LF, NUL or 8-bit bytes):
 * then the caller must send it as a literal. */
int imap_quote(const char *s, struct buf *out);
/* Numbers of a "* SEARCH 2 5 9" (rest = "2 5 9"): up to max into out;
 * returns how many there were in all, or -1 on a malformed list. */
long imap_search_parse(const char *rest, uint64_t *out, size_t max);
/* The message bytes of a FETCH response: the first literal (BODY[],
 * BODY[TEXT], RFC822), or NULL when there is none. */
const char *imap_fetch_body(const struct imap_response *r, size_t *len);

#endif
