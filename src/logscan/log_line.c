/*
 * log_line.c - syslog / RFC 3339 / maillog_file / Dovecot log_path
 * prefix parser (see log_line.h).  This is the hot path of `mailvet
 * log`: one pass over the prefix, no allocation, and the local-time
 * conversion cached per day so mktime() runs once a day of log.
 */
#define _GNU_SOURCE /* memmem */
#include "logscan/log_line.h"

#include <string.h>

void
log_clock_init(struct log_clock *c, time_t ref_s)
{
	memset(c, 0, sizeof(*c));
	c->ref_s = ref_s;
	c->day_key = -1;
}

static int
digits(const char *s, size_t n, int *out)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
month_of(const char *s)
{
	switch (s[0]) {
	case 'J':
		if (s[1] == 'a' && s[2] == 'n')
			return 1;
		if (s[1] == 'u' && s[2] == 'n')
			return 6;
		if (s[1] == 'u' && s[2] == 'l')
			return 7;
		return 0;
	case 'F':
		return s[1] == 'e' && s[2] == 'b' ? 2 : 0;
	case 'M':
		if (s[1] == 'a' && s[2] == 'r')
			return 3;
		return s[1] == 'a' && s[2] == 'y' ? 5 : 0;
	case 'A':
		if (s[1] == 'p' && s[2] == 'r')
			return 4;
		return s[1] == 'u' && s[2] == 'g' ? 8 : 0;
	case 'S':
		return s[1] == 'e' && s[2] == 'p' ? 9 : 0;
	case 'O':
		return s[1] == 'c' && s[2] == 't' ? 10 : 0;
	case 'N':
		return s[1] == 'o' && s[2] == 'v' ? 11 : 0;
	case 'D':
		return s[1] == 'e' && s[2] == 'c' ? 12 : 0;
	}
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (UTC). */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Local midnight of y-m-d in UTC seconds, cached for the last day. */
static int64_t
local_day(struct log_clock *c, int y, int m, int d)
{
	int64_t key = (int64_t)y * 10000 + m * 100 + d;
	struct tm tm;

	if (key == c->day_key)
		return c->day_base_s;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = 12;     /* noon: never inside a DST gap */
	tm.tm_isdst = -1;
	c->day_base_s = (int64_t)mktime(&tm) - 12 * 3600;
	c->day_key = key;
	return c->day_base_s;
}

static int
clock_year(struct log_clock *c, int mon)
{
	struct tm ref;
	time_t r = c->ref_s;

	if (c->year == 0) {
		if (localtime_r(&r, &ref) == NULL)
			return 1970;
		c->year = ref.tm_year + 1900;
		if (mon > ref.tm_mon + 1)
			c->year--;
	} else if (mon < c->last_mon) {
		/*
		 * Only a big step back is a new year (Dec -> Jan).  A line
		 * or two written out of order at a month boundary (Oct 31
		 * 23:59:59 after Nov 1 00:00:00) is the same year, and is
		 * not remembered: the next in-order line continues from
		 * the later month.
		 */
		if (c->last_mon - mon < 6)
			return c->year;
		c->year++;
	}
	c->last_mon = mon;
	return c->year;
}

static int
valid_time(int mon, int day, int h, int mi, int sec)
{
	return mon >= 1 && mon <= 12 && day >= 1 && day <= 31 && h <= 23 &&
	    mi <= 59 && sec <= 60;
}

/* "Nov 25 16:19:49" (day may be " 5"); returns bytes used or -1. */
static int
parse_bsd(const char *s, size_t n, struct log_clock *c, struct log_line *l)
{
	int mon, day, h, mi, sec;

	if (n < 15 || s[3] != ' ' || s[6] != ' ' || s[9] != ':' ||
	    s[12] != ':')
		return -1;
	if ((mon = month_of(s)) == 0)
		return -1;
	if (s[4] == ' ') {
		if (digits(s + 5, 1, &day) == -1)
			return -1;
	} else if (digits(s + 4, 2, &day) == -1)
		return -1;
	if (digits(s + 7, 2, &h) == -1 || digits(s + 10, 2, &mi) == -1 ||
	    digits(s + 13, 2, &sec) == -1 || !valid_time(mon, day, h, mi,
	    sec))
		return -1;
	l->ts_us = (local_day(c, clock_year(c, mon), mon, day) +
	    h * 3600 + mi * 60 + sec) * 1000000;
	l->ts_has_zone = 0;
	return 15;
}

/* "2026-11-25T16:19:49[.123456][Z|+01:00]" or with a space for 'T'. */
static int
parse_iso(const char *s, size_t n, struct log_clock *c, struct log_line *l)
{
	int y, mon, day, h, mi, sec, oh, om, sign;
	size_t i = 19, fd = 0;
	int64_t frac_us = 0, t;

	if (n < 19 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
		return -1;
	if (digits(s, 4, &y) == -1 || digits(s + 5, 2, &mon) == -1 ||
	    digits(s + 8, 2, &day) == -1 || digits(s + 11, 2, &h) == -1 ||
	    digits(s + 14, 2, &mi) == -1 || digits(s + 17, 2, &sec) == -1 ||
	    !valid_time(mon, day, h, mi, sec) || y < 1970 || y > 9999)
		return -1;
	if (i < n && (s[i] == '.' || s[i] == ',')) {
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, fd++)
			if (fd < 6)
				frac_us = frac_us * 10 + (s[i] - '0');
		if (fd == 0)
			return -1;
		for (; fd < 6; fd++)
			frac_us *= 10;
	}
	t = days_from_civil(y, mon, day) * 86400 + h * 3600 + mi * 60 + sec;
	if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
		l->ts_has_zone = 1;
		i++;
	} else if (i + 5 <= n && (s[i] == '+' || s[i] == '-')) {
		/* "+01:00" (RFC 3339) or "+0100" (journalctl -o short-iso) */
		size_t colon = s[i + 3] == ':';

		sign = s[i] == '-' ? -1 : 1;
		if (i + 5 + colon > n || digits(s + i + 1, 2, &oh) == -1 ||
		    digits(s + i + 3 + colon, 2, &om) == -1 || oh > 23 ||
		    om > 59)
			return -1;
		t -= sign * (oh * 3600 + om * 60);
		l->ts_has_zone = 1;
		i += 5 + colon;
	} else {
		/* No zone: local time, as the server wrote it. */
		t = local_day(c, y, mon, day) + h * 3600 + mi * 60 + sec;
		l->ts_has_zone = 0;
	}
	l->ts_us = t * 1000000 + frac_us;
	return (int)i;
}

/* ": " in [p, p + n): memchr for the colon beats memmem here. */
static const char *
find_colon_sp(const char *p, size_t n)
{
	const char *e = p + n, *c;

	while (p < e && (c = memchr(p, ':', (size_t)(e - p))) != NULL) {
		if (c + 1 < e && c[1] == ' ')
			return c;
		p = c + 1;
	}
	return NULL;
}

static const char *const dovecot_procs[] = {
	"imap-login", "pop3-login", "submission-login", "managesieve-login",
	"imap", "pop3", "lmtp", "lda", "auth", "auth-worker", "master",
	"submission", "managesieve", "config", "log", "anvil", "dict",
	"indexer", "indexer-worker", "stats", "doveadm", "replicator",
	"aggregator", "quota-status", "imap-urlauth", "director",
};

static int
dovecot_proc(struct log_str name)
{
	size_t i;

	for (i = 0; i < sizeof(dovecot_procs) / sizeof(dovecot_procs[0]); i++)
		if (strlen(dovecot_procs[i]) == name.n &&
		    memcmp(dovecot_procs[i], name.p, name.n) == 0)
			return 1;
	return 0;
}

static const char *const postfix_daemons[] = {
	"smtpd", "cleanup", "qmgr", "oqmgr", "smtp", "lmtp", "local",
	"virtual", "pipe", "bounce", "defer", "trace", "postscreen", "pickup",
	"error", "retry", "discard", "master", "anvil", "scache", "tlsmgr",
	"tlsproxy", "dnsblog", "verify", "flush", "showq", "sendmail",
	"postdrop", "postsuper", "postqueue", "trivial-rewrite", "proxymap",
	"postfix-script", "postlogd", "spawn", "qmqpd", "postmap",
};

static int
postfix_daemon(struct log_str name)
{
	size_t i;

	for (i = 0; i < sizeof(postfix_daemons) / sizeof(postfix_daemons[0]);
	    i++)
		if (strlen(postfix_daemons[i]) == name.n &&
		    memcmp(postfix_daemons[i], name.p, name.n) == 0)
			return 1;
	return 0;
}

/* Dovecot prefix "lmtp(user)<pid><sess>" -> service "lmtp". */
static void
dovecot_service(struct log_line *l)
{
	size_t i;

	for (i = 0; i < l->dprefix.n; i++)
		if (l->dprefix.p[i] == '(' || l->dprefix.p[i] == '<')
			break;
	l->service = log_str_make(l->dprefix.p, i);
}

static void
dovecot_level(struct log_line *l)
{
	const char *m = l->msg.p;
	size_t n = l->msg.n, skip = 0;

	if (LOG_STARTS(m, n, "Info: "))
		skip = 6;
	else if (LOG_STARTS(m, n, "Warning: "))
		skip = 9;
	else if (LOG_STARTS(m, n, "Error: "))
		skip = 7;
	else if (LOG_STARTS(m, n, "Fatal: "))
		skip = 7;
	else if (LOG_STARTS(m, n, "Panic: "))
		skip = 7;
	else if (LOG_STARTS(m, n, "Debug: "))
		skip = 7;
	if (skip) {
		l->level = m[0];
		l->msg.p += skip;
		l->msg.n -= skip;
	}
}

/* Split "name[pid]" into name and pid; -1 when malformed. */
static int
split_pid(struct log_str prog, struct log_str *name, long *pid)
{
	size_t i;
	long v = 0;

	*pid = -1;
	*name = prog;
	if (prog.n == 0 || prog.p[prog.n - 1] != ']')
		return memchr(prog.p, '[', prog.n) != NULL ? -1 : 0;
	for (i = prog.n - 1; i > 0 && prog.p[i - 1] != '['; i--)
		;
	if (i == 0)
		return -1;
	name->n = i - 1;
	for (; i < prog.n - 1; i++) {
		if (prog.p[i] < '0' || prog.p[i] > '9' || v > 100000000)
			return -1;
		v = v * 10 + (prog.p[i] - '0');
	}
	*pid = v;
	return 0;
}

static void
classify(struct log_line *l, struct log_str name)
{
	size_t i;
	struct log_str last;

	for (i = name.n; i > 0 && name.p[i - 1] != '/'; i--)
		;
	last = log_str_make(name.p + i, name.n - i);
	if (LOG_STARTS(name.p, name.n, "postfix") ||
	    (i > 0 && postfix_daemon(last))) {
		l->src = LOG_SRC_POSTFIX;
		l->service = last;
		return;
	}
	if (LOG_IS(name, "dovecot")) {
		/* syslog: "dovecot: imap-login: Login: ..." */
		const char *c = find_colon_sp(l->msg.p, l->msg.n);

		if (c == NULL)
			return;
		l->dprefix = log_str_make(l->msg.p, (size_t)(c - l->msg.p));
		l->msg.p = c + 2;
		l->msg.n -= l->dprefix.n + 2;
		l->src = LOG_SRC_DOVECOT;
		dovecot_service(l);
		dovecot_level(l);
	}
}

int
log_line_parse(const char *s, size_t n, struct log_clock *clk,
    struct log_line *l)
{
	size_t i, tok;
	int used;
	const char *colon;
	struct log_str name;

	/* field by field: this runs for every line */
	l->host = l->prog = l->service = l->dprefix = l->msg =
	    log_str_make(NULL, 0);
	l->level = 0;
	l->src = LOG_SRC_OTHER;
	l->ts_has_zone = 0;
	l->pid = -1;
	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (n >= 19 && s[0] >= '0' && s[0] <= '9')
		used = parse_iso(s, n, clk, l);
	else
		used = parse_bsd(s, n, clk, l);
	if (used < 0 || (size_t)used >= n || s[used] != ' ')
		return -1;
	i = (size_t)used + 1;
	while (i < n && s[i] == ' ')
		i++;
	/* First token: a host, or (no host) a program ending in ':'. */
	for (tok = i; i < n && s[i] != ' '; i++)
		;
	if (i == tok)
		return -1;
	if (s[i - 1] == ':') {
		l->prog = log_str_make(s + tok, i - tok - 1);
	} else {
		l->host = log_str_make(s + tok, i - tok);
		if (i >= n)
			return -1;
		i++;
		colon = find_colon_sp(s + i, n - i);
		if (colon == NULL) {
			if (n >= 1 && s[n - 1] == ':')
				colon = s + n - 1;
			else
				return -1;
		}
		l->prog = log_str_make(s + i, (size_t)(colon - (s + i)));
		i = (size_t)(colon - s) + 1;
	}
	if (i < n && s[i] == ' ')
		i++;
	l->msg = log_str_make(s + i, n - i);
	if (l->prog.n == 0 || memchr(l->prog.p, ' ', l->prog.n) != NULL) {
		/* "host prog: msg" with spaces in prog: not a syslog line
		 * we know, but it is well-formed: other. */
		return l->prog.n == 0 ? -1 : 0;
	}
	if (split_pid(l->prog, &name, &l->pid) == -1)
		return -1;
	classify(l, name);
	if (l->src == LOG_SRC_OTHER && l->host.p == NULL &&
	    (l->prog.p[l->prog.n - 1] == ')' || l->prog.p[l->prog.n - 1] == '>'
	    || dovecot_proc(name))) {
		/* Dovecot's own log file: the prefix is the first token. */
		l->dprefix = l->prog;
		dovecot_service(l);
		if (!dovecot_proc(l->service))
			return 0;
		l->src = LOG_SRC_DOVECOT;
		dovecot_level(l);
	}
	return 0;
}
