/*
 * log_count.c - bounded counter table (see log_count.h).
 */
#define _GNU_SOURCE /* memmem */
#include "logscan/log_count.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK_BYTES (64 * 1024)

struct log_count_chunk {
	struct log_count_chunk *next;
	size_t used;
	char data[CHUNK_BYTES];
};

uint32_t
log_hash(const char *p, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 16777619u;
	}
	return h;
}

void
log_count_init(struct log_count *c, size_t max_keys)
{
	memset(c, 0, sizeof(*c));
	c->max_keys = max_keys ? max_keys : 100000;
}

void
log_count_free(struct log_count *c)
{
	struct log_count_chunk *ch, *next;

	if (c == NULL)
		return;
	for (ch = c->chunks; ch != NULL; ch = next) {
		next = ch->next;
		free(ch);
	}
	free(c->slot);
	memset(c, 0, sizeof(*c));
}

static char *
count_store(struct log_count *c, const char *key, size_t n)
{
	struct log_count_chunk *ch = c->chunks;
	char *s;

	if (ch == NULL || CHUNK_BYTES - ch->used < n + 1) {
		if ((ch = malloc(sizeof(*ch))) == NULL)
			return NULL;
		ch->used = 0;
		ch->next = c->chunks;
		c->chunks = ch;
	}
	s = ch->data + ch->used;
	memcpy(s, key, n);
	s[n] = '\0';
	ch->used += n + 1;
	return s;
}

static int
count_grow(struct log_count *c)
{
	size_t nslot = c->nslot ? c->nslot * 2 : 256, i, j;
	struct log_count_entry *slot;

	if ((slot = calloc(nslot, sizeof(*slot))) == NULL)
		return -1;
	for (i = 0; i < c->nslot; i++) {
		if (c->slot[i].key == NULL)
			continue;
		j = c->slot[i].hash & (nslot - 1);
		while (slot[j].key != NULL)
			j = (j + 1) & (nslot - 1);
		slot[j] = c->slot[i];
	}
	free(c->slot);
	c->slot = slot;
	c->nslot = nslot;
	return 0;
}

uint64_t *
log_count_slot(struct log_count *c, const char *key, size_t keylen)
{
	struct log_count_entry *e;
	uint32_t h;
	size_t i;

	if (keylen > LOG_COUNT_KEY_MAX)
		keylen = LOG_COUNT_KEY_MAX;
	if ((c->nkeys + 1) * 4 > c->nslot * 3 && c->nkeys < c->max_keys &&
	    count_grow(c) == -1)
		return NULL;
	h = log_hash(key, keylen);
	for (i = h & (c->nslot - 1);; i = (i + 1) & (c->nslot - 1)) {
		e = &c->slot[i];
		if (e->key == NULL)
			break;
		if (e->hash == h && e->keylen == keylen &&
		    memcmp(e->key, key, keylen) == 0)
			return e->n;
	}
	if (c->nkeys >= c->max_keys)
		return c->overflow;
	if ((e->key = count_store(c, key, keylen)) == NULL)
		return NULL;
	e->keylen = (uint32_t)keylen;
	e->hash = h;
	memset(e->n, 0, sizeof(e->n));
	c->nkeys++;
	return e->n;
}

int
log_count_add(struct log_count *c, const char *key, size_t keylen, int col,
    uint64_t v)
{
	uint64_t *n;

	if (col < 0 || col >= LOG_COUNT_COLS)
		return 0;
	if ((n = log_count_slot(c, key, keylen)) == NULL)
		return -1;
	n[col] += v;
	return 0;
}
