/*
 * tls_report.h - what `mailvet tls` measured, per listener: the
 * plaintext policy (STARTTLS offered, AUTH or MAIL before TLS), the
 * handshake and chain, the protocol versions accepted one by one,
 * session resumption and the STARTTLS command-injection test.  Filled
 * by check/tls_probe.c, walked by render_text_tls.c and
 * render_json_tls.c, freed by report_free().  Plain data, no pointers.
 */
#ifndef MAILVET_REPORT_TLS_REPORT_H
#define MAILVET_REPORT_TLS_REPORT_H

#include "core/error.h"
#include "net/tls.h"

#include <stddef.h>
#include <stdint.h>

#define TLS_REPORT_MAX_PORTS 12

/* The versions tried one by one, oldest first. */
enum tls_ver {
	TLS_VER_10,
	TLS_VER_11,
	TLS_VER_12,
	TLS_VER_13,
	TLS_VER_COUNT
};

enum tls_inject {
	TLS_INJECT_UNTESTED,
	TLS_INJECT_SAFE,        /* the pipelined command was dropped */
	TLS_INJECT_VULNERABLE,  /* answered inside TLS (CVE-2011-0411 class) */
	TLS_INJECT_PLAINTEXT,   /* answered in plaintext before the handshake */
	TLS_INJECT_ERROR,       /* the test could not complete */
};

struct tls_version_result {
	int tried;
	int accepted;
	int untested;             /* connection or timeout: no answer */
	char detail[256];         /* cipher when accepted, else why not */
};

struct tls_port_result {
	char label[16];           /* "smtp", "submission", "imaps", "sieve" */
	char url[320];
	uint16_t port;
	int implicit;             /* TLS from the first byte */
	int open;                 /* the connection was made */
	char peer[160];
	struct mv_error err;      /* what stopped the main session */
	int err_in_tls;           /* ... in the handshake */
	char greeting[256];
	/* plaintext policy (STARTTLS listeners) */
	int caps_seen;
	int starttls_offered;
	char caps_plain[1024];    /* capabilities before TLS, space-separated */
	char auth_plain[256];     /* AUTH mechanisms offered before TLS */
	int login_plain;          /* IMAP LOGIN without LOGINDISABLED,
				   * POP3 USER, before TLS */
	int mail_tested;          /* submission: MAIL FROM:<> before TLS */
	int mail_code;
	char mail_reply[256];
	char starttls_reply[256];
	int starttls_accepted;    /* the go-ahead came (TLS may still fail) */
	/* the handshake */
	int tls_active;
	struct tls_info tls;
	double tls_ms;
	/* versions */
	int versions_tested;
	struct tls_version_result versions[TLS_VER_COUNT];
	/* resumption: a second connection offering the first one's session */
	int resumption_tested;
	int session_offered;      /* the server gave a resumable session */
	int session_ticket;       /* ... as a ticket */
	unsigned long ticket_lifetime_s;
	int resumed;
	char resumption_detail[256];
	/* STARTTLS command injection */
	enum tls_inject injection;
	char injection_evidence[256];
	/* The handshake failed with this system's default security level
	 * (strict_err) and worked at level 0: the fields above come from
	 * that second dialog. */
	int legacy_only;
	struct mv_error strict_err;
};

struct tls_report {
	int all_ports;            /* --all-ports: ports[] are one host's */
	char host[256];
	int warn_days, crit_days;
	size_t nports;
	struct tls_port_result ports[TLS_REPORT_MAX_PORTS];
};

const char *tls_ver_name(enum tls_ver v);
const char *tls_inject_name(enum tls_inject i);

#endif
