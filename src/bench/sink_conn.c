/*
 * sink_conn.c - one sink connection: the server side of the SMTP/LMTP
 * dialog (RFC 5321 4.1, 4.3.2; RFC 2033; RFC 2920; RFC 3030; RFC 3207;
 * RFC 4954 PLAIN and LOGIN), faults, counting and verification.
 *
 * Speed: a read lands in the thread's 256 KiB buffer; command lines
 * are cut with memchr and parsed in place (a partial line is carried
 * in a small per-connection buffer), message data goes through
 * sink_data (memchr per line), and every reply of one read is appended
 * to one output buffer that leaves in one write.  Nothing is allocated
 * per message: per-connection buffers are made on first use and kept.
 *
 * Bounds: a command line longer than line_max is answered 500 and
 * skipped to its end without being stored; output past SINK_OUT_MAX
 * (a client that pipelines forever and never reads) closes the
 * connection; reading stops while a write is pending or a reply is
 * held, so memory per connection stays flat whatever the client does.
 *
 * All functions run on the connection's thread with t->lock held.
 */
#include "bench/sink_command.h"
#include "bench/sink_int.h"
#include "core/clock.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum conn_state {
	CS_CMD,
	CS_DATA,
	CS_BDAT,
	CS_AUTH_PLAIN,
	CS_AUTH_LOGIN_USER,
	CS_AUTH_LOGIN_PASS,
	CS_TLS_HANDSHAKE,  /* implicit TLS: no greeting yet */
};

struct sink_conn {
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_write_t wreq;
	struct sink_thread *t;
	struct sink *s;
	struct sink_conn *prev, *next;
	int handles;            /* libuv handles still to close */
	enum conn_state st;

	int closing;
	int close_after_flush;
	int stop_input;         /* ignore the rest of this read */
	int reading;
	int writing;
	int held;
	uint64_t hold_ms;       /* delay for this read's replies */
	uint64_t batch_us;      /* when this read arrived */
	unsigned batch_replies;
	uint64_t last_active_ms;

	struct buf line;        /* partial command line */
	int discarding;         /* skipping a too-long line */
	struct buf out;         /* replies (plaintext) */
	struct buf wire;        /* TLS: ciphertext to send */
	size_t wlen;            /* bytes of the pending uv_write */

	/* Session and transaction. */
	int greeted;
	int banner_refused;     /* a fault answered the greeting */
	int authed;
	char auth_user[256];
	int in_txn;
	unsigned nrcpt;
	int bdat_seen;
	int bdat_failed;        /* a chunk was refused: the transaction
				 * fails, later chunks are thrown away */
	int bdat_fail_temp;     /* ... with a 4xx (else 5xx) */
	int bdat_answered;      /* this chunk's refusal is already out */
	int too_big;
	uint64_t bdat_left;
	int bdat_last;
	int bdat_skip;
	uint64_t txn_us;
	struct sink_data data;
	char *hdr;              /* SINK_HDR_MAX, made on first MAIL */
	struct buf capture;

	struct tls_server *tls;
	int tls_pending;        /* switch to TLS once the 220 is out */
	int implicit;
	const struct sink_text *last_fault;

	/* Messages whose 250 is queued but not yet handed to the socket:
	 * they count as accepted once all output is written (commit()),
	 * as unanswered if the connection goes first. */
	uint64_t unsent_ok;
	uint64_t unsent_deliveries;
};

/* Capture buffer capacity kept between messages. */
#define SINK_CAPTURE_KEEP (64u * 1024u)

static void batch_end(struct sink_conn *c);

static struct sink_stats *
st(struct sink_conn *c)
{
	return &c->t->stats;
}

static void
on_handle_closed(uv_handle_t *h)
{
	struct sink_conn *c = h->data;

	if (--c->handles > 0)
		return;
	buf_free(&c->line);
	buf_free(&c->out);
	buf_free(&c->wire);
	buf_free(&c->capture);
	free(c->hdr);
	tls_server_free(c->tls);
	free(c);
}

/* All output reached the socket: the queued 250s count now. */
static void
commit(struct sink_conn *c)
{
	if (c->unsent_ok == 0 || c->out.len > 0 || c->wire.len > 0)
		return;
	st(c)->messages += c->unsent_ok;
	st(c)->deliveries += c->unsent_deliveries;
	c->unsent_ok = c->unsent_deliveries = 0;
}

static void
conn_close(struct sink_conn *c)
{
	struct sink_thread *t = c->t;

	if (c->closing)
		return;
	c->closing = 1;
	st(c)->messages_unanswered += c->unsent_ok;
	c->unsent_ok = c->unsent_deliveries = 0;
	c->stop_input = 1;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		t->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	atomic_fetch_sub(&c->s->open_conns, 1);
	st(c)->connections_open--;
	uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
	uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}

static void
emit(struct sink_conn *c, const char *p, size_t n)
{
	if (buf_append(&c->out, p, n) == -1) {
		/* A client that pipelines without ever reading. */
		conn_close(c);
		return;
	}
	c->batch_replies++;
}

static void
reply(struct sink_conn *c, enum sink_reply r)
{
	emit(c, c->s->reply[r].s, c->s->reply[r].n);
}

/* A reply that answers no command (idle timeout, shutdown): not in the
 * reply latency histogram. */
static void
announce(struct sink_conn *c, enum sink_reply r)
{
	if (buf_append(&c->out, c->s->reply[r].s, c->s->reply[r].n) == -1)
		conn_close(c);
}

static void
on_write(uv_write_t *req, int status)
{
	struct sink_conn *c = req->data;

	pthread_mutex_lock(&c->t->lock);
	c->writing = 0;
	if (status < 0 || c->closing) {
		conn_close(c);
	} else {
		buf_consume(c->tls != NULL && !c->tls_pending ? &c->wire :
		    &c->out, c->wlen);
		st(c)->bytes_written += c->wlen;
		c->wlen = 0;
		c->last_active_ms = uv_now(&c->t->loop);
		commit(c);
		batch_end(c);
	}
	pthread_mutex_unlock(&c->t->lock);
}

/* Write what is queued: one write for all the replies of a read. */
static void
flush(struct sink_conn *c)
{
	struct buf *w = &c->out;
	struct mv_error err;
	uv_buf_t b;
	int n;

	if (c->closing || c->writing)
		return;
	if (c->tls != NULL && !c->tls_pending) {
		if (c->out.len > 0 && tls_server_handshake_done(c->tls)) {
			if (tls_server_write(c->tls, c->out.data, c->out.len,
			    &err) == -1) {
				conn_close(c);
				return;
			}
			buf_reset(&c->out);
		}
		if (tls_server_drain(c->tls, &c->wire) == -1) {
			conn_close(c);
			return;
		}
		w = &c->wire;
	}
	if (c->batch_replies > 0) {
		histogram_record_n(&st(c)->reply_us,
		    clock_now_us() - c->batch_us, c->batch_replies);
		c->batch_replies = 0;
	}
	if (w->len == 0)
		return;
	b = uv_buf_init(w->data, (unsigned)w->len);
	n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
	if (n == UV_EAGAIN)
		n = 0;
	if (n < 0) {
		conn_close(c);
		return;
	}
	st(c)->bytes_written += (uint64_t)n;
	buf_consume(w, (size_t)n);
	if (w->len == 0) {
		commit(c);
		return;
	}
	/* The socket is full: the rest goes when it drains, and reading
	 * waits, so the output cannot grow meanwhile. */
	b = uv_buf_init(w->data, (unsigned)w->len);
	c->wlen = w->len;
	c->wreq.data = c;
	if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_write) != 0) {
		conn_close(c);
		return;
	}
	c->writing = 1;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b);

static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct sink_conn *c = h->data;

	(void)suggested;
	*b = uv_buf_init(c->t->rbuf, SINK_READ_BUF);
}

static void
on_hold_done(uv_timer_t *tm)
{
	struct sink_conn *c = tm->data;

	pthread_mutex_lock(&c->t->lock);
	c->held = 0;
	/* The sink's own hold is no idleness of the client. */
	c->last_active_ms = uv_now(&c->t->loop);
	batch_end(c);
	pthread_mutex_unlock(&c->t->lock);
}

static void
start_tls(struct sink_conn *c)
{
	struct mv_error err;

	c->tls_pending = 0;
	c->tls = tls_server_new(c->s->tls, &err);
	if (c->tls == NULL)
		conn_close(c);
}

/* After a read (or a timer, or a finished write): hold, flush, close,
 * and read again when nothing is pending. */
static void
batch_end(struct sink_conn *c)
{
	int want;

	if (c->closing)
		return;
	if (c->hold_ms > 0 && !c->held) {
		c->held = 1;
		uv_timer_start(&c->timer, on_hold_done, c->hold_ms, 0);
		c->hold_ms = 0;
	}
	if (!c->held)
		flush(c);
	if (c->closing)
		return;
	if (!c->held && !c->writing && c->out.len == 0 &&
	    c->wire.len == 0) {
		if (c->close_after_flush) {
			conn_close(c);
			return;
		}
		if (c->tls_pending)
			start_tls(c);
	}
	if (c->closing)
		return;
	want = !c->held && !c->writing;
	if (want && !c->reading) {
		if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc,
		    on_read) == 0)
			c->reading = 1;
	} else if (!want && c->reading) {
		uv_read_stop((uv_stream_t *)&c->tcp);
		c->reading = 0;
	}
}

/* Faults for cmd.  Returns 0 (go on; a delay may have been added),
 * 1 (a fault reply was sent) or 2 (the connection is being closed). */
static int
fault(struct sink_conn *c, enum sink_cmd cmd)
{
	const struct sink_params *p = &c->s->p;
	size_t i;

	if (p->tarpit_ms > 0) {
		c->hold_ms += p->tarpit_ms;
		st(c)->tarpitted++;
	}
	for (i = 0; i < p->nfaults; i++) {
		const struct sink_fault *f = &p->faults[i];

		if (f->cmd != cmd || !sink_rng_hit(&c->t->rng, f->ppm))
			continue;
		switch (f->kind) {
		case SINK_FAULT_DELAY:
			st(c)->fault_delays[cmd]++;
			c->hold_ms += f->delay_ms;
			break;
		case SINK_FAULT_DISCONNECT:
			st(c)->fault_disconnects[cmd]++;
			c->stop_input = 1;
			c->close_after_flush = 1;
			return 2;
		case SINK_FAULT_REPLY:
			st(c)->fault_replies[cmd]++;
			c->last_fault = &c->s->fault_text[i];
			emit(c, c->last_fault->s, c->last_fault->n);
			if (f->code == 421) {
				c->stop_input = 1;
				c->close_after_flush = 1;
			}
			return 1;
		}
	}
	return 0;
}

static void
txn_reset(struct sink_conn *c)
{
	c->in_txn = 0;
	c->nrcpt = 0;
	c->bdat_seen = 0;
	c->bdat_failed = 0;
	c->bdat_fail_temp = 0;
	c->too_big = 0;
	/* One big captured message must not pin its size per idle
	 * connection. */
	if (c->capture.cap > SINK_CAPTURE_KEEP) {
		size_t max = c->capture.max;

		buf_free(&c->capture);
		buf_init(&c->capture, max);
	}
}

static void
on_header(void *arg, struct sink_data *d)
{
	const char *v;
	size_t vl;

	(void)arg;
	d->sum_body = sink_header_find(d->hdr, d->hdr_len, SINK_BENCH_HEADER,
	    &v, &vl);
}

static void
data_begin(struct sink_conn *c)
{
	c->data.hdr = c->hdr;
	c->data.hdr_max = SINK_HDR_MAX;
	c->data.capture = NULL;
	if (c->s->p.capture_dir != NULL) {
		buf_reset(&c->capture);
		c->data.capture = &c->capture;
	}
	sink_data_begin(&c->data);
}

static void
verify(struct sink_conn *c)
{
	struct sink_thread *t = c->t;
	struct sink_verify_stats *v = &st(c)->verify;
	struct sink_bench_id id;
	const char *val;
	size_t vl;
	int r;

	if (!sink_header_find(c->data.hdr, c->data.hdr_len, SINK_BENCH_HEADER,
	    &val, &vl)) {
		v->unmarked++;
		return;
	}
	if (sink_bench_parse(val, vl, &id) == -1) {
		v->malformed++;
		return;
	}
	if (id.len != c->data.body_len || id.sum != c->data.body_sum) {
		v->corrupt++;
		return;
	}
	if (t->last_run == NULL || t->last_run_id != id.run) {
		t->last_run = sink_runs_get(&c->s->runs, id.run);
		t->last_run_id = id.run;
	}
	r = t->last_run != NULL ? sink_run_mark(t->last_run, id.seq) : -1;
	if (r == 1)
		v->ok++;
	else if (r == 0)
		v->duplicate++;
	else
		v->out_of_range++;
}

/* Write the message into the Maildir, within capture_max_bytes. */
static void
capture(struct sink_conn *c)
{
	struct sink *s = c->s;
	struct sink_stats *x = st(c);
	uint64_t before;

	if (c->data.capture_full) {
		x->capture_errors++;
		return;
	}
	if (s->p.capture_max_bytes > 0) {
		before = atomic_fetch_add(&s->captured_bytes, c->capture.len);
		if (before + c->capture.len > s->p.capture_max_bytes) {
			x->capture_skipped++;
			return;
		}
	}
	if (sink_capture_write(s->p.capture_dir, c->t->index,
	    ++c->t->capture_seq, c->capture.data, c->capture.len) == 0)
		x->captured++;
	else
		x->capture_errors++;
}

/* The message is complete: answer, count, check, capture. */
static void
message_end(struct sink_conn *c)
{
	struct sink *s = c->s;
	struct sink_stats *x = st(c);
	const char *val;
	size_t vl;
	unsigned i, replies = s->p.lmtp ? c->nrcpt : 1;
	int f;
	uint64_t n;

	x->commands[SINK_CMD_EOD]++;
	x->message_bytes += c->data.content_len;
	histogram_record(&x->txn_us, c->batch_us > c->txn_us ?
	    c->batch_us - c->txn_us : 0);
	if (c->too_big || c->bdat_failed) {
		x->messages_rejected++;
		if (c->too_big)
			x->too_big++;
		for (i = 0; i < replies; i++)
			reply(c, R_TOO_BIG);
		txn_reset(c);
		return;
	}
	f = fault(c, SINK_CMD_EOD);
	if (f != 0) {
		x->messages_rejected++;
		/* LMTP: the same fault for every recipient. */
		for (i = 1; f == 1 && i < replies; i++)
			emit(c, c->last_fault->s, c->last_fault->n);
		txn_reset(c);
		return;
	}
	if (s->p.max_messages > 0) {
		/* A slot before the 250: never more than max_messages. */
		n = atomic_fetch_add(&s->accepted, 1) + 1;
		if (n > s->p.max_messages) {
			x->messages_rejected++;
			for (i = 0; i < replies; i++)
				reply(c, R_DONE);
			c->stop_input = 1;
			c->close_after_flush = 1;
			txn_reset(c);
			return;
		}
		if (n == s->p.max_messages) {
			atomic_store(&s->done, 1);
			if (s->p.on_done != NULL)
				s->p.on_done(s->p.on_done_arg);
		}
	}
	/* Counted in messages once the 250 is out (commit()). */
	c->unsent_ok++;
	if (s->p.lmtp) {
		c->unsent_deliveries += c->nrcpt;
		for (i = 0; i < replies; i++)
			reply(c, R_LMTP_RCPT);
	} else {
		reply(c, c->bdat_seen ? R_BDAT : R_EOD);
	}
	if (s->p.track_tokens && sink_header_find(c->data.hdr,
	    c->data.hdr_len, SINK_TOKEN_HEADER, &val, &vl)) {
		x->tokens++;
		sink_tokens_add(&c->t->tokens, val, vl);
	}
	verify(c);
	if (s->p.capture_dir != NULL)
		capture(c);
	txn_reset(c);
}

static int
rate_limited(struct sink_conn *c)
{
	struct sink *s = c->s;
	uint64_t sec = (c->batch_us / 1000000) & 0xffffffffu, w, nw, count;

	if (s->p.rate_limit_per_s == 0)
		return 0;
	/* Second and count change together in one compare-and-swap, so
	 * no thread's MAIL is lost when a new second starts. */
	w = atomic_load(&s->rate_epoch);
	do {
		if ((w >> 32) != sec)
			count = 0;
		else
			count = w & 0xffffffffu;
		nw = (sec << 32) | (count < 0xffffffffu ? count + 1 : count);
	} while (!atomic_compare_exchange_weak(&s->rate_epoch, &w, nw));
	return count >= s->p.rate_limit_per_s;
}

static int
b64_decode(const char *in, size_t n, char *out, size_t outsz, size_t *outn)
{
	int r, pad = 0;

	if (n == 0) {
		*outn = 0;
		return 0;
	}
	if (n % 4 != 0 || n / 4 * 3 > outsz || n > 0x10000)
		return -1;
	r = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)in,
	    (int)n);
	if (r < 0)
		return -1;
	if (in[n - 1] == '=')
		pad++;
	if (in[n - 2] == '=')
		pad++;
	*outn = (size_t)r - (size_t)pad;
	return 0;
}

static int
credentials_ok(struct sink_conn *c, const char *user, size_t ul,
    const char *pass, size_t pl)
{
	const struct sink_params *p = &c->s->p;
	size_t i, n;

	if (p->auth == SINK_AUTH_ANY)
		return 1;
	for (i = 0; i < p->nauth_users; i++) {
		n = strlen(p->auth_users[i]);
		if (n == ul + 1 + pl &&
		    memcmp(p->auth_users[i], user, ul) == 0 &&
		    p->auth_users[i][ul] == ':' &&
		    memcmp(p->auth_users[i] + ul + 1, pass, pl) == 0)
			return 1;
	}
	return 0;
}

static void
auth_result(struct sink_conn *c, int ok)
{
	c->st = CS_CMD;
	if (ok) {
		c->authed = 1;
		st(c)->auth_ok++;
		reply(c, R_AUTH_OK);
	} else {
		st(c)->auth_failed++;
		reply(c, R_AUTH_BAD);
	}
}

/* PLAIN: authzid NUL user NUL password (RFC 4616). */
static void
auth_plain(struct sink_conn *c, const char *b64, size_t n)
{
	char dec[4096];
	size_t dn;
	const char *u, *pw;

	if (b64_decode(b64, n, dec, sizeof(dec), &dn) == -1 ||
	    (u = memchr(dec, '\0', dn)) == NULL ||
	    (pw = memchr(u + 1, '\0', dn - (size_t)(u + 1 - dec))) == NULL) {
		auth_result(c, 0);
		return;
	}
	u++;
	auth_result(c, credentials_ok(c, u, (size_t)(pw - u), pw + 1,
	    dn - (size_t)(pw + 1 - dec)));
}

static void
auth_line(struct sink_conn *c, const char *line, size_t n)
{
	char dec[4096];
	size_t dn;

	if (n == 1 && line[0] == '*') {
		c->st = CS_CMD;
		st(c)->auth_failed++;
		reply(c, R_AUTH_CANCEL);
		return;
	}
	switch (c->st) {
	case CS_AUTH_PLAIN:
		auth_plain(c, line, n);
		break;
	case CS_AUTH_LOGIN_USER:
		if (b64_decode(line, n, dec, sizeof(dec), &dn) == -1 ||
		    dn >= sizeof(c->auth_user)) {
			auth_result(c, 0);
			break;
		}
		memcpy(c->auth_user, dec, dn);
		c->auth_user[dn] = '\0';
		c->st = CS_AUTH_LOGIN_PASS;
		reply(c, R_AUTH_PASS);
		break;
	default: /* CS_AUTH_LOGIN_PASS */
		if (b64_decode(line, n, dec, sizeof(dec), &dn) == -1) {
			auth_result(c, 0);
			break;
		}
		auth_result(c, credentials_ok(c, c->auth_user,
		    strlen(c->auth_user), dec, dn));
		break;
	}
}

static void
cmd_auth(struct sink_conn *c, const struct sink_command *pc)
{
	char dec[4096];
	size_t dn;

	if (c->s->p.auth == SINK_AUTH_OFF) {
		reply(c, R_AUTH_OFF);
		return;
	}
	if (c->authed || c->in_txn) {
		reply(c, c->authed ? R_AUTH_TWICE : R_SEQ);
		return;
	}
	if (pc->mech_len == 5 && strncasecmp(pc->mech, "PLAIN", 5) == 0) {
		if (pc->initial == NULL) {
			c->st = CS_AUTH_PLAIN;
			reply(c, R_AUTH_CONT);
		} else if (pc->initial_len == 1 && pc->initial[0] == '=') {
			auth_result(c, 0);
		} else {
			auth_plain(c, pc->initial, pc->initial_len);
		}
	} else if (pc->mech_len == 5 &&
	    strncasecmp(pc->mech, "LOGIN", 5) == 0) {
		if (pc->initial == NULL) {
			c->st = CS_AUTH_LOGIN_USER;
			reply(c, R_AUTH_USER);
		} else if (b64_decode(pc->initial, pc->initial_len, dec,
		    sizeof(dec), &dn) == -1 || dn >= sizeof(c->auth_user)) {
			auth_result(c, 0);
		} else {
			memcpy(c->auth_user, dec, dn);
			c->auth_user[dn] = '\0';
			c->st = CS_AUTH_LOGIN_PASS;
			reply(c, R_AUTH_PASS);
		}
	} else {
		reply(c, R_AUTH_MECH);
	}
}

static void
cmd_mail(struct sink_conn *c, const struct sink_command *pc)
{
	const struct sink_params *p = &c->s->p;

	if (atomic_load(&c->s->done) && p->max_messages > 0) {
		reply(c, R_DONE);
		c->stop_input = 1;
		c->close_after_flush = 1;
		return;
	}
	if (!c->greeted) {
		/* RFC 5321 4.1.4: HELO/EHLO (LHLO) comes first. */
		reply(c, R_NEED_HELO);
		return;
	}
	if (c->in_txn) {
		reply(c, R_NESTED);
		return;
	}
	if ((pc->body_8bit && !(p->features & SINK_FEAT_8BITMIME)) ||
	    (pc->smtputf8 && !(p->features & SINK_FEAT_SMTPUTF8))) {
		st(c)->syntax_errors++;
		reply(c, R_PARAM);
		return;
	}
	if (pc->has_size && p->size_limit > 0 && pc->size > p->size_limit) {
		st(c)->too_big++;
		reply(c, R_TOO_BIG);
		return;
	}
	if (rate_limited(c)) {
		st(c)->rate_limited++;
		if (p->rate_limit_code == 421) {
			reply(c, R_RATE_CLOSE);
			c->stop_input = 1;
			c->close_after_flush = 1;
		} else {
			reply(c, R_RATE);
		}
		return;
	}
	if (c->hdr == NULL) {
		c->hdr = malloc(SINK_HDR_MAX);
		if (c->hdr == NULL) {
			conn_close(c);
			return;
		}
	}
	txn_reset(c);
	c->in_txn = 1;
	c->txn_us = c->batch_us;
	reply(c, R_MAIL);
}

/* A chunk of the transaction was refused with the reply starting with
 * digit d: RFC 3030 2 says the whole transaction fails. */
static void
bdat_fail(struct sink_conn *c, char d)
{
	if (!c->in_txn || c->bdat_failed)
		return;
	c->bdat_failed = 1;
	c->bdat_fail_temp = d == '4';
}

static void
cmd_bdat(struct sink_conn *c, const struct sink_command *pc, int faulted)
{
	c->bdat_left = pc->chunk_len;
	c->bdat_last = pc->last;
	c->st = CS_BDAT;
	/* RFC 3030 2: a refused chunk is still read and thrown away. */
	c->bdat_skip = 1;
	c->bdat_answered = 1;
	if (faulted) {
		bdat_fail(c, c->last_fault->s[0]);
		return;
	}
	if (!(c->s->p.features & SINK_FEAT_CHUNKING)) {
		reply(c, R_NO_CHUNKING);
		return;
	}
	if (!c->in_txn || c->nrcpt == 0) {
		bdat_fail(c, '5');
		reply(c, c->in_txn ? R_NEED_RCPT : R_NEED_MAIL);
		return;
	}
	if (c->bdat_failed) {
		/* Thrown away; answered when the chunk is read. */
		c->bdat_answered = 0;
		return;
	}
	if (!c->bdat_seen) {
		c->bdat_seen = 1;
		data_begin(c);
	}
	c->bdat_skip = 0;
}

/* A chunk was read completely. */
static void
bdat_end(struct sink_conn *c)
{
	unsigned i, replies = c->s->p.lmtp ? c->nrcpt : 1;

	c->st = CS_CMD;
	if (c->bdat_skip) {
		if (!c->in_txn || !c->bdat_failed)
			return; /* refused outside a transaction */
		if (!c->bdat_answered)
			reply(c, c->bdat_fail_temp ? R_BDAT_FAILED_TEMP :
			    R_BDAT_FAILED_PERM);
		if (c->bdat_last) {
			/* The transaction ends here, refused.  LMTP: one
			 * reply per recipient, the first is out. */
			st(c)->messages_rejected++;
			for (i = 1; i < replies; i++)
				reply(c, c->bdat_fail_temp ?
				    R_BDAT_FAILED_TEMP : R_BDAT_FAILED_PERM);
			txn_reset(c);
		}
		return;
	}
	if (c->s->p.size_limit > 0 &&
	    c->data.content_len > c->s->p.size_limit)
		c->too_big = 1;
	if (c->bdat_last) {
		st(c)->commands[SINK_CMD_EOD]--; /* counted as bdat */
		message_end(c);
	} else {
		reply(c, R_BDAT);
	}
}

static void
command(struct sink_conn *c, const char *line, size_t n)
{
	const struct sink_params *p = &c->s->p;
	struct sink_command pc;
	enum sink_parse r;
	int f;

	if (c->st != CS_CMD) {
		auth_line(c, line, n);
		return;
	}
	r = sink_command_parse(line, n, &pc);
	st(c)->commands[pc.cmd]++;
	if (c->banner_refused && pc.cmd != SINK_CMD_QUIT) {
		reply(c, R_SEQ);
		return;
	}
	if (r == SINK_PARSE_UNKNOWN) {
		/* The tarpit holds every reply, this one too. */
		if (p->tarpit_ms > 0) {
			c->hold_ms += p->tarpit_ms;
			st(c)->tarpitted++;
		}
		reply(c, R_UNKNOWN);
		return;
	}
	f = fault(c, pc.cmd);
	if (f == 2)
		return;
	if (r == SINK_PARSE_SYNTAX) {
		st(c)->syntax_errors++;
		reply(c, R_SYNTAX);
		if (pc.cmd == SINK_CMD_BDAT) {
			/* The chunk size is unknown: we cannot stay in
			 * step with the client. */
			c->stop_input = 1;
			c->close_after_flush = 1;
		}
		return;
	}
	if (f == 1) {
		if (pc.cmd == SINK_CMD_BDAT)
			cmd_bdat(c, &pc, 1);
		else if (pc.cmd == SINK_CMD_MAIL)
			txn_reset(c);
		else if (pc.cmd == SINK_CMD_RCPT)
			st(c)->recipients_rejected++;
		return;
	}
	switch (pc.cmd) {
	case SINK_CMD_HELO:
	case SINK_CMD_EHLO:
	case SINK_CMD_LHLO:
		if ((pc.cmd == SINK_CMD_LHLO) != (p->lmtp != 0)) {
			reply(c, R_WRONG_HELO);
			break;
		}
		txn_reset(c);
		c->greeted = 1;
		if (pc.cmd == SINK_CMD_HELO)
			reply(c, R_HELO);
		else
			reply(c, c->tls == NULL ? R_EHLO_TLS : R_EHLO);
		break;
	case SINK_CMD_MAIL:
		cmd_mail(c, &pc);
		break;
	case SINK_CMD_RCPT:
		if (!c->in_txn) {
			st(c)->recipients_rejected++;
			reply(c, R_NEED_MAIL);
			break;
		}
		c->nrcpt++;
		st(c)->recipients++;
		reply(c, R_RCPT);
		break;
	case SINK_CMD_DATA:
		if (!c->in_txn || c->nrcpt == 0 || c->bdat_seen) {
			reply(c, !c->in_txn ? R_NEED_MAIL : c->bdat_seen ?
			    R_SEQ : R_NEED_RCPT);
			break;
		}
		reply(c, R_DATA);
		data_begin(c);
		c->st = CS_DATA;
		break;
	case SINK_CMD_BDAT:
		cmd_bdat(c, &pc, 0);
		break;
	case SINK_CMD_RSET:
		txn_reset(c);
		reply(c, R_RSET);
		break;
	case SINK_CMD_NOOP:
		reply(c, R_NOOP);
		break;
	case SINK_CMD_QUIT:
		reply(c, R_QUIT);
		c->stop_input = 1;
		c->close_after_flush = 1;
		break;
	case SINK_CMD_VRFY:
		reply(c, R_VRFY);
		break;
	case SINK_CMD_STARTTLS:
		if (c->s->tls == NULL || !p->starttls || c->tls != NULL) {
			reply(c, R_NO_TLS);
			break;
		}
		reply(c, R_STARTTLS);
		/* RFC 3207 5: forget everything said before, and never
		 * read what was pipelined behind STARTTLS as TLS. */
		c->stop_input = 1;
		c->tls_pending = 1;
		c->greeted = 0;
		c->authed = 0;
		txn_reset(c);
		break;
	case SINK_CMD_AUTH:
		cmd_auth(c, &pc);
		break;
	default:
		reply(c, R_UNKNOWN);
		break;
	}
}

static void
too_long(struct sink_conn *c)
{
	st(c)->lines_too_long++;
	buf_reset(&c->line);
	c->discarding = 1;
	reply(c, R_TOO_LONG);
}

/* Command lines from p[0..n); returns bytes used (stops when the state
 * leaves CS_CMD/auth or input is to be ignored). */
static size_t
lines(struct sink_conn *c, const char *p, size_t n)
{
	size_t i = 0, len;
	const char *lf, *l;

	while (i < n && !c->stop_input && (c->st == CS_CMD ||
	    c->st == CS_AUTH_PLAIN || c->st == CS_AUTH_LOGIN_USER ||
	    c->st == CS_AUTH_LOGIN_PASS)) {
		lf = memchr(p + i, '\n', n - i);
		if (c->discarding) {
			if (lf == NULL)
				return n;
			c->discarding = 0;
			i = (size_t)(lf - p) + 1;
			continue;
		}
		if (lf == NULL) {
			if (c->line.len + (n - i) > c->s->p.line_max ||
			    buf_append(&c->line, p + i, n - i) == -1)
				too_long(c);
			return n;
		}
		len = (size_t)(lf - p) - i;
		if (c->line.len > 0) {
			if (c->line.len + len > c->s->p.line_max ||
			    buf_append(&c->line, p + i, len) == -1) {
				buf_reset(&c->line);
				st(c)->lines_too_long++;
				reply(c, R_TOO_LONG);
				i = (size_t)(lf - p) + 1;
				continue;
			}
			l = c->line.data;
			len = c->line.len;
		} else {
			if (len > c->s->p.line_max) {
				st(c)->lines_too_long++;
				reply(c, R_TOO_LONG);
				i = (size_t)(lf - p) + 1;
				continue;
			}
			l = p + i;
		}
		i = (size_t)(lf - p) + 1;
		if (len > 0 && l[len - 1] == '\r')
			len--;
		command(c, l, len);
		buf_reset(&c->line);
	}
	return i;
}

/* Everything the client sent in one read (plaintext). */
static void
input(struct sink_conn *c, const char *p, size_t n)
{
	size_t i = 0, k, take;
	int done;

	while (i < n && !c->stop_input && !c->closing) {
		switch (c->st) {
		case CS_DATA:
			k = sink_data_feed(&c->data, p + i, n - i, &done,
			    on_header, c);
			i += k;
			if (done) {
				c->st = CS_CMD;
				if (c->s->p.size_limit > 0 &&
				    c->data.content_len > c->s->p.size_limit)
					c->too_big = 1;
				message_end(c);
			}
			break;
		case CS_BDAT:
			take = n - i;
			if (take > c->bdat_left)
				take = (size_t)c->bdat_left;
			if (!c->bdat_skip)
				sink_data_raw(&c->data, p + i, take, on_header,
				    c);
			c->bdat_left -= take;
			i += take;
			if (c->bdat_left == 0)
				bdat_end(c);
			break;
		case CS_TLS_HANDSHAKE:
			return;
		default:
			i += lines(c, p + i, n - i);
			break;
		}
	}
	/* A BDAT 0 LAST needs no bytes at all. */
	if (c->st == CS_BDAT && c->bdat_left == 0 && !c->closing)
		bdat_end(c);
}

static void
greet(struct sink_conn *c)
{
	int f;

	c->st = CS_CMD;
	st(c)->commands[SINK_CMD_CONNECT]++;
	f = fault(c, SINK_CMD_CONNECT);
	if (f == 1)
		c->banner_refused = 1;
	else if (f == 0)
		reply(c, R_BANNER);
}

static void
on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *b)
{
	struct sink_conn *c = stream->data;
	struct mv_error err;
	ssize_t r;

	pthread_mutex_lock(&c->t->lock);
	if (nread < 0) {
		st(c)->peer_closed++;
		if (c->st == CS_DATA || c->st == CS_BDAT ||
		    (c->in_txn && c->bdat_seen))
			st(c)->closed_mid_data++;
		conn_close(c);
		goto out;
	}
	if (nread == 0 || c->closing)
		goto out;
	c->last_active_ms = uv_now(&c->t->loop);
	c->batch_us = clock_now_us();
	c->stop_input = 0;
	if (c->tls == NULL) {
		st(c)->bytes_read += (uint64_t)nread;
		input(c, b->base, (size_t)nread);
	} else {
		if (tls_server_feed(c->tls, b->base, (size_t)nread, &err) == -1)
			goto tls_fail;
		for (;;) {
			int was_done = tls_server_handshake_done(c->tls);

			r = tls_server_read(c->tls, c->t->plain,
			    SINK_TLS_PLAIN_MAX, &err);
			if (r < 0)
				goto tls_fail;
			if (!was_done && tls_server_handshake_done(c->tls)) {
				st(c)->tls_ok++;
				if (c->st == CS_TLS_HANDSHAKE)
					greet(c);
			}
			if (r == 0)
				break;
			st(c)->bytes_read += (uint64_t)r;
			if (!c->stop_input)
				input(c, c->t->plain, (size_t)r);
		}
	}
	batch_end(c);
	goto out;
tls_fail:
	if (tls_server_handshake_done(c->tls)) {
		st(c)->peer_closed++;
		if (c->st == CS_DATA || c->st == CS_BDAT ||
		    (c->in_txn && c->bdat_seen))
			st(c)->closed_mid_data++;
	} else
		st(c)->tls_failed++;
	/* Send the alert, if any, then go. */
	(void)tls_server_drain(c->tls, &c->wire);
	c->close_after_flush = 1;
	c->stop_input = 1;
	batch_end(c);
out:
	pthread_mutex_unlock(&c->t->lock);
}

void
sink_conn_accept(struct sink_listener *l)
{
	struct sink_thread *t = l->t;
	struct sink *s = t->sink;
	struct sink_conn *c;
	struct mv_error err;
	uv_buf_t b;
	unsigned open;

	pthread_mutex_lock(&t->lock);
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto out;
	uv_tcp_init(&t->loop, &c->tcp);
	uv_timer_init(&t->loop, &c->timer);
	c->tcp.data = c->timer.data = c;
	c->handles = 2;
	c->t = t;
	c->s = s;
	buf_init(&c->line, s->p.line_max + 8);
	buf_init(&c->out, SINK_OUT_MAX);
	buf_init(&c->wire, SINK_OUT_MAX + 64 * 1024);
	buf_init(&c->capture, s->p.size_limit > 0 ? s->p.size_limit :
	    64u * 1024 * 1024);
	c->next = t->conns;
	if (t->conns != NULL)
		t->conns->prev = c;
	t->conns = c;
	atomic_fetch_add(&s->open_conns, 1);
	st(c)->connections_open++;
	if (uv_accept((uv_stream_t *)&l->tcp, (uv_stream_t *)&c->tcp) != 0) {
		conn_close(c);
		goto out;
	}
	st(c)->connections++;
	c->last_active_ms = uv_now(&t->loop);
	c->batch_us = clock_now_us();
	uv_tcp_nodelay(&c->tcp, 1);
	if (s->p.max_messages > 0 && atomic_load(&s->done)) {
		/* The limit is reached: no new sessions, and no more
		 * listening on this thread. */
		st(c)->connections_refused++;
		b = uv_buf_init(s->reply[R_DONE].s,
		    (unsigned)s->reply[R_DONE].n);
		(void)uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
		conn_close(c);
		sink_close_listeners(t);
		goto out;
	}
	open = atomic_load(&s->open_conns);
	if (s->p.max_connections > 0 && open > s->p.max_connections) {
		st(c)->connections_refused++;
		b = uv_buf_init(s->reply[R_BUSY].s, (unsigned)s->reply[R_BUSY].n);
		(void)uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
		conn_close(c);
		goto out;
	}
	if (l->implicit_tls) {
		c->implicit = 1;
		c->st = CS_TLS_HANDSHAKE;
		c->tls = tls_server_new(s->tls, &err);
		if (c->tls == NULL) {
			conn_close(c);
			goto out;
		}
	} else {
		greet(c);
	}
	batch_end(c);
out:
	pthread_mutex_unlock(&t->lock);
}

void
sink_conn_sweep(struct sink_thread *t)
{
	struct sink_conn *c, *next;
	uint64_t now = uv_now(&t->loop), idle = t->sink->p.idle_timeout_ms;

	for (c = t->conns; c != NULL; c = next) {
		next = c->next;
		/* A held reply is the sink's doing, not the client's. */
		if (c->closing || c->held || now - c->last_active_ms < idle)
			continue;
		st(c)->idle_timeouts++;
		if (c->writing || (c->tls != NULL &&
		    !tls_server_handshake_done(c->tls))) {
			conn_close(c);
			continue;
		}
		announce(c, R_IDLE);
		c->close_after_flush = 1;
		c->stop_input = 1;
		batch_end(c);
	}
}

/*
 * Stopping: replies still held (delay faults, tarpit) are replaced by
 * 421 4.3.0, tried once without waiting; a message whose 250 did not
 * reach the socket is counted unanswered, not accepted (conn_close).
 */
void
sink_conn_close_all(struct sink_thread *t)
{
	struct sink_conn *c;

	for (c = t->conns; c != NULL; c = c->next) {
		if (c->closing || c->writing || c->tls_pending ||
		    (c->tls != NULL && !tls_server_handshake_done(c->tls)))
			continue;
		if (c->held) {
			uv_timer_stop(&c->timer);
			c->held = 0;
			buf_reset(&c->out);
			c->batch_replies = 0;
			/* Their 250s are gone with the output. */
			st(c)->messages_unanswered += c->unsent_ok;
			c->unsent_ok = c->unsent_deliveries = 0;
			announce(c, R_SHUTDOWN);
		}
		if (!c->closing)
			flush(c);
	}
	while (t->conns != NULL)
		conn_close(t->conns);
}
