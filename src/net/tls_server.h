/*
 * tls_server.h - TLS server side over memory BIOs (OpenSSL 3), for the
 * sink's STARTTLS (RFC 3207) and implicit-TLS (RFC 8314) listeners.
 * Like tls_client it knows nothing of the event loop: the caller feeds
 * ciphertext in, reads plaintext out, writes plaintext and drains the
 * ciphertext to send.  One context (certificate and key, loaded once)
 * is shared by every connection and thread.
 *
 * Errors: -1 with struct mv_error category MV_ERR_TLS (MV_ERR_USAGE
 * for an unreadable certificate or key).
 */
#ifndef MAILVET_NET_TLS_SERVER_H
#define MAILVET_NET_TLS_SERVER_H

#include "core/buf.h"
#include "core/error.h"

#include <stddef.h>
#include <sys/types.h>

struct tls_server_ctx;
struct tls_server;

/* Certificate chain and key, PEM files (borrowed names).
 * Returned-owned. */
struct tls_server_ctx *tls_server_ctx_new(const char *cert_file,
    const char *key_file, struct mv_error *err);
void tls_server_ctx_free(struct tls_server_ctx *ctx);

/* A session on ctx (borrowed, must outlive it).  Returned-owned. */
struct tls_server *tls_server_new(struct tls_server_ctx *ctx,
    struct mv_error *err);
void tls_server_free(struct tls_server *t);

/* Ciphertext from the peer (all of it is taken). */
int tls_server_feed(struct tls_server *t, const void *p, size_t n,
    struct mv_error *err);
/* Advance the handshake and decrypt: up to max bytes of plaintext into
 * out.  Returns the count, 0 when nothing more can be had now, -1 on
 * a handshake or record error. */
ssize_t tls_server_read(struct tls_server *t, void *out, size_t max,
    struct mv_error *err);
/* Encrypt n bytes of plaintext (after the handshake). */
int tls_server_write(struct tls_server *t, const void *p, size_t n,
    struct mv_error *err);
/* Append the ciphertext waiting to be sent to out (bounded by its
 * max; -1 when it does not fit). */
int tls_server_drain(struct tls_server *t, struct buf *out);
int tls_server_handshake_done(const struct tls_server *t);
/* "TLSv1.3", "" before the handshake. */
const char *tls_server_version(const struct tls_server *t);

#endif
