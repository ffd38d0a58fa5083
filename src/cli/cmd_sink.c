/*
 * cmd_sink.c - `mailvet sink` and the smtp-benchmark-compatible
 * `smtpsink -v -p PORT`: options into struct sink_params, run the sink
 * (src/bench/sink.h) until a signal, --max-messages or --duration, and
 * print its counters (text or JSON) at the end and per --interval.
 *
 * Exit: 0 after a clean stop; 1 when bench's ids show duplicate,
 * corrupt or malformed messages, or (with --expect-count) lost ones;
 * 2 usage; 3 an address could not be bound; 4 internal.
 */
#include "bench/sink.h"
#include "bench/sink_fault.h"
#include "cli/cli.h"

#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

static const char sink_usage[] =
"usage: mailvet sink [options]\n"
"\n"
"An SMTP/LMTP sink: accepts mail as fast as it can, counts it, checks\n"
"the X-Mailvet-Bench ids of `mailvet bench`, injects faults on request.\n"
"Runs until SIGINT/SIGTERM, --max-messages or --duration, then prints\n"
"its counters.\n"
"\n"
"  --listen ADDR:PORT     listen here (repeatable; default 127.0.0.1:2526,\n"
"                         port 0 picks one; printed on stderr)\n"
"  --listen-tls ADDR:PORT implicit TLS listener (needs --tls-cert)\n"
"  --allow-remote         allow non-loopback addresses\n"
"  --threads N            worker threads (default 1)\n"
"  --lmtp                 speak LMTP (LHLO, one reply per recipient)\n"
"  --no-pipelining --no-chunking --no-8bitmime --no-smtputf8 --no-size\n"
"  --no-enhancedstatuscodes   do not advertise that extension\n"
"  --size-limit SIZE      SIZE limit and 552 above it (default 64m)\n"
"  --hostname NAME        name in the greeting\n"
"  --tls-cert FILE --tls-key FILE   certificate and key (PEM)\n"
"  --starttls             offer STARTTLS (needs --tls-cert)\n"
"  --auth any             offer AUTH PLAIN/LOGIN, accept anything\n"
"  --auth-file FILE       offer AUTH, accept the user:password lines\n"
"  --fault CMD:CODE:PCT   answer CODE to CMD with PCT %% odds\n"
"                         (rcpt:451:5, eod:554:1; 421 also closes)\n"
"  --fault-delay CMD:MS:PCT   hold the reply to CMD for MS ms\n"
"  --fault-disconnect CMD:PCT close instead of answering CMD\n"
"                         CMD: connect helo ehlo lhlo mail rcpt data eod\n"
"                         bdat rset noop quit vrfy starttls auth\n"
"  --tarpit DURATION      hold every reply this long\n"
"  --rate-limit N         MAIL commands per second (all threads)\n"
"  --rate-limit-code 451|421  answer above the rate (default 451)\n"
"  --seed N               fault dice seed (default 1)\n"
"  --max-messages N       stop after exactly N accepted messages (then\n"
"                         new MAILs and sessions get 421 4.3.2)\n"
"  --duration DURATION    stop after this long\n"
"  --expect-count N       bench messages expected (lost = N - ok)\n"
"  --capture DIR          write every accepted message into Maildir DIR\n"
"  --capture-max-bytes SIZE  stop capturing after this much (default 1g;\n"
"                         0: no limit); the rest count as skipped\n"
"  --idle-timeout DURATION  421 and close idle clients (default 5m)\n"
"  --max-connections N    421 above this many (default 10000)\n"
"  --line-max N           command line limit (default 4096)\n"
"  --no-tokens            do not count X-Mailvet-Token values\n"
"  --interval DURATION    a stats line every DURATION\n"
"  --ready-file FILE      write the bound addresses here once listening\n"
"  --json                 JSON instead of text\n"
"  -v, --verbose          more counters\n"
"\n"
"Exit status: 0 stopped cleanly, 1 lost/duplicate/corrupt messages,\n"
"2 usage, 3 cannot listen, 4 internal error.\n";

enum {
	O_LISTEN = 256, O_LISTEN_TLS, O_ALLOW_REMOTE, O_THREADS, O_LMTP,
	O_NO_PIPELINING, O_NO_CHUNKING, O_NO_8BITMIME, O_NO_SMTPUTF8,
	O_NO_SIZE, O_NO_ENHANCED, O_SIZE_LIMIT, O_HOSTNAME, O_TLS_CERT,
	O_TLS_KEY, O_STARTTLS, O_AUTH, O_AUTH_FILE, O_FAULT, O_FAULT_DELAY,
	O_FAULT_DISCONNECT, O_TARPIT, O_RATE_LIMIT, O_RATE_LIMIT_CODE,
	O_SEED, O_MAX_MESSAGES, O_DURATION, O_EXPECT_COUNT, O_CAPTURE,
	O_IDLE_TIMEOUT, O_MAX_CONNECTIONS, O_LINE_MAX, O_NO_TOKENS,
	O_INTERVAL, O_READY_FILE, O_JSON, O_HELP, O_CAPTURE_MAX,
};

static const struct option sink_options[] = {
	{ "listen", required_argument, NULL, O_LISTEN },
	{ "listen-tls", required_argument, NULL, O_LISTEN_TLS },
	{ "allow-remote", no_argument, NULL, O_ALLOW_REMOTE },
	{ "threads", required_argument, NULL, O_THREADS },
	{ "lmtp", no_argument, NULL, O_LMTP },
	{ "no-pipelining", no_argument, NULL, O_NO_PIPELINING },
	{ "no-chunking", no_argument, NULL, O_NO_CHUNKING },
	{ "no-8bitmime", no_argument, NULL, O_NO_8BITMIME },
	{ "no-smtputf8", no_argument, NULL, O_NO_SMTPUTF8 },
	{ "no-size", no_argument, NULL, O_NO_SIZE },
	{ "no-enhancedstatuscodes", no_argument, NULL, O_NO_ENHANCED },
	{ "size-limit", required_argument, NULL, O_SIZE_LIMIT },
	{ "hostname", required_argument, NULL, O_HOSTNAME },
	{ "tls-cert", required_argument, NULL, O_TLS_CERT },
	{ "tls-key", required_argument, NULL, O_TLS_KEY },
	{ "starttls", no_argument, NULL, O_STARTTLS },
	{ "auth", required_argument, NULL, O_AUTH },
	{ "auth-file", required_argument, NULL, O_AUTH_FILE },
	{ "fault", required_argument, NULL, O_FAULT },
	{ "fault-delay", required_argument, NULL, O_FAULT_DELAY },
	{ "fault-disconnect", required_argument, NULL, O_FAULT_DISCONNECT },
	{ "tarpit", required_argument, NULL, O_TARPIT },
	{ "rate-limit", required_argument, NULL, O_RATE_LIMIT },
	{ "rate-limit-code", required_argument, NULL, O_RATE_LIMIT_CODE },
	{ "seed", required_argument, NULL, O_SEED },
	{ "max-messages", required_argument, NULL, O_MAX_MESSAGES },
	{ "duration", required_argument, NULL, O_DURATION },
	{ "expect-count", required_argument, NULL, O_EXPECT_COUNT },
	{ "capture", required_argument, NULL, O_CAPTURE },
	{ "capture-max-bytes", required_argument, NULL, O_CAPTURE_MAX },
	{ "idle-timeout", required_argument, NULL, O_IDLE_TIMEOUT },
	{ "max-connections", required_argument, NULL, O_MAX_CONNECTIONS },
	{ "line-max", required_argument, NULL, O_LINE_MAX },
	{ "no-tokens", no_argument, NULL, O_NO_TOKENS },
	{ "interval", required_argument, NULL, O_INTERVAL },
	{ "ready-file", required_argument, NULL, O_READY_FILE },
	{ "json", no_argument, NULL, O_JSON },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 },
};

struct sink_cli {
	const char *cmd;
	const char *prog;            /* "mailvet sink" or "smtpsink" */
	struct sink_params p;
	uint64_t duration_ms;
	uint64_t interval_ms;
	const char *ready_file;
	int json, verbose;
	int compat;                  /* smtpsink */
	struct buf auth_file;
	const char *auth_users[1024];
	uv_loop_t loop;
	uv_signal_t sigint, sigterm;
	uv_async_t done_async;
	uv_timer_t duration_timer, interval_timer, grace_timer;
	unsigned grace_ticks;
	struct sink *sink;
	struct sink_stats *prev, *cur;
};

/* smtpsink's usage errors, under its own name (cli_usage_error()
 * would send the user to "mailvet smtpsink --help"). */
static int compat_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int
compat_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("smtpsink: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'smtpsink --help'.\n", stderr);
	return EXIT_USAGE;
}

/* Decimal, no sign, at most max. */
static int
number(const struct sink_cli *c, const char *name, const char *v,
    uint64_t max, uint64_t *out)
{
	uint64_t n = 0;
	const char *p;

	for (p = v; *p >= '0' && *p <= '9'; p++) {
		if (n > max / 10 + 1)
			break;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	if (p == v || *p != '\0' || n > max) {
		if (c->compat)
			return compat_usage_error("%s: '%s' is not a number "
			    "from 0 to %llu", name, v,
			    (unsigned long long)max);
		return cli_usage_error(c->cmd, "%s: '%s' is not a number from "
		    "0 to %llu", name, v, (unsigned long long)max);
	}
	*out = n;
	return 0;
}

static int
add_listen(struct sink_cli *c, const char *v, int tls)
{
	if (c->p.nlisten == SINK_MAX_LISTEN)
		return cli_usage_error(c->cmd, "at most %d listen addresses",
		    SINK_MAX_LISTEN);
	c->p.listen[c->p.nlisten].addr = v;
	c->p.listen[c->p.nlisten].implicit_tls = tls;
	c->p.nlisten++;
	return 0;
}

static int
add_fault(struct sink_cli *c, const char *v, enum sink_fault_kind k)
{
	struct mv_error err;

	if (c->p.nfaults == SINK_MAX_FAULTS)
		return cli_usage_error(c->cmd, "at most %d faults",
		    SINK_MAX_FAULTS);
	if (sink_fault_parse(v, k, &c->p.faults[c->p.nfaults], &err) == -1)
		return cli_usage_error(c->cmd, "%s", err.msg);
	c->p.nfaults++;
	return 0;
}

static int
read_auth_file(struct sink_cli *c, const char *path)
{
	char why[256];
	char *s, *nl;
	size_t n = 0;

	if (cli_read_file(path, 1024 * 1024, &c->auth_file, why,
	    sizeof(why)) == -1)
		return cli_usage_error(c->cmd, "--auth-file: %s", why);
	s = c->auth_file.data;
	while (s != NULL && *s != '\0') {
		nl = strchr(s, '\n');
		if (nl != NULL)
			*nl = '\0';
		if (nl != NULL && nl > s && nl[-1] == '\r')
			nl[-1] = '\0';
		if (*s != '\0' && *s != '#') {
			if (strchr(s, ':') == NULL)
				return cli_usage_error(c->cmd, "--auth-file: "
				    "lines must be user:password");
			if (n == sizeof(c->auth_users) /
			    sizeof(c->auth_users[0]))
				return cli_usage_error(c->cmd, "--auth-file: "
				    "too many users");
			c->auth_users[n++] = s;
		}
		s = nl != NULL ? nl + 1 : NULL;
	}
	if (n == 0)
		return cli_usage_error(c->cmd, "--auth-file: no users in %s",
		    path);
	c->p.auth = SINK_AUTH_LIST;
	c->p.auth_users = c->auth_users;
	c->p.nauth_users = n;
	return 0;
}

static int
option(struct sink_cli *c, int ch, const char *v)
{
	uint64_t n;
	size_t sz;

	switch (ch) {
	case O_LISTEN:
		return add_listen(c, v, 0);
	case O_LISTEN_TLS:
		return add_listen(c, v, 1);
	case O_ALLOW_REMOTE:
		c->p.allow_remote = 1;
		return 0;
	case O_THREADS:
		if (number(c, "--threads", v, SINK_MAX_THREADS, &n) ||
		    n == 0)
			return cli_usage_error(c->cmd, "--threads: 1 to %d",
			    SINK_MAX_THREADS);
		c->p.threads = (unsigned)n;
		return 0;
	case O_LMTP:
		c->p.lmtp = 1;
		return 0;
	case O_NO_PIPELINING:
		c->p.features &= ~SINK_FEAT_PIPELINING;
		return 0;
	case O_NO_CHUNKING:
		c->p.features &= ~SINK_FEAT_CHUNKING;
		return 0;
	case O_NO_8BITMIME:
		c->p.features &= ~SINK_FEAT_8BITMIME;
		return 0;
	case O_NO_SMTPUTF8:
		c->p.features &= ~SINK_FEAT_SMTPUTF8;
		return 0;
	case O_NO_SIZE:
		c->p.features &= ~SINK_FEAT_SIZE;
		return 0;
	case O_NO_ENHANCED:
		c->p.features &= ~SINK_FEAT_ENHANCED;
		return 0;
	case O_SIZE_LIMIT:
		if (cli_size(c->cmd, "--size-limit", v, &sz))
			return EXIT_USAGE;
		c->p.size_limit = sz;
		return 0;
	case O_HOSTNAME:
		if (strpbrk(v, "\r\n") != NULL || strlen(v) > 255)
			return cli_usage_error(c->cmd, "--hostname: one line, "
			    "at most 255 characters");
		c->p.hostname = v;
		return 0;
	case O_TLS_CERT:
		c->p.tls_cert_file = v;
		return 0;
	case O_TLS_KEY:
		c->p.tls_key_file = v;
		return 0;
	case O_STARTTLS:
		c->p.starttls = 1;
		return 0;
	case O_AUTH:
		if (strcmp(v, "any") != 0)
			return cli_usage_error(c->cmd, "--auth: 'any' (or give "
			    "--auth-file FILE)");
		c->p.auth = SINK_AUTH_ANY;
		return 0;
	case O_AUTH_FILE:
		return read_auth_file(c, v);
	case O_FAULT:
		return add_fault(c, v, SINK_FAULT_REPLY);
	case O_FAULT_DELAY:
		return add_fault(c, v, SINK_FAULT_DELAY);
	case O_FAULT_DISCONNECT:
		return add_fault(c, v, SINK_FAULT_DISCONNECT);
	case O_TARPIT:
		return cli_duration(c->cmd, "--tarpit", v, &c->p.tarpit_ms);
	case O_RATE_LIMIT:
		return number(c, "--rate-limit", v, 100000000,
		    &c->p.rate_limit_per_s);
	case O_RATE_LIMIT_CODE:
		if (strcmp(v, "451") != 0 && strcmp(v, "421") != 0)
			return cli_usage_error(c->cmd, "--rate-limit-code: "
			    "451 or 421");
		c->p.rate_limit_code = v[1] == '5' ? 451 : 421;
		return 0;
	case O_SEED:
		return number(c, "--seed", v, UINT64_MAX / 16, &c->p.seed);
	case O_MAX_MESSAGES:
		return number(c, "--max-messages", v, UINT64_MAX / 16,
		    &c->p.max_messages);
	case O_DURATION:
		return cli_duration(c->cmd, "--duration", v, &c->duration_ms);
	case O_EXPECT_COUNT:
		return number(c, "--expect-count", v, UINT64_MAX / 16,
		    &c->p.expect_count);
	case O_CAPTURE:
		c->p.capture_dir = v;
		return 0;
	case O_CAPTURE_MAX:
		if (cli_size(c->cmd, "--capture-max-bytes", v, &sz))
			return EXIT_USAGE;
		c->p.capture_max_bytes = sz;
		return 0;
	case O_IDLE_TIMEOUT:
		return cli_duration(c->cmd, "--idle-timeout", v,
		    &c->p.idle_timeout_ms);
	case O_MAX_CONNECTIONS:
		if (number(c, "--max-connections", v, 1000000, &n))
			return EXIT_USAGE;
		c->p.max_connections = (unsigned)n;
		return 0;
	case O_LINE_MAX:
		if (number(c, "--line-max", v, 1024 * 1024, &n))
			return EXIT_USAGE;
		if (n < 512)
			return cli_usage_error(c->cmd, "--line-max: at least "
			    "512 (RFC 5321 4.5.3.1.4)");
		c->p.line_max = (size_t)n;
		return 0;
	case O_NO_TOKENS:
		c->p.track_tokens = 0;
		return 0;
	case O_INTERVAL:
		return cli_duration(c->cmd, "--interval", v, &c->interval_ms);
	case O_READY_FILE:
		c->ready_file = v;
		return 0;
	case O_JSON:
		c->json = 1;
		return 0;
	case 'v':
		c->verbose++;
		return 0;
	default:
		return cli_usage_error(c->cmd, "unknown option");
	}
}

static void
print_buf(struct buf *b, FILE *f)
{
	if (b->len > 0)
		fwrite(b->data, 1, b->len, f);
	fflush(f);
	buf_reset(b);
}

static void
stop_loop(struct sink_cli *c)
{
	uv_stop(&c->loop);
}

static void
on_signal(uv_signal_t *sg, int signum)
{
	(void)signum;
	stop_loop(sg->data);
}

/* After --max-messages: give the clients up to 2 s to say QUIT, so a
 * sender does not see its last session cut off. */
static void
on_grace(uv_timer_t *t)
{
	struct sink_cli *c = t->data;
	struct sink_stats *x = c->cur;

	sink_stats(c->sink, x);
	if (x->connections_open == 0 || ++c->grace_ticks >= 200)
		stop_loop(c);
}

static void
on_done(uv_async_t *a)
{
	struct sink_cli *c = a->data;

	uv_timer_start(&c->grace_timer, on_grace, 0, 10);
}

static void
on_duration(uv_timer_t *t)
{
	stop_loop(t->data);
}

static void
on_interval(uv_timer_t *t)
{
	struct sink_cli *c = t->data;
	struct sink_stats *x;
	struct buf b;

	sink_stats(c->sink, c->cur);
	buf_init(&b, 0);
	if (c->json)
		sink_render_json_interval(c->cur, c->prev, &b);
	else
		sink_render_text_interval(c->cur, c->prev, &b);
	print_buf(&b, stdout);
	buf_free(&b);
	x = c->prev;
	c->prev = c->cur;
	c->cur = x;
}

/* Called on a sink thread: only wake the main loop. */
static void
sink_done_cb(void *arg)
{
	uv_async_send(arg);
}

/* Every bound address, one a line, written to a temporary name and
 * renamed so that a reader never sees half a file. */
static int
write_ready_file(const char *path, struct sink *s)
{
	char tmp[4096];
	const char *a;
	size_t i;
	FILE *f;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -1;
	f = fopen(tmp, "w");
	if (f == NULL)
		return -1;
	for (i = 0; i < SINK_MAX_LISTEN; i++) {
		a = sink_bound_address_n(s, i);
		if (a[0] != '\0')
			fprintf(f, "%s\n", a);
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		remove(tmp);
		return -1;
	}
	return 0;
}

static void
close_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static int
run(struct sink_cli *c)
{
	struct mv_error err;
	struct sink_stats *final;
	struct buf b;
	size_t i;
	int code = EXIT_PASS;

	if (uv_loop_init(&c->loop) != 0) {
		fprintf(stderr, "%s: cannot make an event loop\n",
		    c->prog);
		return EXIT_INTERNAL;
	}
	uv_async_init(&c->loop, &c->done_async, on_done);
	c->done_async.data = c;
	uv_timer_init(&c->loop, &c->grace_timer);
	c->grace_timer.data = c;
	c->p.on_done = sink_done_cb;
	c->p.on_done_arg = &c->done_async;
	/* Before the sink listens and the ready file appears: a SIGINT
	 * right after must stop us cleanly, not kill us. */
	uv_signal_init(&c->loop, &c->sigint);
	uv_signal_init(&c->loop, &c->sigterm);
	c->sigint.data = c->sigterm.data = c;
	uv_signal_start(&c->sigint, on_signal, SIGINT);
	uv_signal_start(&c->sigterm, on_signal, SIGTERM);
	c->sink = sink_new(&c->p, &err);
	if (c->sink == NULL || sink_start(c->sink, &err) == -1) {
		fprintf(stderr, "%s: %s\n", c->prog, err.msg);
		code = err.cat == MV_ERR_USAGE ? EXIT_USAGE :
		    err.cat == MV_ERR_CONNECT ? EXIT_UNTESTED : EXIT_INTERNAL;
		goto out;
	}
	for (i = 0; i < SINK_MAX_LISTEN; i++) {
		const char *a = sink_bound_address_n(c->sink, i);

		if (a[0] != '\0')
			fprintf(stderr, "%s: listening on %s\n", c->prog,
			    a);
	}
	if (c->ready_file != NULL &&
	    write_ready_file(c->ready_file, c->sink)) {
		fprintf(stderr, "%s: cannot write %s\n", c->prog,
		    c->ready_file);
		code = EXIT_USAGE;
		goto out;
	}
	uv_timer_init(&c->loop, &c->duration_timer);
	uv_timer_init(&c->loop, &c->interval_timer);
	c->duration_timer.data = c->interval_timer.data = c;
	if (c->duration_ms > 0)
		uv_timer_start(&c->duration_timer, on_duration, c->duration_ms,
		    0);
	if (c->interval_ms > 0)
		uv_timer_start(&c->interval_timer, on_interval, c->interval_ms,
		    c->interval_ms);
	uv_run(&c->loop, UV_RUN_DEFAULT);
	sink_stop(c->sink);

	final = malloc(sizeof(*final));
	if (final == NULL) {
		code = EXIT_INTERNAL;
		goto out;
	}
	sink_stats(c->sink, final);
	buf_init(&b, 0);
	if (c->compat)
		buf_printf(&b, "%llu messages received, %llu bytes, %.3f s, "
		    "%.1f msg/s\n", (unsigned long long)final->messages,
		    (unsigned long long)final->message_bytes,
		    (double)final->elapsed_us / 1e6, final->elapsed_us ?
		    (double)final->messages * 1e6 /
		    (double)final->elapsed_us : 0.0);
	print_buf(&b, stdout);
	if (c->json)
		sink_render_json(final, &b);
	else
		sink_render_text(final, c->verbose, &b);
	if (c->compat && b.len > strlen("mailvet sink:") &&
	    memcmp(b.data, "mailvet sink:", strlen("mailvet sink:")) == 0) {
		/* The summary under the name we were called by. */
		fputs("smtpsink:", stdout);
		buf_consume(&b, strlen("mailvet sink:"));
	}
	print_buf(&b, stdout);
	buf_free(&b);
	if (final->verify.duplicate + final->verify.corrupt +
	    final->verify.malformed > 0 || final->verify.lost > 0)
		code = EXIT_FINDING;
	free(final);
out:
	sink_free(c->sink);
	uv_walk(&c->loop, close_walk, NULL);
	uv_run(&c->loop, UV_RUN_DEFAULT);
	uv_loop_close(&c->loop);
	return code;
}

static int
sink_main(struct sink_cli *c)
{
	int code;

	c->prev = calloc(1, sizeof(*c->prev));
	c->cur = calloc(1, sizeof(*c->cur));
	if (c->prev == NULL || c->cur == NULL) {
		code = EXIT_INTERNAL;
	} else {
		sink_stats_reset(c->prev);
		code = run(c);
	}
	free(c->prev);
	free(c->cur);
	buf_free(&c->auth_file);
	return code;
}

int
cmd_sink(int argc, char **argv)
{
	struct sink_cli c;
	int ch, r;

	memset(&c, 0, sizeof(c));
	c.cmd = "sink";
	c.prog = "mailvet sink";
	sink_params_init(&c.p);
	buf_init(&c.auth_file, 0);
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "v", sink_options, NULL)) != -1) {
		if (ch == O_HELP) {
			fputs(sink_usage, stdout);
			buf_free(&c.auth_file);
			return EXIT_PASS;
		}
		if (ch == '?' || ch == ':') {
			buf_free(&c.auth_file);
			return cli_usage_error(c.cmd, "unknown option or "
			    "missing value: '%s'", argv[optind - 1]);
		}
		r = option(&c, ch, optarg);
		if (r != 0) {
			buf_free(&c.auth_file);
			return r;
		}
	}
	if (optind < argc) {
		buf_free(&c.auth_file);
		return cli_usage_error(c.cmd, "unexpected argument '%s'",
		    argv[optind]);
	}
	return sink_main(&c);
}

/*
 * smtp-benchmark's smtpsink: "-p PORT" (default 25) and "-v"; it binds
 * loopback here too unless -l ADDR says otherwise.  The compatible
 * one-line summary comes first, then mailvet's own.
 */
static const struct option compat_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int
cmd_smtpsink(int argc, char **argv)
{
	static char addr[80];
	struct sink_cli c;
	const char *host = "127.0.0.1";
	uint64_t port = 25, nthreads;
	int ch;

	memset(&c, 0, sizeof(c));
	c.cmd = "smtpsink";
	c.prog = "smtpsink";
	c.compat = 1;
	sink_params_init(&c.p);
	buf_init(&c.auth_file, 0);
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "vp:l:t:h", compat_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'v':
			c.verbose++;
			break;
		case 'p':
			if (number(&c, "-p", optarg, 65535, &port))
				return EXIT_USAGE;
			break;
		case 'l':
			host = optarg;
			c.p.allow_remote = 1;
			break;
		case 't':
			if (number(&c, "-t", optarg, SINK_MAX_THREADS,
			    &nthreads) || nthreads == 0)
				return EXIT_USAGE;
			c.p.threads = (unsigned)nthreads;
			break;
		case 'h':
			printf("usage: smtpsink [-v] [-p PORT] [-l ADDR] "
			    "[-t THREADS]\n(mailvet sink --help for "
			    "everything else)\n");
			return EXIT_PASS;
		default:
			return compat_usage_error("unknown option or missing "
			    "value: '%s'", argv[optind - 1]);
		}
	}
	snprintf(addr, sizeof(addr), strchr(host, ':') != NULL ? "[%s]:%llu" :
	    "%s:%llu", host, (unsigned long long)port);
	c.p.listen[0].addr = addr;
	c.p.nlisten = 1;
	if (c.verbose > 0)
		c.interval_ms = 1000;
	return sink_main(&c);
}
