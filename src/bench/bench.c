/*
 * bench.c - the load generator (see bench.h).
 *
 * Threads: the caller's thread starts the workers and waits; each
 * worker owns a loop, its sessions, its schedule and its statistics.
 * The only state shared while running is read-only (parameters,
 * messages, the TLS context, the resolved address) plus each worker's
 * running totals, written by the worker alone with relaxed atomics and
 * read by bench_counters().
 *
 * A session's engine is freed on the loop's next turn after on_done
 * (the engine is still on the stack when it calls on_done), which is
 * also when the session reconnects, paced by --connect-rate and backed
 * off after failures.
 */
#include "bench/bench.h"

#include "bench/bench_sched.h"
#include "core/clock.h"

#include <netdb.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

/* A worker gives up when this many sessions in a row (and at least two
 * per session) ended before their first message. */
#define BENCH_GIVE_UP_MIN   8
#define BENCH_BACKOFF_MS    20

struct bench_live {
	_Atomic uint64_t started, accepted, rejected, aborted, errors, bytes,
	    connections;
};

struct bench_worker;

/* A rate-queue entry: valid while its session still holds the ticket
 * (a session that died while queued leaves a stale entry behind). */
struct bench_wait {
	unsigned sess;
	uint64_t ticket;
};

struct bench_session {
	struct bench_worker *w;
	struct smtp_client *c;          /* running, or NULL */
	struct smtp_client *dead;       /* ended, freed on the next turn */
	struct smtp_client_params sp;   /* the engine's, with txn_arg */
	struct smtp_client_result res;
	uint64_t msgs;                  /* started on this connection */
	uint64_t quota;                 /* messages reserved for it */
	uint64_t waiting;               /* its ticket in the rate queue,
					 * 0: not waiting */
	int aborted;                    /* ended by bench_abort */
	int queued;                     /* in the open queue */
};

struct bench_worker {
	struct bench *b;
	unsigned index;
	uv_thread_t tid;
	int thread_started;
	uv_loop_t loop;
	int loop_ready;
	uv_async_t wake;
	uv_timer_t rate_timer, open_timer, end_timer;
	int rate_armed;
	struct bench_session *sess;
	unsigned nsess, nactive;
	struct bench_wait *waitq;       /* ring of 2 * nsess entries */
	unsigned *openq;                /* ring of nsess entries */
	size_t wq_head, wq_len, oq_head, oq_len;
	uint64_t wq_ticket;
	struct bench_sched sched;       /* messages (open loop) */
	struct bench_sched csched;      /* connections (paced) */
	uint64_t budget;                /* messages left; UINT64_MAX: any */
	uint64_t unreserved;            /* of budget, not yet promised to
					 * a connection (per_connection) */
	uint64_t deadline_us;           /* 0: none */
	uint64_t seq_next;
	uint64_t rng;
	size_t to_next;
	unsigned consecutive_fail;
	int stopping, closing, aborting;
	uint64_t end_us;
	struct bench_live live;
	struct bench_stats *st;         /* this thread's, owned */
};

struct bench {
	struct bench_params p;
	struct tls_context *tls_ctx;
	struct tls_config tls;
	struct conn_params cp;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	const char **rcpt_ring;         /* nto + rcpts entries */
	struct bench_worker *w;
	unsigned nw;
	uint64_t t0_us;
	struct rusage ru0;
	uv_mutex_t mu;
	uv_cond_t cv;
	int sync_ready;
	unsigned running;
	atomic_int stop, abort;
};

static void bench_worker_wind_down(struct bench_worker *w);
static void bench_open_cb(uv_timer_t *t);

/* --- counters ------------------------------------------------------ */

/* Only the owning thread writes: a plain add, published atomically. */
static void
live_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c,
	    memory_order_relaxed) + n, memory_order_relaxed);
}

static uint64_t
live_get(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

static void
bench_sample(char *dst, const char *src)
{
	size_t n;

	if (dst[0] != '\0')
		return;
	/* Cut to fit: a sample, not the whole message. */
	n = strnlen(src, BENCH_SAMPLE_MAX - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* --- schedule ------------------------------------------------------ */

static uint64_t
bench_rand(struct bench_worker *w)
{
	/* xorshift64*: cheap, good enough to pick message sizes. */
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return w->rng * 0x2545f4914f6cdd1dull;
}

static uint64_t
ms_until(uint64_t due_us, uint64_t now_us)
{
	return due_us > now_us ? (due_us - now_us + 999) / 1000 : 0;
}

static void
bench_rate_cb(uv_timer_t *t)
{
	struct bench_worker *w = t->data;
	struct bench_session *ss;
	uint64_t now = clock_now_us(), due, ticket;

	w->rate_armed = 0;
	while (w->wq_len > 0 && !w->stopping) {
		due = bench_sched_due(&w->sched, w->sched.k);
		if (due > now)
			break;
		ss = &w->sess[w->waitq[w->wq_head].sess];
		ticket = w->waitq[w->wq_head].ticket;
		w->wq_head = (w->wq_head + 1) % (2 * (size_t)w->nsess);
		w->wq_len--;
		if (ss->waiting != ticket || ss->c == NULL)
			continue;
		ss->waiting = 0;
		smtp_client_resume(ss->c);
	}
	if (w->wq_len > 0 && !w->stopping) {
		due = bench_sched_due(&w->sched, w->sched.k);
		uv_timer_start(&w->rate_timer, bench_rate_cb,
		    ms_until(due, clock_now_us()) ? ms_until(due,
		    clock_now_us()) : 1, 0);
		w->rate_armed = 1;
	}
}

static void
bench_wait_push(struct bench_worker *w, struct bench_session *ss)
{
	size_t cap = 2 * (size_t)w->nsess, i, n;
	uint64_t due;

	if (ss->waiting)
		return;
	if (w->wq_len == cap) {
		/* Full of stale entries: keep the valid ones (at most one
		 * per session, so at most half the ring), in order. */
		for (i = n = 0; i < w->wq_len; i++) {
			struct bench_wait e = w->waitq[(w->wq_head + i) % cap];

			if (w->sess[e.sess].waiting == e.ticket)
				w->waitq[(w->wq_head + n++) % cap] = e;
		}
		w->wq_len = n;
	}
	ss->waiting = ++w->wq_ticket;
	w->waitq[(w->wq_head + w->wq_len) % cap].sess =
	    (unsigned)(ss - w->sess);
	w->waitq[(w->wq_head + w->wq_len) % cap].ticket = ss->waiting;
	w->wq_len++;
	if (!w->rate_armed) {
		due = bench_sched_due(&w->sched, w->sched.k);
		uv_timer_start(&w->rate_timer, bench_rate_cb,
		    ms_until(due, clock_now_us()), 0);
		w->rate_armed = 1;
	}
}

/* --- the engine's callbacks --------------------------------------- */

static int
bench_next_txn(void *arg, struct smtp_txn *t)
{
	struct bench_session *ss = arg;
	struct bench_worker *w = ss->w;
	const struct bench *b = w->b;
	const struct bench_msg *m;
	uint64_t now = 0, due = 0;

	if (w->stopping || w->budget == 0)
		return 0;
	if (b->p.per_connection && ss->msgs >= ss->quota)
		return 0;
	if (w->deadline_us || b->p.rate_per_s > 0)
		now = clock_now_us();
	if (w->deadline_us && now >= w->deadline_us) {
		bench_worker_wind_down(w);
		return 0;
	}
	if (b->p.rate_per_s > 0 && !bench_sched_take(&w->sched, now, &due)) {
		bench_wait_push(w, ss);
		return 2;
	}
	m = &b->p.msgs->msg[b->p.msgs->n == 1 ? 0 :
	    bench_rand(w) % b->p.msgs->n];
	t->mail_from = b->p.mail_from;
	t->rcpt = b->rcpt_ring + w->to_next;
	t->nrcpt = b->p.rcpts;
	w->to_next = (w->to_next + b->p.rcpts) % b->p.nto;
	t->data = m->data;
	t->data_len = m->data_len;
	t->raw = m->raw;
	t->raw_len = m->raw_len;
	t->patch_off = m->patch_off;
	t->patch_len = BENCH_SEQ_DIGITS;
	t->id = w->seq_next;
	bench_msg_patch(w->seq_next, t->patch);
	w->seq_next += b->nw;
	t->intended_us = due;
	ss->msgs++;
	live_add(&w->live.started, 1);
	if (w->budget != UINT64_MAX && --w->budget == 0)
		bench_worker_wind_down(w);
	return 1;
}

static void
bench_txn_done(void *arg, const struct smtp_txn *t,
    const struct smtp_txn_result *r)
{
	struct bench_session *ss = arg;
	struct bench_worker *w = ss->w;
	struct bench_stats *st = w->st;
	char sample[BENCH_SAMPLE_MAX];
	int ph;

	(void)t;
	switch (r->outcome) {
	case SMTP_TXN_ACCEPTED:
		live_add(&w->live.accepted, 1);
		live_add(&w->live.bytes, r->wire_bytes);
		w->consecutive_fail = 0;
		break;
	case SMTP_TXN_REJECTED:
		live_add(&w->live.rejected, 1);
		st->rejected_by_phase[r->failed_phase]++;
		if (st->reject_sample[0] == '\0') {
			snprintf(sample, sizeof(sample), "%s: %d %s",
			    smtp_phase_name(r->failed_phase), r->code,
			    r->text);
			bench_sample(st->reject_sample, sample);
		}
		break;
	case SMTP_TXN_ABORTED:
		live_add(&w->live.aborted, 1);
		break;
	}
	st->rcpt_accepted += r->rcpt_accepted;
	st->rcpt_rejected += r->rcpt_rejected;
	st->deliveries += r->deliveries;
	for (ph = SMTP_PHASE_MAIL; ph <= SMTP_PHASE_EOD; ph++)
		if (r->phase_done & (1u << ph))
			histogram_record(&st->hist[ph], r->phase_us[ph]);
	if (r->outcome != SMTP_TXN_ABORTED)
		histogram_record(&st->hist[BENCH_HIST_MESSAGE],
		    r->latency_us);
}

static void
bench_close_cb(uv_handle_t *h)
{
	(void)h;
}

/* Everything is over for this worker: let its loop end. */
static void
bench_worker_close(struct bench_worker *w)
{
	if (w->closing)
		return;
	w->closing = 1;
	w->end_us = clock_now_us();
	uv_close((uv_handle_t *)&w->rate_timer, bench_close_cb);
	uv_close((uv_handle_t *)&w->open_timer, bench_close_cb);
	uv_close((uv_handle_t *)&w->end_timer, bench_close_cb);
	uv_close((uv_handle_t *)&w->wake, bench_close_cb);
}

static int
bench_worker_more(const struct bench_worker *w)
{
	return !w->stopping && w->budget > 0 && w->unreserved > 0 &&
	    (w->deadline_us == 0 || clock_now_us() < w->deadline_us);
}

static void
bench_open_push(struct bench_worker *w, struct bench_session *ss,
    uint64_t delay_ms)
{
	if (!ss->queued) {
		ss->queued = 1;
		w->openq[(w->oq_head + w->oq_len) % w->nsess] =
		    (unsigned)(ss - w->sess);
		w->oq_len++;
	}
	if (!uv_is_active((uv_handle_t *)&w->open_timer) || delay_ms)
		uv_timer_start(&w->open_timer, bench_open_cb, delay_ms, 0);
}

static void
bench_session_done(struct smtp_client *c, void *arg)
{
	struct bench_session *ss = arg;
	struct bench_worker *w = ss->w;
	struct bench_stats *st = w->st;
	const struct smtp_client_result *r = &ss->res;
	unsigned limit;
	int ph, i;

	ss->dead = c;
	ss->c = NULL;
	ss->waiting = 0;
	w->nactive--;
	if (ss->quota > ss->msgs && w->unreserved != UINT64_MAX)
		w->unreserved += ss->quota - ss->msgs;
	ss->quota = 0;
	for (ph = SMTP_PHASE_CONNECT; ph <= SMTP_PHASE_AUTH; ph++)
		if (r->phase_done & (1u << ph))
			histogram_record(&st->hist[ph], r->phase_us[ph]);
	if (r->phase_done & (1u << SMTP_PHASE_QUIT))
		histogram_record(&st->hist[SMTP_PHASE_QUIT],
		    r->phase_us[SMTP_PHASE_QUIT]);
	for (i = 0; i < 6; i++)
		st->replies[i] += r->replies[i];
	if (r->phase_done & (1u << SMTP_PHASE_CONNECT))
		live_add(&w->live.connections, 1);
	else
		st->connect_failed++;
	st->sessions_pipelined += r->pipelined != 0;
	st->sessions_chunking += r->chunking != 0;
	st->sessions_tls += r->tls_active != 0;
	if (r->err.cat != MV_ERR_NONE && !ss->aborted) {
		live_add(&w->live.errors, 1);
		if ((size_t)r->err.cat < BENCH_ERR_KINDS) {
			st->errors[r->err.cat]++;
			bench_sample(st->error_sample[r->err.cat], r->err.msg);
		}
		if (r->txns_started == 0)
			w->consecutive_fail++;
	}
	limit = 2 * w->nsess > BENCH_GIVE_UP_MIN ? 2 * w->nsess :
	    BENCH_GIVE_UP_MIN;
	if (w->consecutive_fail >= limit && !w->stopping) {
		st->gave_up = 1;
		bench_worker_wind_down(w);
	}
	if (bench_worker_more(w)) {
		bench_open_push(w, ss, r->err.cat != MV_ERR_NONE &&
		    r->txns_started == 0 ? BENCH_BACKOFF_MS : 0);
		return;
	}
	if (w->nactive == 0)
		bench_worker_close(w);
}

/* --- sessions ------------------------------------------------------ */

static void
bench_session_open(struct bench_session *ss)
{
	struct bench_worker *w = ss->w;
	struct mv_error err;

	if (ss->dead) {
		smtp_client_free(ss->dead);
		ss->dead = NULL;
		smtp_client_result_free(&ss->res);
	}
	ss->msgs = 0;
	ss->aborted = 0;
	/* With --messages-per-connection and --messages, a connection is
	 * opened only for messages no other connection has claimed:
	 * none is opened to send nothing. */
	ss->quota = w->b->p.per_connection;
	if (w->unreserved != UINT64_MAX) {
		if (ss->quota == 0 || ss->quota > w->unreserved)
			ss->quota = w->unreserved;
		w->unreserved -= ss->quota;
	}
	ss->c = smtp_client_start(&w->loop, &w->b->cp, &ss->sp, &ss->res,
	    NULL, bench_session_done, ss, &err);
	if (ss->c == NULL) {
		live_add(&w->live.errors, 1);
		if ((size_t)err.cat < BENCH_ERR_KINDS) {
			w->st->errors[err.cat]++;
			bench_sample(w->st->error_sample[err.cat], err.msg);
		}
		w->consecutive_fail++;
		w->st->connect_failed++;
		if (w->unreserved != UINT64_MAX)
			w->unreserved += ss->quota;
		ss->quota = 0;
		if (w->consecutive_fail < BENCH_GIVE_UP_MIN &&
		    bench_worker_more(w)) {
			bench_open_push(w, ss, BENCH_BACKOFF_MS);
		} else {
			w->st->gave_up = 1;
			bench_worker_wind_down(w);
			if (w->nactive == 0)
				bench_worker_close(w);
		}
		return;
	}
	w->nactive++;
}

static void
bench_open_cb(uv_timer_t *t)
{
	struct bench_worker *w = t->data;
	struct bench_session *ss;
	uint64_t now, due;

	while (w->oq_len > 0) {
		if (!bench_worker_more(w)) {
			w->oq_len = 0;
			break;
		}
		if (w->b->p.connect_rate_per_s > 0) {
			now = clock_now_us();
			if (!bench_sched_take(&w->csched, now, &due)) {
				uv_timer_start(&w->open_timer, bench_open_cb,
				    ms_until(due, now), 0);
				return;
			}
		}
		ss = &w->sess[w->openq[w->oq_head]];
		w->oq_head = (w->oq_head + 1) % w->nsess;
		w->oq_len--;
		ss->queued = 0;
		bench_session_open(ss);
		if (w->closing)
			return;
	}
	if (w->nactive == 0 && !w->closing)
		bench_worker_close(w);
}

/* Open loop: the messages that fell due before the end and were
 * never started are counted, not silently dropped. */
static void
bench_count_behind(struct bench_worker *w)
{
	uint64_t end = clock_now_us(), due_n;
	double x;

	if (w->b->p.rate_per_s <= 0 || w->sched.period_us <= 0)
		return;
	if (w->deadline_us && end > w->deadline_us)
		end = w->deadline_us;
	if (end <= w->sched.t0_us)
		return;
	/* k is due before end when k * period < end - t0. */
	x = (double)(end - w->sched.t0_us) / w->sched.period_us;
	due_n = (uint64_t)x;
	if ((double)due_n < x)
		due_n++;
	if (due_n > w->sched.k) {
		due_n -= w->sched.k;
		w->st->behind_schedule += due_n < w->budget ? due_n :
		    w->budget;
	}
}

/* No more messages: sessions finish what is in flight, then QUIT. */
static void
bench_worker_wind_down(struct bench_worker *w)
{
	unsigned i;

	if (w->stopping)
		return;
	w->stopping = 1;
	w->oq_len = 0;
	bench_count_behind(w);
	if (!w->closing) {
		uv_timer_stop(&w->rate_timer);
		uv_timer_stop(&w->end_timer);
	}
	w->wq_len = 0;
	for (i = 0; i < w->nsess; i++) {
		struct bench_session *ss = &w->sess[i];

		ss->queued = 0;
		if (ss->c && ss->waiting) {
			ss->waiting = 0;
			smtp_client_drain(ss->c);
		}
	}
}

static void
bench_end_cb(uv_timer_t *t)
{
	struct bench_worker *w = t->data;
	unsigned i;

	bench_worker_wind_down(w);
	/* Sessions still setting up would otherwise start a message. */
	for (i = 0; i < w->nsess && !w->closing; i++)
		if (w->sess[i].c)
			smtp_client_drain(w->sess[i].c);
	if (w->nactive == 0)
		bench_worker_close(w);
}

/* Stop waiting for the server: every session ends now and what it
 * had in flight is counted aborted (once, by the engine). */
static void
bench_worker_abort(struct bench_worker *w)
{
	unsigned i;

	if (w->aborting || w->closing)
		return;
	w->aborting = 1;
	for (i = 0; i < w->nsess; i++) {
		struct bench_session *ss = &w->sess[i];

		if (ss->c) {
			ss->aborted = 1;
			smtp_client_abort(ss->c);
		}
	}
	if (w->nactive == 0)
		bench_worker_close(w);
}

static void
bench_wake_cb(uv_async_t *a)
{
	struct bench_worker *w = a->data;

	if (atomic_load(&w->b->stop)) {
		/* Also when only the last replies were still awaited. */
		if (!w->closing)
			w->st->interrupted = 1;
		bench_end_cb(&w->end_timer);
	}
	if (atomic_load(&w->b->abort) && !w->closing)
		bench_worker_abort(w);
}

static void
bench_worker_main(void *arg)
{
	struct bench_worker *w = arg;
	struct bench *b = w->b;
	unsigned i;

	w->end_us = 0;
	for (i = 0; i < w->nsess; i++)
		bench_open_push(w, &w->sess[i], 0);
	if (w->deadline_us)
		uv_timer_start(&w->end_timer, bench_end_cb,
		    ms_until(w->deadline_us, clock_now_us()), 0);
	if (w->nsess == 0 || w->budget == 0)
		bench_worker_close(w);
	uv_run(&w->loop, UV_RUN_DEFAULT);
	/* Close callbacks of the last sessions' handles. */
	uv_run(&w->loop, UV_RUN_DEFAULT);
	for (i = 0; i < w->nsess; i++) {
		smtp_client_free(w->sess[i].dead);
		w->sess[i].dead = NULL;
		smtp_client_result_free(&w->sess[i].res);
	}
	uv_run(&w->loop, UV_RUN_DEFAULT);
	if (w->end_us == 0)
		w->end_us = clock_now_us();
	uv_mutex_lock(&b->mu);
	b->running--;
	uv_cond_broadcast(&b->cv);
	uv_mutex_unlock(&b->mu);
}

/* --- setup --------------------------------------------------------- */

struct bench *
bench_new(const struct bench_params *p, struct mv_error *err)
{
	struct bench *b;
	size_t i;

	if (p->target == NULL || p->msgs == NULL || p->msgs->n == 0 ||
	    p->nto == 0 || p->rcpts == 0 || p->rcpts > BENCH_MAX_RCPTS ||
	    p->threads == 0 || p->threads > BENCH_MAX_THREADS ||
	    p->sessions == 0 || p->sessions > BENCH_MAX_SESSIONS) {
		mv_error_set(err, MV_ERR_USAGE, "bench: parameters out of "
		    "range");
		return NULL;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (b->rcpt_ring = calloc(p->nto + p->rcpts,
	    sizeof(*b->rcpt_ring))) == NULL) {
		free(b);
		mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	b->p = *p;
	for (i = 0; i < p->nto + p->rcpts; i++)
		b->rcpt_ring[i] = p->to[i % p->nto];
	b->nw = p->threads < p->sessions ? p->threads : p->sessions;
	/* Also the start of a run that fails before its workers start
	 * (bench_start sets both again just before they do). */
	b->t0_us = clock_now_us();
	getrusage(RUSAGE_SELF, &b->ru0);
	return b;
}

/* The target's first address, once, so that no connection waits for
 * the resolver. */
static int
bench_resolve(struct bench *b, struct mv_error *err)
{
	struct addrinfo hints, *res = NULL;
	char port[8];
	int r;

	if (b->p.target->is_unix)
		return 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = b->p.family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	if (b->p.target->is_literal)
		hints.ai_flags |= AI_NUMERICHOST;
	snprintf(port, sizeof(port), "%u", b->p.target->port);
	if ((r = getaddrinfo(b->p.target->host, port, &hints, &res)) != 0 ||
	    res == NULL)
		return mv_error_set(err, MV_ERR_DNS, "cannot resolve %s: %s",
		    b->p.target->host, gai_strerror(r));
	memcpy(&b->addr, res->ai_addr, res->ai_addrlen);
	b->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int
bench_worker_init(struct bench *b, struct bench_worker *w, unsigned idx,
    unsigned nsess, uint64_t budget, struct mv_error *err)
{
	unsigned i;

	w->b = b;
	w->index = idx;
	w->nsess = nsess;
	w->budget = budget;
	w->unreserved = b->p.per_connection ? budget : UINT64_MAX;
	w->seq_next = idx;
	w->rng = (b->p.seed ? b->p.seed : 0x9e3779b97f4a7c15ull) + idx *
	    0x632be59bd9b4e019ull;
	if (w->rng == 0)
		w->rng = 1;
	w->deadline_us = b->p.duration_ms ? b->t0_us + b->p.duration_ms *
	    1000 : 0;
	/* Each worker runs its share of the rate, phase-shifted so that
	 * the streams interleave evenly. */
	bench_sched_init(&w->sched, b->p.rate_per_s / b->nw, b->t0_us);
	w->sched.t0_us += (uint64_t)(w->sched.period_us * idx / b->nw);
	bench_sched_init(&w->csched, b->p.connect_rate_per_s / b->nw,
	    b->t0_us);
	if ((w->st = calloc(1, sizeof(*w->st))) == NULL ||
	    (w->sess = calloc(nsess, sizeof(*w->sess))) == NULL ||
	    (w->waitq = calloc(2 * (size_t)nsess,
	    sizeof(*w->waitq))) == NULL ||
	    (w->openq = calloc(nsess, sizeof(*w->openq))) == NULL)
		return mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
	bench_stats_init(w->st);
	for (i = 0; i < nsess; i++) {
		struct bench_session *ss = &w->sess[i];

		ss->w = w;
		ss->sp = b->p.smtp;
		ss->sp.next_txn = bench_next_txn;
		ss->sp.txn_done = bench_txn_done;
		ss->sp.txn_arg = ss;
		ss->sp.txn_max_rcpt = b->p.rcpts;
		ss->sp.rcpt = NULL;
		ss->sp.nrcpt = 0;
		ss->sp.message = NULL;
		ss->sp.message_len = 0;
		ss->sp.quit_after = SMTP_PHASE_COUNT;
	}
	if (uv_loop_init(&w->loop) != 0)
		return mv_error_set(err, MV_ERR_INTERNAL, "cannot start an "
		    "event loop");
	w->loop_ready = 1;
	uv_timer_init(&w->loop, &w->rate_timer);
	uv_timer_init(&w->loop, &w->open_timer);
	uv_timer_init(&w->loop, &w->end_timer);
	uv_async_init(&w->loop, &w->wake, bench_wake_cb);
	w->rate_timer.data = w->open_timer.data = w->end_timer.data = w;
	w->wake.data = w;
	return 0;
}

int
bench_start(struct bench *b, struct mv_error *err)
{
	const struct bench_params *p = &b->p;
	unsigned i, sess_each, sess_extra;
	uint64_t msg_each = 0, msg_extra = 0;

	if (bench_resolve(b, err) == -1)
		return -1;
	b->tls = p->tls;
	if (p->target->implicit_tls || p->smtp.tls != TLS_POLICY_OFF) {
		/* One trust store for every connection and thread. */
		if ((b->tls_ctx = tls_context_new(&p->tls, err)) == NULL)
			return -1;
		b->tls.shared = b->tls_ctx;
	}
	memset(&b->cp, 0, sizeof(b->cp));
	b->cp.target = p->target;
	b->cp.family = p->family;
	b->cp.source = p->source;
	b->cp.connect_timeout_ms = p->connect_timeout_ms;
	b->cp.tls_timeout_ms = p->tls_timeout_ms;
	b->cp.tls = &b->tls;
	if (b->addrlen) {
		b->cp.addr = (const struct sockaddr *)&b->addr;
		b->cp.addrlen = (unsigned)b->addrlen;
	}
	if ((b->w = calloc(b->nw, sizeof(*b->w))) == NULL)
		return mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
	if (uv_mutex_init(&b->mu) != 0 || uv_cond_init(&b->cv) != 0)
		return mv_error_set(err, MV_ERR_INTERNAL, "cannot make a "
		    "lock");
	b->sync_ready = 1;
	sess_each = p->sessions / b->nw;
	sess_extra = p->sessions % b->nw;
	if (p->messages) {
		msg_each = p->messages / b->nw;
		msg_extra = p->messages % b->nw;
	}
	b->t0_us = clock_now_us();
	getrusage(RUSAGE_SELF, &b->ru0);
	for (i = 0; i < b->nw; i++)
		if (bench_worker_init(b, &b->w[i], i, sess_each + (i <
		    sess_extra), p->messages ? msg_each + (i < msg_extra) :
		    UINT64_MAX, err) == -1)
			return -1;
	for (i = 0; i < b->nw; i++) {
		uv_mutex_lock(&b->mu);
		b->running++;
		uv_mutex_unlock(&b->mu);
		if (uv_thread_create(&b->w[i].tid, bench_worker_main,
		    &b->w[i]) != 0) {
			uv_mutex_lock(&b->mu);
			b->running--;
			uv_mutex_unlock(&b->mu);
			bench_stop(b);
			return mv_error_set(err, MV_ERR_INTERNAL, "cannot "
			    "start a thread");
		}
		b->w[i].thread_started = 1;
	}
	return 0;
}

int
bench_wait(struct bench *b, uint64_t ms)
{
	int done;

	if (!b->sync_ready)
		return 1;
	uv_mutex_lock(&b->mu);
	if (b->running > 0)
		(void)uv_cond_timedwait(&b->cv, &b->mu, ms * 1000000ull);
	done = b->running == 0;
	uv_mutex_unlock(&b->mu);
	return done;
}

void
bench_counters(struct bench *b, struct bench_counters *out)
{
	unsigned i;

	memset(out, 0, sizeof(*out));
	out->t_us = clock_now_us() - b->t0_us;
	for (i = 0; b->w && i < b->nw; i++) {
		struct bench_live *l = &b->w[i].live;

		out->started += live_get(&l->started);
		out->accepted += live_get(&l->accepted);
		out->rejected += live_get(&l->rejected);
		out->aborted += live_get(&l->aborted);
		out->errors += live_get(&l->errors);
		out->bytes += live_get(&l->bytes);
		out->connections += live_get(&l->connections);
	}
}

void
bench_abort(struct bench *b)
{
	unsigned i;

	atomic_store(&b->stop, 1);
	atomic_store(&b->abort, 1);
	for (i = 0; b->w && i < b->nw; i++)
		if (b->w[i].thread_started)
			uv_async_send(&b->w[i].wake);
}

void
bench_stop(struct bench *b)
{
	unsigned i;

	atomic_store(&b->stop, 1);
	for (i = 0; b->w && i < b->nw; i++)
		if (b->w[i].thread_started)
			uv_async_send(&b->w[i].wake);
}

static uint64_t
tv_us(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000u + (uint64_t)tv->tv_usec;
}

void
bench_finish(struct bench *b, struct bench_stats *out)
{
	struct rusage ru;
	uint64_t end = 0;
	unsigned i, k;

	for (i = 0; b->w && i < b->nw; i++) {
		struct bench_worker *w = &b->w[i];
		struct bench_stats *st = w->st;

		if (w->thread_started) {
			uv_thread_join(&w->tid);
			w->thread_started = 0;
		}
		if (st == NULL)
			continue;
		if (w->end_us > end)
			end = w->end_us;
		out->total.started += live_get(&w->live.started);
		out->total.accepted += live_get(&w->live.accepted);
		out->total.rejected += live_get(&w->live.rejected);
		out->total.aborted += live_get(&w->live.aborted);
		out->total.errors += live_get(&w->live.errors);
		out->total.bytes += live_get(&w->live.bytes);
		out->total.connections += live_get(&w->live.connections);
		out->rcpt_accepted += st->rcpt_accepted;
		out->rcpt_rejected += st->rcpt_rejected;
		out->deliveries += st->deliveries;
		out->connect_failed += st->connect_failed;
		out->sessions_pipelined += st->sessions_pipelined;
		out->sessions_chunking += st->sessions_chunking;
		out->sessions_tls += st->sessions_tls;
		for (k = 0; k < 6; k++)
			out->replies[k] += st->replies[k];
		for (k = 0; k < SMTP_PHASE_COUNT; k++)
			out->rejected_by_phase[k] += st->rejected_by_phase[k];
		for (k = 0; k < BENCH_ERR_KINDS; k++) {
			out->errors[k] += st->errors[k];
			bench_sample(out->error_sample[k],
			    st->error_sample[k]);
		}
		bench_sample(out->reject_sample, st->reject_sample);
		out->behind_schedule += st->behind_schedule;
		out->gave_up |= st->gave_up;
		out->interrupted |= st->interrupted;
		for (k = 0; k < BENCH_HISTS; k++)
			histogram_merge(&out->hist[k], &st->hist[k]);
	}
	out->total.t_us = (end ? end : clock_now_us()) - b->t0_us;
	out->elapsed_us = out->total.t_us;
	getrusage(RUSAGE_SELF, &ru);
	out->cpu_user_us = tv_us(&ru.ru_utime) - tv_us(&b->ru0.ru_utime);
	out->cpu_sys_us = tv_us(&ru.ru_stime) - tv_us(&b->ru0.ru_stime);
}

void
bench_free(struct bench *b)
{
	unsigned i;

	if (b == NULL)
		return;
	for (i = 0; b->w && i < b->nw; i++) {
		struct bench_worker *w = &b->w[i];

		if (w->thread_started)
			uv_thread_join(&w->tid);
		if (w->loop_ready) {
			if (!w->closing) {
				uv_close((uv_handle_t *)&w->rate_timer, NULL);
				uv_close((uv_handle_t *)&w->open_timer, NULL);
				uv_close((uv_handle_t *)&w->end_timer, NULL);
				uv_close((uv_handle_t *)&w->wake, NULL);
				uv_run(&w->loop, UV_RUN_DEFAULT);
			}
			uv_loop_close(&w->loop);
		}
		if (w->st)
			bench_stats_free(w->st);
		free(w->st);
		free(w->sess);
		free(w->waitq);
		free(w->openq);
	}
	free(b->w);
	if (b->sync_ready) {
		uv_mutex_destroy(&b->mu);
		uv_cond_destroy(&b->cv);
	}
	tls_context_free(b->tls_ctx);
	free(b->rcpt_ring);
	free(b);
}
