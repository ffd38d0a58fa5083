/*
 * pop3_client.h - event-driven POP3 client engine (RFC 1939, CAPA and
 * response codes RFC 2449, STLS RFC 2595, AUTH RFC 5034, RFC 3206).
 *
 * One session on a struct conn: greeting, CAPA, STLS per policy (again
 * CAPA after TLS), USER/PASS or AUTH, then the requested mailbox
 * commands, QUIT.  Never prints, exits or reads options; secrets enter
 * the transcript redacted unless show_secrets.  on_done runs once.
 */
#ifndef MAILVET_PROTO_POP3_CLIENT_H
#define MAILVET_PROTO_POP3_CLIENT_H

#include "core/buf.h"
#include "core/error.h"
#include "core/transcript.h"
#include "net/conn.h"
#include "net/tls.h"

#include <stdint.h>
#include <uv.h>

enum pop3_phase {
	POP3_PHASE_CONNECT,
	POP3_PHASE_TLS,
	POP3_PHASE_GREETING,
	POP3_PHASE_CAPA,
	POP3_PHASE_STLS,
	POP3_PHASE_AUTH,     /* USER+PASS, or the AUTH exchange */
	POP3_PHASE_STAT,
	POP3_PHASE_LIST,
	POP3_PHASE_UIDL,
	POP3_PHASE_SEARCH,   /* TOP n 0 over messages, looking for a token */
	POP3_PHASE_RETR,     /* RETR or TOP of one message */
	POP3_PHASE_DELE,
	POP3_PHASE_QUIT,
	POP3_PHASE_COUNT
};

#define POP3_MAX_LISTED 1000  /* LIST/UIDL entries kept in the result */

struct pop3_client_params {
	enum tls_policy tls;
	const char *user;           /* NULL: stop after CAPA */
	const char *pass;
	const char *auth_mech;      /* NULL: USER/PASS; else AUTH MECH ("PLAIN",
				     * "auto" = strongest SASL offered) */
	int show_secrets;
	int stat;                   /* send STAT */
	int list;                   /* send LIST */
	int uidl;                   /* send UIDL */
	uint64_t retr;              /* RETR this message (1-based); 0 none */
	uint64_t top;               /* TOP this message ... */
	uint64_t top_lines;         /* ... with this many body lines */
	const char *find_token;     /* look for "X-Mailvet-Token: TOKEN" in
				     * the headers (TOP n 0), newest first */
	uint64_t find_max;          /* messages to look at; 0 = 100 */
	int dele_found;             /* DELE the message found */
	uint64_t dele;              /* DELE this message; 0 none */
	uint64_t greeting_timeout_ms;
	uint64_t command_timeout_ms;
	size_t max_message;         /* RETR/TOP size limit; 0 = 64 MiB */
};

struct pop3_status_copy {
	int ok;                     /* +OK */
	int seen;                   /* a response was received */
	char code[32];              /* [AUTH], [SYS/TEMP], ... */
	char *text;                 /* owned */
};

struct pop3_listing {
	uint64_t msg;
	uint64_t size;              /* LIST */
	char uid[72];               /* UIDL */
};

struct pop3_client_result {
	struct pop3_status_copy greeting;
	char apop_timestamp[256];   /* "" when none */
	int have_capa;
	char capa[1024];            /* CAPA lines joined by '\n' (a line is
				     * a capability and its arguments) */
	char sasl[256];             /* the SASL capability's mechanisms */
	int capa_stls, capa_user, capa_top, capa_uidl, capa_resp_codes;
	int have_capa_plain;        /* CAPA before STLS */
	char capa_plain[1024];
	int user_before_tls;        /* USER offered in plaintext */
	int stls_offered;
	int implicit_tls;
	int tls_active;
	struct tls_info tls;
	struct pop3_status_copy stls;
	int auth_attempted;
	int auth_ok;
	char auth_method[32];       /* "USER", "PLAIN", ... */
	char auth_user[256];
	struct pop3_status_copy auth;   /* the final auth response */
	int stat_ok;
	uint64_t stat_count, stat_octets;
	struct pop3_listing *listing;   /* owned: LIST and UIDL merged */
	size_t nlisting;
	size_t listing_total;       /* entries the server sent */
	uint64_t found;             /* message with the token; 0 none */
	uint64_t retr_msg;          /* the message in `message` */
	struct buf message;         /* RETR/TOP content, unstuffed */
	int deleted;
	struct pop3_status_copy last;   /* the response that failed, if any */
	int quit_ok;
	size_t bare_lf_lines;
	uint64_t phase_us[POP3_PHASE_COUNT];
	unsigned phase_done;
	uint64_t total_us;
	enum pop3_phase failed_phase;
	struct mv_error err;
	char peer[160], local[160];
};

struct pop3_client;
typedef void (*pop3_client_done_cb)(struct pop3_client *s, void *arg);

struct pop3_client *pop3_client_start(uv_loop_t *loop,
    const struct conn_params *cp, const struct pop3_client_params *p,
    struct pop3_client_result *res, struct transcript *tr,
    pop3_client_done_cb on_done, void *arg, struct mv_error *err);
void pop3_client_free(struct pop3_client *s);
void pop3_client_result_free(struct pop3_client_result *r);
const char *pop3_phase_name(enum pop3_phase ph);

#endif
