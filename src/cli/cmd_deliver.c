/*
 * cmd_deliver.c - `mailvet deliver --via URL --check URL`: send a test
 * message, then find it in the mailbox and report the time to inbox
 * (docs/mailvet-deliver.md).
 */
#include "cli/cli.h"

#include "check/deliver.h"
#include "core/file.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char deliver_usage[] =
"usage: mailvet deliver --via URL --check URL --user USER [options]\n"
"\n"
"Submit a test message carrying a unique token through --via (SMTP,\n"
"submission, SMTPS or LMTP), then look for it in the mailbox at --check\n"
"(IMAP or POP3) until it arrives: reports the time to inbox, the submit\n"
"timings and the queue id.  --user and the password serve both sides.\n"
"\n"
"Delivery:\n"
"  --via URL              where to submit (submission://, smtps://, smtp://,\n"
"                         lmtp://)\n"
"  --check URL            where to look (imap://, imaps://, pop3://, pop3s://)\n"
"  --from ADDR            sender (default: --user)\n"
"  --to ADDR              recipient (default: --user)\n"
"  --via-auth yes|no      authenticate when submitting (default: yes for\n"
"                         submission, submissions and smtps; no otherwise)\n"
"  --mailbox NAME         IMAP mailbox to search (default INBOX)\n"
"  --wait DUR             how long to wait for the message (default: the\n"
"                         --timeout value, else 60s)\n"
"  --poll DUR             pause between mailbox sessions (default 250ms)\n"
"  --cleanup              delete the test message once found\n"
"  --log FILE             report the mail log lines of the queue id\n";

enum {
	O_VIA = 256, O_CHECK, O_FROM, O_TO, O_VIA_AUTH, O_MAILBOX, O_WAIT,
	O_POLL, O_CLEANUP, O_LOG, O_TIMEOUT_SEEN,
};

static const struct option deliver_options[] = {
	{ "via", required_argument, NULL, O_VIA },
	{ "check", required_argument, NULL, O_CHECK },
	{ "from", required_argument, NULL, O_FROM },
	{ "to", required_argument, NULL, O_TO },
	{ "via-auth", required_argument, NULL, O_VIA_AUTH },
	{ "mailbox", required_argument, NULL, O_MAILBOX },
	{ "wait", required_argument, NULL, O_WAIT },
	{ "poll", required_argument, NULL, O_POLL },
	{ "cleanup", no_argument, NULL, O_CLEANUP },
	{ "log", required_argument, NULL, O_LOG },
	{ NULL, 0, NULL, 0 },
};

struct deliver_cli {
	struct cli_common common;
	struct deliver_params dp;
	const char *via, *check, *from, *to, *mailbox, *log_path;
	int via_auth;                 /* -1: by scheme */
	int wait_given;
	char helo[256];
	const char *rcpt[1];
};

static int
deliver_option(void *ctx, int ch, const char *v)
{
	struct deliver_cli *c = ctx;

	switch (ch) {
	case O_VIA:
		c->via = v;
		return 0;
	case O_CHECK:
		c->check = v;
		return 0;
	case O_FROM:
	case O_TO:
		if (strpbrk(v, "\r\n<>") || strlen(v) > 256)
			return cli_usage_error("deliver", "%s: not a usable "
			    "address: '%s'", ch == O_FROM ? "--from" : "--to",
			    v);
		*(ch == O_FROM ? &c->from : &c->to) = v;
		return 0;
	case O_VIA_AUTH:
		if (strcasecmp(v, "yes") && strcasecmp(v, "no"))
			return cli_usage_error("deliver", "--via-auth takes "
			    "yes or no");
		c->via_auth = strcasecmp(v, "yes") == 0;
		return 0;
	case O_MAILBOX:
		c->mailbox = v;
		return 0;
	case O_WAIT:
		c->wait_given = 1;
		return cli_duration("deliver", "--wait", v, &c->dp.wait_ms);
	case O_POLL:
		return cli_duration("deliver", "--poll", v, &c->dp.poll_ms);
	case O_CLEANUP:
		c->dp.cleanup = 1;
		return 0;
	case O_LOG:
		c->log_path = v;
		return 0;
	}
	return cli_usage_error("deliver", "unknown option");
}

static int
deliver_targets(struct deliver_cli *c)
{
	struct cli_common *cm = &c->common;
	struct deliver_params *dp = &c->dp;
	struct probe_net box;
	enum target_scheme s;
	int rc;

	if (c->via == NULL || c->check == NULL)
		return cli_usage_error("deliver", "give both --via (where to "
		    "submit) and --check (where to look)");
	if ((rc = cli_target(cm, c->via, TARGET_SCHEME_SUBMISSION,
	    &dp->submit.net)) != 0)
		return rc;
	if (dp->submit.net.target.proto != TARGET_PROTO_SMTP &&
	    dp->submit.net.target.proto != TARGET_PROTO_LMTP)
		return cli_usage_error("deliver", "--via %s is not an SMTP, "
		    "submission or LMTP URL", c->via);
	if ((rc = cli_target(cm, c->check, TARGET_SCHEME_IMAP, &box)) != 0)
		return rc;
	if (box.target.proto != TARGET_PROTO_IMAP &&
	    box.target.proto != TARGET_PROTO_POP3)
		return cli_usage_error("deliver", "--check %s is not an IMAP "
		    "or POP3 URL", c->check);
	dp->box = box.target.proto;
	dp->imap.net = box;
	dp->pop3.net = box;
	s = dp->submit.net.target.scheme;
	if (c->via_auth < 0)
		c->via_auth = s == TARGET_SCHEME_SUBMISSION ||
		    s == TARGET_SCHEME_SUBMISSIONS || s == TARGET_SCHEME_SMTPS;
	return 0;
}

static int
deliver_finish(struct deliver_cli *c)
{
	struct cli_common *cm = &c->common;
	struct deliver_params *dp = &c->dp;
	struct mv_error err;
	int rc;

	if ((rc = deliver_targets(c)) != 0)
		return rc;
	if (cm->user == NULL)
		return cli_usage_error("deliver", "give --user: the mailbox "
		    "must be logged in to");
	if ((rc = cli_common_check(cm)) != 0)
		return rc;
	if (c->log_path && file_size(c->log_path, &dp->log_offset,
	    &err) == -1)
		return cli_usage_error("deliver", "--log: %s", err.msg);
	dp->log_path = c->log_path;
	c->rcpt[0] = c->to ? c->to : cm->user;
	dp->submit.smtp.rcpt = c->rcpt;
	dp->submit.smtp.nrcpt = 1;
	dp->submit.smtp.mail_from = c->from ? c->from : cm->user;
	dp->submit.smtp.helo_name = c->helo;
	dp->submit.smtp.quit_after = SMTP_PHASE_COUNT;
	dp->submit.smtp.lmtp = dp->submit.net.target.proto == TARGET_PROTO_LMTP;
	if (c->via_auth) {
		dp->submit.smtp.auth_user = cm->user;
		dp->submit.smtp.auth_pass = buf_cstr(&cm->password);
		dp->submit.smtp.auth_mech = cm->auth_mech;
	}
	dp->submit.smtp.show_secrets = cm->show_secrets;
	dp->submit.smtp.banner_timeout_ms = cm->greeting_timeout_ms;
	dp->submit.smtp.command_timeout_ms = cm->command_timeout_ms;
	dp->submit.smtp.data_timeout_ms = cm->data_timeout_ms;
	dp->submit.subject = "mailvet delivery test";
	dp->imap.imap.user = dp->pop3.pop3.user = cm->user;
	dp->imap.imap.pass = dp->pop3.pop3.pass = buf_cstr(&cm->password);
	dp->imap.imap.auth_mech = dp->pop3.pop3.auth_mech = cm->auth_mech;
	dp->imap.imap.show_secrets = dp->pop3.pop3.show_secrets =
	    cm->show_secrets;
	dp->imap.imap.mailbox = c->mailbox ? c->mailbox : "INBOX";
	dp->imap.imap.greeting_timeout_ms = dp->pop3.pop3.greeting_timeout_ms =
	    cm->greeting_timeout_ms;
	dp->imap.imap.command_timeout_ms = dp->pop3.pop3.command_timeout_ms =
	    cm->command_timeout_ms;
	return 0;
}

/* cli_run_report()'s view of the probe. */
static int
run_deliver(const void *params, struct report *rep, struct mv_error *err)
{
	return deliver_run(params, rep, err);
}

int
cmd_deliver(int argc, char **argv)
{
	struct deliver_cli *c;
	struct cli_common *cm;
	int rc;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		fprintf(stderr, "mailvet deliver: out of memory\n");
		return EXIT_INTERNAL;
	}
	cm = &c->common;
	cli_common_init(cm, "deliver");
	cm->no_url = 1;
	c->via_auth = -1;
	c->dp.poll_ms = 250;
	cli_hostname(c->helo, sizeof(c->helo));
	rc = cli_common_parse(cm, argc, argv, deliver_options, deliver_usage,
	    deliver_option, c);
	if (rc == 0)
		rc = deliver_finish(c);
	if (rc != 0) {
		rc = rc == -1 ? EXIT_PASS : rc;
		goto out;
	}
	/* --timeout 30s reads as "wait up to 30 s" here, as users expect. */
	if (!c->wait_given)
		c->dp.wait_ms = cm->timeout_given ? cm->timeout_ms : 60000;
	rc = cli_run_report("deliver", cm->json, cm->transcript, cm->verbose,
	    cm->color, run_deliver, &c->dp);
out:
	cli_common_free(cm);
	free(c);
	return rc;
}
