/*
 * conn.c - client connection on libuv with TLS as a property of the
 * connection (see conn.h).
 *
 * Lifetime: every libuv handle and request holds a reference on the
 * conn; conn_close() marks it closing and closes the handles, and the
 * memory goes when the last reference drops.  Callbacks into the owner
 * are never made once the conn is closing or has failed ("dead").
 */
#include "net/conn.h"

#include "core/buf.h"
#include "core/clock.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONN_READ_CHUNK      65536
#define CONN_DEFAULT_TIMEOUT 30000
#define CONN_PLAIN_MAX       (1024 * 1024)

enum conn_tls_state { TLS_NONE, TLS_HANDSHAKE, TLS_UP };

struct conn {
	uv_loop_t *loop;
	struct conn_params p;
	struct conn_callbacks cb;
	void *arg;

	uv_stream_t *stream;   /* current attempt's handle, owned */
	uv_timer_t timer;
	uv_getaddrinfo_t gai;
	uv_connect_t creq;
	struct addrinfo *ai_list, *ai_next;
	struct addrinfo ai_given;        /* conn_params.addr as a list */
	struct sockaddr_storage ss_given;
	int refs;
	int closing, dead, connected;
	int gai_pending;
	char timeout_what[96];

	struct tls_client *tls;
	enum conn_tls_state tls_state;
	int tls_implicit;
	struct tls_info tls_info;
	struct buf tls_out;
	struct buf plain;
	struct buf gather;     /* conn_writev's pieces, joined for TLS */
	uint64_t phase_start_us;

	struct conn_timings t;
	char peer[TARGET_PATH_MAX + 32];
	char local[TARGET_PATH_MAX + 32];
	char attempt_addr[TARGET_PATH_MAX + 32];
	struct buf attempts;   /* "refused by A; timed out on B" */
	int attempts_all_timeouts;
	char rbuf[CONN_READ_CHUNK];
};

struct conn_write_req {
	uv_write_t req;
	struct conn *c;
	size_t len;
	char data[];
};

static void conn_connect_next(struct conn *c);

static void
conn_unref(struct conn *c)
{
	if (--c->refs > 0)
		return;
	if (c->ai_list)
		uv_freeaddrinfo(c->ai_list);
	tls_client_free(c->tls);
	buf_free(&c->tls_out);
	buf_free(&c->plain);
	buf_free(&c->gather);
	buf_free(&c->attempts);
	free(c);
}

static void
conn_note(struct conn *c, enum transcript_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
conn_note(struct conn *c, enum transcript_kind kind, const char *fmt, ...)
{
	va_list ap;

	if (c->p.tr == NULL)
		return;
	va_start(ap, fmt);
	transcript_vaddf(c->p.tr, kind, fmt, ap);
	va_end(ap);
}

/* Report a fatal error once; the owner then calls conn_close(). */
static void
conn_fail(struct conn *c, const struct mv_error *err)
{
	if (c->dead || c->closing)
		return;
	c->dead = 1;
	uv_timer_stop(&c->timer);
	if (c->stream)
		uv_read_stop(c->stream);
	c->cb.on_error(c, err, c->arg);
}

static void
conn_failf(struct conn *c, enum mv_errcat cat, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
conn_failf(struct conn *c, enum mv_errcat cat, const char *fmt, ...)
{
	struct mv_error err;
	va_list ap;

	va_start(ap, fmt);
	mv_error_vset(&err, cat, fmt, ap);
	va_end(ap);
	conn_fail(c, &err);
}

struct conn *
conn_new(uv_loop_t *loop, const struct conn_params *p,
    const struct conn_callbacks *cb, void *arg, struct mv_error *err)
{
	struct conn *c;

	/* The read buffer is written before it is read: only the rest
	 * needs zeroing (a load generator opens many connections). */
	if ((c = malloc(sizeof(*c))) == NULL) {
		mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	memset(c, 0, offsetof(struct conn, rbuf));
	c->loop = loop;
	c->p = *p;
	if (c->p.connect_timeout_ms == 0)
		c->p.connect_timeout_ms = CONN_DEFAULT_TIMEOUT;
	if (c->p.tls_timeout_ms == 0)
		c->p.tls_timeout_ms = CONN_DEFAULT_TIMEOUT;
	c->cb = *cb;
	c->arg = arg;
	buf_init(&c->tls_out, 0);
	buf_init(&c->plain, c->p.max_read_buffer ? c->p.max_read_buffer :
	    CONN_PLAIN_MAX);
	buf_init(&c->attempts, 4096);
	buf_init(&c->gather, 0);
	c->attempts_all_timeouts = 1;
	uv_timer_init(loop, &c->timer);
	c->timer.data = c;
	c->refs = 1; /* the timer */
	return c;
}

static void conn_attempt_failed(struct conn *c, const char *why,
    int timed_out);

static void
conn_timer_cb(uv_timer_t *tm)
{
	struct conn *c = tm->data;

	if (c->closing || c->dead)
		return;
	/* --connect-timeout is per address: go on with the next one. */
	if (!c->connected && c->stream != NULL) {
		conn_attempt_failed(c, "timed out", 1);
		return;
	}
	conn_failf(c, MV_ERR_TIMEOUT, "timed out after %.1f s while waiting "
	    "for %s", (double)(clock_now_us() - c->phase_start_us) / 1e6,
	    c->timeout_what);
}

void
conn_set_timeout(struct conn *c, uint64_t ms, const char *what)
{
	if (c->closing || c->dead)
		return;
	uv_timer_stop(&c->timer);
	if (ms == 0)
		return;
	snprintf(c->timeout_what, sizeof(c->timeout_what), "%s", what);
	c->phase_start_us = clock_now_us();
	uv_timer_start(&c->timer, conn_timer_cb, ms, 0);
}

/* --- writing ------------------------------------------------------ */

static void
conn_write_cb(uv_write_t *req, int status)
{
	struct conn_write_req *w = (struct conn_write_req *)req;
	struct conn *c = w->c;

	free(w);
	if (status < 0 && status != UV_ECANCELED)
		conn_failf(c, MV_ERR_CLOSED, "cannot send to the server: %s",
		    uv_strerror(status));
	conn_unref(c);
}

static int
conn_send_raw(struct conn *c, const void *p, size_t n)
{
	struct conn_write_req *w;
	uv_buf_t b;
	int r;

	if (n == 0)
		return 0;
	if ((w = malloc(sizeof(*w) + n)) == NULL) {
		conn_failf(c, MV_ERR_INTERNAL, "out of memory");
		return -1;
	}
	w->c = c;
	w->len = n;
	memcpy(w->data, p, n);
	b = uv_buf_init(w->data, (unsigned)n);
	if ((r = uv_write(&w->req, c->stream, &b, 1, conn_write_cb)) < 0) {
		free(w);
		conn_failf(c, MV_ERR_CLOSED, "cannot send to the server: %s",
		    uv_strerror(r));
		return -1;
	}
	c->refs++;
	return 0;
}

/* Send whatever ciphertext OpenSSL has produced. */
static int
conn_flush_tls(struct conn *c)
{
	int r;

	buf_reset(&c->tls_out);
	if (tls_client_drain(c->tls, &c->tls_out) == -1) {
		conn_failf(c, MV_ERR_INTERNAL, "out of memory");
		return -1;
	}
	r = conn_send_raw(c, c->tls_out.data, c->tls_out.len);
	buf_reset(&c->tls_out);
	return r;
}

int
conn_write(struct conn *c, const void *p, size_t n)
{
	struct mv_error err;

	if (c->closing || c->dead || !c->connected)
		return -1;
	if (c->tls_state == TLS_NONE)
		return conn_send_raw(c, p, n);
	if (c->tls_state != TLS_UP) {
		conn_failf(c, MV_ERR_INTERNAL, "write during TLS handshake");
		return -1;
	}
	if (tls_client_write(c->tls, p, n, &err) == -1) {
		conn_fail(c, &err);
		return -1;
	}
	return conn_flush_tls(c);
}

/* Queue the part of bufs from byte skip on (a copy, in one request). */
static int
conn_queue_rest(struct conn *c, const uv_buf_t *bufs, size_t n, size_t skip)
{
	struct conn_write_req *w;
	size_t total = 0, i, o = 0;
	uv_buf_t b;
	int r;

	for (i = 0; i < n; i++)
		total += bufs[i].len;
	if (skip >= total)
		return 0;
	if ((w = malloc(sizeof(*w) + (total - skip))) == NULL) {
		conn_failf(c, MV_ERR_INTERNAL, "out of memory");
		return -1;
	}
	w->c = c;
	w->len = total - skip;
	for (i = 0; i < n; i++) {
		size_t len = bufs[i].len, from = 0;

		if (skip >= len) {
			skip -= len;
			continue;
		}
		from = skip;
		skip = 0;
		memcpy(w->data + o, bufs[i].base + from, len - from);
		o += len - from;
	}
	b = uv_buf_init(w->data, (unsigned)w->len);
	if ((r = uv_write(&w->req, c->stream, &b, 1, conn_write_cb)) < 0) {
		free(w);
		conn_failf(c, MV_ERR_CLOSED, "cannot send to the server: %s",
		    uv_strerror(r));
		return -1;
	}
	c->refs++;
	return 0;
}

int
conn_writev(struct conn *c, const uv_buf_t *bufs, size_t n)
{
	struct mv_error err;
	size_t i;
	int r;

	if (c->closing || c->dead || !c->connected)
		return -1;
	if (c->tls_state == TLS_NONE) {
		/* uv_try_write refuses (EAGAIN) while earlier writes are
		 * queued, so the order of bytes is kept. */
		r = uv_try_write(c->stream, bufs, (unsigned)n);
		if (r == UV_EAGAIN || r == UV_ENOSYS)
			r = 0;
		if (r < 0) {
			/* Let the queued write report it, as conn_write
			 * does, so that errors take one path. */
			r = 0;
		}
		return conn_queue_rest(c, bufs, n, (size_t)r);
	}
	if (c->tls_state != TLS_UP) {
		conn_failf(c, MV_ERR_INTERNAL, "write during TLS handshake");
		return -1;
	}
	/* One SSL_write for the batch: one record instead of one per
	 * piece. */
	buf_reset(&c->gather);
	for (i = 0; i < n; i++)
		if (buf_append(&c->gather, bufs[i].base, bufs[i].len) == -1) {
			conn_failf(c, MV_ERR_INTERNAL, "out of memory");
			return -1;
		}
	if (c->gather.len && tls_client_write(c->tls, c->gather.data,
	    c->gather.len, &err) == -1) {
		conn_fail(c, &err);
		return -1;
	}
	return conn_flush_tls(c);
}

/* --- TLS ---------------------------------------------------------- */

static void
conn_note_tls(struct conn *c)
{
	const struct tls_info *ti = &c->tls_info;
	size_t i;

	conn_note(c, TR_TLS, "TLS handshake done in %.1f ms: %s, %s%s%s",
	    (double)c->t.tls_us / 1000.0, ti->version, ti->cipher,
	    ti->group[0] ? ", key exchange " : "", ti->group);
	for (i = 0; i < ti->chain_len; i++) {
		const struct tls_cert_info *ci = &ti->chain[i];

		conn_note(c, TR_TLS, "certificate %zu: subject %s; issuer %s; "
		    "valid %s to %s%s%s", i, ci->subject, ci->issuer,
		    ci->not_before, ci->not_after, ci->san[0] ? "; " : "",
		    ci->san);
	}
	if (ti->verified)
		conn_note(c, TR_TLS, "certificate verified for %s",
		    ti->server_name[0] ? ti->server_name : "(no name)");
	else
		conn_note(c, TR_TLS, "certificate NOT verified: %s",
		    ti->verify_error);
}

static int
conn_is_address(const char *s)
{
	unsigned char a[16];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/* Create the TLS client (trust store loaded) unless already done. */
static int
conn_tls_prepare(struct conn *c, struct mv_error *err)
{
	struct tls_config dflt;
	const struct tls_config *cfg = c->p.tls;

	if (c->tls)
		return 0;
	if (cfg == NULL) {
		memset(&dflt, 0, sizeof(dflt));
		dflt.server_name = c->p.target->host;
		cfg = &dflt;
	}
	c->tls = tls_client_new(cfg, err);
	return c->tls ? 0 : -1;
}

static int
conn_tls_begin(struct conn *c)
{
	const struct tls_config *cfg = c->p.tls;
	struct mv_error err;

	if (conn_tls_prepare(c, &err) == -1) {
		conn_fail(c, &err);
		return -1;
	}
	c->tls_state = TLS_HANDSHAKE;
	c->t.tls_us = clock_now_us();
	if (cfg == NULL || cfg->server_name == NULL)
		conn_note(c, TR_TLS, "starting TLS handshake");
	else if (conn_is_address(cfg->server_name))
		conn_note(c, TR_TLS, "starting TLS handshake; the certificate "
		    "must name the address %s", cfg->server_name);
	else
		conn_note(c, TR_TLS, "starting TLS handshake with server name "
		    "%s (SNI)", cfg->server_name);
	conn_set_timeout(c, c->p.tls_timeout_ms, "the TLS handshake");
	if (tls_client_handshake(c->tls, &err) == -1) {
		conn_fail(c, &err);
		return -1;
	}
	return conn_flush_tls(c);
}

/*
 * After a TLS 1.3 handshake the server sends session tickets, then
 * answers our first command.  A client as fast as this one has sent
 * that command before the tickets arrive, so their ACK is delayed
 * (~40 ms on Linux) and a server using Nagle's algorithm, as Postfix
 * does, holds its reply until the ACK comes: 40 ms that belong to
 * neither side's work.  Quick-ACK mode acknowledges at once.
 */
static void
conn_quickack(struct conn *c)
{
#ifdef TCP_QUICKACK
	uv_os_fd_t fd;
	int one = 1;

	if (c->p.target->is_unix || c->stream == NULL ||
	    uv_fileno((uv_handle_t *)c->stream, &fd) != 0)
		return;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
#else
	(void)c;
#endif
}

static void
conn_tls_done(struct conn *c)
{
	const struct tls_config *cfg = c->p.tls;

	conn_quickack(c);
	uv_timer_stop(&c->timer);
	c->t.tls_us = clock_now_us() - c->t.tls_us;
	c->tls_state = TLS_UP;
	tls_client_info(c->tls, &c->tls_info);
	conn_note_tls(c);
	if (!c->tls_info.verified && !(cfg && cfg->insecure)) {
		conn_failf(c, MV_ERR_TLS, "certificate verification failed: "
		    "%s", c->tls_info.verify_error);
		return;
	}
	if (c->tls_implicit)
		c->cb.on_ready(c, c->arg);
	else
		c->cb.on_tls(c, c->arg);
}

int
conn_starttls(struct conn *c)
{
	if (c->closing || c->dead || !c->connected || c->tls_state != TLS_NONE)
		return -1;
	return conn_tls_begin(c);
}

/* --- reading ------------------------------------------------------ */

static void
conn_alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct conn *c = h->data;

	(void)hint;
	*b = uv_buf_init(c->rbuf, sizeof(c->rbuf));
}

static void
conn_read_tls(struct conn *c, const char *data, size_t n)
{
	struct mv_error err;
	long got;
	int eof = 0;

	if (tls_client_feed(c->tls, data, n, &err) == -1) {
		conn_fail(c, &err);
		return;
	}
	if (c->tls_state == TLS_HANDSHAKE) {
		int hs = tls_client_handshake(c->tls, &err);

		if (hs == -1 || conn_flush_tls(c) == -1) {
			if (hs == -1)
				conn_fail(c, &err);
			return;
		}
		if (hs == 0)
			return;
		conn_tls_done(c);
		if (c->closing || c->dead)
			return;
	}
	buf_reset(&c->plain);
	got = tls_client_read(c->tls, &c->plain, &eof, &err);
	/* Reading may produce output (key updates, alerts). */
	if (conn_flush_tls(c) == -1)
		return;
	/* Deliver what was decrypted before an alert: the server's last
	 * reply is worth more than the alert that followed it. */
	if (c->plain.len > 0)
		c->cb.on_read(c, c->plain.data, c->plain.len, c->arg);
	if (got < 0) {
		if (!c->closing && !c->dead)
			conn_fail(c, &err);
		return;
	}
	if (eof && !c->closing && !c->dead)
		conn_failf(c, MV_ERR_CLOSED, "the server closed the TLS "
		    "session");
}

static void
conn_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct conn *c = s->data;

	if (c->closing || c->dead || nread == 0)
		return;
	if (nread < 0) {
		if (nread == UV_EOF)
			conn_failf(c, MV_ERR_CLOSED, "the server closed the "
			    "connection%s", c->tls_state == TLS_HANDSHAKE ?
			    " during the TLS handshake" : "");
		else
			conn_failf(c, MV_ERR_CLOSED, "connection lost: %s",
			    uv_strerror((int)nread));
		return;
	}
	if (c->tls_state == TLS_NONE)
		c->cb.on_read(c, b->base, (size_t)nread, c->arg);
	else
		conn_read_tls(c, b->base, (size_t)nread);
}

/* --- connecting --------------------------------------------------- */

static void
conn_handle_closed(uv_handle_t *h)
{
	struct conn *c = h->data;
	int retry = !c->closing && !c->dead && !c->connected;

	free(h);
	if (retry)
		conn_connect_next(c);
	conn_unref(c);
}

static void
conn_attempt_failed(struct conn *c, const char *why, int timed_out)
{
	if (!timed_out)
		c->attempts_all_timeouts = 0;
	buf_printf(&c->attempts, "%s%s: %s", c->attempts.len ? "; " : "",
	    c->attempt_addr, why);
	conn_note(c, TR_INFO, "connection to %s failed: %s", c->attempt_addr,
	    why);
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)c->stream, conn_handle_closed);
	c->stream = NULL;
}

static void
conn_sockname(uv_tcp_t *tcp, int peer, char *out, size_t outsz)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	char ip[INET6_ADDRSTRLEN] = "?";
	int port = 0;
	int r;

	r = peer ? uv_tcp_getpeername(tcp, (struct sockaddr *)&ss, &len) :
	    uv_tcp_getsockname(tcp, (struct sockaddr *)&ss, &len);
	if (r < 0) {
		snprintf(out, outsz, "?");
		return;
	}
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		uv_ip6_name(s6, ip, sizeof(ip));
		port = ntohs(s6->sin6_port);
		snprintf(out, outsz, "[%s]:%d", ip, port);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		uv_ip4_name(s4, ip, sizeof(ip));
		port = ntohs(s4->sin_port);
		snprintf(out, outsz, "%s:%d", ip, port);
	}
}

static void
conn_connect_cb(uv_connect_t *req, int status)
{
	struct conn *c = req->data;
	int r;

	if (status == UV_ECANCELED || c->closing || c->dead)
		return;
	if (status < 0) {
		conn_attempt_failed(c, uv_strerror(status),
		    status == UV_ETIMEDOUT);
		return;
	}
	uv_timer_stop(&c->timer);
	c->connected = 1;
	c->t.connect_us = clock_now_us() - c->t.connect_us;
	if (c->p.target->is_unix) {
		snprintf(c->peer, sizeof(c->peer), "%s", c->p.target->path);
		snprintf(c->local, sizeof(c->local), "-");
	} else {
		conn_sockname((uv_tcp_t *)c->stream, 1, c->peer,
		    sizeof(c->peer));
		conn_sockname((uv_tcp_t *)c->stream, 0, c->local,
		    sizeof(c->local));
	}
	conn_note(c, TR_INFO, "connected to %s from %s in %.1f ms", c->peer,
	    c->local, (double)c->t.connect_us / 1000.0);
	if ((r = uv_read_start(c->stream, conn_alloc_cb, conn_read_cb)) < 0) {
		conn_failf(c, MV_ERR_CONNECT, "cannot read from %s: %s",
		    c->peer, uv_strerror(r));
		return;
	}
	if (c->p.target->implicit_tls) {
		c->tls_implicit = 1;
		conn_tls_begin(c);
		return;
	}
	c->cb.on_ready(c, c->arg);
}

/* Parse the --source address for the given family; -1 if it is not
 * an address of that family. */
static int
conn_source_addr(const char *src, int family, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET)
		return uv_ip4_addr(src, 0, (struct sockaddr_in *)ss) == 0 ?
		    0 : -1;
	return uv_ip6_addr(src, 0, (struct sockaddr_in6 *)ss) == 0 ? 0 : -1;
}

static void
conn_no_more_addresses(struct conn *c)
{
	char t[300];

	target_format(c->p.target, t, sizeof(t));
	if (c->attempts.len == 0 && c->p.source) {
		conn_failf(c, MV_ERR_CONNECT, "cannot connect to %s: it has "
		    "no address of the same family as --source %s", t,
		    c->p.source);
		return;
	}
	conn_failf(c, c->attempts_all_timeouts && c->attempts.len ?
	    MV_ERR_TIMEOUT : MV_ERR_CONNECT, "cannot connect to %s: %s", t,
	    c->attempts.len ? buf_cstr(&c->attempts) :
	    "no usable address");
}

static void
conn_connect_unix(struct conn *c)
{
	uv_pipe_t *pipe;

	if ((pipe = malloc(sizeof(*pipe))) == NULL) {
		conn_failf(c, MV_ERR_INTERNAL, "out of memory");
		return;
	}
	uv_pipe_init(c->loop, pipe, 0);
	pipe->data = c;
	c->refs++;
	c->stream = (uv_stream_t *)pipe;
	snprintf(c->attempt_addr, sizeof(c->attempt_addr), "%s",
	    c->p.target->path);
	c->creq.data = c;
	c->t.connect_us = clock_now_us();
	conn_note(c, TR_INFO, "connecting to %s", c->p.target->path);
	conn_set_timeout(c, c->p.connect_timeout_ms, "the connection");
	uv_pipe_connect(&c->creq, pipe, c->p.target->path, conn_connect_cb);
}

static void
conn_connect_next(struct conn *c)
{
	struct addrinfo *ai;
	uv_tcp_t *tcp;
	int r;

	for (;;) {
		struct sockaddr_storage src;

		if ((ai = c->ai_next) == NULL) {
			conn_no_more_addresses(c);
			return;
		}
		c->ai_next = ai->ai_next;
		if (ai->ai_family == AF_INET)
			uv_ip4_name((struct sockaddr_in *)ai->ai_addr,
			    c->attempt_addr, sizeof(c->attempt_addr));
		else
			uv_ip6_name((struct sockaddr_in6 *)ai->ai_addr,
			    c->attempt_addr, sizeof(c->attempt_addr));
		if (c->p.source && conn_source_addr(c->p.source,
			ai->ai_family, &src) == -1) {
			conn_note(c, TR_INFO, "skipping %s: the source "
			    "address %s is of another family",
			    c->attempt_addr, c->p.source);
			continue;
		}
		if ((tcp = malloc(sizeof(*tcp))) == NULL) {
			conn_failf(c, MV_ERR_INTERNAL, "out of memory");
			return;
		}
		uv_tcp_init(c->loop, tcp);
		tcp->data = c;
		c->refs++;
		c->stream = (uv_stream_t *)tcp;
		if (c->p.source && (r = uv_tcp_bind(tcp,
			(struct sockaddr *)&src, 0)) < 0) {
			char why[160];

			snprintf(why, sizeof(why), "cannot bind source "
			    "address %s: %s", c->p.source, uv_strerror(r));
			conn_attempt_failed(c, why, 0);
			return;
		}
		uv_tcp_nodelay(tcp, 1);
		c->creq.data = c;
		c->t.connect_us = clock_now_us();
		conn_note(c, TR_INFO, "connecting to %s port %u%s%s",
		    c->attempt_addr, c->p.target->port,
		    c->p.source ? " from " : "",
		    c->p.source ? c->p.source : "");
		conn_set_timeout(c, c->p.connect_timeout_ms,
		    "the TCP connection");
		r = uv_tcp_connect(&c->creq, tcp, ai->ai_addr,
		    conn_connect_cb);
		if (r < 0)
			conn_attempt_failed(c, uv_strerror(r), 0);
		return;
	}
}

/* Resolver failures in words a user can act on. */
static const char *
conn_gai_words(int status, int family)
{
	switch (status) {
	case UV_EAI_NONAME:
		return "no such host name";
	case UV_EAI_AGAIN:
		return "temporary failure (the name server did not answer)";
	case UV_EAI_NODATA:
		return "the name exists but has no address";
	case UV_EAI_ADDRFAMILY:
	case UV_EAI_FAMILY:
		return family == AF_INET ? "the name has no IPv4 address (-4)" :
		    family == AF_INET6 ? "the name has no IPv6 address (-6)" :
		    "no address of a usable family";
	default:
		return uv_strerror(status);
	}
}

static void
conn_gai_cb(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct conn *c = req->data;

	c->gai_pending = 0;
	if (c->closing || c->dead) {
		if (res)
			uv_freeaddrinfo(res);
		conn_unref(c);
		return;
	}
	c->t.resolve_us = clock_now_us() - c->t.resolve_us;
	if (status < 0) {
		conn_failf(c, MV_ERR_DNS, "cannot resolve %s: %s",
		    c->p.target->host, conn_gai_words(status, c->p.family));
		conn_unref(c);
		return;
	}
	uv_timer_stop(&c->timer);
	c->ai_list = c->ai_next = res;
	conn_connect_next(c);
	conn_unref(c);
}

int
conn_start(struct conn *c, struct mv_error *err)
{
	struct addrinfo hints;
	char port[8];
	int r;

	if (c->p.prepare_tls && conn_tls_prepare(c, err) == -1)
		return -1;
	if (c->p.target->is_unix) {
		conn_connect_unix(c);
		return 0;
	}
	if (c->p.addr && c->p.addrlen <= sizeof(c->ss_given)) {
		memcpy(&c->ss_given, c->p.addr, c->p.addrlen);
		memset(&c->ai_given, 0, sizeof(c->ai_given));
		c->ai_given.ai_family = c->p.addr->sa_family;
		c->ai_given.ai_socktype = SOCK_STREAM;
		c->ai_given.ai_protocol = IPPROTO_TCP;
		c->ai_given.ai_addrlen = c->p.addrlen;
		c->ai_given.ai_addr = (struct sockaddr *)&c->ss_given;
		c->ai_next = &c->ai_given;
		conn_connect_next(c);
		return 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = c->p.family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	if (c->p.target->is_literal)
		hints.ai_flags |= AI_NUMERICHOST;
	snprintf(port, sizeof(port), "%u", c->p.target->port);
	c->gai.data = c;
	c->t.resolve_us = clock_now_us();
	/* The resolver has timeouts of its own; ours bounds them. */
	conn_set_timeout(c, c->p.connect_timeout_ms, "the DNS lookup");
	if (!c->p.target->is_literal)
		conn_note(c, TR_INFO, "resolving %s", c->p.target->host);
	r = uv_getaddrinfo(c->loop, &c->gai, conn_gai_cb, c->p.target->host,
	    port, &hints);
	if (r < 0)
		return mv_error_set(err, MV_ERR_DNS, "cannot resolve %s: %s",
		    c->p.target->host, uv_strerror(r));
	c->refs++;
	c->gai_pending = 1;
	return 0;
}

static void
conn_timer_closed(uv_handle_t *h)
{
	conn_unref(h->data);
}

void
conn_close(struct conn *c)
{
	if (c == NULL || c->closing)
		return;
	c->closing = 1;
	if (c->tls_state == TLS_UP && c->stream && !c->dead) {
		/* Best effort close_notify; QUIT has already been sent. */
		tls_client_shutdown(c->tls);
		buf_reset(&c->tls_out);
		if (tls_client_drain(c->tls, &c->tls_out) == 0 &&
		    c->tls_out.len) {
			uv_buf_t b = uv_buf_init(c->tls_out.data,
			    (unsigned)c->tls_out.len);

			(void)uv_try_write(c->stream, &b, 1);
		}
	}
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, conn_timer_closed);
	if (c->stream) {
		uv_close((uv_handle_t *)c->stream, conn_handle_closed);
		c->stream = NULL;
	}
	if (c->gai_pending)
		uv_cancel((uv_req_t *)&c->gai);
}

int
conn_tls_active(const struct conn *c)
{
	return c->tls_state == TLS_UP;
}

const struct tls_info *
conn_tls_info(const struct conn *c)
{
	return c->tls_state == TLS_UP ? &c->tls_info : NULL;
}

const struct conn_timings *
conn_timings(const struct conn *c)
{
	return &c->t;
}

const char *
conn_peer(const struct conn *c)
{
	return c->peer;
}

const char *
conn_local(const struct conn *c)
{
	return c->local;
}
