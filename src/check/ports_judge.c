/*
 * ports_judge.c - expectations and verdicts of `mailvet ports` (see
 * ports_judge.h).
 *
 * Policy (docs/mailvet-ports.md):
 *   - an open port not matched by an expectation is a finding (FAIL);
 *   - an expected port where something else answers is a finding;
 *   - an expected port that is closed or filtered is a finding, but
 *     only when --expect was given (the default expectation lists what
 *     a mail host may offer, not what it must);
 *   - POP3/IMAP in plaintext without STLS/STARTTLS is a finding: the
 *     password can only travel in clear;  with STARTTLS offered it
 *     passes (RFC 8314 prefers implicit TLS, the text says so);
 *   - IMAP greeting with PREAUTH is a finding (no login needed);
 *   - SMTP in plaintext without STARTTLS is a warning.
 */
#include "check/ports_judge.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const uint16_t ports_default_list[] = {
	25, 465, 587, 110, 995, 143, 993, 4190, 24, 2000, 10024, 10025, 783,
	11332, 11333, 11334, 3310, 6379, 3306, 5432, 80, 443, 8080,
};
const size_t ports_default_count =
    sizeof(ports_default_list) / sizeof(ports_default_list[0]);

static const struct {
	const char *name;
	enum ports_service service;
	int tls;
	uint16_t port;
} expect_names[] = {
	{ "smtp", PORTS_SVC_SMTP, 0, 25 },
	{ "submission", PORTS_SVC_SMTP, 0, 587 },
	{ "smtps", PORTS_SVC_SMTP, 1, 465 },
	{ "submissions", PORTS_SVC_SMTP, 1, 465 },
	{ "lmtp", PORTS_SVC_LMTP, 0, 24 },
	{ "pop3", PORTS_SVC_POP3, 0, 110 },
	{ "pop3s", PORTS_SVC_POP3, 1, 995 },
	{ "imap", PORTS_SVC_IMAP, 0, 143 },
	{ "imaps", PORTS_SVC_IMAP, 1, 993 },
	{ "sieve", PORTS_SVC_SIEVE, 0, 4190 },
	{ "http", PORTS_SVC_HTTP, 0, 80 },
	{ "https", PORTS_SVC_HTTP, 1, 443 },
	{ "redis", PORTS_SVC_REDIS, 0, 6379 },
};

/* Decimal 1..65535 from s[0..n), or -1. */
static long
port_number(const char *s, size_t n)
{
	long v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v >= 1 && v <= 65535 ? v : -1;
}

static int
list_add(uint16_t *ports, size_t max, size_t *n, long port,
    struct mv_error *err)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (ports[i] == port)
			return 0;
	if (*n >= max)
		return mv_error_set(err, MV_ERR_USAGE, "at most %zu ports in "
		    "one sweep", max);
	ports[(*n)++] = (uint16_t)port;
	return 0;
}

int
ports_list_parse(const char *text, uint16_t *ports, size_t max, size_t *n,
    struct mv_error *err)
{
	const char *p = text;

	if (*p == '\0')
		return mv_error_set(err, MV_ERR_USAGE, "empty port list");
	while (*p) {
		size_t len = strcspn(p, ","), dash;
		long a, b, v;

		dash = strcspn(p, "-");
		if (dash < len) {
			a = port_number(p, dash);
			b = port_number(p + dash + 1, len - dash - 1);
		} else
			a = b = port_number(p, len);
		if (a < 0 || b < 0 || b < a)
			return mv_error_set(err, MV_ERR_USAGE, "'%.*s' is not "
			    "a port or a range of ports (1-65535, e.g. 2525 "
			    "or 10024-10025)", (int)(len > 40 ? 40 : len), p);
		if ((size_t)(b - a) >= max)
			return mv_error_set(err, MV_ERR_USAGE, "range %ld-%ld "
			    "is longer than %zu ports", a, b, max);
		for (v = a; v <= b; v++)
			if (list_add(ports, max, n, v, err) == -1)
				return -1;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

static int
expect_add(struct ports_expect_list *l, const char *name, size_t nlen,
    long port, struct mv_error *err)
{
	struct ports_expect *x;
	size_t i;

	if (l->n >= PORTS_EXPECT_MAX)
		return mv_error_set(err, MV_ERR_USAGE, "at most %d "
		    "expectations", PORTS_EXPECT_MAX);
	x = &l->v[l->n];
	memset(x, 0, sizeof(*x));
	x->service = PORTS_SVC_NONE;
	x->tls = -1;
	if (nlen == 0) {
		x->port = (uint16_t)port;
		snprintf(x->name, sizeof(x->name), "%ld", port);
		l->n++;
		return 0;
	}
	for (i = 0; i < sizeof(expect_names) / sizeof(expect_names[0]); i++)
		if (strlen(expect_names[i].name) == nlen &&
		    strncasecmp(expect_names[i].name, name, nlen) == 0)
			break;
	if (i == sizeof(expect_names) / sizeof(expect_names[0]))
		return mv_error_set(err, MV_ERR_USAGE, "--expect: unknown "
		    "service '%.*s' (smtp, submission, smtps, submissions, "
		    "lmtp, pop3, pop3s, imap, imaps, sieve, http, https, "
		    "redis, a port number, or NAME:PORT)",
		    (int)(nlen > 24 ? 24 : nlen), name);
	x->service = expect_names[i].service;
	x->tls = expect_names[i].tls;
	x->port = port > 0 ? (uint16_t)port : expect_names[i].port;
	snprintf(x->name, sizeof(x->name), "%s", expect_names[i].name);
	l->n++;
	return 0;
}

int
ports_expect_parse(const char *text, struct ports_expect_list *l,
    struct mv_error *err)
{
	const char *p = text;

	if (*p == '\0')
		return mv_error_set(err, MV_ERR_USAGE, "--expect: empty list");
	while (*p) {
		size_t len = strcspn(p, ","), colon = strcspn(p, ":/");
		long port = -1;

		if (len == 0)
			return mv_error_set(err, MV_ERR_USAGE, "--expect: "
			    "empty item in '%s'", text);
		if (colon < len) {
			if ((port = port_number(p + colon + 1,
			    len - colon - 1)) < 0)
				return mv_error_set(err, MV_ERR_USAGE,
				    "--expect: '%.*s' does not end in a port "
				    "number", (int)(len > 40 ? 40 : len), p);
			if (expect_add(l, p, colon, port, err) == -1)
				return -1;
		} else if ((port = port_number(p, len)) > 0) {
			if (expect_add(l, p, 0, port, err) == -1)
				return -1;
		} else if (expect_add(l, p, len, -1, err) == -1)
			return -1;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

void
ports_expect_default(struct ports_expect_list *l)
{
	static const char dflt[] = "smtp,submission,submissions,pop3,pop3s,"
	    "imap,imaps,sieve";
	struct mv_error err;

	l->n = 0;
	(void)ports_expect_parse(dflt, l, &err);
}

/* The expectation that names this port, preferring one whose service
 * and TLS mode match what answered. */
static const struct ports_expect *
expect_find(const struct ports_expect_list *l, const struct ports_entry *e)
{
	const struct ports_expect *any = NULL;
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct ports_expect *x = &l->v[i];

		if (x->port != e->port)
			continue;
		if (x->service == PORTS_SVC_NONE || (x->service == e->service &&
		    (x->tls < 0 || x->tls == e->tls_implicit)))
			return x;
		if (any == NULL)
			any = x;
	}
	return any;
}

static int
expect_matches(const struct ports_expect *x, const struct ports_entry *e)
{
	return x->service == PORTS_SVC_NONE || (x->service == e->service &&
	    (x->tls < 0 || x->tls == e->tls_implicit));
}

static void
judge_set(struct ports_entry *e, enum verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
judge_set(struct ports_entry *e, enum verdict v, const char *fmt, ...)
{
	va_list ap;

	e->verdict = v;
	va_start(ap, fmt);
	vsnprintf(e->judgement, sizeof(e->judgement), fmt, ap);
	va_end(ap);
}

static int
internal_service(const struct ports_entry *e)
{
	switch (e->service) {
	case PORTS_SVC_LMTP:
	case PORTS_SVC_REDIS:
	case PORTS_SVC_MYSQL:
	case PORTS_SVC_CLAMD:
	case PORTS_SVC_SPAMD:
		return 1;
	default:
		return e->port == 10024 || e->port == 10025 ||
		    e->port == 5432 || (e->port >= 11332 && e->port <= 11334);
	}
}

static void
judge_open(struct ports_entry *e, const struct ports_expect *x)
{
	const char *name = ports_display_name(e);

	if (x == NULL) {
		judge_set(e, VERDICT_FAIL, "open but not expected%s%s",
		    internal_service(e) ? "; a mail host's internal service "
		    "should not be reachable from other hosts" : "",
		    " (add it to --expect if it is meant to be there)");
		return;
	}
	e->expected = 1;
	e->expected_service = x->service;
	if (!expect_matches(x, e)) {
		judge_set(e, VERDICT_FAIL, "expected %s here, but %s answers",
		    x->name, name);
		return;
	}
	if (e->preauth) {
		judge_set(e, VERDICT_FAIL, "IMAP greets with PREAUTH: access "
		    "without any login");
		return;
	}
	if ((e->service == PORTS_SVC_POP3 || e->service == PORTS_SVC_IMAP) &&
	    !e->tls_implicit) {
		if (e->caps_seen && !e->starttls_offered)
			judge_set(e, VERDICT_FAIL, "plaintext %s without %s: "
			    "passwords can only travel in clear", name,
			    e->service == PORTS_SVC_POP3 ? "STLS" : "STARTTLS");
		else if (!e->caps_seen)
			judge_set(e, VERDICT_WARN, "plaintext %s; could not "
			    "read its capabilities to see whether it offers "
			    "TLS", name);
		else
			judge_set(e, VERDICT_PASS, "expected (with %s; "
			    "implicit TLS is preferred, RFC 8314)",
			    e->service == PORTS_SVC_POP3 ? "STLS" : "STARTTLS");
		return;
	}
	if ((e->service == PORTS_SVC_SMTP || e->service == PORTS_SVC_LMTP) &&
	    !e->tls_implicit && (e->caps_incomplete ||
	    e->greeting_incomplete)) {
		judge_set(e, VERDICT_WARN, "expected; but its %s was cut "
		    "short, so whether it offers STARTTLS is unknown",
		    e->greeting_incomplete ? "greeting" : "EHLO answer");
		return;
	}
	if (e->service == PORTS_SVC_SMTP && !e->tls_implicit && e->caps_seen &&
	    !e->starttls_offered) {
		judge_set(e, VERDICT_WARN, "expected; but STARTTLS is not "
		    "offered: mail to and from here travels in clear");
		return;
	}
	judge_set(e, VERDICT_PASS, "expected");
}

void
ports_judge(struct report *rep, struct ports_report *r,
    const struct ports_expect_list *l)
{
	size_t i, fails = 0, warns = 0;
	char name[32];

	r->unexpected = 0;
	for (i = 0; i < r->n; i++) {
		struct ports_entry *e = &r->v[i];
		const struct ports_expect *x = expect_find(l, e);

		if (e->state == PORTS_STATE_OPEN) {
			judge_open(e, x);
			if (!e->expected)
				r->unexpected++;
		} else if (x && r->expect_given) {
			e->expected = 1;
			e->expected_service = x->service;
			judge_set(e, VERDICT_FAIL, "expected %s, but the port "
			    "is %s (%s)", x->name, ports_state_name(e->state),
			    e->why);
		} else {
			e->verdict = VERDICT_SKIP;
		}
		if (e->verdict == VERDICT_FAIL)
			fails++;
		else if (e->verdict == VERDICT_WARN)
			warns++;
	}
	report_add_check(rep, "ports", fails ? VERDICT_FAIL : warns ?
	    VERDICT_WARN : VERDICT_PASS, "%zu open (%zu not expected), %zu "
	    "closed, %zu filtered, %zu unreachable of %zu swept on %s; %zu "
	    "finding%s", r->open, r->unexpected, r->closed, r->filtered,
	    r->errors, r->n, r->address, fails, fails == 1 ? "" : "s");
	for (i = 0; i < r->n; i++) {
		struct ports_entry *e = &r->v[i];

		if (e->verdict == VERDICT_SKIP)
			continue;
		snprintf(name, sizeof(name), "port %u", e->port);
		if (e->state == PORTS_STATE_OPEN)
			report_add_check(rep, name, e->verdict, "%s (%s)%s: "
			    "%s", ports_display_name(e), e->detail,
			    e->caps_seen && e->starttls_offered ?
			    (e->service == PORTS_SVC_POP3 ? ", STLS offered" :
			    ", STARTTLS offered") : "", e->judgement);
		else
			report_add_check(rep, name, e->verdict, "%s",
			    e->judgement);
	}
}
