/*
 * relay_probe.h - the check behind `mailvet relay`: runs the open-relay
 * battery (check/relay_battery.h) against one SMTP server from one or
 * more vantage points (local source addresses), one short session per
 * attempt that ends with QUIT after RCPT (never DATA), and judges every
 * attempt.  With confirm, every relaying attempt accepted at RCPT is run
 * again with DATA and a tagged message (X-Mailvet-Token) whose
 * recipient routes to a sink mailvet runs (bench/sink.h); "relayed" only
 * when the token arrives there.
 *
 * Why one session per attempt: servers count errors per session (Postfix
 * smtpd_soft_error_limit, smtpd_hard_error_limit and its error sleep)
 * and would tarpit or drop one long session of refused recipients,
 * which skews a battery.
 *
 * Errors: -1 only when the probe could not start (bad parameters, out
 * of memory, the sink could not listen); a server that could not be
 * tested is a report with err set or ERROR checks, not a -1.
 */
#ifndef MAILVET_CHECK_RELAY_PROBE_H
#define MAILVET_CHECK_RELAY_PROBE_H

#include "check/probe_net.h"
#include "report/relay_report.h"
#include "report/report.h"

#include <stdint.h>

#define RELAY_MAX_EXPECT      16
#define RELAY_MAX_CONCURRENCY 16

struct relay_probe_params {
	struct probe_net net;         /* target, TLS, timeouts; net.source
				       * is ignored: see sources */
	const char *sources[RELAY_MAX_VANTAGE]; /* borrowed; none: one
				       * vantage, the system's choice */
	size_t nsources;
	const char *expect_relay[RELAY_MAX_EXPECT]; /* addresses or CIDR */
	size_t nexpect;
	const char *domain;           /* NULL: from the EHLO name */
	const char *foreign_user;     /* local part of foreign recipients */
	const char *foreign_domain;
	const char *sender_user;      /* our sender's local part */
	const char *local_rcpt;       /* NULL: postmaster@domain */
	const char *local_sender;     /* NULL: postmaster@domain */
	const char *other_sender;     /* NULL: that attempt is skipped */
	const char *helo_name;
	const char *auth_user;        /* NULL: no authenticated attempts */
	const char *auth_pass;
	const char *auth_mech;
	const char *auth_authzid;
	int show_secrets;
	uint64_t banner_timeout_ms;
	uint64_t command_timeout_ms;
	uint64_t data_timeout_ms;
	unsigned concurrency;         /* sessions at once, 1..16 */
	int confirm;                  /* prove with DATA and the sink */
	const char *sink_listen;      /* "127.0.0.1:2526" */
	uint64_t confirm_wait_ms;     /* how long to wait for arrivals */
	uint64_t max_time_ms;         /* the battery's sessions (discovery,
				       * attempts, confirming messages) stop
				       * after this long; 0: no limit.  The
				       * wait at the sink comes on top. */
};

int relay_probe_run(const struct relay_probe_params *p, struct report *rep,
    struct mv_error *err);

#endif
