/*
 * log_follow.h - `tail -F` for the correlator: follow growing log files
 * on a libuv loop (uv_fs_poll: stat-based, so it works on every file
 * system), across rotation (the path names a new inode: the old file
 * is read to its end first, then the new one from its start) and
 * truncation (the size shrinks below what was read: start again at 0).
 * A file that does not exist yet is waited for (on_wait), then read
 * from its start.  Not seen: a copytruncate whose file grows back past
 * the offset read within one poll interval (same inode, size never
 * seen smaller) - GNU tail -F has the same limit.
 * Each message is handed to the scanner's on_msg once finished and a
 * grace time has passed for Dovecot's lines.  Runs until SIGINT or
 * SIGTERM, or until stop_after_ms of wall time when that is set.
 * Returns 0, or -1 with err (MV_ERR_USAGE: a file cannot be opened for
 * another reason than not existing;
 * MV_ERR_INTERNAL: libuv or memory).
 */
#ifndef MAILVET_LOGSCAN_LOG_FOLLOW_H
#define MAILVET_LOGSCAN_LOG_FOLLOW_H

#include "core/error.h"
#include "logscan/logscan.h"

#include <stddef.h>
#include <stdint.h>

struct log_follow_params {
	const char *const *paths;     /* borrowed */
	size_t npaths;
	int from_start;               /* read what is there first */
	uint64_t poll_ms;             /* stat interval; 0: 250 ms */
	uint64_t stop_after_ms;       /* 0: until a signal */
	struct logscan *ls;           /* borrowed */
	void (*on_ready)(void *ctx);  /* files open, positioned */
	void (*on_rotate)(void *ctx, const char *path, int truncated);
	/* appeared 0: path does not exist yet, waiting; 1: it appeared */
	void (*on_wait)(void *ctx, const char *path, int appeared);
	void *ctx;
};

int log_follow_run(const struct log_follow_params *p, struct mv_error *err);

#endif
