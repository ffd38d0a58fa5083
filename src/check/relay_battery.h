/*
 * relay_battery.h - the open-relay battery of `mailvet relay`: a table
 * of documented attempts (docs/mailvet-relay.md), each a sender and a
 * recipient formed from templates, and the pure helpers the probe needs
 * (IP literals, address/CIDR matching, the default local domain).
 *
 * Address forms follow RFC 5321 4.1.2 (Path, quoted local parts,
 * address literals "[192.0.2.1]" and "[IPv6:...]", the obsolete source
 * routes "@host,@host:user@domain" of 4.1.1.3 and appendix C) and the
 * historic relay hacks: RFC 1123's "%" hack and UUCP "!" bang paths.
 *
 * No I/O.  Functions return 0 or -1 with struct mv_error (MV_ERR_USAGE
 * for values that cannot form an address).
 */
#ifndef MAILVET_CHECK_RELAY_BATTERY_H
#define MAILVET_CHECK_RELAY_BATTERY_H

#include "core/error.h"
#include "report/relay_report.h"

#include <stddef.h>

/*
 * One attempt.  mail_from and rcpt are templates:
 *   %u %U  foreign recipient's local part (%U upper-case)
 *   %f %F  foreign domain (%F upper-case)
 *   %l %L  the server's own mail domain (%L upper-case)
 *   %i     the server's IP literal, "[192.0.2.1]" or "[IPv6:2001:db8::1]"
 *   %s     our sender's local part (used with the foreign domain)
 *   %r     the local recipient (a whole address)
 *   %S %P  the spoofed local sender (%P: its local part only)
 *   %a     the logged-in user's own address
 *   %o     another local user's address
 *   %%     a literal '%'
 */
struct relay_attempt_def {
	const char *id;
	enum relay_kind kind;
	const char *mail_from;
	const char *rcpt;
	const char *description;
};

struct relay_battery_params {
	const char *local_domain;     /* required */
	const char *foreign_user;     /* required */
	const char *foreign_domain;   /* required */
	const char *sender_user;      /* required */
	const char *ip_literal;       /* NULL/"": attempts needing %i skip */
	const char *local_rcpt;       /* required for the control */
	const char *local_sender;     /* required: postmaster@domain */
	const char *auth_address;     /* NULL: no authenticated attempts */
	const char *other_sender;     /* NULL: auth-other-local skips */
};

/* An attempt with its addresses formed. */
struct relay_attempt {
	const struct relay_attempt_def *def;
	char mail_from[RELAY_ADDR_MAX];
	char rcpt[RELAY_ADDR_MAX];
	int skip;                     /* a value the form needs is missing */
	char skip_why[128];
};

/* The whole table (static); *n receives its length. */
const struct relay_attempt_def *relay_battery_table(size_t *n);
/* Attempts of one kind in the table. */
size_t relay_battery_count(enum relay_kind kind);

/*
 * Expand a template into out.  Returns 0, or -1 with why filled when a
 * value it needs is missing (the attempt is skipped, not an error) or
 * the result does not fit.
 */
int relay_expand(const char *tmpl, const struct relay_battery_params *p,
    char *out, size_t outsz, char *why, size_t whysz);

/*
 * Form every attempt of the table whose kind is wanted (bit 1 << kind
 * in kinds) into out (max entries); *n receives the count.  -1 with
 * err when out is too small or a required parameter is missing.
 */
int relay_battery_build(const struct relay_battery_params *p,
    unsigned kinds, struct relay_attempt *out, size_t max, size_t *n,
    struct mv_error *err);

/* "192.0.2.1" -> "[192.0.2.1]", "::1" -> "[IPv6:::1]"; -1 if not an
 * IP address. */
int relay_ip_literal(const char *addr, char *out, size_t outsz);
/* The address of "192.0.2.1:25" or "[::1]:25" (conn_peer/conn_local
 * form); -1 when it has no port part. */
int relay_addr_strip_port(const char *hostport, char *out, size_t outsz);
/*
 * Does address addr match pattern: an address ("192.0.2.1", "::1") or
 * a CIDR network ("192.0.2.0/24", "2001:db8::/32")?  1 yes, 0 no, -1
 * when pattern is not valid (addr not being an address is a "no").
 */
int relay_addr_match(const char *pattern, const char *addr);
/*
 * The mail domain to assume from the server's host name (EHLO/banner):
 * the parent domain when the name has three labels or more
 * ("mail.example.org" -> "example.org"), else the name itself.  A
 * trailing dot is dropped.  -1 when name is empty, not a host name, or
 * not a dotted name whose last label has a letter ("localhost",
 * "ESMTP", "127.0.0.1" give no mail domain).
 */
int relay_default_domain(const char *name, char *out, size_t outsz);
/* 1 when s is usable as a domain: LDH labels separated by dots. */
int relay_domain_valid(const char *s);
/* 1 when s is usable as an unquoted local part (RFC 5322 dot-atom,
 * without '%', '!' and '@', at most 64 bytes). */
int relay_local_part_valid(const char *s);

#endif
