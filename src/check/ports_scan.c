/*
 * ports_scan.c - concurrent port sweep and service identification (see
 * ports_scan.h).
 *
 * Each port is a job that runs through up to four stages, each on a
 * connection of its own, stopping at the first that names the service:
 *   plain  connect; closed (refused) or filtered (no answer in time)
 *          ends here.  A greeting is identified (ports_identify.c);
 *          SMTP-like greetings get EHLO (then LHLO if EHLO is refused;
 *          LHLO first, then EHLO, when the greeting says LMTP), but
 *          only once the greeting is complete: a "220-" line without
 *          its last line gets a longer wait (postscreen), then nothing,
 *          POP3 gets CAPA, IMAP CAPABILITY unless the greeting had it,
 *          so that "STARTTLS offered" is known; then QUIT/LOGOUT.
 *   tls    the port was silent: an implicit TLS handshake (never
 *          failing on the certificate, which is only reported), then
 *          the greeting inside TLS as above, or "HEAD /" for HTTPS.
 *   ping   no TLS either: "PING" (redis, clamd, spamd and most HTTP
 *          servers answer it).
 *   head   still silent: "HEAD / HTTP/1.0" for a patient HTTP server.
 * Every wait is bounded by read_timeout_ms and every read by
 * PORTS_READ_MAX bytes, so a hostile or silent port costs at most a few
 * timeouts and a few kilobytes.
 */
#include "check/ports_scan.h"

#include "check/ports_identify.h"
#include "core/clock.h"
#include "net/conn.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <uv.h>

#define PORTS_DEFAULT_CONCURRENCY 32
#define PORTS_DEFAULT_CONNECT_MS  3000
#define PORTS_DEFAULT_READ_MS     2000
#define PORTS_DEFAULT_TLS_MS      3000
/* A greeting cut after "220-" lines (Postfix postscreen's pregreet test
 * waits up to 6 s before the last line and flags a client that speaks
 * first): wait this much longer, once, for its last line. */
#define PORTS_PREGREET_MS         7000

enum job_stage { STAGE_PLAIN, STAGE_TLS, STAGE_PING, STAGE_HEAD, STAGE_DONE };

enum job_step {
	STEP_CONNECT, STEP_GREETING, STEP_EHLO, STEP_LHLO, STEP_CAPS,
	STEP_PROBE, STEP_QUIT,
};

struct ports_scan;

struct ports_job {
	struct ports_scan *scan;
	struct ports_entry *e;
	struct conn *c;
	uv_timer_t timer;
	struct target target;
	struct tls_config tls;
	enum job_stage stage;
	enum job_step step;
	enum ports_reply_kind caps_kind;
	int ready;
	int greet_extended;     /* the pregreet wait was given */
	int ehlo_tried, lhlo_tried;
	size_t inlen;
	char in[PORTS_READ_MAX];
};

struct ports_scan {
	const struct ports_scan_params *p;
	struct ports_report *r;
	uv_loop_t loop;
	struct ports_job *jobs;
	size_t next, active;
	uint64_t read_ms;
};

static void job_connect(struct ports_job *j);
static void scan_fill(struct ports_scan *s);

static void
job_timer_closed(uv_handle_t *h)
{
	struct ports_job *j = h->data;
	struct ports_scan *s = j->scan;

	s->active--;
	scan_fill(s);
}

static void
job_finish(struct ports_job *j)
{
	if (j->stage == STAGE_DONE)
		return;
	/* Open, but the connection ended before anything was named (TLS
	 * up, then closed without a word). */
	if (j->e->state == PORTS_STATE_OPEN &&
	    j->e->service == PORTS_SVC_NONE) {
		j->e->service = j->e->tls_version[0] ? PORTS_SVC_TLS :
		    PORTS_SVC_UNKNOWN;
		j->e->tls_implicit = j->e->tls_version[0] != '\0';
		if (j->e->detail[0] == '\0')
			snprintf(j->e->detail, sizeof(j->e->detail), "closed "
			    "the connection without a word");
	}
	j->stage = STAGE_DONE;
	uv_timer_stop(&j->timer);
	conn_close(j->c);
	j->c = NULL;
	uv_close((uv_handle_t *)&j->timer, job_timer_closed);
}

static void
job_timer_cb(uv_timer_t *t);

static void
job_wait(struct ports_job *j)
{
	uv_timer_start(&j->timer, job_timer_cb, j->scan->read_ms, 0);
}

static void
job_send(struct ports_job *j, enum job_step step, const char *text)
{
	j->inlen = 0;
	j->step = step;
	if (conn_write(j->c, text, strlen(text)) == -1) {
		job_finish(j);
		return;
	}
	job_wait(j);
}

/* On to the next stage on a new connection. */
static void
job_next_stage(struct ports_job *j)
{
	conn_close(j->c);
	j->c = NULL;
	uv_timer_stop(&j->timer);
	j->stage++;
	if (j->stage == STAGE_DONE) {
		/* Open and silent to everything we tried. */
		j->stage = STAGE_HEAD;
		j->e->service = PORTS_SVC_UNKNOWN;
		snprintf(j->e->detail, sizeof(j->e->detail), "no greeting; no "
		    "answer to TLS, PING or HEAD");
		job_finish(j);
		return;
	}
	job_connect(j);
}

static void
job_quit(struct ports_job *j)
{
	switch (j->e->service) {
	case PORTS_SVC_SMTP:
	case PORTS_SVC_LMTP:
	case PORTS_SVC_POP3:
		job_send(j, STEP_QUIT, "QUIT\r\n");
		return;
	case PORTS_SVC_IMAP:
		job_send(j, STEP_QUIT, "b LOGOUT\r\n");
		return;
	case PORTS_SVC_SIEVE:
		job_send(j, STEP_QUIT, "LOGOUT\r\n");
		return;
	default:
		job_finish(j);
	}
}

static void
job_greeting(struct ports_job *j, int final)
{
	struct ports_entry *e = j->e;
	struct ports_ident id;
	char cmd[300];

	if (ports_identify_greeting(j->in, j->inlen, final, &id) == 0)
		return;
	uv_timer_stop(&j->timer);
	if (id.service == PORTS_SVC_NONE) {
		if (j->stage == STAGE_TLS) {
			/* TLS works but nothing talks: maybe HTTPS. */
			job_send(j, STEP_PROBE, "HEAD / HTTP/1.0\r\n\r\n");
			return;
		}
		job_next_stage(j);
		return;
	}
	e->service = id.service;
	e->tls_implicit = j->stage == STAGE_TLS;
	e->preauth = id.preauth;
	e->caps_seen = id.caps_seen;
	e->starttls_offered = id.starttls_offered;
	memcpy(e->detail, id.detail, sizeof(e->detail));
	if (id.smtp_family && !id.greeting_complete) {
		/* Speaking before the greeting's last line is what a
		 * spambot does (postscreen's pregreet test): say nothing;
		 * the capabilities stay unknown. */
		e->greeting_incomplete = 1;
		job_finish(j);
		return;
	}
	if (id.smtp_family && id.smtp_code == 220) {
		snprintf(cmd, sizeof(cmd), "%s %s\r\n", id.lmtp_named ? "LHLO" :
		    "EHLO", j->scan->p->helo_name ? j->scan->p->helo_name :
		    "mailvet.invalid");
		if (id.lmtp_named)
			j->lhlo_tried = 1;
		else
			j->ehlo_tried = 1;
		job_send(j, id.lmtp_named ? STEP_LHLO : STEP_EHLO, cmd);
		return;
	}
	if (final) {
		job_finish(j);
		return;
	}
	if (id.service == PORTS_SVC_POP3) {
		j->caps_kind = PORTS_REPLY_POP3_MULTI;
		job_send(j, STEP_CAPS, "CAPA\r\n");
		return;
	}
	if (id.service == PORTS_SVC_IMAP && !id.caps_seen &&
	    strncmp(j->in, "* BYE", 5) != 0) {
		j->caps_kind = PORTS_REPLY_IMAP_TAGGED;
		job_send(j, STEP_CAPS, "a CAPABILITY\r\n");
		return;
	}
	job_quit(j);
}

static void
job_hello(struct ports_job *j, int final)
{
	struct ports_entry *e = j->e;
	char cmd[300];
	int code, complete;

	complete = ports_reply_complete(PORTS_REPLY_SMTP, NULL, j->in,
	    j->inlen);
	if (!final && !complete)
		return;
	uv_timer_stop(&j->timer);
	code = ports_smtp_code(j->in, j->inlen);
	if (code == 250 && !complete) {
		/* "250-" lines and then a timeout, a close or a full
		 * buffer: the list was cut short, so whether STARTTLS is in
		 * it is unknown (not "not offered"). */
		e->service = j->step == STEP_LHLO ? PORTS_SVC_LMTP :
		    PORTS_SVC_SMTP;
		e->caps_seen = 0;
		e->caps_incomplete = 1;
		e->starttls_offered = 0;
		job_finish(j);
		return;
	}
	if (code == 250) {
		e->service = j->step == STEP_LHLO ? PORTS_SVC_LMTP :
		    PORTS_SVC_SMTP;
		e->caps_seen = 1;
		e->starttls_offered = ports_caps_starttls(e->service, j->in,
		    j->inlen);
		if (final)
			job_finish(j);
		else
			job_quit(j);
		return;
	}
	if (code >= 500 && code < 600 && !final &&
	    ((j->step == STEP_EHLO && !j->lhlo_tried) ||
	    (j->step == STEP_LHLO && !j->ehlo_tried))) {
		/* LMTP servers refuse EHLO (RFC 2033 section 4.1); an SMTP
		 * server whose greeting said LMTP refuses LHLO. */
		int lhlo = j->step == STEP_EHLO;

		snprintf(cmd, sizeof(cmd), "%s %s\r\n", lhlo ? "LHLO" : "EHLO",
		    j->scan->p->helo_name ? j->scan->p->helo_name :
		    "mailvet.invalid");
		if (lhlo)
			j->lhlo_tried = 1;
		else
			j->ehlo_tried = 1;
		job_send(j, lhlo ? STEP_LHLO : STEP_EHLO, cmd);
		return;
	}
	/* A 220 greeting, but neither hello accepted: keep "SMTP", say
	 * that capabilities are unknown. */
	if (final)
		job_finish(j);
	else
		job_quit(j);
}

static void
job_caps(struct ports_job *j, int final)
{
	struct ports_entry *e = j->e;
	int complete = ports_reply_complete(j->caps_kind, "a", j->in,
	    j->inlen);

	if (!final && !complete)
		return;
	uv_timer_stop(&j->timer);
	e->caps_seen = complete;
	e->starttls_offered = ports_caps_starttls(e->service, j->in,
	    j->inlen);
	if (final)
		job_finish(j);
	else
		job_quit(j);
}

static void
job_probe(struct ports_job *j, int final)
{
	struct ports_entry *e = j->e;
	struct ports_ident id;

	if (!final && !ports_reply_complete(PORTS_REPLY_LINE, NULL, j->in,
	    j->inlen))
		return;
	uv_timer_stop(&j->timer);
	if (j->inlen == 0) {
		if (j->stage == STAGE_HEAD && e->detail[0]) {
			/* Silent to HEAD, but it did answer PING. */
			e->service = PORTS_SVC_UNKNOWN;
			job_finish(j);
			return;
		}
		if (j->stage == STAGE_TLS) {
			e->service = PORTS_SVC_TLS;
			e->tls_implicit = 1;
			snprintf(e->detail, sizeof(e->detail), "silent inside "
			    "TLS, no answer to HEAD");
			job_finish(j);
			return;
		}
		job_next_stage(j);
		return;
	}
	ports_identify_probe(j->in, j->inlen, &id);
	if (id.service == PORTS_SVC_NONE && j->stage == STAGE_PING) {
		/* Something answered PING, nothing we know: HEAD may still
		 * name it; keep this answer in case it does not. */
		memcpy(e->detail, id.detail, sizeof(e->detail));
		job_next_stage(j);
		return;
	}
	if (id.service != PORTS_SVC_NONE || e->detail[0] == '\0')
		memcpy(e->detail, id.detail, sizeof(e->detail));
	e->tls_implicit = j->stage == STAGE_TLS;
	e->service = id.service != PORTS_SVC_NONE ? id.service :
	    e->tls_implicit ? PORTS_SVC_TLS : PORTS_SVC_UNKNOWN;
	job_finish(j);
}

static void
job_advance(struct ports_job *j, int final)
{
	if (j->inlen == sizeof(j->in))
		final = 1;
	switch (j->step) {
	case STEP_CONNECT:
		break;
	case STEP_GREETING:
		job_greeting(j, final);
		break;
	case STEP_EHLO:
	case STEP_LHLO:
		job_hello(j, final);
		break;
	case STEP_CAPS:
		job_caps(j, final);
		break;
	case STEP_PROBE:
		job_probe(j, final);
		break;
	case STEP_QUIT:
		if (final || j->inlen)
			job_finish(j);
		break;
	}
}

static void
job_timer_cb(uv_timer_t *t)
{
	struct ports_job *j = t->data;
	struct ports_ident id;

	/* "220-" and no last line yet: maybe postscreen, which sends the
	 * rest after its pregreet wait.  Wait once more, silently. */
	if (j->step == STEP_GREETING && !j->greet_extended &&
	    j->inlen < sizeof(j->in) &&
	    ports_identify_greeting(j->in, j->inlen, 1, &id) == 1 &&
	    id.smtp_family && !id.greeting_complete) {
		j->greet_extended = 1;
		uv_timer_start(&j->timer, job_timer_cb, PORTS_PREGREET_MS, 0);
		return;
	}
	job_advance(j, 1);
}

static void
job_on_ready(struct conn *c, void *arg)
{
	struct ports_job *j = arg;
	struct ports_entry *e = j->e;
	const struct tls_info *ti;

	(void)c;
	j->ready = 1;
	j->inlen = 0;
	if (j->stage == STAGE_PLAIN) {
		e->state = PORTS_STATE_OPEN;
		e->connect_us = conn_timings(c)->connect_us;
	}
	if (j->stage == STAGE_TLS && (ti = conn_tls_info(c)) != NULL) {
		snprintf(e->tls_version, sizeof(e->tls_version), "%s",
		    ti->version);
		e->cert_verified = ti->verified;
		if (ti->chain_len)
			ports_first_line(ti->chain[0].subject,
			    strlen(ti->chain[0].subject), e->cert_subject,
			    sizeof(e->cert_subject));
	}
	if (j->stage == STAGE_PING) {
		job_send(j, STEP_PROBE, "PING\r\n");
		return;
	}
	if (j->stage == STAGE_HEAD) {
		job_send(j, STEP_PROBE, "HEAD / HTTP/1.0\r\n\r\n");
		return;
	}
	j->step = STEP_GREETING;
	job_wait(j);
}

static void
job_on_read(struct conn *c, const char *data, size_t len, void *arg)
{
	struct ports_job *j = arg;
	size_t room = sizeof(j->in) - j->inlen;

	(void)c;
	if (j->stage == STAGE_DONE)
		return;
	if (len > room)
		len = room;
	memcpy(j->in + j->inlen, data, len);
	j->inlen += len;
	job_advance(j, 0);
}

static void
job_on_tls(struct conn *c, void *arg)
{
	(void)c;
	(void)arg;
}

/* Reason for a failed connect in a few words. */
static void
job_connect_failed(struct ports_job *j, const struct mv_error *err)
{
	struct ports_entry *e = j->e;

	if (err->cat == MV_ERR_TIMEOUT) {
		e->state = PORTS_STATE_FILTERED;
		snprintf(e->why, sizeof(e->why), "no answer to the connect "
		    "within %.1f s", (double)j->scan->p->connect_timeout_ms /
		    1000.0);
	} else if (strstr(err->msg, "refused") != NULL) {
		e->state = PORTS_STATE_CLOSED;
		snprintf(e->why, sizeof(e->why), "connection refused");
	} else {
		const char *m = strrchr(err->msg, ':');

		e->state = PORTS_STATE_ERROR;
		snprintf(e->why, sizeof(e->why), "%.150s", m && m[1] ?
		    m + 2 : err->msg);
	}
}

static void
job_on_error(struct conn *c, const struct mv_error *err, void *arg)
{
	struct ports_job *j = arg;

	(void)c;
	if (j->stage == STAGE_DONE)
		return;
	if (j->ready) {
		job_advance(j, 1);
		/* Still in a stage (e.g. EHLO refused, then closed): stop. */
		if (j->stage != STAGE_DONE && j->c == c)
			job_finish(j);
		return;
	}
	switch (j->stage) {
	case STAGE_PLAIN:
		job_connect_failed(j, err);
		job_finish(j);
		return;
	case STAGE_TLS:
		/* No TLS here: try the plaintext probes. */
		job_next_stage(j);
		return;
	default:
		j->e->service = PORTS_SVC_UNKNOWN;
		if (j->e->detail[0] == '\0')
			snprintf(j->e->detail, sizeof(j->e->detail), "no "
			    "greeting, no TLS; %.120s", err->msg);
		job_finish(j);
		return;
	}
}

static const struct conn_callbacks job_callbacks = {
	.on_ready = job_on_ready,
	.on_read = job_on_read,
	.on_tls = job_on_tls,
	.on_error = job_on_error,
};

static void
job_connect(struct ports_job *j)
{
	const struct ports_scan_params *p = j->scan->p;
	struct conn_params cp;
	struct mv_error err;

	j->ready = 0;
	j->inlen = 0;
	j->greet_extended = 0;
	j->ehlo_tried = j->lhlo_tried = 0;
	j->step = STEP_CONNECT;
	j->target.implicit_tls = j->stage == STAGE_TLS;
	memset(&cp, 0, sizeof(cp));
	cp.target = &j->target;
	cp.family = p->family;
	cp.source = p->source;
	cp.connect_timeout_ms = p->connect_timeout_ms;
	cp.tls_timeout_ms = p->tls_timeout_ms;
	cp.tls = &j->tls;
	cp.prepare_tls = j->stage == STAGE_TLS;
	if ((j->c = conn_new(&j->scan->loop, &cp, &job_callbacks, j,
	    &err)) == NULL || conn_start(j->c, &err) == -1) {
		j->e->state = j->stage == STAGE_PLAIN ? PORTS_STATE_ERROR :
		    j->e->state;
		snprintf(j->e->why, sizeof(j->e->why), "%.150s", err.msg);
		job_finish(j);
	}
}

static void
job_start(struct ports_scan *s, size_t i)
{
	struct ports_job *j = &s->jobs[i];

	j->scan = s;
	j->e = &s->r->v[i];
	j->e->port = s->p->ports[i];
	j->e->state = PORTS_STATE_ERROR;
	j->e->verdict = VERDICT_SKIP;
	uv_timer_init(&s->loop, &j->timer);
	j->timer.data = j;
	memset(&j->target, 0, sizeof(j->target));
	j->target.scheme = TARGET_SCHEME_SMTP;
	j->target.is_literal = 1;
	snprintf(j->target.host, sizeof(j->target.host), "%s",
	    s->r->address);
	j->target.port = j->e->port;
	memset(&j->tls, 0, sizeof(j->tls));
	j->tls.insecure = 1;
	j->tls.cafile = s->p->cafile;
	j->tls.capath = s->p->capath;
	/* Verified against the name the user gave (or the address). */
	j->tls.server_name = s->p->server_name ? s->p->server_name :
	    s->p->host;
	j->stage = STAGE_PLAIN;
	s->active++;
	job_connect(j);
}

static void
scan_fill(struct ports_scan *s)
{
	unsigned conc = s->p->concurrency ? s->p->concurrency :
	    PORTS_DEFAULT_CONCURRENCY;

	while (s->active < conc && s->next < s->r->n)
		job_start(s, s->next++);
}

struct scan_resolve {
	int done, status, other_family;
	char *out;
	size_t outsz;
};

/*
 * The first IPv4 address when the family is open (a name like
 * "localhost" often lists ::1 first, and most mail hosts are reached
 * over IPv4 first), else the first one; the others are counted so the
 * report can say that -4/-6 would sweep another address.
 */
static void
scan_gai_cb(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct scan_resolve *sr = req->data;
	struct addrinfo *ai, *pick = res;

	sr->done = 1;
	sr->status = status;
	for (ai = res; status == 0 && ai; ai = ai->ai_next)
		if (ai->ai_family == AF_INET) {
			pick = ai;
			break;
		}
	for (ai = res; status == 0 && ai; ai = ai->ai_next)
		if (ai != pick && ai->ai_family != pick->ai_family)
			sr->other_family = 1;
	if (status == 0 && pick) {
		if (pick->ai_family == AF_INET6)
			uv_ip6_name((struct sockaddr_in6 *)pick->ai_addr,
			    sr->out, sr->outsz);
		else
			uv_ip4_name((struct sockaddr_in *)pick->ai_addr,
			    sr->out, sr->outsz);
	}
	uv_freeaddrinfo(res);
}

/* The address to sweep: the literal itself, or the first the resolver
 * gives for the requested family. */
static int
scan_resolve(struct ports_scan *s, struct mv_error *err)
{
	struct scan_resolve sr = { 0, 0, 0, s->r->address,
	    sizeof(s->r->address) };
	struct addrinfo hints;
	uv_getaddrinfo_t req;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = s->p->family;
	hints.ai_socktype = SOCK_STREAM;
	req.data = &sr;
	rc = uv_getaddrinfo(&s->loop, &req, scan_gai_cb, s->p->host, NULL,
	    &hints);
	if (rc == 0)
		uv_run(&s->loop, UV_RUN_DEFAULT);
	if (rc != 0 || sr.status != 0 || s->r->address[0] == '\0') {
		const char *why = rc ? uv_strerror(rc) :
		    sr.status == UV_EAI_NONAME ? "no such host name" :
		    sr.status ? uv_strerror(sr.status) : "no usable address";

		return mv_error_set(err, MV_ERR_DNS, "cannot resolve %s: %s",
		    s->p->host, why);
	}
	s->r->other_family = sr.other_family;
	return 0;
}

int
ports_scan_run(const struct ports_scan_params *p, struct ports_report *r,
    struct mv_error *err)
{
	struct ports_scan_params dp = *p;
	struct ports_scan *s;
	uint64_t t0 = clock_now_us();
	size_t i;
	int rc = 0;

	if (r->n != p->nports || p->nports > PORTS_MAX)
		return mv_error_set(err, MV_ERR_INTERNAL, "ports_scan_run: "
		    "report and parameters disagree");
	if (dp.connect_timeout_ms == 0)
		dp.connect_timeout_ms = PORTS_DEFAULT_CONNECT_MS;
	if (dp.read_timeout_ms == 0)
		dp.read_timeout_ms = PORTS_DEFAULT_READ_MS;
	if (dp.tls_timeout_ms == 0)
		dp.tls_timeout_ms = PORTS_DEFAULT_TLS_MS;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->jobs = calloc(p->nports ? p->nports : 1,
	    sizeof(*s->jobs))) == NULL) {
		free(s);
		return mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
	}
	s->p = &dp;
	s->r = r;
	s->read_ms = dp.read_timeout_ms;
	snprintf(r->host, sizeof(r->host), "%s", p->host);
	if (uv_loop_init(&s->loop) != 0) {
		free(s->jobs);
		free(s);
		return mv_error_set(err, MV_ERR_INTERNAL, "cannot start the "
		    "event loop");
	}
	if ((rc = scan_resolve(s, err)) == 0) {
		scan_fill(s);
		uv_run(&s->loop, UV_RUN_DEFAULT);
	}
	uv_run(&s->loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&s->loop) != 0 && rc == 0)
		rc = mv_error_set(err, MV_ERR_INTERNAL, "the event loop still "
		    "had work after the sweep");
	for (i = 0; rc == 0 && i < r->n; i++) {
		switch (r->v[i].state) {
		case PORTS_STATE_OPEN:
			r->open++;
			break;
		case PORTS_STATE_CLOSED:
			r->closed++;
			break;
		case PORTS_STATE_FILTERED:
			r->filtered++;
			break;
		case PORTS_STATE_ERROR:
			r->errors++;
			break;
		}
	}
	r->total_us = clock_now_us() - t0;
	free(s->jobs);
	free(s);
	return rc;
}
