/*
 * cmd_bench.h - the load generator's command line, shared by
 * `mailvet bench` (cmd_bench.c) and the smtp-benchmark compatible
 * `smtpsend` name (cmd_smtpsend.c), which translates its flags into
 * bench options.
 */
#ifndef MAILVET_CLI_CMD_BENCH_H
#define MAILVET_CLI_CMD_BENCH_H

/* Output styles of bench_cli_run. */
#define BENCH_OUT_BENCH    0   /* mailvet bench's report */
#define BENCH_OUT_SMTPSEND 1   /* smtpsend's summary, then bench's */

/* Run `mailvet bench` with argv (argv[0] is the command name); style
 * selects the report.  Returns the exit code. */
int bench_cli_run(int argc, char **argv, int style);

#endif
