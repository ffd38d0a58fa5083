/*
 * tls_dialog.h - the smallest dialog that gets a mail listener into TLS,
 * for `mailvet tls`: greeting, the capability command (EHLO/LHLO, CAPA,
 * CAPABILITY, or the ManageSieve greeting), optionally MAIL FROM:<> and
 * RSET in plaintext (submission policy), STARTTLS/STLS, the handshake,
 * then the closing command (QUIT/LOGOUT) read to the end so that TLS 1.3
 * session tickets arrive.  One dialog per connection; many run side by
 * side on one loop (the version sweep, resumption, injection).
 *
 * Why not the smtp/pop3/imap engines: they stop at the first plaintext
 * that follows a go-ahead (as a client must), do not speak ManageSieve,
 * and copy the TLS details before any ticket arrives.  This dialog is
 * deliberately dumb and bounded: lines of at most 4 KiB, 64 KiB per
 * response, one reply deadline per wait.
 *
 * The injection mode writes STARTTLS and a second command in one
 * segment and records what the server answered: before the handshake
 * (in plaintext) or after it (inside TLS, the vulnerability).
 *
 * Errors: tls_dialog_start() returns -1 with err only when nothing could
 * start; afterwards the outcome is in the result and on_done runs once.
 */
#ifndef MAILVET_CHECK_TLS_DIALOG_H
#define MAILVET_CHECK_TLS_DIALOG_H

#include "check/tls_caps.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/transcript.h"
#include "net/conn.h"
#include "net/tls.h"

#include <stdint.h>
#include <uv.h>


struct tls_dialog_params {
	enum tls_dialog_proto proto;
	int implicit;                /* TLS from the first byte */
	int no_starttls;             /* plaintext only: stop after caps */
	int mail_before_tls;         /* submission: MAIL FROM:<>, RSET */
	int inject;                  /* pipeline a command with STARTTLS */
	const char *helo_name;
	uint64_t greeting_timeout_ms;
	uint64_t command_timeout_ms;
};

#define TLS_DIALOG_POST_MAX 16384

struct tls_dialog_result {
	int connected;
	char peer[160];
	char greeting[256];
	int caps_seen;
	char caps[1024];             /* keywords, space-separated */
	int starttls_offered;
	char auth[256];              /* SASL mechanisms offered */
	int login_allowed;           /* IMAP LOGIN (no LOGINDISABLED) or
				      * POP3 USER offered */
	int mail_code;               /* 0: not sent */
	char mail_reply[256];
	int starttls_code;           /* 1 accepted, -1 refused, 0 not sent */
	char starttls_reply[256];
	int tls_active;
	struct tls_info tls;
	double tls_ms;
	/* injection: what the server sent after the STARTTLS go-ahead in
	 * plaintext, and inside TLS before the close */
	char pre_tls_extra[256];
	struct buf post_tls;         /* owned, lines as received */
	int closed_cleanly;          /* the closing command was answered */
	struct mv_error err;
	int err_in_tls;              /* err arose in the handshake */
};

struct tls_dialog;
typedef void (*tls_dialog_done_cb)(struct tls_dialog *d, void *arg);

/* cp, p and res are borrowed until on_done; res is initialised here
 * (free it with tls_dialog_result_free). */
struct tls_dialog *tls_dialog_start(uv_loop_t *loop,
    const struct conn_params *cp, const struct tls_dialog_params *p,
    struct tls_dialog_result *res, tls_dialog_done_cb on_done, void *arg,
    struct mv_error *err);
void tls_dialog_free(struct tls_dialog *d);
/* Stop the dialog now (the command's overall deadline): err becomes the
 * result's error unless the dialog was already past its handshake, and
 * on_done runs before this returns.  No-op once done. */
void tls_dialog_abort(struct tls_dialog *d, const struct mv_error *err);
void tls_dialog_result_free(struct tls_dialog_result *r);

/* The closing command's answer analysed for the injection test:
 * 1 when the server answered the pipelined command inside TLS, 0 when
 * not; evidence gets the line that shows it.  post holds the lines the
 * server sent after the handshake.  Pure. */
int tls_dialog_injection_answered(enum tls_dialog_proto proto,
    const char *post, size_t len, char *evidence, size_t evsz);

#endif
