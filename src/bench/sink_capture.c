/*
 * sink_capture.c - --capture: every accepted message becomes a file in
 * a Maildir (written to tmp/, renamed into new/, as maildir(5) wants),
 * so a test can look at what arrived.  Blocking file I/O on the sink
 * thread: capture is for checking content, not for speed.
 */
#include "bench/sink_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int
sink_capture_prepare(const char *dir, struct mv_error *err)
{
	static const char *const sub[] = { "", "/tmp", "/new", "/cur" };
	char path[4096];
	size_t i;

	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s%s", dir, sub[i]) >=
		    sizeof(path))
			return mv_error_set(err, MV_ERR_USAGE, "capture "
			    "directory name too long");
		if (mkdir(path, 0700) == -1 && errno != EEXIST)
			return mv_error_set(err, MV_ERR_USAGE, "cannot make "
			    "%s: %s", path, strerror(errno));
	}
	return 0;
}

int
sink_capture_write(const char *dir, unsigned thread, uint64_t n,
    const char *p, size_t len)
{
	char tmp[4096], dst[4096], name[128];
	struct timespec ts;
	size_t off = 0;
	ssize_t w;
	int fd;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(name, sizeof(name), "%lld.M%ldP%dT%uN%llu.mailvet-sink",
	    (long long)ts.tv_sec, ts.tv_nsec / 1000, (int)getpid(), thread,
	    (unsigned long long)n);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/tmp/%s", dir, name) >=
	    sizeof(tmp) ||
	    (size_t)snprintf(dst, sizeof(dst), "%s/new/%s", dir, name) >=
	    sizeof(dst))
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	while (off < len) {
		w = write(fd, p + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			unlink(tmp);
			return -1;
		}
		off += (size_t)w;
	}
	if (close(fd) == -1 || rename(tmp, dst) == -1) {
		unlink(tmp);
		return -1;
	}
	return 0;
}
