/*
 * cmd_connect.c - `mailvet connect URL`: an interactive session with a
 * mail server, the job of `openssl s_client -starttls` and
 * `gnutls-cli` (docs/mailvet-connect.md).  The negotiation (greeting,
 * capabilities, STARTTLS/STLS or implicit TLS, certificate) is
 * check/connect_session.c; this file shows it, then relays: each line
 * read from standard input goes out with CRLF, the server's bytes go to
 * standard output as they arrive, with control bytes other than CR, LF
 * and TAB, C1 controls written in UTF-8 (U+0080-U+009F) and malformed
 * UTF-8 escaped (\xHH) so that a hostile server cannot drive the
 * terminal (--raw turns that off).  Our own notes go to standard error,
 * so standard output holds only what the server said; server text in
 * them (certificate names) is escaped the same way, CR/LF/TAB too.
 *
 * After the end of input the session closes once the server has been
 * quiet for --eof-wait, and at the latest --eof-wait x 5 or the command
 * timeout after the end of input, whichever comes first (a server that
 * keeps talking must not keep us forever).
 *
 * `mailvet connect --auth-plain USER` prints the base64 SASL PLAIN
 * string (RFC 4616) for USER and the password read the usual way, and
 * touches no network.
 *
 * Exit: 0 the server closed the session or input ended; 1 the
 * certificate did not verify (without --insecure) or the negotiation
 * failed; 2 usage; 3 could not connect; 4 internal.
 */
#include "cli/cli.h"

#include "check/connect_session.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#define CONNECT_LINE_MAX (64 * 1024)
#define CONNECT_READ_CHUNK 65536

static const char connect_usage[] =
"usage: mailvet connect [options] URL\n"
"       mailvet connect --auth-plain USER [--authzid ID] [--password-file F]\n"
"\n"
"Open an interactive session with a mail server: connect, read the\n"
"greeting, ask for the capabilities, upgrade with STARTTLS (smtp://,\n"
"submission://, lmtp://), STLS (pop3://) or STARTTLS (imap://) when\n"
"offered, or start with TLS (smtps://, submissions://, pop3s://,\n"
"imaps://); show the certificate and whether it verifies, ask for the\n"
"capabilities again inside TLS, then hand over: each line typed (or\n"
"piped) is sent with CRLF, the server's answers appear as they arrive.\n"
"A certificate that does not verify ends the session unless --insecure.\n"
"\n"
"Server output goes to standard output, with control bytes other than\n"
"CR, LF and TAB, C1 controls (U+0080-U+009F) and malformed UTF-8 shown as\n"
"\\xHH; mailvet's own notes go to standard error.\n"
"When input ends, mailvet waits until the server has been quiet for\n"
"--eof-wait (default 2s), then closes; it never sends QUIT for you.\n"
"\n"
"Options:\n"
"  --helo NAME            name for the EHLO/LHLO mailvet sends (default:\n"
"                         this host)\n"
"  --eof-wait DUR         after the end of input, close once the server has\n"
"                         been quiet this long (default 2s); at the latest\n"
"                         5 x DUR or --command-timeout after the end of\n"
"                         input, whichever is shorter\n"
"  --raw                  write the server's bytes unescaped\n"
"  --auth-plain USER      print the base64 AUTH PLAIN string for USER (the\n"
"                         password from --password-file, $MAILVET_PASSWORD or\n"
"                         a prompt) and exit; the string IS the password,\n"
"                         keep it secret (no --json form, no URL)\n";

enum { O_AUTH_PLAIN = 256, O_HELO, O_EOF_WAIT, O_RAW };

static const struct option connect_options[] = {
	{ "auth-plain", required_argument, NULL, O_AUTH_PLAIN },
	{ "helo", required_argument, NULL, O_HELO },
	{ "eof-wait", required_argument, NULL, O_EOF_WAIT },
	{ "raw", no_argument, NULL, O_RAW },
	{ NULL, 0, NULL, 0 },
};

/*
 * The escaper shared by the server output and our notes: a UTF-8
 * decoder that lets through printable ASCII, well-formed UTF-8 other
 * than the C1 controls U+0080-U+009F (C2 9B is CSI to a terminal that
 * decodes UTF-8 first) and, for the server stream, CR, LF and TAB;
 * everything else is written as \xHH, byte by byte.  The state carries
 * a sequence split between two reads.
 */
struct safe_text {
	unsigned char pend[4];
	int npend, need;
};

struct connect_cli {
	struct cli_common common;
	const char *auth_plain_user;
	int raw;
	uint64_t eof_wait_ms;
	char helo[256];

	uv_loop_t loop;
	struct connect_session *s;
	struct tls_config tls;
	struct conn_params cp;
	int ready, ended, eof;
	struct safe_text out_state;     /* UTF-8 state of the server output */
	struct mv_error err;

	/* standard input */
	uv_handle_type in_kind;
	uv_tty_t tty;
	uv_pipe_t pipe;
	uv_tcp_t tcp;
	uv_fs_t fsreq;
	int in_open, fs_pending;
	char inbuf[CONNECT_READ_CHUNK];
	struct buf line;
	uv_timer_t linger;
	uv_timer_t hard;                /* the latest close after EOF */
	int linger_open;
	uint64_t hard_ms;
	struct buf out;
};

static int
connect_option(void *ctx, int ch, const char *v)
{
	struct connect_cli *c = ctx;

	switch (ch) {
	case O_AUTH_PLAIN:
		if (v[0] == '\0' || strchr(v, '\0') - v > 255)
			return cli_usage_error("connect", "--auth-plain: not a "
			    "usable user name");
		c->auth_plain_user = v;
		/* Told by the parsed option (abbreviations included): the
		 * parse must not ask for a URL. */
		c->common.no_url = 1;
		return 0;
	case O_HELO:
		if (v[0] == '\0' || strpbrk(v, " \r\n<>") != NULL ||
		    strlen(v) > 255)
			return cli_usage_error("connect", "--helo: not a "
			    "usable name: '%s'", v);
		snprintf(c->helo, sizeof(c->helo), "%s", v);
		return 0;
	case O_EOF_WAIT:
		return cli_duration("connect", "--eof-wait", v,
		    &c->eof_wait_ms);
	case O_RAW:
		c->raw = 1;
		return 0;
	}
	return cli_usage_error("connect", "unknown option");
}

/* --- --auth-plain ------------------------------------------------- */

static int
connect_auth_plain(struct connect_cli *c)
{
	const char *authzid = c->common.authzid ? c->common.authzid : "";
	struct buf pw, raw;
	unsigned char *b64;
	char why[512];
	size_t rawlen;
	int rc = EXIT_PASS;

	if (strpbrk(authzid, "\r\n") != NULL)
		return cli_usage_error("connect", "--authzid: not usable");
	if (cli_read_password(c->common.password_file, c->auth_plain_user,
	    &pw, why, sizeof(why)) == -1) {
		buf_free(&pw);
		return cli_usage_error("connect", "%s", why);
	}
	buf_init(&raw, 8192);
	if (buf_append_str(&raw, authzid) == -1 ||
	    buf_append(&raw, "", 1) == -1 ||
	    buf_append_str(&raw, c->auth_plain_user) == -1 ||
	    buf_append(&raw, "", 1) == -1 ||
	    buf_append(&raw, pw.data ? pw.data : "", pw.len) == -1) {
		rc = cli_usage_error("connect", "user name and password are "
		    "too long");
		goto out;
	}
	rawlen = raw.len;
	if ((b64 = malloc(4 * ((rawlen + 2) / 3) + 1)) == NULL) {
		fprintf(stderr, "mailvet connect: out of memory\n");
		rc = EXIT_INTERNAL;
		goto out;
	}
	EVP_EncodeBlock(b64, (const unsigned char *)raw.data, (int)rawlen);
	printf("%s\n", (char *)b64);
	fflush(stdout);
	explicit_bzero(b64, strlen((char *)b64));
	free(b64);
out:
	if (raw.data)
		explicit_bzero(raw.data, raw.len);
	if (pw.data)
		explicit_bzero(pw.data, pw.len);
	buf_free(&raw);
	buf_free(&pw);
	return rc;
}

/* --- output ------------------------------------------------------- */

static void
safe_escape(struct buf *out, const unsigned char *p, int n)
{
	int i;

	for (i = 0; i < n; i++)
		buf_printf(out, "\\x%02x", p[i]);
}

/* Is b a valid byte number npend (1-3) of the sequence led by lead?
 * The second byte's range excludes overlong forms, surrogates and code
 * points above U+10FFFF (RFC 3629 section 4). */
static int
safe_cont_ok(unsigned char lead, int npend, unsigned char b)
{
	if (npend == 1) {
		if (lead == 0xe0)
			return b >= 0xa0 && b <= 0xbf;
		if (lead == 0xed)
			return b >= 0x80 && b <= 0x9f;
		if (lead == 0xf0)
			return b >= 0x90 && b <= 0xbf;
		if (lead == 0xf4)
			return b >= 0x80 && b <= 0x8f;
	}
	return b >= 0x80 && b <= 0xbf;
}

/* Append p[0..n) to out, escaped; lines: CR, LF and TAB pass. */
static void
safe_put(struct safe_text *st, struct buf *out, const char *p, size_t n,
    int lines)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char b = (unsigned char)p[i];

		if (st->need > 0) {
			if (safe_cont_ok(st->pend[0], st->npend, b)) {
				st->pend[st->npend++] = b;
				if (--st->need > 0)
					continue;
				if (st->pend[0] == 0xc2 && st->pend[1] <= 0x9f)
					safe_escape(out, st->pend, st->npend);
				else
					buf_append(out, st->pend,
					    (size_t)st->npend);
				st->npend = 0;
				continue;
			}
			/* Cut short: the lead and what followed it are
			 * shown as bytes; b starts afresh. */
			safe_escape(out, st->pend, st->npend);
			st->npend = st->need = 0;
		}
		if ((b >= 0x20 && b < 0x7f) ||
		    (lines && (b == '\r' || b == '\n' || b == '\t'))) {
			buf_append(out, &b, 1);
		} else if (b >= 0xc2 && b <= 0xf4) {
			st->pend[0] = b;
			st->npend = 1;
			st->need = b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : 1;
		} else {
			safe_escape(out, &b, 1);
		}
	}
}

/* The end of the text: an unfinished sequence is shown as bytes. */
static void
safe_flush(struct safe_text *st, struct buf *out)
{
	safe_escape(out, st->pend, st->npend);
	st->npend = st->need = 0;
}

/* "* LABEL TEXT" on standard error, TEXT (from the server, or holding
 * server words) escaped, line ends included. */
static void
note_safe(const char *label, const char *text)
{
	struct safe_text st;
	struct buf b;

	memset(&st, 0, sizeof(st));
	buf_init(&b, 0);
	safe_put(&st, &b, text, strlen(text), 0);
	safe_flush(&st, &b);
	fprintf(stderr, "* %s%.*s\n", label, (int)b.len,
	    b.data ? b.data : "");
	buf_free(&b);
}

static void
connect_write_server(struct connect_cli *c, const char *data, size_t len)
{
	if (c->raw) {
		fwrite(data, 1, len, stdout);
		fflush(stdout);
		return;
	}
	buf_reset(&c->out);
	safe_put(&c->out_state, &c->out, data, len, 1);
	if (c->out.len)
		fwrite(c->out.data, 1, c->out.len, stdout);
	fflush(stdout);
}

/* A sequence the server left unfinished when the session ended. */
static void
connect_flush_server(struct connect_cli *c)
{
	buf_reset(&c->out);
	safe_flush(&c->out_state, &c->out);
	if (c->out.len)
		fwrite(c->out.data, 1, c->out.len, stdout);
	fflush(stdout);
}

/* --- session callbacks -------------------------------------------- */

static void connect_finish(struct connect_cli *c);

static void
linger_cb(uv_timer_t *t)
{
	struct connect_cli *c = t->data;

	fprintf(stderr, "* end of input and %.1f s without a word from the "
	    "server: closing\n", (double)c->eof_wait_ms / 1000.0);
	connect_finish(c);
}

static void
hard_cb(uv_timer_t *t)
{
	struct connect_cli *c = t->data;

	fprintf(stderr, "* end of input %.1f s ago and the server is still "
	    "talking: closing (the limit after the end of input is 5 x "
	    "--eof-wait or --command-timeout, whichever is shorter)\n",
	    (double)c->hard_ms / 1000.0);
	connect_finish(c);
}

static void
linger_arm(struct connect_cli *c)
{
	if (c->linger_open && c->eof && !c->ended)
		uv_timer_start(&c->linger, linger_cb, c->eof_wait_ms, 0);
}

static void
cb_server(const char *data, size_t len, void *arg)
{
	struct connect_cli *c = arg;

	connect_write_server(c, data, len);
	linger_arm(c);
}

static void
cb_client(const char *line, void *arg)
{
	(void)arg;
	fprintf(stderr, "> %s\n", line);
}

static void
cb_connected(const char *peer, const char *local, void *arg)
{
	(void)arg;
	fprintf(stderr, "* connected to %s (from %s)\n", peer, local);
}

static void
cb_tls(const struct tls_info *ti, int implicit, void *arg)
{
	struct connect_cli *c = arg;
	const struct tls_cert_info *ci = ti->chain_len ? &ti->chain[0] : NULL;
	char line[512];

	snprintf(line, sizeof(line), "%s, %s%s%s (%s)", ti->version,
	    ti->cipher, ti->group[0] ? ", key exchange " : "", ti->group,
	    implicit ? "implicit TLS" : "after STARTTLS");
	note_safe("TLS: ", line);
	if (ci) {
		note_safe("certificate subject: ", ci->subject);
		if (ci->san[0])
			note_safe("  names: ", ci->san);
		note_safe("  issuer: ", ci->issuer);
		snprintf(line, sizeof(line), "%s to %s", ci->not_before,
		    ci->not_after);
		note_safe("  valid: ", line);
		note_safe("  SHA-256: ", ci->sha256);
	} else {
		fprintf(stderr, "* the server sent no certificate\n");
	}
	if (ti->verified)
		note_safe("verified: yes, for ", ti->server_name[0] ?
		    ti->server_name : "-");
	else {
		note_safe("verified: NO: ", ti->verify_error);
		fprintf(stderr, "* %s\n", c->common.net.tls.insecure ?
		    "going on anyway because of --insecure" :
		    "refusing to go on (--insecure would)");
	}
}

static void
cb_note(const char *text, void *arg)
{
	(void)arg;
	note_safe("", text);
}

static void stdin_start(struct connect_cli *c);

static void
cb_ready(void *arg)
{
	struct connect_cli *c = arg;

	c->ready = 1;
	fprintf(stderr, "* ready: each line %s is sent with CRLF; %s\n",
	    isatty(STDIN_FILENO) ? "you type" : "of input",
	    isatty(STDIN_FILENO) ? "Ctrl-D ends" : "the end of input ends");
	stdin_start(c);
}

static void
cb_end(const struct mv_error *err, void *arg)
{
	struct connect_cli *c = arg;

	c->err = *err;
	if (c->ready && err->cat == MV_ERR_CLOSED) {
		note_safe("", err->msg);
	} else {
		/* The message may quote the server: escaped like a note. */
		struct safe_text st;
		struct buf b;

		memset(&st, 0, sizeof(st));
		buf_init(&b, 0);
		safe_put(&st, &b, err->msg, strlen(err->msg), 0);
		safe_flush(&st, &b);
		fprintf(stderr, "mailvet connect: %.*s\n", (int)b.len,
		    b.data ? b.data : "");
		buf_free(&b);
	}
	connect_finish(c);
}

static const struct connect_callbacks connect_cbs = {
	.on_server = cb_server,
	.on_client = cb_client,
	.on_connected = cb_connected,
	.on_tls = cb_tls,
	.on_note = cb_note,
	.on_ready = cb_ready,
	.on_end = cb_end,
};

/* --- standard input ----------------------------------------------- */

static void
stdin_close(struct connect_cli *c)
{
	if (!c->in_open)
		return;
	c->in_open = 0;
	if (c->in_kind == UV_TTY)
		uv_close((uv_handle_t *)&c->tty, NULL);
	else if (c->in_kind == UV_NAMED_PIPE)
		uv_close((uv_handle_t *)&c->pipe, NULL);
	else if (c->in_kind == UV_TCP)
		uv_close((uv_handle_t *)&c->tcp, NULL);
}

static void
send_line(struct connect_cli *c, const char *p, size_t n)
{
	if (n && p[n - 1] == '\r')
		n--;
	if (!isatty(STDIN_FILENO)) {
		fprintf(stderr, "> ");
		fwrite(p, 1, n, stderr);
		fputc('\n', stderr);
	}
	(void)connect_session_send_line(c->s, p, n);
}

static void
stdin_data(struct connect_cli *c, const char *p, size_t n)
{
	const char *nl;

	while (n && !c->ended) {
		size_t take;

		if ((nl = memchr(p, '\n', n)) == NULL) {
			take = n;
			if (c->line.len + take > CONNECT_LINE_MAX) {
				fprintf(stderr, "* a line longer than %d bytes "
				    "is sent in pieces\n", CONNECT_LINE_MAX);
				send_line(c, c->line.data, c->line.len);
				buf_reset(&c->line);
			}
			buf_append(&c->line, p, take);
			return;
		}
		take = (size_t)(nl - p);
		if (c->line.len + take > CONNECT_LINE_MAX) {
			send_line(c, c->line.data, c->line.len);
			buf_reset(&c->line);
		}
		buf_append(&c->line, p, take);
		send_line(c, c->line.data ? c->line.data : "", c->line.len);
		buf_reset(&c->line);
		p += take + 1;
		n -= take + 1;
	}
}

static void
stdin_eof(struct connect_cli *c)
{
	if (c->eof)
		return;
	c->eof = 1;
	if (c->line.len) {
		send_line(c, c->line.data, c->line.len);
		buf_reset(&c->line);
	}
	stdin_close(c);
	if (c->ended || uv_timer_init(&c->loop, &c->linger) != 0)
		return;
	if (uv_timer_init(&c->loop, &c->hard) != 0) {
		uv_close((uv_handle_t *)&c->linger, NULL);
		return;
	}
	c->linger.data = c;
	c->hard.data = c;
	c->linger_open = 1;
	c->hard_ms = c->eof_wait_ms > UINT64_MAX / 5 ? UINT64_MAX :
	    c->eof_wait_ms * 5;
	if (c->common.command_timeout_ms &&
	    c->common.command_timeout_ms < c->hard_ms)
		c->hard_ms = c->common.command_timeout_ms;
	uv_timer_start(&c->hard, hard_cb, c->hard_ms, 0);
	linger_arm(c);
}

static void
stdin_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct connect_cli *c = h->data;

	(void)hint;
	*b = uv_buf_init(c->inbuf, sizeof(c->inbuf));
}

static void
stdin_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	struct connect_cli *c = st->data;

	if (n > 0)
		stdin_data(c, b->base, (size_t)n);
	else if (n < 0)
		stdin_eof(c);
}

static void
stdin_fs_read(uv_fs_t *req)
{
	struct connect_cli *c = req->data;
	ssize_t n = req->result;
	uv_buf_t b;

	uv_fs_req_cleanup(req);
	c->fs_pending = 0;
	if (n > 0 && !c->ended) {
		stdin_data(c, c->inbuf, (size_t)n);
		if (!c->ended) {
			b = uv_buf_init(c->inbuf, sizeof(c->inbuf));
			c->fsreq.data = c;
			if (uv_fs_read(&c->loop, &c->fsreq, STDIN_FILENO, &b,
			    1, -1, stdin_fs_read) == 0) {
				c->fs_pending = 1;
				return;
			}
		}
	}
	stdin_eof(c);
}

static void
stdin_start(struct connect_cli *c)
{
	uv_buf_t b;
	int r = -1;

	c->in_kind = uv_guess_handle(STDIN_FILENO);
	if (c->in_kind == UV_TTY) {
		if ((r = uv_tty_init(&c->loop, &c->tty, STDIN_FILENO, 1)) ==
		    0) {
			c->tty.data = c;
			c->in_open = 1;
			r = uv_read_start((uv_stream_t *)&c->tty, stdin_alloc,
			    stdin_read);
		}
	} else if (c->in_kind == UV_NAMED_PIPE) {
		/* A pipe, a FIFO or a Unix socket (socketpair). */
		uv_pipe_init(&c->loop, &c->pipe, 0);
		c->pipe.data = c;
		c->in_open = 1;
		if ((r = uv_pipe_open(&c->pipe, STDIN_FILENO)) == 0)
			r = uv_read_start((uv_stream_t *)&c->pipe, stdin_alloc,
			    stdin_read);
	} else if (c->in_kind == UV_TCP) {
		/* A TCP socket (inetd-style): a stream too.  A file read
		 * on it would block a libuv worker past the session's
		 * end and keep the loop alive. */
		uv_tcp_init(&c->loop, &c->tcp);
		c->tcp.data = c;
		c->in_open = 1;
		if ((r = uv_tcp_open(&c->tcp, STDIN_FILENO)) == 0)
			r = uv_read_start((uv_stream_t *)&c->tcp, stdin_alloc,
			    stdin_read);
	} else if (c->in_kind != UV_FILE) {
		r = UV_EINVAL;
		fprintf(stderr, "* standard input is neither a terminal, a "
		    "pipe, a stream socket nor a file\n");
	} else {
		/* A regular file or a character device (/dev/null):
		 * libuv's file reads. */
		b = uv_buf_init(c->inbuf, sizeof(c->inbuf));
		c->fsreq.data = c;
		if ((r = uv_fs_read(&c->loop, &c->fsreq, STDIN_FILENO, &b, 1,
		    -1, stdin_fs_read)) == 0)
			c->fs_pending = 1;
	}
	if (r != 0) {
		fprintf(stderr, "* cannot read standard input: %s\n",
		    uv_strerror(r));
		stdin_eof(c);
	}
}

/* --- the run ------------------------------------------------------ */

static void
connect_finish(struct connect_cli *c)
{
	if (c->ended)
		return;
	c->ended = 1;
	connect_session_close(c->s);
	c->s = NULL;
	if (!c->raw)
		connect_flush_server(c);
	stdin_close(c);
	if (c->linger_open) {
		c->linger_open = 0;
		uv_timer_stop(&c->linger);
		uv_close((uv_handle_t *)&c->linger, NULL);
		uv_timer_stop(&c->hard);
		uv_close((uv_handle_t *)&c->hard, NULL);
	}
}

static int
connect_exit_code(const struct connect_cli *c)
{
	switch (c->err.cat) {
	case MV_ERR_NONE:
		return EXIT_PASS;
	case MV_ERR_CLOSED:
		return c->ready ? EXIT_PASS : EXIT_FINDING;
	case MV_ERR_DNS:
	case MV_ERR_CONNECT:
	case MV_ERR_TIMEOUT:
		return EXIT_UNTESTED;
	case MV_ERR_INTERNAL:
		return EXIT_INTERNAL;
	case MV_ERR_USAGE:
		return EXIT_USAGE;
	default:
		return EXIT_FINDING;
	}
}

static int
connect_run(struct connect_cli *c)
{
	struct connect_params p;
	struct probe_net *n = &c->common.net;
	struct mv_error err;

	memset(&p, 0, sizeof(p));
	p.proto = n->target.proto;
	p.tls_policy = n->tls_policy;
	p.helo_name = c->helo;
	p.greeting_timeout_ms = c->common.greeting_timeout_ms;
	p.command_timeout_ms = c->common.command_timeout_ms;
	probe_conn_params(n, &c->tls, NULL, &c->cp);
	if (uv_loop_init(&c->loop) != 0) {
		fprintf(stderr, "mailvet connect: cannot start the event "
		    "loop\n");
		return EXIT_INTERNAL;
	}
	c->s = connect_session_start(&c->loop, &c->cp, &p, &connect_cbs, c,
	    &err);
	if (c->s == NULL) {
		fprintf(stderr, "mailvet connect: %s\n", err.msg);
		c->err = err;
		c->ended = 1;
	}
	uv_run(&c->loop, UV_RUN_DEFAULT);
	uv_run(&c->loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&c->loop) != 0) {
		fprintf(stderr, "mailvet connect: the event loop still had "
		    "work at the end\n");
		return EXIT_INTERNAL;
	}
	return connect_exit_code(c);
}

int
cmd_connect(int argc, char **argv)
{
	struct connect_cli *c;
	int rc;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		fprintf(stderr, "mailvet connect: out of memory\n");
		return EXIT_INTERNAL;
	}
	cli_common_init(&c->common, "connect");
	c->common.help_omit = CLI_HELP_AUTH | CLI_HELP_OUTPUT;
	c->common.example = "a URL such as smtp://mail.example.org, "
	    "submission://mail.example.org or imaps://mail.example.org";
	c->eof_wait_ms = 2000;
	cli_hostname(c->helo, sizeof(c->helo));
	buf_init(&c->line, CONNECT_LINE_MAX);
	buf_init(&c->out, 0);
	rc = cli_common_parse(&c->common, argc, argv, connect_options,
	    connect_usage, connect_option, c);
	if (rc != 0) {
		rc = rc == -1 ? EXIT_PASS : rc;
		goto out;
	}
	if (c->auth_plain_user) {
		/* One line to paste into a session: a JSON form would
		 * only wrap the secret; refused rather than ignored. */
		if (c->common.json)
			rc = cli_usage_error("connect", "--auth-plain prints "
			    "one line to paste; it has no --json form");
		else if (c->common.user)
			rc = cli_usage_error("connect", "--auth-plain USER "
			    "names the user; --user is not used with it");
		else
			rc = connect_auth_plain(c);
		goto out;
	}
	if (c->common.json) {
		rc = cli_usage_error("connect", "an interactive session has "
		    "no JSON form; use 'mailvet smtp/pop3/imap --json' or "
		    "'mailvet tls --json' for a judged session");
		goto out;
	}
	if (c->common.user || c->common.password_file) {
		rc = cli_usage_error("connect", "--user/--password-file: log "
		    "in by typing the commands; --auth-plain USER prints the "
		    "AUTH PLAIN string for them");
		goto out;
	}
	if ((rc = cli_common_finish(&c->common, TARGET_SCHEME_SMTP)) != 0)
		goto out;
	rc = connect_run(c);
out:
	cli_common_free(&c->common);
	buf_free(&c->line);
	buf_free(&c->out);
	free(c);
	return rc;
}
