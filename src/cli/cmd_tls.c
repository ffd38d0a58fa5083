/*
 * cmd_tls.c - `mailvet tls URL` and `mailvet tls --all-ports HOST`: the
 * TLS diagnosis of a mail listener, or of every standard listener of a
 * host compared (docs/mailvet-tls.md).
 */
#include "cli/cli.h"

#include "check/tls_probe.h"

#include <stdlib.h>
#include <string.h>

static const char tls_usage[] =
"usage: mailvet tls [options] URL\n"
"       mailvet tls --all-ports [--ports LIST] [options] HOST\n"
"\n"
"Diagnose TLS on a mail listener in one command: STARTTLS offered and\n"
"what is allowed before it, the handshake (version, cipher, key\n"
"exchange, signature), the whole certificate chain with one plain-words\n"
"reason when it does not verify, days to expiry, the protocol versions\n"
"accepted one by one, session resumption, and STARTTLS command\n"
"injection.  URL is smtp://, submission://, smtps://, lmtp://, pop3://,\n"
"pop3s://, imap:// or imaps:// (host[:port] means smtp://).\n"
"\n"
"TLS diagnosis:\n"
"  --warn-days N          warn when the certificate expires within N days\n"
"                         (default 30)\n"
"  --crit-days N          fail when it expires within N days (default 7)\n"
"  --no-versions          do not try TLS 1.0, 1.1, 1.2, 1.3 one by one\n"
"  --no-injection         skip the STARTTLS command-injection test\n"
"  --no-resumption        skip the session-resumption connection\n"
"  --parallel N           connections open at once (default 8)\n"
"  --max-time DURATION    limit for the whole command (default 2m, with\n"
"                         --all-ports 4m); what has not finished by then\n"
"                         is reported as not tested (0: no limit)\n"
"  --helo NAME            EHLO/LHLO name (default: this host's name)\n"
"  --all-ports            test every standard listener of HOST: smtp 25,\n"
"                         smtps 465, submission 587, pop3 110, pop3s 995,\n"
"                         imap 143, imaps 993, sieve 4190; closed ones are\n"
"                         skipped\n"
"  --ports LIST           with --all-ports, other ports: label=port,...\n"
"                         (e.g. smtp=2525,imaps=2993,sieve=0; 0 leaves a\n"
"                         listener out)\n"
"The certificate is always judged, never obeyed: the handshake completes\n"
"so that the chain can be shown (--insecure changes nothing here).\n"
"--tls required turns a missing STARTTLS into the stopping error.\n"
"Timeouts are shorter than other commands' (a diagnosis should not\n"
"hang): connect and TLS 10s, greeting and each reply 20s; --timeout\n"
"and the --*-timeout options change them.\n";

enum {
	O_WARN_DAYS = 256, O_CRIT_DAYS, O_NO_VERSIONS, O_NO_INJECTION,
	O_NO_RESUMPTION, O_PARALLEL, O_HELO, O_ALL_PORTS, O_PORTS,
	O_MAX_TIME,
};

static const struct option tls_options[] = {
	{ "warn-days", required_argument, NULL, O_WARN_DAYS },
	{ "crit-days", required_argument, NULL, O_CRIT_DAYS },
	{ "no-versions", no_argument, NULL, O_NO_VERSIONS },
	{ "no-injection", no_argument, NULL, O_NO_INJECTION },
	{ "no-resumption", no_argument, NULL, O_NO_RESUMPTION },
	{ "parallel", required_argument, NULL, O_PARALLEL },
	{ "helo", required_argument, NULL, O_HELO },
	{ "all-ports", no_argument, NULL, O_ALL_PORTS },
	{ "ports", required_argument, NULL, O_PORTS },
	{ "max-time", required_argument, NULL, O_MAX_TIME },
	{ NULL, 0, NULL, 0 },
};

struct tls_cli {
	struct cli_common common;
	struct tls_probe_params pp;
	const char *ports;
	char helo[256];
	int max_time_given;
};

static int
small_number(const char *opt, const char *v, int max, int *out)
{
	const char *p;
	long n = 0;

	for (p = v; *p >= '0' && *p <= '9' && n <= max; p++)
		n = n * 10 + (*p - '0');
	if (*p != '\0' || p == v || n > max)
		return cli_usage_error("tls", "%s takes a number from 0 to %d, "
		    "not '%s'", opt, max, v);
	*out = (int)n;
	return 0;
}

static int
tls_option(void *ctx, int ch, const char *v)
{
	struct tls_cli *c = ctx;
	int n;

	switch (ch) {
	case O_WARN_DAYS:
		return small_number("--warn-days", v, 3650, &c->pp.warn_days);
	case O_CRIT_DAYS:
		return small_number("--crit-days", v, 3650, &c->pp.crit_days);
	case O_NO_VERSIONS:
		c->pp.versions = 0;
		return 0;
	case O_NO_INJECTION:
		c->pp.injection = 0;
		return 0;
	case O_NO_RESUMPTION:
		c->pp.resumption = 0;
		return 0;
	case O_PARALLEL:
		if (small_number("--parallel", v, 64, &n))
			return EXIT_USAGE;
		if (n == 0)
			return cli_usage_error("tls", "--parallel must be at "
			    "least 1");
		c->pp.max_parallel = (size_t)n;
		return 0;
	case O_HELO:
		if (v[0] == '\0' || strpbrk(v, " \r\n") != NULL ||
		    strlen(v) >= sizeof(c->helo))
			return cli_usage_error("tls", "--helo: not a host "
			    "name: '%s'", v);
		snprintf(c->helo, sizeof(c->helo), "%s", v);
		return 0;
	case O_ALL_PORTS:
		c->pp.all_ports = 1;
		return 0;
	case O_PORTS:
		c->ports = v;
		return 0;
	case O_MAX_TIME:
		c->max_time_given = 1;
		return cli_duration("tls", "--max-time", v,
		    &c->pp.max_time_ms);
	}
	return cli_usage_error("tls", "unknown option");
}

/* The host of --all-ports: a bare host, [v6] or a URL's host. */
static int
tls_allports_setup(struct tls_cli *c)
{
	struct cli_common *cm = &c->common;
	struct probe_net n;
	struct mv_error err;
	int rc;

	if ((rc = cli_target(cm, cm->url, TARGET_SCHEME_SMTP, &n)) != 0)
		return rc;
	if (n.target.is_unix)
		return cli_usage_error("tls", "--all-ports needs a host, not "
		    "a UNIX socket");
	if ((rc = cli_common_check(cm)) != 0)
		return rc;
	n.target.port = 0;
	cm->net = n;
	if (tls_allports_targets(&c->pp, &cm->net, n.target.host, c->ports,
	    &err) == -1)
		return cli_usage_error("tls", "%s", err.msg);
	c->pp.host = c->pp.targets[0].net.target.host;
	return 0;
}

static int
tls_single_setup(struct tls_cli *c)
{
	struct cli_common *cm = &c->common;
	struct tls_probe_target *t = &c->pp.targets[0];
	int rc;

	if (c->ports)
		return cli_usage_error("tls", "--ports goes with --all-ports");
	if ((rc = cli_common_finish(cm, TARGET_SCHEME_SMTP)) != 0)
		return rc;
	memset(t, 0, sizeof(*t));
	t->net = cm->net;
	t->proto = tls_dialog_proto_of(&t->net.target);
	t->submission = t->net.target.scheme == TARGET_SCHEME_SUBMISSION;
	snprintf(t->label, sizeof(t->label), "%s",
	    target_scheme_name(t->net.target.scheme));
	c->pp.ntargets = 1;
	return 0;
}

/* cli_run_report()'s view of the probe. */
static int
run_tls(const void *params, struct report *rep, struct mv_error *err)
{
	return tls_probe_run(params, rep, err);
}

int
cmd_tls(int argc, char **argv)
{
	struct tls_cli *c;
	struct cli_common *cm;
	int rc;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		fprintf(stderr, "mailvet tls: out of memory\n");
		return EXIT_INTERNAL;
	}
	cm = &c->common;
	cli_common_init(cm, "tls");
	cm->help_omit = CLI_HELP_AUTH | CLI_HELP_TIME_DEFAULTS;
	cm->example = "a URL such as smtp://mail.example.org, or "
	    "--all-ports mail.example.org";
	c->pp.warn_days = 30;
	c->pp.crit_days = 7;
	c->pp.versions = c->pp.injection = c->pp.resumption = 1;
	/* A diagnosis tool should answer within a minute or two, not wait
	 * a minute per reply like a mail client: shorter defaults, which
	 * the common timeout options still override. */
	cm->net.connect_timeout_ms = 10000;
	cm->net.tls_timeout_ms = 10000;
	cm->greeting_timeout_ms = 20000;
	cm->command_timeout_ms = 20000;
	rc = cli_common_parse(cm, argc, argv, tls_options, tls_usage,
	    tls_option, c);
	if (rc == 0 && cm->tls_given && cm->net.tls_policy == TLS_POLICY_OFF)
		rc = cli_usage_error("tls", "--tls off leaves nothing to "
		    "diagnose");
	if (rc == 0 && c->pp.crit_days > c->pp.warn_days)
		rc = cli_usage_error("tls", "--crit-days (%d) must not exceed "
		    "--warn-days (%d)", c->pp.crit_days, c->pp.warn_days);
	if (rc == 0 && cm->user)
		rc = cli_usage_error("tls", "tls does not log in; --user "
		    "belongs to smtp, pop3 and imap");
	if (rc == 0)
		rc = c->pp.all_ports ? tls_allports_setup(c) :
		    tls_single_setup(c);
	if (rc != 0) {
		rc = rc == -1 ? EXIT_PASS : rc;
		goto out;
	}
	if (c->helo[0] == '\0')
		cli_hostname(c->helo, sizeof(c->helo));
	c->pp.helo_name = c->helo;
	/* Side-by-side dialogs of many listeners make no readable
	 * transcript: --all-ports keeps none. */
	if (c->pp.all_ports)
		cm->transcript = 0;
	if (!c->max_time_given)
		c->pp.max_time_ms = c->pp.all_ports ? 240000 : 120000;
	c->pp.tls_policy = cm->net.tls_policy;
	c->pp.greeting_timeout_ms = cm->greeting_timeout_ms;
	c->pp.command_timeout_ms = cm->command_timeout_ms;
	rc = cli_run_report("tls", cm->json, cm->transcript, cm->verbose,
	    cm->color, run_tls, &c->pp);
out:
	cli_common_free(cm);
	free(c);
	return rc;
}
