/*
 * log_dovecot.h - the Dovecot dialect: one Dovecot log message (prefix
 * already split off by log_line_parse()) into one event.  Pure: slices
 * point into the caller's line.
 *
 * Formats: the login processes' "Login:", "Aborted login (...)" (2.2),
 * "Disconnected: ... (auth failed, N attempts ...)" (2.3) and "Login
 * aborted: ... (code)" (late 2.3, 2.4) lines with user=<>, method=,
 * rip=, lip=, TLS/secured; the mail processes' "Disconnected: Logged
 * out ..." statistics; lmtp/lda "msgid=<...>: saved mail to MAILBOX";
 * auth and auth-worker passdb failures "passdb(user,ip,<sess>):
 * reason" and "auth-worker(user,ip)<pid><sess>: request [N]: ...
 * failed: ..." (user and ip in the prefix).
 */
#ifndef MAILVET_LOGSCAN_LOG_DOVECOT_H
#define MAILVET_LOGSCAN_LOG_DOVECOT_H

#include "logscan/log_str.h"

enum dv_event_type {
	DV_EV_NONE = 0,
	DV_EV_LOGIN,           /* imap-login: Login: user=<u>, ... */
	DV_EV_LOGIN_FAIL,      /* imap-login: ... (auth failed, N attempts) */
	DV_EV_LOGIN_ABORT,     /* login process disconnected before auth */
	DV_EV_LOGOUT,          /* imap(u): Disconnected: Logged out ... */
	DV_EV_SAVED,           /* lmtp(u): msgid=<m>: saved mail to INBOX */
	DV_EV_SAVE_FAIL,       /* lmtp(u): msgid=<m>: save failed to ... */
	DV_EV_AUTH_FAIL,       /* auth: passdb(u,ip,<s>): Password mismatch */
};

enum dv_tls {
	DV_TLS_NONE = 0,       /* plaintext */
	DV_TLS_YES,            /* "TLS" */
	DV_TLS_SECURED,        /* "secured": trusted local network */
};

struct dv_event {
	enum dv_event_type type;
	struct log_str proto;      /* "imap", "pop3", "lmtp", "auth" */
	struct log_str user;
	struct log_str method;
	struct log_str rip, lip;
	struct log_str session;    /* login session=<>, or the lmtp/imap
				    * session id from the prefix */
	struct log_str msgid;      /* with angle brackets */
	struct log_str mailbox;
	struct log_str reason;     /* why a login or save failed */
	struct log_str stats;      /* "in=108 out=907 ...", "top=0/0, ..." */
	enum dv_tls tls;
	unsigned attempts;
};

/*
 * service: "imap-login", "lmtp", "auth"...; dprefix: the whole prefix
 * "lmtp(user)<pid><session>" (user and session are taken from it).
 * Always fills ev; returns -1 for a known form that is malformed.
 */
int dv_parse(struct log_str service, struct log_str dprefix,
    struct log_str msg, struct dv_event *ev);

#endif
