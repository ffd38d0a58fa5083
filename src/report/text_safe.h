/*
 * text_safe.h - the one way text renderers put peer-controlled strings
 * (greetings, replies, certificate names, log fields) on a terminal.
 */
#ifndef MAILVET_REPORT_TEXT_SAFE_H
#define MAILVET_REPORT_TEXT_SAFE_H

#include "core/buf.h"

/*
 * Append text (borrowed; NULL appends nothing) with everything that
 * could drive a terminal shown as \xHH: C0 controls except TAB, DEL,
 * the C1 controls U+0080..U+009F in their UTF-8 form (C2 9B is CSI,
 * C2 85 NEL), and every byte that is not part of well-formed UTF-8
 * (RFC 3629: no overlong forms, surrogates or code points past
 * U+10FFFF), each byte on its own.  Valid printable UTF-8 is kept.
 */
void text_append_safe(struct buf *out, const char *text);

#endif
