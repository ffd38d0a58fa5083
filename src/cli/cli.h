/*
 * cli.h - shared pieces of the command-line layer, the only layer that
 * reads options, prints to the terminal and exits.  Exit codes follow
 * enum exit_code (report/report.h, docs/exit-codes.md).
 */
#ifndef MAILVET_CLI_CLI_H
#define MAILVET_CLI_CLI_H

#include "core/buf.h"
#include "report/render.h"
#include "report/report.h"

#include <stdint.h>
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
/* Our host name for EHLO and default addresses. */
void cli_hostname(char *out, size_t outsz);

int cmd_smtp(int argc, char **argv);

#endif
