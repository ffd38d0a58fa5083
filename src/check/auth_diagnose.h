/*
 * auth_diagnose.h - turn what a server said when it refused a login into
 * what the user should check, in plain words: POP3 response codes (RFC
 * 2449 8, RFC 3206) and IMAP response codes (RFC 5530).  No I/O.
 */
#ifndef MAILVET_CHECK_AUTH_DIAGNOSE_H
#define MAILVET_CHECK_AUTH_DIAGNOSE_H

#include "core/error.h"

#include <stddef.h>

struct auth_failure {
	const char *code;       /* response code without brackets, or "" */
	const char *text;       /* the server's words, or "" */
	enum mv_errcat cat;     /* the engine's error category */
	int tls_active;         /* the login was attempted over TLS */
};

/* Write one or two sentences of advice into out. */
void auth_diagnose(const struct auth_failure *f, char *out, size_t outsz);

#endif
