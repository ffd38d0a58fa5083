/*
 * conn.h - one client connection on a libuv loop: resolve, connect over
 * every resolved address in turn, optional source address, UNIX-domain
 * sockets, and TLS as a property of the connection (implicit from the
 * first byte, or upgraded on request after STARTTLS/STLS).
 *
 * Engines see only plaintext through on_read and write with
 * conn_write(); whether TLS is active is invisible to them.  One timer
 * per connection serves the connect and handshake timeouts and the
 * engine's reply deadlines (conn_set_timeout).
 *
 * Errors: after on_error the connection delivers no more callbacks and
 * the owner must call conn_close().  conn_close() is asynchronous; the
 * memory is released after libuv has closed the handles, and no
 * callback runs after conn_close() returns.
 */
#ifndef MAILVET_NET_CONN_H
#define MAILVET_NET_CONN_H

#include "core/error.h"
#include "core/transcript.h"
#include "net/target.h"
#include "net/tls.h"

#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

struct conn;

struct conn_callbacks {
	/* Connected, and for implicit TLS the handshake is done. */
	void (*on_ready)(struct conn *c, void *arg);
	/* Plaintext from the server; data is valid during the call only. */
	void (*on_read)(struct conn *c, const char *data, size_t len,
	    void *arg);
	/* A conn_starttls() handshake completed. */
	void (*on_tls)(struct conn *c, void *arg);
	/* The connection failed (also: closed by the server, timeout). */
	void (*on_error)(struct conn *c, const struct mv_error *err,
	    void *arg);
};

struct conn_params {
	const struct target *target;     /* borrowed, kept for the lifetime */
	int family;                      /* AF_UNSPEC, AF_INET or AF_INET6 */
	const char *source;              /* local address to bind, or NULL */
	uint64_t connect_timeout_ms;     /* per address tried; 0 = 30 s */
	uint64_t tls_timeout_ms;         /* handshake; 0 = 30 s */
	const struct tls_config *tls;    /* borrowed; NULL = defaults */
	struct transcript *tr;           /* borrowed, may be NULL */
	size_t max_read_buffer;          /* plaintext per read; 0 = 1 MiB */
	/* Load the trust store in conn_start(), before the clock of the
	 * session starts, when TLS will or may be used. */
	int prepare_tls;
	/* An address resolved beforehand (borrowed, NULL: resolve the
	 * target's host): the load generator resolves once, not once per
	 * connection. */
	const struct sockaddr *addr;
	unsigned addrlen;
};

struct conn_timings {
	uint64_t resolve_us;
	uint64_t connect_us;             /* the attempt that succeeded */
	uint64_t tls_us;                 /* last handshake */
};

/* Returns NULL with err on allocation failure.  Nothing happens until
 * conn_start(). */
struct conn *conn_new(uv_loop_t *loop, const struct conn_params *p,
    const struct conn_callbacks *cb, void *arg, struct mv_error *err);
int conn_start(struct conn *c, struct mv_error *err);
/* Queue bytes (copied); errors arrive through on_error. */
int conn_write(struct conn *c, const void *p, size_t n);
/*
 * Write n pieces as one batch (one writev on a plaintext socket, one
 * TLS record stream otherwise), without copying what the kernel takes
 * at once: only a remainder the socket cannot take now is copied and
 * queued.  The pieces are borrowed for the call only.  The load
 * generator's path; errors arrive through on_error like conn_write's.
 */
int conn_writev(struct conn *c, const uv_buf_t *bufs, size_t n);
/* Begin the TLS handshake now (after the server's go-ahead). */
int conn_starttls(struct conn *c);
/* Arm the single timer: when it fires, on_error reports a timeout
 * "while waiting for <what>".  0 disarms. */
void conn_set_timeout(struct conn *c, uint64_t ms, const char *what);
/* Send close_notify when TLS is up, then close.  Safe on NULL. */
void conn_close(struct conn *c);

int conn_tls_active(const struct conn *c);
/* Valid once TLS is active; NULL otherwise. */
const struct tls_info *conn_tls_info(const struct conn *c);
const struct conn_timings *conn_timings(const struct conn *c);
/* "127.0.0.1:2525", "[::1]:25" or the UNIX path; "" before connect. */
const char *conn_peer(const struct conn *c);
const char *conn_local(const struct conn *c);

#endif
