/*
 * sink_track.h - what the sink remembers across messages: the
 * X-Mailvet-Token values seen (a bounded table per thread, oldest
 * forgotten first) and, per bench run, which sequence numbers arrived
 * (a lock-free bitmap in chunks allocated on first use, bounded by
 * SINK_SEQ_MAX per run and SINK_RUNS_MAX runs).  Private to the sink.
 *
 * Errors: allocation failures make a message count as untrackable
 * (out_of_range), never a crash.
 */
#ifndef MAILVET_BENCH_SINK_TRACK_H
#define MAILVET_BENCH_SINK_TRACK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define SINK_TOKEN_MAX      64      /* longest token remembered */
#define SINK_TOKENS_PER_THREAD 16384
#define SINK_RUNS_MAX       16
#define SINK_SEQ_CHUNK_BITS 65536u
#define SINK_SEQ_CHUNKS     1024u
#define SINK_SEQ_MAX        ((uint64_t)SINK_SEQ_CHUNK_BITS * SINK_SEQ_CHUNKS)

struct sink_token_entry {
	char token[SINK_TOKEN_MAX + 1];
	uint32_t count;
	int32_t next;               /* bucket chain, -1 ends */
	int used;
};

/* Not locked inside: the owner thread holds its own lock. */
struct sink_tokens {
	struct sink_token_entry *e; /* SINK_TOKENS_PER_THREAD */
	int32_t *bucket;            /* 2 * SINK_TOKENS_PER_THREAD */
	size_t ring;                /* next entry to reuse */
};

int sink_tokens_init(struct sink_tokens *t);
void sink_tokens_free(struct sink_tokens *t);
/* Count one more message with token (n bytes; longer ones are cut). */
void sink_tokens_add(struct sink_tokens *t, const char *token, size_t n);
uint32_t sink_tokens_count(const struct sink_tokens *t, const char *token);

struct sink_run {
	_Atomic uint64_t id;        /* 0: free slot (id 0 is stored +1) */
	_Atomic(_Atomic uint64_t *) chunk[SINK_SEQ_CHUNKS];
};

struct sink_runs {
	pthread_mutex_t lock;       /* taken only to claim a slot */
	struct sink_run run[SINK_RUNS_MAX];
	_Atomic unsigned nruns;
};

void sink_runs_init(struct sink_runs *r);
void sink_runs_free(struct sink_runs *r);
/* The slot for run id (claimed on first use), NULL when all are taken. */
struct sink_run *sink_runs_get(struct sink_runs *r, uint64_t id);
/* Mark seq: 1 first time, 0 seen before, -1 untrackable. */
int sink_run_mark(struct sink_run *run, uint64_t seq);

#endif
