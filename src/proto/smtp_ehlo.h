/*
 * smtp_ehlo.h - EHLO/LHLO capability parser (RFC 5321 4.1.1.1 and the
 * extension RFCs named below).  No I/O.
 *
 * The first reply line is the server's greeting domain; every later
 * line is "KEYWORD [params]", keywords case-insensitive.  Unknown
 * keywords are kept (for the report) but do not fail the parse.
 */
#ifndef MAILVET_PROTO_SMTP_EHLO_H
#define MAILVET_PROTO_SMTP_EHLO_H

#include "proto/smtp_reply.h"

#include <stdint.h>

enum smtp_cap {
	SMTP_CAP_PIPELINING = 1u << 0,   /* RFC 2920 */
	SMTP_CAP_SIZE = 1u << 1,         /* RFC 1870 */
	SMTP_CAP_STARTTLS = 1u << 2,     /* RFC 3207 */
	SMTP_CAP_AUTH = 1u << 3,         /* RFC 4954 */
	SMTP_CAP_8BITMIME = 1u << 4,     /* RFC 6152 */
	SMTP_CAP_SMTPUTF8 = 1u << 5,     /* RFC 6531 */
	SMTP_CAP_DSN = 1u << 6,          /* RFC 3461 */
	SMTP_CAP_CHUNKING = 1u << 7,     /* RFC 3030 */
	SMTP_CAP_BINARYMIME = 1u << 8,   /* RFC 3030 */
	SMTP_CAP_ENHANCEDSTATUSCODES = 1u << 9, /* RFC 2034 */
	SMTP_CAP_VRFY = 1u << 10,
	SMTP_CAP_ETRN = 1u << 11,        /* RFC 1985 */
	SMTP_CAP_REQUIRETLS = 1u << 12,  /* RFC 8689 */
	SMTP_CAP_DELIVERBY = 1u << 13,   /* RFC 2852 */
	SMTP_CAP_XCLIENT = 1u << 14,     /* Postfix */
	SMTP_CAP_XFORWARD = 1u << 15,    /* Postfix */
};

enum smtp_auth_mech {
	SMTP_AUTH_PLAIN = 1u << 0,
	SMTP_AUTH_LOGIN = 1u << 1,
	SMTP_AUTH_CRAM_MD5 = 1u << 2,
	SMTP_AUTH_SCRAM_SHA_1 = 1u << 3,
	SMTP_AUTH_SCRAM_SHA_256 = 1u << 4,
	SMTP_AUTH_XOAUTH2 = 1u << 5,
	SMTP_AUTH_OAUTHBEARER = 1u << 6,
	SMTP_AUTH_DIGEST_MD5 = 1u << 7,
	SMTP_AUTH_EXTERNAL = 1u << 8,
	SMTP_AUTH_GSSAPI = 1u << 9,
	SMTP_AUTH_OTHER = 1u << 10,      /* some mechanism not listed here */
};

#define SMTP_EHLO_DOMAIN_MAX  255
#define SMTP_EHLO_AUTH_MAX    256  /* mechanisms as advertised, space-separated */
#define SMTP_EHLO_UNKNOWN_MAX 512  /* unknown keywords, space-separated */

struct smtp_caps {
	unsigned caps;             /* enum smtp_cap bits */
	unsigned auth;             /* enum smtp_auth_mech bits */
	uint64_t size_max;         /* SIZE parameter; 0 = none or no limit */
	char domain[SMTP_EHLO_DOMAIN_MAX + 1];  /* first word of line 1 */
	char auth_list[SMTP_EHLO_AUTH_MAX + 1]; /* e.g. "PLAIN LOGIN" */
	char unknown[SMTP_EHLO_UNKNOWN_MAX + 1];/* e.g. "X-FOO XEXPS" */
};

/* Fill caps from a 250 EHLO/LHLO reply.  "AUTH=PLAIN LOGIN" (the
 * pre-RFC syntax) counts as AUTH too.  Over-long lists are cut, never
 * overflowed. */
void smtp_ehlo_parse(const struct smtp_reply *reply, struct smtp_caps *caps);
/* Mechanism bit for a name ("cram-md5" -> SMTP_AUTH_CRAM_MD5), 0 if
 * unknown; case-insensitive. */
unsigned smtp_auth_mech_from_name(const char *name);
const char *smtp_auth_mech_name(unsigned mech);
/* Names of set capability bits, for reports. */
const char *smtp_cap_name(unsigned cap);

#endif
