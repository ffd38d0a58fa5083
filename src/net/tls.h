/*
 * tls.h - TLS client over memory BIOs (OpenSSL 3), independent of the
 * event loop: the connection layer moves ciphertext between the socket
 * and this module; engines only ever see plaintext.
 *
 * Verification is on by default (system store or cafile, host name or
 * IP address checked).  The handshake always completes when the peer
 * allows it, so the certificate can be reported even when it does not
 * verify; tls_client_verify_error() then tells in plain words why, and
 * the caller decides (--insecure) whether to continue.
 *
 * Errors: -1 with struct mv_error category MV_ERR_TLS.
 */
#ifndef MAILVET_NET_TLS_H
#define MAILVET_NET_TLS_H

#include "core/buf.h"
#include "core/error.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TLS_CHAIN_MAX 8

/* What a STARTTLS-capable session does about TLS (--tls). */
enum tls_policy {
	TLS_POLICY_OFF,      /* never upgrade */
	TLS_POLICY_OPTIONAL, /* upgrade when offered */
	TLS_POLICY_REQUIRED, /* fail when the upgrade is missing or fails */
};

struct tls_context; /* opaque, see tls_context_new() */

struct tls_config {
	const char *cafile;      /* NULL: the system trust store */
	const char *capath;      /* NULL: none */
	int insecure;            /* report verification failure, carry on */
	const char *server_name; /* name to verify and send as SNI; may be
				  * an IP literal (verified, not sent) */
	int min_version;         /* TLS1_VERSION.. or 0 for the default */
	int max_version;         /* 0 for the highest supported */
	const char *cipher_list; /* TLS <= 1.2, NULL for the default */
	const char *ciphersuites; /* TLS 1.3, NULL for the default */
	const char *cert_file;   /* client certificate (PEM), optional */
	const char *key_file;
	/* A context prepared once with tls_context_new() (borrowed): the
	 * trust store, versions, ciphers and client certificate then come
	 * from it and the fields above that configure them are ignored.
	 * Loading the system trust store costs tens of milliseconds, so
	 * the load generator shares one context between every connection
	 * and thread.  NULL: each client builds its own. */
	struct tls_context *shared;
};

struct tls_cert_info {
	char subject[256];
	char issuer[256];
	char san[1024];          /* "DNS:a, DNS:b, IP:1.2.3.4" */
	char not_before[32];     /* "2026-11-25 13:59:00 UTC" */
	char not_after[32];
	time_t not_after_t;
	time_t not_before_t;
	char sha256[96];         /* "AB:CD:..." */
	char key_type[16];       /* "RSA", "EC", "ED25519" */
	int key_bits;
	char sig_alg[48];
	int self_issued;         /* subject == issuer */
};

struct tls_info {
	char version[16];        /* "TLSv1.3" */
	char cipher[64];
	char group[32];          /* key exchange group, "" if unknown */
	int cipher_bits;
	int verified;            /* chain and name verified */
	long verify_code;        /* X509_V_OK or an X509_V_ERR_* */
	char verify_error[512];  /* plain words, "" when verified */
	char server_name[256];   /* what we checked the certificate against */
	size_t chain_len;        /* certificates the server sent */
	struct tls_cert_info chain[TLS_CHAIN_MAX];
	int session_reused;
};

struct tls_client; /* opaque */

/* Build a shareable client context from cfg (cfg->shared ignored);
 * returned-owned.  Thread-safe to use from many clients at once; free
 * it after the last client using it. */
struct tls_context *tls_context_new(const struct tls_config *cfg,
    struct mv_error *err);
void tls_context_free(struct tls_context *c);

struct tls_client *tls_client_new(const struct tls_config *cfg,
    struct mv_error *err);
void tls_client_free(struct tls_client *t);

/* Ciphertext received from the network. */
int tls_client_feed(struct tls_client *t, const void *p, size_t n,
    struct mv_error *err);
/* Advance the handshake: 1 done, 0 needs more input, -1 failed. */
int tls_client_handshake(struct tls_client *t, struct mv_error *err);
/* Decrypt into out (appending): returns bytes appended (0 when none are
 * available yet), or -1 on error; sets *eof when the peer sent
 * close_notify. */
long tls_client_read(struct tls_client *t, struct buf *out, int *eof,
    struct mv_error *err);
/* Encrypt plaintext for sending. */
int tls_client_write(struct tls_client *t, const void *p, size_t n,
    struct mv_error *err);
/* Move all pending ciphertext to send into out (appending). */
int tls_client_drain(struct tls_client *t, struct buf *out);
/* After the handshake: parameters, chain, verification. */
void tls_client_info(struct tls_client *t, struct tls_info *info);
/* Queue close_notify (drain afterwards). */
void tls_client_shutdown(struct tls_client *t);
/* Plain-words explanation of a verification failure, using the chain
 * and the name we connected to; "" when verified. */
void tls_verify_explain(long code, const struct tls_info *info, char *out,
    size_t outsz);

#endif
