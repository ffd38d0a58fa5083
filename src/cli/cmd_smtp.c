/*
 * cmd_smtp.c - `mailvet smtp URL`: one SMTP/LMTP session, judged
 * (docs/mailvet-smtp.md).  Reads options, builds the probe parameters,
 * runs the probe and renders the report.
 */
#include "cli/cli.h"

#include "check/smtp_probe.h"
#include "core/duration.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define SMTP_MAX_RCPT    1000
#define SMTP_MAX_HEADERS 100
#define SMTP_MAX_DATA    (64u * 1024 * 1024)

static const char smtp_usage[] =
"usage: mailvet smtp [options] URL\n"
"\n"
"Run one SMTP (or LMTP) session and judge every step: banner, EHLO,\n"
"STARTTLS, AUTH, MAIL, RCPT, DATA.  URL is smtp://host[:port],\n"
"smtps://, submission://, submissions://, lmtp://, host[:port],\n"
"[v6]:port or unix:/path.\n"
"\n"
"Envelope and message:\n"
"  --from ADDR            envelope and header sender (default mailvet@HOST;\n"
"                         \"\" for the null sender)\n"
"  --to ADDR              recipient; repeat for several\n"
"  --helo NAME            name for EHLO/LHLO/HELO (default: this host)\n"
"  --lmtp                 speak LMTP (LHLO) whatever the URL says\n"
"  --subject TEXT         Subject of the generated message\n"
"  --header 'Name: value' extra header; repeatable\n"
"  --body TEXT|@FILE      body of the generated message\n"
"  --data @FILE|-         send this complete message instead (RFC 5322)\n"
"  --pipelining           pipeline MAIL/RCPT/DATA when PIPELINING is offered\n"
"  --quit-after PHASE     stop after connect|banner|ehlo|starttls|auth|\n"
"                         mail|rcpt|data\n"
"\n"
"TLS:\n"
"  --tls off|optional|required   STARTTLS policy (default optional;\n"
"                         smtps:// and submissions:// are implicit TLS)\n"
"  --cafile FILE          trust these CA certificates instead of the system's\n"
"  --capath DIR           trust a hashed CA directory\n"
"  --servername NAME      name to send (SNI) and verify (default: URL host)\n"
"  --insecure             report a certificate that fails verification but\n"
"                         carry on\n"
"\n"
"Authentication:\n"
"  --auth-user USER       authenticate (AUTH) as USER\n"
"  --password-file FILE   password from FILE (else $MAILVET_PASSWORD, else\n"
"                         a prompt); never on the command line\n"
"  --auth-mech MECH       PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1, SCRAM-SHA-256\n"
"                         (default: the strongest offered)\n"
"  --authzid ID           authorisation identity\n"
"  --show-secrets         show AUTH exchanges in the transcript\n"
"\n"
"Network and time:\n"
"  -4, -6                 IPv4 or IPv6 only\n"
"  --source ADDR          connect from this local address\n"
"  --timeout DUR          every timeout below at once (e.g. 10s, 500ms)\n"
"  --connect-timeout DUR  per address tried (default 15s)\n"
"  --tls-timeout DUR      TLS handshake (default 30s)\n"
"  --banner-timeout DUR   wait for the 220 greeting (default 60s)\n"
"  --command-timeout DUR  wait for each reply (default 60s)\n"
"  --data-timeout DUR     wait for the reply to the message (default 5m)\n"
"\n"
"Output:\n"
"  --json                 one JSON document (docs/json.md)\n"
"  --no-transcript        leave the dialog out of the text report\n"
"  --verbose              whole certificate chain and fingerprints\n"
"  --color auto|always|never\n"
"\n"
"Exit status: 0 pass, 1 finding, 2 usage, 3 could not test, 4 internal.\n";

enum {
	O_FROM = 256, O_TO, O_HELO, O_LMTP, O_SUBJECT, O_HEADER, O_BODY,
	O_DATA, O_PIPELINING, O_QUIT_AFTER, O_TLS, O_CAFILE, O_CAPATH,
	O_SERVERNAME, O_INSECURE, O_AUTH_USER, O_PASSWORD_FILE, O_AUTH_MECH,
	O_AUTHZID, O_SHOW_SECRETS, O_SOURCE, O_TIMEOUT, O_CONNECT_TIMEOUT,
	O_TLS_TIMEOUT, O_BANNER_TIMEOUT, O_COMMAND_TIMEOUT, O_DATA_TIMEOUT,
	O_JSON, O_NO_TRANSCRIPT, O_TRANSCRIPT, O_VERBOSE, O_COLOR,
};

static const struct option smtp_options[] = {
	{ "from", required_argument, NULL, O_FROM },
	{ "to", required_argument, NULL, O_TO },
	{ "helo", required_argument, NULL, O_HELO },
	{ "lmtp", no_argument, NULL, O_LMTP },
	{ "subject", required_argument, NULL, O_SUBJECT },
	{ "header", required_argument, NULL, O_HEADER },
	{ "body", required_argument, NULL, O_BODY },
	{ "data", required_argument, NULL, O_DATA },
	{ "pipelining", no_argument, NULL, O_PIPELINING },
	{ "quit-after", required_argument, NULL, O_QUIT_AFTER },
	{ "tls", required_argument, NULL, O_TLS },
	{ "cafile", required_argument, NULL, O_CAFILE },
	{ "capath", required_argument, NULL, O_CAPATH },
	{ "servername", required_argument, NULL, O_SERVERNAME },
	{ "insecure", no_argument, NULL, O_INSECURE },
	{ "auth-user", required_argument, NULL, O_AUTH_USER },
	{ "password-file", required_argument, NULL, O_PASSWORD_FILE },
	{ "auth-mech", required_argument, NULL, O_AUTH_MECH },
	{ "authzid", required_argument, NULL, O_AUTHZID },
	{ "show-secrets", no_argument, NULL, O_SHOW_SECRETS },
	{ "source", required_argument, NULL, O_SOURCE },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "connect-timeout", required_argument, NULL, O_CONNECT_TIMEOUT },
	{ "tls-timeout", required_argument, NULL, O_TLS_TIMEOUT },
	{ "banner-timeout", required_argument, NULL, O_BANNER_TIMEOUT },
	{ "command-timeout", required_argument, NULL, O_COMMAND_TIMEOUT },
	{ "data-timeout", required_argument, NULL, O_DATA_TIMEOUT },
	{ "json", no_argument, NULL, O_JSON },
	{ "no-transcript", no_argument, NULL, O_NO_TRANSCRIPT },
	{ "transcript", no_argument, NULL, O_TRANSCRIPT },
	{ "verbose", no_argument, NULL, O_VERBOSE },
	{ "color", required_argument, NULL, O_COLOR },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct smtp_cli {
	struct smtp_probe_params pp;
	const char *rcpt[SMTP_MAX_RCPT];
	const char *headers[SMTP_MAX_HEADERS];
	char helo[256];
	char from[320];
	const char *password_file;
	const char *url;
	const char *color;
	int json, transcript, verbose, lmtp;
	int tls_given;          /* --tls was on the command line */
	struct buf body, data, password;
};

/* Address-like option values must not carry CR/LF/NUL or brackets that
 * would break the command line we send. */
static int
bad_address(const char *a)
{
	return strpbrk(a, "\r\n<>") != NULL || strlen(a) > 256;
}

static int
smtp_set_timeout(const char *name, const char *v, uint64_t *ms)
{
	if (duration_parse_ms(v, ms) == -1)
		return cli_usage_error("smtp", "%s: '%s' is not a duration "
		    "(examples: 10s, 500ms, 2m)", name, v);
	return 0;
}

static int
smtp_load_text(const char *opt, const char *v, struct buf *out)
{
	char why[512];

	if (v[0] != '@' && strcmp(v, "-") != 0) {
		buf_init(out, SMTP_MAX_DATA);
		return buf_append_str(out, v) == -1 ?
		    cli_usage_error("smtp", "%s is too long", opt) : 0;
	}
	if (cli_read_file(v[0] == '@' ? v + 1 : v, SMTP_MAX_DATA, out, why,
		sizeof(why)) == -1)
		return cli_usage_error("smtp", "%s: %s", opt, why);
	return 0;
}

static int
smtp_parse_tls(struct smtp_cli *c, const char *v)
{
	if (strcasecmp(v, "off") == 0)
		c->pp.smtp.tls = TLS_POLICY_OFF;
	else if (strcasecmp(v, "optional") == 0)
		c->pp.smtp.tls = TLS_POLICY_OPTIONAL;
	else if (strcasecmp(v, "required") == 0)
		c->pp.smtp.tls = TLS_POLICY_REQUIRED;
	else
		return cli_usage_error("smtp", "--tls takes off, optional or "
		    "required, not '%s'", v);
	return 0;
}

static int
smtp_parse_option(struct smtp_cli *c, int ch, const char *v)
{
	struct smtp_probe_params *pp = &c->pp;
	uint64_t ms;
	int ph;

	switch (ch) {
	case O_FROM:
		if (bad_address(v))
			return cli_usage_error("smtp", "--from: not a usable "
			    "address: '%s'", v);
		snprintf(c->from, sizeof(c->from), "%s", v);
		return 0;
	case O_TO:
		if (bad_address(v) || v[0] == '\0')
			return cli_usage_error("smtp", "--to: not a usable "
			    "address: '%s'", v);
		if (pp->smtp.nrcpt == SMTP_MAX_RCPT)
			return cli_usage_error("smtp", "at most %d --to",
			    SMTP_MAX_RCPT);
		c->rcpt[pp->smtp.nrcpt++] = v;
		return 0;
	case O_HELO:
		if (bad_address(v) || strchr(v, ' ') || v[0] == '\0')
			return cli_usage_error("smtp", "--helo: not a usable "
			    "name: '%s'", v);
		snprintf(c->helo, sizeof(c->helo), "%.255s", v);
		return 0;
	case O_LMTP:
		c->lmtp = 1;
		return 0;
	case O_SUBJECT:
		pp->subject = v;
		return 0;
	case O_HEADER:
		if (pp->nheaders == SMTP_MAX_HEADERS)
			return cli_usage_error("smtp", "at most %d --header",
			    SMTP_MAX_HEADERS);
		if (strchr(v, ':') == NULL)
			return cli_usage_error("smtp", "--header wants "
			    "'Name: value', not '%s'", v);
		c->headers[pp->nheaders++] = v;
		return 0;
	case O_BODY:
		buf_free(&c->body);
		return smtp_load_text("--body", v, &c->body);
	case O_DATA:
		buf_free(&c->data);
		if (v[0] != '@' && strcmp(v, "-") != 0)
			return cli_usage_error("smtp", "--data takes @FILE or "
			    "- (standard input)");
		return smtp_load_text("--data", v, &c->data);
	case O_PIPELINING:
		pp->smtp.pipelining = 1;
		return 0;
	case O_QUIT_AFTER:
		ph = smtp_phase_from_name(v);
		if (ph < 0 || ph == SMTP_PHASE_QUIT || ph == SMTP_PHASE_EOD ||
		    ph == SMTP_PHASE_EHLO_TLS || ph == SMTP_PHASE_TLS)
			return cli_usage_error("smtp", "--quit-after takes "
			    "connect, banner, ehlo, starttls, auth, mail, "
			    "rcpt or data, not '%s'", v);
		/* After DATA comes the message: "data" runs to the end. */
		pp->smtp.quit_after = ph == SMTP_PHASE_DATA ?
		    SMTP_PHASE_COUNT : (enum smtp_phase)ph;
		return 0;
	case O_TLS:
		c->tls_given = 1;
		return smtp_parse_tls(c, v);
	case O_CAFILE:
		pp->tls.cafile = v;
		return 0;
	case O_CAPATH:
		pp->tls.capath = v;
		return 0;
	case O_SERVERNAME:
		pp->tls.server_name = v;
		return 0;
	case O_INSECURE:
		pp->tls.insecure = 1;
		return 0;
	case O_AUTH_USER:
		pp->smtp.auth_user = v;
		return 0;
	case O_PASSWORD_FILE:
		c->password_file = v;
		return 0;
	case O_AUTH_MECH:
		pp->smtp.auth_mech = v;
		return 0;
	case O_AUTHZID:
		pp->smtp.auth_authzid = v;
		return 0;
	case O_SHOW_SECRETS:
		pp->smtp.show_secrets = 1;
		return 0;
	case O_SOURCE:
		pp->source = v;
		return 0;
	case O_TIMEOUT:
		if (smtp_set_timeout("--timeout", v, &ms))
			return EXIT_USAGE;
		pp->connect_timeout_ms = pp->tls_timeout_ms = ms;
		pp->smtp.banner_timeout_ms = pp->smtp.command_timeout_ms = ms;
		pp->smtp.data_timeout_ms = ms;
		return 0;
	case O_CONNECT_TIMEOUT:
		return smtp_set_timeout("--connect-timeout", v,
		    &pp->connect_timeout_ms);
	case O_TLS_TIMEOUT:
		return smtp_set_timeout("--tls-timeout", v,
		    &pp->tls_timeout_ms);
	case O_BANNER_TIMEOUT:
		return smtp_set_timeout("--banner-timeout", v,
		    &pp->smtp.banner_timeout_ms);
	case O_COMMAND_TIMEOUT:
		return smtp_set_timeout("--command-timeout", v,
		    &pp->smtp.command_timeout_ms);
	case O_DATA_TIMEOUT:
		return smtp_set_timeout("--data-timeout", v,
		    &pp->smtp.data_timeout_ms);
	case O_JSON:
		c->json = 1;
		return 0;
	case O_NO_TRANSCRIPT:
		c->transcript = 0;
		return 0;
	case O_TRANSCRIPT:
		c->transcript = 1;
		return 0;
	case O_VERBOSE:
		c->verbose = 1;
		return 0;
	case O_COLOR:
		if (strcmp(v, "auto") && strcmp(v, "always") &&
		    strcmp(v, "never"))
			return cli_usage_error("smtp", "--color takes auto, "
			    "always or never");
		c->color = v;
		return 0;
	case '4':
		pp->family = AF_INET;
		return 0;
	case '6':
		pp->family = AF_INET6;
		return 0;
	}
	return cli_usage_error("smtp", "unknown option");
}

static void
smtp_defaults(struct smtp_cli *c)
{
	struct smtp_probe_params *pp = &c->pp;

	memset(c, 0, sizeof(*c));
	buf_init(&c->body, SMTP_MAX_DATA);
	buf_init(&c->data, SMTP_MAX_DATA);
	buf_init(&c->password, 4096);
	c->transcript = 1;
	cli_hostname(c->helo, sizeof(c->helo));
	snprintf(c->from, sizeof(c->from), "mailvet@%s", c->helo);
	pp->family = AF_UNSPEC;
	pp->connect_timeout_ms = 15000;
	pp->tls_timeout_ms = 30000;
	pp->smtp.tls = TLS_POLICY_OPTIONAL;
	pp->smtp.quit_after = SMTP_PHASE_COUNT;
	pp->smtp.banner_timeout_ms = 60000;
	pp->smtp.command_timeout_ms = 60000;
	pp->smtp.data_timeout_ms = 300000;
}

/* Cross-option checks once everything is parsed. */
static int
smtp_finish_options(struct smtp_cli *c)
{
	struct smtp_probe_params *pp = &c->pp;
	struct mv_error err;
	char why[512];

	if (target_parse(c->url, TARGET_SCHEME_SMTP, &pp->target, &err) == -1)
		return cli_usage_error("smtp", "%s", err.msg);
	if (pp->target.proto != TARGET_PROTO_SMTP &&
	    pp->target.proto != TARGET_PROTO_LMTP)
		return cli_usage_error("smtp", "%s is not an SMTP or LMTP URL",
		    c->url);
	pp->smtp.lmtp = c->lmtp || pp->target.proto == TARGET_PROTO_LMTP;
	/* A local socket has no network to protect and no name to verify
	 * a certificate against: TLS only when asked for. */
	if (pp->target.is_unix && !c->tls_given)
		pp->smtp.tls = TLS_POLICY_OFF;
	if (pp->target.is_literal && pp->family != AF_UNSPEC &&
	    (strchr(pp->target.host, ':') != NULL) !=
	    (pp->family == AF_INET6))
		return cli_usage_error("smtp", "%s is an %s address, but %s "
		    "asks for %s only", pp->target.host,
		    strchr(pp->target.host, ':') ? "IPv6" : "IPv4",
		    pp->family == AF_INET ? "-4" : "-6",
		    pp->family == AF_INET ? "IPv4" : "IPv6");
	if (pp->target.implicit_tls && pp->smtp.tls == TLS_POLICY_OFF)
		return cli_usage_error("smtp", "--tls off contradicts %s, "
		    "which is TLS from the first byte", c->url);
	if (pp->smtp.nrcpt == 0 && pp->smtp.quit_after >= SMTP_PHASE_MAIL)
		return cli_usage_error("smtp", "say who receives the test "
		    "message with --to ADDR (or stop earlier with "
		    "--quit-after)");
	if (c->data.len && (c->body.len || pp->subject || pp->nheaders))
		return cli_usage_error("smtp", "--data sends a complete "
		    "message; it cannot be combined with --body, --subject "
		    "or --header");
	if (pp->tls.cafile && access(pp->tls.cafile, R_OK) != 0)
		return cli_usage_error("smtp", "--cafile %s: %s",
		    pp->tls.cafile, strerror(errno));
	if (pp->tls.capath && access(pp->tls.capath, R_OK | X_OK) != 0)
		return cli_usage_error("smtp", "--capath %s: %s",
		    pp->tls.capath, strerror(errno));
	if (c->password_file && pp->smtp.auth_user == NULL)
		return cli_usage_error("smtp", "--password-file needs "
		    "--auth-user");
	if (pp->smtp.auth_user) {
		if (cli_read_password(c->password_file, pp->smtp.auth_user,
			&c->password, why, sizeof(why)) == -1)
			return cli_usage_error("smtp", "%s", why);
		pp->smtp.auth_pass = buf_cstr(&c->password);
	}
	pp->smtp.helo_name = c->helo;
	pp->smtp.mail_from = c->from;
	pp->smtp.rcpt = c->rcpt;
	pp->headers = c->headers;
	if (c->data.data) {
		pp->raw_message = c->data.data;
		pp->raw_message_len = c->data.len;
	}
	if (c->body.data) {
		pp->body = c->body.data;
		pp->body_len = c->body.len;
	}
	return 0;
}

int
cmd_smtp(int argc, char **argv)
{
	struct smtp_cli *c;
	struct report rep;
	struct mv_error err;
	int ch, rc;

	if ((c = malloc(sizeof(*c))) == NULL) {
		fprintf(stderr, "mailvet smtp: out of memory\n");
		return EXIT_INTERNAL;
	}
	smtp_defaults(c);
	optind = 1;
	opterr = 0;
	rc = 0;
	while (rc == 0 && (ch = getopt_long(argc, argv, "46h", smtp_options,
		    NULL)) != -1) {
		if (ch == 'h') {
			fputs(smtp_usage, stdout);
			rc = -1;
		} else if (ch == '?')
			rc = cli_usage_error("smtp", "unknown or incomplete "
			    "option '%s'", argv[optind - 1]);
		else
			rc = smtp_parse_option(c, ch, optarg);
	}
	if (rc == 0 && optind != argc - 1)
		rc = cli_usage_error("smtp", optind >= argc ? "which server? "
		    "Give a URL such as smtp://mail.example.org" :
		    "one URL only, got '%s' too", argv[argc - 1]);
	if (rc == 0) {
		c->url = argv[optind];
		rc = smtp_finish_options(c);
	}
	if (rc != 0) {
		rc = rc == -1 ? EXIT_PASS : rc;
		goto out;
	}
	report_init(&rep, "smtp");
	if (smtp_probe_run(&c->pp, &rep, &err) == -1) {
		rep.err = err;
		if (err.cat == MV_ERR_USAGE) {
			rc = cli_usage_error("smtp", "%s", err.msg);
			report_free(&rep);
			goto out;
		}
	}
	rc = cli_output(&rep, c->json, c->transcript, c->verbose, c->color);
	report_free(&rep);
out:
	explicit_bzero(c->password.data ? c->password.data : "", 0);
	if (c->password.data)
		explicit_bzero(c->password.data, c->password.len);
	buf_free(&c->password);
	buf_free(&c->body);
	buf_free(&c->data);
	free(c);
	return rc;
}
