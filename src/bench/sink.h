/*
 * sink.h - the SMTP/LMTP sink (`mailvet sink`, `smtpsink`), embeddable:
 * a multi-threaded server that accepts mail as fast as the machine
 * allows, counts it, checks bench's per-message ids, and can misbehave
 * on purpose (faults, delays, disconnects, tarpit, rate limit).
 * RFC 5321 (SMTP), RFC 2033 (LMTP), RFC 2920 (PIPELINING), RFC 3030
 * (CHUNKING/BDAT), RFC 6152 (8BITMIME), RFC 6531 (SMTPUTF8), RFC 1870
 * (SIZE), RFC 2034 (ENHANCEDSTATUSCODES), RFC 3207 (STARTTLS), RFC 4954
 * (AUTH PLAIN/LOGIN), RFC 8314 (implicit TLS).
 *
 * Threads: sink_start() opens one SO_REUSEPORT listening socket per
 * listen address per worker thread and runs one libuv loop per worker
 * thread; the kernel spreads connections over the threads.  Counters
 * and histograms are per thread and merged on sink_stats(), so the
 * message path takes no lock.
 *
 * Embedding (relay --confirm): start a sink on 127.0.0.1:0, read its
 * address with sink_bound_address(), send, then poll sink_token_seen()
 * for the token of the message (src/proto/message.h puts
 * "X-Mailvet-Token: <token>" into every generated message).
 *
 *   struct sink_params p;
 *   sink_params_init(&p);
 *   p.listen[0].addr = "127.0.0.1:0"; p.nlisten = 1; p.threads = 1;
 *   struct sink *s = sink_new(&p, &err);
 *   if (s == NULL || sink_start(s, &err) == -1) ...
 *   ... sink_bound_address(s) ... sink_token_seen(s, token) ...
 *   sink_stop(s); sink_free(s);
 *
 * Bench's per-message ids (X-Mailvet-Bench header) are specified in
 * src/bench/sink_verify.h, which also has the sender's formatter.
 *
 * Errors: -1 with struct mv_error; MV_ERR_USAGE for bad parameters
 * (address, remote address without allow_remote, unreadable
 * certificate), MV_ERR_CONNECT when an address cannot be bound (also
 * when anything, say a second sink, already listens there),
 * MV_ERR_INTERNAL for resource exhaustion.  Nothing here prints.
 */
#ifndef MAILVET_BENCH_SINK_H
#define MAILVET_BENCH_SINK_H

#include "bench/sink_verify.h"
#include "core/error.h"
#include "report/sink_stats.h"

#include <stddef.h>
#include <stdint.h>

#define SINK_MAX_LISTEN    8
#define SINK_MAX_FAULTS    32
#define SINK_MAX_THREADS   64
#define SINK_DEFAULT_LISTEN "127.0.0.1:2526"

/* Extensions advertised in the EHLO/LHLO reply (sink_params.features). */
#define SINK_FEAT_PIPELINING  0x01u
#define SINK_FEAT_CHUNKING    0x02u
#define SINK_FEAT_8BITMIME    0x04u
#define SINK_FEAT_SMTPUTF8    0x08u
#define SINK_FEAT_SIZE        0x10u
#define SINK_FEAT_ENHANCED    0x20u /* ENHANCEDSTATUSCODES */
#define SINK_FEAT_ALL         0x3fu

enum sink_fault_kind {
	SINK_FAULT_REPLY,      /* answer code instead of the usual reply */
	SINK_FAULT_DELAY,      /* hold the reply for delay_ms */
	SINK_FAULT_DISCONNECT, /* close without answering */
};

/* One injected fault: on command cmd, with odds ppm / 1e6. */
struct sink_fault {
	enum sink_cmd cmd;
	enum sink_fault_kind kind;
	unsigned code;         /* SINK_FAULT_REPLY: 400..599; 421 closes */
	uint64_t delay_ms;     /* SINK_FAULT_DELAY */
	uint32_t ppm;          /* parts per million, 0..1000000 */
};

struct sink_listen {
	const char *addr;      /* "127.0.0.1:2526", "[::1]:0"; borrowed */
	int implicit_tls;      /* TLS from the first byte (RFC 8314) */
};

enum sink_auth_mode {
	SINK_AUTH_OFF,         /* AUTH not advertised, answered 502 */
	SINK_AUTH_ANY,         /* any credentials are accepted */
	SINK_AUTH_LIST,        /* only auth_users */
};

struct sink_params {
	struct sink_listen listen[SINK_MAX_LISTEN];
	size_t nlisten;        /* 0: SINK_DEFAULT_LISTEN */
	int allow_remote;      /* else only loopback addresses are bound */
	unsigned threads;      /* 1..SINK_MAX_THREADS, default 1 */
	int lmtp;              /* LHLO and one reply per recipient */
	unsigned features;     /* SINK_FEAT_*, default SINK_FEAT_ALL */
	uint64_t size_limit;   /* SIZE and the refusal (552), 0: none;
				* default 64 MiB */
	const char *hostname;  /* in the greeting; default "mailvet-sink" */

	struct sink_fault faults[SINK_MAX_FAULTS];
	size_t nfaults;
	uint64_t seed;         /* fault odds; the same seed, the same
				* sequence per thread */
	uint64_t tarpit_ms;    /* hold every reply this long */
	uint64_t rate_limit_per_s; /* MAIL commands per second, all
				* threads; 0: no limit */
	unsigned rate_limit_code;  /* 451 (default) or 421 (and close) */

	uint64_t max_messages; /* accepted messages, then on_done; 0: none.
				* Past it the sink refuses more (421 4.3.2,
				* messages and new connections), so exactly
				* max_messages are accepted. */
	uint64_t idle_timeout_ms;  /* default 300000; 421 and close */
	unsigned max_connections;  /* open at once, all threads; over it
				* 421 and close; default 10000 */
	size_t line_max;       /* command line limit, default 4096 (500) */

	const char *capture_dir; /* Maildir (tmp/ new/ cur/ made), NULL */
	int track_tokens;      /* count X-Mailvet-Token values, default 1 */
	uint64_t expect_count; /* bench messages expected (lost = expected
				* - ok), 0: unknown */

	/* TLS (sink_tls.c): a certificate and key (PEM) enable STARTTLS
	 * (when starttls) and implicit-TLS listeners. */
	const char *tls_cert_file;
	const char *tls_key_file;
	int starttls;

	enum sink_auth_mode auth;
	const char *const *auth_users; /* "user:password", borrowed */
	size_t nauth_users;

	/* Called once, from a sink thread, when max_messages is reached;
	 * it must only signal (e.g. uv_async_send) and return. */
	void (*on_done)(void *arg);
	void *on_done_arg;

	/* capture_dir: stop writing files once this many message bytes
	 * were captured (the rest are counted capture_skipped); 0: no
	 * limit; default 1 GiB. */
	uint64_t capture_max_bytes;
};

struct sink; /* opaque */

/* Defaults as documented on each field. */
void sink_params_init(struct sink_params *p);

/* Check the parameters and copy what the sink needs (strings in p are
 * only borrowed until sink_start() returns).  Returned-owned, NULL with
 * err on bad parameters. */
struct sink *sink_new(const struct sink_params *p, struct mv_error *err);

/* Bind every listener on every thread and start the threads.  The
 * sockets are listening when this returns 0. */
int sink_start(struct sink *s, struct mv_error *err);

/* The i-th bound address as "127.0.0.1:PORT" / "[::1]:PORT", with the
 * real port when 0 was asked for; "" before sink_start().  The string
 * is owned by the sink. */
const char *sink_bound_address(const struct sink *s);
const char *sink_bound_address_n(const struct sink *s, size_t i);

/* Thread-safe: the number of accepted messages so far whose header
 * block carried "X-Mailvet-Token: <token>" (tracked when
 * params.track_tokens; each worker thread remembers up to 16384
 * distinct tokens, the oldest are forgotten first). */
int sink_token_seen(struct sink *s, const char *token);

/* Thread-safe snapshot of the merged counters and histograms.  out is
 * caller-owned (it is large: two histograms). */
void sink_stats(struct sink *s, struct sink_stats *out);

/* 1 once max_messages were accepted, else 0. */
int sink_done(struct sink *s);

/* Stop accepting, close every connection, join the threads.  Safe to
 * call twice and before sink_start(). */
void sink_stop(struct sink *s);

/* Stops first when still running.  NULL is a no-op. */
void sink_free(struct sink *s);

#endif
