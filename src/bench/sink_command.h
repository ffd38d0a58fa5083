/*
 * sink_command.h - the sink's reader of client command lines (RFC 5321
 * 4.1, RFC 2033 LHLO, RFC 3030 BDAT, RFC 1870 SIZE=, RFC 6152 BODY=,
 * RFC 6531 SMTPUTF8, RFC 4954 AUTH).  Takes one line without its CRLF
 * and classifies it; pointers in the result point into the line.  No
 * I/O, no allocation; fuzzed by fuzz/fuzz_sink_command.c.
 *
 * Lenient where a sink can afford it (unknown MAIL/RCPT parameters are
 * ignored, "FROM: <a>" with a space is taken), strict where the counts
 * depend on it (BDAT sizes, SIZE values).
 */
#ifndef MAILVET_BENCH_SINK_COMMAND_H
#define MAILVET_BENCH_SINK_COMMAND_H

#include "report/sink_stats.h"

#include <stddef.h>
#include <stdint.h>

enum sink_parse {
	SINK_PARSE_OK,
	SINK_PARSE_SYNTAX,   /* a known verb with bad arguments: 501 */
	SINK_PARSE_UNKNOWN,  /* not a command we know: 500 */
};

struct sink_command {
	enum sink_cmd cmd;
	const char *arg;        /* everything after the verb and spaces */
	size_t arg_len;
	/* MAIL, RCPT: the address between < and > (may be empty). */
	const char *addr;
	size_t addr_len;
	int has_size;           /* MAIL SIZE= */
	uint64_t size;
	int body_8bit;          /* MAIL BODY=8BITMIME */
	int smtputf8;           /* MAIL SMTPUTF8 */
	/* BDAT */
	uint64_t chunk_len;
	int last;
	/* AUTH: mechanism and optional initial response */
	const char *mech;
	size_t mech_len;
	const char *initial;
	size_t initial_len;
};

/* Classify line (n bytes, no CRLF).  c is always filled (cmd is
 * SINK_CMD_UNKNOWN for SINK_PARSE_UNKNOWN). */
enum sink_parse sink_command_parse(const char *line, size_t n,
    struct sink_command *c);

#endif
