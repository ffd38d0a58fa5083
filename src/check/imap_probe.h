/*
 * imap_probe.h - one IMAP session, judged: the check behind
 * `mailvet imap`, and the mailbox side of `mailvet deliver`.
 * Returns -1 only when nothing could start; a failed session is a
 * report with err set.
 */
#ifndef MAILVET_CHECK_IMAP_PROBE_H
#define MAILVET_CHECK_IMAP_PROBE_H

#include "check/probe_net.h"
#include "proto/imap_client.h"
#include "report/report.h"

struct imap_probe_params {
	struct probe_net net;          /* net.tls_policy overrides imap.tls */
	struct imap_client_params imap;
};

int imap_session_run(const struct imap_probe_params *p,
    struct imap_client_result *res, struct transcript *tr,
    struct mv_error *err);
void imap_probe_judge(const struct imap_probe_params *p, struct report *rep);
int imap_probe_run(const struct imap_probe_params *p, struct report *rep,
    struct mv_error *err);

#endif
