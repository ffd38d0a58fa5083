/*
 * main.c - mailvet's entry point: the subcommand table, top-level help
 * and version.  Each subcommand parses its own options and returns the
 * exit code of the documented contract (docs/exit-codes.md).
 */
#include "cli/cli.h"

#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{ "smtp", cmd_smtp, "one SMTP/LMTP session, every step judged" },
	{ "pop3", cmd_pop3, "one POP3 session: login, STAT/LIST/RETR, "
	    "diagnosis" },
	{ "imap", cmd_imap, "one IMAP session: login, SELECT, SEARCH/FETCH, "
	    "diagnosis" },
	{ "deliver", cmd_deliver, "send a message, then find it in the "
	    "mailbox: time to inbox" },
	{ "tls", cmd_tls, "TLS diagnosis: chain, trust, expiry, versions, "
	    "STARTTLS policy" },
	{ "connect", cmd_connect, "interactive session, STARTTLS/implicit "
	    "TLS and certificate handled" },
	{ "relay", cmd_relay, "open-relay battery per vantage point, safe "
	    "by default; --confirm proves" },
	{ "ports", cmd_ports, "which ports answer, what answers, what should "
	    "not be there" },
	{ "log", cmd_log, "mail-log analysis: summary, one message's life, "
	    "--follow" },
	{ "bench", cmd_bench, "SMTP/LMTP load generator: pipelining, TLS, "
	    "AUTH, latency percentiles" },
	{ "sink", cmd_sink, "SMTP/LMTP sink: absorb, count, verify, inject "
	    "faults" },
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: mailvet COMMAND [options] TARGET\n\n"
	    "Validate a mail server the way a postmaster does by hand, with a "
	    "verdict\nand evidence for every check.\n\nCommands:\n");
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(f, "  %-10s %s\n", subcommands[i].name,
		    subcommands[i].summary);
	fprintf(f, "\nAs smtpsend and smtpsink (links to this program) it takes "
	    "smtp-benchmark's\nflags and runs bench and sink.\n");
	fprintf(f, "\n'mailvet COMMAND --help' describes a command's options."
	    "\nExit status: 0 pass, 1 finding, 2 usage, 3 could not test, "
	    "4 internal error.\n");
}

int
main(int argc, char **argv)
{
	size_t i;

	/* A server closing on us must be an error result, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	OPENSSL_init_ssl(0, NULL);
	/* Installed as links to this binary, smtp-benchmark's names take
	 * its flags (docs/mailvet-bench.md, docs/mailvet-sink.md). */
	{
		const char *base = strrchr(argv[0], '/');

		base = base ? base + 1 : argv[0];
		if (strcmp(base, "smtpsend") == 0)
			return cmd_smtpsend(argc, argv);
		if (strcmp(base, "smtpsink") == 0)
			return cmd_smtpsink(argc, argv);
	}
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_PASS;
	}
	if (strcmp(argv[1], "--version") == 0 ||
	    strcmp(argv[1], "version") == 0) {
		printf("mailvet %s (%s)\n", MAILVET_VERSION,
		    OpenSSL_version(OPENSSL_VERSION));
		return EXIT_PASS;
	}
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "mailvet: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
