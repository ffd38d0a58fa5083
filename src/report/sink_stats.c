/*
 * sink_stats.c - command names, reset and merge for the sink's
 * measurements (sink_stats.h).  No I/O.
 */
#include "report/sink_stats.h"

#include <string.h>
#include <strings.h>

static const char *const cmd_names[SINK_CMD_COUNT] = {
	[SINK_CMD_CONNECT] = "connect",
	[SINK_CMD_HELO] = "helo",
	[SINK_CMD_EHLO] = "ehlo",
	[SINK_CMD_LHLO] = "lhlo",
	[SINK_CMD_MAIL] = "mail",
	[SINK_CMD_RCPT] = "rcpt",
	[SINK_CMD_DATA] = "data",
	[SINK_CMD_EOD] = "eod",
	[SINK_CMD_BDAT] = "bdat",
	[SINK_CMD_RSET] = "rset",
	[SINK_CMD_NOOP] = "noop",
	[SINK_CMD_QUIT] = "quit",
	[SINK_CMD_VRFY] = "vrfy",
	[SINK_CMD_STARTTLS] = "starttls",
	[SINK_CMD_AUTH] = "auth",
	[SINK_CMD_UNKNOWN] = "unknown",
};

const char *
sink_cmd_name(enum sink_cmd c)
{
	if ((unsigned)c >= SINK_CMD_COUNT)
		return "?";
	return cmd_names[c];
}

int
sink_cmd_from_name(const char *name)
{
	int i;

	if (strcasecmp(name, "dot") == 0)
		return SINK_CMD_EOD;
	if (strcasecmp(name, "banner") == 0)
		return SINK_CMD_CONNECT;
	for (i = 0; i < SINK_CMD_COUNT; i++)
		if (strcasecmp(name, cmd_names[i]) == 0)
			return i;
	return -1;
}

void
sink_stats_reset(struct sink_stats *s)
{
	memset(s, 0, sizeof(*s));
	histogram_reset(&s->txn_us);
	histogram_reset(&s->reply_us);
}

void
sink_stats_merge(struct sink_stats *dst, const struct sink_stats *src)
{
	int i;

#define ADD(f) dst->f += src->f
	ADD(connections);
	ADD(connections_open);
	ADD(connections_refused);
	ADD(idle_timeouts);
	ADD(peer_closed);
	ADD(closed_mid_data);
	for (i = 0; i < SINK_CMD_COUNT; i++) {
		ADD(commands[i]);
		ADD(fault_replies[i]);
		ADD(fault_delays[i]);
		ADD(fault_disconnects[i]);
	}
	ADD(rate_limited);
	ADD(tarpitted);
	ADD(messages);
	ADD(messages_rejected);
	ADD(deliveries);
	ADD(recipients);
	ADD(recipients_rejected);
	ADD(message_bytes);
	ADD(bytes_read);
	ADD(bytes_written);
	ADD(lines_too_long);
	ADD(syntax_errors);
	ADD(too_big);
	ADD(auth_ok);
	ADD(auth_failed);
	ADD(tls_ok);
	ADD(tls_failed);
	ADD(captured);
	ADD(capture_errors);
	ADD(capture_skipped);
	ADD(messages_unanswered);
	ADD(tokens);
	ADD(verify.ok);
	ADD(verify.duplicate);
	ADD(verify.corrupt);
	ADD(verify.malformed);
	ADD(verify.unmarked);
	ADD(verify.out_of_range);
#undef ADD
	histogram_merge(&dst->txn_us, &src->txn_us);
	histogram_merge(&dst->reply_us, &src->reply_us);
}
