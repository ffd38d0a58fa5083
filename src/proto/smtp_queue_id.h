/*
 * smtp_queue_id.h - find the server's queue id in the reply to the end
 * of DATA.  Servers do not standardise it; the forms recognised are
 * documented in smtp_queue_id.c.  No I/O.
 */
#ifndef MAILVET_PROTO_SMTP_QUEUE_ID_H
#define MAILVET_PROTO_SMTP_QUEUE_ID_H

#include <stddef.h>

#define SMTP_QUEUE_ID_MAX 63

/* Write the queue id found in text (one reply line, without the code
 * and enhanced status) into out; returns 1 when found, else 0 and "". */
int smtp_queue_id_extract(const char *text, char *out, size_t outsz);

#endif
