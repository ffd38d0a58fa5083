/*
 * probe_net.h - what every probe shares: where and how to connect, the
 * event loop run, and the judgement of TLS (version, certificate,
 * STARTTLS offered or missing), which reads the same for SMTP, POP3 and
 * IMAP.  Errors follow struct mv_error.
 */
#ifndef MAILVET_CHECK_PROBE_NET_H
#define MAILVET_CHECK_PROBE_NET_H

#include "core/error.h"
#include "net/conn.h"
#include "net/target.h"
#include "net/tls.h"
#include "report/report.h"

#include <stdint.h>
#include <uv.h>

struct probe_net {
	struct target target;
	int family;                   /* AF_UNSPEC / AF_INET / AF_INET6 */
	const char *source;           /* local address, or NULL */
	struct tls_config tls;        /* server_name NULL: the target host */
	enum tls_policy tls_policy;   /* STARTTLS/STLS policy */
	uint64_t connect_timeout_ms;
	uint64_t tls_timeout_ms;
};

/* What happened to TLS in one session, as the engine reported it. */
struct probe_tls_outcome {
	const char *upgrade;          /* "STARTTLS" or "STLS" */
	int active;                   /* TLS is up */
	int implicit;                 /* from the first byte */
	int offered;                  /* the upgrade was offered in plaintext */
	int reached;                  /* capabilities seen: a decision was made */
	int stopped_before;           /* the user stopped before upgrading */
	const char *refusal;          /* the server refused the upgrade: its
				       * reply, or NULL */
	const struct tls_info *info;  /* valid when active */
	const struct mv_error *err;   /* the session's error */
	int err_in_tls;               /* err arose in the handshake/upgrade */
};

/* Fill conn parameters; tls receives the TLS configuration with the
 * server name defaulted to the target host (it must outlive cp). */
void probe_conn_params(const struct probe_net *n, struct tls_config *tls,
    struct transcript *tr, struct conn_params *cp);
/* Run the loop until every handle is closed, then close it. */
int probe_loop_run(uv_loop_t *loop, struct mv_error *err);

/* Start an engine session (the engine's *_client_start with ctx's
 * parameters); on_done must set *done.  Returns the session or NULL. */
typedef void *(*probe_start_fn)(uv_loop_t *loop,
    const struct conn_params *cp, void *ctx, int *done,
    struct mv_error *err);
typedef void (*probe_free_fn)(void *session);
/* One session from connect to close on a loop of its own. */
int probe_session_run(const struct probe_net *n, struct transcript *tr,
    probe_start_fn start, probe_free_fn release, void *ctx,
    struct mv_error *err);
/* Add the "tls" and "certificate" checks. */
void probe_judge_tls(struct report *rep, const struct probe_net *n,
    const struct probe_tls_outcome *o);
/* The check for a phase never reached, or where the session died. */
void probe_add_unreached(struct report *rep, const char *name, int failed_here,
    const struct mv_error *err);

#endif
