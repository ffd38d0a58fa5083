/*
 * report.c - result model and the exit-code contract (see report.h).
 */
#include "report/ports_report.h"
#include "report/relay_report.h"
#include "report/report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
report_init(struct report *r, const char *command)
{
	memset(r, 0, sizeof(*r));
	r->command = command;
	transcript_init(&r->tr);
}

void
report_free(struct report *r)
{
	if (r == NULL)
		return;
	transcript_free(&r->tr);
	if (r->smtp) {
		smtp_client_result_free(r->smtp);
		free(r->smtp);
		r->smtp = NULL;
	}
	if (r->pop3) {
		pop3_client_result_free(r->pop3);
		free(r->pop3);
		r->pop3 = NULL;
	}
	if (r->imap) {
		imap_client_result_free(r->imap);
		free(r->imap);
		r->imap = NULL;
	}
	if (r->deliver) {
		buf_free(&r->deliver->log);
		free(r->deliver);
		r->deliver = NULL;
	}
	free(r->tls);
	r->tls = NULL;
	relay_report_free(r->relay);
	r->relay = NULL;
	ports_report_free(r->ports);
	r->ports = NULL;
}

void
report_add_check(struct report *r, const char *name, enum verdict v,
    const char *fmt, ...)
{
	struct check_result *c;
	va_list ap;

	if (r->nchecks >= REPORT_MAX_CHECKS)
		return;
	c = &r->checks[r->nchecks++];
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->verdict = v;
	va_start(ap, fmt);
	vsnprintf(c->summary, sizeof(c->summary), fmt, ap);
	va_end(ap);
}

const char *
verdict_name(enum verdict v)
{
	switch (v) {
	case VERDICT_PASS:
		return "pass";
	case VERDICT_WARN:
		return "warn";
	case VERDICT_FAIL:
		return "fail";
	case VERDICT_SKIP:
		return "skip";
	case VERDICT_ERROR:
		return "error";
	}
	return "error";
}

enum exit_code
report_exit_code(const struct report *r)
{
	size_t i;

	switch (r->err.cat) {
	case MV_ERR_USAGE:
		return EXIT_USAGE;
	case MV_ERR_INTERNAL:
		return EXIT_INTERNAL;
	case MV_ERR_DNS:
	case MV_ERR_CONNECT:
	case MV_ERR_TIMEOUT:
		return EXIT_UNTESTED;
	case MV_ERR_TLS:
	case MV_ERR_PROTOCOL:
	case MV_ERR_LACKS_FEATURE:
	case MV_ERR_REJECTED:
	case MV_ERR_CLOSED:
		return EXIT_FINDING;
	case MV_ERR_NONE:
		break;
	}
	for (i = 0; i < r->nchecks; i++)
		if (r->checks[i].verdict == VERDICT_FAIL)
			return EXIT_FINDING;
	for (i = 0; i < r->nchecks; i++)
		if (r->checks[i].verdict == VERDICT_ERROR)
			return EXIT_UNTESTED;
	return EXIT_PASS;
}

const char *
report_verdict_name(const struct report *r)
{
	switch (report_exit_code(r)) {
	case EXIT_PASS:
		return "pass";
	case EXIT_FINDING:
		return "fail";
	default:
		return "error";
	}
}
