/*
 * cli_util.c - option helpers shared by the subcommands: durations,
 * files, passwords, output (see cli.h).
 */
#include "cli/cli.h"

#include "core/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

int
cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mailvet %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'mailvet %s --help'.\n", cmd);
	return EXIT_USAGE;
}

int
cli_read_file(const char *path, size_t max, struct buf *out, char *why,
    size_t whysz)
{
	struct mv_error err;

	buf_init(out, max);
	if (file_read_from(path, 0, max, out, &err) == -1) {
		snprintf(why, whysz, "%s", err.msg);
		buf_free(out);
		return -1;
	}
	return 0;
}

static void
strip_newline(struct buf *b)
{
	if (b->len && b->data[b->len - 1] == '\n')
		b->data[--b->len] = '\0';
	if (b->len && b->data[b->len - 1] == '\r')
		b->data[--b->len] = '\0';
}

static int
prompt_password(const char *user, struct buf *out, char *why, size_t whysz)
{
	struct termios old, quiet;
	char line[1024];
	FILE *tty;
	int restored = 0;

	if ((tty = fopen("/dev/tty", "r+")) == NULL) {
		snprintf(why, whysz, "no password: give --password-file or "
		    "set MAILVET_PASSWORD (there is no terminal to ask on)");
		return -1;
	}
	/* Echo goes off before the prompt appears: whoever answers the
	 * prompt (a person or a script on a pty) can never type into an
	 * echoing terminal, nor have the answer flushed away by the
	 * switch. */
	if (tcgetattr(fileno(tty), &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
		restored = 1;
	}
	fprintf(tty, "Password for %s: ", user);
	fflush(tty);
	if (fgets(line, sizeof(line), tty) == NULL)
		line[0] = '\0';
	if (restored)
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fprintf(tty, "\n");
	fclose(tty);
	buf_append_str(out, line);
	explicit_bzero(line, sizeof(line));
	strip_newline(out);
	return 0;
}

int
cli_read_password(const char *file, const char *user, struct buf *out,
    char *why, size_t whysz)
{
	const char *env = getenv("MAILVET_PASSWORD");

	if (file) {
		if (cli_read_file(file, 4096, out, why, whysz) == -1)
			return -1;
		strip_newline(out);
		return 0;
	}
	buf_init(out, 4096);
	if (env) {
		buf_append_str(out, env);
		return 0;
	}
	return prompt_password(user, out, why, whysz);
}

int
cli_output(const struct report *rep, int json, int transcript, int verbose,
    const char *color)
{
	struct render_opts o;
	struct buf out;
	int r;

	memset(&o, 0, sizeof(o));
	o.transcript = transcript;
	o.verbose = verbose;
	if (color == NULL || strcmp(color, "auto") == 0)
		o.color = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
	else
		o.color = strcmp(color, "always") == 0;
	buf_init(&out, 0);
	r = json ? report_render_json(rep, &o, &out) :
	    report_render_text(rep, &o, &out);
	if (r == -1) {
		fprintf(stderr, "mailvet: cannot render the report (out of "
		    "memory)\n");
		buf_free(&out);
		return EXIT_INTERNAL;
	}
	fwrite(out.data, 1, out.len, stdout);
	fflush(stdout);
	buf_free(&out);
	return (int)report_exit_code(rep);
}

void
cli_hostname(char *out, size_t outsz)
{
	if (gethostname(out, outsz) != 0 || out[0] == '\0')
		snprintf(out, outsz, "localhost");
	out[outsz - 1] = '\0';
}

int
cli_run_report(const char *cmd, int json, int transcript, int verbose,
    const char *color, int (*run)(const void *params, struct report *rep,
    struct mv_error *err), const void *params)
{
	struct report rep;
	struct mv_error err;
	int rc;

	report_init(&rep, cmd);
	memset(&err, 0, sizeof(err));
	if (run(params, &rep, &err) == -1) {
		if (err.cat == MV_ERR_USAGE) {
			report_free(&rep);
			return cli_usage_error(cmd, "%s", err.msg);
		}
		rep.err = err;
	}
	rc = cli_output(&rep, json, transcript, verbose, color);
	report_free(&rep);
	return rc;
}
