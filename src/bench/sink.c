/*
 * sink.c - the sink's life cycle (sink.h): parameters, SO_REUSEPORT
 * listeners (after a bind without it, so that a second server on the
 * same address is refused), one libuv loop per worker thread, stopping,
 * and the merged view of the per-thread counters.  The SMTP/LMTP
 * dialog is in sink_conn.c.  Errors: -1 with struct mv_error (see sink.h).
 */
#include "bench/sink_int.h"
#include "core/clock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void
sink_params_init(struct sink_params *p)
{
	memset(p, 0, sizeof(*p));
	p->threads = 1;
	p->features = SINK_FEAT_ALL;
	p->size_limit = 64ull * 1024 * 1024;
	p->hostname = "mailvet-sink";
	p->rate_limit_code = 451;
	p->idle_timeout_ms = 300000;
	p->max_connections = 10000;
	p->line_max = 4096;
	p->track_tokens = 1;
	p->seed = 1;
	p->capture_max_bytes = 1024ull * 1024 * 1024;
}

/* "1.2.3.4:25", "[::1]:25" into ss; IP literals only. */
static int
parse_addr(const char *a, struct sockaddr_storage *ss, struct mv_error *err)
{
	char host[64];
	const char *colon, *h, *port;
	size_t hl;
	unsigned long v = 0;
	const char *q;

	if (a[0] == '[') {
		colon = strstr(a, "]:");
		if (colon == NULL)
			goto bad;
		h = a + 1;
		hl = (size_t)(colon - h);
		port = colon + 2;
	} else {
		colon = strrchr(a, ':');
		if (colon == NULL)
			return mv_error_set(err, MV_ERR_USAGE, "'%s': the port "
			    "is missing (IP:PORT, e.g. 127.0.0.1:2526; port 0 "
			    "lets the system choose)", a);
		h = a;
		hl = (size_t)(colon - a);
		port = colon + 1;
	}
	if (hl == 0 || hl >= sizeof(host) || *port == '\0')
		goto bad;
	for (q = port; *q != '\0'; q++) {
		if (*q < '0' || *q > '9')
			goto bad;
		v = v * 10 + (unsigned long)(*q - '0');
		if (v > 65535)
			goto bad;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (uv_ip4_addr(host, (int)v, (struct sockaddr_in *)ss) == 0)
		return 0;
	if (uv_ip6_addr(host, (int)v, (struct sockaddr_in6 *)ss) == 0)
		return 0;
bad:
	return mv_error_set(err, MV_ERR_USAGE, "'%s': expected IP:PORT or "
	    "[IPv6]:PORT (an address literal, not a name)", a);
}

static int
is_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
	static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0xff, 0xff };

	if (ss->ss_family == AF_INET)
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
		return 1;
	return memcmp(in6->sin6_addr.s6_addr, v4mapped, 12) == 0 &&
	    in6->sin6_addr.s6_addr[12] == 127;
}

static char *
dup_str(const char *s)
{
	size_t n = strlen(s);
	char *d = malloc(n + 1);

	if (d != NULL)
		memcpy(d, s, n + 1);
	return d;
}

struct sink *
sink_new(const struct sink_params *p, struct mv_error *err)
{
	struct sink *s;
	size_t i;

	if (p->threads == 0 || p->threads > SINK_MAX_THREADS) {
		mv_error_set(err, MV_ERR_USAGE, "threads must be 1 to %d",
		    SINK_MAX_THREADS);
		return NULL;
	}
	if (p->nlisten > SINK_MAX_LISTEN || p->nfaults > SINK_MAX_FAULTS) {
		mv_error_set(err, MV_ERR_USAGE, "too many listen addresses "
		    "or faults");
		return NULL;
	}
	if (p->rate_limit_code != 451 && p->rate_limit_code != 421) {
		mv_error_set(err, MV_ERR_USAGE, "the rate limit answers 451 "
		    "or 421");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	s->p = *p;
	sink_runs_init(&s->runs);
	if (s->p.nlisten == 0) {
		s->p.nlisten = 1;
		s->p.listen[0].addr = SINK_DEFAULT_LISTEN;
		s->p.listen[0].implicit_tls = 0;
	}
	if (s->p.line_max < 512)
		s->p.line_max = 512;
	for (i = 0; i < s->p.nlisten; i++) {
		if (parse_addr(s->p.listen[i].addr, &s->addr[i], err) == -1)
			goto fail;
		if (!s->p.allow_remote && !is_loopback(&s->addr[i])) {
			mv_error_set(err, MV_ERR_USAGE, "'%s' is not a loopback "
			    "address; the sink binds loopback only unless "
			    "told otherwise (--allow-remote)",
			    s->p.listen[i].addr);
			goto fail;
		}
		if (s->p.listen[i].implicit_tls && s->p.tls_cert_file == NULL) {
			mv_error_set(err, MV_ERR_USAGE, "implicit TLS on '%s' "
			    "needs a certificate and key",
			    s->p.listen[i].addr);
			goto fail;
		}
		s->listen_copy[i] = dup_str(s->p.listen[i].addr);
		if (s->listen_copy[i] == NULL)
			goto oom;
		s->p.listen[i].addr = s->listen_copy[i];
	}
	if (s->p.starttls && s->p.tls_cert_file == NULL) {
		mv_error_set(err, MV_ERR_USAGE, "STARTTLS needs a certificate "
		    "and key");
		goto fail;
	}
	if (s->p.tls_cert_file != NULL) {
		s->tls = tls_server_ctx_new(s->p.tls_cert_file,
		    s->p.tls_key_file != NULL ? s->p.tls_key_file :
		    s->p.tls_cert_file, err);
		if (s->tls == NULL)
			goto fail;
	}
	s->p.tls_cert_file = s->p.tls_key_file = NULL;
	s->hostname = dup_str(p->hostname != NULL ? p->hostname :
	    "mailvet-sink");
	if (s->hostname == NULL)
		goto oom;
	s->p.hostname = s->hostname;
	if (p->nauth_users > 0) {
		s->auth_copy = calloc(p->nauth_users, sizeof(char *));
		if (s->auth_copy == NULL)
			goto oom;
		for (i = 0; i < p->nauth_users; i++) {
			s->auth_copy[i] = dup_str(p->auth_users[i]);
			if (s->auth_copy[i] == NULL)
				goto oom;
		}
		s->p.auth_users = (const char *const *)s->auth_copy;
	}
	if (p->capture_dir != NULL) {
		if (sink_capture_prepare(p->capture_dir, err) == -1)
			goto fail;
		s->capture_copy = dup_str(p->capture_dir);
		if (s->capture_copy == NULL)
			goto oom;
		s->p.capture_dir = s->capture_copy;
	}
	if (sink_replies_build(s, err) == -1)
		goto fail;
	s->nthreads = p->threads;
	s->thread = calloc(s->nthreads, sizeof(*s->thread));
	if (s->thread == NULL)
		goto oom;
	for (i = 0; i < s->nthreads; i++) {
		struct sink_thread *t = &s->thread[i];

		t->sink = s;
		t->index = (unsigned)i;
		pthread_mutex_init(&t->lock, NULL);
		sink_stats_reset(&t->stats);
		sink_rng_seed(&t->rng, s->p.seed * 0x100000001b3ull + i);
		t->rbuf = malloc(SINK_READ_BUF);
		if (t->rbuf == NULL)
			goto oom;
		if (s->tls != NULL) {
			t->plain = malloc(SINK_TLS_PLAIN_MAX);
			if (t->plain == NULL)
				goto oom;
		}
		if (s->p.track_tokens && sink_tokens_init(&t->tokens) == -1)
			goto oom;
	}
	return s;
oom:
	mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
fail:
	sink_free(s);
	return NULL;
}

static int
listen_fd(const struct sockaddr_storage *ss, int *fdp, struct mv_error *err,
    const char *name)
{
	int fd, one = 1;
	socklen_t len = ss->ss_family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return mv_error_set(err, MV_ERR_INTERNAL, "socket: %s",
		    strerror(errno));
	/* One accept queue per thread, the kernel spreads connections. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    (ss->ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &one, sizeof(one)))) {
		close(fd);
		return mv_error_set(err, MV_ERR_INTERNAL, "setsockopt: %s",
		    strerror(errno));
	}
	if (bind(fd, (const struct sockaddr *)ss, len) == -1 ||
	    listen(fd, 4096) == -1) {
		int e = errno;

		close(fd);
		return mv_error_set(err, MV_ERR_CONNECT, "cannot listen on "
		    "%s: %s", name, strerror(e));
	}
	*fdp = fd;
	return 0;
}

/*
 * Without SO_REUSEPORT, so that a listener already on the address (a
 * second sink, or anything else) makes us fail instead of quietly
 * sharing its port.  With port 0 the kernel picks a free port here and
 * ss gets it, so that every thread's socket joins that port.
 */
static int
probe_addr(struct sockaddr_storage *ss, struct mv_error *err,
    const char *name)
{
	int fd, e, one = 1;
	socklen_t len = ss->ss_family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return mv_error_set(err, MV_ERR_INTERNAL, "socket: %s",
		    strerror(errno));
	/* SO_REUSEADDR: connections of an earlier run in TIME_WAIT are
	 * no reason to refuse; a listener still is. */
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss, len) == -1) {
		e = errno;
		close(fd);
		return mv_error_set(err, MV_ERR_CONNECT, "cannot listen on "
		    "%s: %s", name, e == EADDRINUSE ? "address in use "
		    "(is another server listening there?)" : strerror(e));
	}
	len = sizeof(*ss);
	if (getsockname(fd, (struct sockaddr *)ss, &len) == -1) {
		e = errno;
		close(fd);
		return mv_error_set(err, MV_ERR_INTERNAL, "getsockname: %s",
		    strerror(e));
	}
	close(fd);
	return 0;
}

static void
format_addr(const struct sockaddr_storage *ss, char *out, size_t outsz)
{
	char h[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;

		inet_ntop(AF_INET, &in->sin_addr, h, sizeof(h));
		snprintf(out, outsz, "%s:%u", h, ntohs(in->sin_port));
	} else {
		const struct sockaddr_in6 *in6 = (const void *)ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, h, sizeof(h));
		snprintf(out, outsz, "[%s]:%u", h, ntohs(in6->sin6_port));
	}
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct sink_listener *l = server->data;

	if (status < 0 || l->t->listeners_closed)
		return;
	sink_conn_accept(l);
}

/* Stop taking connections on this thread (max_messages, stop). */
void
sink_close_listeners(struct sink_thread *t)
{
	size_t i;

	if (t->listeners_closed)
		return;
	t->listeners_closed = 1;
	for (i = 0; i < t->nlisteners; i++)
		uv_close((uv_handle_t *)&t->listener[i].tcp, NULL);
}

static void
on_sweep(uv_timer_t *tm)
{
	struct sink_thread *t = tm->data;

	pthread_mutex_lock(&t->lock);
	if (t->sink->p.max_messages > 0 && atomic_load(&t->sink->done))
		sink_close_listeners(t);
	sink_conn_sweep(t);
	pthread_mutex_unlock(&t->lock);
}

static void
on_stop(uv_async_t *a)
{
	struct sink_thread *t = a->data;

	pthread_mutex_lock(&t->lock);
	t->stopping = 1;
	sink_close_listeners(t);
	uv_close((uv_handle_t *)&t->sweep, NULL);
	uv_close((uv_handle_t *)&t->stop_async, NULL);
	sink_conn_close_all(t);
	pthread_mutex_unlock(&t->lock);
}

static void
thread_main(void *arg)
{
	struct sink_thread *t = arg;

	uv_run(&t->loop, UV_RUN_DEFAULT);
}

/* Set up thread t's loop and listeners (before its thread runs). */
static int
thread_setup(struct sink *s, struct sink_thread *t, struct mv_error *err)
{
	uint64_t sweep_ms;
	size_t i;
	int fd = -1, r;

	if (uv_loop_init(&t->loop) != 0)
		return mv_error_set(err, MV_ERR_INTERNAL, "uv_loop_init");
	t->loop_ok = 1;
	uv_async_init(&t->loop, &t->stop_async, on_stop);
	t->stop_async.data = t;
	uv_timer_init(&t->loop, &t->sweep);
	t->sweep.data = t;
	sweep_ms = s->p.idle_timeout_ms / 4;
	if (sweep_ms < 50)
		sweep_ms = 50;
	if (sweep_ms > 1000)
		sweep_ms = 1000;
	if (s->p.idle_timeout_ms > 0)
		uv_timer_start(&t->sweep, on_sweep, sweep_ms, sweep_ms);
	for (i = 0; i < s->p.nlisten; i++) {
		struct sink_listener *l = &t->listener[i];

		if (listen_fd(&s->addr[i], &fd, err, s->p.listen[i].addr) == -1)
			return -1;
		uv_tcp_init(&t->loop, &l->tcp);
		t->nlisteners++;
		l->t = t;
		l->implicit_tls = s->p.listen[i].implicit_tls;
		l->tcp.data = l;
		r = uv_tcp_open(&l->tcp, fd);
		if (r == 0)
			r = uv_listen((uv_stream_t *)&l->tcp, 4096,
			    on_connection);
		if (r != 0)
			return mv_error_set(err, MV_ERR_CONNECT, "cannot listen "
			    "on %s: %s", s->p.listen[i].addr, uv_strerror(r));
		if (t->index == 0) {
			/* probe_addr() already turned port 0 into a real
			 * port; this is the address as bound. */
			socklen_t len = sizeof(s->addr[i]);

			getsockname(fd, (struct sockaddr *)&s->addr[i], &len);
			format_addr(&s->addr[i], s->bound[i],
			    sizeof(s->bound[i]));
		}
	}
	return 0;
}

/* Run the loop of a thread that never started until its handles are
 * closed, so that uv_loop_close() succeeds. */
static void
thread_teardown(struct sink_thread *t)
{
	if (!t->loop_ok)
		return;
	if (!t->started) {
		on_stop(&t->stop_async);
		uv_run(&t->loop, UV_RUN_DEFAULT);
	}
	uv_loop_close(&t->loop);
	t->loop_ok = 0;
}

int
sink_start(struct sink *s, struct mv_error *err)
{
	unsigned i;

	if (s->started)
		return mv_error_set(err, MV_ERR_INTERNAL, "sink started twice");
	s->started = 1;
	s->start_us = clock_now_us();
	for (i = 0; i < s->p.nlisten; i++)
		if (probe_addr(&s->addr[i], err, s->p.listen[i].addr) == -1)
			goto fail;
	for (i = 0; i < s->nthreads; i++)
		if (thread_setup(s, &s->thread[i], err) == -1)
			goto fail;
	for (i = 0; i < s->nthreads; i++) {
		if (uv_thread_create(&s->thread[i].tid, thread_main,
		    &s->thread[i]) != 0) {
			mv_error_set(err, MV_ERR_INTERNAL, "cannot start a "
			    "thread");
			goto fail;
		}
		s->thread[i].started = 1;
	}
	return 0;
fail:
	sink_stop(s);
	return -1;
}

const char *
sink_bound_address(const struct sink *s)
{
	return s->bound[0];
}

const char *
sink_bound_address_n(const struct sink *s, size_t i)
{
	if (i >= s->p.nlisten)
		return "";
	return s->bound[i];
}

int
sink_token_seen(struct sink *s, const char *token)
{
	uint64_t n = 0;
	unsigned i;

	if (!s->p.track_tokens)
		return 0;
	for (i = 0; i < s->nthreads; i++) {
		pthread_mutex_lock(&s->thread[i].lock);
		n += sink_tokens_count(&s->thread[i].tokens, token);
		pthread_mutex_unlock(&s->thread[i].lock);
	}
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

void
sink_stats(struct sink *s, struct sink_stats *out)
{
	unsigned i;

	sink_stats_reset(out);
	for (i = 0; i < s->nthreads; i++) {
		pthread_mutex_lock(&s->thread[i].lock);
		sink_stats_merge(out, &s->thread[i].stats);
		pthread_mutex_unlock(&s->thread[i].lock);
	}
	out->elapsed_us = s->started ? clock_now_us() - s->start_us : 0;
	out->threads = s->nthreads;
	out->nlisten = (unsigned)s->p.nlisten;
	for (i = 0; i < s->p.nlisten && i < 8; i++)
		memcpy(out->listen[i], s->bound[i], sizeof(out->listen[i]));
	out->verify.expected = s->p.expect_count;
	if (s->p.expect_count > 0)
		out->verify.lost = out->verify.ok < s->p.expect_count ?
		    s->p.expect_count - out->verify.ok : 0;
	out->verify.runs = atomic_load(&s->runs.nruns);
}

int
sink_done(struct sink *s)
{
	return atomic_load(&s->done);
}

void
sink_stop(struct sink *s)
{
	unsigned i;

	if (s == NULL || s->stopped || s->thread == NULL)
		return;
	s->stopped = 1;
	for (i = 0; i < s->nthreads; i++)
		if (s->thread[i].started)
			uv_async_send(&s->thread[i].stop_async);
	for (i = 0; i < s->nthreads; i++) {
		if (s->thread[i].started)
			uv_thread_join(&s->thread[i].tid);
		thread_teardown(&s->thread[i]);
	}
}

void
sink_free(struct sink *s)
{
	size_t i;

	if (s == NULL)
		return;
	sink_stop(s);
	if (s->thread != NULL) {
		for (i = 0; i < s->nthreads; i++) {
			pthread_mutex_destroy(&s->thread[i].lock);
			free(s->thread[i].rbuf);
			free(s->thread[i].plain);
			sink_tokens_free(&s->thread[i].tokens);
		}
		free(s->thread);
	}
	for (i = 0; i < SINK_MAX_LISTEN; i++)
		free(s->listen_copy[i]);
	if (s->auth_copy != NULL)
		for (i = 0; i < s->p.nauth_users; i++)
			free(s->auth_copy[i]);
	free(s->auth_copy);
	free(s->hostname);
	free(s->capture_copy);
	sink_replies_free(s);
	tls_server_ctx_free(s->tls);
	sink_runs_free(&s->runs);
	free(s);
}
