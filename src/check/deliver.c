/*
 * deliver.c - submit, then find the message in the mailbox (see
 * deliver.h).
 *
 * Checks: those of the submission (smtp_probe), then "mailbox" (a
 * mailbox session could log in and search), "inbox" (the message
 * arrived, with the time), "cleanup" and "log" when asked for.
 */
#include "check/deliver.h"

#include "core/clock.h"
#include "core/file.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DELIVER_LOG_MAX (256u * 1024 * 1024)

/* One mailbox session; returns 1 found, 0 not (yet), -1 error (in
 * *serr, a session failure, or err for a failure to start). */
struct poll_outcome {
	int found;
	uint64_t search_done_us;  /* since the session started */
	struct mv_error err;
};

static uint64_t
imap_until_search(const struct imap_client_result *r)
{
	uint64_t t = 0;
	int ph;

	for (ph = 0; ph <= IMAP_PHASE_SEARCH; ph++)
		t += r->phase_us[ph];
	return t;
}

static uint64_t
pop3_until_search(const struct pop3_client_result *r)
{
	uint64_t t = 0;
	int ph;

	for (ph = 0; ph <= POP3_PHASE_SEARCH; ph++)
		t += r->phase_us[ph];
	return t;
}

static int
deliver_poll(const struct deliver_params *p, struct report *rep,
    struct transcript *tr, struct poll_outcome *o, struct mv_error *err)
{
	memset(o, 0, sizeof(*o));
	if (p->box == TARGET_PROTO_IMAP) {
		struct imap_client_result *r = rep->imap;

		imap_client_result_free(r);
		if (imap_session_run(&p->imap, r, tr, err) == -1)
			return -1;
		o->found = r->nfound > 0;
		o->search_done_us = imap_until_search(r);
		o->err = r->err;
		return 0;
	}
	pop3_client_result_free(rep->pop3);
	if (pop3_session_run(&p->pop3, rep->pop3, tr, err) == -1)
		return -1;
	o->found = rep->pop3->found != 0;
	o->search_done_us = pop3_until_search(rep->pop3);
	o->err = rep->pop3->err;
	return 0;
}

static void
sleep_us(uint64_t us)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(us / 1000000u);
	ts.tv_nsec = (long)(us % 1000000u) * 1000;
	while (nanosleep(&ts, &ts) == -1)
		;
}

/* Keep the transcript of the last mailbox session only, after the
 * submission's, so that it stays readable and bounded. */
static void
deliver_append_transcript(struct report *rep, const struct transcript *t,
    unsigned poll)
{
	size_t i;

	transcript_addf(&rep->tr, TR_INFO, "mailbox session %u:", poll);
	for (i = 0; i < t->n; i++)
		transcript_add(&rep->tr, t->v[i].kind, t->v[i].text,
		    strlen(t->v[i].text));
}

/* Read what the log gained since the start: the lines of this
 * message's queue id are there, and a large log is not read whole. */
static void
deliver_judge_log(const struct deliver_params *p, struct report *rep)
{
	struct deliver_summary *d = rep->deliver;
	struct mv_error err;
	struct buf text;
	char status[32];

	buf_init(&text, DELIVER_LOG_MAX);
	if (file_read_from(p->log_path, p->log_offset, DELIVER_LOG_MAX, &text,
	    &err) == -1) {
		report_add_check(rep, "log", VERDICT_ERROR, "%s", err.msg);
		buf_free(&text);
		return;
	}
	d->log_lines = deliver_log_scan(text.data, text.len,
	    rep->smtp->queue_id, &d->log, status, sizeof(status));
	buf_free(&text);
	if (d->log_lines == 0)
		report_add_check(rep, "log", VERDICT_WARN, "no line for queue "
		    "id %s in %s", rep->smtp->queue_id, p->log_path);
	else if (strcmp(status, "sent") == 0)
		report_add_check(rep, "log", VERDICT_PASS, "%zu lines for "
		    "queue id %s; status=sent", d->log_lines,
		    rep->smtp->queue_id);
	else
		report_add_check(rep, "log", status[0] ? VERDICT_FAIL :
		    VERDICT_WARN, "%zu lines for queue id %s; %s%s",
		    d->log_lines, rep->smtp->queue_id, status[0] ?
		    "status=" : "no delivery status yet", status);
}

static int
deliver_prepare(struct deliver_params *pp, struct report *rep,
    struct mv_error *err)
{
	if ((rep->deliver = calloc(1, sizeof(*rep->deliver))) == NULL)
		return mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
	buf_init(&rep->deliver->log, 1024 * 1024);
	if (pp->box == TARGET_PROTO_IMAP)
		rep->imap = calloc(1, sizeof(*rep->imap));
	else
		rep->pop3 = calloc(1, sizeof(*rep->pop3));
	if (rep->imap == NULL && rep->pop3 == NULL)
		return mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
	rep->deliver->wait_ms = pp->wait_ms;
	rep->deliver->poll_ms = pp->poll_ms;
	target_format(pp->box == TARGET_PROTO_IMAP ? &pp->imap.net.target :
	    &pp->pop3.net.target, rep->deliver->check,
	    sizeof(rep->deliver->check));
	return 0;
}

static void
deliver_mailbox_failed(struct report *rep, const struct mv_error *e)
{
	report_add_check(rep, "mailbox", e->cat == MV_ERR_TIMEOUT ||
	    e->cat == MV_ERR_CONNECT || e->cat == MV_ERR_DNS ? VERDICT_ERROR :
	    VERDICT_FAIL, "%s: %s", rep->deliver->check, e->msg);
	report_add_check(rep, "inbox", VERDICT_ERROR, "cannot tell: the "
	    "mailbox could not be searched");
	rep->err = *e;
}

/* Say what was seen when the message did not come: the mailbox's size
 * and where to look next. */
static void
deliver_not_found(const struct deliver_params *p, struct report *rep)
{
	const struct deliver_summary *d = rep->deliver;
	char seen[160];

	if (p->box == TARGET_PROTO_IMAP)
		snprintf(seen, sizeof(seen), "%s held %llu messages, none "
		    "with the token", p->imap.imap.mailbox,
		    (unsigned long long)rep->imap->exists);
	else
		snprintf(seen, sizeof(seen), "the maildrop held %llu messages, "
		    "none with the token",
		    (unsigned long long)rep->pop3->stat_count);
	report_add_check(rep, "inbox", VERDICT_FAIL, "the message (token %s, "
	    "queue id %s) did not arrive within %.1f s: after %u sessions %s"
	    "%s", rep->token, rep->smtp->queue_id[0] ? rep->smtp->queue_id :
	    "unknown", (double)p->wait_ms / 1000.0, d->polls, seen,
	    p->log_path ? "; see the log check" : " (--log shows where it "
	    "went)");
}

/* POP3 deletions take effect only when QUIT is confirmed; IMAP
 * without UID EXPUNGE only flags the message. */
static void
deliver_judge_cleanup(const struct deliver_params *p, struct report *rep)
{
	struct deliver_summary *d = rep->deliver;

	if (p->box == TARGET_PROTO_IMAP) {
		d->cleaned = rep->imap->deleted > 0;
		if (!d->cleaned && rep->imap->flagged_only) {
			report_add_check(rep, "cleanup", VERDICT_WARN, "the "
			    "test message is flagged \\Deleted but not "
			    "expunged (the server has no UID EXPUNGE)");
			return;
		}
	} else
		d->cleaned = rep->pop3->deleted && rep->pop3->quit_ok;
	report_add_check(rep, "cleanup", d->cleaned ? VERDICT_PASS :
	    VERDICT_WARN, d->cleaned ? "the test message was deleted" :
	    "the test message could not be deleted");
}

int
deliver_run(const struct deliver_params *p, struct report *rep,
    struct mv_error *err)
{
	struct deliver_params pp = *p;
	struct deliver_summary *d;
	struct poll_outcome o;
	struct transcript tr;
	uint64_t t_sent, t_deadline, t_start;

	if (deliver_prepare(&pp, rep, err) == -1)
		return -1;
	d = rep->deliver;
	if (smtp_probe_run(&pp.submit, rep, err) == -1)
		return -1;
	snprintf(d->via, sizeof(d->via), "%s", rep->target);
	if (rep->err.cat != MV_ERR_NONE || rep->smtp->eod.code / 100 != 2) {
		report_add_check(rep, "inbox", VERDICT_SKIP, "the message was "
		    "not submitted");
		return 0;
	}
	d->submitted = 1;
	/* The 250 came just before QUIT: do not count QUIT's round trip.
	 * When QUIT got no reply its time is unknown; then add up the
	 * phases, which run back to back (this misses the DNS lookup and
	 * trust-store loading, so it is the earlier, safer estimate). */
	if (rep->smtp->phase_done & (1u << SMTP_PHASE_QUIT))
		t_sent = clock_now_us() - rep->smtp->phase_us[SMTP_PHASE_QUIT];
	else {
		t_sent = clock_now_us() - rep->smtp->total_us;
		for (int ph = 0; ph <= SMTP_PHASE_EOD; ph++)
			t_sent += rep->smtp->phase_us[ph];
	}
	t_deadline = t_sent + pp.wait_ms * 1000u;
	pp.imap.imap.search_header = "X-Mailvet-Token";
	pp.imap.imap.search_value = rep->token;
	pp.imap.imap.delete_found = pp.cleanup;
	if (pp.imap.imap.mailbox == NULL)
		pp.imap.imap.mailbox = "INBOX";
	pp.pop3.pop3.find_token = rep->token;
	pp.pop3.pop3.dele_found = pp.cleanup;
	pp.pop3.pop3.stat = 1;
	for (;;) {
		t_start = clock_now_us();
		transcript_init(&tr);
		d->polls++;
		if (deliver_poll(&pp, rep, &tr, &o, err) == -1) {
			transcript_free(&tr);
			return -1;
		}
		if (o.found || o.err.cat != MV_ERR_NONE ||
		    clock_now_us() + pp.poll_ms * 1000u >= t_deadline) {
			deliver_append_transcript(rep, &tr, d->polls);
			transcript_free(&tr);
			break;
		}
		transcript_free(&tr);
		transcript_addf(&rep->tr, TR_INFO, "mailbox session %u: not "
		    "there yet", d->polls);
		if (clock_now_us() - t_start < pp.poll_ms * 1000u)
			sleep_us(pp.poll_ms * 1000u - (clock_now_us() -
			    t_start));
	}
	if (o.found) {
		d->found = 1;
		d->time_to_inbox_us = t_start + o.search_done_us - t_sent;
		report_add_check(rep, "mailbox", VERDICT_PASS, "searched %s "
		    "%u time(s)", d->check, d->polls);
		report_add_check(rep, "inbox", VERDICT_PASS, "arrived within "
		    "%.0f ms of the 250 reply (polling every %llu ms)",
		    (double)d->time_to_inbox_us / 1000.0,
		    (unsigned long long)pp.poll_ms);
		if (pp.cleanup)
			deliver_judge_cleanup(&pp, rep);
	} else if (o.err.cat != MV_ERR_NONE) {
		deliver_mailbox_failed(rep, &o.err);
	} else {
		report_add_check(rep, "mailbox", VERDICT_PASS, "searched %s "
		    "%u time(s)", d->check, d->polls);
		deliver_not_found(&pp, rep);
	}
	if (pp.log_path && rep->smtp->queue_id[0])
		deliver_judge_log(&pp, rep);
	return 0;
}
