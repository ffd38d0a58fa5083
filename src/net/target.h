/*
 * target.h - parse a target given on the command line, curl style.
 *
 * Accepted forms (docs/targets.md):
 *   smtp://host[:port][/]      SMTP, port 25, STARTTLS capable
 *   smtps://host[:port]        SMTP over implicit TLS, port 465
 *   submission://host[:port]   SMTP submission, port 587, STARTTLS capable
 *   submissions://host[:port]  submission over implicit TLS, port 465
 *   lmtp://host[:port]         LMTP, port 24
 *   pop3:// (110) pop3s:// (995) imap:// (143) imaps:// (993)
 *   host, host:port, [v6], [v6]:port, bare v6 literal ("::1")
 *                              the command's default scheme
 *   unix:/path                 a UNIX-domain socket, the command's
 *                              default protocol, no TLS by default
 * Scheme names are case-insensitive.  Host names are kept as given
 * (without brackets); ports must be 1..65535.  User info ("user@host"),
 * query strings and paths other than "/" are rejected with a message
 * saying which option to use instead.  No I/O.
 */
#ifndef MAILVET_NET_TARGET_H
#define MAILVET_NET_TARGET_H

#include "core/error.h"

#include <stdint.h>

enum target_proto {
	TARGET_PROTO_SMTP,
	TARGET_PROTO_LMTP,
	TARGET_PROTO_POP3,
	TARGET_PROTO_IMAP,
};

enum target_scheme {
	TARGET_SCHEME_SMTP,
	TARGET_SCHEME_SMTPS,
	TARGET_SCHEME_SUBMISSION,
	TARGET_SCHEME_SUBMISSIONS,
	TARGET_SCHEME_LMTP,
	TARGET_SCHEME_POP3,
	TARGET_SCHEME_POP3S,
	TARGET_SCHEME_IMAP,
	TARGET_SCHEME_IMAPS,
};

#define TARGET_HOST_MAX 255
#define TARGET_PATH_MAX 107 /* sun_path is 108 bytes with the NUL */

struct target {
	enum target_scheme scheme;
	enum target_proto proto;
	int implicit_tls;          /* TLS from the first byte */
	int is_unix;               /* path is set, host/port are not */
	int is_literal;            /* host is an IPv4 or IPv6 literal */
	char host[TARGET_HOST_MAX + 1];
	uint16_t port;
	char path[TARGET_PATH_MAX + 1];
};

/* Parse text.  default_scheme applies when text has no scheme.  Returns
 * 0, or -1 with err (category MV_ERR_USAGE) saying what is wrong. */
int target_parse(const char *text, enum target_scheme default_scheme,
    struct target *out, struct mv_error *err);
/* Scheme name as written in URLs ("smtp", "submissions", ...). */
const char *target_scheme_name(enum target_scheme scheme);
uint16_t target_default_port(enum target_scheme scheme);
/* Write "scheme://host:port" (v6 in brackets) or "unix:/path". */
void target_format(const struct target *t, char *out, size_t outsz);

#endif
