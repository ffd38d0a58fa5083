/*
 * sink_reply.c - the sink's replies (RFC 5321 4.2, RFC 3463 enhanced
 * codes when ENHANCEDSTATUSCODES is on), formatted once at sink_new()
 * so that answering is a memcpy.  Also the EHLO/LHLO capability lists.
 */
#include "bench/sink_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	enum sink_reply r;
	unsigned code;
	const char *enh;  /* "" when there is none */
	const char *text; /* %s is the host name where it appears */
} canned[] = {
	{ R_BANNER, 220, "", "%s ESMTP mailvet sink" },
	{ R_HELO, 250, "", "%s" },
	{ R_MAIL, 250, "2.1.0", "Ok" },
	{ R_RCPT, 250, "2.1.5", "Ok" },
	{ R_DATA, 354, "", "End data with <CR><LF>.<CR><LF>" },
	{ R_EOD, 250, "2.0.0", "Ok: queued" },
	{ R_BDAT, 250, "2.0.0", "Ok: chunk received" },
	{ R_RSET, 250, "2.0.0", "Ok" },
	{ R_NOOP, 250, "2.0.0", "Ok" },
	{ R_QUIT, 221, "2.0.0", "Bye" },
	{ R_VRFY, 252, "2.0.0", "Cannot VRFY user, but will accept message" },
	{ R_STARTTLS, 220, "2.0.0", "Ready to start TLS" },
	{ R_NO_TLS, 454, "4.7.0", "TLS not available" },
	{ R_AUTH_OK, 235, "2.7.0", "Authentication successful" },
	{ R_AUTH_BAD, 535, "5.7.8", "Authentication credentials invalid" },
	{ R_AUTH_OFF, 502, "5.5.1", "AUTH not available" },
	{ R_AUTH_USER, 334, "", "VXNlcm5hbWU6" },
	{ R_AUTH_PASS, 334, "", "UGFzc3dvcmQ6" },
	{ R_AUTH_CONT, 334, "", "" },
	{ R_AUTH_CANCEL, 501, "5.7.0", "Authentication cancelled" },
	{ R_AUTH_TWICE, 503, "5.5.1", "Already authenticated" },
	{ R_UNKNOWN, 500, "5.5.2", "Error: command not recognized" },
	{ R_SYNTAX, 501, "5.5.4", "Syntax error in parameters" },
	{ R_TOO_LONG, 500, "5.5.2", "Line too long" },
	{ R_NEED_MAIL, 503, "5.5.1", "Error: need MAIL command" },
	{ R_NEED_RCPT, 503, "5.5.1", "Error: need RCPT command" },
	{ R_NESTED, 503, "5.5.1", "Error: nested MAIL command" },
	{ R_TOO_BIG, 552, "5.3.4", "Message size exceeds fixed limit" },
	{ R_PARAM, 555, "5.5.4", "Unsupported option" },
	{ R_RATE, 451, "4.7.1", "Rate limit exceeded, try again later" },
	{ R_IDLE, 421, "4.4.2", "%s Error: timeout exceeded" },
	{ R_BUSY, 421, "4.3.2", "%s Too many connections" },
	{ R_SEQ, 503, "5.5.1", "Error: bad sequence of commands" },
	{ R_SHUTDOWN, 421, "4.3.0", "%s Service shutting down" },
	{ R_WRONG_HELO, 500, "5.5.1", "Error: wrong greeting command" },
	{ R_NO_CHUNKING, 502, "5.5.1", "BDAT not available" },
	{ R_LMTP_RCPT, 250, "2.1.5", "Ok: delivered" },
	{ R_AUTH_MECH, 504, "5.5.4", "Unrecognized authentication type" },
	{ R_RATE_CLOSE, 421, "4.7.1", "%s Rate limit exceeded, closing" },
	/* RFC 3030 2: a refused chunk fails the whole transaction. */
	{ R_BDAT_FAILED_PERM, 554, "5.5.0", "Error: an earlier chunk was "
	    "refused, transaction failed" },
	{ R_BDAT_FAILED_TEMP, 451, "4.5.0", "Error: an earlier chunk was "
	    "refused, transaction failed" },
	{ R_DONE, 421, "4.3.2", "%s Service shutting down: message limit "
	    "reached" },
	{ R_NEED_HELO, 503, "5.5.1", "Error: send HELO/EHLO first" },
};

static int
text_set(struct sink_text *t, struct buf *b)
{
	t->s = malloc(b->len + 1);
	if (t->s == NULL)
		return -1;
	memcpy(t->s, b->data, b->len);
	t->s[b->len] = '\0';
	t->n = b->len;
	return 0;
}

static int
ehlo(struct sink *s, struct buf *b, int with_starttls)
{
	const struct sink_params *p = &s->p;
	struct buf caps;
	const char *nl;
	size_t i = 0;
	int r = 0;

	buf_init(&caps, 4096);
	if (p->features & SINK_FEAT_PIPELINING)
		r |= buf_append_str(&caps, "PIPELINING\n");
	if (p->features & SINK_FEAT_SIZE) {
		if (p->size_limit > 0)
			r |= buf_printf(&caps, "SIZE %llu\n",
			    (unsigned long long)p->size_limit);
		else
			r |= buf_append_str(&caps, "SIZE\n");
	}
	if (with_starttls)
		r |= buf_append_str(&caps, "STARTTLS\n");
	if (p->auth != SINK_AUTH_OFF)
		r |= buf_append_str(&caps, "AUTH PLAIN LOGIN\n");
	if (p->features & SINK_FEAT_ENHANCED)
		r |= buf_append_str(&caps, "ENHANCEDSTATUSCODES\n");
	if (p->features & SINK_FEAT_8BITMIME)
		r |= buf_append_str(&caps, "8BITMIME\n");
	if (p->features & SINK_FEAT_CHUNKING)
		r |= buf_append_str(&caps, "CHUNKING\n");
	if (p->features & SINK_FEAT_SMTPUTF8)
		r |= buf_append_str(&caps, "SMTPUTF8\n");
	/* The greeting line, then "250-" for all but the last line. */
	r |= buf_printf(b, "250%c%s\r\n", caps.len > 0 ? '-' : ' ',
	    s->hostname);
	while (i < caps.len) {
		nl = memchr(caps.data + i, '\n', caps.len - i);
		r |= buf_printf(b, "250%c%.*s\r\n",
		    (size_t)(nl - caps.data) + 1 == caps.len ? ' ' : '-',
		    (int)(nl - caps.data - (long)i), caps.data + i);
		i = (size_t)(nl - caps.data) + 1;
	}
	buf_free(&caps);
	return r;
}

static int
line(struct sink *s, struct buf *b, unsigned code, const char *enh,
    const char *text)
{
	int r;

	if ((s->p.features & SINK_FEAT_ENHANCED) && enh[0] != '\0')
		r = buf_printf(b, "%u %s ", code, enh);
	else
		r = buf_printf(b, "%u ", code);
	/* A %s in the text stands for the host name (the only argument). */
	{
		const char *pc = strstr(text, "%s");

		if (pc != NULL) {
			r |= buf_append(b, text, (size_t)(pc - text));
			r |= buf_append_str(b, s->hostname);
			r |= buf_append_str(b, pc + 2);
		} else {
			r |= buf_append_str(b, text);
		}
	}
	r |= buf_append_str(b, "\r\n");
	return r;
}

int
sink_replies_build(struct sink *s, struct mv_error *err)
{
	struct buf b;
	size_t i;
	char enh[16];
	const struct sink_fault *f;

	buf_init(&b, 8192);
	for (i = 0; i < sizeof(canned) / sizeof(canned[0]); i++) {
		buf_reset(&b);
		if (canned[i].r == R_BANNER && s->p.lmtp) {
			if (line(s, &b, 220, "", "%s LMTP mailvet sink") != 0)
				goto oom;
		} else if (line(s, &b, canned[i].code, canned[i].enh,
		    canned[i].text) != 0)
			goto oom;
		if (text_set(&s->reply[canned[i].r], &b) == -1)
			goto oom;
	}
	buf_reset(&b);
	if (ehlo(s, &b, 0) != 0 || text_set(&s->reply[R_EHLO], &b) == -1)
		goto oom;
	buf_reset(&b);
	if (ehlo(s, &b, s->tls != NULL && s->p.starttls) != 0 ||
	    text_set(&s->reply[R_EHLO_TLS], &b) == -1)
		goto oom;
	for (i = 0; i < s->p.nfaults; i++) {
		f = &s->p.faults[i];
		if (f->kind != SINK_FAULT_REPLY)
			continue;
		buf_reset(&b);
		snprintf(enh, sizeof(enh), "%u.%u.%u", f->code / 100,
		    f->code == 421 ? 3u : 0u, f->code == 421 ? 2u : 0u);
		if (buf_printf(&b, "%u ", f->code) != 0)
			goto oom;
		if ((s->p.features & SINK_FEAT_ENHANCED) &&
		    buf_printf(&b, "%s ", enh) != 0)
			goto oom;
		if (buf_printf(&b, "Injected fault on %s\r\n",
		    sink_cmd_name(f->cmd)) != 0 ||
		    text_set(&s->fault_text[i], &b) == -1)
			goto oom;
	}
	buf_free(&b);
	return 0;
oom:
	buf_free(&b);
	return mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
}

void
sink_replies_free(struct sink *s)
{
	size_t i;

	for (i = 0; i < R_COUNT; i++) {
		free(s->reply[i].s);
		s->reply[i].s = NULL;
	}
	for (i = 0; i < SINK_MAX_FAULTS; i++) {
		free(s->fault_text[i].s);
		s->fault_text[i].s = NULL;
	}
}
