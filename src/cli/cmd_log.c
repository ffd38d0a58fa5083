/*
 * cmd_log.c - `mailvet log [FILE...]`: a summary of Postfix and Dovecot
 * logs, one message's life across both (--queue-id, --message-id), or
 * each message as it finishes (--follow).  docs/mailvet-log.md.
 *
 * Exit codes: 0 summary produced / every queried message delivered;
 * 1 a queried message not found or not delivered (deferred, bounced,
 * expired, rejected, still queued); 2 usage; 3 a file cannot be read;
 * 4 internal (out of memory).
 */
#include "cli/cli.h"

#include "logscan/log_follow.h"
#include "logscan/log_reader.h"
#include "logscan/logscan.h"
#include "report/log_render.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char log_usage[] =
"usage: mailvet log [options] [FILE...]\n"
"\n"
"Read Postfix and Dovecot logs (syslog with traditional or RFC 3339\n"
"timestamps, Postfix maillog_file, Dovecot log_path; plain or .gz; '-'\n"
"or no FILE for standard input) and report a summary, or follow one\n"
"message from client connect to mailbox.\n"
"\n"
"  --queue-id QID         show the message(s) with this Postfix queue id\n"
"  --message-id ID        show the message(s) with this Message-ID\n"
"  --follow               like tail -F: print each message as it finishes\n"
"                         (survives rotation and truncation); stop with\n"
"                         Ctrl-C\n"
"  --from-start           with --follow: read what the files hold first\n"
"  --poll DUR             with --follow: how often to look (default 250ms)\n"
"  --grace DUR            with --follow: wait this long after a message is\n"
"                         removed for Dovecot's lines (default 1s)\n"
"  --stop-after DUR       with --follow: stop after this long\n"
"  --top N                rows per summary table (default 10, max 100)\n"
"  --max-open N           messages tracked at once (default 200000, about\n"
"                         700 bytes each)\n"
"  --json                 JSON (JSON lines, one message each, with\n"
"                         --follow)\n"
"  -h, --help             this text\n"
"\n"
"Exit status: 0 summary produced, or every queried message delivered;\n"
"1 a queried message not found or not delivered; 2 usage; 3 a file\n"
"cannot be read; 4 internal error.\n";

enum {
	O_QID = 256, O_MSGID, O_FOLLOW, O_FROM_START, O_POLL, O_GRACE,
	O_STOP_AFTER, O_TOP, O_MAX_OPEN, O_JSON, O_HELP,
};

static const struct option log_options[] = {
	{ "queue-id", required_argument, NULL, O_QID },
	{ "message-id", required_argument, NULL, O_MSGID },
	{ "follow", no_argument, NULL, O_FOLLOW },
	{ "from-start", no_argument, NULL, O_FROM_START },
	{ "poll", required_argument, NULL, O_POLL },
	{ "grace", required_argument, NULL, O_GRACE },
	{ "stop-after", required_argument, NULL, O_STOP_AFTER },
	{ "top", required_argument, NULL, O_TOP },
	{ "max-open", required_argument, NULL, O_MAX_OPEN },
	{ "json", no_argument, NULL, O_JSON },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 },
};

struct log_cli {
	const char *qid, *msgid;
	int follow, from_start, json;
	uint64_t poll_ms, grace_ms, stop_after_ms;
	size_t top, max_open;
	const char **paths;
	size_t npaths;
	int write_failed;
};

static int
parse_count(const char *name, const char *v, size_t lo, size_t hi,
    size_t *out)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || end == v || *end != '\0' || v[0] == '-' || n < lo ||
	    n > hi)
		return cli_usage_error("log", "%s takes a number from %zu to "
		    "%zu, not '%s'", name, lo, hi, v);
	*out = (size_t)n;
	return 0;
}

/* A .gz name, or a file that starts with gzip's magic (RFC 1952). */
static int
gzipped(const char *path)
{
	unsigned char m[2];
	size_t n = strlen(path);
	FILE *f;
	int gz = 0;

	if (n > 3 && strcmp(path + n - 3, ".gz") == 0)
		return 1;
	if ((f = fopen(path, "rb")) == NULL)
		return 0;           /* not there yet: --follow waits */
	if (fread(m, 1, 2, f) == 2 && m[0] == 0x1f && m[1] == 0x8b)
		gz = 1;
	fclose(f);
	return gz;
}

static int
log_parse(struct log_cli *c, int argc, char **argv)
{
	int ch, rc;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", log_options, NULL)) != -1) {
		switch (ch) {
		case O_QID:
			if (strlen(optarg) == 0 || strlen(optarg) > 32)
				return cli_usage_error("log", "--queue-id: "
				    "'%s' is not a Postfix queue id", optarg);
			/* One question per run: with two, the exit status
			 * could only answer one of them. */
			if (c->qid != NULL || c->msgid != NULL)
				return cli_usage_error("log", "ask for one "
				    "message per run: one --queue-id or one "
				    "--message-id");
			c->qid = optarg;
			break;
		case O_MSGID:
			if (strlen(optarg) == 0 || strlen(optarg) > 1000)
				return cli_usage_error("log", "--message-id: "
				    "give the Message-ID, e.g. "
				    "'<1234@host>'");
			if (c->qid != NULL || c->msgid != NULL)
				return cli_usage_error("log", "ask for one "
				    "message per run: one --queue-id or one "
				    "--message-id");
			c->msgid = optarg;
			break;
		case O_FOLLOW:
			c->follow = 1;
			break;
		case O_FROM_START:
			c->from_start = 1;
			break;
		case O_POLL:
			if ((rc = cli_duration("log", "--poll", optarg,
			    &c->poll_ms)) != 0)
				return rc;
			if (c->poll_ms == 0)
				return cli_usage_error("log", "--poll must "
				    "be more than 0");
			break;
		case O_GRACE:
			if ((rc = cli_duration("log", "--grace", optarg,
			    &c->grace_ms)) != 0)
				return rc;
			break;
		case O_STOP_AFTER:
			if ((rc = cli_duration("log", "--stop-after", optarg,
			    &c->stop_after_ms)) != 0)
				return rc;
			break;
		case O_TOP:
			if ((rc = parse_count("--top", optarg, 1, 100,
			    &c->top)) != 0)
				return rc;
			break;
		case O_MAX_OPEN:
			if ((rc = parse_count("--max-open", optarg, 1,
			    100000000, &c->max_open)) != 0)
				return rc;
			break;
		case O_JSON:
			c->json = 1;
			break;
		case 'h':
		case O_HELP:
			fputs(log_usage, stdout);
			return -1;
		default:
			return cli_usage_error("log", "unknown or incomplete "
			    "option '%s'", argv[optind - 1]);
		}
	}
	c->paths = (const char **)argv + optind;
	c->npaths = (size_t)(argc - optind);
	if (c->npaths == 0 && isatty(STDIN_FILENO))
		return cli_usage_error("log", "give a log FILE (or pipe one "
		    "in: standard input is a terminal)");
	if (c->from_start && !c->follow)
		return cli_usage_error("log", "--from-start goes with "
		    "--follow");
	if (c->follow && c->npaths == 0)
		return cli_usage_error("log", "--follow needs a FILE "
		    "(standard input cannot be followed across rotation)");
	if (c->follow) {
		size_t i;

		for (i = 0; i < c->npaths; i++) {
			if (strcmp(c->paths[i], "-") == 0)
				return cli_usage_error("log", "--follow needs "
				    "files, not '-'");
			if (gzipped(c->paths[i]))
				return cli_usage_error("log", "--follow reads "
				    "plain text: %s is gzip-compressed (read "
				    "it without --follow)", c->paths[i]);
		}
	}
	return 0;
}

static void
write_buf(struct log_cli *c, struct buf *b)
{
	if (b->len > 0 && fwrite(b->data, 1, b->len, stdout) != b->len)
		c->write_failed = 1;
	buf_reset(b);
}

/* A queried message is "delivered" when it left the queue and every
 * recipient was sent. */
static int
delivered(const struct log_msg *m)
{
	return m->removed && log_msg_status(m) == LOG_STATUS_SENT;
}

static int
wanted(const struct log_cli *c, const struct log_msg *m)
{
	const char *id = c->msgid;
	size_t n;

	if (c->qid != NULL && strcmp(c->qid, m->qid) == 0)
		return 1;
	if (id == NULL)
		return c->qid == NULL;
	if (m->message_id == NULL)
		return 0;
	if (id[0] == '<')
		return strcmp(id, m->message_id) == 0;
	n = strlen(id);
	return strlen(m->message_id) == n + 2 &&
	    strncmp(m->message_id + 1, id, n) == 0;
}

static void
follow_msg(void *ctx, const struct log_msg *m)
{
	struct log_cli *c = ctx;
	struct buf b;

	if (!wanted(c, m))
		return;
	buf_init(&b, 0);
	if (c->json)
		log_render_msg_json_line(m, &b);
	else
		log_render_msg_text_line(m, &b);
	write_buf(c, &b);
	buf_free(&b);
	fflush(stdout);
}

static void
follow_ready(void *ctx)
{
	struct log_cli *c = ctx;

	fprintf(stderr, "mailvet log: following %zu file%s\n", c->npaths,
	    c->npaths == 1 ? "" : "s");
	fflush(stderr);
}

static void
follow_wait(void *ctx, const char *path, int appeared)
{
	(void)ctx;
	if (appeared)
		fprintf(stderr, "mailvet log: %s appeared, reading it from "
		    "the start\n", path);
	else
		fprintf(stderr, "mailvet log: waiting for %s to appear\n",
		    path);
	fflush(stderr);
}

static void
follow_rotate(void *ctx, const char *path, int truncated)
{
	(void)ctx;
	fprintf(stderr, "mailvet log: %s %s, reading it from the start\n",
	    path, truncated ? "was truncated" : "was rotated");
	fflush(stderr);
}

static int
run_follow(struct log_cli *c, struct logscan_params *lp)
{
	struct log_follow_params fp;
	struct logscan *ls;
	struct mv_error err;
	int rc;

	lp->on_msg = follow_msg;
	lp->ctx = c;
	lp->grace_ms = c->grace_ms ? (int64_t)c->grace_ms : 1000;
	lp->link_saves = 1;
	lp->keep_events = 0;
	if ((ls = logscan_new(lp)) == NULL) {
		fprintf(stderr, "mailvet log: out of memory\n");
		return EXIT_INTERNAL;
	}
	memset(&fp, 0, sizeof(fp));
	fp.paths = c->paths;
	fp.npaths = c->npaths;
	fp.from_start = c->from_start;
	fp.poll_ms = c->poll_ms;
	fp.stop_after_ms = c->stop_after_ms;
	fp.ls = ls;
	fp.on_ready = follow_ready;
	fp.on_rotate = follow_rotate;
	fp.on_wait = follow_wait;
	fp.ctx = c;
	mv_error_clear(&err);
	rc = log_follow_run(&fp, &err);
	if (rc == 0 && logscan_finish(ls) == -1)
		rc = mv_error_set(&err, MV_ERR_INTERNAL, "out of memory");
	logscan_free(ls);
	if (rc == -1) {
		fprintf(stderr, "mailvet log: %s\n", err.msg);
		return err.cat == MV_ERR_INTERNAL ? EXIT_INTERNAL :
		    EXIT_UNTESTED;
	}
	return c->write_failed ? EXIT_INTERNAL : EXIT_PASS;
}

static int
run_batch(struct log_cli *c, struct logscan_params *lp)
{
	static const char *const stdin_path[] = { "-" };
	const struct log_msg *const *msgs;
	struct log_render r;
	struct logscan *ls;
	struct mv_error err;
	struct buf out;
	size_t i, n;
	int code = EXIT_PASS;

	lp->keep_events = c->qid != NULL || c->msgid != NULL;
	lp->link_saves = lp->keep_events;
	if ((ls = logscan_new(lp)) == NULL) {
		fprintf(stderr, "mailvet log: out of memory\n");
		return EXIT_INTERNAL;
	}
	if (c->npaths == 0) {
		c->paths = (const char **)stdin_path;
		c->npaths = 1;
	}
	memset(&r, 0, sizeof(r));
	mv_error_clear(&err);
	for (i = 0; i < c->npaths; i++)
		if (log_read_path(ls, c->paths[i], &err) == -1)
			break;
	if (err.cat == MV_ERR_NONE && logscan_finish(ls) == -1)
		mv_error_set(&err, MV_ERR_INTERNAL, "out of memory");
	if (err.cat != MV_ERR_NONE) {
		code = err.cat == MV_ERR_INTERNAL ? EXIT_INTERNAL :
		    EXIT_UNTESTED;
		fprintf(stderr, "mailvet log: %s\n", err.msg);
		r.error = err.msg;
	}
	n = logscan_matches(ls, &msgs);
	r.sum = logscan_summary(ls);
	r.msgs = msgs;
	r.nmsgs = n;
	r.query = lp->keep_events;
	r.inputs = c->paths;
	r.ninputs = c->npaths;
	r.top = c->top ? c->top : 10;
	if (code == EXIT_PASS && r.query) {
		if (n == 0)
			code = EXIT_FINDING;
		for (i = 0; i < n; i++)
			if (!delivered(msgs[i]))
				code = EXIT_FINDING;
	}
	r.exit_code = code;
	buf_init(&out, 0);
	if (c->json)
		log_render_json(&r, &out);
	else if (r.error == NULL)
		log_render_text(&r, &out);
	write_buf(c, &out);
	buf_free(&out);
	logscan_free(ls);
	if (fflush(stdout) != 0 || c->write_failed)
		return code == EXIT_PASS ? EXIT_INTERNAL : code;
	return code;
}

int
cmd_log(int argc, char **argv)
{
	struct log_cli c;
	struct logscan_params lp;
	int rc;

	memset(&c, 0, sizeof(c));
	if ((rc = log_parse(&c, argc, argv)) != 0)
		return rc == -1 ? EXIT_PASS : rc;
	memset(&lp, 0, sizeof(lp));
	lp.want_qid = c.qid;
	lp.want_msgid = c.msgid;
	lp.max_open = c.max_open;
	if (c.follow)
		return run_follow(&c, &lp);
	return run_batch(&c, &lp);
}
