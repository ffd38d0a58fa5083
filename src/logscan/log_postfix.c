/*
 * log_postfix.c - Postfix log messages into events (see log_postfix.h).
 * Everything is bounded by the slice lengths: the line need not be
 * NUL-terminated (the fuzz target feeds raw bytes).
 */
#define _GNU_SOURCE /* memmem */
#include "logscan/log_postfix.h"

#include <string.h>

enum log_status
log_status_parse(struct log_str w)
{
	if (LOG_IS(w, "sent"))
		return LOG_STATUS_SENT;
	if (LOG_IS(w, "deferred"))
		return LOG_STATUS_DEFERRED;
	if (LOG_IS(w, "bounced"))
		return LOG_STATUS_BOUNCED;
	if (LOG_IS(w, "expired"))
		return LOG_STATUS_EXPIRED;
	if (LOG_IS(w, "deliverable") || LOG_IS(w, "undeliverable"))
		return LOG_STATUS_OTHER;
	return w.n ? LOG_STATUS_OTHER : LOG_STATUS_NONE;
}

static int
is_hex_upper(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

static int
is_long_qid_char(char c)
{
	if (c >= '0' && c <= '9')
		return 1;
	if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'y')))
		return 0;
	return strchr("AEIOUaeiou", c) == NULL;
}

int
pf_is_queue_id(const char *p, size_t n)
{
	size_t i, z = 0;

	if (n < 5 || n > 32)
		return 0;
	for (i = 0; i < n && is_hex_upper(p[i]); i++)
		;
	if (i == n)
		return 1;
	for (i = 0; i < n; i++) {
		if (p[i] == 'z') {
			if (z++ || i < 6 || i == n - 1)
				return 0;
		} else if (!is_long_qid_char(p[i]))
			return 0;
	}
	return z == 1 && n >= 12;
}

/* Decimal like "0.02" or "77"; bytes used, 0 when none. */
static size_t
parse_num(const char *p, size_t n, double *out)
{
	size_t i = 0;
	double v = 0, scale = 0.1;

	while (i < n && p[i] >= '0' && p[i] <= '9' && i < 18)
		v = v * 10 + (p[i++] - '0');
	if (i == 0)
		return 0;
	if (i < n && p[i] == '.')
		for (i++; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
			v += (p[i] - '0') * scale;
			scale /= 10;
		}
	*out = v;
	return i;
}

static uint64_t
parse_u64(struct log_str s)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < s.n && i < 19 && s.p[i] >= '0' && s.p[i] <= '9'; i++)
		v = v * 10 + (uint64_t)(s.p[i] - '0');
	return v;
}

/* "host[ip]" -> ip; "[ip]:port" (postscreen) -> ip. */
static struct log_str
client_ip_of(struct log_str c)
{
	const char *o = memchr(c.p, '[', c.n), *e;

	if (o == NULL)
		return log_str_make(NULL, 0);
	o++;
	e = memchr(o, ']', c.n - (size_t)(o - c.p));
	if (e == NULL)
		return log_str_make(NULL, 0);
	return log_str_make(o, (size_t)(e - o));
}

/*
 * One "key=value" item of a ", "-separated list starting at *pos.
 * Values in angle brackets are returned without them and may contain
 * ", ".  Returns 0, or -1 at the end or on garbage.
 */
static int
next_item(const char *p, size_t n, size_t *pos, struct log_str *key,
    struct log_str *val)
{
	size_t i = *pos, k;
	const char *e;

	while (i < n && (p[i] == ' ' || p[i] == ','))
		i++;
	for (k = i; i < n && p[i] != '=' && p[i] != ' ' && p[i] != ','; i++)
		;
	if (i >= n || p[i] != '=' || i == k)
		return -1;
	*key = log_str_make(p + k, i - k);
	i++;
	if (i < n && p[i] == '<') {
		e = NULL;
		/* the '>' that ends the value: followed by ',', ' ' or end */
		for (k = i + 1; k < n; k++)
			if (p[k] == '>' && (k + 1 == n || p[k + 1] == ',' ||
			    p[k + 1] == ' ')) {
				e = p + k;
				break;
			}
		if (e == NULL)
			return -1;
		*val = log_str_make(p + i + 1, (size_t)(e - (p + i + 1)));
		*pos = (size_t)(e - p) + 1;
		return 0;
	}
	/* values hold neither ',' nor ' ': memchr finds the end faster
	 * than a byte loop */
	k = i;
	e = memchr(p + i, ',', n - i);
	i = e ? (size_t)(e - p) : n;
	if ((e = memchr(p + k, ' ', i - k)) != NULL)
		i = (size_t)(e - p);
	*val = log_str_make(p + k, i - k);
	*pos = i;
	return 0;
}

static int
parse_delays(struct log_str v, double out[4])
{
	size_t i = 0, used;
	int k;

	for (k = 0; k < 4; k++) {
		if ((used = parse_num(v.p + i, v.n - i, &out[k])) == 0)
			return -1;
		i += used;
		if (k < 3) {
			if (i >= v.n || v.p[i] != '/')
				return -1;
			i++;
		}
	}
	return i == v.n ? 0 : -1;
}

/* "status=sent (250 ok)" at *pos: word and parenthesised reason. */
static void
parse_status(const char *p, size_t n, size_t pos, struct pf_event *ev)
{
	size_t i;

	for (i = pos; i < n && p[i] != ' ' && p[i] != ','; i++)
		;
	ev->status_word = log_str_make(p + pos, i - pos);
	ev->status = log_status_parse(ev->status_word);
	if (i + 1 < n && p[i] == ' ' && p[i + 1] == '(') {
		size_t e = n;

		if (p[n - 1] == ')')
			e = n - 1;
		ev->reason = log_str_make(p + i + 2, e - (i + 2));
	} else if (i + 2 < n && p[i] == ',' && p[i + 1] == ' ')
		ev->reason = log_str_make(p + i + 2, n - (i + 2));
}

/* The key=value list of to=, from=, client= lines. */
static int
parse_items(const char *p, size_t n, struct pf_event *ev)
{
	size_t pos = 0;
	struct log_str k, v;

	while (next_item(p, n, &pos, &k, &v) == 0) {
		if (LOG_IS(k, "status")) {
			parse_status(p, n, (size_t)(v.p - p), ev);
			return 0;
		}
		if (LOG_IS(k, "to"))
			ev->to = v;
		else if (LOG_IS(k, "orig_to"))
			ev->orig_to = v;
		else if (LOG_IS(k, "from"))
			ev->from = v;
		else if (LOG_IS(k, "relay"))
			ev->relay = v;
		else if (LOG_IS(k, "delay"))
			parse_num(v.p, v.n, &ev->delay_s);
		else if (LOG_IS(k, "delays"))
			ev->have_delays = parse_delays(v, ev->delays_s) == 0;
		else if (LOG_IS(k, "dsn"))
			ev->dsn = v;
		else if (LOG_IS(k, "size"))
			ev->size = parse_u64(v);
		else if (LOG_IS(k, "nrcpt"))
			ev->nrcpt = (unsigned)parse_u64(v);
		else if (LOG_IS(k, "client")) {
			ev->client = v;
			ev->client_ip = client_ip_of(v);
		} else if (LOG_IS(k, "sasl_method"))
			ev->sasl_method = v;
		else if (LOG_IS(k, "sasl_username"))
			ev->sasl_user = v;
	}
	return 0;
}

/* "reject: RCPT from host[ip]: 550 5.1.1 <x>: text; from=<a> to=<b>
 * proto=ESMTP helo=<h>" and the header/body-check form. */
static int
parse_reject(const char *p, size_t n, struct pf_event *ev)
{
	const char *tail = NULL, *f, *c, *x;
	size_t hn = n, pos;
	struct log_str k, v;

	/* the last "; from=<" starts the envelope part */
	for (x = p; (f = LOG_FIND(x, n - (size_t)(x - p), "; from=<")) != NULL;
	    x = f + 1)
		tail = f;
	if (tail != NULL) {
		hn = (size_t)(tail - p);
		pos = (size_t)(tail - p) + 2;
		while (next_item(p, n, &pos, &k, &v) == 0) {
			if (LOG_IS(k, "from"))
				ev->from = v;
			else if (LOG_IS(k, "to"))
				ev->to = v;
		}
	}
	for (pos = 0; pos < hn && p[pos] != ' '; pos++)
		;
	ev->stage = log_str_make(p, pos);
	if (LOG_IS(ev->stage, "header") || LOG_IS(ev->stage, "body")) {
		/* "...; from=<> to=<> proto=SMTP helo=<h>: 5.7.1 text" */
		c = tail ? LOG_FIND(tail, n - (size_t)(tail - p), ">: ") : NULL;
		if (c != NULL)
			ev->reason = log_str_make(c + 3,
			    n - (size_t)(c + 3 - p));
		else
			ev->reason = log_str_make(p, hn);
		return 0;
	}
	if ((f = LOG_FIND(p, hn, " from ")) == NULL) {
		ev->reason = log_str_make(p, hn);
		return 0;
	}
	f += 6;
	/* client ends at "]: " (host[ip]: or [ip]:port: for postscreen) */
	c = LOG_FIND(f, hn - (size_t)(f - p), ": ");
	if (c == NULL)
		return -1;
	ev->client = log_str_make(f, (size_t)(c - f));
	ev->client_ip = client_ip_of(ev->client);
	ev->reason = log_str_make(c + 2, hn - (size_t)(c + 2 - p));
	return 0;
}

/* "Anonymous TLS connection established from h[ip]: TLSv1.3 with
 * cipher NAME (256/256 bits) ..." */
static void
parse_tls(const char *p, size_t n, struct pf_event *ev)
{
	const char *f = LOG_FIND(p, n, " established from "), *c, *w, *e;

	if (f == NULL)
		return;
	f += 18;
	if ((c = LOG_FIND(f, n - (size_t)(f - p), ": ")) == NULL)
		return;
	ev->type = PF_EV_TLS;
	ev->client = log_str_make(f, (size_t)(c - f));
	ev->client_ip = client_ip_of(ev->client);
	c += 2;
	if ((w = LOG_FIND(c, n - (size_t)(c - p), " with cipher ")) == NULL)
		return;
	ev->tls_proto = log_str_make(c, (size_t)(w - c));
	w += 13;
	e = memchr(w, ' ', n - (size_t)(w - p));
	ev->tls_cipher = log_str_make(w, e ? (size_t)(e - w) :
	    n - (size_t)(w - p));
}

static int
parse_queue_line(struct log_str service, const char *p, size_t n,
    struct pf_event *ev)
{
	(void)service;
	if (LOG_STARTS(p, n, "to=<")) {
		ev->type = PF_EV_RCPT;
		parse_items(p, n, ev);
		if (ev->status == LOG_STATUS_NONE)
			return -1;
		return 0;
	}
	if (LOG_STARTS(p, n, "from=<")) {
		parse_items(p, n, ev);
		if (ev->status == LOG_STATUS_EXPIRED) {
			ev->type = PF_EV_EXPIRED;
			return 0;
		}
		ev->type = PF_EV_QUEUED;
		return 0;
	}
	if (LOG_STARTS(p, n, "client=")) {
		ev->type = PF_EV_CLIENT;
		parse_items(p, n, ev);
		return ev->client.n ? 0 : -1;
	}
	if (LOG_STARTS(p, n, "message-id=")) {
		ev->type = PF_EV_MSGID;
		ev->message_id = log_str_make(p + 11, n - 11);
		return 0;
	}
	if (n == 7 && memcmp(p, "removed", 7) == 0) {
		ev->type = PF_EV_REMOVED;
		return 0;
	}
	if (LOG_STARTS(p, n, "uid=")) {
		const char *f = LOG_FIND(p, n, " from=<");

		ev->type = PF_EV_PICKUP;
		if (f != NULL && p[n - 1] == '>')
			ev->from = log_str_make(f + 7,
			    n - 1 - (size_t)(f + 7 - p));
		return 0;
	}
	if (LOG_STARTS(p, n, "sender non-delivery notification: ") ||
	    LOG_STARTS(p, n, "sender delay notification: ")) {
		const char *c = memchr(p, ':', n);

		ev->type = PF_EV_NDR;
		ev->new_qid = log_str_make(c + 2, n - (size_t)(c + 2 - p));
		return 0;
	}
	{
		/* reject: / discard: / hold: / milter-reject: ... */
		const char *c = LOG_FIND(p, n, ": ");
		struct log_str a;

		if (c == NULL)
			return 0;
		a = log_str_make(p, (size_t)(c - p));
		if (LOG_IS(a, "reject") || LOG_IS(a, "milter-reject") ||
		    LOG_IS(a, "discard") || LOG_IS(a, "hold") ||
		    LOG_IS(a, "reject_warning") || LOG_IS(a, "redirect") ||
		    LOG_IS(a, "filter")) {
			ev->type = PF_EV_REJECT;
			ev->action = a;
			ev->status = LOG_IS(a, "discard") ?
			    LOG_STATUS_DISCARDED : LOG_IS(a, "reject") ||
			    LOG_IS(a, "milter-reject") ? LOG_STATUS_REJECTED :
			    LOG_STATUS_OTHER;
			return parse_reject(c + 2, n - (size_t)(c + 2 - p),
			    ev);
		}
	}
	return 0;
}

int
pf_parse(struct log_str service, struct log_str msg, struct pf_event *ev)
{
	const char *p = msg.p, *c;
	size_t n = msg.n, q;

	memset(ev, 0, sizeof(*ev));
	if (n == 0)
		return 0;
	/* "QUEUEID: ..." or "NOQUEUE: ..." (an id holds no ' ', which
	 * pf_is_queue_id() checks) */
	c = memchr(p, ':', n < 34 ? n : 34);
	q = c ? (size_t)(c - p) : n;
	if (q + 1 < n && p[q] == ':' && p[q + 1] == ' ') {
		if (q == 7 && memcmp(p, "NOQUEUE", 7) == 0)
			return parse_queue_line(service, p + 9, n - 9, ev);
		if (pf_is_queue_id(p, q)) {
			ev->qid = log_str_make(p, q);
			return parse_queue_line(service, p + q + 2,
			    n - q - 2, ev);
		}
	}
	if (LOG_STARTS(p, n, "connect from ")) {
		ev->type = PF_EV_CONNECT;
		ev->client = log_str_make(p + 13, n - 13);
		ev->client_ip = client_ip_of(ev->client);
		return 0;
	}
	if (LOG_STARTS(p, n, "CONNECT from ")) {
		c = LOG_FIND(p + 13, n - 13, " to ");
		ev->type = PF_EV_CONNECT;
		ev->client = log_str_make(p + 13, c ? (size_t)(c - (p + 13)) :
		    n - 13);
		ev->client_ip = client_ip_of(ev->client);
		return 0;
	}
	if (LOG_STARTS(p, n, "disconnect from ")) {
		c = memchr(p + 16, ' ', n - 16);
		ev->type = PF_EV_DISCONNECT;
		ev->client = log_str_make(p + 16, c ? (size_t)(c - (p + 16)) :
		    n - 16);
		ev->client_ip = client_ip_of(ev->client);
		return 0;
	}
	/* "Anonymous|Trusted|Verified|Untrusted TLS connection ..." */
	if ((c = memchr(p, ' ', n < 12 ? n : 12)) != NULL &&
	    LOG_STARTS(c + 1, n - (size_t)(c + 1 - p),
	    "TLS connection established ")) {
		parse_tls(p, n, ev);
		return 0;
	}
	if (LOG_STARTS(p, n, "warning: ") &&
	    (c = LOG_FIND(p, n, " authentication failed")) != NULL) {
		const char *s = LOG_FIND(p, n, "]: SASL "), *u;

		if (s == NULL || s > c)
			return 0;
		ev->type = PF_EV_SASL_FAIL;
		ev->client = log_str_make(p + 9, (size_t)(s + 1 - (p + 9)));
		ev->client_ip = client_ip_of(ev->client);
		ev->sasl_method = log_str_make(s + 8, (size_t)(c - (s + 8)));
		if ((u = LOG_FIND(c, n - (size_t)(c - p), "sasl_username="))
		    != NULL)
			ev->sasl_user = log_str_make(u + 14,
			    n - (size_t)(u + 14 - p));
		return 0;
	}
	return 0;
}
