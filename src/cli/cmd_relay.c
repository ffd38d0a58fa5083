/*
 * cmd_relay.c - `mailvet relay URL`: the open-relay battery from one or
 * more vantage points, safe by default (QUIT after RCPT, never DATA),
 * proven with --confirm (docs/mailvet-relay.md).  Reads the
 * relay-specific options (the common ones are in cli_common.c), runs
 * the probe and renders the report.
 */
#include "cli/cli.h"

#include "check/relay_battery.h"
#include "check/relay_probe.h"
#include "report/relay_report.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#define RELAY_DEFAULT_FOREIGN_DOMAIN "relay-test.mailvet.invalid"
#define RELAY_DEFAULT_FOREIGN_USER   "relay-test"
#define RELAY_DEFAULT_SENDER_USER    "mailvet"
#define RELAY_DEFAULT_SINK           "127.0.0.1:2526"

static const char relay_usage[] =
"usage: mailvet relay [options] URL\n"
"\n"
"Try to relay through an SMTP server with a battery of documented\n"
"attempts (foreign recipient, % hack, bang paths, quoted local parts,\n"
"source routes, IP literals, spoofed and null senders, case and\n"
"trailing-dot variants ...), one session each, from each --source.\n"
"Safe by default: every session ends with QUIT after RCPT, never DATA.\n"
"URL is smtp://host[:port], submission://, smtps://, host[:port] or\n"
"unix:/path.  `mailvet relay --list` prints the battery.\n"
"\n"
"Vantage points and expectations:\n"
"  --source ADDR          connect from this local address; repeat for a\n"
"                         column per address (at most 8)\n"
"  --expect-relay NET     relaying is permitted from this address or CIDR\n"
"                         network (the server's relay networks); repeatable\n"
"\n"
"Addresses:\n"
"  --domain DOMAIN        the server's own mail domain (default: from its\n"
"                         EHLO name, mail.example.org -> example.org)\n"
"  --foreign-domain D     the domain relaying is tried to (default\n"
"                         " RELAY_DEFAULT_FOREIGN_DOMAIN ")\n"
"  --foreign-user NAME    local part of foreign recipients (default\n"
"                         " RELAY_DEFAULT_FOREIGN_USER ")\n"
"  --confirm-rcpt ADDR    the foreign recipient, whole (sets both above)\n"
"  --sender-user NAME     local part of our foreign sender (default\n"
"                         " RELAY_DEFAULT_SENDER_USER ")\n"
"  --local-rcpt ADDR      a real mailbox of the server, for the control\n"
"                         attempt (default postmaster@DOMAIN)\n"
"  --local-sender ADDR    the spoofed local sender (default\n"
"                         postmaster@DOMAIN)\n"
"  --other-sender ADDR    with --auth-user: another local user's address,\n"
"                         to see whether the login may send as it\n"
"  --helo NAME            name for EHLO (default: this host)\n"
"\n"
"Proof:\n"
"  --confirm              send a tagged message for every attempt accepted\n"
"                         at RCPT and call it relayed only when it arrives\n"
"                         at mailvet's own sink\n"
"  --sink ADDR:PORT       where the sink listens: where the foreign domain\n"
"                         routes to (default " RELAY_DEFAULT_SINK ")\n"
"  --confirm-wait DUR     how long to wait for arrivals (default 20s)\n"
"  --data-timeout DUR     wait for the reply to a message (default 60s)\n"
"\n"
"Sessions:\n"
"  --concurrency N        sessions at once, 1..16 (default 2)\n"
"  --max-time DUR         stop the battery after this long (default 5m;\n"
"                         0: no limit); attempts left are reported as not\n"
"                         run.  The --confirm-wait comes on top.\n"
"  Relay's own defaults: --greeting-timeout and --command-timeout 30s\n"
"  (a tarpit holds every one of its sessions that long).\n"
"  --list                 print the battery and exit\n"
"\n"
"TLS: smtp:// URLs are tried in plaintext unless --tls is given (as an\n"
"abuser would); submission:// and --auth-user use STARTTLS when offered.\n";

enum {
	O_SOURCE = 256, O_EXPECT, O_DOMAIN, O_FOREIGN_DOMAIN, O_FOREIGN_USER,
	O_CONFIRM_RCPT, O_SENDER_USER, O_LOCAL_RCPT, O_LOCAL_SENDER,
	O_OTHER_SENDER, O_HELO, O_CONFIRM, O_SINK, O_CONFIRM_WAIT,
	O_DATA_TIMEOUT, O_CONCURRENCY, O_LIST, O_MAX_TIME,
};

static const struct option relay_options[] = {
	{ "source", required_argument, NULL, O_SOURCE },
	{ "expect-relay", required_argument, NULL, O_EXPECT },
	{ "domain", required_argument, NULL, O_DOMAIN },
	{ "foreign-domain", required_argument, NULL, O_FOREIGN_DOMAIN },
	{ "foreign-user", required_argument, NULL, O_FOREIGN_USER },
	{ "confirm-rcpt", required_argument, NULL, O_CONFIRM_RCPT },
	{ "sender-user", required_argument, NULL, O_SENDER_USER },
	{ "local-rcpt", required_argument, NULL, O_LOCAL_RCPT },
	{ "local-sender", required_argument, NULL, O_LOCAL_SENDER },
	{ "other-sender", required_argument, NULL, O_OTHER_SENDER },
	{ "helo", required_argument, NULL, O_HELO },
	{ "confirm", no_argument, NULL, O_CONFIRM },
	{ "sink", required_argument, NULL, O_SINK },
	{ "confirm-wait", required_argument, NULL, O_CONFIRM_WAIT },
	{ "data-timeout", required_argument, NULL, O_DATA_TIMEOUT },
	{ "concurrency", required_argument, NULL, O_CONCURRENCY },
	{ "list", no_argument, NULL, O_LIST },
	{ "max-time", required_argument, NULL, O_MAX_TIME },
	{ NULL, 0, NULL, 0 },
};

struct relay_cli {
	struct cli_common common;
	struct relay_probe_params pp;
	char helo[256];
	char confirm_user[65];
	char confirm_domain[256];
	int sink_given;
	int data_timeout_given;
	int list;
};

/* Whole addresses from options: nothing that breaks the command line. */
static int
bad_address(const char *a)
{
	return a[0] == '\0' || strpbrk(a, "\r\n<> ") != NULL ||
	    strlen(a) > 256 || strchr(a, '@') == NULL;
}

static int
is_ip(const char *a)
{
	unsigned char bin[16];

	return inet_pton(AF_INET, a, bin) == 1 ||
	    inet_pton(AF_INET6, a, bin) == 1;
}

static int
relay_address_option(const char *opt, const char *v, const char **dst)
{
	if (bad_address(v))
		return cli_usage_error("relay", "%s: not a usable address: "
		    "'%s'", opt, v);
	*dst = v;
	return 0;
}

static int
relay_confirm_rcpt(struct relay_cli *c, const char *v)
{
	const char *at = strrchr(v, '@');

	if (at == NULL || at == v || (size_t)(at - v) >=
	    sizeof(c->confirm_user) || strlen(at + 1) >=
	    sizeof(c->confirm_domain))
		return cli_usage_error("relay", "--confirm-rcpt wants "
		    "user@domain, not '%s'", v);
	snprintf(c->confirm_user, sizeof(c->confirm_user), "%.*s",
	    (int)(at - v), v);
	snprintf(c->confirm_domain, sizeof(c->confirm_domain), "%s", at + 1);
	if (!relay_local_part_valid(c->confirm_user) ||
	    !relay_domain_valid(c->confirm_domain))
		return cli_usage_error("relay", "--confirm-rcpt wants a plain "
		    "user@domain (letters, digits, dots, hyphens), not '%s'",
		    v);
	c->pp.foreign_user = c->confirm_user;
	c->pp.foreign_domain = c->confirm_domain;
	return 0;
}

static int
relay_option(void *ctx, int ch, const char *v)
{
	struct relay_cli *c = ctx;
	struct relay_probe_params *pp = &c->pp;
	uint64_t n;
	char *end;

	switch (ch) {
	case O_SOURCE:
		if (!is_ip(v))
			return cli_usage_error("relay", "--source takes a "
			    "local IP address, not '%s'", v);
		if (pp->nsources == RELAY_MAX_VANTAGE)
			return cli_usage_error("relay", "at most %d --source",
			    RELAY_MAX_VANTAGE);
		pp->sources[pp->nsources++] = v;
		return 0;
	case O_EXPECT:
		if (relay_addr_match(v, "0.0.0.0") == -1)
			return cli_usage_error("relay", "--expect-relay takes "
			    "an address or a network such as 192.0.2.0/24, "
			    "not '%s'", v);
		if (pp->nexpect == RELAY_MAX_EXPECT)
			return cli_usage_error("relay", "at most %d "
			    "--expect-relay", RELAY_MAX_EXPECT);
		pp->expect_relay[pp->nexpect++] = v;
		return 0;
	case O_DOMAIN:
		if (!relay_domain_valid(v))
			return cli_usage_error("relay", "--domain: not a "
			    "domain: '%s'", v);
		pp->domain = v;
		return 0;
	case O_FOREIGN_DOMAIN:
		if (!relay_domain_valid(v))
			return cli_usage_error("relay", "--foreign-domain: not "
			    "a domain: '%s'", v);
		pp->foreign_domain = v;
		return 0;
	case O_FOREIGN_USER:
	case O_SENDER_USER:
		if (!relay_local_part_valid(v))
			return cli_usage_error("relay", "%s: not a plain local "
			    "part: '%s'", ch == O_FOREIGN_USER ?
			    "--foreign-user" : "--sender-user", v);
		if (ch == O_FOREIGN_USER)
			pp->foreign_user = v;
		else
			pp->sender_user = v;
		return 0;
	case O_CONFIRM_RCPT:
		return relay_confirm_rcpt(c, v);
	case O_LOCAL_RCPT:
		return relay_address_option("--local-rcpt", v,
		    &pp->local_rcpt);
	case O_LOCAL_SENDER:
		return relay_address_option("--local-sender", v,
		    &pp->local_sender);
	case O_OTHER_SENDER:
		return relay_address_option("--other-sender", v,
		    &pp->other_sender);
	case O_HELO:
		if (v[0] == '\0' || strpbrk(v, "\r\n<> ") || strlen(v) > 255)
			return cli_usage_error("relay", "--helo: not a usable "
			    "name: '%s'", v);
		snprintf(c->helo, sizeof(c->helo), "%s", v);
		return 0;
	case O_CONFIRM:
		pp->confirm = 1;
		return 0;
	case O_SINK:
		if (strlen(v) > 80 || strchr(v, ':') == NULL)
			return cli_usage_error("relay", "--sink takes "
			    "ADDR:PORT such as 127.0.0.1:2526 or [::1]:2526, "
			    "not '%s'", v);
		pp->sink_listen = v;
		c->sink_given = 1;
		return 0;
	case O_CONFIRM_WAIT:
		return cli_duration("relay", "--confirm-wait", v,
		    &pp->confirm_wait_ms);
	case O_DATA_TIMEOUT:
		c->data_timeout_given = 1;
		return cli_duration("relay", "--data-timeout", v,
		    &c->common.data_timeout_ms);
	case O_CONCURRENCY:
		n = strtoull(v, &end, 10);
		if (v[0] < '0' || v[0] > '9' || *end != '\0' || n < 1 ||
		    n > RELAY_MAX_CONCURRENCY)
			return cli_usage_error("relay", "--concurrency takes "
			    "1 to %d, not '%s'", RELAY_MAX_CONCURRENCY, v);
		pp->concurrency = (unsigned)n;
		return 0;
	case O_LIST:
		c->list = 1;
		return 0;
	case O_MAX_TIME:
		if (strcmp(v, "0") == 0) {
			pp->max_time_ms = 0;	/* no limit */
			return 0;
		}
		return cli_duration("relay", "--max-time", v,
		    &pp->max_time_ms);
	}
	return cli_usage_error("relay", "unknown option");
}

/* `mailvet relay --list`: the battery, for people deciding to run it. */
static int
relay_list(void)
{
	const struct relay_attempt_def *t;
	size_t n, i;

	t = relay_battery_table(&n);
	printf("%-20s %-10s %-14s %-22s %s\n", "id", "kind", "MAIL FROM",
	    "RCPT TO", "what it tests");
	for (i = 0; i < n; i++)
		printf("%-20s %-10s %-14s %-22s %s\n", t[i].id,
		    relay_kind_name(t[i].kind), t[i].mail_from[0] ?
		    t[i].mail_from : "<>", t[i].rcpt, t[i].description);
	printf("\n%%u foreign user, %%f foreign domain, %%l the server's "
	    "domain, %%i its IP literal,\n%%s our sender, %%r the local "
	    "recipient, %%S/%%P the local sender (%%P: local part),\n%%a "
	    "the login's address, %%o --other-sender; upper case: the value "
	    "in capitals.\n");
	return EXIT_PASS;
}

static int
relay_finish_options(struct relay_cli *c)
{
	struct relay_probe_params *pp = &c->pp;
	struct cli_common *cm = &c->common;
	int rc;

	if ((rc = cli_common_finish(cm, TARGET_SCHEME_SMTP)) != 0)
		return rc;
	if (cm->net.target.proto != TARGET_PROTO_SMTP)
		return cli_usage_error("relay", "%s is not an SMTP URL (relay "
		    "tests take smtp://, submission://, smtps:// or "
		    "host:port)", cm->url);
	if (c->sink_given && !pp->confirm)
		return cli_usage_error("relay", "--sink only matters with "
		    "--confirm");
	if (pp->other_sender && cm->user == NULL)
		return cli_usage_error("relay", "--other-sender is for the "
		    "authenticated attempts: give --auth-user too");
	/* Relay abuse comes in plaintext; TLS on port 25 only when asked
	 * for, but submission and logins keep STARTTLS. */
	if (!cm->tls_given && !cm->net.target.implicit_tls &&
	    cm->user == NULL && cm->net.target.scheme == TARGET_SCHEME_SMTP)
		cm->net.tls_policy = TLS_POLICY_OFF;
	pp->net = cm->net;
	pp->net.source = NULL;
	pp->helo_name = c->helo;
	pp->auth_user = cm->user;
	pp->auth_pass = cm->user ? buf_cstr(&cm->password) : NULL;
	pp->auth_mech = cm->auth_mech;
	pp->auth_authzid = cm->authzid;
	pp->show_secrets = cm->show_secrets;
	pp->banner_timeout_ms = cm->greeting_timeout_ms;
	pp->command_timeout_ms = cm->command_timeout_ms;
	pp->data_timeout_ms = cm->data_timeout_ms;
	return 0;
}

/* cli_run_report()'s view of the probe. */
static int
run_relay(const void *params, struct report *rep, struct mv_error *err)
{
	return relay_probe_run(params, rep, err);
}

int
cmd_relay(int argc, char **argv)
{
	struct relay_cli *c;
	int rc;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		fprintf(stderr, "mailvet relay: out of memory\n");
		return EXIT_INTERNAL;
	}
	cli_common_init(&c->common, "relay");
	/* Shorter than the common defaults: 25 sessions per vantage, and a
	 * tarpit holds each for every phase timeout.  --timeout and the
	 * per-phase options still override these. */
	c->common.greeting_timeout_ms = 30000;
	c->common.command_timeout_ms = 30000;
	c->common.data_timeout_ms = 60000;
	c->pp.max_time_ms = 5 * 60 * 1000;
	cli_hostname(c->helo, sizeof(c->helo));
	c->pp.foreign_domain = RELAY_DEFAULT_FOREIGN_DOMAIN;
	c->pp.foreign_user = RELAY_DEFAULT_FOREIGN_USER;
	c->pp.sender_user = RELAY_DEFAULT_SENDER_USER;
	c->pp.sink_listen = RELAY_DEFAULT_SINK;
	c->pp.confirm_wait_ms = 20000;
	c->pp.concurrency = 2;
	/* --list needs no URL: look for it before the usual parse. */
	for (rc = 1; rc < argc; rc++)
		if (strcmp(argv[rc], "--list") == 0)
			c->common.no_url = 1;
	c->common.help_omit = CLI_HELP_TIME_DEFAULTS;
	c->common.example = "a URL such as smtp://mail.example.org";
	rc = cli_common_parse(&c->common, argc, argv, relay_options,
	    relay_usage, relay_option, c);
	if (rc == 0 && c->list && c->common.json)
		rc = cli_usage_error("relay", "--list prints the battery as a "
		    "table; it has no JSON form (docs/mailvet-relay.md lists "
		    "the attempts)");
	if (rc == 0 && c->list) {
		rc = relay_list();
		goto out;
	}
	if (rc == 0 && c->common.no_url)
		rc = cli_usage_error("relay", "which server? Give a URL such "
		    "as smtp://mail.example.org");
	if (rc == 0)
		rc = relay_finish_options(c);
	if (rc != 0) {
		rc = rc == -1 ? EXIT_PASS : rc;
		goto out;
	}
	rc = cli_run_report("relay", c->common.json, c->common.transcript,
	    c->common.verbose, c->common.color, run_relay, &c->pp);
out:
	cli_common_free(&c->common);
	free(c);
	return rc;
}
