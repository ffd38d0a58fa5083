/*
 * log_reader.h - bytes to lines for the correlator: large reads into
 * one buffer, line ends found with memchr, no per-line copy or
 * allocation.  Lines longer than LOG_LINE_MAX are cut there and the
 * rest skipped (counted malformed by the parser, never fatal).
 *
 * log_read_path() reads a whole file: plain or gzip (by content, via
 * zlib, so rotated ".gz" files need no flag), "-" for standard input.
 * Returns 0, or -1 with err (MV_ERR_USAGE: cannot open/read the file,
 * MV_ERR_INTERNAL: out of memory).
 */
#ifndef MAILVET_LOGSCAN_LOG_READER_H
#define MAILVET_LOGSCAN_LOG_READER_H

#include "core/error.h"
#include "logscan/log_line.h"
#include "logscan/logscan.h"

#include <stddef.h>
#include <time.h>

#define LOG_READ_CHUNK (1024 * 1024)
#define LOG_LINE_MAX   (64 * 1024)

struct log_reader {
	char *buf;             /* owned, LOG_READ_CHUNK + LOG_LINE_MAX */
	size_t len;            /* bytes of an unfinished line at buf[0] */
	int skipping;          /* inside the cut-off rest of a long line */
	struct log_clock clk;
};

int log_reader_init(struct log_reader *r, time_t ref_s);
void log_reader_free(struct log_reader *r);
/* Where the next read goes, and how much fits. */
char *log_reader_space(struct log_reader *r, size_t *avail);
/* got bytes were read into the space: feed every complete line. */
int log_reader_commit(struct log_reader *r, struct logscan *ls, size_t got);
/* End of this input: feed a last line that has no newline. */
int log_reader_flush(struct log_reader *r, struct logscan *ls);

int log_read_path(struct logscan *ls, const char *path,
    struct mv_error *err);

#endif
