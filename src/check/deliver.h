/*
 * deliver.h - `mailvet deliver`: submit a message carrying a unique
 * token, then look for it in the mailbox over IMAP or POP3 until it
 * arrives or the wait runs out; report the time to inbox, and the
 * mail-log lines of its queue id when a log is given.
 *
 * The mailbox is polled with a fresh session each time: POP3 shows a
 * snapshot of the maildrop per session, and a fresh IMAP session is what
 * a user's client sees.  The time to inbox is therefore an upper bound
 * with the poll interval as its resolution.
 */
#ifndef MAILVET_CHECK_DELIVER_H
#define MAILVET_CHECK_DELIVER_H

#include "check/imap_probe.h"
#include "check/pop3_probe.h"
#include "check/smtp_probe.h"
#include "report/report.h"

struct deliver_params {
	struct smtp_probe_params submit;
	enum target_proto box;          /* TARGET_PROTO_IMAP or _POP3 */
	struct imap_probe_params imap;  /* search fields filled here */
	struct pop3_probe_params pop3;  /* find_token filled here */
	uint64_t wait_ms;
	uint64_t poll_ms;
	int cleanup;                    /* delete the message once found */
	const char *log_path;           /* a mail log to read, or NULL */
	uint64_t log_offset;            /* its size before the submission */
};

int deliver_run(const struct deliver_params *p, struct report *rep,
    struct mv_error *err);
/*
 * The lines of a Postfix-style log that belong to queue id qid
 * ("... postfix/qmgr[12]: 4ZkQ1x3YpWz9: from=<...>"), appended to out
 * '\n'-separated; returns how many.  status receives the last
 * "status=WORD" seen ("sent", "deferred", "bounced"), or "".  No I/O.
 */
size_t deliver_log_scan(const char *text, size_t len, const char *qid,
    struct buf *out, char *status, size_t statussz);

#endif
