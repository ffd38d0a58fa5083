/*
 * ports_identify.h - name a service from the bytes it sent: its
 * greeting (SMTP/LMTP RFC 5321/2033 "220", POP3 RFC 1939 "+OK", IMAP
 * RFC 9051 "* OK"/"* PREAUTH", ManageSieve RFC 5804 capability lines,
 * SSH, FTP, MySQL's handshake packet, redis's "-DENIED"/"-NOAUTH" on
 * connect), the answer to a probe (redis
 * "+PONG"/"-NOAUTH", clamd "PONG", spamd "SPAMD/", HTTP "HTTP/"), and
 * whether a capability answer offers STARTTLS/STLS.
 *
 * Pure functions: no I/O, no allocation; every input is (pointer,
 * length) and may hold any bytes.  Used by ports_scan.c, unit-tested
 * from tables (tests/unit/test_ports_identify.c) and fuzzed
 * (fuzz/fuzz_ports_identify.c).
 */
#ifndef MAILVET_CHECK_PORTS_IDENTIFY_H
#define MAILVET_CHECK_PORTS_IDENTIFY_H

#include "report/ports_report.h"

#include <stddef.h>

/* Reading stops at this many bytes: enough for any greeting. */
#define PORTS_READ_MAX 8192

struct ports_ident {
	enum ports_service service;
	int smtp_family;        /* a 3-digit reply: confirm with EHLO/LHLO */
	int smtp_code;          /* its code (220, 554, ...) */
	int greeting_complete;  /* ... and its last line came ("220 "),
				 * not only "220-" continuations */
	int lmtp_named;         /* the greeting says LMTP */
	int preauth;            /* IMAP PREAUTH */
	int caps_seen;          /* the greeting carried capabilities */
	int starttls_offered;   /* ... and STARTTLS among them */
	char detail[PORTS_DETAIL_MAX]; /* first line, control bytes as '?' */
};

/*
 * Classify an unprompted greeting.  final says no more bytes will come
 * (timeout, close, buffer full).  Returns 0 when more bytes are needed
 * to decide (never when final), 1 when id is filled; with final and no
 * bytes at all the service is PORTS_SVC_NONE ("silent").
 */
int ports_identify_greeting(const char *p, size_t n, int final,
    struct ports_ident *id);

/* Classify the answer to "PING\r\n" or "HEAD / HTTP/1.0": redis,
 * clamd, spamd, HTTP, or PORTS_SVC_NONE when nothing known answered
 * (id->detail keeps the first line either way). */
void ports_identify_probe(const char *p, size_t n, struct ports_ident *id);

enum ports_reply_kind {
	PORTS_REPLY_SMTP,       /* ends with a "ddd " line */
	PORTS_REPLY_POP3_MULTI, /* "-ERR" line, or "+OK" ... "." */
	PORTS_REPLY_IMAP_TAGGED, /* a line starting with tag + space */
	PORTS_REPLY_SIEVE,      /* a line starting OK, NO or BYE */
	PORTS_REPLY_LINE,       /* any one line */
};

/* 1 when p holds a complete reply of that kind (tag: IMAP only). */
int ports_reply_complete(enum ports_reply_kind k, const char *tag,
    const char *p, size_t n);
/* The code of the last complete SMTP reply line, or -1. */
int ports_smtp_code(const char *p, size_t n);
/* 1 when the capability answer of service s offers the STARTTLS
 * upgrade (SMTP EHLO/LHLO "STARTTLS", POP3 CAPA "STLS", IMAP
 * CAPABILITY "STARTTLS", ManageSieve "STARTTLS"). */
int ports_caps_starttls(enum ports_service s, const char *p, size_t n);
/* Copy the first line of p into out (size outsz), control and non-ASCII
 * bytes as '?'. */
void ports_first_line(const char *p, size_t n, char *out, size_t outsz);

#endif
