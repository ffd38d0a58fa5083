/*
 * session.c - engine plumbing shared by SMTP, POP3 and IMAP (see
 * session.h).
 */
#include "proto/session.h"

#include "core/clock.h"

#include <stdio.h>
#include <string.h>

void
session_timing_init(struct session_timing *t, uint64_t *phase_us,
    unsigned *phase_done)
{
	memset(t, 0, sizeof(*t));
	t->t_start = clock_now_us();
	t->phase_us = phase_us;
	t->phase_done = phase_done;
}

void
session_phase_begin(struct session_timing *t, int ph)
{
	t->t_phase[ph] = clock_now_us();
}

void
session_phase_end(struct session_timing *t, int ph)
{
	t->phase_us[ph] = clock_now_us() - t->t_phase[ph];
	*t->phase_done |= 1u << ph;
}

uint64_t
session_elapsed_us(const struct session_timing *t)
{
	return clock_now_us() - t->t_start;
}

int
session_conn_ready(struct session_timing *t, struct conn *c,
    int connect_phase, int tls_phase, struct tls_info *tls)
{
	const struct conn_timings *ct = conn_timings(c);

	t->phase_us[connect_phase] = ct->connect_us;
	*t->phase_done |= 1u << connect_phase;
	if (!conn_tls_active(c))
		return 0;
	*tls = *conn_tls_info(c);
	t->phase_us[tls_phase] = ct->tls_us;
	*t->phase_done |= 1u << tls_phase;
	return 1;
}

void
session_conn_upgraded(struct session_timing *t, struct conn *c,
    int tls_phase, struct tls_info *tls)
{
	*tls = *conn_tls_info(c);
	t->phase_us[tls_phase] = conn_timings(c)->tls_us;
	*t->phase_done |= 1u << tls_phase;
}

int
session_tls_on_error(struct session_timing *t, struct conn *c,
    const struct mv_error *err, int connect_phase, int tls_phase,
    struct tls_info *tls)
{
	if (err->cat != MV_ERR_TLS || conn_tls_info(c) == NULL)
		return 0;
	if (!(*t->phase_done & (1u << connect_phase))) {
		t->phase_us[connect_phase] = conn_timings(c)->connect_us;
		*t->phase_done |= 1u << connect_phase;
	}
	session_conn_upgraded(t, c, tls_phase, tls);
	return 1;
}

void
session_explain_error(const struct mv_error *err, int at_greeting,
    int implicit_tls, int mid_reply, const char *tls_hint, const char *what,
    struct mv_error *out)
{
	struct mv_error e = *err;

	if (err->cat == MV_ERR_TIMEOUT && at_greeting && !implicit_tls)
		snprintf(e.msg, sizeof(e.msg), "%.400s (if this port speaks "
		    "TLS from the first byte, as %s)", err->msg, tls_hint);
	else if (err->cat == MV_ERR_CLOSED && at_greeting)
		snprintf(e.msg, sizeof(e.msg), "the server closed the "
		    "connection before sending its greeting");
	else if (err->cat == MV_ERR_CLOSED && mid_reply)
		snprintf(e.msg, sizeof(e.msg), "the server closed the "
		    "connection in the middle of %.400s", what);
	*out = e;
}

void
session_close(struct conn **c, char *peer, size_t peersz, char *local,
    size_t localsz)
{
	if (*c == NULL)
		return;
	snprintf(peer, peersz, "%s", conn_peer(*c));
	snprintf(local, localsz, "%s", conn_local(*c));
	conn_close(*c);
	*c = NULL;
}
