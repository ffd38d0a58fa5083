/*
 * error.h - structured errors shared by every layer.
 *
 * Functions return 0 on success and -1 on failure, filling a caller-owned
 * struct mv_error with a category and a plain-words message.  Only cli/
 * turns a category into an exit code (docs/exit-codes.md).
 */
#ifndef MAILVET_CORE_ERROR_H
#define MAILVET_CORE_ERROR_H

#include <stdarg.h>
#include <stddef.h>

enum mv_errcat {
	MV_ERR_NONE = 0,
	MV_ERR_INTERNAL,      /* a bug or resource exhaustion in mailvet */
	MV_ERR_USAGE,         /* the user asked for something impossible */
	MV_ERR_DNS,           /* the name did not resolve */
	MV_ERR_CONNECT,       /* no address accepted the connection */
	MV_ERR_TIMEOUT,       /* a phase ran past its timeout */
	MV_ERR_TLS,           /* handshake or certificate verification */
	MV_ERR_PROTOCOL,      /* the server broke the protocol */
	MV_ERR_LACKS_FEATURE, /* the server lacks a required extension */
	MV_ERR_REJECTED,      /* the server refused a command */
	MV_ERR_CLOSED,        /* the server closed the connection early */
};

#define MV_ERROR_MSG_MAX 512

struct mv_error {
	enum mv_errcat cat;
	char msg[MV_ERROR_MSG_MAX];
};

/* Set category and message; always returns -1 so callers can
 * `return mv_error_set(...)`.  err may be NULL. */
int mv_error_set(struct mv_error *err, enum mv_errcat cat, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));
/* The same with a va_list, for wrappers that add their own context. */
int mv_error_vset(struct mv_error *err, enum mv_errcat cat, const char *fmt,
    va_list ap) __attribute__((format(printf, 3, 0)));
void mv_error_clear(struct mv_error *err);
/* Stable lower-case name used in JSON ("connect", "tls", ...). */
const char *mv_errcat_name(enum mv_errcat cat);

#endif
