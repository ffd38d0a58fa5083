/*
 * tls_caps.h - the capability replies `mailvet tls` reads before TLS,
 * parsed without I/O: SMTP/LMTP EHLO/LHLO (RFC 5321 4.1.1.1, RFC 3207),
 * POP3 CAPA (RFC 2449, STLS from RFC 2595), IMAP CAPABILITY (RFC 9051
 * 6.1.1) and the ManageSieve greeting (RFC 5804 1.7).
 *
 * Owns nothing: the input is borrowed, the result is plain data.  Every
 * read is bounded by the length given, never by a NUL.
 */
#ifndef MAILVET_CHECK_TLS_CAPS_H
#define MAILVET_CHECK_TLS_CAPS_H

#include <stddef.h>

enum tls_dialog_proto {
	TLS_DIALOG_SMTP,
	TLS_DIALOG_LMTP,
	TLS_DIALOG_POP3,
	TLS_DIALOG_IMAP,
	TLS_DIALOG_SIEVE,
};

struct tls_caps {
	char caps[1024];         /* keywords, space-separated, as sent */
	int starttls_offered;    /* STARTTLS (POP3: STLS) */
	char auth[256];          /* SASL mechanisms, space-separated */
	int login_allowed;       /* IMAP LOGIN without LOGINDISABLED, POP3
				  * USER */
};

/* Parse a whole positive capability response: resp holds its lines,
 * each ended by '\n' (a '\r' before it is ignored), len bytes, NUL
 * bytes allowed (they end nothing).  SMTP: the EHLO reply with its
 * "250-"/"250 " prefixes, the first line (the server's name) skipped;
 * POP3: the CAPA reply from "+OK" to "."; IMAP: the lines, of which
 * "* CAPABILITY" ones count; ManageSieve: the greeting up to its OK.
 * Always succeeds; out is zeroed first.  Words that would overflow a
 * field are dropped whole. */
void tls_caps_parse(enum tls_dialog_proto proto, const char *resp,
    size_t len, struct tls_caps *out);

#endif
