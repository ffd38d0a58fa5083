/*
 * json_text.h - JSON strings from text that came off the network.
 * jansson refuses invalid UTF-8 (and json_pack then fails as a whole),
 * so every peer-controlled string goes through here: invalid bytes
 * become U+FFFD, the rest is kept.  Never returns NULL except when out
 * of memory.
 */
#ifndef MAILVET_REPORT_JSON_TEXT_H
#define MAILVET_REPORT_JSON_TEXT_H

#include <jansson.h>
#include <stddef.h>

json_t *json_text_n(const char *s, size_t n);
/* NULL becomes JSON null. */
json_t *json_text(const char *s);
/* NULL or "" becomes JSON null. */
json_t *json_text_or_null(const char *s);
/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid. */
size_t utf8_sequence_len(const unsigned char *s, size_t n);

#endif
