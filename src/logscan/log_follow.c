/*
 * log_follow.c - follow mode (see log_follow.h).
 */
#include "logscan/log_follow.h"

#include "logscan/log_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

struct follow_file {
	const char *path;             /* borrowed */
	int fd;
	dev_t dev;
	ino_t ino;
	off_t offset;
	int waiting;                  /* not there at the start yet */
	struct log_reader rd;
	uv_fs_poll_t poll;
	struct follow *f;
};

struct follow {
	const struct log_follow_params *p;
	uv_loop_t loop;
	uv_timer_t tick, stop;
	uv_signal_t sigint, sigterm;
	struct follow_file *files;
	int oom;
};

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read what the open file has beyond our offset. */
static void
drain(struct follow_file *ff)
{
	char *space;
	size_t avail;
	ssize_t got;

	if (ff->fd < 0)
		return;
	for (;;) {
		space = log_reader_space(&ff->rd, &avail);
		if (avail > LOG_READ_CHUNK)
			avail = LOG_READ_CHUNK;
		got = pread(ff->fd, space, avail, ff->offset);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		ff->offset += got;
		if (log_reader_commit(&ff->rd, ff->f->p->ls, (size_t)got) == -1)
			ff->f->oom = 1;
		/* release finished messages as we go, not only per tick */
		logscan_tick(ff->f->p->ls, wall_ms());
	}
}

static int
open_file(struct follow_file *ff, int at_end)
{
	struct stat st;
	int fd = open(ff->path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return -1;
	}
	ff->fd = fd;
	ff->dev = st.st_dev;
	ff->ino = st.st_ino;
	ff->offset = at_end ? st.st_size : 0;
	return 0;
}

static void
check_file(struct follow_file *ff)
{
	struct stat st;
	const struct log_follow_params *p = ff->f->p;

	drain(ff);
	if (stat(ff->path, &st) == -1)
		return;             /* rotated away, new one not there yet */
	if (ff->fd < 0 && ff->waiting) {
		/* a file that did not exist at the start: all of it is new */
		if (open_file(ff, 0) == 0) {
			ff->waiting = 0;
			if (p->on_wait)
				p->on_wait(p->ctx, ff->path, 1);
			drain(ff);
		}
		return;
	}
	if (ff->fd < 0 || st.st_ino != ff->ino || st.st_dev != ff->dev) {
		/* rotation: the old file is finished, a line cut at its
		 * end is complete */
		if (ff->fd >= 0) {
			drain(ff);
			log_reader_flush(&ff->rd, p->ls);
			close(ff->fd);
			ff->fd = -1;
		}
		if (open_file(ff, 0) == 0) {
			if (p->on_rotate)
				p->on_rotate(p->ctx, ff->path, 0);
			drain(ff);
		}
	} else if (st.st_size < ff->offset) {
		/* truncated in place (copytruncate) */
		log_reader_flush(&ff->rd, p->ls);
		ff->offset = 0;
		if (p->on_rotate)
			p->on_rotate(p->ctx, ff->path, 1);
		drain(ff);
	}
}

static void
on_poll(uv_fs_poll_t *h, int status, const uv_stat_t *prev,
    const uv_stat_t *curr)
{
	(void)status;
	(void)prev;
	(void)curr;
	check_file(h->data);
}

static void
on_tick(uv_timer_t *t)
{
	struct follow *f = t->data;
	size_t i;

	/* uv_fs_poll may miss a change inside one interval (same size and
	 * mtime second); a direct look each tick costs one stat. */
	for (i = 0; i < f->p->npaths; i++)
		check_file(&f->files[i]);
	logscan_tick(f->p->ls, wall_ms());
}

static void
stop_all(struct follow *f)
{
	size_t i;

	uv_timer_stop(&f->tick);
	uv_timer_stop(&f->stop);
	uv_signal_stop(&f->sigint);
	uv_signal_stop(&f->sigterm);
	for (i = 0; i < f->p->npaths; i++)
		uv_fs_poll_stop(&f->files[i].poll);
	uv_stop(&f->loop);
}

static void
on_signal(uv_signal_t *s, int signum)
{
	(void)signum;
	stop_all(s->data);
}

static void
on_stop(uv_timer_t *t)
{
	stop_all(t->data);
}

static void
on_close(uv_handle_t *h)
{
	(void)h;
}

static void
close_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, on_close);
}

int
log_follow_run(const struct log_follow_params *p, struct mv_error *err)
{
	struct follow f;
	struct follow_file *ff;
	size_t i;
	int rc = 0, inited = 0;
	uint64_t poll_ms = p->poll_ms ? p->poll_ms : 250;

	memset(&f, 0, sizeof(f));
	f.p = p;
	if ((f.files = calloc(p->npaths, sizeof(*f.files))) == NULL)
		return mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
	for (i = 0; i < p->npaths; i++)
		f.files[i].fd = -1;     /* the fail path closes what is >= 0 */
	for (i = 0; i < p->npaths; i++) {
		ff = &f.files[i];
		ff->path = p->paths[i];
		ff->f = &f;
		if (open_file(ff, !p->from_start) == -1) {
			if (errno != ENOENT) {
				rc = mv_error_set(err, MV_ERR_USAGE, "%s: %s",
				    ff->path, strerror(errno));
				goto fail;
			}
			/* like tail -F: wait for it to appear */
			ff->waiting = 1;
			if (p->on_wait)
				p->on_wait(p->ctx, ff->path, 0);
		}
		if (log_reader_init(&ff->rd, time(NULL)) == -1) {
			rc = mv_error_set(err, MV_ERR_INTERNAL,
			    "out of memory");
			goto fail;
		}
	}
	if (uv_loop_init(&f.loop) != 0) {
		rc = mv_error_set(err, MV_ERR_INTERNAL, "cannot start a loop");
		goto fail;
	}
	inited = 1;
	uv_timer_init(&f.loop, &f.tick);
	uv_timer_init(&f.loop, &f.stop);
	uv_signal_init(&f.loop, &f.sigint);
	uv_signal_init(&f.loop, &f.sigterm);
	f.tick.data = f.stop.data = f.sigint.data = f.sigterm.data = &f;
	for (i = 0; i < p->npaths; i++) {
		ff = &f.files[i];
		uv_fs_poll_init(&f.loop, &ff->poll);
		ff->poll.data = ff;
		uv_fs_poll_start(&ff->poll, on_poll, ff->path,
		    (unsigned)poll_ms);
		drain(ff);
	}
	logscan_tick(p->ls, wall_ms());
	uv_timer_start(&f.tick, on_tick, poll_ms, poll_ms);
	if (p->stop_after_ms)
		uv_timer_start(&f.stop, on_stop, p->stop_after_ms, 0);
	uv_signal_start(&f.sigint, on_signal, SIGINT);
	uv_signal_start(&f.sigterm, on_signal, SIGTERM);
	if (p->on_ready)
		p->on_ready(p->ctx);
	uv_run(&f.loop, UV_RUN_DEFAULT);
	for (i = 0; i < p->npaths; i++) {
		drain(&f.files[i]);
		log_reader_flush(&f.files[i].rd, p->ls);
	}
	if (f.oom)
		rc = mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
fail:
	if (inited) {
		uv_walk(&f.loop, close_walk, NULL);
		uv_run(&f.loop, UV_RUN_DEFAULT);
		uv_loop_close(&f.loop);
	}
	for (i = 0; i < p->npaths; i++) {
		if (f.files[i].fd >= 0)
			close(f.files[i].fd);
		log_reader_free(&f.files[i].rd);
	}
	free(f.files);
	return rc;
}
