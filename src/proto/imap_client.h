/*
 * imap_client.h - event-driven IMAP4 client engine (RFC 9051 / 3501,
 * STARTTLS and LOGINDISABLED RFC 2595, SASL-IR RFC 4959, response codes
 * RFC 5530).
 *
 * One session on a struct conn: greeting, CAPABILITY (unless the
 * greeting carried it), STARTTLS per policy (CAPABILITY again after TLS),
 * LOGIN or AUTHENTICATE, SELECT/EXAMINE, the requested FETCH, UID SEARCH
 * and deletion, CLOSE, LOGOUT.  Never prints, exits or reads options;
 * secrets enter the transcript redacted unless show_secrets.
 */
#ifndef MAILVET_PROTO_IMAP_CLIENT_H
#define MAILVET_PROTO_IMAP_CLIENT_H

#include "core/buf.h"
#include "core/error.h"
#include "core/transcript.h"
#include "net/conn.h"
#include "net/tls.h"
#include "proto/imap_parse.h"

#include <stdint.h>
#include <uv.h>

enum imap_phase {
	IMAP_PHASE_CONNECT,
	IMAP_PHASE_TLS,
	IMAP_PHASE_GREETING,
	IMAP_PHASE_CAPABILITY,
	IMAP_PHASE_STARTTLS,
	IMAP_PHASE_AUTH,     /* LOGIN or AUTHENTICATE */
	IMAP_PHASE_SELECT,
	IMAP_PHASE_SEARCH,
	IMAP_PHASE_FETCH,
	IMAP_PHASE_DELETE,   /* STORE \Deleted + EXPUNGE */
	IMAP_PHASE_CLOSE,
	IMAP_PHASE_LOGOUT,
	IMAP_PHASE_COUNT
};

#define IMAP_MAX_FOUND 100

struct imap_client_params {
	enum tls_policy tls;
	const char *user;           /* NULL: stop after CAPABILITY */
	const char *pass;
	const char *auth_mech;      /* NULL: LOGIN; else AUTHENTICATE MECH
				     * ("PLAIN", "auto" = strongest offered) */
	int show_secrets;
	const char *mailbox;        /* NULL: no SELECT */
	int examine;                /* EXAMINE (read-only) instead of SELECT */
	uint64_t fetch;             /* message sequence number; 0 none */
	int fetch_text;             /* BODY.PEEK[TEXT] instead of BODY.PEEK[] */
	/* UID SEARCH HEADER name value, e.g. X-Mailvet-Token / Message-ID */
	const char *search_header;
	const char *search_value;
	int delete_found;           /* UID STORE +FLAGS.SILENT (\Deleted) and
				     * EXPUNGE the messages found */
	uint64_t greeting_timeout_ms;
	uint64_t command_timeout_ms;
	size_t max_message;         /* FETCH size limit; 0 = 64 MiB */
};

struct imap_status_copy {
	int seen;
	enum imap_cond cond;
	char code[48];
	char *code_arg;             /* owned */
	char *text;                 /* owned */
};

struct imap_client_result {
	struct imap_status_copy greeting;   /* OK, PREAUTH or BYE */
	struct imap_caps caps;              /* the latest */
	int have_caps;
	struct imap_caps caps_plain;        /* before STARTTLS */
	int have_caps_plain;
	int starttls_offered;
	int logindisabled_plain;            /* LOGINDISABLED before TLS */
	int implicit_tls;
	int tls_active;
	struct tls_info tls;
	struct imap_status_copy starttls;
	int auth_attempted;
	int auth_ok;
	char auth_method[32];               /* "LOGIN", "PLAIN", ... */
	char auth_user[256];
	struct imap_status_copy auth;
	int selected;
	char mailbox[256];                  /* the mailbox selected */
	int read_only;
	uint64_t exists, recent, unseen, uidvalidity, uidnext;
	int have_unseen, have_uidvalidity, have_uidnext;
	char flags[512];
	char permanentflags[512];
	struct imap_status_copy select;
	uint64_t found_uids[IMAP_MAX_FOUND];
	size_t nfound;                      /* kept */
	size_t found_total;                 /* in the SEARCH reply */
	uint64_t fetch_msg;
	struct buf message;                 /* FETCH content */
	int deleted;                        /* messages expunged */
	int flagged_only;                   /* flagged \Deleted, not expunged:
					     * no UID EXPUNGE on the server */
	struct imap_status_copy last;       /* the response that failed */
	int logout_ok;                      /* BYE and tagged OK */
	size_t bare_lf_lines;
	uint64_t phase_us[IMAP_PHASE_COUNT];
	unsigned phase_done;
	uint64_t total_us;
	enum imap_phase failed_phase;
	struct mv_error err;
	char peer[160], local[160];
};

struct imap_client;
typedef void (*imap_client_done_cb)(struct imap_client *s, void *arg);

struct imap_client *imap_client_start(uv_loop_t *loop,
    const struct conn_params *cp, const struct imap_client_params *p,
    struct imap_client_result *res, struct transcript *tr,
    imap_client_done_cb on_done, void *arg, struct mv_error *err);
void imap_client_free(struct imap_client *s);
void imap_client_result_free(struct imap_client_result *r);
const char *imap_phase_name(enum imap_phase ph);

#endif
