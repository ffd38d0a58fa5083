/*
 * connect_session.h - the negotiation half of `mailvet connect`: what
 * `openssl s_client -starttls` does before it hands the terminal over.
 * Reads the greeting, asks for the capabilities (EHLO/LHLO RFC 5321 /
 * RFC 2033, CAPA RFC 2449, CAPABILITY RFC 9051), upgrades with
 * STARTTLS (RFC 3207), STLS (RFC 2595) or IMAP STARTTLS when offered or
 * required, asks for the capabilities again inside TLS, then passes
 * bytes both ways: lines from the owner go out with CRLF, server bytes
 * come back as they arrive.  Implicit TLS (smtps, submissions, pop3s,
 * imaps) starts with the handshake.
 *
 * The engine prints nothing: it reports through callbacks and the owner
 * (cli/cmd_connect.c) decides what the user sees.  A certificate that
 * does not verify ends the session (MV_ERR_TLS) unless the TLS config
 * says insecure; on_tls is called first either way, so the certificate
 * can be shown.  STARTTLS is refused when plaintext follows the
 * server's go-ahead (the STARTTLS-injection class).
 *
 * Errors: on_end once with the error (MV_ERR_CLOSED when the server
 * closed the connection).  After connect_session_close() no callback
 * runs.
 */
#ifndef MAILVET_CHECK_CONNECT_SESSION_H
#define MAILVET_CHECK_CONNECT_SESSION_H

#include "core/error.h"
#include "net/conn.h"
#include "net/tls.h"

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define CONNECT_NEGOTIATION_MAX (64 * 1024) /* one reply while negotiating */

struct connect_session;

struct connect_params {
	enum target_proto proto;       /* SMTP, LMTP, POP3, IMAP */
	enum tls_policy tls_policy;    /* for STARTTLS-capable schemes */
	const char *helo_name;         /* EHLO/LHLO argument, borrowed */
	uint64_t greeting_timeout_ms;  /* 0 = 60 s */
	uint64_t command_timeout_ms;   /* each negotiation reply; 0 = 60 s */
};

struct connect_callbacks {
	/* Bytes from the server, during negotiation and after. */
	void (*on_server)(const char *data, size_t len, void *arg);
	/* A command the engine sent on its own, without CRLF. */
	void (*on_client)(const char *line, void *arg);
	/* Connected (peer and local address known). */
	void (*on_connected)(const char *peer, const char *local, void *arg);
	/* TLS is up; verified or not (ti->verified), before any decision. */
	void (*on_tls)(const struct tls_info *ti, int implicit, void *arg);
	/* A note in words ("STARTTLS not offered; staying in plaintext"). */
	void (*on_note)(const char *text, void *arg);
	/* Negotiation over: the session belongs to the owner now. */
	void (*on_ready)(void *arg);
	/* Once, at the end, with what ended it. */
	void (*on_end)(const struct mv_error *err, void *arg);
};

/* cp is copied; what it points to (target, tls config) is borrowed and
 * must outlive the session.  Returns NULL with err. */
struct connect_session *connect_session_start(uv_loop_t *loop,
    const struct conn_params *cp, const struct connect_params *p,
    const struct connect_callbacks *cb, void *arg, struct mv_error *err);
/* Send one line (line without its end; CRLF is added).  Only after
 * on_ready.  Returns 0, or -1 when the session is gone. */
int connect_session_send_line(struct connect_session *s, const char *line,
    size_t len);
/* Close the connection (close_notify over TLS) and free the session
 * once libuv is done with it.  No callback afterwards.  NULL is fine. */
void connect_session_close(struct connect_session *s);

#endif
