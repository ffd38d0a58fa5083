/*
 * session.h - what every protocol engine does the same way: time its
 * phases into the result, take over the connection's timings when it is
 * ready, and hand the connection back when the session ends.  The
 * engines keep their own state machines; this is only the plumbing.
 */
#ifndef MAILVET_PROTO_SESSION_H
#define MAILVET_PROTO_SESSION_H

#include "net/conn.h"
#include "net/tls.h"

#include <stddef.h>
#include <stdint.h>

#define SESSION_MAX_PHASES 16

struct session_timing {
	uint64_t t_start;
	uint64_t t_phase[SESSION_MAX_PHASES];
	uint64_t *phase_us;     /* the result's array, borrowed */
	unsigned *phase_done;   /* the result's bit set, borrowed */
};

void session_timing_init(struct session_timing *t, uint64_t *phase_us,
    unsigned *phase_done);
void session_phase_begin(struct session_timing *t, int ph);
void session_phase_end(struct session_timing *t, int ph);
/* Since session_timing_init(). */
uint64_t session_elapsed_us(const struct session_timing *t);
/*
 * The connection is ready: record its connect (and, when TLS is already
 * up, its handshake) time under the given phases and copy the TLS
 * parameters.  Returns whether TLS is active.
 */
int session_conn_ready(struct session_timing *t, struct conn *c,
    int connect_phase, int tls_phase, struct tls_info *tls);
/* A STARTTLS/STLS upgrade completed: record the handshake time under
 * tls_phase and copy the TLS parameters. */
void session_conn_upgraded(struct session_timing *t, struct conn *c,
    int tls_phase, struct tls_info *tls);
/* The connection failed: when the cause was a certificate that did not
 * verify, the handshake did complete, so copy what it found (the chain,
 * the reason) and the connect and handshake times, and return 1; the
 * report shows it like any other. */
int session_tls_on_error(struct session_timing *t, struct conn *c,
    const struct mv_error *err, int connect_phase, int tls_phase,
    struct tls_info *tls);
/*
 * Say a connection failure in words about where the session stood: a
 * silent greeting on a plaintext connection hints at an implicit-TLS
 * port (tls_hint, e.g. "465 does, use smtps://"); a close before the
 * greeting or in the middle of a reply (what: "a reply", "the response
 * to RETR 1") says so.  out may be err's copy.
 */
void session_explain_error(const struct mv_error *err, int at_greeting,
    int implicit_tls, int mid_reply, const char *tls_hint, const char *what,
    struct mv_error *out);
/* Remember the addresses, close the connection (*c becomes NULL). */
void session_close(struct conn **c, char *peer, size_t peersz, char *local,
    size_t localsz);

#endif
