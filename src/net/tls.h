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

/* Protocol versions (the TLS wire values), so that callers above net/
 * need not include OpenSSL to fill tls_config.min_version. */
#define TLS_VERSION_1_0 0x0301
#define TLS_VERSION_1_1 0x0302
#define TLS_VERSION_1_2 0x0303
#define TLS_VERSION_1_3 0x0304

/* What a STARTTLS-capable session does about TLS (--tls). */
enum tls_policy {
	TLS_POLICY_OFF,      /* never upgrade */
	TLS_POLICY_OPTIONAL, /* upgrade when offered */
	TLS_POLICY_REQUIRED, /* fail when the upgrade is missing or fails */
};

struct tls_context; /* opaque, see tls_context_new() */
struct tls_session_store; /* opaque, see tls_session_store_new() */

struct tls_config {
	const char *cafile;      /* NULL: the system trust store */
	const char *capath;      /* NULL: none */
	int insecure;            /* report verification failure, carry on */
	const char *server_name; /* name to verify and send as SNI; may be
				  * an IP literal (verified, not sent) */
	int min_version;         /* TLS_VERSION_1_0.. or 0 for the default */
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
	/* A client session cache (borrowed, NULL: none): when set, the
	 * client offers the session stored there for resumption and
	 * stores the session (ticket) the server gives it.  Not
	 * thread-safe: one store per loop. */
	struct tls_session_store *sessions;
	/* Allow SHA-1 signatures and short keys in the handshake (OpenSSL
	 * security level 0), to diagnose servers that offer nothing
	 * better.  Added last so that older initialisers keep working. */
	int security_level0;
};

/* The verification failure, classified for programs (JSON). */
enum tls_verify_kind {
	TLS_VERIFY_OK,
	TLS_VERIFY_EXPIRED,
	TLS_VERIFY_NOT_YET_VALID,
	TLS_VERIFY_NAME_MISMATCH,
	TLS_VERIFY_SELF_SIGNED,
	TLS_VERIFY_UNTRUSTED_ROOT,   /* the chain ends in an unknown CA */
	TLS_VERIFY_UNKNOWN_ISSUER,   /* issuer not sent and not trusted */
	TLS_VERIFY_WEAK,             /* key or signature too weak */
	TLS_VERIFY_REVOKED,
	TLS_VERIFY_NO_CERTIFICATE,
	TLS_VERIFY_OTHER,
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
	/* Added for `mailvet tls`; all "" / 0 when unknown. */
	char peer_sig[48];       /* handshake signature, "RSA-PSS+SHA256" */
	char temp_key[48];       /* ephemeral key: "X25519", "ECDH P-256" */
	int temp_key_bits;
	int intermediates_sent;  /* the server sent more than its leaf */
	int not_yet_valid;       /* leaf notBefore in the future */
	enum tls_verify_kind verify_kind;
	int name_checked;        /* a server name was given */
	int name_matches;        /* the leaf names it (whatever else fails) */
	/* The certificate the first verification failure is about (the
	 * leaf, an intermediate or the root), so that an expired
	 * intermediate is not blamed on the leaf.  fail_depth is -1 when
	 * verification did not fail on a certificate; fail_cert is then
	 * all zero. */
	int fail_depth;
	struct tls_cert_info fail_cert;
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
/* "expired", "name-mismatch", ... for JSON; "ok" when verified. */
const char *tls_verify_kind_name(enum tls_verify_kind k);

/* A store of one resumable session per store (the latest received);
 * returned-owned.  tls_session_store_free(NULL) is a no-op. */
struct tls_session_store *tls_session_store_new(void);
void tls_session_store_free(struct tls_session_store *s);
/* What the store has seen: *have a resumable session, its ticket
 * lifetime hint in seconds (0 when none), *ticket 1 when it came as a
 * session ticket (RFC 5077 / TLS 1.3) rather than a session id. */
void tls_session_store_state(const struct tls_session_store *s, int *have,
    unsigned long *lifetime_s, int *ticket);

/* Plain-words explanation of a verification failure, using the chain
 * and the name we connected to; "" when verified. */
void tls_verify_explain(long code, const struct tls_info *info, char *out,
    size_t outsz);

/* A handshake that failed because the server answered with a text
 * line instead of TLS says so in its error message as
 * TLS_PLAINTEXT_PREFIX, the line (printable ASCII, no quote), '"'.
 * tls_plaintext_answer() copies that line into out and returns 1, or
 * returns 0 for any other message.  Pure. */
#define TLS_PLAINTEXT_PREFIX "it sent in plaintext \""
int tls_plaintext_answer(const char *msg, char *out, size_t outsz);

#endif
