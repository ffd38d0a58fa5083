/*
 * cmd_smtp.c - `mailvet smtp URL`: one SMTP/LMTP session, judged
 * (docs/mailvet-smtp.md).  Reads the SMTP-specific options (the common
 * ones are in cli_common.c), runs the probe and renders the report.
 */
#include "cli/cli.h"

#include "check/smtp_probe.h"

#include <stdlib.h>
#include <string.h>

#define SMTP_MAX_RCPT    1000
#define SMTP_MAX_HEADERS 100
#define SMTP_MAX_DATA    (64u * 1024 * 1024)

static const char smtp_usage[] =
"usage: mailvet smtp [options] URL\n"
"\n"
"Run one SMTP (or LMTP) session and judge every step: banner, EHLO,\n"
"STARTTLS, AUTH, MAIL, RCPT, DATA.  URL is smtp://host[:port],\n"
"smtps://, submission://, submissions://, lmtp://, host[:port],\n"
"[v6]:port or unix:/path.  AUTH is used when --user is given.\n"
"\n"
"Envelope and message:\n"
"  --from ADDR            envelope and header sender (default mailvet@HOST;\n"
"                         \"\" for the null sender)\n"
"  --to ADDR              recipient; repeat for several\n"
"  --helo NAME            name for EHLO/LHLO/HELO (default: this host)\n"
"  --lmtp                 speak LMTP (LHLO) whatever the URL says\n"
"  --subject TEXT         Subject of the generated message\n"
"  --header 'Name: value' extra header, replacing a generated one of the\n"
"                         same name; repeatable\n"
"  --body TEXT|@FILE      body of the generated message\n"
"  --data @FILE|-         send this complete message instead (RFC 5322)\n"
"  --pipelining           pipeline MAIL/RCPT/DATA when PIPELINING is offered\n"
"  --quit-after PHASE     stop after connect|banner|ehlo|starttls|auth|\n"
"                         mail|rcpt|data\n"
"  --data-timeout DUR     wait for the reply to the message (default 5m)\n";

enum {
	O_FROM = 256, O_TO, O_HELO, O_LMTP, O_SUBJECT, O_HEADER, O_BODY,
	O_DATA, O_PIPELINING, O_QUIT_AFTER, O_DATA_TIMEOUT,
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
	{ "data-timeout", required_argument, NULL, O_DATA_TIMEOUT },
	{ NULL, 0, NULL, 0 },
};

struct smtp_cli {
	struct cli_common common;
	struct smtp_probe_params pp;
	const char *rcpt[SMTP_MAX_RCPT];
	const char *headers[SMTP_MAX_HEADERS];
	char helo[256];
	char from[320];
	int lmtp;
	int data_timeout_given;
	struct buf body, data;
};

/* Address-like option values must not carry CR/LF/NUL or brackets that
 * would break the command line we send. */
static int
bad_address(const char *a)
{
	return strpbrk(a, "\r\n<>") != NULL || strlen(a) > 256;
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
smtp_option(void *ctx, int ch, const char *v)
{
	struct smtp_cli *c = ctx;
	struct smtp_probe_params *pp = &c->pp;
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
	case O_DATA_TIMEOUT:
		c->data_timeout_given = 1;
		return cli_duration("smtp", "--data-timeout", v,
		    &c->common.data_timeout_ms);
	}
	return cli_usage_error("smtp", "unknown option");
}

/* Cross-option checks once everything is parsed. */
static int
smtp_finish_options(struct smtp_cli *c)
{
	struct smtp_probe_params *pp = &c->pp;
	struct cli_common *cm = &c->common;
	int rc;

	if ((rc = cli_common_finish(cm, TARGET_SCHEME_SMTP)) != 0)
		return rc;
	if (cm->net.target.proto != TARGET_PROTO_SMTP &&
	    cm->net.target.proto != TARGET_PROTO_LMTP)
		return cli_usage_error("smtp", "%s is not an SMTP or LMTP URL",
		    cm->url);
	if (pp->smtp.nrcpt == 0 && pp->smtp.quit_after >= SMTP_PHASE_MAIL)
		return cli_usage_error("smtp", "say who receives the test "
		    "message with --to ADDR (or stop earlier with "
		    "--quit-after)");
	if (c->data.len && (c->body.len || pp->subject || pp->nheaders))
		return cli_usage_error("smtp", "--data sends a complete "
		    "message; it cannot be combined with --body, --subject "
		    "or --header");
	pp->net = cm->net;
	pp->smtp.lmtp = c->lmtp || cm->net.target.proto == TARGET_PROTO_LMTP;
	pp->smtp.auth_user = cm->user;
	pp->smtp.auth_pass = cm->user ? buf_cstr(&cm->password) : NULL;
	pp->smtp.auth_mech = cm->auth_mech;
	pp->smtp.auth_authzid = cm->authzid;
	pp->smtp.show_secrets = cm->show_secrets;
	pp->smtp.banner_timeout_ms = cm->greeting_timeout_ms;
	pp->smtp.command_timeout_ms = cm->command_timeout_ms;
	pp->smtp.data_timeout_ms = cm->data_timeout_ms;
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

/* cli_run_report()'s view of the probe. */
static int
run_smtp(const void *params, struct report *rep, struct mv_error *err)
{
	return smtp_probe_run(params, rep, err);
}

int
cmd_smtp(int argc, char **argv)
{
	struct smtp_cli *c;
	int rc;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		fprintf(stderr, "mailvet smtp: out of memory\n");
		return EXIT_INTERNAL;
	}
	cli_common_init(&c->common, "smtp");
	buf_init(&c->body, SMTP_MAX_DATA);
	buf_init(&c->data, SMTP_MAX_DATA);
	cli_hostname(c->helo, sizeof(c->helo));
	snprintf(c->from, sizeof(c->from), "mailvet@%s", c->helo);
	c->pp.smtp.quit_after = SMTP_PHASE_COUNT;
	rc = cli_common_parse(&c->common, argc, argv, smtp_options,
	    smtp_usage, smtp_option, c);
	if (rc == 0)
		rc = smtp_finish_options(c);
	if (rc != 0) {
		rc = rc == -1 ? EXIT_PASS : rc;
		goto out;
	}
	rc = cli_run_report("smtp", c->common.json, c->common.transcript,
	    c->common.verbose, c->common.color, run_smtp, &c->pp);
out:
	cli_common_free(&c->common);
	buf_free(&c->body);
	buf_free(&c->data);
	free(c);
	return rc;
}
