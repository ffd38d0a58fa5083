/*
 * log_dovecot.c - Dovecot log messages into events (log_dovecot.h).
 * Bounded by slice lengths, never NUL-terminated input.
 */
#define _GNU_SOURCE /* memmem */
#include "logscan/log_dovecot.h"

#include <string.h>

/* "name(user)<pid><session>" or "name(pid, user)": user and session */
static void
prefix_fields(struct log_str d, struct dv_event *ev)
{
	const char *o = memchr(d.p, '(', d.n), *c, *s;
	size_t rest;

	if (o != NULL) {
		o++;
		rest = d.n - (size_t)(o - d.p);
		if ((c = memchr(o, ')', rest)) != NULL) {
			struct log_str in = log_str_make(o, (size_t)(c - o));
			const char *comma = memchr(in.p, ',', in.n);
			size_t i;
			int numeric = 1;

			/* Dovecot 2.2: "lmtp(1234, user)"; not the
			 * "auth-worker(user,ip)" of newer versions */
			if (comma != NULL && comma + 2 <= in.p + in.n &&
			    comma[1] == ' ') {
				in.n -= (size_t)(comma + 2 - in.p);
				in.p = comma + 2;
			}
			for (i = 0; i < in.n; i++)
				if (in.p[i] < '0' || in.p[i] > '9')
					numeric = 0;
			if (!numeric)
				ev->user = in;
		}
	}
	/* the last <...> is the session id when there are two */
	s = d.p + d.n;
	if (d.n > 2 && s[-1] == '>') {
		const char *b = s - 1;

		while (b > d.p && b[-1] != '<')
			b--;
		if (b > d.p && b - 2 >= d.p && b[-2] == '>')
			ev->session = log_str_make(b, (size_t)(s - 1 - b));
	}
}

/* Items of "user=<u>, method=PLAIN, rip=1.2.3.4, lip=..., TLS, ..." */
static void
login_items(const char *p, size_t n, struct dv_event *ev)
{
	size_t i = 0, k, e;
	struct log_str item;

	while (i < n) {
		while (i < n && (p[i] == ' ' || p[i] == ','))
			i++;
		k = i;
		if (n - i >= 6 && memcmp(p + i, "user=<", 6) == 0) {
			/* user names may hold ", "; ends at ">," or ">" EOL */
			for (e = i + 6; e < n; e++)
				if (p[e] == '>' && (e + 1 == n ||
				    p[e + 1] == ','))
					break;
			ev->user = log_str_make(p + i + 6, e - (i + 6));
			i = e < n ? e + 1 : n;
			continue;
		}
		if (n - i >= 9 && memcmp(p + i, "session=<", 9) == 0) {
			for (e = i + 9; e < n && p[e] != '>'; e++)
				;
			ev->session = log_str_make(p + i + 9, e - (i + 9));
			i = e < n ? e + 1 : n;
			continue;
		}
		while (i < n && p[i] != ',')
			i++;
		item = log_str_make(p + k, i - k);
		if (LOG_STARTS(item.p, item.n, "method="))
			ev->method = log_str_make(item.p + 7, item.n - 7);
		else if (LOG_STARTS(item.p, item.n, "rip="))
			ev->rip = log_str_make(item.p + 4, item.n - 4);
		else if (LOG_STARTS(item.p, item.n, "lip="))
			ev->lip = log_str_make(item.p + 4, item.n - 4);
		else if (LOG_IS(item, "TLS") ||
		    LOG_STARTS(item.p, item.n, "TLS: "))
			ev->tls = DV_TLS_YES;
		else if (LOG_IS(item, "secured"))
			ev->tls = DV_TLS_SECURED;
	}
}

static unsigned
attempts_of(const char *p, size_t n)
{
	const char *a = LOG_FIND(p, n, "auth failed, ");
	unsigned v = 0;
	size_t i;

	if (a == NULL)
		return 1;
	a += 13;
	for (i = 0; a + i < p + n && a[i] >= '0' && a[i] <= '9' && i < 9; i++)
		v = v * 10 + (unsigned)(a[i] - '0');
	return v ? v : 1;
}

static int
parse_login(const char *p, size_t n, struct dv_event *ev)
{
	const char *c;

	if (LOG_STARTS(p, n, "Login: ")) {
		ev->type = DV_EV_LOGIN;
		login_items(p + 7, n - 7, ev);
		return 0;
	}
	/*
	 * "Aborted login (auth failed, 3 attempts): user=<>, ..." (2.2),
	 * "Disconnected: why (...): user=<>, ..." (2.3) and
	 * "Login aborted: why (...) (reason_code): user=<>, ..." (late
	 * 2.3 and 2.4, with a machine-readable code in parentheses).
	 */
	if (!LOG_STARTS(p, n, "Disconnected") &&
	    !LOG_STARTS(p, n, "Aborted login") &&
	    !LOG_STARTS(p, n, "Login aborted"))
		return 0;
	if ((c = LOG_FIND(p, n, "): user=<")) == NULL &&
	    (c = LOG_FIND(p, n, ": user=<")) == NULL)
		return 0;
	if (LOG_FIND(p, (size_t)(c - p), "auth failed") != NULL) {
		ev->type = DV_EV_LOGIN_FAIL;
		ev->attempts = attempts_of(p, (size_t)(c - p));
	} else
		ev->type = DV_EV_LOGIN_ABORT;
	ev->reason = log_str_make(p, (size_t)(c - p) + (*c == ')'));
	c = memchr(c, 'u', n - (size_t)(c - p));
	login_items(c, n - (size_t)(c - p), ev);
	return 0;
}

/* A passdb/userdb failure, by the words Dovecot uses for one. */
static int
auth_failure_text(const char *p, size_t n)
{
	return LOG_FIND(p, n, "mismatch") != NULL ||
	    LOG_FIND(p, n, "unknown user") != NULL ||
	    LOG_FIND(p, n, "failed") != NULL ||
	    LOG_FIND(p, n, "Authentication failure") != NULL;
}

/* "user,ip[,<session>]" into user and rip. */
static void
user_ip(struct log_str in, struct dv_event *ev)
{
	const char *k1 = memchr(in.p, ',', in.n), *k2;

	ev->user = log_str_make(in.p, k1 ? (size_t)(k1 - in.p) : in.n);
	if (k1 == NULL)
		return;
	k1++;
	k2 = memchr(k1, ',', in.n - (size_t)(k1 - in.p));
	ev->rip = log_str_make(k1, k2 ? (size_t)(k2 - k1) :
	    in.n - (size_t)(k1 - in.p));
}

/*
 * auth and auth-worker.  Two forms:
 *   auth: passwd-file(user,1.2.3.4,<sess>): Password mismatch
 *   auth-worker(user,1.2.3.4)<pid><sess>: request [393]: unix_user:
 *       pam_authenticate() failed: Authentication failure (...)
 * (the second, from newer Dovecot, names user and ip in the prefix).
 */
static int
parse_auth(struct log_str dprefix, const char *p, size_t n,
    struct dv_event *ev)
{
	const char *o = memchr(p, '(', n), *cl;
	const char *po = memchr(dprefix.p, '(', dprefix.n), *pc, *pk;

	cl = o != NULL ? LOG_FIND(p, n, "): ") : NULL;
	if (o != NULL && cl != NULL && cl > o) {
		if (!auth_failure_text(cl, n - (size_t)(cl - p)))
			return 0;
		ev->type = DV_EV_AUTH_FAIL;
		user_ip(log_str_make(o + 1, (size_t)(cl - (o + 1))), ev);
		ev->reason = log_str_make(cl + 3, n - (size_t)(cl + 3 - p));
		return 0;
	}
	/* the prefix form: "(user,ip)" with no space after the comma */
	if (po == NULL)
		return 0;
	po++;
	pc = memchr(po, ')', dprefix.n - (size_t)(po - dprefix.p));
	if (pc == NULL)
		return 0;
	pk = memchr(po, ',', (size_t)(pc - po));
	if (pk == NULL || pk + 1 >= pc || pk[1] == ' ' ||
	    !auth_failure_text(p, n))
		return 0;
	ev->type = DV_EV_AUTH_FAIL;
	user_ip(log_str_make(po, (size_t)(pc - po)), ev);
	/* the reason without "request [N]: " */
	if (LOG_STARTS(p, n, "request [") &&
	    (cl = LOG_FIND(p, n, "]: ")) != NULL)
		ev->reason = log_str_make(cl + 3, n - (size_t)(cl + 3 - p));
	else
		ev->reason = log_str_make(p, n);
	return 0;
}

int
dv_parse(struct log_str service, struct log_str dprefix, struct log_str msg,
    struct dv_event *ev)
{
	const char *p = msg.p, *c;
	size_t n = msg.n;

	memset(ev, 0, sizeof(*ev));
	if (service.n > 6 && memcmp(service.p + service.n - 6, "-login",
	    6) == 0) {
		ev->proto = log_str_make(service.p, service.n - 6);
		return parse_login(p, n, ev);
	}
	ev->proto = service;
	prefix_fields(dprefix, ev);
	if (LOG_IS(service, "auth") || LOG_IS(service, "auth-worker"))
		return parse_auth(dprefix, p, n, ev);
	if (LOG_STARTS(p, n, "msgid=")) {
		c = LOG_FIND(p, n, ": saved mail to ");
		if (c != NULL) {
			ev->type = DV_EV_SAVED;
			ev->msgid = log_str_make(p + 6, (size_t)(c - p) - 6);
			ev->mailbox = log_str_make(c + 16,
			    n - (size_t)(c + 16 - p));
			return 0;
		}
		c = LOG_FIND(p, n, ": save failed to ");
		if (c == NULL)
			c = LOG_FIND(p, n, ": rejected: ");
		if (c != NULL) {
			ev->type = DV_EV_SAVE_FAIL;
			ev->msgid = log_str_make(p + 6, (size_t)(c - p) - 6);
			ev->reason = log_str_make(c + 2,
			    n - (size_t)(c + 2 - p));
			return 0;
		}
		return -1;
	}
	if (LOG_STARTS(p, n, "Disconnected: Logged out") ||
	    LOG_STARTS(p, n, "Logged out ") ||
	    LOG_STARTS(p, n, "Connection closed: ") ||
	    LOG_STARTS(p, n, "Disconnected: ")) {
		if (ev->user.n == 0)
			return 0;
		ev->type = DV_EV_LOGOUT;
		c = LOG_FIND(p, n, "Logged out ");
		if (c != NULL)
			ev->stats = log_str_make(c + 11,
			    n - (size_t)(c + 11 - p));
		else
			ev->reason = log_str_make(p, n);
		return 0;
	}
	return 0;
}
