/*
 * pop3_client.c - event-driven POP3 client engine (RFC 1939; CAPA and
 * response codes RFC 2449; STLS RFC 2595; AUTH RFC 5034; RFC 3206); see
 * pop3_client.h.
 *
 * The session is a state machine driven by complete responses from the
 * incremental reader, one command at a time (POP3 has no pipelining
 * worth the complexity for a probe).  After the login the mailbox
 * commands run in a fixed order, each when asked for: STAT, LIST, UIDL,
 * the token search (TOP n 0 from the newest message down), RETR or TOP,
 * DELE, then QUIT.
 *
 * Errors: a refusal (-ERR, or a missing capability; the dialog is still
 * in step) ends with a polite QUIT; protocol violations, timeouts and
 * lost connections end the session at once.  Either way on_done runs
 * once with res->err set.
 */
#include "proto/pop3_client.h"
#include "proto/session.h"

#include "core/buf.h"
#include "core/clock.h"
#include "proto/pop3_reply.h"
#include "proto/sasl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define POP3_DEFAULT_TIMEOUT_MS 60000
#define POP3_DEFAULT_FIND_MAX   100
/* RFC 5034 4: an AUTH line with its initial response stays within 255
 * octets; longer initial responses wait for the first challenge. */
#define POP3_AUTH_LINE_MAX      255
/* Lines of a multi-line response shown one by one in the transcript;
 * the rest, and every message, as one "[N lines, B bytes]" entry. */
#define POP3_TR_CAPA_LINES      64
#define POP3_TR_LIST_LINES      20
/* How much of a server's line an error message repeats. */
#define POP3_QUOTE_MAX          300

enum pop3_state {
	ST_CONNECTING,
	ST_GREETING,
	ST_CAPA,
	ST_STLS,
	ST_TLS,
	ST_USER,
	ST_PASS,
	ST_AUTH,
	ST_STAT,
	ST_LIST,
	ST_UIDL,
	ST_SEARCH,
	ST_RETR,
	ST_DELE,
	ST_QUIT,
	ST_DONE,
};

struct pop3_client {
	struct conn *conn;
	const struct pop3_client_params *p;
	struct pop3_client_result *r;
	struct transcript *tr;
	pop3_client_done_cb on_done;
	void *arg;
	struct pop3_reader reader;
	struct pop3_response resp;
	enum pop3_state st;
	char cmd[96];             /* the command in flight, for messages */
	struct sasl_client *sasl;
	int sasl_done;            /* the mechanism has said its last word */
	struct buf sasl_held;     /* initial response too long for the line */
	int sasl_holding;
	int stls_refused;
	int stls_blind;           /* STLS tried without a CAPA listing it */
	int stat_done, list_done, uidl_done, search_done, retr_done;
	size_t list_lines, uidl_lines;
	uint64_t max_listed;      /* highest message number LIST showed */
	size_t listing_cap;
	uint64_t msg;             /* argument of the command in flight */
	uint64_t search_first;    /* the newest message, read first */
	uint64_t search_last;     /* the oldest message the search reads */
	uint64_t dele_todo[2];
	size_t ndele, dele_next;
	int dele_planned;
	struct session_timing timing;
	int finished;
	unsigned writes;         /* commands written, to spot early replies */
	struct buf out;
};

static const char *const pop3_phase_names[POP3_PHASE_COUNT] = {
	"connect", "tls", "greeting", "capa", "stls", "auth", "stat", "list",
	"uidl", "search", "retr", "dele", "quit",
};

const char *
pop3_phase_name(enum pop3_phase ph)
{
	return ph < POP3_PHASE_COUNT ? pop3_phase_names[ph] : "done";
}

static void pop3_quit(struct pop3_client *s);
static void pop3_next(struct pop3_client *s);
static void pop3_send_capa(struct pop3_client *s);

/* --- results ------------------------------------------------------ */

static void
status_copy_free(struct pop3_status_copy *c)
{
	free(c->text);
	memset(c, 0, sizeof(*c));
}

static void
status_copy(struct pop3_status_copy *c, const struct pop3_response *resp)
{
	status_copy_free(c);
	c->ok = resp->status == POP3_STATUS_OK;
	c->seen = 1;
	memcpy(c->code, resp->code, sizeof(c->code));
	c->text = strdup(resp->text);
}

void
pop3_client_result_free(struct pop3_client_result *r)
{
	if (r == NULL)
		return;
	status_copy_free(&r->greeting);
	status_copy_free(&r->stls);
	status_copy_free(&r->auth);
	status_copy_free(&r->last);
	free(r->listing);
	r->listing = NULL;
	r->nlisting = 0;
	buf_free(&r->message);
}

/* --- finishing ---------------------------------------------------- */

static void
pop3_finish(struct pop3_client *s)
{
	struct pop3_client_result *r = s->r;

	if (s->finished)
		return;
	s->finished = 1;
	s->st = ST_DONE;
	r->total_us = session_elapsed_us(&s->timing);
	session_close(&s->conn, r->peer, sizeof(r->peer), r->local,
	    sizeof(r->local));
	s->on_done(s, s->arg);
}

static enum pop3_phase
pop3_current_phase(const struct pop3_client *s)
{
	switch (s->st) {
	case ST_CONNECTING:
		return POP3_PHASE_CONNECT;
	case ST_GREETING:
		return POP3_PHASE_GREETING;
	case ST_CAPA:
		return POP3_PHASE_CAPA;
	case ST_STLS:
		return POP3_PHASE_STLS;
	case ST_TLS:
		return POP3_PHASE_TLS;
	case ST_USER:
	case ST_PASS:
	case ST_AUTH:
		return POP3_PHASE_AUTH;
	case ST_STAT:
		return POP3_PHASE_STAT;
	case ST_LIST:
		return POP3_PHASE_LIST;
	case ST_UIDL:
		return POP3_PHASE_UIDL;
	case ST_SEARCH:
		return POP3_PHASE_SEARCH;
	case ST_RETR:
		return POP3_PHASE_RETR;
	case ST_DELE:
		return POP3_PHASE_DELE;
	case ST_QUIT:
	case ST_DONE:
		return POP3_PHASE_QUIT;
	}
	return POP3_PHASE_QUIT;
}

static void
pop3_fail_err(struct pop3_client *s, enum pop3_phase ph,
    const struct mv_error *err)
{
	if (s->r->err.cat == MV_ERR_NONE) {
		s->r->err = *err;
		s->r->failed_phase = ph;
	}
	if (s->tr)
		transcript_addf(s->tr, TR_ERROR, "%s", err->msg);
	/* After a refusal the dialog is still in step: say goodbye. */
	if ((err->cat == MV_ERR_REJECTED || err->cat == MV_ERR_LACKS_FEATURE ||
		err->cat == MV_ERR_USAGE) &&
	    s->conn && s->st != ST_QUIT && s->st != ST_DONE) {
		pop3_quit(s);
		return;
	}
	pop3_finish(s);
}

static void
pop3_fail(struct pop3_client *s, enum pop3_phase ph, enum mv_errcat cat,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
pop3_fail(struct pop3_client *s, enum pop3_phase ph, enum mv_errcat cat,
    const char *fmt, ...)
{
	struct mv_error err;
	va_list ap;

	va_start(ap, fmt);
	mv_error_vset(&err, cat, fmt, ap);
	va_end(ap);
	pop3_fail_err(s, ph, &err);
}

/* A refusal of the command in flight: keep the response and say QUIT. */
static void
pop3_refused(struct pop3_client *s, const struct pop3_response *resp)
{
	status_copy(&s->r->last, resp);
	pop3_fail(s, pop3_current_phase(s), MV_ERR_REJECTED, "%s refused: "
	    "%.*s", s->cmd, POP3_QUOTE_MAX, resp->raw);
}

/* --- sending ------------------------------------------------------ */

/* Arm the response deadline; a zero timeout means the default, never
 * "wait forever". */
static void
pop3_expect(struct pop3_client *s, uint64_t ms, const char *what)
{
	if (s->conn)
		conn_set_timeout(s->conn, ms ? ms : POP3_DEFAULT_TIMEOUT_MS,
		    what);
}

/* Send one line; shown is what the transcript records (the redacted
 * form for secrets), NULL for the line itself. */
static void
pop3_send(struct pop3_client *s, const char *line, const char *shown)
{
	buf_reset(&s->out);
	if (buf_append_str(&s->out, line) == -1 ||
	    buf_append(&s->out, "\r\n", 2) == -1) {
		pop3_fail(s, pop3_current_phase(s), MV_ERR_INTERNAL,
		    "out of memory");
		return;
	}
	if (s->tr)
		transcript_add(s->tr, TR_CLIENT, shown ? shown : line,
		    strlen(shown ? shown : line));
	if (s->conn)
		conn_write(s->conn, s->out.data, s->out.len);
	s->writes++;
	buf_reset(&s->out);
}

/*
 * Send a command and wait for its response.  name is the command as
 * messages show it ("RETR 7", "PASS"); line what goes on the wire;
 * shown what the transcript records (NULL: the line).
 */
static void
pop3_command(struct pop3_client *s, enum pop3_state st, int multiline,
    const char *name, const char *line, const char *shown)
{
	char what[128];

	s->st = st;
	snprintf(s->cmd, sizeof(s->cmd), "%s", name);
	pop3_reader_expect(&s->reader, multiline);
	pop3_send(s, line, shown);
	snprintf(what, sizeof(what), "the response to %s", name);
	pop3_expect(s, s->p->command_timeout_ms, what);
}

/* A mailbox command whose wire form is its name. */
static void
pop3_simple(struct pop3_client *s, enum pop3_state st, int multiline,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
pop3_simple(struct pop3_client *s, enum pop3_state st, int multiline,
    const char *fmt, ...)
{
	char line[96];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pop3_command(s, st, multiline, line, line, NULL);
}

static void
pop3_quit(struct pop3_client *s)
{
	session_phase_begin(&s->timing, POP3_PHASE_QUIT);
	pop3_simple(s, ST_QUIT, 0, "QUIT");
}

/* --- parsing helpers ---------------------------------------------- */

/* A decimal number that fits in 64 bits; returns the characters used,
 * 0 when there is none or it overflows. */
static size_t
pop3_number(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	*out = v;
	return i;
}

/* Server text in a message: printable, bounded. */
static const char *
pop3_quote(const char *p, size_t n, char *q, size_t qsz)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 5 < qsz; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c >= 0x20 && c < 0x7f) {
			q[o++] = (char)c;
		} else {
			snprintf(q + o, qsz - o, "\\x%02x", c);
			o += 4;
		}
	}
	if (i < n && o + 4 <= qsz) {
		memcpy(q + o, "...", 3);
		o += 3;
	}
	q[o] = '\0';
	return q;
}

/* Walk the lines of a body: *line and *n for each, 0 at the end. */
static int
pop3_body_next(const struct buf *body, size_t *off, const char **line,
    size_t *n)
{
	const char *b = buf_cstr(body), *nl;

	if (*off >= body->len)
		return 0;
	*line = b + *off;
	nl = memchr(*line, '\n', body->len - *off);
	/* The reader ends every line in CRLF. */
	*n = nl ? (size_t)(nl - *line) - 1 : body->len - *off;
	*off = nl ? (size_t)(nl - b) + 1 : body->len;
	return 1;
}

/* The multi-line body in the transcript: up to `shown` lines one by
 * one, the rest as one entry, then the terminator. */
static void
pop3_tr_body(struct pop3_client *s, const struct pop3_response *resp,
    size_t shown)
{
	const char *line;
	size_t off = 0, n, i;

	if (s->tr == NULL || !resp->multiline)
		return;
	for (i = 0; i < shown && pop3_body_next(resp->body, &off, &line, &n);
	     i++)
		transcript_add(s->tr, TR_SERVER, line, n);
	if (i < resp->body_lines)
		transcript_addf(s->tr, TR_SERVER, "[%zu %slines, %zu bytes]",
		    resp->body_lines - i, i ? "more " : "",
		    resp->body->len - off);
	transcript_add(s->tr, TR_SERVER, ".", 1);
}

/* --- listing ------------------------------------------------------ */

/* The entry for message msg, added when new; NULL when the result is
 * full (the line still counts in listing_total). */
static struct pop3_listing *
pop3_listing_get(struct pop3_client *s, uint64_t msg, size_t hint)
{
	struct pop3_client_result *r = s->r;
	struct pop3_listing *e;
	size_t i, ncap;

	/* LIST and UIDL come in ascending order (RFC 1939 5), so the
	 * listing stays sorted: the hint (the line's index) usually hits,
	 * else a binary search.  A number out of order is counted, not
	 * kept, so a hostile listing costs O(log n) per line. */
	if (hint < r->nlisting && r->listing[hint].msg == msg)
		return &r->listing[hint];
	if (r->nlisting > 0 && msg <= r->listing[r->nlisting - 1].msg) {
		size_t lo = 0, hi = r->nlisting;

		while (lo < hi) {
			i = lo + (hi - lo) / 2;
			if (r->listing[i].msg == msg)
				return &r->listing[i];
			if (r->listing[i].msg < msg)
				lo = i + 1;
			else
				hi = i;
		}
		return NULL;
	}
	if (r->nlisting >= POP3_MAX_LISTED)
		return NULL;
	if (r->nlisting == s->listing_cap) {
		ncap = s->listing_cap ? s->listing_cap * 2 : 32;
		if (ncap > POP3_MAX_LISTED)
			ncap = POP3_MAX_LISTED;
		if ((e = realloc(r->listing, ncap * sizeof(*e))) == NULL)
			return NULL;
		r->listing = e;
		s->listing_cap = ncap;
	}
	e = &r->listing[r->nlisting++];
	memset(e, 0, sizeof(*e));
	e->msg = msg;
	return e;
}

/* LIST ("n size") or UIDL ("n uid") lines into the listing.  Returns
 * -1 after failing the session on a malformed line. */
static int
pop3_take_listing(struct pop3_client *s, const struct pop3_response *resp,
    int uidl)
{
	struct pop3_client_result *r = s->r;
	struct pop3_listing *e;
	const char *line, *v;
	size_t off = 0, n, k, vn, idx = 0;
	uint64_t msg, size = 0;
	char q[POP3_QUOTE_MAX];

	while (pop3_body_next(resp->body, &off, &line, &n)) {
		k = pop3_number(line, n, &msg);
		if (k == 0 || msg == 0 || k == n || line[k] != ' ')
			goto bad;
		v = line + k + 1;
		vn = n - k - 1;
		if (uidl) {
			/* RFC 1939 7: 1 to 70 characters 0x21..0x7e. */
			if (vn < 1 || vn > 70)
				goto bad;
			for (k = 0; k < vn; k++)
				if ((unsigned char)v[k] < 0x21 ||
				    (unsigned char)v[k] > 0x7e)
					goto bad;
		} else {
			/* Anything may follow the size (RFC 1939 5). */
			k = pop3_number(v, vn, &size);
			if (k == 0 || (k < vn && v[k] != ' '))
				goto bad;
			if (msg > s->max_listed)
				s->max_listed = msg;
		}
		if ((e = pop3_listing_get(s, msg, idx)) != NULL) {
			if (uidl) {
				memcpy(e->uid, v, vn);
				e->uid[vn] = '\0';
			} else {
				e->size = size;
			}
		}
		idx++;
	}
	if (uidl)
		s->uidl_lines = idx;
	else
		s->list_lines = idx;
	r->listing_total = s->list_lines > s->uidl_lines ? s->list_lines :
	    s->uidl_lines;
	return 0;
bad:
	pop3_fail(s, pop3_current_phase(s), MV_ERR_PROTOCOL, "%s line %zu is "
	    "not \"number %s\": \"%s\"", uidl ? "UIDL" : "LIST", idx + 1,
	    uidl ? "unique-id" : "size", pop3_quote(line, n, q, 80));
	return -1;
}

/* --- the mailbox commands ------------------------------------------ */

static void
pop3_on_stat(struct pop3_client *s, const struct pop3_response *resp)
{
	struct pop3_client_result *r = s->r;
	const char *t = resp->text;
	size_t n = strlen(t), k, k2;
	char q[POP3_QUOTE_MAX];

	session_phase_end(&s->timing, POP3_PHASE_STAT);
	if (resp->status != POP3_STATUS_OK) {
		pop3_refused(s, resp);
		return;
	}
	/* RFC 1939 5: "+OK nn mm", exactly, so that clients can parse. */
	k = pop3_number(t, n, &r->stat_count);
	if (k == 0 || k == n || t[k] != ' ' ||
	    (k2 = pop3_number(t + k + 1, n - k - 1, &r->stat_octets)) == 0 ||
	    (k + 1 + k2 < n && t[k + 1 + k2] != ' ')) {
		pop3_fail(s, POP3_PHASE_STAT, MV_ERR_PROTOCOL, "the response "
		    "to STAT is not \"+OK count size\": \"%s\"",
		    pop3_quote(resp->raw, strlen(resp->raw), q, 80));
		return;
	}
	r->stat_ok = 1;
	s->stat_done = 1;
	pop3_next(s);
}

static void
pop3_on_list(struct pop3_client *s, const struct pop3_response *resp)
{
	int uidl = s->st == ST_UIDL;

	session_phase_end(&s->timing, uidl ? POP3_PHASE_UIDL : POP3_PHASE_LIST);
	if (resp->status != POP3_STATUS_OK) {
		pop3_refused(s, resp);
		return;
	}
	if (pop3_take_listing(s, resp, uidl) == -1)
		return;
	if (uidl)
		s->uidl_done = 1;
	else
		s->list_done = 1;
	pop3_next(s);
}

/* Is there an "X-Mailvet-Token: TOKEN" field in the header?  Folded
 * fields are unfolded (RFC 5322 2.2.3); the name is case-insensitive. */
static int
pop3_has_token(const struct buf *body, const char *token)
{
	static const char name[] = "X-Mailvet-Token";
	const size_t nlen = sizeof(name) - 1, tlen = strlen(token);
	const char *line, *v;
	char val[256];
	size_t off = 0, n, vn = 0, k;
	int in_field = 0;

	for (;;) {
		int more = pop3_body_next(body, &off, &line, &n);

		/* A continuation line extends the field being read. */
		if (more && n > 0 && (line[0] == ' ' || line[0] == '\t')) {
			if (in_field && vn + n < sizeof(val)) {
				memcpy(val + vn, line, n);
				vn += n;
			}
			continue;
		}
		if (in_field) {
			for (k = 0; k < vn && (val[k] == ' ' || val[k] == '\t');
			     k++)
				;
			while (vn > k && (val[vn - 1] == ' ' ||
			    val[vn - 1] == '\t'))
				vn--;
			if (vn - k == tlen &&
			    strncasecmp(val + k, token, tlen) == 0)
				return 1;
			in_field = 0;
		}
		/* The header ends at the first empty line. */
		if (!more || n == 0)
			return 0;
		if (n > nlen && strncasecmp(line, name, nlen) == 0) {
			for (v = line + nlen; v < line + n && (*v == ' ' ||
			    *v == '\t'); v++)
				;
			if (v < line + n && *v == ':') {
				v++;
				vn = (size_t)(line + n - v);
				if (vn >= sizeof(val))
					vn = sizeof(val) - 1;
				memcpy(val, v, vn);
				in_field = 1;
			}
		}
	}
}

static void
pop3_search_send(struct pop3_client *s)
{
	pop3_simple(s, ST_SEARCH, 1, "TOP %llu 0", (unsigned long long)s->msg);
}

static void
pop3_search_begin(struct pop3_client *s)
{
	struct pop3_client_result *r = s->r;
	uint64_t count, max;

	count = r->stat_ok ? r->stat_count : s->max_listed;
	if (count == 0) {
		s->search_done = 1;
		if (s->tr)
			transcript_addf(s->tr, TR_INFO, "the mailbox is empty: "
			    "no message to look for the token in");
		pop3_next(s);
		return;
	}
	if (r->have_capa && !r->capa_top) {
		pop3_fail(s, POP3_PHASE_SEARCH, MV_ERR_LACKS_FEATURE, "the "
		    "server does not offer TOP (not in its CAPA), which "
		    "mailvet needs to read message headers without "
		    "downloading the messages");
		return;
	}
	max = s->p->find_max ? s->p->find_max : POP3_DEFAULT_FIND_MAX;
	s->search_first = count;
	s->search_last = count > max ? count - max + 1 : 1;
	s->msg = count;
	session_phase_begin(&s->timing, POP3_PHASE_SEARCH);
	pop3_search_send(s);
}

static void
pop3_on_search(struct pop3_client *s, const struct pop3_response *resp)
{
	struct pop3_client_result *r = s->r;

	if (resp->status != POP3_STATUS_OK) {
		session_phase_end(&s->timing, POP3_PHASE_SEARCH);
		pop3_refused(s, resp);
		return;
	}
	if (pop3_has_token(resp->body, s->p->find_token)) {
		r->found = s->msg;
	} else if (s->msg > s->search_last) {
		s->msg--;
		pop3_search_send(s);
		return;
	}
	session_phase_end(&s->timing, POP3_PHASE_SEARCH);
	s->search_done = 1;
	if (s->tr && r->found)
		transcript_addf(s->tr, TR_INFO, "message %llu carries "
		    "X-Mailvet-Token: %s", (unsigned long long)r->found,
		    s->p->find_token);
	else if (s->tr)
		transcript_addf(s->tr, TR_INFO, "no message of %llu to %llu "
		    "carries X-Mailvet-Token: %s",
		    (unsigned long long)s->search_last,
		    (unsigned long long)s->search_first, s->p->find_token);
	pop3_next(s);
}

static void
pop3_on_retr(struct pop3_client *s, const struct pop3_response *resp)
{
	struct pop3_client_result *r = s->r;

	session_phase_end(&s->timing, POP3_PHASE_RETR);
	if (resp->status != POP3_STATUS_OK) {
		pop3_refused(s, resp);
		return;
	}
	buf_reset(&r->message);
	if (buf_append(&r->message, buf_cstr(resp->body), resp->body->len) ==
	    -1) {
		pop3_fail(s, POP3_PHASE_RETR, MV_ERR_INTERNAL, "out of memory "
		    "for a message of %zu bytes", resp->body->len);
		return;
	}
	r->retr_msg = s->msg;
	s->retr_done = 1;
	pop3_next(s);
}

static void
pop3_dele_send(struct pop3_client *s)
{
	s->msg = s->dele_todo[s->dele_next];
	pop3_simple(s, ST_DELE, 0, "DELE %llu", (unsigned long long)s->msg);
}

static void
pop3_on_dele(struct pop3_client *s, const struct pop3_response *resp)
{
	if (resp->status != POP3_STATUS_OK) {
		session_phase_end(&s->timing, POP3_PHASE_DELE);
		pop3_refused(s, resp);
		return;
	}
	s->r->deleted++;
	if (++s->dele_next < s->ndele) {
		pop3_dele_send(s);
		return;
	}
	session_phase_end(&s->timing, POP3_PHASE_DELE);
	pop3_next(s);
}

/* After the login: the next requested command, or QUIT. */
static void
pop3_next(struct pop3_client *s)
{
	const struct pop3_client_params *p = s->p;
	struct pop3_client_result *r = s->r;

	if (p->stat && !s->stat_done) {
		session_phase_begin(&s->timing, POP3_PHASE_STAT);
		pop3_simple(s, ST_STAT, 0, "STAT");
	} else if (p->list && !s->list_done) {
		session_phase_begin(&s->timing, POP3_PHASE_LIST);
		pop3_simple(s, ST_LIST, 1, "LIST");
	} else if (p->uidl && !s->uidl_done) {
		session_phase_begin(&s->timing, POP3_PHASE_UIDL);
		pop3_simple(s, ST_UIDL, 1, "UIDL");
	} else if (p->find_token && !s->search_done) {
		/* The newest message number: from STAT unless LIST told. */
		if (!s->stat_done && !s->list_done) {
			session_phase_begin(&s->timing, POP3_PHASE_STAT);
			pop3_simple(s, ST_STAT, 0, "STAT");
			return;
		}
		pop3_search_begin(s);
	} else if ((p->retr || p->top) && !s->retr_done) {
		session_phase_begin(&s->timing, POP3_PHASE_RETR);
		s->msg = p->retr ? p->retr : p->top;
		if (p->retr)
			pop3_simple(s, ST_RETR, 1, "RETR %llu",
			    (unsigned long long)p->retr);
		else
			pop3_simple(s, ST_RETR, 1, "TOP %llu %llu",
			    (unsigned long long)p->top,
			    (unsigned long long)p->top_lines);
	} else if (!s->dele_planned) {
		s->dele_planned = 1;
		if (p->dele)
			s->dele_todo[s->ndele++] = p->dele;
		if (p->dele_found && r->found && r->found != p->dele)
			s->dele_todo[s->ndele++] = r->found;
		if (s->ndele == 0) {
			pop3_next(s);
			return;
		}
		session_phase_begin(&s->timing, POP3_PHASE_DELE);
		pop3_dele_send(s);
	} else {
		pop3_quit(s);
	}
}

/* --- login ---------------------------------------------------------- */

static void
pop3_auth_send(struct pop3_client *s, const char *resp, int initial)
{
	const char *mech = s->r->auth_method;
	struct buf line;
	char shown[128], name[64];

	buf_init(&line, 0);
	snprintf(name, sizeof(name), "AUTH %s", mech);
	if (initial) {
		buf_printf(&line, "AUTH %s", mech);
		if (resp != NULL &&
		    line.len + 1 + (resp[0] ? strlen(resp) : 1) + 2 >
			POP3_AUTH_LINE_MAX) {
			/* Too long for the line: sent after the first,
			 * empty, challenge instead. */
			buf_reset(&s->sasl_held);
			buf_append_str(&s->sasl_held, resp);
			s->sasl_holding = 1;
			resp = NULL;
		}
		if (resp != NULL)
			buf_printf(&line, " %s", resp[0] ? resp : "=");
		snprintf(shown, sizeof(shown), "AUTH %s%s", mech,
		    resp ? " <redacted credentials>" : "");
	} else {
		buf_append_str(&line, resp);
		snprintf(shown, sizeof(shown), "<redacted SASL response, %zu "
		    "bytes>", strlen(resp));
	}
	pop3_command(s, ST_AUTH, 0, name, buf_cstr(&line),
	    s->p->show_secrets ? NULL : shown);
	buf_free(&line);
}

static void
pop3_begin_sasl(struct pop3_client *s)
{
	const struct pop3_client_params *p = s->p;
	struct pop3_client_result *r = s->r;
	struct mv_error err;
	struct buf resp;
	int step;

	/* Without CAPA nothing is known: the user's choice is tried. */
	if (sasl_choose_mech(p->auth_mech, r->have_capa ? r->sasl : NULL,
		r->auth_method, sizeof(r->auth_method), &err) == -1 ||
	    (s->sasl = sasl_client_new(r->auth_method, p->user,
		p->pass ? p->pass : "", NULL, &err)) == NULL) {
		pop3_fail_err(s, POP3_PHASE_AUTH, &err);
		return;
	}
	session_phase_begin(&s->timing, POP3_PHASE_AUTH);
	if (!sasl_client_first(s->sasl)) {
		pop3_auth_send(s, NULL, 1);
		return;
	}
	buf_init(&resp, 16384);
	step = sasl_client_step(s->sasl, NULL, &resp, &err);
	if (step == -1) {
		buf_free(&resp);
		pop3_fail_err(s, POP3_PHASE_AUTH, &err);
		return;
	}
	s->sasl_done = step == 1;
	pop3_auth_send(s, buf_cstr(&resp), 1);
	buf_free(&resp);
}

static void
pop3_on_auth(struct pop3_client *s, const struct pop3_response *resp)
{
	struct pop3_client_result *r = s->r;
	struct mv_error err;
	struct buf out;
	int step;

	if (resp->status == POP3_STATUS_CONT) {
		if (s->sasl_holding) {
			s->sasl_holding = 0;
			pop3_auth_send(s, buf_cstr(&s->sasl_held), 0);
			return;
		}
		/* A challenge after the mechanism is complete is refused
		 * by the SASL layer (no endless acknowledgements). */
		buf_init(&out, 16384);
		step = sasl_client_step(s->sasl, resp->text, &out, &err);
		if (step == -1) {
			buf_free(&out);
			/* Cancel the exchange (RFC 5034 4) and leave: the
			 * server's -ERR to "*" would be taken for the
			 * response to a QUIT. */
			pop3_send(s, "*", NULL);
			if (r->err.cat == MV_ERR_NONE) {
				r->err = err;
				r->failed_phase = POP3_PHASE_AUTH;
			}
			if (s->tr)
				transcript_addf(s->tr, TR_ERROR, "%s",
				    err.msg);
			pop3_finish(s);
			return;
		}
		s->sasl_done = step == 1;
		pop3_auth_send(s, buf_cstr(&out), 0);
		buf_free(&out);
		return;
	}
	status_copy(&r->auth, resp);
	session_phase_end(&s->timing, POP3_PHASE_AUTH);
	if (resp->status != POP3_STATUS_OK) {
		status_copy(&r->last, resp);
		pop3_fail(s, POP3_PHASE_AUTH, MV_ERR_REJECTED, "authentication "
		    "as %s with %s failed: %.*s", s->p->user, r->auth_method,
		    POP3_QUOTE_MAX, resp->raw);
		return;
	}
	if (!s->sasl_done) {
		/* SCRAM: no server signature, no proof (RFC 5802 5). */
		pop3_fail(s, POP3_PHASE_AUTH, MV_ERR_PROTOCOL, "the server "
		    "accepted %s before the exchange was complete: it never "
		    "proved that it knows the password", r->auth_method);
		return;
	}
	r->auth_ok = 1;
	pop3_next(s);
}

static void
pop3_on_user(struct pop3_client *s, const struct pop3_response *resp)
{
	struct pop3_client_result *r = s->r;
	struct buf line;

	if (resp->status != POP3_STATUS_OK) {
		status_copy(&r->auth, resp);
		status_copy(&r->last, resp);
		session_phase_end(&s->timing, POP3_PHASE_AUTH);
		pop3_fail(s, POP3_PHASE_AUTH, MV_ERR_REJECTED, "USER %s was "
		    "refused: %.*s", s->p->user, POP3_QUOTE_MAX, resp->raw);
		return;
	}
	buf_init(&line, 0);
	buf_printf(&line, "PASS %s", s->p->pass ? s->p->pass : "");
	pop3_command(s, ST_PASS, 0, "PASS", buf_cstr(&line),
	    s->p->show_secrets ? NULL : "PASS <redacted>");
	/* The password does not linger in freed memory. */
	if (line.data)
		memset(line.data, 0, line.len);
	buf_free(&line);
}

static void
pop3_on_pass(struct pop3_client *s, const struct pop3_response *resp)
{
	struct pop3_client_result *r = s->r;

	status_copy(&r->auth, resp);
	session_phase_end(&s->timing, POP3_PHASE_AUTH);
	if (resp->status != POP3_STATUS_OK) {
		status_copy(&r->last, resp);
		pop3_fail(s, POP3_PHASE_AUTH, MV_ERR_REJECTED, "login as %s "
		    "failed: %.*s", s->p->user, POP3_QUOTE_MAX, resp->raw);
		return;
	}
	r->auth_ok = 1;
	pop3_next(s);
}

static void
pop3_begin_login(struct pop3_client *s)
{
	const struct pop3_client_params *p = s->p;
	struct pop3_client_result *r = s->r;
	struct buf line;

	if (p->user == NULL) {
		pop3_quit(s);
		return;
	}
	r->auth_attempted = 1;
	snprintf(r->auth_user, sizeof(r->auth_user), "%s", p->user);
	if (p->auth_mech != NULL) {
		pop3_begin_sasl(s);
		return;
	}
	snprintf(r->auth_method, sizeof(r->auth_method), "USER");
	/* Without CAPA, USER is simply tried (RFC 1939 servers have it). */
	if (r->have_capa && !r->capa_user) {
		if (!r->tls_active)
			pop3_fail(s, POP3_PHASE_AUTH, MV_ERR_LACKS_FEATURE,
			    "the server does not offer USER/PASS login before "
			    "TLS (no USER in its CAPA); use %s%s",
			    r->stls_offered ? "--tls or pop3s://" :
			    "pop3s:// (it offers no STLS either)",
			    r->sasl[0] ? ", or AUTH with --auth-mech" : "");
		else
			pop3_fail(s, POP3_PHASE_AUTH, MV_ERR_LACKS_FEATURE,
			    "the server does not offer USER/PASS login (no "
			    "USER in its CAPA)%s%s", r->sasl[0] ? "; it "
			    "offers AUTH (use --auth-mech): " : "", r->sasl);
		return;
	}
	session_phase_begin(&s->timing, POP3_PHASE_AUTH);
	buf_init(&line, 0);
	buf_printf(&line, "USER %s", p->user);
	pop3_command(s, ST_USER, 0, "USER", buf_cstr(&line), NULL);
	buf_free(&line);
}

/* --- greeting, CAPA, STLS ------------------------------------------- */

static void
pop3_send_capa(struct pop3_client *s)
{
	session_phase_begin(&s->timing, POP3_PHASE_CAPA);
	pop3_simple(s, ST_CAPA, 1, "CAPA");
}

/* Append text to a list separated by sep, as much as fits. */
static void
pop3_join(char *dst, size_t dstsz, char sep, const char *text, size_t n)
{
	size_t len = strlen(dst);

	if (len > 0 && len + 1 < dstsz)
		dst[len++] = sep;
	if (n > dstsz - 1 - len)
		n = dstsz - 1 - len;
	memcpy(dst + len, text, n);
	dst[len + n] = '\0';
}

/* The capability's name: the first word, compared case-insensitively
 * (RFC 2449 5). */
static int
pop3_capa_is(const char *line, size_t n, const char *name)
{
	size_t k = strlen(name);

	return n >= k && strncasecmp(line, name, k) == 0 &&
	    (n == k || line[k] == ' ');
}

static void
pop3_take_capa(struct pop3_client *s, const struct pop3_response *resp)
{
	struct pop3_client_result *r = s->r;
	const char *line;
	size_t off = 0, n, k;

	r->have_capa = 1;
	while (pop3_body_next(resp->body, &off, &line, &n)) {
		pop3_join(r->capa, sizeof(r->capa), '\n', line, n);
		if (pop3_capa_is(line, n, "STLS"))
			r->capa_stls = 1;
		else if (pop3_capa_is(line, n, "USER"))
			r->capa_user = 1;
		else if (pop3_capa_is(line, n, "TOP"))
			r->capa_top = 1;
		else if (pop3_capa_is(line, n, "UIDL"))
			r->capa_uidl = 1;
		else if (pop3_capa_is(line, n, "RESP-CODES"))
			r->capa_resp_codes = 1;
		else if (pop3_capa_is(line, n, "SASL")) {
			for (k = 4; k < n && line[k] == ' '; k++)
				;
			if (k < n)
				pop3_join(r->sasl, sizeof(r->sasl), ' ', line + k,
				    n - k);
		}
	}
}

/* After CAPA: STLS per policy, then the login. */
static void
pop3_after_capa(struct pop3_client *s)
{
	const struct pop3_client_params *p = s->p;
	struct pop3_client_result *r = s->r;

	if (!r->tls_active && p->tls != TLS_POLICY_OFF && !s->stls_refused) {
		/* A server without CAPA may still know STLS: when TLS is
		 * required, asking is the only way to find out. */
		if (r->capa_stls ||
		    (!r->have_capa && p->tls == TLS_POLICY_REQUIRED)) {
			s->stls_blind = !r->capa_stls;
			session_phase_begin(&s->timing, POP3_PHASE_STLS);
			pop3_simple(s, ST_STLS, 0, "STLS");
			return;
		}
		if (p->tls == TLS_POLICY_REQUIRED) {
			pop3_fail(s, POP3_PHASE_STLS, MV_ERR_LACKS_FEATURE,
			    "the server does not offer STLS, and TLS is "
			    "required (--tls required): refusing to log in in "
			    "plaintext");
			return;
		}
		if (s->tr)
			transcript_addf(s->tr, TR_INFO, "the server does not "
			    "offer STLS%s; continuing in plaintext",
			    r->have_capa ? "" : " (no CAPA)");
	}
	pop3_begin_login(s);
}

static void
pop3_on_capa(struct pop3_client *s, const struct pop3_response *resp)
{
	struct pop3_client_result *r = s->r;

	session_phase_end(&s->timing, POP3_PHASE_CAPA);
	if (resp->status == POP3_STATUS_OK) {
		pop3_take_capa(s, resp);
	} else if (s->tr) {
		/* RFC 2449 is optional: an RFC 1939 server says -ERR. */
		transcript_addf(s->tr, TR_INFO, "the server does not support "
		    "CAPA (RFC 2449)");
	}
	if (!r->tls_active) {
		r->have_capa_plain = r->have_capa;
		memcpy(r->capa_plain, r->capa, sizeof(r->capa_plain));
		r->user_before_tls = r->capa_user;
		r->stls_offered = r->capa_stls;
	}
	pop3_after_capa(s);
}

static void
pop3_on_stls(struct pop3_client *s, const struct pop3_response *resp,
    size_t trailing)
{
	struct pop3_client_result *r = s->r;

	status_copy(&r->stls, resp);
	session_phase_end(&s->timing, POP3_PHASE_STLS);
	if (resp->status == POP3_STATUS_OK) {
		if (trailing || pop3_reader_pending(&s->reader)) {
			/* Bytes after the +OK would be read as if they had
			 * come through TLS: the STARTTLS injection class. */
			pop3_fail(s, POP3_PHASE_STLS, MV_ERR_PROTOCOL, "the "
			    "server sent %zu bytes of plaintext after its +OK "
			    "to STLS; refusing to start TLS over them "
			    "(STARTTLS command injection)", trailing ?
			    trailing : s->reader.line.len);
			return;
		}
		s->st = ST_TLS;
		if (s->conn)
			conn_starttls(s->conn);
		return;
	}
	status_copy(&r->last, resp);
	if (s->p->tls == TLS_POLICY_REQUIRED) {
		pop3_fail(s, POP3_PHASE_STLS, s->stls_blind ?
		    MV_ERR_LACKS_FEATURE : MV_ERR_REJECTED, "%s and TLS is "
		    "required: %.*s", s->stls_blind ? "the server has no CAPA "
		    "and refused STLS" : "STLS was refused", POP3_QUOTE_MAX,
		    resp->raw);
		return;
	}
	if (s->tr)
		transcript_addf(s->tr, TR_INFO, "STLS refused; continuing in "
		    "plaintext");
	s->stls_refused = 1;
	pop3_after_capa(s);
}

static void
pop3_on_greeting(struct pop3_client *s, const struct pop3_response *resp)
{
	struct pop3_client_result *r = s->r;

	status_copy(&r->greeting, resp);
	session_phase_end(&s->timing, POP3_PHASE_GREETING);
	if (resp->status != POP3_STATUS_OK) {
		status_copy(&r->last, resp);
		pop3_fail(s, POP3_PHASE_GREETING, MV_ERR_REJECTED, "the server "
		    "refuses service: %.*s", POP3_QUOTE_MAX, resp->raw);
		return;
	}
	pop3_greeting_timestamp(resp->text, r->apop_timestamp,
	    sizeof(r->apop_timestamp));
	pop3_send_capa(s);
}

static void
pop3_on_response(struct pop3_client *s, const struct pop3_response *resp,
    size_t trailing)
{
	char q[POP3_QUOTE_MAX];

	if (resp->status == POP3_STATUS_CONT && s->st != ST_AUTH &&
	    s->st != ST_QUIT) {
		pop3_fail(s, pop3_current_phase(s), MV_ERR_PROTOCOL, "the "
		    "server sent a continuation (\"%s\") outside AUTH",
		    pop3_quote(resp->raw, strlen(resp->raw), q, 80));
		return;
	}
	switch (s->st) {
	case ST_GREETING:
		pop3_on_greeting(s, resp);
		break;
	case ST_CAPA:
		pop3_on_capa(s, resp);
		break;
	case ST_STLS:
		pop3_on_stls(s, resp, trailing);
		break;
	case ST_USER:
		pop3_on_user(s, resp);
		break;
	case ST_PASS:
		pop3_on_pass(s, resp);
		break;
	case ST_AUTH:
		pop3_on_auth(s, resp);
		break;
	case ST_STAT:
		pop3_on_stat(s, resp);
		break;
	case ST_LIST:
	case ST_UIDL:
		pop3_on_list(s, resp);
		break;
	case ST_SEARCH:
		pop3_on_search(s, resp);
		break;
	case ST_RETR:
		pop3_on_retr(s, resp);
		break;
	case ST_DELE:
		pop3_on_dele(s, resp);
		break;
	case ST_QUIT:
		s->r->quit_ok = resp->status == POP3_STATUS_OK;
		session_phase_end(&s->timing, POP3_PHASE_QUIT);
		/* RFC 1939 6: -ERR here means the deletions failed. */
		if (!s->r->quit_ok && s->r->deleted &&
		    s->r->err.cat == MV_ERR_NONE) {
			status_copy(&s->r->last, resp);
			mv_error_set(&s->r->err, MV_ERR_REJECTED, "QUIT "
			    "refused, so the deletions did not take effect: "
			    "%.*s", POP3_QUOTE_MAX, resp->raw);
			s->r->failed_phase = POP3_PHASE_QUIT;
		}
		pop3_finish(s);
		break;
	case ST_CONNECTING:
	case ST_TLS:
	case ST_DONE:
		pop3_fail(s, pop3_current_phase(s), MV_ERR_PROTOCOL, "the "
		    "server sent a response (\"%s\") when none was expected",
		    pop3_quote(resp->raw, strlen(resp->raw), q, 80));
		break;
	}
}

/* --- connection callbacks ----------------------------------------- */

static void
pop3_conn_read(struct conn *c, const char *data, size_t len, void *arg)
{
	struct pop3_client *s = arg;
	unsigned writes = s->writes;
	struct mv_error err, e2;
	size_t used, shown;

	(void)c;
	while (len > 0 && !s->finished) {
		enum pop3_read_status st;

		/* Bytes of this read that follow a response we have already
		 * answered with a new command were sent before the server
		 * could have read it (POP3 without PIPELINING is strictly
		 * one command, one response). */
		if (s->writes != writes && s->st != ST_QUIT) {
			pop3_fail(s, pop3_current_phase(s), MV_ERR_PROTOCOL,
			    "the server sent %zu bytes before it could have "
			    "read our last command: its responses are out of "
			    "step with the commands", len);
			return;
		}
		st = pop3_reader_feed(&s->reader, data, len, &used, &s->resp,
		    &err);
		if (st == POP3_READ_ERROR) {
			/* Say which response broke the rules. */
			if (s->st == ST_GREETING)
				mv_error_set(&e2, err.cat, "the server's "
				    "greeting: %.450s", err.msg);
			else
				mv_error_set(&e2, err.cat, "the response to "
				    "%s: %.400s", s->cmd, err.msg);
			pop3_fail_err(s, pop3_current_phase(s), &e2);
			return;
		}
		if (st == POP3_READ_MORE)
			return;
		data += used;
		len -= used;
		s->r->bare_lf_lines += s->resp.bare_lf;
		if (s->tr) {
			transcript_add(s->tr, TR_SERVER, s->resp.raw,
			    strlen(s->resp.raw));
			shown = s->st == ST_CAPA ? POP3_TR_CAPA_LINES :
			    s->st == ST_LIST || s->st == ST_UIDL ?
			    POP3_TR_LIST_LINES : 0;
			pop3_tr_body(s, &s->resp, shown);
		}
		pop3_on_response(s, &s->resp, len);
		/* After STLS the rest, if any, was refused above. */
		if (s->st == ST_TLS)
			return;
	}
}

static void
pop3_conn_ready(struct conn *c, void *arg)
{
	struct pop3_client *s = arg;

	s->r->tls_active = session_conn_ready(&s->timing, c,
	    POP3_PHASE_CONNECT, POP3_PHASE_TLS, &s->r->tls);
	s->st = ST_GREETING;
	snprintf(s->cmd, sizeof(s->cmd), "the greeting");
	pop3_reader_expect(&s->reader, 0);
	session_phase_begin(&s->timing, POP3_PHASE_GREETING);
	pop3_expect(s, s->p->greeting_timeout_ms, "the server's greeting "
	    "(+OK)");
}

static void
pop3_conn_tls(struct conn *c, void *arg)
{
	struct pop3_client *s = arg;
	struct pop3_client_result *r = s->r;

	r->tls_active = 1;
	session_conn_upgraded(&s->timing, c, POP3_PHASE_TLS, &r->tls);
	/* RFC 2595 4: forget what was learnt before TLS and ask again. */
	pop3_reader_reset(&s->reader);
	r->have_capa = 0;
	r->capa[0] = r->sasl[0] = '\0';
	r->capa_stls = r->capa_user = r->capa_top = r->capa_uidl = 0;
	r->capa_resp_codes = 0;
	pop3_send_capa(s);
}

static void
pop3_conn_error(struct conn *c, const struct mv_error *err, void *arg)
{
	struct pop3_client *s = arg;
	struct mv_error e = *err;
	char what[128];

	/* A certificate that did not verify is still reported. */
	if (session_tls_on_error(&s->timing, c, err, POP3_PHASE_CONNECT,
	    POP3_PHASE_TLS, &s->r->tls))
		s->r->tls_active = 1;
	if (s->st == ST_QUIT) {
		/* Closing right after QUIT is what servers do. */
		if (s->tr && err->cat == MV_ERR_TIMEOUT)
			transcript_addf(s->tr, TR_INFO, "no response to QUIT");
		pop3_finish(s);
		return;
	}
	snprintf(what, sizeof(what), "the response to %s", s->cmd);
	session_explain_error(err, s->st == ST_GREETING, s->r->implicit_tls,
	    pop3_reader_pending(&s->reader), "995 does, use pop3s://", what,
	    &e);
	/* A handshake failing under implicit TLS happens before on_ready. */
	pop3_fail_err(s, err->cat == MV_ERR_TLS ? POP3_PHASE_TLS :
	    pop3_current_phase(s), &e);
}

/* A line break in what goes into a command line would let the value
 * smuggle in commands of its own. */
static int
pop3_check_param(const char *v, const char *what, struct mv_error *err)
{
	if (v != NULL && strpbrk(v, "\r\n") != NULL)
		return mv_error_set(err, MV_ERR_USAGE, "the %s contains a line "
		    "break", what);
	return 0;
}

struct pop3_client *
pop3_client_start(uv_loop_t *loop, const struct conn_params *cp,
    const struct pop3_client_params *p, struct pop3_client_result *res,
    struct transcript *tr, pop3_client_done_cb on_done, void *arg,
    struct mv_error *err)
{
	static const struct conn_callbacks cbs = {
		.on_ready = pop3_conn_ready,
		.on_read = pop3_conn_read,
		.on_tls = pop3_conn_tls,
		.on_error = pop3_conn_error,
	};
	struct pop3_client *s;
	size_t max;

	memset(res, 0, sizeof(*res));
	if (pop3_check_param(p->user, "user name", err) == -1 ||
	    pop3_check_param(p->pass, "password", err) == -1)
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	max = p->max_message ? p->max_message : POP3_DEFAULT_MAX_BODY;
	buf_init(&res->message, max);
	res->implicit_tls = cp->target->implicit_tls;
	s->p = p;
	s->r = res;
	s->tr = tr;
	s->on_done = on_done;
	s->arg = arg;
	s->st = ST_CONNECTING;
	session_timing_init(&s->timing, res->phase_us, &res->phase_done);
	buf_init(&s->out, 0);
	buf_init(&s->sasl_held, 16384);
	/* The largest multi-line response is a message (RETR/TOP). */
	pop3_reader_init(&s->reader, 0, max);
	if ((s->conn = conn_new(loop, cp, &cbs, s, err)) == NULL ||
	    conn_start(s->conn, err) == -1) {
		conn_close(s->conn);
		s->conn = NULL;
		pop3_client_free(s);
		pop3_client_result_free(res);
		return NULL;
	}
	return s;
}

void
pop3_client_free(struct pop3_client *s)
{
	if (s == NULL)
		return;
	conn_close(s->conn);
	sasl_client_free(s->sasl);
	pop3_reader_free(&s->reader);
	buf_free(&s->out);
	buf_free(&s->sasl_held);
	free(s);
}
