/*
 * ports_report.c - allocation and names of the `mailvet ports` result
 * (see ports_report.h).  No I/O.
 */
#include "report/ports_report.h"

#include <stdlib.h>

struct ports_report *
ports_report_new(size_t nports)
{
	struct ports_report *r;

	if (nports > PORTS_MAX || (r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if (nports && (r->v = calloc(nports, sizeof(*r->v))) == NULL) {
		free(r);
		return NULL;
	}
	r->n = nports;
	return r;
}

void
ports_report_free(struct ports_report *r)
{
	if (r == NULL)
		return;
	free(r->v);
	free(r);
}

static const struct {
	const char *name, *key;
} ports_services[] = {
	[PORTS_SVC_NONE] = { "-", "none" },
	[PORTS_SVC_SMTP] = { "SMTP", "smtp" },
	[PORTS_SVC_LMTP] = { "LMTP", "lmtp" },
	[PORTS_SVC_POP3] = { "POP3", "pop3" },
	[PORTS_SVC_IMAP] = { "IMAP", "imap" },
	[PORTS_SVC_SIEVE] = { "ManageSieve", "sieve" },
	[PORTS_SVC_REDIS] = { "redis", "redis" },
	[PORTS_SVC_HTTP] = { "HTTP", "http" },
	[PORTS_SVC_CLAMD] = { "clamd", "clamd" },
	[PORTS_SVC_SPAMD] = { "spamd", "spamd" },
	[PORTS_SVC_MYSQL] = { "MySQL", "mysql" },
	[PORTS_SVC_SSH] = { "SSH", "ssh" },
	[PORTS_SVC_FTP] = { "FTP", "ftp" },
	[PORTS_SVC_TLS] = { "TLS", "tls" },
	[PORTS_SVC_UNKNOWN] = { "unknown", "unknown" },
};

const char *
ports_service_name(enum ports_service s)
{
	if ((size_t)s >= sizeof(ports_services) / sizeof(ports_services[0]))
		return "unknown";
	return ports_services[s].name;
}

const char *
ports_service_key(enum ports_service s)
{
	if ((size_t)s >= sizeof(ports_services) / sizeof(ports_services[0]))
		return "unknown";
	return ports_services[s].key;
}

const char *
ports_display_name(const struct ports_entry *e)
{
	if (!e->tls_implicit)
		return ports_service_name(e->service);
	switch (e->service) {
	case PORTS_SVC_SMTP:
		return "SMTPS";
	case PORTS_SVC_POP3:
		return "POP3S";
	case PORTS_SVC_IMAP:
		return "IMAPS";
	case PORTS_SVC_HTTP:
		return "HTTPS";
	case PORTS_SVC_LMTP:
		return "LMTP over TLS";
	case PORTS_SVC_SIEVE:
		return "ManageSieve over TLS";
	default:
		return ports_service_name(e->service);
	}
}

const char *
ports_state_name(enum ports_state s)
{
	switch (s) {
	case PORTS_STATE_CLOSED:
		return "closed";
	case PORTS_STATE_FILTERED:
		return "filtered";
	case PORTS_STATE_OPEN:
		return "open";
	case PORTS_STATE_ERROR:
		return "error";
	}
	return "error";
}

static const struct {
	uint16_t port;
	const char *name;
} ports_usual[] = {
	{ 24, "lmtp" },
	{ 25, "smtp" },
	{ 80, "http" },
	{ 110, "pop3" },
	{ 143, "imap" },
	{ 443, "https" },
	{ 465, "submissions" },
	{ 587, "submission" },
	{ 783, "spamd" },
	{ 993, "imaps" },
	{ 995, "pop3s" },
	{ 2000, "sieve (old)" },
	{ 3306, "mysql" },
	{ 3310, "clamd" },
	{ 4190, "sieve" },
	{ 5432, "postgresql" },
	{ 6379, "redis" },
	{ 8080, "http-alt" },
	{ 10024, "amavis" },
	{ 10025, "reinjection" },
	{ 11332, "rspamd proxy" },
	{ 11333, "rspamd" },
	{ 11334, "rspamd ctl" },
};

const char *
ports_conventional_name(uint16_t port)
{
	size_t i;

	for (i = 0; i < sizeof(ports_usual) / sizeof(ports_usual[0]); i++)
		if (ports_usual[i].port == port)
			return ports_usual[i].name;
	return "";
}
