/*
 * log_count.h - a bounded string-keyed table of counters for the log
 * summary (per domain, per sender, per reason, per ip...).  Each key
 * carries LOG_COUNT_COLS counters whose meaning the caller chooses.
 *
 * Open addressing with linear probing; keys are copied into chunked
 * storage owned by the table.  At most max_keys distinct keys are kept:
 * later new keys are added to the "overflow" counters instead, so
 * memory stays bounded whatever the log holds.  Returns -1 only when
 * out of memory.
 */
#ifndef MAILVET_LOGSCAN_LOG_COUNT_H
#define MAILVET_LOGSCAN_LOG_COUNT_H

#include "report/log_report.h"   /* struct log_count, log_count_top */

#include <stddef.h>
#include <stdint.h>

void log_count_init(struct log_count *c, size_t max_keys);
void log_count_free(struct log_count *c);
/* Add v to counter col of key (borrowed bytes, any content). */
int log_count_add(struct log_count *c, const char *key, size_t keylen,
    int col, uint64_t v);
/* The counters of key, created when new (the overflow counters when
 * the table is full); NULL only when out of memory.  Valid until the
 * next call. */
uint64_t *log_count_slot(struct log_count *c, const char *key,
    size_t keylen);
/* FNV-1a over bytes: shared by the tables of the log correlator. */
uint32_t log_hash(const char *p, size_t n);

#endif
