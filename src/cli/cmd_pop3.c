/*
 * cmd_pop3.c - `mailvet pop3 URL`: one POP3 session, judged
 * (docs/mailvet-pop3-imap.md).
 */
#include "cli/cli.h"

#include "check/pop3_probe.h"

#include <stdlib.h>
#include <string.h>

static const char pop3_usage[] =
"usage: mailvet pop3 [options] URL\n"
"\n"
"Run one POP3 session and judge it: greeting, CAPA, STLS, login (USER/\n"
"PASS or AUTH), then the mailbox commands asked for.  URL is\n"
"pop3://host[:port], pop3s://host[:port] or host[:port].  A refused\n"
"login is explained from the server's response code (RFC 3206).\n"
"\n"
"Mailbox:\n"
"  --list                 LIST the messages (sizes)\n"
"  --uidl                 UIDL the messages (unique ids)\n"
"  --retr N               RETR message N\n"
"  --top N                TOP message N (with --top-lines, default 0)\n"
"  --top-lines K          body lines for --top\n"
"  --dele N               DELE message N (removed when the session ends)\n"
"  --find-token TOKEN     look for the message mailvet sent with TOKEN\n"
"  --max-message SIZE     refuse messages larger than SIZE (default 64m)\n"
"STAT is always sent after login.  Without --user the session stops\n"
"after CAPA (and STLS).\n";

enum {
	O_LIST = 256, O_UIDL, O_RETR, O_TOP, O_TOP_LINES, O_DELE, O_FIND,
	O_MAX_MESSAGE,
};

static const struct option pop3_options[] = {
	{ "list", no_argument, NULL, O_LIST },
	{ "uidl", no_argument, NULL, O_UIDL },
	{ "retr", required_argument, NULL, O_RETR },
	{ "top", required_argument, NULL, O_TOP },
	{ "top-lines", required_argument, NULL, O_TOP_LINES },
	{ "dele", required_argument, NULL, O_DELE },
	{ "find-token", required_argument, NULL, O_FIND },
	{ "max-message", required_argument, NULL, O_MAX_MESSAGE },
	{ NULL, 0, NULL, 0 },
};

struct pop3_cli {
	struct cli_common common;
	struct pop3_probe_params pp;
};

/* Message numbers are 1-based and fit in 32 bits in practice. */
static int
msg_number(const char *opt, const char *v, uint64_t *out)
{
	uint64_t n = 0;
	const char *p;

	for (p = v; *p >= '0' && *p <= '9' && n < 10000000000ull; p++)
		n = n * 10 + (uint64_t)(*p - '0');
	if (*p != '\0' || p == v || n == 0 || n > 4294967295ull)
		return cli_usage_error("pop3", "%s takes a message number "
		    "(1, 2, ...), not '%s'", opt, v);
	*out = n;
	return 0;
}

static int
pop3_option(void *ctx, int ch, const char *v)
{
	struct pop3_cli *c = ctx;
	struct pop3_client_params *p = &c->pp.pop3;
	uint64_t lines;

	switch (ch) {
	case O_LIST:
		p->list = 1;
		return 0;
	case O_UIDL:
		p->uidl = 1;
		return 0;
	case O_RETR:
		return msg_number("--retr", v, &p->retr);
	case O_TOP:
		return msg_number("--top", v, &p->top);
	case O_TOP_LINES:
		if (strcmp(v, "0") == 0) {
			p->top_lines = 0;
			return 0;
		}
		if (msg_number("--top-lines", v, &lines))
			return EXIT_USAGE;
		p->top_lines = lines;
		return 0;
	case O_DELE:
		return msg_number("--dele", v, &p->dele);
	case O_FIND:
		if (strpbrk(v, " \r\n") || v[0] == '\0')
			return cli_usage_error("pop3", "--find-token: not a "
			    "token: '%s'", v);
		p->find_token = v;
		return 0;
	case O_MAX_MESSAGE:
		return cli_size("pop3", "--max-message", v, &p->max_message);
	}
	return cli_usage_error("pop3", "unknown option");
}

/* cli_run_report()'s view of the probe. */
static int
run_pop3(const void *params, struct report *rep, struct mv_error *err)
{
	return pop3_probe_run(params, rep, err);
}

int
cmd_pop3(int argc, char **argv)
{
	struct pop3_cli *c;
	struct cli_common *cm;
	int rc;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		fprintf(stderr, "mailvet pop3: out of memory\n");
		return EXIT_INTERNAL;
	}
	cm = &c->common;
	cli_common_init(cm, "pop3");
	rc = cli_common_parse(cm, argc, argv, pop3_options, pop3_usage,
	    pop3_option, c);
	if (rc == 0)
		rc = cli_common_finish(cm, TARGET_SCHEME_POP3);
	if (rc == 0 && cm->net.target.proto != TARGET_PROTO_POP3)
		rc = cli_usage_error("pop3", "%s is not a POP3 URL", cm->url);
	if (rc == 0 && cm->user == NULL && (c->pp.pop3.list ||
	    c->pp.pop3.uidl || c->pp.pop3.retr || c->pp.pop3.top ||
	    c->pp.pop3.dele || c->pp.pop3.find_token))
		rc = cli_usage_error("pop3", "mailbox commands need a login: "
		    "give --user");
	if (rc != 0) {
		rc = rc == -1 ? EXIT_PASS : rc;
		goto out;
	}
	c->pp.net = cm->net;
	c->pp.pop3.user = cm->user;
	c->pp.pop3.pass = cm->user ? buf_cstr(&cm->password) : NULL;
	c->pp.pop3.auth_mech = cm->auth_mech;
	c->pp.pop3.show_secrets = cm->show_secrets;
	c->pp.pop3.stat = cm->user != NULL;
	c->pp.pop3.greeting_timeout_ms = cm->greeting_timeout_ms;
	c->pp.pop3.command_timeout_ms = cm->command_timeout_ms;
	rc = cli_run_report("pop3", cm->json, cm->transcript, cm->verbose,
	    cm->color, run_pop3, &c->pp);
out:
	cli_common_free(cm);
	free(c);
	return rc;
}
