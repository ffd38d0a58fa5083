/*
 * cmd_ports.c - `mailvet ports HOST`: which TCP ports of a mail host
 * answer, what answers on each, and whether that is expected
 * (docs/mailvet-ports.md).  Reads the options, runs the sweep
 * (check/ports_scan.c), judges it (check/ports_judge.c) and renders the
 * report.
 */
#include "cli/cli.h"

#include "check/ports_judge.h"
#include "check/ports_scan.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const char ports_usage[] =
"usage: mailvet ports [options] HOST\n"
"\n"
"Sweep the TCP ports a mail host exposes or should not, name what answers\n"
"on each (SMTP, LMTP, POP3, IMAP, ManageSieve, redis, HTTP, TLS, ...) from\n"
"its greeting, a TLS handshake or a harmless probe, and judge the result:\n"
"an open port that is not expected is a finding, and so is POP3 or IMAP\n"
"in plaintext without STARTTLS.  HOST is a name or an address; one address\n"
"is swept: the first IPv4 one, or with -6 the first IPv6 one.\n"
"\n"
"Ports:\n"
"  --ports LIST           add ports to the default list (2525,2587 or\n"
"                         ranges 10000-10010; at most 1024 in all)\n"
"  --only-ports LIST      sweep only these ports\n"
"  --expect LIST          what should be open: service names (smtp,\n"
"                         submission, smtps, submissions, lmtp, pop3, pop3s,\n"
"                         imap, imaps, sieve, http, https, redis) on their\n"
"                         usual ports, port numbers (anything may answer), or\n"
"                         NAME:PORT; repeatable.  Default: the mail services\n"
"                         on their standard ports (an expected port that is\n"
"                         closed is only a finding with --expect)\n"
"  --concurrency N        connections at once (default 32, at most 256)\n"
"\n"
"Default ports: 25 465 587 110 995 143 993 4190 24 2000 10024 10025 783\n"
"11332-11334 3310 6379 3306 5432 80 443 8080.\n"
"\n"
"Time (the defaults of `mailvet ports`):\n"
"  --connect-timeout DUR  per port (ports default 3s)\n"
"  --greeting-timeout DUR each wait for bytes: greeting, EHLO/CAPA answer,\n"
"                         PING/HEAD answer (ports default 2s; a \"220-\"\n"
"                         greeting without its last line gets 7s more once)\n"
"  --tls-timeout DUR      the implicit-TLS probe (ports default 3s)\n"
"  --timeout DUR          all three at once\n"
"\n"
"Of the shared options below, ports uses -4/-6, --source, --cafile,\n"
"--capath and --servername (whether a certificate verifies is reported,\n"
"never fatal), --json, --verbose and --color.  It refuses --tls,\n"
"--insecure, --user/--auth-user, --password-file, --auth-mech,\n"
"--authzid, --show-secrets, --command-timeout and --transcript/\n"
"--no-transcript: ports logs in nowhere and keeps no transcript.\n";

enum { O_PORTS = 256, O_ONLY_PORTS, O_EXPECT, O_CONCURRENCY };

static const struct option ports_options[] = {
	{ "ports", required_argument, NULL, O_PORTS },
	{ "only-ports", required_argument, NULL, O_ONLY_PORTS },
	{ "expect", required_argument, NULL, O_EXPECT },
	{ "concurrency", required_argument, NULL, O_CONCURRENCY },
	{ NULL, 0, NULL, 0 },
};

struct ports_cli {
	struct cli_common common;
	uint16_t ports[PORTS_MAX];
	size_t nports;
	int only_given, extra_given;
	uint16_t extra[PORTS_MAX];
	size_t nextra;
	struct ports_expect_list expect;
	int expect_given;
	unsigned concurrency;
	char host[TARGET_HOST_MAX + 1];
	char helo[256];
};

static int
ports_option(void *ctx, int ch, const char *v)
{
	struct ports_cli *c = ctx;
	struct mv_error err;
	unsigned long n = 0;
	const char *p;

	switch (ch) {
	case O_PORTS:
		c->extra_given = 1;
		if (ports_list_parse(v, c->extra, PORTS_MAX, &c->nextra,
		    &err) == -1)
			return cli_usage_error("ports", "--ports: %s", err.msg);
		return 0;
	case O_ONLY_PORTS:
		c->only_given = 1;
		if (ports_list_parse(v, c->ports, PORTS_MAX, &c->nports,
		    &err) == -1)
			return cli_usage_error("ports", "--only-ports: %s",
			    err.msg);
		return 0;
	case O_EXPECT:
		c->expect_given = 1;
		if (ports_expect_parse(v, &c->expect, &err) == -1)
			return cli_usage_error("ports", "%s", err.msg);
		return 0;
	case O_CONCURRENCY:
		for (p = v; *p >= '0' && *p <= '9' && n <= 1000; p++)
			n = n * 10 + (unsigned long)(*p - '0');
		if (*p != '\0' || p == v || n < 1 || n > 256)
			return cli_usage_error("ports", "--concurrency takes a "
			    "number from 1 to 256, not '%s'", v);
		c->concurrency = (unsigned)n;
		return 0;
	}
	return cli_usage_error("ports", "unknown option");
}

/* HOST: a name or an address, with or without brackets; a URL or a
 * port is refused with a pointer to the right option. */
static int
ports_host(struct ports_cli *c)
{
	struct target t;
	struct mv_error err;
	const char *h = c->common.url, *colon;

	if (strstr(h, "://") != NULL || strncmp(h, "unix:", 5) == 0)
		return cli_usage_error("ports", "give a host name or address, "
		    "not a URL ('%s'); choose ports with --ports or "
		    "--only-ports", h);
	if (target_parse(h, TARGET_SCHEME_SMTP, &t, &err) == -1)
		return cli_usage_error("ports", "%s", err.msg);
	colon = strchr(h, ':');
	if ((h[0] == '[' && strstr(h, "]:") != NULL) ||
	    (h[0] != '[' && colon != NULL && strchr(colon + 1, ':') == NULL))
		return cli_usage_error("ports", "'%s' names a port; give the "
		    "host alone and the ports with --ports or --only-ports",
		    h);
	if (t.is_literal && c->common.net.family != AF_UNSPEC &&
	    (strchr(t.host, ':') != NULL) !=
	    (c->common.net.family == AF_INET6))
		return cli_usage_error("ports", "%s is an %s address, but %s "
		    "asks for %s only", t.host, strchr(t.host, ':') ? "IPv6" :
		    "IPv4", c->common.net.family == AF_INET ? "-4" : "-6",
		    c->common.net.family == AF_INET ? "IPv4" : "IPv6");
	snprintf(c->host, sizeof(c->host), "%s", t.host);
	return 0;
}

/*
 * Shared options that mean nothing to a sweep are refused, not
 * ignored: a user who gives --user expects a login, one who gives --tls
 * required expects plaintext to be refused.  Must run before
 * cli_common_check(), which would prompt for a password.
 */
static int
ports_refuse_options(const struct ports_cli *c)
{
	const struct cli_common *k = &c->common;
	const char *opt = NULL, *why = "";

	if (k->tls_given) {
		opt = "--tls";
		why = "ports tries plaintext and implicit TLS on every port "
		    "and reports STARTTLS; it has no policy to set";
	} else if (k->net.tls.insecure) {
		opt = "--insecure";
		why = "ports never stops on a certificate; it only reports "
		    "whether it verifies (--cafile/--capath/--servername)";
	} else if (k->user || k->password_file || k->authzid ||
	    k->auth_mech || k->show_secrets) {
		opt = k->user ? "--user" : k->password_file ?
		    "--password-file" : k->authzid ? "--authzid" :
		    k->auth_mech ? "--auth-mech" : "--show-secrets";
		why = "ports logs in nowhere";
	} else if (k->command_timeout_ms != UINT64_MAX &&
	    !(k->timeout_given && k->command_timeout_ms == k->timeout_ms)) {
		opt = "--command-timeout";
		why = "each wait for bytes is --greeting-timeout (default 2s)";
	} else if (k->transcript != 2) {
		opt = k->transcript ? "--transcript" : "--no-transcript";
		why = "ports keeps no transcript";
	}
	if (opt == NULL)
		return 0;
	return cli_usage_error("ports", "%s does not apply to ports: %s", opt,
	    why);
}

static int
ports_finish_options(struct ports_cli *c)
{
	struct mv_error err;
	size_t i;
	int rc;

	if ((rc = ports_refuse_options(c)) != 0)
		return rc;
	if ((rc = ports_host(c)) != 0)
		return rc;
	if ((rc = cli_common_check(&c->common)) != 0)
		return rc;
	if (!c->only_given)
		for (i = 0; i < ports_default_count; i++)
			c->ports[c->nports++] = ports_default_list[i];
	for (i = 0; i < c->nextra; i++) {
		char one[8];

		snprintf(one, sizeof(one), "%u", c->extra[i]);
		if (ports_list_parse(one, c->ports, PORTS_MAX, &c->nports,
		    &err) == -1)
			return cli_usage_error("ports", "%s", err.msg);
	}
	if (!c->expect_given)
		ports_expect_default(&c->expect);
	return 0;
}

int
cmd_ports(int argc, char **argv)
{
	struct ports_scan_params sp;
	struct ports_cli *c;
	struct report rep;
	struct mv_error err;
	int rc;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		fprintf(stderr, "mailvet ports: out of memory\n");
		return EXIT_INTERNAL;
	}
	cli_common_init(&c->common, "ports");
	/* A sweep waits on many ports: short defaults. */
	c->common.net.connect_timeout_ms = 3000;
	c->common.net.tls_timeout_ms = 3000;
	c->common.greeting_timeout_ms = 2000;
	/* Markers: told apart from a value given on the command line. */
	c->common.command_timeout_ms = UINT64_MAX;
	c->common.transcript = 2;
	c->common.help_omit = CLI_HELP_AUTH | CLI_HELP_TIME_DEFAULTS;
	c->common.example = "a host name or address, such as "
	    "mail.example.org or 192.0.2.25";
	cli_hostname(c->helo, sizeof(c->helo));
	rc = cli_common_parse(&c->common, argc, argv, ports_options,
	    ports_usage, ports_option, c);
	if (rc == 0)
		rc = ports_finish_options(c);
	if (rc != 0) {
		rc = rc == -1 ? EXIT_PASS : rc;
		goto out;
	}
	memset(&sp, 0, sizeof(sp));
	sp.host = c->host;
	sp.family = c->common.net.family;
	sp.source = c->common.net.source;
	sp.ports = c->ports;
	sp.nports = c->nports;
	sp.concurrency = c->concurrency;
	sp.connect_timeout_ms = c->common.net.connect_timeout_ms;
	sp.read_timeout_ms = c->common.greeting_timeout_ms;
	sp.tls_timeout_ms = c->common.net.tls_timeout_ms;
	sp.helo_name = c->helo;
	sp.cafile = c->common.net.tls.cafile;
	sp.capath = c->common.net.tls.capath;
	sp.server_name = c->common.net.tls.server_name;
	report_init(&rep, "ports");
	snprintf(rep.target, sizeof(rep.target), "%s", c->host);
	if ((rep.ports = ports_report_new(c->nports)) == NULL) {
		report_free(&rep);
		fprintf(stderr, "mailvet ports: out of memory\n");
		rc = EXIT_INTERNAL;
		goto out;
	}
	rep.ports->expect_given = c->expect_given;
	if (ports_scan_run(&sp, rep.ports, &err) == -1) {
		rep.err = err;
	} else {
		ports_judge(&rep, rep.ports, &c->expect);
		if (rep.ports->open == 0 && rep.ports->closed == 0)
			mv_error_set(&rep.err, rep.ports->filtered ?
			    MV_ERR_TIMEOUT : MV_ERR_CONNECT, "no port of %s "
			    "answered (%zu filtered, %zu unreachable): the "
			    "host is down or not reachable from here",
			    rep.ports->address, rep.ports->filtered,
			    rep.ports->errors);
	}
	rc = cli_output(&rep, c->common.json, 0, c->common.verbose,
	    c->common.color);
	report_free(&rep);
out:
	cli_common_free(&c->common);
	free(c);
	return rc;
}
