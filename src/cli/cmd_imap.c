/*
 * cmd_imap.c - `mailvet imap URL`: one IMAP session, judged
 * (docs/mailvet-pop3-imap.md).
 */
#include "cli/cli.h"

#include "check/imap_probe.h"

#include <stdlib.h>
#include <string.h>

static const char imap_usage[] =
"usage: mailvet imap [options] URL\n"
"\n"
"Run one IMAP session and judge it: greeting, CAPABILITY, STARTTLS,\n"
"login (LOGIN or AUTHENTICATE), SELECT, then what is asked for.  URL is\n"
"imap://host[:port], imaps://host[:port] or host[:port].  A refused\n"
"login is explained from the server's response code (RFC 5530).\n"
"\n"
"Mailbox:\n"
"  --mailbox NAME         SELECT this mailbox (default INBOX)\n"
"  --examine              open it read-only (EXAMINE)\n"
"  --fetch N              FETCH message N (its whole text)\n"
"  --text                 with --fetch: the body only (BODY[TEXT])\n"
"  --search-header 'Name: value'   UID SEARCH HEADER Name value\n"
"  --delete-found         delete (and expunge) what --search-header found\n"
"  --max-message SIZE     refuse messages larger than SIZE (default 64m)\n"
"Without --user the session stops after CAPABILITY (and STARTTLS).\n";

enum {
	O_MAILBOX = 256, O_EXAMINE, O_FETCH, O_TEXT, O_SEARCH, O_DELETE,
	O_MAX_MESSAGE,
};

static const struct option imap_options[] = {
	{ "mailbox", required_argument, NULL, O_MAILBOX },
	{ "examine", no_argument, NULL, O_EXAMINE },
	{ "fetch", required_argument, NULL, O_FETCH },
	{ "text", no_argument, NULL, O_TEXT },
	{ "search-header", required_argument, NULL, O_SEARCH },
	{ "delete-found", no_argument, NULL, O_DELETE },
	{ "max-message", required_argument, NULL, O_MAX_MESSAGE },
	{ NULL, 0, NULL, 0 },
};

struct imap_cli {
	struct cli_common common;
	struct imap_probe_params pp;
	char search_name[128];
	const char *mailbox;
};

static int
imap_search(struct imap_cli *c, const char *v)
{
	const char *colon = strchr(v, ':');
	const char *val;
	size_t n;

	if (colon == NULL || colon == v || (size_t)(colon - v) >=
	    sizeof(c->search_name) || strpbrk(v, "\r\n"))
		return cli_usage_error("imap", "--search-header wants "
		    "'Name: value', not '%s'", v);
	n = (size_t)(colon - v);
	memcpy(c->search_name, v, n);
	c->search_name[n] = '\0';
	for (val = colon + 1; *val == ' ' || *val == '\t'; val++)
		;
	if (*val == '\0')
		return cli_usage_error("imap", "--search-header: no value "
		    "after '%s:'", c->search_name);
	c->pp.imap.search_header = c->search_name;
	c->pp.imap.search_value = val;
	return 0;
}

static int
imap_option(void *ctx, int ch, const char *v)
{
	struct imap_cli *c = ctx;
	struct imap_client_params *p = &c->pp.imap;
	uint64_t n = 0;
	const char *q;

	switch (ch) {
	case O_MAILBOX:
		if (v[0] == '\0' || strpbrk(v, "\r\n"))
			return cli_usage_error("imap", "--mailbox: not a "
			    "mailbox name");
		c->mailbox = v;
		return 0;
	case O_EXAMINE:
		p->examine = 1;
		return 0;
	case O_FETCH:
		for (q = v; *q >= '0' && *q <= '9' && n < 10000000000ull; q++)
			n = n * 10 + (uint64_t)(*q - '0');
		if (*q != '\0' || q == v || n == 0 || n > 4294967295ull)
			return cli_usage_error("imap", "--fetch takes a "
			    "message number (1, 2, ...), not '%s'", v);
		p->fetch = n;
		return 0;
	case O_TEXT:
		p->fetch_text = 1;
		return 0;
	case O_SEARCH:
		return imap_search(c, v);
	case O_DELETE:
		p->delete_found = 1;
		return 0;
	case O_MAX_MESSAGE:
		return cli_size("imap", "--max-message", v, &p->max_message);
	}
	return cli_usage_error("imap", "unknown option");
}

/* cli_run_report()'s view of the probe. */
static int
run_imap(const void *params, struct report *rep, struct mv_error *err)
{
	return imap_probe_run(params, rep, err);
}

int
cmd_imap(int argc, char **argv)
{
	struct imap_cli *c;
	struct cli_common *cm;
	int rc;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		fprintf(stderr, "mailvet imap: out of memory\n");
		return EXIT_INTERNAL;
	}
	cm = &c->common;
	cli_common_init(cm, "imap");
	rc = cli_common_parse(cm, argc, argv, imap_options, imap_usage,
	    imap_option, c);
	if (rc == 0)
		rc = cli_common_finish(cm, TARGET_SCHEME_IMAP);
	if (rc == 0 && cm->net.target.proto != TARGET_PROTO_IMAP)
		rc = cli_usage_error("imap", "%s is not an IMAP URL", cm->url);
	if (rc == 0 && c->pp.imap.delete_found && !c->pp.imap.search_header)
		rc = cli_usage_error("imap", "--delete-found deletes what "
		    "--search-header finds; give --search-header");
	if (rc == 0 && cm->user == NULL && (c->pp.imap.fetch ||
	    c->pp.imap.search_header || c->mailbox))
		rc = cli_usage_error("imap", "mailbox commands need a login: "
		    "give --user");
	if (rc != 0) {
		rc = rc == -1 ? EXIT_PASS : rc;
		goto out;
	}
	c->pp.net = cm->net;
	c->pp.imap.user = cm->user;
	c->pp.imap.pass = cm->user ? buf_cstr(&cm->password) : NULL;
	c->pp.imap.auth_mech = cm->auth_mech;
	c->pp.imap.show_secrets = cm->show_secrets;
	c->pp.imap.mailbox = cm->user ? (c->mailbox ? c->mailbox : "INBOX") :
	    NULL;
	c->pp.imap.greeting_timeout_ms = cm->greeting_timeout_ms;
	c->pp.imap.command_timeout_ms = cm->command_timeout_ms;
	rc = cli_run_report("imap", cm->json, cm->transcript, cm->verbose,
	    cm->color, run_imap, &c->pp);
out:
	cli_common_free(cm);
	free(c);
	return rc;
}
