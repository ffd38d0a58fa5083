/*
 * cmd_smtpsend.c - the `smtpsend` name (a link to mailvet): Marc
 * Balmer's smtp-benchmark flags, translated into `mailvet bench`
 * options, so that its users' command lines keep working
 * (docs/mailvet-bench.md):
 *
 *   smtpsend -s 1 -m 100 -b 512 -t 120 -p 25 -F from -T to -S subj -vv host
 *
 *   -s N  parallel senders (sessions)     -m N  messages per connection
 *   -b N  body size in bytes              -n N  send N messages
 *   -t N  run N seconds                   -p N  port (default 25)
 *   -F A  sender   -T A  recipient   -S T  subject   -v (-vv) verbose
 *   host  default 127.0.0.1
 *
 * Exactly one of -n and -t, as in smtp-benchmark.  Its summary ("Sent N
 * messages in S seconds", the rates, the average time) comes first,
 * then bench's own report.  Additions: --pipelining, --json and
 * --dry-run (print the equivalent mailvet bench command and stop).
 */
#include "cli/cli.h"
#include "cli/cmd_bench.h"

#include <stdlib.h>
#include <string.h>

#define SMTPSEND_ARGS 48

static const char smtpsend_usage[] =
"usage: smtpsend [options] [host]\n"
"options:\n"
"\t-s senders\tNumber of parallel senders\n"
"\t-m messages\tSend n messages per connection\n"
"\t-b bytes\tMessage size in bytes\n"
"\noperation modes (exactly one is required):\n"
"\t-n messages\tSend at least n messages\n"
"\t-t seconds\tRun for n seconds\n"
"\nmiscellaneous:\n"
"\t-p port\t\tPort number to connect to\n"
"\t-F from_address\tSpecify the senders e-mail address\n"
"\t-T to_address\tSpecify the recipients e-mail address\n"
"\t-S subject\tSpecify subject of the message\n"
"\t-v \t\tBe verbose (give twice to show more)\n"
"\nmailvet additions:\n"
"\t--pipelining\tpipeline when the server offers it\n"
"\t--json\t\tbench's JSON report instead of the text\n"
"\t--dry-run\tprint the equivalent 'mailvet bench' command and stop\n"
"(smtpsend is mailvet bench under another name: 'mailvet bench --help')\n";

struct smtpsend_opts {
	const char *senders, *per_conn, *bytes, *count, *seconds, *port;
	const char *from, *to, *subject, *host;
	int verbose, pipelining, json, dry_run;
};

/* A positive decimal, as smtp-benchmark's strtol checks. */
static int
smtpsend_number(char flag, const char *v)
{
	const char *p = v;

	if (*p == '\0')
		goto bad;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			goto bad;
	if (strlen(v) > 9 || strtoul(v, NULL, 10) == 0)
		goto bad;
	return 0;
bad:
	return cli_usage_error("smtpsend", "illegal number, -%c argument -- "
	    "%s", flag, v);
}

static int
smtpsend_parse(int argc, char **argv, struct smtpsend_opts *o)
{
	static const struct option longopts[] = {
		{ "pipelining", no_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'J' },
		{ "dry-run", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->host = "127.0.0.1";
	o->port = "25";
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "b:F:m:n:p:S:s:T:t:vh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'b':
			o->bytes = optarg;
			break;
		case 'F':
			o->from = optarg;
			break;
		case 'm':
			o->per_conn = optarg;
			break;
		case 'n':
			o->count = optarg;
			break;
		case 'p':
			o->port = optarg;
			break;
		case 'S':
			o->subject = optarg;
			break;
		case 's':
			o->senders = optarg;
			break;
		case 'T':
			o->to = optarg;
			break;
		case 't':
			o->seconds = optarg;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'P':
			o->pipelining = 1;
			break;
		case 'J':
			o->json = 1;
			break;
		case 'D':
			o->dry_run = 1;
			break;
		case 'h':
			fputs(smtpsend_usage, stdout);
			return -1;
		default:
			return cli_usage_error("smtpsend", "unknown or "
			    "incomplete option '%s'\n%s", argv[optind - 1],
			    smtpsend_usage);
		}
	}
	if (optind < argc - 1)
		return cli_usage_error("smtpsend", "one host only, got '%s' "
		    "too", argv[argc - 1]);
	if (optind == argc - 1)
		o->host = argv[optind];
	if ((o->count == NULL) == (o->seconds == NULL))
		return cli_usage_error("smtpsend", "give exactly one of -n "
		    "messages and -t seconds\n%s", smtpsend_usage);
	if ((o->senders && smtpsend_number('s', o->senders)) ||
	    (o->per_conn && smtpsend_number('m', o->per_conn)) ||
	    (o->bytes && smtpsend_number('b', o->bytes)) ||
	    (o->count && smtpsend_number('n', o->count)) ||
	    (o->seconds && smtpsend_number('t', o->seconds)) ||
	    smtpsend_number('p', o->port))
		return EXIT_USAGE;
	if (strtoul(o->port, NULL, 10) > 65535)
		return cli_usage_error("smtpsend", "-p %s: ports go up to "
		    "65535", o->port);
	if (strpbrk(o->host, "/[]@ ") != NULL || o->host[0] == '\0')
		return cli_usage_error("smtpsend", "not a host name or "
		    "address: '%s'", o->host);
	return 0;
}

int
cmd_smtpsend(int argc, char **argv)
{
	struct smtpsend_opts o;
	char *args[SMTPSEND_ARGS];
	char url[600], secs[32], body[32];
	int n = 0, rc, i;

	if ((rc = smtpsend_parse(argc, argv, &o)) != 0)
		return rc == -1 ? EXIT_PASS : rc;
	/* smtp-benchmark shows the traffic of one sender only. */
	if (o.verbose > 1 && o.senders && strcmp(o.senders, "1") != 0) {
		printf("limiting number of senders to one\n");
		o.senders = "1";
	}
	snprintf(url, sizeof(url), "smtp://%s%s%s:%s",
	    strchr(o.host, ':') ? "[" : "", o.host,
	    strchr(o.host, ':') ? "]" : "", o.port);
	args[n++] = "bench";
	args[n++] = url;
	args[n++] = "--sessions";
	args[n++] = (char *)(o.senders ? o.senders : "1");
	/* smtp-benchmark sends one message per connection by default. */
	args[n++] = "--messages-per-connection";
	args[n++] = (char *)(o.per_conn ? o.per_conn : "1");
	snprintf(body, sizeof(body), "%s", o.bytes ? o.bytes : "1024");
	args[n++] = "--size";
	args[n++] = body;
	if (o.count) {
		args[n++] = "--messages";
		args[n++] = (char *)o.count;
	} else {
		snprintf(secs, sizeof(secs), "%ss", o.seconds);
		args[n++] = "--duration";
		args[n++] = secs;
	}
	args[n++] = "--from";
	args[n++] = (char *)(o.from ? o.from : "smtpsend@localhost");
	args[n++] = "--to";
	args[n++] = (char *)(o.to ? o.to : "smtpsink@localhost");
	args[n++] = "--subject";
	args[n++] = (char *)(o.subject ? o.subject : "smtpsend");
	/* smtp-benchmark speaks plain SMTP. */
	args[n++] = "--tls";
	args[n++] = "off";
	if (o.pipelining)
		args[n++] = "--pipelining";
	if (o.json)
		args[n++] = "--json";
	if (o.verbose == 0 && !o.dry_run) {
		args[n++] = "--interval";
		args[n++] = "0";
	}
	args[n] = NULL;
	if (o.dry_run) {
		printf("mailvet");
		for (i = 0; i < n; i++)
			printf(" %s%s%s", strpbrk(args[i], " \t'\"") ? "'" : "",
			    args[i], strpbrk(args[i], " \t'\"") ? "'" : "");
		printf("\n");
		return EXIT_PASS;
	}
	if (o.verbose)
		printf("starting benchmark\n");
	fflush(stdout);
	return bench_cli_run(n, args, BENCH_OUT_SMTPSEND);
}
