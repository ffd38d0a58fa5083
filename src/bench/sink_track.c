/*
 * sink_track.c - tokens and bench sequence numbers seen by the sink
 * (see sink_track.h).
 */
#include "bench/sink_track.h"

#include <stdlib.h>
#include <string.h>

#define NBUCKETS (2 * SINK_TOKENS_PER_THREAD)

static uint32_t
token_hash(const char *s, size_t n)
{
	uint32_t h = 0x811c9dc5u;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x01000193u;
	}
	return h % NBUCKETS;
}

int
sink_tokens_init(struct sink_tokens *t)
{
	size_t i;

	t->e = calloc(SINK_TOKENS_PER_THREAD, sizeof(*t->e));
	t->bucket = malloc(NBUCKETS * sizeof(*t->bucket));
	t->ring = 0;
	if (t->e == NULL || t->bucket == NULL) {
		sink_tokens_free(t);
		return -1;
	}
	for (i = 0; i < NBUCKETS; i++)
		t->bucket[i] = -1;
	return 0;
}

void
sink_tokens_free(struct sink_tokens *t)
{
	free(t->e);
	free(t->bucket);
	t->e = NULL;
	t->bucket = NULL;
}

static int32_t
find(const struct sink_tokens *t, const char *token, size_t n, uint32_t h)
{
	int32_t i;

	for (i = t->bucket[h]; i >= 0; i = t->e[i].next)
		if (strlen(t->e[i].token) == n &&
		    memcmp(t->e[i].token, token, n) == 0)
			return i;
	return -1;
}

void
sink_tokens_add(struct sink_tokens *t, const char *token, size_t n)
{
	struct sink_token_entry *e;
	uint32_t h;
	int32_t i, *pp;

	if (t->e == NULL || n == 0)
		return;
	if (n > SINK_TOKEN_MAX)
		n = SINK_TOKEN_MAX;
	h = token_hash(token, n);
	i = find(t, token, n, h);
	if (i >= 0) {
		t->e[i].count++;
		return;
	}
	/* Reuse the oldest entry: unlink it from its chain first. */
	i = (int32_t)t->ring;
	t->ring = (t->ring + 1) % SINK_TOKENS_PER_THREAD;
	e = &t->e[i];
	if (e->used) {
		pp = &t->bucket[token_hash(e->token, strlen(e->token))];
		while (*pp != i)
			pp = &t->e[*pp].next;
		*pp = e->next;
	}
	memcpy(e->token, token, n);
	e->token[n] = '\0';
	e->count = 1;
	e->used = 1;
	e->next = t->bucket[h];
	t->bucket[h] = i;
}

uint32_t
sink_tokens_count(const struct sink_tokens *t, const char *token)
{
	size_t n = strlen(token);
	int32_t i;

	if (t->e == NULL || n == 0 || n > SINK_TOKEN_MAX)
		return 0;
	i = find(t, token, n, token_hash(token, n));
	return i >= 0 ? t->e[i].count : 0;
}

void
sink_runs_init(struct sink_runs *r)
{
	size_t i, j;

	pthread_mutex_init(&r->lock, NULL);
	for (i = 0; i < SINK_RUNS_MAX; i++) {
		atomic_init(&r->run[i].id, 0);
		for (j = 0; j < SINK_SEQ_CHUNKS; j++)
			atomic_init(&r->run[i].chunk[j], NULL);
	}
	atomic_init(&r->nruns, 0);
}

void
sink_runs_free(struct sink_runs *r)
{
	size_t i, j;

	for (i = 0; i < SINK_RUNS_MAX; i++)
		for (j = 0; j < SINK_SEQ_CHUNKS; j++)
			free((void *)atomic_load(&r->run[i].chunk[j]));
	pthread_mutex_destroy(&r->lock);
}

struct sink_run *
sink_runs_get(struct sink_runs *r, uint64_t id)
{
	uint64_t key = id + 1; /* 0 marks a free slot */
	unsigned i, n;

	if (key == 0)
		key = 1; /* run id UINT64_MAX shares with 0: harmless */
	n = atomic_load(&r->nruns);
	for (i = 0; i < n; i++)
		if (atomic_load(&r->run[i].id) == key)
			return &r->run[i];
	pthread_mutex_lock(&r->lock);
	n = atomic_load(&r->nruns);
	for (i = 0; i < n; i++)
		if (atomic_load(&r->run[i].id) == key)
			break;
	if (i == n) {
		if (n == SINK_RUNS_MAX) {
			pthread_mutex_unlock(&r->lock);
			return NULL;
		}
		atomic_store(&r->run[n].id, key);
		atomic_store(&r->nruns, n + 1);
	}
	pthread_mutex_unlock(&r->lock);
	return &r->run[i];
}

int
sink_run_mark(struct sink_run *run, uint64_t seq)
{
	_Atomic uint64_t *c, *fresh, *expect = NULL;
	uint64_t bit, old;
	size_t k;

	if (seq >= SINK_SEQ_MAX)
		return -1;
	k = (size_t)(seq / SINK_SEQ_CHUNK_BITS);
	c = atomic_load(&run->chunk[k]);
	if (c == NULL) {
		fresh = calloc(SINK_SEQ_CHUNK_BITS / 64, sizeof(*fresh));
		if (fresh == NULL)
			return -1;
		if (atomic_compare_exchange_strong(&run->chunk[k], &expect,
		    fresh)) {
			c = fresh;
		} else {
			free((void *)fresh);
			c = expect;
		}
	}
	seq %= SINK_SEQ_CHUNK_BITS;
	bit = 1ull << (seq % 64);
	old = atomic_fetch_or(&c[seq / 64], bit);
	return (old & bit) ? 0 : 1;
}
