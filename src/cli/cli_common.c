/*
 * cli_common.c - the options every session command shares (see cli.h):
 * target, -4/-6, --source, TLS, timeouts, credentials and output.
 */
#include "cli/cli.h"

#include "core/duration.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
	C_TLS = CLI_COMMON_BASE, C_CAFILE, C_CAPATH, C_SERVERNAME, C_INSECURE,
	C_USER, C_PASSWORD_FILE, C_AUTH_MECH, C_AUTHZID, C_SHOW_SECRETS,
	C_SOURCE, C_TIMEOUT, C_CONNECT_TIMEOUT, C_TLS_TIMEOUT,
	C_GREETING_TIMEOUT, C_COMMAND_TIMEOUT, C_JSON, C_NO_TRANSCRIPT,
	C_TRANSCRIPT, C_VERBOSE, C_COLOR, C_HELP, C_IPV4, C_IPV6,
};

static const struct option cli_common_options[] = {
	{ "tls", required_argument, NULL, C_TLS },
	{ "cafile", required_argument, NULL, C_CAFILE },
	{ "capath", required_argument, NULL, C_CAPATH },
	{ "servername", required_argument, NULL, C_SERVERNAME },
	{ "insecure", no_argument, NULL, C_INSECURE },
	{ "user", required_argument, NULL, C_USER },
	{ "auth-user", required_argument, NULL, C_USER },
	{ "password-file", required_argument, NULL, C_PASSWORD_FILE },
	{ "auth-mech", required_argument, NULL, C_AUTH_MECH },
	{ "authzid", required_argument, NULL, C_AUTHZID },
	{ "show-secrets", no_argument, NULL, C_SHOW_SECRETS },
	{ "source", required_argument, NULL, C_SOURCE },
	{ "timeout", required_argument, NULL, C_TIMEOUT },
	{ "connect-timeout", required_argument, NULL, C_CONNECT_TIMEOUT },
	{ "tls-timeout", required_argument, NULL, C_TLS_TIMEOUT },
	{ "greeting-timeout", required_argument, NULL, C_GREETING_TIMEOUT },
	{ "banner-timeout", required_argument, NULL, C_GREETING_TIMEOUT },
	{ "command-timeout", required_argument, NULL, C_COMMAND_TIMEOUT },
	{ "json", no_argument, NULL, C_JSON },
	{ "no-transcript", no_argument, NULL, C_NO_TRANSCRIPT },
	{ "transcript", no_argument, NULL, C_TRANSCRIPT },
	{ "verbose", no_argument, NULL, C_VERBOSE },
	{ "color", required_argument, NULL, C_COLOR },
	{ "help", no_argument, NULL, C_HELP },
	{ NULL, 0, NULL, 0 },
};

/* The shared help, by section, so that a command can leave out what
 * does not apply to it (struct cli_common.help_omit). */
static const char help_connection[] =
"Connection and TLS:\n"
"  -4, -6                 IPv4 or IPv6 only\n"
"  --source ADDR          connect from this local address\n"
"  --tls off|optional|required   STARTTLS/STLS policy (default optional;\n"
"                         smtps://, pop3s://, imaps:// are implicit TLS)\n"
"  --cafile FILE          trust these CA certificates instead of the system's\n"
"  --capath DIR           trust a hashed CA directory\n"
"  --servername NAME      name to send (SNI) and verify (default: URL host)\n"
"  --insecure             report a certificate that fails verification but\n"
"                         carry on\n"
"\n";
static const char help_auth[] =
"Authentication:\n"
"  --user USER            log in as USER (--auth-user is the same)\n"
"  --password-file FILE   password from FILE (else $MAILVET_PASSWORD, else\n"
"                         a prompt on the terminal); never on the command line\n"
"  --auth-mech MECH       SASL mechanism: PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1,\n"
"                         SCRAM-SHA-256, or auto (the strongest offered)\n"
"  --authzid ID           authorisation identity\n"
"  --show-secrets         show credentials in the transcript\n"
"\n";
static const char help_time[] =
"Time:\n"
"  --timeout DUR          every timeout at once (e.g. 10s, 500ms, 2m)\n"
"  --connect-timeout DUR  per address tried (default 15s)\n"
"  --tls-timeout DUR      TLS handshake (default 30s)\n"
"  --greeting-timeout DUR the server's greeting (default 60s)\n"
"  --command-timeout DUR  each reply (default 60s)\n"
"\n";
/* For commands with defaults of their own, stated in their own text. */
static const char help_time_own[] =
"Time (this command's defaults are given above):\n"
"  --timeout DUR          every timeout at once (e.g. 10s, 500ms, 2m)\n"
"  --connect-timeout DUR  per address tried\n"
"  --tls-timeout DUR      TLS handshake\n"
"  --greeting-timeout DUR the server's greeting\n"
"  --command-timeout DUR  each reply\n"
"\n";
static const char help_output[] =
"Output:\n"
"  --json                 one JSON document (docs/json.md)\n"
"  --no-transcript        leave the dialog out of the text report\n"
"  --verbose              whole certificate chain and fingerprints\n"
"  --color auto|always|never\n"
"\n";
static const char help_exit[] =
"Exit status: 0 pass, 1 finding, 2 usage, 3 could not test, 4 internal.\n";

static void
cli_common_print_help(const struct cli_common *c)
{
	fputs(help_connection, stdout);
	if (!(c->help_omit & CLI_HELP_AUTH))
		fputs(help_auth, stdout);
	fputs(c->help_omit & CLI_HELP_TIME_DEFAULTS ? help_time_own :
	    help_time, stdout);
	if (!(c->help_omit & CLI_HELP_OUTPUT))
		fputs(help_output, stdout);
	fputs(help_exit, stdout);
}

void
cli_common_init(struct cli_common *c, const char *cmd)
{
	memset(c, 0, sizeof(*c));
	c->cmd = cmd;
	c->net.family = AF_UNSPEC;
	c->net.tls_policy = TLS_POLICY_OPTIONAL;
	c->net.connect_timeout_ms = 15000;
	c->net.tls_timeout_ms = 30000;
	c->greeting_timeout_ms = 60000;
	c->command_timeout_ms = 60000;
	c->data_timeout_ms = 300000;
	c->transcript = 1;
	buf_init(&c->password, 4096);
}

void
cli_common_free(struct cli_common *c)
{
	if (c->password.data)
		explicit_bzero(c->password.data, c->password.len);
	buf_free(&c->password);
}

int
cli_duration(const char *cmd, const char *name, const char *v, uint64_t *ms)
{
	if (duration_parse_ms(v, ms) == -1)
		return cli_usage_error(cmd, "%s: '%s' is not a duration "
		    "(examples: 10s, 500ms, 2m)", name, v);
	return 0;
}

int
cli_size(const char *cmd, const char *name, const char *v, size_t *bytes)
{
	unsigned long long n = 0, mult = 1;
	const char *p = v;

	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (1ull << 40))
			break;
		n = n * 10 + (unsigned)(*p - '0');
	}
	if (strcasecmp(p, "k") == 0 || strcasecmp(p, "kb") == 0)
		mult = 1024;
	else if (strcasecmp(p, "m") == 0 || strcasecmp(p, "mb") == 0)
		mult = 1024 * 1024;
	else if (strcasecmp(p, "g") == 0 || strcasecmp(p, "gb") == 0)
		mult = 1024ull * 1024 * 1024;
	else if (*p != '\0')
		p = NULL;
	if (p == NULL || p == v || n == 0 || n > (1ull << 40) / mult)
		return cli_usage_error(cmd, "%s: '%s' is not a size (examples: "
		    "512, 64k, 10m)", name, v);
	*bytes = (size_t)(n * mult);
	return 0;
}

static int
cli_common_tls(struct cli_common *c, const char *v)
{
	c->tls_given = 1;
	if (strcasecmp(v, "off") == 0)
		c->net.tls_policy = TLS_POLICY_OFF;
	else if (strcasecmp(v, "optional") == 0)
		c->net.tls_policy = TLS_POLICY_OPTIONAL;
	else if (strcasecmp(v, "required") == 0)
		c->net.tls_policy = TLS_POLICY_REQUIRED;
	else
		return cli_usage_error(c->cmd, "--tls takes off, optional or "
		    "required, not '%s'", v);
	return 0;
}

/* 0 handled, EXIT_USAGE refused. */
static int
cli_common_option(struct cli_common *c, int ch, const char *v)
{
	uint64_t ms;

	switch (ch) {
	case C_TLS:
		return cli_common_tls(c, v);
	case C_CAFILE:
		c->net.tls.cafile = v;
		return 0;
	case C_CAPATH:
		c->net.tls.capath = v;
		return 0;
	case C_SERVERNAME:
		c->net.tls.server_name = v;
		return 0;
	case C_INSECURE:
		c->net.tls.insecure = 1;
		return 0;
	case C_USER:
		if (v[0] == '\0' || strpbrk(v, "\r\n") != NULL)
			return cli_usage_error(c->cmd, "--user: not a usable "
			    "user name");
		c->user = v;
		return 0;
	case C_PASSWORD_FILE:
		c->password_file = v;
		return 0;
	case C_AUTH_MECH:
		c->auth_mech = v;
		return 0;
	case C_AUTHZID:
		c->authzid = v;
		return 0;
	case C_SHOW_SECRETS:
		c->show_secrets = 1;
		return 0;
	case C_SOURCE:
		c->net.source = v;
		return 0;
	case C_TIMEOUT:
		if (cli_duration(c->cmd, "--timeout", v, &ms))
			return EXIT_USAGE;
		c->timeout_ms = ms;
		c->timeout_given = 1;
		c->net.connect_timeout_ms = c->net.tls_timeout_ms = ms;
		c->greeting_timeout_ms = c->command_timeout_ms = ms;
		c->data_timeout_ms = ms;
		return 0;
	case C_CONNECT_TIMEOUT:
		return cli_duration(c->cmd, "--connect-timeout", v,
		    &c->net.connect_timeout_ms);
	case C_TLS_TIMEOUT:
		return cli_duration(c->cmd, "--tls-timeout", v,
		    &c->net.tls_timeout_ms);
	case C_GREETING_TIMEOUT:
		return cli_duration(c->cmd, "--greeting-timeout", v,
		    &c->greeting_timeout_ms);
	case C_COMMAND_TIMEOUT:
		return cli_duration(c->cmd, "--command-timeout", v,
		    &c->command_timeout_ms);
	case C_JSON:
		c->json = 1;
		return 0;
	case C_NO_TRANSCRIPT:
		c->transcript = 0;
		return 0;
	case C_TRANSCRIPT:
		c->transcript = 1;
		return 0;
	case C_VERBOSE:
		c->verbose = 1;
		return 0;
	case C_COLOR:
		if (strcmp(v, "auto") && strcmp(v, "always") &&
		    strcmp(v, "never"))
			return cli_usage_error(c->cmd, "--color takes auto, "
			    "always or never");
		c->color = v;
		return 0;
	case C_IPV4:
	case '4':
		c->net.family = AF_INET;
		return 0;
	case C_IPV6:
	case '6':
		c->net.family = AF_INET6;
		return 0;
	}
	return cli_usage_error(c->cmd, "unknown option");
}

int
cli_common_parse(struct cli_common *c, int argc, char **argv,
    const struct option *own, const char *usage,
    int (*own_option)(void *ctx, int ch, const char *v), void *ctx)
{
	struct option *all;
	size_t nown = 0, ncommon = 0;
	int ch, rc = 0;

	while (own && own[nown].name)
		nown++;
	while (cli_common_options[ncommon].name)
		ncommon++;
	if ((all = calloc(nown + ncommon + 1, sizeof(*all))) == NULL)
		return cli_usage_error(c->cmd, "out of memory");
	if (nown)
		memcpy(all, own, nown * sizeof(*all));
	memcpy(all + nown, cli_common_options, ncommon * sizeof(*all));
	optind = 1;
	opterr = 0;
	while (rc == 0 && (ch = getopt_long(argc, argv, "46h", all,
		    NULL)) != -1) {
		if (ch == 'h' || ch == C_HELP) {
			fputs(usage, stdout);
			fputs("\n", stdout);
			cli_common_print_help(c);
			rc = -1;
		} else if (ch == '?')
			rc = cli_usage_error(c->cmd, "unknown or incomplete "
			    "option '%s'", argv[optind - 1]);
		else if (ch >= CLI_COMMON_BASE || ch == '4' || ch == '6')
			rc = cli_common_option(c, ch, optarg);
		else
			rc = own_option(ctx, ch, optarg);
	}
	free(all);
	if (rc != 0)
		return rc;
	if (c->no_url) {
		if (optind != argc)
			return cli_usage_error(c->cmd, "unexpected argument "
			    "'%s'", argv[optind]);
		return 0;
	}
	if (optind >= argc && c->example)
		return cli_usage_error(c->cmd, "which server? Give %s",
		    c->example);
	if (optind != argc - 1)
		return cli_usage_error(c->cmd, optind >= argc ? "which server? "
		    "Give a URL such as %s://mail.example.org" : "one URL "
		    "only, got '%s' too", optind >= argc ? c->cmd :
		    argv[argc - 1]);
	c->url = argv[optind];
	return 0;
}

int
cli_target(struct cli_common *c, const char *url, enum target_scheme dflt,
    struct probe_net *n)
{
	struct mv_error err;

	*n = c->net;
	if (target_parse(url, dflt, &n->target, &err) == -1)
		return cli_usage_error(c->cmd, "%s", err.msg);
	/* A local socket has no network to protect and no name to verify
	 * a certificate against: TLS only when asked for. */
	if (n->target.is_unix && !c->tls_given)
		n->tls_policy = TLS_POLICY_OFF;
	if (n->target.is_literal && n->family != AF_UNSPEC &&
	    (strchr(n->target.host, ':') != NULL) != (n->family == AF_INET6))
		return cli_usage_error(c->cmd, "%s is an %s address, but %s "
		    "asks for %s only", n->target.host,
		    strchr(n->target.host, ':') ? "IPv6" : "IPv4",
		    n->family == AF_INET ? "-4" : "-6",
		    n->family == AF_INET ? "IPv4" : "IPv6");
	if (n->target.implicit_tls && n->tls_policy == TLS_POLICY_OFF)
		return cli_usage_error(c->cmd, "--tls off contradicts %s, "
		    "which is TLS from the first byte", url);
	return 0;
}

int
cli_common_check(struct cli_common *c)
{
	struct probe_net *n = &c->net;
	char why[512];

	if (n->tls.cafile && access(n->tls.cafile, R_OK) != 0)
		return cli_usage_error(c->cmd, "--cafile %s: %s",
		    n->tls.cafile, strerror(errno));
	if (n->tls.capath && access(n->tls.capath, R_OK | X_OK) != 0)
		return cli_usage_error(c->cmd, "--capath %s: %s",
		    n->tls.capath, strerror(errno));
	if (c->password_file && c->user == NULL)
		return cli_usage_error(c->cmd, "--password-file needs --user "
		    "(or --auth-user)");
	if (c->user && cli_read_password(c->password_file, c->user,
		&c->password, why, sizeof(why)) == -1)
		return cli_usage_error(c->cmd, "%s", why);
	return 0;
}

int
cli_common_finish(struct cli_common *c, enum target_scheme dflt)
{
	int rc;

	if ((rc = cli_target(c, c->url, dflt, &c->net)) != 0)
		return rc;
	return cli_common_check(c);
}
