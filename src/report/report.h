/*
 * report.h - the result model every command fills and every renderer
 * walks: a list of checks with a verdict and evidence each, the error
 * that stopped the test (if any), the transcript, and the
 * command-specific measurements.  Measurement is kept apart from
 * rendering: nothing here prints.
 *
 * The exit-code contract (docs/exit-codes.md) is computed here, from
 * the model, so that the text and JSON output and the process exit
 * status can never disagree.
 */
#ifndef MAILVET_REPORT_REPORT_H
#define MAILVET_REPORT_REPORT_H

#include "core/error.h"
#include "core/transcript.h"
#include "core/buf.h"
#include "proto/imap_client.h"
#include "proto/pop3_client.h"
#include "proto/smtp_client.h"

#include <stddef.h>

enum verdict {
	VERDICT_PASS,
	VERDICT_WARN,  /* works, but a careful postmaster would fix it */
	VERDICT_FAIL,  /* a finding */
	VERDICT_SKIP,  /* not applicable or not reached */
	VERDICT_ERROR, /* could not be tested */
};

enum exit_code {
	EXIT_PASS = 0,     /* every check passed (warnings allowed) */
	EXIT_FINDING = 1,  /* at least one check failed */
	EXIT_USAGE = 2,    /* the command line was wrong */
	EXIT_UNTESTED = 3, /* could not test: DNS, connect, timeout */
	EXIT_INTERNAL = 4, /* a bug or resource exhaustion in mailvet */
};

#define REPORT_MAX_CHECKS  96
#define REPORT_SUMMARY_MAX 512

struct check_result {
	char name[32];
	enum verdict verdict;
	char summary[REPORT_SUMMARY_MAX]; /* the evidence, in plain words */
};

/* `mailvet deliver`: submission, then the message found in the box. */
struct deliver_summary {
	char via[320];                    /* where it was submitted */
	char check[320];                  /* the mailbox it was looked for in */
	int submitted;                    /* 250 after the message */
	int found;
	uint64_t time_to_inbox_us;        /* from the 250 to the session that
					   * found it */
	unsigned polls;                   /* mailbox sessions run */
	uint64_t wait_ms;                 /* how long we were ready to wait */
	uint64_t poll_ms;                 /* pause between sessions */
	int cleaned;                      /* the message was deleted again */
	struct buf log;                   /* log lines for the queue id,
					   * '\n'-separated, owned */
	size_t log_lines;
};

/* Results of the later commands, each defined in its own header under
 * report/ and freed by report_free(). */
struct tls_report;
struct relay_report;
struct ports_report;

struct report {
	const char *command;              /* "smtp", static */
	char target[320];                 /* as normalised: smtp://host:port */
	struct check_result checks[REPORT_MAX_CHECKS];
	size_t nchecks;
	struct mv_error err;              /* what stopped the test, if any */
	struct transcript tr;
	/* Command-specific results, owned. */
	struct smtp_client_result *smtp;
	struct pop3_client_result *pop3;
	struct imap_client_result *imap;
	struct deliver_summary *deliver;
	struct tls_report *tls;          /* report/tls_report.h */
	struct relay_report *relay;      /* report/relay_report.h */
	struct ports_report *ports;      /* report/ports_report.h */
	char message_id[160];
	char token[40];
};

void report_init(struct report *r, const char *command);
void report_free(struct report *r);
void report_add_check(struct report *r, const char *name, enum verdict v,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
const char *verdict_name(enum verdict v);
/* The exit code the contract assigns to this report. */
enum exit_code report_exit_code(const struct report *r);
/* "pass", "fail" or "error", matching report_exit_code(). */
const char *report_verdict_name(const struct report *r);

#endif
