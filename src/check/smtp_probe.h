/*
 * smtp_probe.h - one SMTP/LMTP session against a server, judged: the
 * check behind `mailvet smtp`.  Builds the test message, runs the
 * engine on its own libuv loop, and turns the engine's result into
 * checks with verdicts and evidence in a struct report.
 *
 * Errors: -1 only when the probe could not start at all (bad
 * parameters, out of memory); a failed session is a report with err
 * set, not a -1.
 */
#ifndef MAILVET_CHECK_SMTP_PROBE_H
#define MAILVET_CHECK_SMTP_PROBE_H

#include "check/probe_net.h"
#include "proto/smtp_client.h"
#include "report/report.h"

#include <stdint.h>

struct smtp_probe_params {
	struct probe_net net;           /* net.tls_policy overrides smtp.tls */
	/* Engine parameters; tls, message, message_len, eight_bit and
	 * utf8_addresses are filled by the probe. */
	struct smtp_client_params smtp;
	/* The message: either raw (from --data, sent as given, only line
	 * endings and dots fixed) or generated from these fields. */
	const char *raw_message;
	size_t raw_message_len;
	const char *subject;
	const char *const *headers;
	size_t nheaders;
	const char *body;
	size_t body_len;
	const char *msgid_domain;
};

int smtp_probe_run(const struct smtp_probe_params *p, struct report *rep,
    struct mv_error *err);

#endif
