/*
 * fuzz_sink_command.c - libFuzzer target for bench/sink_command: any
 * line is classified without reading outside it, and the pointers it
 * returns lie inside the line.
 */
#include "bench/sink_command.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
inside(const char *line, size_t n, const char *p, size_t len)
{
	if (p == NULL)
		return;
	if (p < line || p + len > line + n)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sink_command c;
	enum sink_parse r;
	char *line = malloc(size + 1);

	if (line == NULL)
		return 0;
	memcpy(line, data, size);
	r = sink_command_parse(line, size, &c);
	if (r == SINK_PARSE_UNKNOWN && c.cmd != SINK_CMD_UNKNOWN)
		abort();
	if (r != SINK_PARSE_UNKNOWN && c.cmd == SINK_CMD_UNKNOWN)
		abort();
	inside(line, size, c.arg, c.arg_len);
	inside(line, size, c.addr, c.addr_len);
	inside(line, size, c.mech, c.mech_len);
	inside(line, size, c.initial, c.initial_len);
	free(line);
	return 0;
}
