/*
 * cmd_bench.c - `mailvet bench URL`: the SMTP/LMTP load generator
 * (docs/mailvet-bench.md).  Reads the bench options (the common ones
 * are in cli_common.c), builds the messages (reading --eml-dir), runs
 * src/bench/bench.c, prints interval lines, a progress line on a
 * terminal and the final report, and returns its exit code.
 */
#include "cli/cli.h"
#include "cli/cmd_bench.h"

#include "bench/bench.h"
#include "bench/bench_msg.h"
#include "bench/bench_sched.h"
#include "core/clock.h"
#include "report/bench_stats.h"

#include <dirent.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BENCH_MAX_TO       1000
#define BENCH_EML_MAX      (64u * 1024 * 1024)
#define BENCH_EML_TOTAL    (1024ull * 1024 * 1024)
#define BENCH_DEFAULT_BODY 1024
#define BENCH_STOP_GRACE_MS 2000  /* after the first Ctrl-C */

static const char bench_usage[] =
"usage: mailvet bench [options] URL\n"
"\n"
"Load an SMTP or LMTP server: many sessions in parallel on one event\n"
"loop per thread, messages one after another on each connection,\n"
"per-phase latency percentiles, replies by class, errors by kind.\n"
"URL is smtp://host[:port], smtps://, submission://, submissions://,\n"
"lmtp://, host[:port], [v6]:port or unix:/path.\n"
"\n"
"Load:\n"
"  --sessions N           sessions in parallel (default 10)\n"
"  --threads N            worker threads, each with its own loop (default 1)\n"
"  --messages N           send N messages in all (default 1000 unless\n"
"                         --duration is given)\n"
"  --duration DUR         stop starting messages after DUR (e.g. 30s)\n"
"  --rate N/s             open loop: N messages per second whatever the\n"
"                         server does; latency counts from each message's\n"
"                         intended send time (default: closed loop, as fast\n"
"                         as the server answers)\n"
"  --messages-per-connection N   then QUIT and reconnect (1: a new\n"
"                         connection per message; default: no limit)\n"
"  --connect-rate N/s     open at most N connections per second\n"
"\n"
"Messages:\n"
"  --from ADDR            envelope sender (default mailvet-bench@HOST)\n"
"  --to ADDR              recipient; repeat for several (default\n"
"                         bench@mailvet.invalid)\n"
"  --rcpts N              recipients per message, taken in turn from --to\n"
"  --size SIZE            body size, e.g. 512, 1k, 1m (default 1k)\n"
"  --size-dist A:B:...    body sizes picked at random per message\n"
"  --eml-dir DIR          send the .eml files of DIR instead\n"
"  --subject TEXT         Subject of the generated messages\n"
"  --helo NAME            EHLO/LHLO name (default: this host)\n"
"  --lmtp                 speak LMTP whatever the URL says\n"
"  --pipelining           RFC 2920 pipelining when the server offers it\n"
"  --chunking             BDAT (RFC 3030) when the server offers it\n"
"  --data-timeout DUR     wait for the reply to a message (default 5m)\n"
"  --seed N               message choice for --size-dist and --eml-dir\n"
"\n"
"Report:\n"
"  --interval DUR         one line per interval (default 1s; 0: none)\n"
"  (a progress line goes to standard error when it is a terminal)\n";

enum {
	O_SESSIONS = 256, O_THREADS, O_MESSAGES, O_DURATION, O_RATE,
	O_PER_CONN, O_CONNECT_RATE, O_FROM, O_TO, O_RCPTS, O_SIZE,
	O_SIZE_DIST, O_EML_DIR, O_SUBJECT, O_HELO, O_LMTP, O_PIPELINING,
	O_CHUNKING, O_DATA_TIMEOUT, O_SEED, O_INTERVAL,
};

static const struct option bench_options[] = {
	{ "sessions", required_argument, NULL, O_SESSIONS },
	{ "threads", required_argument, NULL, O_THREADS },
	{ "messages", required_argument, NULL, O_MESSAGES },
	{ "duration", required_argument, NULL, O_DURATION },
	{ "rate", required_argument, NULL, O_RATE },
	{ "messages-per-connection", required_argument, NULL, O_PER_CONN },
	{ "connect-rate", required_argument, NULL, O_CONNECT_RATE },
	{ "from", required_argument, NULL, O_FROM },
	{ "to", required_argument, NULL, O_TO },
	{ "rcpts", required_argument, NULL, O_RCPTS },
	{ "size", required_argument, NULL, O_SIZE },
	{ "size-dist", required_argument, NULL, O_SIZE_DIST },
	{ "eml-dir", required_argument, NULL, O_EML_DIR },
	{ "subject", required_argument, NULL, O_SUBJECT },
	{ "helo", required_argument, NULL, O_HELO },
	{ "lmtp", no_argument, NULL, O_LMTP },
	{ "pipelining", no_argument, NULL, O_PIPELINING },
	{ "chunking", no_argument, NULL, O_CHUNKING },
	{ "data-timeout", required_argument, NULL, O_DATA_TIMEOUT },
	{ "seed", required_argument, NULL, O_SEED },
	{ "interval", required_argument, NULL, O_INTERVAL },
	{ NULL, 0, NULL, 0 },
};

struct bench_cli {
	struct cli_common common;
	struct bench_params bp;
	const char *to[BENCH_MAX_TO];
	size_t nto;
	char helo[256];
	char from[320];
	const char *subject;
	uint64_t sizes[BENCH_SIZES_MAX];
	size_t nsizes;
	const char *eml_dir;
	int lmtp;
	int messages_given;
	uint64_t interval_ms;
	struct bench_msgset msgs;
};

static volatile sig_atomic_t bench_signalled;

/* How many SIGINT/SIGTERM so far (1: drain, 2: abort). */
static void
bench_on_signal(int sig)
{
	(void)sig;
	if (bench_signalled < 2)
		bench_signalled++;
}

static int
bad_address(const char *a)
{
	return strpbrk(a, "\r\n<> ") != NULL || strlen(a) > 256;
}

/* A positive whole number up to max. */
static int
bench_count(const char *name, const char *v, uint64_t max, uint64_t *out)
{
	uint64_t n = 0;
	const char *p = v;

	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > max)
			break;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	if (p == v || *p != '\0' || n == 0 || n > max)
		return cli_usage_error("bench", "%s takes a whole number from "
		    "1 to %llu, not '%s'", name, (unsigned long long)max, v);
	*out = n;
	return 0;
}

static int
bench_option(void *ctx, int ch, const char *v)
{
	struct bench_cli *c = ctx;
	struct bench_params *bp = &c->bp;
	uint64_t n;

	switch (ch) {
	case O_SESSIONS:
		if (bench_count("--sessions", v, BENCH_MAX_SESSIONS, &n))
			return EXIT_USAGE;
		bp->sessions = (unsigned)n;
		return 0;
	case O_THREADS:
		if (bench_count("--threads", v, BENCH_MAX_THREADS, &n))
			return EXIT_USAGE;
		bp->threads = (unsigned)n;
		return 0;
	case O_MESSAGES:
		c->messages_given = 1;
		return bench_count("--messages", v, 1ull << 40,
		    &bp->messages) ? EXIT_USAGE : 0;
	case O_DURATION:
		if (cli_duration("bench", "--duration", v, &bp->duration_ms))
			return EXIT_USAGE;
		if (bp->duration_ms == 0)
			return cli_usage_error("bench", "--duration must be "
			    "more than 0");
		return 0;
	case O_RATE:
		if (bench_rate_parse(v, &bp->rate_per_s) == -1)
			return cli_usage_error("bench", "--rate takes messages "
			    "per second such as 500/s, 30/m or 0.5, not '%s'",
			    v);
		return 0;
	case O_CONNECT_RATE:
		if (bench_rate_parse(v, &bp->connect_rate_per_s) == -1)
			return cli_usage_error("bench", "--connect-rate takes "
			    "connections per second such as 100/s, not '%s'",
			    v);
		return 0;
	case O_PER_CONN:
		return bench_count("--messages-per-connection", v, 1ull << 40,
		    &bp->per_connection) ? EXIT_USAGE : 0;
	case O_FROM:
		if (bad_address(v))
			return cli_usage_error("bench", "--from: not a usable "
			    "address: '%s'", v);
		snprintf(c->from, sizeof(c->from), "%s", v);
		return 0;
	case O_TO:
		if (bad_address(v) || v[0] == '\0')
			return cli_usage_error("bench", "--to: not a usable "
			    "address: '%s'", v);
		if (c->nto == BENCH_MAX_TO)
			return cli_usage_error("bench", "at most %d --to",
			    BENCH_MAX_TO);
		c->to[c->nto++] = v;
		return 0;
	case O_RCPTS:
		if (bench_count("--rcpts", v, BENCH_MAX_RCPTS, &n))
			return EXIT_USAGE;
		bp->rcpts = (size_t)n;
		return 0;
	case O_SIZE:
		if (bench_size_parse(v, &c->sizes[0]) == -1 ||
		    c->sizes[0] > BENCH_EML_MAX)
			return cli_usage_error("bench", "--size takes a size "
			    "from 1 byte to 64m such as 512, 1k or 1m, not "
			    "'%s'", v);
		c->nsizes = 1;
		return 0;
	case O_SIZE_DIST:
		if (bench_sizes_parse(v, BENCH_EML_MAX, c->sizes,
		    &c->nsizes) == -1)
			return cli_usage_error("bench", "--size-dist takes up "
			    "to %d sizes separated by ':', such as "
			    "512:1k:64k, not '%s'", BENCH_SIZES_MAX, v);
		return 0;
	case O_EML_DIR:
		c->eml_dir = v;
		return 0;
	case O_SUBJECT:
		if (strpbrk(v, "\r\n"))
			return cli_usage_error("bench", "--subject: one line "
			    "only");
		c->subject = v;
		return 0;
	case O_HELO:
		if (bad_address(v) || v[0] == '\0')
			return cli_usage_error("bench", "--helo: not a usable "
			    "name: '%s'", v);
		snprintf(c->helo, sizeof(c->helo), "%.255s", v);
		return 0;
	case O_LMTP:
		c->lmtp = 1;
		return 0;
	case O_PIPELINING:
		bp->smtp.pipelining = 1;
		return 0;
	case O_CHUNKING:
		bp->smtp.chunking = 1;
		return 0;
	case O_DATA_TIMEOUT:
		return cli_duration("bench", "--data-timeout", v,
		    &c->common.data_timeout_ms);
	case O_SEED:
		return bench_count("--seed", v, UINT64_MAX / 10,
		    &bp->seed) ? EXIT_USAGE : 0;
	case O_INTERVAL:
		if (strcmp(v, "0") == 0) {
			c->interval_ms = 0;
			return 0;
		}
		return cli_duration("bench", "--interval", v,
		    &c->interval_ms);
	}
	return cli_usage_error("bench", "unknown option");
}

static int
bench_name_is_eml(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && strcmp(name + n - 4, ".eml") == 0;
}

static int
bench_cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .eml files of dir, in name order, into the message set. */
static int
bench_load_eml(struct bench_cli *c, const struct bench_msg_params *mp)
{
	char **names = NULL, path[4096], why[512];
	size_t n = 0, cap = 0, i;
	uint64_t total = 0;
	struct dirent *de;
	struct mv_error err;
	struct buf data;
	DIR *d;
	int rc = EXIT_USAGE;

	if ((d = opendir(c->eml_dir)) == NULL)
		return cli_usage_error("bench", "--eml-dir %s: cannot read "
		    "the directory", c->eml_dir);
	while ((de = readdir(d)) != NULL) {
		if (!bench_name_is_eml(de->d_name))
			continue;
		if (n == BENCH_MSGS_MAX) {
			cli_usage_error("bench", "--eml-dir %s: more than %d "
			    ".eml files", c->eml_dir, BENCH_MSGS_MAX);
			goto out;
		}
		if (n == cap) {
			char **grown;

			cap = cap ? cap * 2 : 64;
			if ((grown = realloc(names, cap * sizeof(*names))) ==
			    NULL)
				goto nomem;
			names = grown;
		}
		if ((names[n] = strdup(de->d_name)) == NULL)
			goto nomem;
		n++;
	}
	if (n == 0) {
		cli_usage_error("bench", "--eml-dir %s: no .eml files there",
		    c->eml_dir);
		goto out;
	}
	qsort(names, n, sizeof(*names), bench_cmp_names);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", c->eml_dir, names[i]);
		if (cli_read_file(path, BENCH_EML_MAX, &data, why,
		    sizeof(why)) == -1) {
			cli_usage_error("bench", "%s: %s", path, why);
			goto out;
		}
		total += data.len;
		if (total > BENCH_EML_TOTAL) {
			buf_free(&data);
			cli_usage_error("bench", "--eml-dir %s: more than "
			    "1 GiB of messages", c->eml_dir);
			goto out;
		}
		if (bench_msgset_add(&c->msgs, mp, data.data ? data.data : "",
		    data.len, &err) == -1) {
			buf_free(&data);
			cli_usage_error("bench", "%s: %s", path, err.msg);
			goto out;
		}
		buf_free(&data);
	}
	rc = 0;
	goto out;
nomem:
	cli_usage_error("bench", "out of memory");
out:
	closedir(d);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static int
bench_build_messages(struct bench_cli *c)
{
	struct bench_msg_params mp;
	struct mv_error err;
	uint64_t run_id = 0;
	size_t i;

	if (RAND_bytes((unsigned char *)&run_id, sizeof(run_id)) != 1)
		run_id = clock_now_us() ^ ((uint64_t)getpid() << 32);
	bench_msgset_init(&c->msgs, run_id);
	memset(&mp, 0, sizeof(mp));
	mp.run_id = run_id;
	mp.from = c->from;
	mp.to = c->to[0];
	mp.subject = c->subject;
	mp.date = (int64_t)time(NULL);
	if (c->eml_dir)
		return bench_load_eml(c, &mp);
	for (i = 0; i < c->nsizes; i++)
		if (bench_msgset_generate(&c->msgs, &mp, c->sizes[i], &err) ==
		    -1)
			return cli_usage_error("bench", "%s", err.msg);
	return 0;
}

static int
bench_finish_options(struct bench_cli *c)
{
	struct bench_params *bp = &c->bp;
	struct cli_common *cm = &c->common;
	int rc;

	if ((rc = cli_common_finish(cm, TARGET_SCHEME_SMTP)) != 0)
		return rc;
	if (cm->net.target.proto != TARGET_PROTO_SMTP &&
	    cm->net.target.proto != TARGET_PROTO_LMTP)
		return cli_usage_error("bench", "%s is not an SMTP or LMTP "
		    "URL", cm->url);
	if (c->eml_dir && c->nsizes)
		return cli_usage_error("bench", "--eml-dir sends the files as "
		    "they are; it cannot be combined with --size or "
		    "--size-dist");
	if (c->nsizes == 0) {
		c->sizes[0] = BENCH_DEFAULT_BODY;
		c->nsizes = 1;
	}
	if (c->nto == 0)
		c->to[c->nto++] = "bench@mailvet.invalid";
	if (bp->rcpts == 0)
		bp->rcpts = 1;
	if (!c->messages_given && bp->duration_ms == 0)
		bp->messages = 1000;
	if (bp->threads > bp->sessions)
		bp->threads = bp->sessions;
	bp->target = &cm->net.target;
	bp->family = cm->net.family;
	bp->source = cm->net.source;
	bp->tls = cm->net.tls;
	if (bp->tls.server_name == NULL && !cm->net.target.is_unix)
		bp->tls.server_name = cm->net.target.host;
	bp->connect_timeout_ms = cm->net.connect_timeout_ms;
	bp->tls_timeout_ms = cm->net.tls_timeout_ms;
	bp->smtp.lmtp = c->lmtp || cm->net.target.proto == TARGET_PROTO_LMTP;
	bp->smtp.helo_name = c->helo;
	bp->smtp.tls = cm->net.tls_policy;
	bp->smtp.auth_user = cm->user;
	bp->smtp.auth_pass = cm->user ? buf_cstr(&cm->password) : NULL;
	bp->smtp.auth_mech = cm->auth_mech;
	bp->smtp.auth_authzid = cm->authzid;
	bp->smtp.banner_timeout_ms = cm->greeting_timeout_ms;
	bp->smtp.command_timeout_ms = cm->command_timeout_ms;
	bp->smtp.data_timeout_ms = cm->data_timeout_ms;
	bp->mail_from = c->from;
	bp->to = c->to;
	bp->nto = c->nto;
	bp->msgs = &c->msgs;
	return bench_build_messages(c);
}

/* What was run, for the report. */
static void
bench_describe(const struct bench_cli *c, struct bench_stats *st)
{
	const struct bench_params *bp = &c->bp;
	const struct cli_common *cm = &c->common;
	size_t i;

	target_format(&cm->net.target, st->target, sizeof(st->target));
	st->threads = bp->threads;
	st->sessions = bp->sessions;
	st->lmtp = bp->smtp.lmtp;
	st->pipelining = bp->smtp.pipelining;
	st->chunking = bp->smtp.chunking;
	st->tls = cm->net.target.implicit_tls ? "implicit" :
	    bp->smtp.tls == TLS_POLICY_OFF ? "off" :
	    bp->smtp.tls == TLS_POLICY_REQUIRED ? "required" : "optional";
	st->auth = bp->smtp.auth_user != NULL;
	st->rcpts = bp->rcpts;
	st->distinct_messages = c->msgs.n;
	st->messages_limit = bp->messages;
	st->duration_ms = bp->duration_ms;
	st->per_connection = bp->per_connection;
	st->rate_per_s = bp->rate_per_s;
	st->connect_rate_per_s = bp->connect_rate_per_s;
	st->run_id = c->msgs.run_id;
	for (i = 0; i < c->msgs.n; i++) {
		const struct bench_msg *m = &c->msgs.msg[i];

		if (i == 0 || m->body_len < st->body_min)
			st->body_min = m->body_len;
		if (m->body_len > st->body_max)
			st->body_max = m->body_len;
		if (i == 0 || m->data_len < st->wire_min)
			st->wire_min = m->data_len;
		if (m->data_len > st->wire_max)
			st->wire_max = m->data_len;
	}
}

static void
bench_counters_sub(const struct bench_counters *a,
    const struct bench_counters *b, struct bench_counters *d)
{
	d->t_us = a->t_us - b->t_us;
	d->started = a->started - b->started;
	d->accepted = a->accepted - b->accepted;
	d->rejected = a->rejected - b->rejected;
	d->aborted = a->aborted - b->aborted;
	d->errors = a->errors - b->errors;
	d->bytes = a->bytes - b->bytes;
	d->connections = a->connections - b->connections;
}

static void
bench_progress(const struct bench_counters *now)
{
	double s = (double)now->t_us / 1e6;

	fprintf(stderr, "\r%7.1fs  accepted %llu  %.0f msg/s  rejected %llu  "
	    "aborted %llu  errors %llu   ", s,
	    (unsigned long long)now->accepted, s > 0 ?
	    (double)now->accepted / s : 0.0,
	    (unsigned long long)now->rejected,
	    (unsigned long long)now->aborted,
	    (unsigned long long)now->errors);
	fflush(stderr);
}

/* Wait for the run, printing intervals and progress.  The first Ctrl-C
 * (or SIGTERM) stops starting messages and lets those in flight finish
 * for a short grace; a second one, or the end of the grace, closes
 * every connection (what was in flight is counted aborted): a stalled
 * server cannot keep the run from ending. */
static void
bench_watch(struct bench *b, struct bench_cli *c, struct bench_stats *st,
    int print_intervals, int progress)
{
	struct bench_counters prev, now;
	struct bench_interval iv;
	struct buf line;
	uint64_t tick_ms = c->interval_ms ? c->interval_ms : 1000;
	uint64_t next_ms = tick_ms, t_ms, wait_ms, grace_ms, stop_ms = 0;
	int stopped = 0, aborted = 0, done = 0;

	grace_ms = BENCH_STOP_GRACE_MS;
	if (c->bp.smtp.command_timeout_ms &&
	    c->bp.smtp.command_timeout_ms < grace_ms)
		grace_ms = c->bp.smtp.command_timeout_ms;
	if (c->bp.smtp.data_timeout_ms &&
	    c->bp.smtp.data_timeout_ms < grace_ms)
		grace_ms = c->bp.smtp.data_timeout_ms;

	memset(&prev, 0, sizeof(prev));
	buf_init(&line, 0);
	while (!done) {
		bench_counters(b, &now);
		t_ms = now.t_us / 1000;
		wait_ms = next_ms > t_ms ? next_ms - t_ms : 0;
		done = bench_wait(b, wait_ms > 200 ? 200 : wait_ms);
		if (bench_signalled && !stopped) {
			stopped = 1;
			bench_stop(b);
			bench_counters(b, &now);
			stop_ms = now.t_us / 1000;
		}
		bench_counters(b, &now);
		t_ms = now.t_us / 1000;
		if (stopped && !aborted && !done && (bench_signalled > 1 ||
		    t_ms >= stop_ms + grace_ms)) {
			aborted = 1;
			bench_abort(b);
		}
		if (t_ms < next_ms && !done)
			continue;
		if (progress)
			bench_progress(&now);
		if (c->interval_ms == 0 || (done && now.t_us <= prev.t_us)) {
			next_ms = t_ms + tick_ms;
			continue;
		}
		bench_counters_sub(&now, &prev, &iv.delta);
		iv.t_ms = t_ms;
		iv.dt_ms = iv.delta.t_us / 1000;
		if (iv.dt_ms == 0)
			iv.dt_ms = 1;
		iv.partial = done && iv.delta.t_us < tick_ms * 1000;
		/* The last, partial interval only when it saw something. */
		if (!done || iv.delta.started || iv.delta.accepted ||
		    iv.delta.errors) {
			bench_stats_add_interval(st, &iv);
			if (print_intervals) {
				buf_reset(&line);
				bench_render_text_interval(&iv, &line);
				fputs(buf_cstr(&line), stdout);
				fflush(stdout);
			}
		}
		prev = now;
		while (next_ms <= t_ms)
			next_ms += tick_ms;
	}
	if (progress)
		fputs("\n", stderr);
	buf_free(&line);
}

static int
bench_report(const struct bench_stats *st, int json, int style)
{
	struct buf out;

	buf_init(&out, 0);
	if (json) {
		bench_render_json(st, &out);
	} else {
		if (style == BENCH_OUT_SMTPSEND)
			bench_render_smtpsend(st, &out);
		bench_render_text(st, 0, &out);
	}
	fputs(buf_cstr(&out), stdout);
	fflush(stdout);
	buf_free(&out);
	return bench_stats_exit_code(st);
}

int
bench_cli_run(int argc, char **argv, int style)
{
	struct sigaction sa, old_int, old_term;
	struct bench_stats *st = NULL;
	struct bench *b = NULL;
	struct bench_cli *c;
	struct mv_error err;
	int rc, progress;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (st = calloc(1, sizeof(*st))) == NULL) {
		free(c);
		fprintf(stderr, "mailvet bench: out of memory\n");
		return EXIT_INTERNAL;
	}
	cli_common_init(&c->common, "bench");
	c->common.example = "a URL such as smtp://127.0.0.1:2526";
	cli_hostname(c->helo, sizeof(c->helo));
	snprintf(c->from, sizeof(c->from), "mailvet-bench@%s", c->helo);
	c->bp.sessions = 10;
	c->bp.threads = 1;
	c->bp.smtp.quit_after = SMTP_PHASE_COUNT;
	c->interval_ms = 1000;
	rc = cli_common_parse(&c->common, argc, argv, bench_options,
	    bench_usage, bench_option, c);
	if (rc == 0)
		rc = bench_finish_options(c);
	if (rc != 0) {
		rc = rc == -1 ? EXIT_PASS : rc;
		goto out;
	}
	bench_stats_init(st);
	bench_describe(c, st);
	progress = isatty(STDERR_FILENO) && (c->common.json ||
	    !isatty(STDOUT_FILENO));
	bench_signalled = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = bench_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	if ((b = bench_new(&c->bp, &err)) == NULL ||
	    bench_start(b, &err) == -1) {
		st->err = err;
		if (b)
			bench_stop(b);
	} else {
		bench_watch(b, c, st, !c->common.json && c->interval_ms > 0,
		    progress);
	}
	if (b)
		bench_finish(b, st);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (st->err.cat == MV_ERR_USAGE) {
		rc = cli_usage_error("bench", "%s", st->err.msg);
		goto out;
	}
	rc = bench_report(st, c->common.json, style);
out:
	bench_free(b);
	if (st)
		bench_stats_free(st);
	free(st);
	bench_msgset_free(&c->msgs);
	cli_common_free(&c->common);
	free(c);
	return rc;
}

int
cmd_bench(int argc, char **argv)
{
	return bench_cli_run(argc, argv, BENCH_OUT_BENCH);
}
