/*
 * smtp_client.h - the event-driven SMTP/LMTP client engine (RFC 5321,
 * LMTP RFC 2033, STARTTLS RFC 3207, AUTH RFC 4954, PIPELINING RFC 2920).
 *
 * One engine serves the probes and (later) the load generator: a
 * session runs on a libuv loop over a struct conn, takes its parameters
 * in struct smtp_client_params, fills struct smtp_client_result and
 * calls on_done once.  It never prints, exits or reads options.
 *
 * Secrets: AUTH exchanges enter the transcript redacted unless
 * params.show_secrets is set.
 *
 * Bench mode (params.next_txn set): after EHLO, STARTTLS and AUTH the
 * session runs transactions one after another, asking next_txn for
 * each and reporting each through txn_done; the single-message fields
 * of the params (rcpt, message, quit_after) are then unused.  With
 * PIPELINING offered and asked for, MAIL, every RCPT and DATA go in
 * one write, and a message's body goes in one write with the next
 * transaction's envelope (RFC 2920 3.1): at most two transactions are
 * in flight, their replies matched in order.  With CHUNKING offered
 * and asked for, BDAT <n> LAST carries the message (RFC 3030), and
 * pipelined transactions go whole in one write each.  No allocation
 * per message; reply texts are kept in small fixed buffers only.
 */
#ifndef MAILVET_PROTO_SMTP_CLIENT_H
#define MAILVET_PROTO_SMTP_CLIENT_H

#include "core/error.h"
#include "core/transcript.h"
#include "net/conn.h"
#include "net/tls.h"
#include "proto/smtp_ehlo.h"
#include "proto/smtp_queue_id.h"

#include <stdint.h>
#include <uv.h>

/* Phases, in the order a session goes through them. */
enum smtp_phase {
	SMTP_PHASE_CONNECT,
	SMTP_PHASE_TLS,      /* implicit TLS or the STARTTLS handshake */
	SMTP_PHASE_BANNER,
	SMTP_PHASE_EHLO,
	SMTP_PHASE_STARTTLS, /* the STARTTLS command and its 220 */
	SMTP_PHASE_EHLO_TLS, /* EHLO again, over TLS (RFC 3207 4.2) */
	SMTP_PHASE_AUTH,
	SMTP_PHASE_MAIL,
	SMTP_PHASE_RCPT,
	SMTP_PHASE_DATA,
	SMTP_PHASE_EOD,      /* message sent, final reply(ies) received */
	SMTP_PHASE_QUIT,
	SMTP_PHASE_COUNT
};


/* One transaction for bench mode, filled by next_txn.  Everything
 * pointed to is borrowed until txn_done has been called for it. */
#define SMTP_TXN_PATCH_MAX 32
#define SMTP_TXN_TEXT_MAX  120

struct smtp_txn {
	const char *mail_from;        /* "" for the null sender */
	const char *const *rcpt;
	size_t nrcpt;                 /* 1 .. params.txn_max_rcpt */
	const char *data;             /* dot-stuffed, with ".\r\n" */
	size_t data_len;
	const char *raw;              /* the same unstuffed, for BDAT; may be
				       * NULL (then no BDAT) */
	size_t raw_len;
	/* On the wire the patch_len bytes at patch_off (the same offset in
	 * both forms: it must lie in the first header line) are replaced
	 * by patch: a per-message id without a per-message copy. */
	size_t patch_off;
	size_t patch_len;             /* 0: none */
	char patch[SMTP_TXN_PATCH_MAX];
	uint64_t intended_us;         /* clock_now_us() it was due; 0: now */
	uint64_t id;                  /* the caller's */
	void *user;                   /* the caller's */
};

enum smtp_txn_outcome {
	SMTP_TXN_ACCEPTED,            /* 2xx after the message (LMTP: for
				       * every accepted recipient) */
	SMTP_TXN_REJECTED,            /* a reply refused it */
	SMTP_TXN_ABORTED,             /* the session ended first */
};

struct smtp_txn_result {
	enum smtp_txn_outcome outcome;
	enum smtp_phase failed_phase; /* rejected/aborted: where */
	int code;                     /* the refusing reply, 0 when none */
	char enh[16];
	char text[SMTP_TXN_TEXT_MAX]; /* its first line, cut to fit */
	size_t rcpt_accepted;
	size_t rcpt_rejected;
	size_t deliveries;            /* recipients the message reached */
	unsigned replies[6];          /* this transaction's replies by
				       * first digit */
	uint64_t phase_us[SMTP_PHASE_COUNT]; /* mail, rcpt, data,
				       * end_of_data: waits for replies */
	unsigned phase_done;          /* bit per phase measured */
	uint64_t start_us;            /* its first command was written */
	uint64_t latency_us;          /* intended (or start) to last reply */
	uint64_t wire_bytes;          /* message bytes written */
	int pipelined;
	int chunked;                  /* BDAT */
	struct mv_error err;          /* aborted: the session's error */
};

/* 1: *t filled; 0: no more, end the session (QUIT); 2: not yet (an
 * open-loop schedule), the caller calls smtp_client_resume() later. */
typedef int (*smtp_next_txn_cb)(void *arg, struct smtp_txn *t);
typedef void (*smtp_txn_done_cb)(void *arg, const struct smtp_txn *t,
    const struct smtp_txn_result *r);

struct smtp_client_params {
	int lmtp;                     /* LHLO, one final reply per recipient */
	const char *helo_name;        /* our EHLO name */
	enum tls_policy tls;
	const char *auth_user;        /* NULL: no AUTH */
	const char *auth_pass;
	const char *auth_mech;        /* NULL or "auto": the strongest */
	const char *auth_authzid;     /* NULL: none */
	int show_secrets;             /* AUTH exchanges in clear */
	const char *mail_from;        /* "" for the null sender */
	const char *const *rcpt;      /* borrowed */
	size_t nrcpt;
	const char *message;          /* dot-stuffed, with ".\r\n"; borrowed */
	size_t message_len;
	int eight_bit;                /* message has 8-bit bytes */
	int utf8_addresses;           /* needs SMTPUTF8 */
	int pipelining;               /* use PIPELINING when offered */
	/* Stop cleanly (QUIT) after this phase; SMTP_PHASE_COUNT = all. */
	enum smtp_phase quit_after;
	uint64_t banner_timeout_ms;
	uint64_t command_timeout_ms;  /* every other reply */
	uint64_t data_timeout_ms;     /* the reply to the end of data */
	/* Bench mode (see the top of this file); NULL: one message. */
	smtp_next_txn_cb next_txn;
	smtp_txn_done_cb txn_done;
	void *txn_arg;
	size_t txn_max_rcpt;          /* most recipients of a transaction */
	int chunking;                 /* BDAT when CHUNKING is offered */
};

struct smtp_reply_copy {
	int code;                     /* 0: no reply */
	char enh[16];
	char *text;                   /* owned; lines joined by '\n' */
};

struct smtp_rcpt_result {
	const char *address;          /* borrowed from params */
	struct smtp_reply_copy reply; /* to RCPT TO */
	struct smtp_reply_copy lmtp;  /* LMTP: final reply for it */
};

struct smtp_client_result {
	struct smtp_reply_copy banner;
	struct smtp_reply_copy ehlo;      /* the last EHLO/LHLO/HELO reply */
	struct smtp_caps caps;            /* the last EHLO's */
	int have_caps;
	struct smtp_caps caps_plain;      /* before STARTTLS */
	int have_caps_plain;
	int helo_fallback;
	int starttls_offered;             /* in the plaintext EHLO */
	int implicit_tls;
	int tls_active;
	struct smtp_reply_copy starttls;
	struct tls_info tls;              /* valid when tls_active */
	int auth_attempted;
	int auth_ok;
	char auth_mech[32];
	char auth_user[256];
	struct smtp_reply_copy auth;
	struct smtp_reply_copy mail;
	struct smtp_rcpt_result *rcpt;    /* owned, nrcpt entries */
	size_t nrcpt;
	size_t rcpt_accepted;
	struct smtp_reply_copy data;
	struct smtp_reply_copy eod;       /* SMTP final reply */
	char queue_id[SMTP_QUEUE_ID_MAX + 1];
	int pipelined;                    /* envelope was pipelined */
	int quit_sent;
	int quit_ok;                      /* 221 received */
	size_t bare_lf_lines;             /* replies ending in LF only */
	uint64_t phase_us[SMTP_PHASE_COUNT];
	unsigned phase_done;              /* bit per completed phase */
	uint64_t total_us;
	enum smtp_phase failed_phase;     /* valid when err.cat != NONE */
	struct mv_error err;
	char peer[160];
	char local[160];
	unsigned replies[6];              /* every reply, by first digit */
	uint64_t txns_started;            /* bench mode */
	int chunking;                     /* bench mode: BDAT in use */
};

struct smtp_client;

typedef void (*smtp_client_done_cb)(struct smtp_client *s, void *arg);

/* Start a session: conn parameters, engine parameters (both borrowed
 * until on_done), the result to fill (borrowed, initialised here) and
 * the transcript (borrowed, may be NULL).  Returns NULL with err when
 * nothing could start; otherwise on_done is called exactly once. */
struct smtp_client *smtp_client_start(uv_loop_t *loop,
    const struct conn_params *cp, const struct smtp_client_params *p,
    struct smtp_client_result *res, struct transcript *tr,
    smtp_client_done_cb on_done, void *arg, struct mv_error *err);
/* Bench mode: next_txn said "not yet" (2); ask it again now.  A
 * no-op in any other state. */
void smtp_client_resume(struct smtp_client *s);
/* Bench mode: finish the transactions in flight, then QUIT, without
 * asking next_txn again. */
void smtp_client_drain(struct smtp_client *s);
/* Bench mode: end the session now (the connection is closed, no
 * QUIT): the transactions in flight are reported aborted, then on_done
 * is called, before this returns.  A no-op once finished.  Call it
 * from outside the engine's callbacks. */
void smtp_client_abort(struct smtp_client *s);
/* Release the engine after on_done (or to abort: no callback then). */
void smtp_client_free(struct smtp_client *s);
void smtp_client_result_free(struct smtp_client_result *r);

const char *smtp_phase_name(enum smtp_phase ph);
/* Parse a phase name as used by --quit-after; -1 when unknown. */
int smtp_phase_from_name(const char *name);

#endif
