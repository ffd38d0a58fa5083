/*
 * pop3_probe.h - one POP3 session, judged: the check behind
 * `mailvet pop3`, and the mailbox side of `mailvet deliver`.
 * Returns -1 only when nothing could start; a failed session is a
 * report with err set.
 */
#ifndef MAILVET_CHECK_POP3_PROBE_H
#define MAILVET_CHECK_POP3_PROBE_H

#include "check/probe_net.h"
#include "proto/pop3_client.h"
#include "report/report.h"

struct pop3_probe_params {
	struct probe_net net;          /* net.tls_policy overrides pop3.tls */
	struct pop3_client_params pop3;
};

/* One session into res (initialised here) and tr. */
int pop3_session_run(const struct pop3_probe_params *p,
    struct pop3_client_result *res, struct transcript *tr,
    struct mv_error *err);
/* Checks for rep->pop3. */
void pop3_probe_judge(const struct pop3_probe_params *p, struct report *rep);
int pop3_probe_run(const struct pop3_probe_params *p, struct report *rep,
    struct mv_error *err);

#endif
