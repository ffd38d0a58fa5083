/*
 * log_reader.c - line framing and whole-file reading (log_reader.h).
 */
#include "logscan/log_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

int
log_reader_init(struct log_reader *r, time_t ref_s)
{
	memset(r, 0, sizeof(*r));
	if ((r->buf = malloc(LOG_READ_CHUNK + LOG_LINE_MAX)) == NULL)
		return -1;
	log_clock_init(&r->clk, ref_s);
	return 0;
}

void
log_reader_free(struct log_reader *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	r->buf = NULL;
}

char *
log_reader_space(struct log_reader *r, size_t *avail)
{
	*avail = LOG_READ_CHUNK + LOG_LINE_MAX - r->len;
	return r->buf + r->len;
}

int
log_reader_commit(struct log_reader *r, struct logscan *ls, size_t got)
{
	char *p = r->buf, *end = r->buf + r->len + got, *nl;
	int rc = 0;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if (r->skipping)
			r->skipping = 0;
		else if (logscan_line(ls, &r->clk, p, (size_t)(nl - p)) == -1)
			rc = -1;
		p = nl + 1;
	}
	r->len = (size_t)(end - p);
	if (r->skipping) {
		r->len = 0;
	} else if (r->len >= LOG_LINE_MAX) {
		/* too long: its start is one line, the rest is skipped */
		if (logscan_line(ls, &r->clk, p, LOG_LINE_MAX) == -1)
			rc = -1;
		r->len = 0;
		r->skipping = 1;
	} else if (r->len > 0 && p != r->buf)
		memmove(r->buf, p, r->len);
	return rc;
}

int
log_reader_flush(struct log_reader *r, struct logscan *ls)
{
	int rc = 0;

	if (r->len > 0 && !r->skipping)
		rc = logscan_line(ls, &r->clk, r->buf, r->len);
	r->len = 0;
	r->skipping = 0;
	return rc;
}

int
log_read_path(struct logscan *ls, const char *path, struct mv_error *err)
{
	struct log_reader r;
	struct stat st;
	gzFile gz;
	int fd, got, rc = 0;
	size_t avail;
	char *space;
	time_t ref = time(NULL);

	if (strcmp(path, "-") == 0) {
		if ((fd = dup(0)) == -1)
			return mv_error_set(err, MV_ERR_USAGE,
			    "standard input: %s", strerror(errno));
	} else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return mv_error_set(err, MV_ERR_USAGE, "%s: %s", path,
		    strerror(errno));
	if (fstat(fd, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			close(fd);
			return mv_error_set(err, MV_ERR_USAGE,
			    "%s: is a directory", path);
		}
		if (S_ISREG(st.st_mode))
			ref = st.st_mtime;
	}
	if (log_reader_init(&r, ref) == -1) {
		close(fd);
		return mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
	}
	/* gzdopen reads plain files unchanged, so one path serves both */
	if ((gz = gzdopen(fd, "rb")) == NULL) {
		close(fd);
		log_reader_free(&r);
		return mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
	}
	gzbuffer(gz, 256 * 1024);
	for (;;) {
		space = log_reader_space(&r, &avail);
		if (avail > LOG_READ_CHUNK)
			avail = LOG_READ_CHUNK;
		got = gzread(gz, space, (unsigned)avail);
		if (got < 0) {
			int zerr;
			const char *msg = gzerror(gz, &zerr);

			rc = mv_error_set(err, MV_ERR_USAGE, "%s: %s", path,
			    zerr == Z_ERRNO ? strerror(errno) : msg);
			break;
		}
		if (got == 0) {
			int zerr;

			/* a cut gzip stream ends like a file, but says so */
			gzerror(gz, &zerr);
			if (zerr == Z_BUF_ERROR)
				rc = mv_error_set(err, MV_ERR_USAGE, "%s: "
				    "unexpected end of file (truncated gzip "
				    "stream)", path);
			break;
		}
		if (log_reader_commit(&r, ls, (size_t)got) == -1) {
			rc = mv_error_set(err, MV_ERR_INTERNAL,
			    "out of memory");
			break;
		}
	}
	if (rc == 0 && log_reader_flush(&r, ls) == -1)
		rc = mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
	gzclose(gz);
	log_reader_free(&r);
	return rc;
}
