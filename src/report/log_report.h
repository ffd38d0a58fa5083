/*
 * log_report.h - the results of `mailvet log`: one record per message
 * (its recipients, their deliveries and mailbox saves, its timeline)
 * and the summary with its counter tables.  The log correlator
 * (logscan/logscan.h) fills these; the renderers (log_render.h) walk
 * them.  They live in report/ so that renderers never look up at the
 * logscan layer (layers point down only).  Nothing here prints.
 *
 * Strings are owned by the struct that holds them and come from the
 * log: untrusted, any bytes (renderers escape them).
 */
#ifndef MAILVET_REPORT_LOG_REPORT_H
#define MAILVET_REPORT_LOG_REPORT_H

#include "core/histogram.h"

#include <stddef.h>
#include <stdint.h>

enum log_status {
	LOG_STATUS_NONE = 0,
	LOG_STATUS_SENT,
	LOG_STATUS_DEFERRED,
	LOG_STATUS_BOUNCED,
	LOG_STATUS_EXPIRED,
	LOG_STATUS_REJECTED,
	LOG_STATUS_DISCARDED,
	LOG_STATUS_OTHER,      /* a status word we do not know */
};

/* "sent", "deferred"...; "other" for unknown values. */
const char *log_status_name(enum log_status s);

/*
 * A bounded string-keyed table of counters (filled by
 * logscan/log_count.h): each key carries LOG_COUNT_COLS counters whose
 * meaning the filler chooses.
 */
#define LOG_COUNT_COLS 4
#define LOG_COUNT_KEY_MAX 256     /* longer keys are cut (and marked) */

struct log_count_entry {
	const char *key;          /* owned by the table, NUL-terminated */
	uint32_t keylen;
	uint32_t hash;
	uint64_t n[LOG_COUNT_COLS];
};

struct log_count {
	struct log_count_entry *slot;   /* owned; key NULL when free */
	size_t nslot, nkeys, max_keys;
	uint64_t overflow[LOG_COUNT_COLS];
	struct log_count_chunk *chunks; /* owned key storage */
};

/*
 * The k entries with the largest counter col (ties by key; col
 * LOG_COUNT_COLS: the sum of all columns), written
 * into out (caller's array of k pointers, borrowed from the table).
 * Returns how many were written.
 */
size_t log_count_top(const struct log_count *c, int col, size_t k,
    const struct log_count_entry **out);

/* One line of a message's timeline (only with keep_events). */
struct log_event {
	int64_t ts_us;
	char *prog;                  /* owned: "postfix/smtpd[123]" */
	char *text;                  /* owned: the message */
};

/* One recipient of a message, and where it ended up. */
struct log_delivery {
	char *to, *orig_to, *relay, *dsn, *reason;   /* owned, may be NULL */
	enum log_status status;      /* the latest attempt's; REJECTED:
				      * refused at RCPT (reason: the
				      * reply) */
	unsigned attempts;
	int64_t ts_us;               /* latest attempt */
	double delay_s;              /* Postfix delay= */
	double delays_s[4];          /* before queue, in queue, connection,
				      * transmission */
	int have_delays;
	/* Dovecot's side (LMTP/LDA "saved mail to"), when linked. */
	int saved;                   /* 1 saved, -1 save failed, 0 unknown */
	int64_t saved_us;
	char *mailbox, *box_user, *box_session, *box_error;  /* owned */
};

struct log_msg {
	char qid[33];
	int64_t connect_us;          /* the client's connect, 0 unknown */
	int64_t first_us, last_us;   /* first and last line of this qid */
	int64_t removed_us;          /* 0 while still queued */
	int64_t disconnect_us;
	char *client, *client_ip;    /* owned: "host[ip]", "ip" */
	char *sasl_method, *sasl_user;
	char *tls_proto, *tls_cipher;/* the inbound session's TLS */
	char *message_id;            /* with angle brackets */
	char *from;                  /* "" for the null sender, NULL when
				      * no line named the sender */
	char *ndr_qid;               /* the bounce it caused */
	char *reject_action, *reject_reason;   /* a reject of the whole
						* message (one at RCPT is
						* its recipient's status) */
	char *origin;                /* "smtpd", "pickup", ... */
	uint64_t size;
	unsigned nrcpt;              /* as qmgr announced */
	int removed;                 /* "removed" seen: complete */
	int evicted;                 /* closed early by the max_open cap */
	int still_open;              /* closed by the end of input */
	int abandoned;               /* the client left (or reset) before
				      * the message was received: a
				      * client= line and no cleanup */
	int cleanup_seen;            /* message-id= seen */
	struct log_delivery *rcpt;   /* owned array */
	size_t nrcpt_seen, rcpt_cap;
	size_t rcpt_dropped;
	struct log_event *events;    /* owned array, in time order */
	size_t nevents, events_cap, events_dropped;
	/* the correlator's bookkeeping (logscan.c), not results:
	 * renderers do not read these */
	int matched, sender_counted;
	int64_t done_ms;             /* follow: when it completed */
	struct log_msg *hnext, *older, *newer;
};

/* Overall status: rejected (the whole message, or every recipient
 * seen was refused), bounced, expired, deferred, sent, or none (no
 * recipient seen). */
enum log_status log_msg_status(const struct log_msg *m);
/* Frees m and every string it owns; NULL is a no-op. */
void log_msg_free(struct log_msg *m);

struct log_summary {
	uint64_t lines, bytes;
	uint64_t malformed;          /* not a log line we can read */
	uint64_t bad_fields;         /* a known form with broken fields */
	uint64_t other;              /* lines of other programs */
	uint64_t postfix_lines, dovecot_lines;
	int64_t first_us, last_us;
	/* messages */
	uint64_t received;           /* client= and pickup lines */
	uint64_t queued_bytes;       /* size= of qmgr's lines, once per
				      * message (not "received": a message
				      * may be queued without a client=
				      * line in the log, or the reverse) */
	uint64_t completed;          /* "removed" seen */
	uint64_t still_queued;       /* open at the end of input */
	uint64_t evicted;            /* closed by the open-records cap */
	uint64_t abandoned;          /* client= but no message (no DATA) */
	uint64_t ndr;                /* bounces (non-delivery notices) */
	/* recipients, by final status */
	uint64_t delivered, deferred, bounced, expired;
	uint64_t deferrals;          /* deferred attempts (events) */
	uint64_t rejected, discarded;/* reject/discard lines */
	/* sessions */
	uint64_t smtpd_connects, smtpd_tls, sasl_failures;
	uint64_t dv_logins, dv_logins_tls, dv_logins_secured,
	    dv_logins_plain, dv_login_failures, dv_failed_attempts,
	    dv_aborted, dv_logouts, dv_saved, dv_save_failed,
	    dv_auth_backend_failures;
	struct histogram delay_ms;   /* delay= of sent recipients */
	/* tables; columns per table documented in logscan.c */
	struct log_count rcpt_domain;    /* sent, deferred, bounced, rejected */
	struct log_count sender_domain;  /* messages, bytes */
	struct log_count senders;        /* messages, bytes */
	struct log_count recipients;     /* sent, deferred, bounced, rejected */
	struct log_count reasons;        /* reject, defer, bounce, dovecot */
	struct log_count auth_ip;        /* login failures, sasl failures,
					  * logins */
	struct log_count auth_user;      /* login failures, backend failures,
					  * logins */
};

#endif
