/*
 * relay_report.h - the result of `mailvet relay`: every attempt of the
 * open-relay battery from every vantage point (source address), with
 * the commands sent, the server's replies, the outcome (rejected,
 * accepted at RCPT, relayed or not relayed once confirmed with DATA)
 * and the verdict; plus one summary per vantage.  Filled by
 * check/relay_probe.c, walked by render_text_relay.c and
 * render_json_relay.c, freed by report_free() (relay_report_free).
 *
 * Server text is stored bounded (RELAY_REPLY_MAX); renderers escape it.
 */
#ifndef MAILVET_REPORT_RELAY_REPORT_H
#define MAILVET_REPORT_RELAY_REPORT_H

#include "core/error.h"
#include "core/transcript.h"
#include "report/report.h"

#include <stddef.h>
#include <stdint.h>

#define RELAY_MAX_VANTAGE  8
#define RELAY_ADDR_MAX     320
#define RELAY_REPLY_MAX    256
#define RELAY_ID_MAX       32
#define RELAY_LABEL_MAX    64

/* What an attempt is for; it decides how its outcome is judged. */
enum relay_kind {
	RELAY_KIND_CONTROL,    /* a local recipient: must be received */
	RELAY_KIND_RELAY,      /* unauthenticated relaying: must be refused
				* unless the vantage is --expect-relay */
	RELAY_KIND_AUTH,       /* logged in, own sender: relaying expected */
	RELAY_KIND_AUTH_SPOOF, /* logged in, someone else's sender */
};

enum relay_outcome {
	RELAY_OUT_SKIPPED,       /* not run: the form needs what we lack */
	RELAY_OUT_ERROR,         /* the session failed (connect, timeout,
				  * protocol): nothing learnt */
	RELAY_OUT_AUTH_FAILED,   /* the login was refused */
	RELAY_OUT_REJECTED_CONNECT, /* a refusing greeting (5xx, or a 4xx
				  * that refuses: relay_judge.h) */
	RELAY_OUT_REJECTED_MAIL, /* refused at MAIL FROM */
	RELAY_OUT_REJECTED_RCPT, /* refused at RCPT TO */
	RELAY_OUT_ACCEPTED,      /* accepted at RCPT; not confirmed */
	RELAY_OUT_REJECTED_DATA, /* --confirm: refused at DATA or after
				  * the message */
	RELAY_OUT_NOT_RELAYED,   /* --confirm: taken, never arrived */
	RELAY_OUT_RELAYED,       /* --confirm: arrived at the sink */
	RELAY_OUT_DEFERRED,      /* a 4xx that is no relay decision (421,
				  * 451 4.3.0, greylisting ...), at any
				  * phase, the confirming session's too */
	RELAY_OUT_NOT_RUN,       /* --max-time was reached first */
};

struct relay_reply {
	int code;                    /* 0: no reply */
	char enh[16];
	char text[RELAY_REPLY_MAX];  /* first line */
};

/* One attempt from one vantage. */
struct relay_result {
	char id[RELAY_ID_MAX];
	const char *description;     /* static, from the battery table */
	enum relay_kind kind;
	size_t vantage;              /* index into relay_report.vantage */
	char mail_from[RELAY_ADDR_MAX];
	char rcpt[RELAY_ADDR_MAX];
	enum relay_outcome outcome;
	enum verdict verdict;
	char note[REPORT_SUMMARY_MAX]; /* why the verdict, in plain words */
	struct relay_reply banner;   /* the greeting (kept when 4xx/5xx) */
	struct relay_reply mail;     /* reply to MAIL FROM */
	struct relay_reply rcpt_reply;
	struct relay_reply data;     /* --confirm: end of data (or DATA) */
	int confirmed;               /* a DATA session was run */
	char token[40];              /* of the confirming message */
	uint64_t arrived_ms;         /* the 250 to the sink, when relayed */
	char error[MV_ERROR_MSG_MAX]; /* the session's error, if any */
	struct transcript tr;        /* the RCPT session */
	struct transcript tr_confirm;/* the DATA session, when confirmed */
};

struct relay_vantage {
	char source[RELAY_LABEL_MAX];  /* --source, "" for none */
	char address[RELAY_LABEL_MAX]; /* the local address actually used */
	int expect_relay;              /* matched by --expect-relay */
	size_t attempts;               /* relaying attempts run */
	size_t accepted;               /* accepted at RCPT (any later fate
					* but deferred) */
	size_t unconfirmed;            /* accepted, not (yet) confirmed */
	size_t relayed, not_relayed, rejected, errors, skipped;
	size_t rejected_data;          /* --confirm: refused with the message */
	size_t deferred;               /* a 4xx that decided nothing */
	size_t not_run;                /* --max-time reached first */
	int control_run;
	int control_accepted;          /* the local recipient was taken */
	enum verdict verdict;
	char summary[REPORT_SUMMARY_MAX];
};

struct relay_report {
	char domain[256];              /* the server's own mail domain */
	const char *domain_source;     /* "--domain", ...; static */
	char foreign_domain[256];
	char foreign_rcpt[RELAY_ADDR_MAX];
	char ip_literal[80];           /* "[192.0.2.1]", "" when unknown */
	char banner[RELAY_REPLY_MAX];
	int banner_code;               /* of the discovery session */
	char ehlo_name[256];
	int confirm;
	char sink[80];                 /* where the sink listened */
	uint64_t confirm_wait_ms;
	int confirm_route_default;     /* --confirm to the default .invalid
					* foreign domain: only a relayhost
					* can route it to the sink */
	uint64_t sink_other;           /* messages at the sink without one of
					* our tokens in their header (a
					* bounce, most likely) */
	uint64_t max_time_ms;          /* --max-time */
	int max_time_hit;              /* attempts were left out for it */
	char auth_user[256];           /* "" without --auth-user */
	int submission;                /* a submission port: receiving from
					* strangers is not its job */
	unsigned concurrency;
	size_t nvantage;
	struct relay_vantage vantage[RELAY_MAX_VANTAGE];
	size_t n;                      /* results, vantage-major */
	struct relay_result *v;        /* owned */
	uint64_t total_us;
};

/* n results, transcripts initialised.  NULL when out of memory. */
struct relay_report *relay_report_new(size_t n);
/* Safe on NULL. */
void relay_report_free(struct relay_report *r);
/* The reply that decided r's outcome (borrowed from r). */
const struct relay_reply *relay_deciding_reply(const struct relay_result *r);
/* "rejected", "accepted", "relayed", ... (stable: used in JSON). */
const char *relay_outcome_name(enum relay_outcome o);
/* "control", "relay", "auth", "auth-spoof" (stable: used in JSON). */
const char *relay_kind_name(enum relay_kind k);
/* The label a vantage is shown under: the source, else the address. */
const char *relay_vantage_label(const struct relay_vantage *v);

#endif
