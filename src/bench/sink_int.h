/*
 * sink_int.h - the sink's private structures, shared by sink.c (life
 * cycle, listeners, threads, stats), sink_conn.c (one connection's
 * SMTP/LMTP state machine) and sink_capture.c.  Not for other modules.
 *
 * Why libuv loops rather than raw epoll: the project's event loop is
 * libuv (timers for delays, tarpit and idle sweeps, async wake-ups for
 * stopping, portability to the BSDs), and its read path costs us
 * nothing: alloc_cb hands every read the thread's one large buffer, so
 * a read is one recv() into 256 KiB and the replies of that read leave
 * in one write.  SO_REUSEPORT gives each thread its own accept queue.
 *
 * Locking: each thread's counters, histograms and token table are
 * written by that thread only, under its own mutex, taken once per
 * libuv callback (uncontended except while sink_stats() or
 * sink_token_seen() reads them).
 */
#ifndef MAILVET_BENCH_SINK_INT_H
#define MAILVET_BENCH_SINK_INT_H

#include "bench/sink.h"
#include "bench/sink_data.h"
#include "bench/sink_fault.h"
#include "bench/sink_track.h"
#include "core/buf.h"
#include "net/tls_server.h"

#include <pthread.h>
#include <stdatomic.h>
#include <uv.h>

#define SINK_READ_BUF      (256u * 1024u)
#define SINK_OUT_MAX       (2u * 1024u * 1024u)
#define SINK_HDR_MAX       (16u * 1024u)
#define SINK_TLS_PLAIN_MAX (256u * 1024u)


/* Canned replies, built once (with or without enhanced codes). */
enum sink_reply {
	R_BANNER, R_HELO, R_EHLO, R_EHLO_TLS, R_MAIL, R_RCPT, R_DATA,
	R_EOD, R_BDAT, R_RSET, R_NOOP, R_QUIT, R_VRFY, R_STARTTLS,
	R_NO_TLS, R_AUTH_OK, R_AUTH_BAD, R_AUTH_OFF, R_AUTH_USER,
	R_AUTH_PASS, R_AUTH_CONT, R_AUTH_CANCEL, R_AUTH_TWICE,
	R_UNKNOWN, R_SYNTAX, R_TOO_LONG, R_NEED_MAIL, R_NEED_RCPT,
	R_NESTED, R_TOO_BIG, R_PARAM, R_RATE, R_IDLE, R_BUSY, R_SEQ,
	R_SHUTDOWN, R_WRONG_HELO, R_NO_CHUNKING, R_LMTP_RCPT, R_RATE_CLOSE,
	R_AUTH_MECH, R_BDAT_FAILED_PERM, R_BDAT_FAILED_TEMP, R_DONE,
	R_NEED_HELO,
	R_COUNT
};

struct sink_text {
	char *s;
	size_t n;
};

struct sink_listener {
	uv_tcp_t tcp;
	struct sink_thread *t;
	int implicit_tls;
};

struct sink_conn;

struct sink_thread {
	struct sink *sink;
	unsigned index;
	uv_thread_t tid;
	int started;
	uv_loop_t loop;
	int loop_ok;
	uv_async_t stop_async;
	uv_timer_t sweep;
	struct sink_listener listener[SINK_MAX_LISTEN];
	size_t nlisteners;
	char *rbuf;                 /* SINK_READ_BUF, one read at a time */
	char *plain;                /* TLS plaintext, SINK_TLS_PLAIN_MAX */
	struct sink_rng rng;
	pthread_mutex_t lock;       /* stats and tokens, see above */
	struct sink_stats stats;
	struct sink_tokens tokens;
	struct sink_run *last_run;  /* cache of the last run= seen */
	uint64_t last_run_id;
	struct sink_conn *conns;    /* open connections, for sweep/stop */
	int stopping;
	int listeners_closed;       /* after max_messages, or stopping */
	uint64_t capture_seq;       /* unique part of capture file names */
};

struct sink {
	struct sink_params p;       /* strings point into the copies below */
	char *listen_copy[SINK_MAX_LISTEN];
	char **auth_copy;
	char *hostname;
	char *capture_copy;
	char bound[SINK_MAX_LISTEN][64];
	struct sockaddr_storage addr[SINK_MAX_LISTEN];
	struct sink_text reply[R_COUNT];
	struct sink_text fault_text[SINK_MAX_FAULTS];
	struct sink_thread *thread;
	unsigned nthreads;
	struct sink_runs runs;
	struct tls_server_ctx *tls;
	uint64_t start_us;
	int started, stopped;
	_Atomic uint64_t accepted;  /* messages, for max_messages: a slot
				     * is taken before the 250 is queued */
	_Atomic int done;
	_Atomic unsigned open_conns;
	/* Rate limit: second (high 32 bits) and MAIL count in it (low 32
	 * bits) in one word, so that a new second starts atomically. */
	_Atomic uint64_t rate_epoch;
	_Atomic uint64_t captured_bytes; /* for capture_max_bytes */
};

/* sink_conn.c */
void sink_conn_accept(struct sink_listener *l);
void sink_conn_sweep(struct sink_thread *t);
void sink_conn_close_all(struct sink_thread *t);
void sink_close_listeners(struct sink_thread *t);

/* sink_reply.c */
int sink_replies_build(struct sink *s, struct mv_error *err);
void sink_replies_free(struct sink *s);

/* sink_capture.c: write one message into the Maildir. */
int sink_capture_prepare(const char *dir, struct mv_error *err);
int sink_capture_write(const char *dir, unsigned thread, uint64_t n,
    const char *p, size_t len);

#endif
