/*
 * log_report.c - helpers on the `mailvet log` results (log_report.h):
 * status names, a message's overall status, freeing a record, the top
 * rows of a counter table.
 */
#include "report/log_report.h"

#include <stdlib.h>
#include <string.h>

static const char *const status_names[] = {
	"none", "sent", "deferred", "bounced", "expired", "rejected",
	"discarded", "other",
};

const char *
log_status_name(enum log_status s)
{
	if ((unsigned)s >= sizeof(status_names) / sizeof(status_names[0]))
		return "other";
	return status_names[s];
}

enum log_status
log_msg_status(const struct log_msg *m)
{
	size_t i;
	int sent = 0, deferred = 0, bounced = 0, expired = 0, rejected = 0;

	for (i = 0; i < m->nrcpt_seen; i++)
		switch (m->rcpt[i].status) {
		case LOG_STATUS_SENT:
			sent++;
			break;
		case LOG_STATUS_DEFERRED:
			deferred++;
			break;
		case LOG_STATUS_BOUNCED:
			bounced++;
			break;
		case LOG_STATUS_EXPIRED:
			expired++;
			break;
		case LOG_STATUS_REJECTED:
			rejected++;
			break;
		default:
			break;
		}
	/* the whole message refused, or every recipient seen refused */
	if (m->reject_action != NULL && sent + deferred + bounced + expired
	    == 0)
		return strcmp(m->reject_action, "discard") == 0 ||
		    strcmp(m->reject_action, "milter-discard") == 0 ?
		    LOG_STATUS_DISCARDED : LOG_STATUS_REJECTED;
	if (bounced)
		return LOG_STATUS_BOUNCED;
	if (expired)
		return LOG_STATUS_EXPIRED;
	if (deferred)
		return LOG_STATUS_DEFERRED;
	if (sent)
		return LOG_STATUS_SENT;
	if (rejected)
		return LOG_STATUS_REJECTED;
	return LOG_STATUS_NONE;
}

void
log_msg_free(struct log_msg *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nrcpt_seen; i++) {
		struct log_delivery *d = &m->rcpt[i];

		free(d->to);
		free(d->orig_to);
		free(d->relay);
		free(d->dsn);
		free(d->reason);
		free(d->mailbox);
		free(d->box_user);
		free(d->box_session);
		free(d->box_error);
	}
	free(m->rcpt);
	for (i = 0; i < m->nevents; i++) {
		free(m->events[i].prog);
		free(m->events[i].text);
	}
	free(m->events);
	free(m->client);
	free(m->client_ip);
	free(m->sasl_method);
	free(m->sasl_user);
	free(m->tls_proto);
	free(m->tls_cipher);
	free(m->message_id);
	free(m->from);
	free(m->ndr_qid);
	free(m->reject_action);
	free(m->reject_reason);
	free(m->origin);
	free(m);
}

static uint64_t
count_val(const struct log_count_entry *e, int col)
{
	uint64_t v = 0;
	int i;

	if (col < LOG_COUNT_COLS)
		return e->n[col];
	for (i = 0; i < LOG_COUNT_COLS; i++)
		v += e->n[i];
	return v;
}

static int
count_before(const struct log_count_entry *a, const struct log_count_entry *b,
    int col)
{
	if (count_val(a, col) != count_val(b, col))
		return count_val(a, col) > count_val(b, col);
	return strcmp(a->key, b->key) < 0;
}

size_t
log_count_top(const struct log_count *c, int col, size_t k,
    const struct log_count_entry **out)
{
	size_t i, j, got = 0;
	const struct log_count_entry *e;

	if (col < 0 || col > LOG_COUNT_COLS || k == 0)
		return 0;
	for (i = 0; i < c->nslot; i++) {
		e = &c->slot[i];
		if (e->key == NULL || count_val(e, col) == 0)
			continue;
		if (got == k && !count_before(e, out[k - 1], col))
			continue;
		j = got < k ? got++ : k - 1;
		while (j > 0 && count_before(e, out[j - 1], col)) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = e;
	}
	return got;
}
