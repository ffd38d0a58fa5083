/*
 * cli.h - shared pieces of the command-line layer, the only layer that
 * reads options, prints to the terminal and exits.  Exit codes follow
 * enum exit_code (report/report.h, docs/exit-codes.md).
 */
#ifndef MAILVET_CLI_CLI_H
#define MAILVET_CLI_CLI_H

#include "check/probe_net.h"
#include "core/buf.h"
#include "report/render.h"
#include "report/report.h"

#include <stdint.h>
#include <getopt.h>
#include <stdio.h>

/* Print "mailvet CMD: message" to stderr; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Read a whole file ("-" is stdin) up to max bytes into out. */
int cli_read_file(const char *path, size_t max, struct buf *out,
    char *why, size_t whysz);
/*
 * The password, from (in order) --password-file, $MAILVET_PASSWORD, or
 * a prompt on the terminal with echo off.  Never from argv.  One
 * trailing newline is removed.  Returns 0, or -1 with why filled.
 */
int cli_read_password(const char *file, const char *user, struct buf *out,
    char *why, size_t whysz);
/* Render the report (text or JSON) on stdout and return its exit code. */
int cli_output(const struct report *rep, int json, int transcript,
    int verbose, const char *color);
/*
 * Run a probe that fills a report, print the report and return its exit
 * code.  run() gets params (borrowed) and the report; a usage error it
 * returns (one only the target could reveal) is printed as such, any
 * other error goes into the report.  Shared by every checking command.
 */
int cli_run_report(const char *cmd, int json, int transcript, int verbose,
    const char *color, int (*run)(const void *params, struct report *rep,
    struct mv_error *err), const void *params);
/* Our host name for EHLO and default addresses. */
void cli_hostname(char *out, size_t outsz);

/*
 * Options every session command shares (network, TLS, timeouts,
 * credentials, output), parsed once here so that they mean the same in
 * every command.  Option values with ids >= CLI_COMMON_BASE are common.
 */
#define CLI_COMMON_BASE 1000

struct cli_common {
	const char *cmd;              /* "smtp", "pop3", ... */
	struct probe_net net;
	int tls_given;                /* --tls was on the command line */
	uint64_t greeting_timeout_ms;
	uint64_t command_timeout_ms;
	uint64_t data_timeout_ms;     /* smtp: the reply to the message */
	uint64_t timeout_ms;          /* --timeout, when timeout_given */
	int timeout_given;
	const char *user;             /* --user / --auth-user */
	const char *password_file;
	const char *auth_mech;
	const char *authzid;
	int show_secrets;
	int json, transcript, verbose;
	const char *color;
	struct buf password;          /* filled by cli_common_finish() */
	const char *url;
	int no_url;                   /* the command takes no positional URL */
	const char *example;          /* "which server?" hint, e.g. "a URL
				       * such as smtp://mail.example.org";
				       * NULL: "a URL such as CMD://..." */
	unsigned help_omit;           /* CLI_HELP_* sections left out */
};

/* Sections of the shared --help a command leaves out (help_omit). */
#define CLI_HELP_AUTH          0x1  /* the command does not log in */
#define CLI_HELP_TIME_DEFAULTS 0x2  /* its timeout defaults are its own */
#define CLI_HELP_OUTPUT        0x4  /* it has no report to shape */

void cli_common_init(struct cli_common *c, const char *cmd);
void cli_common_free(struct cli_common *c);
/*
 * Run getopt over argv with the command's own options plus the common
 * ones.  own_option() handles the command's options (ids below
 * CLI_COMMON_BASE) and returns 0 or EXIT_USAGE.  Takes the one URL.
 * Returns 0 to go on, -1 after printing help, or EXIT_USAGE.
 */
int cli_common_parse(struct cli_common *c, int argc, char **argv,
    const struct option *own, const char *usage,
    int (*own_option)(void *ctx, int ch, const char *v), void *ctx);
/* Parse the URL (default scheme dflt), cross-check the common options
 * against it and read the password when a user was given.  Returns 0
 * or EXIT_USAGE (message printed). */
int cli_common_finish(struct cli_common *c, enum target_scheme dflt);
/* Parse one target URL into n (a copy of the common network options),
 * with the same cross-checks; EXIT_USAGE when wrong. */
int cli_target(struct cli_common *c, const char *url, enum target_scheme dflt,
    struct probe_net *n);
/* The checks that do not depend on a target: files and password. */
int cli_common_check(struct cli_common *c);
/* "10s"-style value of option name into *ms, or EXIT_USAGE. */
int cli_duration(const char *cmd, const char *name, const char *v,
    uint64_t *ms);
/* "64k", "10m", "1g" or plain bytes into *bytes, or EXIT_USAGE. */
int cli_size(const char *cmd, const char *name, const char *v,
    size_t *bytes);

int cmd_smtp(int argc, char **argv);
int cmd_pop3(int argc, char **argv);
int cmd_imap(int argc, char **argv);
int cmd_deliver(int argc, char **argv);
int cmd_tls(int argc, char **argv);
int cmd_connect(int argc, char **argv);
int cmd_relay(int argc, char **argv);
int cmd_ports(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_smtpsend(int argc, char **argv);
int cmd_sink(int argc, char **argv);
int cmd_smtpsink(int argc, char **argv);

#endif
