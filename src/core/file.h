/*
 * file.h - bounded file reading: a whole file, or what was appended to
 * it since a known size (a mail log being written while mailvet runs).
 * Errors: -1 with MV_ERR_USAGE (the user's file) and the reason.
 */
#ifndef MAILVET_CORE_FILE_H
#define MAILVET_CORE_FILE_H

#include "core/buf.h"
#include "core/error.h"

#include <stdint.h>

/* Read path ("-" is standard input) from byte offset on, at most max
 * bytes, appending to out.  When the file is now shorter than offset it
 * was rotated or truncated: read it from the start. */
int file_read_from(const char *path, uint64_t offset, size_t max,
    struct buf *out, struct mv_error *err);
/* The file's size now, or -1 with err. */
int file_size(const char *path, uint64_t *size, struct mv_error *err);

#endif
