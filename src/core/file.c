/*
 * file.c - bounded file reading (see file.h).
 */
#include "core/file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
file_size(const char *path, uint64_t *size, struct mv_error *err)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return mv_error_set(err, MV_ERR_USAGE, "cannot read %s: %s",
		    path, strerror(errno));
	*size = (uint64_t)st.st_size;
	return 0;
}

int
file_read_from(const char *path, uint64_t offset, size_t max,
    struct buf *out, struct mv_error *err)
{
	char chunk[65536];
	struct stat st;
	size_t total = 0;
	ssize_t n;
	int fd, close_fd = 1;

	if (strcmp(path, "-") == 0) {
		fd = STDIN_FILENO;
		close_fd = 0;
	} else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return mv_error_set(err, MV_ERR_USAGE, "cannot open %s: %s",
		    path, strerror(errno));
	if (offset && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		if ((uint64_t)st.st_size < offset)
			offset = 0;
		if (lseek(fd, (off_t)offset, SEEK_SET) == -1)
			offset = 0;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			mv_error_set(err, MV_ERR_USAGE, "cannot read %s: %s",
			    path, strerror(errno));
			goto fail;
		}
		total += (size_t)n;
		if (total > max || buf_append(out, chunk, (size_t)n) == -1) {
			mv_error_set(err, MV_ERR_USAGE, "%s is larger than %zu "
			    "bytes", path, max);
			goto fail;
		}
	}
	if (close_fd)
		close(fd);
	if (out->data == NULL)
		buf_append(out, "", 0);
	return 0;
fail:
	if (close_fd)
		close(fd);
	return -1;
}
