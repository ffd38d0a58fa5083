/*
 * sink_command.c - classify one client command line for the sink (see
 * sink_command.h).  Pure; a table of verbs, then per-verb arguments.
 */
#include "bench/sink_command.h"

#include <string.h>
#include <strings.h>

static const struct {
	const char *verb;
	enum sink_cmd cmd;
} verbs[] = {
	{ "HELO", SINK_CMD_HELO },
	{ "EHLO", SINK_CMD_EHLO },
	{ "LHLO", SINK_CMD_LHLO },
	{ "MAIL", SINK_CMD_MAIL },
	{ "RCPT", SINK_CMD_RCPT },
	{ "DATA", SINK_CMD_DATA },
	{ "BDAT", SINK_CMD_BDAT },
	{ "RSET", SINK_CMD_RSET },
	{ "NOOP", SINK_CMD_NOOP },
	{ "QUIT", SINK_CMD_QUIT },
	{ "VRFY", SINK_CMD_VRFY },
	{ "STARTTLS", SINK_CMD_STARTTLS },
	{ "AUTH", SINK_CMD_AUTH },
};

static int
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Decimal, 1..19 digits (fits in int64), whole token. */
static int
decimal(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 19)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* "FROM:<addr> params" / "TO:<addr> params": prefix is "FROM:" or
 * "TO:".  Sets addr and returns the offset of the parameters. */
static int
path(struct sink_command *c, const char *prefix, size_t *rest)
{
	size_t pl = strlen(prefix), i;
	const char *gt;

	if (c->arg_len < pl || strncasecmp(c->arg, prefix, pl) != 0)
		return -1;
	i = pl;
	while (i < c->arg_len && is_space(c->arg[i]))
		i++;
	if (i == c->arg_len || c->arg[i] != '<')
		return -1;
	gt = memchr(c->arg + i, '>', c->arg_len - i);
	if (gt == NULL)
		return -1;
	c->addr = c->arg + i + 1;
	c->addr_len = (size_t)(gt - c->addr);
	*rest = (size_t)(gt - c->arg) + 1;
	if (*rest < c->arg_len && !is_space(c->arg[*rest]))
		return -1;
	return 0;
}

/* MAIL parameters: SIZE=, BODY=, SMTPUTF8; others are ignored. */
static int
mail_params(struct sink_command *c, size_t i)
{
	const char *s = c->arg, *tok;
	size_t n = c->arg_len, tl;

	for (;;) {
		while (i < n && is_space(s[i]))
			i++;
		if (i == n)
			return 0;
		tok = s + i;
		while (i < n && !is_space(s[i]))
			i++;
		tl = (size_t)(s + i - tok);
		if (tl > 5 && strncasecmp(tok, "SIZE=", 5) == 0) {
			if (decimal(tok + 5, tl - 5, &c->size) == -1)
				return -1;
			c->has_size = 1;
		} else if (tl == 5 && strncasecmp(tok, "SIZE=", 5) == 0) {
			return -1;
		} else if (tl > 5 && strncasecmp(tok, "BODY=", 5) == 0) {
			if (tl == 13 &&
			    strncasecmp(tok + 5, "8BITMIME", 8) == 0)
				c->body_8bit = 1;
			else if (!(tl == 9 &&
			    strncasecmp(tok + 5, "7BIT", 4) == 0))
				return -1;
		} else if (tl == 8 && strncasecmp(tok, "SMTPUTF8", 8) == 0) {
			c->smtputf8 = 1;
		}
	}
}

static int
bdat_args(struct sink_command *c)
{
	const char *s = c->arg, *e = c->arg + c->arg_len, *t;

	t = s;
	while (t < e && !is_space(*t))
		t++;
	if (decimal(s, (size_t)(t - s), &c->chunk_len) == -1)
		return -1;
	while (t < e && is_space(*t))
		t++;
	if (t == e)
		return 0;
	if (e - t == 4 && strncasecmp(t, "LAST", 4) == 0) {
		c->last = 1;
		return 0;
	}
	return -1;
}

static int
auth_args(struct sink_command *c)
{
	const char *s = c->arg, *e = c->arg + c->arg_len, *t;

	t = s;
	while (t < e && !is_space(*t))
		t++;
	if (t == s)
		return -1;
	c->mech = s;
	c->mech_len = (size_t)(t - s);
	while (t < e && is_space(*t))
		t++;
	if (t < e) {
		c->initial = t;
		c->initial_len = (size_t)(e - t);
		while (c->initial_len > 0 &&
		    is_space(c->initial[c->initial_len - 1]))
			c->initial_len--;
	}
	return 0;
}

enum sink_parse
sink_command_parse(const char *line, size_t n, struct sink_command *c)
{
	size_t i, vl, vi;
	int r = 0;

	memset(c, 0, sizeof(*c));
	c->cmd = SINK_CMD_UNKNOWN;
	for (vl = 0; vl < n && !is_space(line[vl]); vl++)
		;
	for (vi = 0; vi < sizeof(verbs) / sizeof(verbs[0]); vi++)
		if (strlen(verbs[vi].verb) == vl &&
		    strncasecmp(line, verbs[vi].verb, vl) == 0)
			break;
	if (vi == sizeof(verbs) / sizeof(verbs[0]))
		return SINK_PARSE_UNKNOWN;
	c->cmd = verbs[vi].cmd;
	i = vl;
	while (i < n && is_space(line[i]))
		i++;
	c->arg = line + i;
	c->arg_len = n - i;
	while (c->arg_len > 0 && is_space(c->arg[c->arg_len - 1]))
		c->arg_len--;

	switch (c->cmd) {
	case SINK_CMD_HELO:
	case SINK_CMD_EHLO:
	case SINK_CMD_LHLO:
	case SINK_CMD_VRFY:
		r = c->arg_len == 0 ? -1 : 0;
		break;
	case SINK_CMD_MAIL:
		r = path(c, "FROM:", &i);
		if (r == 0)
			r = mail_params(c, i);
		break;
	case SINK_CMD_RCPT:
		r = path(c, "TO:", &i);
		if (r == 0 && c->addr_len == 0)
			r = -1;
		break;
	case SINK_CMD_DATA:
	case SINK_CMD_STARTTLS:
		r = c->arg_len == 0 ? 0 : -1;
		break;
	case SINK_CMD_BDAT:
		r = bdat_args(c);
		break;
	case SINK_CMD_AUTH:
		r = auth_args(c);
		break;
	default: /* RSET, NOOP, QUIT: arguments ignored */
		break;
	}
	return r == 0 ? SINK_PARSE_OK : SINK_PARSE_SYNTAX;
}
