/*
 * logscan.c - the correlator (see logscan.h): open messages by queue id
 * in a chained hash with an age list for the max_open cap; inbound
 * smtpd sessions by pid (direct-mapped, so lossy but bounded) for the
 * connect time and TLS of each message; Dovecot saves by message-id in
 * a bounded FIFO so that a message's record can end in the mailbox.
 *
 * Summary table columns:
 *   rcpt_domain, recipients: 0 sent, 1 deferred, 2 bounced, 3 rejected
 *   sender_domain, senders:  0 messages, 1 bytes
 *   reasons:                 0 reject, 1 defer, 2 bounce, 3 dovecot
 *   auth_ip:                 0 login failures, 1 sasl failures, 2 logins
 *   auth_user:               0 login failures, 1 backend failures,
 *                            2 logins
 */
#define _GNU_SOURCE /* memmem */
#include "logscan/logscan.h"

#include "logscan/log_dovecot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SESSIONS        4096        /* default: smtpd sessions,
					     * direct-mapped */
#define SESSION_TEXT    320
#define SAVES_MAX       65536       /* default: Dovecot saves waiting for
					     * a link */

struct pf_session {
	long pid;                   /* 0: free */
	int64_t connect_us;
	char client[128];
	char tls_proto[24], tls_cipher[64];
	char qid[33];               /* the session's latest message */
	int64_t tls_us;
	char prog[64];
	char connect_text[SESSION_TEXT], tls_text[SESSION_TEXT];
};

struct dv_save {
	char *msgid, *user, *mailbox, *session, *error, *prog, *text;
	int64_t ts_us;
	int ok;
	int used;
	struct dv_save *hnext;
};

struct logscan {
	struct logscan_params p;
	struct log_summary sum;
	struct log_msg **bucket;    /* open messages by qid */
	size_t nbucket, nopen;
	struct log_msg *oldest, *newest;  /* open, by first line */
	struct log_msg *pend_head, *pend_tail;  /* follow: finished */
	size_t npend;
	struct log_msg **kept;      /* matched records */
	size_t nkept, kept_cap;
	struct pf_session *sess;
	size_t nsess;
	struct dv_save **save_ring; /* FIFO of nsave_max */
	size_t save_next, nsaves, nsave_max;
	struct dv_save **save_bucket;
	int64_t now_ms;
	int oom;
	int lean;                   /* summary only: keep no detail */
	char want_msgid[LOG_FIELD_MAX];
};

/* ---- small helpers ---------------------------------------------- */

static char *
dup_str(struct log_str s)
{
	size_t n = s.n > LOG_FIELD_MAX ? LOG_FIELD_MAX : s.n;
	char *d;

	if (s.p == NULL)
		return NULL;
	if ((d = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(d, s.p, n);
	d[n] = '\0';
	return d;
}

/* Replace *dst with a copy of s (when s is present). */
static void
set_str(struct logscan *ls, char **dst, struct log_str s)
{
	char *d;

	if (s.p == NULL)
		return;
	if (*dst != NULL && strlen(*dst) == s.n && memcmp(*dst, s.p, s.n) == 0)
		return;
	if ((d = dup_str(s)) == NULL) {
		ls->oom = 1;
		return;
	}
	free(*dst);
	*dst = d;
}

static struct log_str
cstr(const char *s)
{
	return log_str_make(s, s ? strlen(s) : 0);
}

struct log_str
log_addr_domain(const char *addr, size_t n)
{
	size_t i;

	for (i = n; i > 0; i--)
		if (addr[i - 1] == '@')
			return log_str_make(addr + i, n - i);
	return log_str_make("", 0);
}

static void
count(struct logscan *ls, struct log_count *c, struct log_str key, int col,
    uint64_t v)
{
	if (key.p == NULL)
		key = log_str_make("", 0);
	if (log_count_add(c, key.p, key.n, col, v) == -1)
		ls->oom = 1;
}

/* Lower-cased domain of an address into the table: v0 to counter
 * col, v1 to counter col + 1 (when col + 1 is a column). */
static void
count_domain2(struct logscan *ls, struct log_count *c, const char *addr,
    size_t n, int col, uint64_t v0, uint64_t v1)
{
	struct log_str d = log_addr_domain(addr ? addr : "", addr ? n : 0);
	char low[256];
	size_t i;
	uint64_t *slot;

	if (d.n >= sizeof(low))
		d.n = sizeof(low) - 1;
	for (i = 0; i < d.n; i++)
		low[i] = (d.p[i] >= 'A' && d.p[i] <= 'Z') ? d.p[i] + 32 :
		    d.p[i];
	if (d.n == 0 && (addr == NULL || n == 0))
		slot = log_count_slot(c, "(null sender)", 13);
	else
		slot = log_count_slot(c, low, d.n);
	if (slot == NULL) {
		ls->oom = 1;
		return;
	}
	slot[col] += v0;
	if (col + 1 < LOG_COUNT_COLS)
		slot[col + 1] += v1;
}

static void
count_domain(struct logscan *ls, struct log_count *c, const char *addr,
    size_t n, int col, uint64_t v)
{
	count_domain2(ls, c, addr, n, col, v, 0);
}

/*
 * A reason without the parts that name one message: "550 5.1.1
 * <x@y>: Recipient address rejected: ..." -> "550 5.1.1 Recipient
 * address rejected: ...".
 */
static void
count_reason(struct logscan *ls, struct log_str r, int col)
{
	char out[200];
	size_t i = 0, o = 0;

	if (r.p == NULL)
		return;
	while (i < r.n && o < sizeof(out) - 1) {
		if (r.p[i] == '<') {
			size_t e = i;

			while (e < r.n && r.p[e] != '>')
				e++;
			if (e + 2 < r.n && r.p[e + 1] == ':' &&
			    r.p[e + 2] == ' ') {
				i = e + 3;
				continue;
			}
		}
		out[o++] = r.p[i++];
	}
	count(ls, &ls->sum.reasons, log_str_make(out, o), col, 1);
}

/* ---- open messages ---------------------------------------------- */

static size_t
msg_bucket(const struct logscan *ls, const char *q, size_t n)
{
	return log_hash(q, n) & (ls->nbucket - 1);
}

static struct log_msg *
msg_find(struct logscan *ls, struct log_str qid)
{
	struct log_msg *m;

	for (m = ls->bucket[msg_bucket(ls, qid.p, qid.n)]; m; m = m->hnext)
		if (strlen(m->qid) == qid.n && memcmp(m->qid, qid.p, qid.n)
		    == 0)
			return m;
	return NULL;
}

static void
msg_unlink(struct logscan *ls, struct log_msg *m)
{
	struct log_msg **pp;

	for (pp = &ls->bucket[msg_bucket(ls, m->qid, strlen(m->qid))]; *pp;
	    pp = &(*pp)->hnext)
		if (*pp == m) {
			*pp = m->hnext;
			break;
		}
	m->hnext = NULL;
	if (m->older)
		m->older->newer = m->newer;
	else
		ls->oldest = m->newer;
	if (m->newer)
		m->newer->older = m->older;
	else
		ls->newest = m->older;
	m->older = m->newer = NULL;
	ls->nopen--;
}

static int
msgid_matches(const struct logscan *ls, const char *id)
{
	return ls->want_msgid[0] != '\0' && id != NULL &&
	    strcmp(ls->want_msgid, id) == 0;
}

static void msg_close(struct logscan *ls, struct log_msg *m);
static void pend_release(struct logscan *ls, struct log_msg *m);

static struct log_msg *
msg_open(struct logscan *ls, struct log_str qid, int64_t ts_us)
{
	struct log_msg *m;
	size_t b, i;

	if (ls->nopen >= ls->p.max_open && ls->oldest != NULL) {
		m = ls->oldest;
		msg_unlink(ls, m);
		m->evicted = 1;
		msg_close(ls, m);
	}
	if (ls->nopen + 1 > ls->nbucket) {
		size_t nb = ls->nbucket * 2;
		struct log_msg **nbk = calloc(nb, sizeof(*nbk)), *x, *nx;

		if (nbk != NULL) {
			for (i = 0; i < ls->nbucket; i++)
				for (x = ls->bucket[i]; x; x = nx) {
					nx = x->hnext;
					b = log_hash(x->qid, strlen(x->qid)) &
					    (nb - 1);
					x->hnext = nbk[b];
					nbk[b] = x;
				}
			free(ls->bucket);
			ls->bucket = nbk;
			ls->nbucket = nb;
		}
	}
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		ls->oom = 1;
		return NULL;
	}
	memcpy(m->qid, qid.p, qid.n < 32 ? qid.n : 32);
	m->first_us = m->last_us = ts_us;
	b = msg_bucket(ls, m->qid, strlen(m->qid));
	m->hnext = ls->bucket[b];
	ls->bucket[b] = m;
	m->older = ls->newest;
	if (ls->newest)
		ls->newest->newer = m;
	else
		ls->oldest = m;
	ls->newest = m;
	ls->nopen++;
	if (ls->p.want_qid != NULL && strcmp(ls->p.want_qid, m->qid) == 0)
		m->matched = 1;
	return m;
}

/* early: the line came before those of the same second already kept
 * (a session's connect, learnt only at the message's first line). */
static void
add_event_at(struct logscan *ls, struct log_msg *m, int64_t ts_us,
    struct log_str prog, struct log_str text, int early)
{
	struct log_event *e;
	size_t i;

	if (!ls->p.keep_events)
		return;
	if (m->nevents >= LOG_MAX_EVENTS) {
		m->events_dropped++;
		return;
	}
	if (m->nevents == m->events_cap) {
		size_t cap = m->events_cap ? m->events_cap * 2 : 8;

		if ((e = realloc(m->events, cap * sizeof(*e))) == NULL) {
			ls->oom = 1;
			return;
		}
		m->events = e;
		m->events_cap = cap;
	}
	/* keep time order: Dovecot's lines may come from another file */
	for (i = m->nevents; i > 0 && (m->events[i - 1].ts_us > ts_us ||
	    (early && m->events[i - 1].ts_us == ts_us)); i--)
		;
	memmove(&m->events[i + 1], &m->events[i],
	    (m->nevents - i) * sizeof(*e));
	e = &m->events[i];
	e->ts_us = ts_us;
	e->prog = dup_str(prog);
	e->text = dup_str(text);
	if (e->prog == NULL || e->text == NULL)
		ls->oom = 1;
	m->nevents++;
}

static void
add_event(struct logscan *ls, struct log_msg *m, int64_t ts_us,
    struct log_str prog, struct log_str text)
{
	add_event_at(ls, m, ts_us, prog, text, 0);
}

static struct log_delivery *
rcpt_get(struct logscan *ls, struct log_msg *m, struct log_str to,
    struct log_str orig_to)
{
	struct log_delivery *d;
	size_t i;

	for (i = 0; i < m->nrcpt_seen; i++) {
		d = &m->rcpt[i];
		if (d->to && strlen(d->to) == to.n &&
		    memcmp(d->to, to.p, to.n) == 0 &&
		    (orig_to.p == NULL || d->orig_to == NULL ||
		    (strlen(d->orig_to) == orig_to.n &&
		    memcmp(d->orig_to, orig_to.p, orig_to.n) == 0)))
			return d;
	}
	if (m->nrcpt_seen >= LOG_MAX_RCPT) {
		m->rcpt_dropped++;
		return NULL;
	}
	if (m->nrcpt_seen == m->rcpt_cap) {
		size_t cap = m->rcpt_cap ? m->rcpt_cap * 2 : 2;

		if ((d = realloc(m->rcpt, cap * sizeof(*d))) == NULL) {
			ls->oom = 1;
			return NULL;
		}
		m->rcpt = d;
		m->rcpt_cap = cap;
	}
	d = &m->rcpt[m->nrcpt_seen++];
	memset(d, 0, sizeof(*d));
	d->to = dup_str(to);
	d->orig_to = dup_str(orig_to);
	if (d->to == NULL)
		ls->oom = 1;
	return d;
}

/* ---- Dovecot saves, linked to recipients ------------------------- */

static size_t
save_bucket(const struct logscan *ls, const char *msgid)
{
	return log_hash(msgid, strlen(msgid)) & (ls->nsave_max - 1);
}

static void
save_free(struct dv_save *s)
{
	if (s == NULL)
		return;
	free(s->msgid);
	free(s->user);
	free(s->mailbox);
	free(s->session);
	free(s->error);
	free(s->prog);
	free(s->text);
	free(s);
}

static void
save_drop(struct logscan *ls, struct dv_save *s)
{
	struct dv_save **pp;

	for (pp = &ls->save_bucket[save_bucket(ls, s->msgid)]; *pp;
	    pp = &(*pp)->hnext)
		if (*pp == s) {
			*pp = s->hnext;
			break;
		}
	save_free(s);
}

static void
save_remember(struct logscan *ls, const struct log_line *l,
    const struct dv_event *ev)
{
	struct dv_save *s;
	size_t b;

	if (ls->save_ring == NULL || ev->msgid.n == 0)
		return;
	if (ls->save_ring[ls->save_next] != NULL) {
		save_drop(ls, ls->save_ring[ls->save_next]);
		ls->nsaves--;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		ls->oom = 1;
		ls->save_ring[ls->save_next] = NULL;
		return;
	}
	s->msgid = dup_str(ev->msgid);
	s->user = dup_str(ev->user);
	s->mailbox = dup_str(ev->mailbox);
	s->session = dup_str(ev->session);
	s->error = dup_str(ev->reason);
	s->ok = ev->type == DV_EV_SAVED;
	s->ts_us = l->ts_us;
	if (ls->p.keep_events) {
		s->prog = dup_str(l->dprefix);
		s->text = dup_str(l->msg);
	}
	if (s->msgid == NULL) {
		save_free(s);
		ls->save_ring[ls->save_next] = NULL;
		ls->oom = 1;
		return;
	}
	b = save_bucket(ls, s->msgid);
	s->hnext = ls->save_bucket[b];
	ls->save_bucket[b] = s;
	ls->save_ring[ls->save_next] = s;
	ls->save_next = (ls->save_next + 1) % ls->nsave_max;
	ls->nsaves++;
}

/* "user@dom" or "user" names the recipient? */
static int
user_is(const char *user, const char *addr)
{
	size_t un;
	const char *at;

	if (user == NULL || addr == NULL)
		return 0;
	if (strcasecmp(user, addr) == 0)
		return 1;
	un = strlen(user);
	at = strchr(addr, '@');
	return at != NULL && strchr(user, '@') == NULL &&
	    (size_t)(at - addr) == un && strncasecmp(user, addr, un) == 0;
}

static void
link_saves(struct logscan *ls, struct log_msg *m)
{
	struct dv_save *s;
	struct log_delivery *d;
	size_t i;
	int pass;

	if (ls->save_bucket == NULL || m->message_id == NULL)
		return;
	/* pass 0: Postfix's reply names Dovecot's session id; pass 1: the
	 * mailbox user is the recipient */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < m->nrcpt_seen; i++) {
			d = &m->rcpt[i];
			if (d->saved != 0)
				continue;
			for (s = ls->save_bucket[save_bucket(ls,
			    m->message_id)]; s; s = s->hnext) {
				if (s->used || strcmp(s->msgid,
				    m->message_id) != 0)
					continue;
				if (pass == 0 ? (s->session == NULL ||
				    d->reason == NULL || strstr(d->reason,
				    s->session) == NULL) : (!user_is(s->user,
				    d->to) && !user_is(s->user, d->orig_to)))
					continue;
				s->used = 1;
				d->saved = s->ok ? 1 : -1;
				d->saved_us = s->ts_us;
				d->mailbox = s->mailbox ? strdup(s->mailbox) :
				    NULL;
				d->box_user = s->user ? strdup(s->user) : NULL;
				d->box_session = s->session ?
				    strdup(s->session) : NULL;
				d->box_error = s->error ? strdup(s->error) :
				    NULL;
				if (s->text != NULL)
					add_event(ls, m, s->ts_us,
					    cstr(s->prog), cstr(s->text));
				break;
			}
		}
}

/* ---- closing a message: the summary ------------------------------ */

static void
msg_account(struct logscan *ls, struct log_msg *m)
{
	struct log_summary *s = &ls->sum;
	struct log_delivery *d;
	size_t i;
	int col;

	if (m->evicted)
		s->evicted++;
	else if (m->abandoned)
		s->abandoned++;
	else if (m->removed)
		s->completed++;
	else
		s->still_queued++;
	for (i = 0; i < m->nrcpt_seen; i++) {
		d = &m->rcpt[i];
		switch (d->status) {
		case LOG_STATUS_SENT:
			s->delivered++;
			col = 0;
			histogram_record(&s->delay_ms,
			    (uint64_t)(d->delay_s * 1000 + 0.5));
			break;
		case LOG_STATUS_DEFERRED:
			s->deferred++;
			col = 1;
			break;
		case LOG_STATUS_BOUNCED:
			s->bounced++;
			col = 2;
			break;
		case LOG_STATUS_EXPIRED:
			s->expired++;
			col = 1;
			break;
		default:
			continue;
		}
		if (d->to == NULL)
			continue;
		count_domain(ls, &s->rcpt_domain, d->to, strlen(d->to), col,
		    1);
		count(ls, &s->recipients, cstr(d->to), col, 1);
	}
}

/* The message is finished (removed, evicted, or end of input). */
static void
msg_close(struct logscan *ls, struct log_msg *m)
{
	struct log_msg **k;

	if (ls->p.on_msg != NULL) {
		/* follow: wait grace_ms for Dovecot's lines first */
		m->done_ms = ls->now_ms;
		m->older = ls->pend_tail;
		m->newer = NULL;
		if (ls->pend_tail)
			ls->pend_tail->newer = m;
		else
			ls->pend_head = m;
		ls->pend_tail = m;
		/* bounded: a burst (--from-start on a big file) releases
		 * the oldest before its grace time is up */
		if (++ls->npend > ls->p.max_open)
			pend_release(ls, ls->pend_head);
		return;
	}
	if (!m->matched) {
		msg_account(ls, m);
		log_msg_free(m);
		return;
	}
	if (ls->nkept == ls->kept_cap) {
		size_t cap = ls->kept_cap ? ls->kept_cap * 2 : 8;

		if ((k = realloc(ls->kept, cap * sizeof(*k))) == NULL) {
			ls->oom = 1;
			msg_account(ls, m);
			log_msg_free(m);
			return;
		}
		ls->kept = k;
		ls->kept_cap = cap;
	}
	ls->kept[ls->nkept++] = m;
}

static void
pend_release(struct logscan *ls, struct log_msg *m)
{
	ls->npend--;
	if (m->older)
		m->older->newer = m->newer;
	else
		ls->pend_head = m->newer;
	if (m->newer)
		m->newer->older = m->older;
	else
		ls->pend_tail = m->older;
	link_saves(ls, m);
	msg_account(ls, m);
	ls->p.on_msg(ls->p.ctx, m);
	log_msg_free(m);
}

void
logscan_tick(struct logscan *ls, int64_t now_ms)
{
	ls->now_ms = now_ms;
	while (ls->pend_head != NULL &&
	    now_ms - ls->pend_head->done_ms >= ls->p.grace_ms)
		pend_release(ls, ls->pend_head);
}

/* ---- Postfix lines ----------------------------------------------- */

/*
 * smtpd logs client= at the first accepted RCPT; a client that then
 * resets or leaves sends no message, and Postfix logs nothing more for
 * that queue id.  Cleanup's message-id= always comes before the reply
 * to the message, so a record without it when its session moves on is
 * abandoned: closed now, not left open as if still queued.
 */
static void
abandon_if_empty(struct logscan *ls, const char *qid, int64_t connect_us)
{
	struct log_msg *m;

	if (qid[0] == '\0' || (m = msg_find(ls, cstr(qid))) == NULL ||
	    m->cleanup_seen || m->connect_us != connect_us)
		return;
	m->abandoned = 1;
	msg_unlink(ls, m);
	msg_close(ls, m);
}

static struct pf_session *
session_of(struct logscan *ls, long pid)
{
	if (pid <= 0)
		return NULL;
	return &ls->sess[(unsigned long)pid % ls->nsess];
}

static void
copy_field(char *dst, size_t dstsz, struct log_str s)
{
	size_t n = s.n < dstsz - 1 ? s.n : dstsz - 1;

	if (s.p != NULL)
		memcpy(dst, s.p, n);
	dst[s.p != NULL ? n : 0] = '\0';
}

static void
pf_session_event(struct logscan *ls, const struct log_line *l,
    const struct pf_event *ev)
{
	struct pf_session *ss = session_of(ls, l->pid);
	struct log_msg *m;

	if (ev->type == PF_EV_CONNECT) {
		if (LOG_IS(l->service, "smtpd"))
			ls->sum.smtpd_connects++;
		if (ss == NULL)
			return;
		/* not memset: the texts make this 1 KiB, and it runs for
		 * every connection */
		ss->pid = l->pid;
		ss->qid[0] = ss->tls_proto[0] = ss->tls_cipher[0] = '\0';
		ss->connect_text[0] = ss->tls_text[0] = '\0';
		ss->tls_us = 0;
		ss->connect_us = l->ts_us;
		copy_field(ss->client, sizeof(ss->client), ev->client);
		copy_field(ss->prog, sizeof(ss->prog), l->prog);
		if (ls->p.keep_events)
			copy_field(ss->connect_text, sizeof(ss->connect_text),
			    l->msg);
		return;
	}
	if (ev->type == PF_EV_TLS) {
		if (LOG_IS(l->service, "smtpd"))
			ls->sum.smtpd_tls++;
		if (ss == NULL || ss->pid != l->pid)
			return;
		copy_field(ss->tls_proto, sizeof(ss->tls_proto),
		    ev->tls_proto);
		copy_field(ss->tls_cipher, sizeof(ss->tls_cipher),
		    ev->tls_cipher);
		ss->tls_us = l->ts_us;
		if (ls->p.keep_events)
			copy_field(ss->tls_text, sizeof(ss->tls_text), l->msg);
		return;
	}
	/* disconnect: the session's last message learns when it ended */
	if (ss == NULL || ss->pid != l->pid)
		return;
	if (ss->qid[0] != '\0' &&
	    (m = msg_find(ls, cstr(ss->qid))) != NULL &&
	    m->connect_us == ss->connect_us) {
		m->disconnect_us = l->ts_us;
		add_event(ls, m, l->ts_us, l->prog, l->msg);
		abandon_if_empty(ls, ss->qid, ss->connect_us);
	}
	ss->pid = 0;
}

static void
pf_client(struct logscan *ls, const struct log_line *l,
    const struct pf_event *ev, struct log_msg *m)
{
	struct pf_session *ss = session_of(ls, l->pid);

	ls->sum.received++;
	if (!ls->lean) {
		set_str(ls, &m->client, ev->client);
		set_str(ls, &m->client_ip, ev->client_ip);
		set_str(ls, &m->sasl_method, ev->sasl_method);
		set_str(ls, &m->sasl_user, ev->sasl_user);
		set_str(ls, &m->origin, l->service);
	}
	if (ss == NULL || ss->pid != l->pid)
		return;
	if (strcmp(ss->qid, m->qid) != 0)
		abandon_if_empty(ls, ss->qid, ss->connect_us);
	m->connect_us = ss->connect_us;
	memcpy(ss->qid, m->qid, sizeof(ss->qid));
	if (ls->lean)
		return;
	if (ss->tls_proto[0]) {
		set_str(ls, &m->tls_proto, cstr(ss->tls_proto));
		set_str(ls, &m->tls_cipher, cstr(ss->tls_cipher));
	}
	if (ls->p.keep_events) {
		if (ss->tls_text[0])
			add_event_at(ls, m, ss->tls_us, cstr(ss->prog),
			    cstr(ss->tls_text), 1);
		if (ss->connect_text[0])
			add_event_at(ls, m, ss->connect_us, cstr(ss->prog),
			    cstr(ss->connect_text), 1);
	}
}

/* 1 when a queue id's reject or discard is of the whole message. */
static int
reject_ends_message(const struct log_line *l, const struct pf_event *ev)
{
	if (ev->status != LOG_STATUS_REJECTED &&
	    ev->status != LOG_STATUS_DISCARDED)
		return 0;
	return LOG_IS(l->service, "cleanup") ||
	    LOG_IS(ev->stage, "END-OF-MESSAGE") || LOG_IS(ev->stage, "DATA");
}

static void
pf_reject(struct logscan *ls, const struct log_line *l,
    const struct pf_event *ev, struct log_msg *m)
{
	struct log_delivery *d;

	if (ev->status == LOG_STATUS_DISCARDED)
		ls->sum.discarded++;
	else if (ev->status == LOG_STATUS_REJECTED)
		ls->sum.rejected++;
	else
		return;
	if (ev->status == LOG_STATUS_REJECTED) {
		count_reason(ls, ev->reason, 0);
		if (ev->to.p != NULL) {
			count_domain(ls, &ls->sum.rcpt_domain, ev->to.p,
			    ev->to.n, 3, 1);
			count(ls, &ls->sum.recipients, ev->to, 3, 1);
		}
	}
	if (m == NULL)
		return;
	if (m->from == NULL)
		set_str(ls, &m->from, ev->from);
	if (ev->to.p != NULL && ev->status == LOG_STATUS_REJECTED &&
	    !reject_ends_message(l, ev)) {
		/* one recipient refused; the message goes on */
		if ((d = rcpt_get(ls, m, ev->to, log_str_make(NULL, 0))) ==
		    NULL)
			return;
		d->status = LOG_STATUS_REJECTED;
		d->attempts++;
		d->ts_us = l->ts_us;
		if (!ls->lean)
			set_str(ls, &d->reason, ev->reason);
		return;
	}
	set_str(ls, &m->reject_action, ev->action);
	set_str(ls, &m->reject_reason, ev->reason);
}

static void
pf_rcpt(struct logscan *ls, const struct log_line *l,
    const struct pf_event *ev, struct log_msg *m)
{
	struct log_delivery *d;

	if (ev->status == LOG_STATUS_DEFERRED) {
		ls->sum.deferrals++;
		count_reason(ls, ev->reason, 1);
	} else if (ev->status == LOG_STATUS_BOUNCED)
		count_reason(ls, ev->reason, 2);
	if ((d = rcpt_get(ls, m, ev->to, ev->orig_to)) == NULL)
		return;
	d->status = ev->status;
	d->attempts++;
	d->ts_us = l->ts_us;
	d->delay_s = ev->delay_s;
	d->have_delays = ev->have_delays;
	memcpy(d->delays_s, ev->delays_s, sizeof(d->delays_s));
	if (ls->lean)
		return;
	set_str(ls, &d->relay, ev->relay);
	set_str(ls, &d->dsn, ev->dsn);
	set_str(ls, &d->reason, ev->reason);
}

static void
pf_line(struct logscan *ls, const struct log_line *l)
{
	struct pf_event ev;
	struct log_msg *m = NULL;
	uint64_t *slot;

	ls->sum.postfix_lines++;
	if (pf_parse(l->service, l->msg, &ev) == -1) {
		/* a known form with broken fields: counted, not used */
		ls->sum.bad_fields++;
		return;
	}
	switch (ev.type) {
	case PF_EV_NONE:
		return;
	case PF_EV_CONNECT:
	case PF_EV_TLS:
	case PF_EV_DISCONNECT:
		pf_session_event(ls, l, &ev);
		return;
	case PF_EV_SASL_FAIL:
		ls->sum.sasl_failures++;
		count(ls, &ls->sum.auth_ip, ev.client_ip, 1, 1);
		if (ev.sasl_user.n)
			count(ls, &ls->sum.auth_user, ev.sasl_user, 1, 1);
		return;
	default:
		break;
	}
	if (ev.qid.n == 0) {
		if (ev.type == PF_EV_REJECT)
			pf_reject(ls, l, &ev, NULL);
		return;
	}

	if ((m = msg_find(ls, ev.qid)) == NULL) {
		/* a reused queue id starts a new record after "removed";
		 * lone "removed" lines of unknown ids make none */
		if (ev.type == PF_EV_REMOVED ||
		    (m = msg_open(ls, ev.qid, l->ts_us)) == NULL)
			return;
	}
	m->last_us = l->ts_us;
	add_event(ls, m, l->ts_us, l->prog, l->msg);
	switch (ev.type) {
	case PF_EV_CLIENT:
		pf_client(ls, l, &ev, m);
		break;
	case PF_EV_PICKUP:
		ls->sum.received++;
		set_str(ls, &m->origin, l->service);
		set_str(ls, &m->from, ev.from);
		break;
	case PF_EV_MSGID:
		m->cleanup_seen = 1;
		if (ls->lean)
			break;
		set_str(ls, &m->message_id, ev.message_id);
		if (msgid_matches(ls, m->message_id))
			m->matched = 1;
		break;
	case PF_EV_QUEUED:
		if (!ls->lean)
			set_str(ls, &m->from, ev.from);
		m->size = ev.size;
		m->nrcpt = ev.nrcpt;
		if (!m->sender_counted) {
			m->sender_counted = 1;
			ls->sum.queued_bytes += ev.size;
			if ((slot = log_count_slot(&ls->sum.senders,
			    ev.from.p ? ev.from.p : "", ev.from.n)) == NULL)
				ls->oom = 1;
			else {
				slot[0]++;
				slot[1] += ev.size;
			}
			count_domain2(ls, &ls->sum.sender_domain, ev.from.p,
			    ev.from.n, 0, 1, ev.size);
		}
		break;
	case PF_EV_EXPIRED:
		for (size_t i = 0; i < m->nrcpt_seen; i++)
			if (m->rcpt[i].status == LOG_STATUS_DEFERRED)
				m->rcpt[i].status = LOG_STATUS_EXPIRED;
		break;
	case PF_EV_RCPT:
		pf_rcpt(ls, l, &ev, m);
		break;
	case PF_EV_REJECT:
		pf_reject(ls, l, &ev, m);
		/*
		 * A reject of the whole message (cleanup's header/body
		 * checks and milters, or smtpd/milter at DATA or
		 * END-OF-MESSAGE) ends it: Postfix deletes the file
		 * without a "removed" line.  A reject at RCPT refuses one
		 * recipient and the message goes on (pf_reject() keeps it
		 * as that recipient's status).
		 */
		if (reject_ends_message(l, &ev)) {
			m->removed = 1;
			m->removed_us = l->ts_us;
			msg_unlink(ls, m);
			msg_close(ls, m);
		}
		break;
	case PF_EV_NDR:
		ls->sum.ndr++;
		set_str(ls, &m->ndr_qid, ev.new_qid);
		break;
	case PF_EV_REMOVED:
		m->removed = 1;
		m->removed_us = l->ts_us;
		msg_unlink(ls, m);
		msg_close(ls, m);
		break;
	default:
		break;
	}
}

/* ---- Dovecot lines ----------------------------------------------- */

static void
dv_line(struct logscan *ls, const struct log_line *l)
{
	struct dv_event ev;
	struct log_summary *s = &ls->sum;
	struct log_msg *m;

	s->dovecot_lines++;
	if (dv_parse(l->service, l->dprefix, l->msg, &ev) == -1)
		s->bad_fields++;
	switch (ev.type) {
	case DV_EV_LOGIN:
		s->dv_logins++;
		if (ev.tls == DV_TLS_YES)
			s->dv_logins_tls++;
		else if (ev.tls == DV_TLS_SECURED)
			s->dv_logins_secured++;
		else
			s->dv_logins_plain++;
		count(ls, &s->auth_ip, ev.rip, 2, 1);
		count(ls, &s->auth_user, ev.user, 2, 1);
		break;
	case DV_EV_LOGIN_FAIL:
		s->dv_login_failures++;
		s->dv_failed_attempts += ev.attempts;
		count(ls, &s->auth_ip, ev.rip, 0, ev.attempts);
		count(ls, &s->auth_user, ev.user, 0, ev.attempts);
		break;
	case DV_EV_LOGIN_ABORT:
		s->dv_aborted++;
		break;
	case DV_EV_LOGOUT:
		s->dv_logouts++;
		break;
	case DV_EV_AUTH_FAIL:
		s->dv_auth_backend_failures++;
		count(ls, &s->auth_user, ev.user, 1, 1);
		break;
	case DV_EV_SAVED:
	case DV_EV_SAVE_FAIL:
		if (ev.type == DV_EV_SAVED)
			s->dv_saved++;
		else {
			s->dv_save_failed++;
			count_reason(ls, ev.reason, 3);
		}
		save_remember(ls, l, &ev);
		/* follow: a finished message still waiting for us */
		for (m = ls->pend_head; m != NULL; m = m->newer)
			if (m->message_id && ev.msgid.n ==
			    strlen(m->message_id) && memcmp(m->message_id,
			    ev.msgid.p, ev.msgid.n) == 0)
				break;
		if (m != NULL && ls->pend_head != NULL)
			link_saves(ls, m);
		break;
	default:
		break;
	}
}

/* ---- public ------------------------------------------------------ */

struct logscan *
logscan_new(const struct logscan_params *p)
{
	struct logscan *ls = calloc(1, sizeof(*ls));
	struct log_summary *s;
	const char *id;
	size_t n;

	if (ls == NULL)
		return NULL;
	ls->p = *p;
	ls->lean = p->want_qid == NULL && p->want_msgid == NULL &&
	    p->on_msg == NULL;
	if (ls->p.max_open == 0)
		ls->p.max_open = LOG_DEFAULT_MAX_OPEN;
	ls->nbucket = 1024;
	ls->bucket = calloc(ls->nbucket, sizeof(*ls->bucket));
	ls->nsess = p->max_sessions ? p->max_sessions : SESSIONS;
	ls->sess = calloc(ls->nsess, sizeof(*ls->sess));
	for (ls->nsave_max = 1; ls->nsave_max < (p->max_saves ? p->max_saves :
	    SAVES_MAX) && ls->nsave_max < ((size_t)1 << 30);)
		ls->nsave_max *= 2;
	if (p->link_saves) {
		ls->save_ring = calloc(ls->nsave_max, sizeof(*ls->save_ring));
		ls->save_bucket = calloc(ls->nsave_max,
		    sizeof(*ls->save_bucket));
		if (ls->save_ring == NULL || ls->save_bucket == NULL)
			ls->oom = 1;
	}
	if ((id = p->want_msgid) != NULL) {
		/* match with or without the angle brackets */
		n = strlen(id);
		if (n > 0 && id[0] == '<')
			snprintf(ls->want_msgid, sizeof(ls->want_msgid), "%s",
			    id);
		else
			snprintf(ls->want_msgid, sizeof(ls->want_msgid),
			    "<%s>", id);
	}
	s = &ls->sum;
	histogram_reset(&s->delay_ms);
	log_count_init(&s->rcpt_domain, 100000);
	log_count_init(&s->sender_domain, 100000);
	log_count_init(&s->senders, 200000);
	log_count_init(&s->recipients, 200000);
	log_count_init(&s->reasons, 20000);
	log_count_init(&s->auth_ip, 100000);
	log_count_init(&s->auth_user, 100000);
	if (ls->bucket == NULL || ls->sess == NULL || ls->oom) {
		logscan_free(ls);
		return NULL;
	}
	return ls;
}

void
logscan_free(struct logscan *ls)
{
	struct log_msg *m, *next;
	size_t i;

	if (ls == NULL)
		return;
	for (m = ls->oldest; m; m = next) {
		next = m->newer;
		log_msg_free(m);
	}
	for (m = ls->pend_head; m; m = next) {
		next = m->newer;
		log_msg_free(m);
	}
	for (i = 0; i < ls->nkept; i++)
		log_msg_free(ls->kept[i]);
	free(ls->kept);
	if (ls->save_ring != NULL)
		for (i = 0; i < ls->nsave_max; i++)
			save_free(ls->save_ring[i]);
	free(ls->save_ring);
	free(ls->save_bucket);
	free(ls->bucket);
	free(ls->sess);
	log_count_free(&ls->sum.rcpt_domain);
	log_count_free(&ls->sum.sender_domain);
	log_count_free(&ls->sum.senders);
	log_count_free(&ls->sum.recipients);
	log_count_free(&ls->sum.reasons);
	log_count_free(&ls->sum.auth_ip);
	log_count_free(&ls->sum.auth_user);
	free(ls);
}

int
logscan_line(struct logscan *ls, struct log_clock *clk, const char *s,
    size_t n)
{
	struct log_line l;

	ls->sum.lines++;
	ls->sum.bytes += n + 1;
	if (log_line_parse(s, n, clk, &l) == -1) {
		ls->sum.malformed++;
		return ls->oom ? -1 : 0;
	}
	if (ls->sum.first_us == 0 || l.ts_us < ls->sum.first_us)
		ls->sum.first_us = l.ts_us;
	if (l.ts_us > ls->sum.last_us)
		ls->sum.last_us = l.ts_us;
	switch (l.src) {
	case LOG_SRC_POSTFIX:
		pf_line(ls, &l);
		break;
	case LOG_SRC_DOVECOT:
		dv_line(ls, &l);
		break;
	default:
		ls->sum.other++;
		break;
	}
	return ls->oom ? -1 : 0;
}

int
logscan_finish(struct logscan *ls)
{
	struct log_msg *m;
	size_t i;

	while ((m = ls->oldest) != NULL) {
		msg_unlink(ls, m);
		m->still_open = 1;
		msg_close(ls, m);
	}
	if (ls->p.on_msg != NULL)
		while (ls->pend_head != NULL)
			pend_release(ls, ls->pend_head);
	for (i = 0; i < ls->nkept; i++) {
		link_saves(ls, ls->kept[i]);
		msg_account(ls, ls->kept[i]);
	}
	return ls->oom ? -1 : 0;
}

const struct log_summary *
logscan_summary(const struct logscan *ls)
{
	return &ls->sum;
}

size_t
logscan_matches(const struct logscan *ls, const struct log_msg *const **out)
{
	*out = (const struct log_msg *const *)ls->kept;
	return ls->nkept;
}
