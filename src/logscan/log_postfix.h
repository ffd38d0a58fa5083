/*
 * log_postfix.h - the Postfix dialect: one log message (after the
 * prefix, see log_line.h) into one event.  Pure: slices point into the
 * caller's line; no I/O, no allocation.
 *
 * Formats follow Postfix's own logging (smtpd(8), cleanup(8), qmgr(8),
 * smtp(8), local(8), bounce(8), postscreen(8) and the queue-id forms of
 * postconf(5) enable_long_queue_ids).
 */
#ifndef MAILVET_LOGSCAN_LOG_POSTFIX_H
#define MAILVET_LOGSCAN_LOG_POSTFIX_H

#include "logscan/log_str.h"
#include "report/log_report.h"      /* enum log_status */

#include <stdint.h>

enum pf_event_type {
	PF_EV_NONE = 0,        /* a Postfix line we do not use */
	PF_EV_CONNECT,         /* smtpd/postscreen: connect from host[ip] */
	PF_EV_DISCONNECT,
	PF_EV_TLS,             /* "... TLS connection established from" */
	PF_EV_CLIENT,          /* QID: client=host[ip][, sasl_*] */
	PF_EV_PICKUP,          /* QID: uid=N from=<...> (local submission) */
	PF_EV_MSGID,           /* QID: message-id=<...> */
	PF_EV_QUEUED,          /* QID: from=<...>, size=N, nrcpt=N */
	PF_EV_EXPIRED,         /* QID: from=<...>, status=expired, ... */
	PF_EV_RCPT,            /* QID: to=<...>, relay=..., status=... */
	PF_EV_REMOVED,         /* QID: removed */
	PF_EV_REJECT,          /* QID or NOQUEUE: reject|discard|...: */
	PF_EV_NDR,             /* QID: sender non-delivery notification: Q2 */
	PF_EV_SASL_FAIL,       /* warning: host[ip]: SASL X authentication
				* failed */
};

struct pf_event {
	enum pf_event_type type;
	struct log_str qid;            /* empty for NOQUEUE / no queue id */
	struct log_str client;         /* "host[ip]" */
	struct log_str client_ip;
	struct log_str sasl_method, sasl_user;
	struct log_str message_id;     /* with the angle brackets */
	struct log_str from, to, orig_to;  /* without the angle brackets */
	struct log_str relay;
	struct log_str dsn;
	struct log_str status_word;
	struct log_str reason;         /* inside the final parentheses, or
					* the reject reply text */
	struct log_str action;         /* reject, discard, hold, ... */
	struct log_str stage;          /* RCPT, DATA, END-OF-MESSAGE... */
	struct log_str tls_proto, tls_cipher;
	struct log_str new_qid;        /* PF_EV_NDR */
	enum log_status status;
	uint64_t size;
	unsigned nrcpt;
	double delay_s;
	double delays_s[4];            /* before queue, in queue, connection
					* set-up, transmission */
	int have_delays;
};

/*
 * 1 when p[0..n) is a Postfix queue id: short (5+ upper-case hex
 * digits) or long (postconf enable_long_queue_ids: vowel-free base-52
 * time, 'z', base-51 inode).
 */
int pf_is_queue_id(const char *p, size_t n);
/* Parse msg (the message after the prefix).  Always fills ev (type
 * PF_EV_NONE for lines we do not use); returns -1 when the line claims
 * a known form but is malformed (counted by the caller), else 0. */
int pf_parse(struct log_str service, struct log_str msg,
    struct pf_event *ev);
/* "sent" -> LOG_STATUS_SENT ... (the names: log_status_name()). */
enum log_status log_status_parse(struct log_str word);

#endif
