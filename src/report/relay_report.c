/*
 * relay_report.c - allocation and names of the relay result model (see
 * relay_report.h).
 */
#include "report/relay_report.h"

#include <stdlib.h>

struct relay_report *
relay_report_new(size_t n)
{
	struct relay_report *r;
	size_t i;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if (n && (r->v = calloc(n, sizeof(*r->v))) == NULL) {
		free(r);
		return NULL;
	}
	r->n = n;
	for (i = 0; i < n; i++) {
		transcript_init(&r->v[i].tr);
		transcript_init(&r->v[i].tr_confirm);
	}
	return r;
}

void
relay_report_free(struct relay_report *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++) {
		transcript_free(&r->v[i].tr);
		transcript_free(&r->v[i].tr_confirm);
	}
	free(r->v);
	free(r);
}

const struct relay_reply *
relay_deciding_reply(const struct relay_result *r)
{
	switch (r->outcome) {
	case RELAY_OUT_REJECTED_CONNECT:
		return &r->banner;
	case RELAY_OUT_REJECTED_MAIL:
		return &r->mail;
	case RELAY_OUT_REJECTED_DATA:
	case RELAY_OUT_NOT_RELAYED:
	case RELAY_OUT_RELAYED:
		return &r->data;
	case RELAY_OUT_DEFERRED:
		/* Whichever phase put it off. */
		if (r->confirmed)
			return &r->data;
		if (r->banner.code >= 400)
			return &r->banner;
		if (r->mail.code && r->mail.code / 100 != 2)
			return &r->mail;
		return &r->rcpt_reply;
	default:
		return &r->rcpt_reply;
	}
}

const char *
relay_outcome_name(enum relay_outcome o)
{
	switch (o) {
	case RELAY_OUT_SKIPPED:
		return "skipped";
	case RELAY_OUT_ERROR:
		return "error";
	case RELAY_OUT_AUTH_FAILED:
		return "auth-failed";
	case RELAY_OUT_REJECTED_CONNECT:
		return "rejected-at-connect";
	case RELAY_OUT_REJECTED_MAIL:
		return "rejected-at-mail";
	case RELAY_OUT_REJECTED_RCPT:
		return "rejected";
	case RELAY_OUT_ACCEPTED:
		return "accepted";
	case RELAY_OUT_REJECTED_DATA:
		return "rejected-at-data";
	case RELAY_OUT_NOT_RELAYED:
		return "not-relayed";
	case RELAY_OUT_DEFERRED:
		return "deferred";
	case RELAY_OUT_NOT_RUN:
		return "not-run";
	case RELAY_OUT_RELAYED:
		return "relayed";
	}
	return "error";
}

const char *
relay_kind_name(enum relay_kind k)
{
	switch (k) {
	case RELAY_KIND_CONTROL:
		return "control";
	case RELAY_KIND_RELAY:
		return "relay";
	case RELAY_KIND_AUTH:
		return "auth";
	case RELAY_KIND_AUTH_SPOOF:
		return "auth-spoof";
	}
	return "relay";
}

const char *
relay_vantage_label(const struct relay_vantage *v)
{
	if (v->source[0])
		return v->source;
	return v->address[0] ? v->address : "default";
}
