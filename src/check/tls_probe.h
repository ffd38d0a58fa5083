/*
 * tls_probe.h - the check behind `mailvet tls`: for each listener a main
 * dialog (policy in plaintext, handshake, chain), then side by side on
 * the same loop one handshake per protocol version, a resumption
 * attempt and the STARTTLS command-injection test; the results land in
 * a struct tls_report and are judged into checks.
 *
 * Errors: -1 only when the probe could not start (out of memory, bad
 * parameters); a listener that could not be tested is a check with
 * verdict error, not a -1.
 */
#ifndef MAILVET_CHECK_TLS_PROBE_H
#define MAILVET_CHECK_TLS_PROBE_H

#include "check/probe_net.h"
#include "check/tls_dialog.h"
#include "report/report.h"
#include "report/tls_report.h"

#include <stddef.h>
#include <stdint.h>

struct tls_probe_target {
	char label[16];               /* "smtp", "submission", "sieve", ... */
	struct probe_net net;         /* target, TLS settings, timeouts */
	enum tls_dialog_proto proto;
	int submission;               /* MAIL FROM before TLS is a finding */
	int optional;                 /* --all-ports: closed is not an error */
};

struct tls_probe_params {
	struct tls_probe_target targets[TLS_REPORT_MAX_PORTS];
	size_t ntargets;
	int all_ports;
	const char *host;             /* --all-ports: the host, borrowed */
	enum tls_policy tls_policy;   /* required: STARTTLS missing stops */
	int warn_days, crit_days;
	int versions;                 /* sweep TLS 1.0 .. 1.3 */
	int injection;                /* the STARTTLS injection test */
	int resumption;               /* a second connection resuming */
	const char *helo_name;
	uint64_t greeting_timeout_ms;
	uint64_t command_timeout_ms;
	size_t max_parallel;          /* connections at once; 0 = 8 */
	uint64_t max_time_ms;         /* the whole run (--max-time); 0 none:
				       * dialogs still running are stopped,
				       * those not started are not tried */
};

int tls_probe_run(const struct tls_probe_params *p, struct report *rep,
    struct mv_error *err);

/* Verdicts (check/tls_judge.c). */
void tls_judge_port(struct report *rep, const struct tls_probe_params *p,
    const struct tls_probe_target *t, const struct tls_port_result *pr);
void tls_judge_versions(struct report *rep, const char *prefix,
    const struct tls_port_result *pr);
void tls_judge_policy(struct report *rep, const char *prefix,
    const struct tls_probe_params *p, const struct tls_probe_target *t,
    const struct tls_port_result *pr);
void tls_judge_injection(struct report *rep, const char *prefix,
    const struct tls_port_result *pr);
void tls_judge_allports(struct report *rep, const struct tls_report *tr);
/* The index i of the first certificate sent that the next one sent
 * (i + 1) does not issue (issuer and subject names differ), or -1 when
 * each certifies the one before it.  Pure (tls_judge.c). */
int tls_chain_break(const struct tls_info *ti);

/* --all-ports: the standard listeners of host, with "--ports
 * smtp=2525,imaps=2993" overrides (label=port, comma-separated; port 0
 * leaves a listener out).  Fills p->targets from base (network and TLS
 * options).  Returns 0, or -1 with err (MV_ERR_USAGE).  No I/O. */
int tls_allports_targets(struct tls_probe_params *p,
    const struct probe_net *base, const char *host, const char *ports,
    struct mv_error *err);
/* The dialog protocol for a target's protocol. */
enum tls_dialog_proto tls_dialog_proto_of(const struct target *t);

#endif
