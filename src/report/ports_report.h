/*
 * ports_report.h - the result of `mailvet ports`: one entry per port
 * swept, with its state (open, closed, filtered), what answered and the
 * judgement against --expect.  Filled by check/ports_scan.c and
 * check/ports_judge.c, walked by render_text_ports.c and
 * render_json_ports.c, freed by report_free() (ports_report_free).
 * Every string that came from the network is bounded and has control
 * bytes replaced before it is stored.
 */
#ifndef MAILVET_REPORT_PORTS_REPORT_H
#define MAILVET_REPORT_PORTS_REPORT_H

#include "report/report.h"

#include <stddef.h>
#include <stdint.h>

#define PORTS_MAX          1024  /* ports in one sweep */
#define PORTS_DETAIL_MAX   160

enum ports_state {
	PORTS_STATE_CLOSED,      /* refused (RST) */
	PORTS_STATE_FILTERED,    /* no answer to the connect in time */
	PORTS_STATE_OPEN,
	PORTS_STATE_ERROR,       /* unreachable, or could not be tried */
};

enum ports_service {
	PORTS_SVC_NONE,          /* not open, nothing to name */
	PORTS_SVC_SMTP,
	PORTS_SVC_LMTP,
	PORTS_SVC_POP3,
	PORTS_SVC_IMAP,
	PORTS_SVC_SIEVE,         /* ManageSieve, RFC 5804 */
	PORTS_SVC_REDIS,
	PORTS_SVC_HTTP,
	PORTS_SVC_CLAMD,
	PORTS_SVC_SPAMD,
	PORTS_SVC_MYSQL,
	PORTS_SVC_SSH,
	PORTS_SVC_FTP,
	PORTS_SVC_TLS,           /* TLS works, the protocol inside is unknown */
	PORTS_SVC_UNKNOWN,       /* open, but nothing we recognise */
};

struct ports_entry {
	uint16_t port;
	enum ports_state state;
	enum ports_service service;
	int tls_implicit;        /* the service spoke inside TLS */
	int starttls_offered;    /* STARTTLS / STLS in the capabilities */
	int caps_seen;           /* capabilities were read: offered is known */
	int caps_incomplete;     /* the EHLO/LHLO answer was cut short
				  * (timeout, close, 8 KB): unknown */
	int greeting_incomplete; /* "220-" lines without the last one:
				  * mailvet did not speak (postscreen) */
	int preauth;             /* IMAP greeted with PREAUTH */
	int expected;            /* matched by --expect */
	enum ports_service expected_service; /* NONE: anything */
	char detail[PORTS_DETAIL_MAX];   /* greeting or first reply line */
	char tls_version[16];    /* implicit TLS: "TLSv1.3" */
	char cert_subject[128];
	int cert_verified;       /* against --cafile/--servername */
	char why[160];           /* closed/filtered/error: the reason */
	enum verdict verdict;    /* SKIP for ports not judged */
	char judgement[256];     /* why the verdict */
	uint64_t connect_us;
};

struct ports_report {
	char host[256];          /* as given */
	char address[64];        /* the address swept */
	int other_family;        /* the name also has addresses of the
				  * other family (not swept) */
	int expect_given;        /* --expect was on the command line */
	size_t n;
	struct ports_entry *v;   /* n entries, owned, in sweep order */
	size_t open, closed, filtered, errors, unexpected;
	uint64_t total_us;
};

/* Returns NULL on allocation failure. */
struct ports_report *ports_report_new(size_t nports);
/* Safe on NULL. */
void ports_report_free(struct ports_report *r);
/* "SMTP", "IMAP", ... for humans; "smtp", "imap" for JSON. */
const char *ports_service_name(enum ports_service s);
const char *ports_service_key(enum ports_service s);
/* "open", "closed", "filtered", "error". */
const char *ports_state_name(enum ports_state s);
/* The IANA name of a well-known mail-host port ("submission"), or "". */
const char *ports_conventional_name(uint16_t port);
/* "SMTPS", "IMAPS", "HTTPS" for an implicit-TLS service, else the
 * plain name. */
const char *ports_display_name(const struct ports_entry *e);

/* The renderers' pieces for "ports" (render_text_ports.c,
 * render_json_ports.c), called by report_render_text/json when
 * rep->ports is set.  jansson's json_t is struct json_t. */
struct render_opts;
struct json_t;
void rt_ports(const struct report *rep, const struct render_opts *o,
    struct buf *out);
struct json_t *rj_ports(const struct report *rep);

#endif
