/*
 * render_json_parts.h - pieces the JSON renderers of the different
 * commands share (internal to report/).  Every string that came from the
 * network is built with json_text*(), so invalid UTF-8 cannot make a
 * document fail.
 */
#ifndef MAILVET_REPORT_RENDER_JSON_PARTS_H
#define MAILVET_REPORT_RENDER_JSON_PARTS_H

#include "net/tls.h"
#include "report/json_text.h"
#include "report/report.h"

#include <jansson.h>
#include <stdint.h>

/* The TLS object (docs/json.md), or null when TLS is not active. */
json_t *rj_tls(const struct tls_info *ti, int active, int implicit);
/* {"phase": ms, ..., "total": ms} for the phases whose bit is set. */
json_t *rj_timings(const uint64_t *phase_us, unsigned done, int nphases,
    const char *(*name)(int), uint64_t total_us);
/* Words separated by sep as an array of strings. */
json_t *rj_split(const char *list, char sep);
/* Space-separated words as an array of strings. */
json_t *rj_words(const char *list);
/* Set key to value in obj, tolerating a NULL value (becomes null). */
void rj_set(json_t *obj, const char *key, json_t *value);

json_t *rj_smtp(const struct report *rep);
json_t *rj_pop3(const struct report *rep);
json_t *rj_imap(const struct report *rep);
json_t *rj_deliver(const struct report *rep);

#endif
