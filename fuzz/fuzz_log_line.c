/*
 * fuzz_log_line.c - libFuzzer target for the mail-log line parsers
 * (logscan/log_line, log_postfix, log_dovecot) and the correlator.
 *
 * The input is parsed three ways: as one line, exactly as long as the
 * input and not NUL-terminated (a copy in a buffer of its own size, so
 * ASan sees any read past the end); through the dialect parsers with
 * the input as the message; and as a whole log fed to the correlator
 * in odd-sized chunks, which must count every line and never fail.
 * Slices returned must lie inside the input.
 */
#include "logscan/log_dovecot.h"
#include "logscan/log_line.h"
#include "logscan/log_postfix.h"
#include "logscan/log_reader.h"
#include "logscan/logscan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
inside(struct log_str s, const char *p, size_t n)
{
	if (s.p == NULL)
		return;
	if (s.p < p || s.p + s.n > p + n)
		abort();
}

static void
one_line(const char *p, size_t n)
{
	struct log_clock clk;
	struct log_line l;
	struct pf_event pf;
	struct dv_event dv;

	log_clock_init(&clk, 1764000000);
	if (log_line_parse(p, n, &clk, &l) == 0) {
		inside(l.host, p, n);
		inside(l.prog, p, n);
		inside(l.service, p, n);
		inside(l.dprefix, p, n);
		inside(l.msg, p, n);
		if (l.src == LOG_SRC_POSTFIX) {
			pf_parse(l.service, l.msg, &pf);
			inside(pf.to, p, n);
			inside(pf.reason, p, n);
			inside(pf.client_ip, p, n);
		} else if (l.src == LOG_SRC_DOVECOT) {
			dv_parse(l.service, l.dprefix, l.msg, &dv);
			inside(dv.user, p, n);
			inside(dv.msgid, p, n);
			inside(dv.session, p, n);
		}
	}
	/* the dialects on raw bytes, whatever the prefix said */
	pf_parse(log_str_make("smtpd", 5), log_str_make(p, n), &pf);
	inside(pf.from, p, n);
	inside(pf.stage, p, n);
	dv_parse(log_str_make("imap-login", 10), log_str_make("imap-login",
	    10), log_str_make(p, n), &dv);
	inside(dv.rip, p, n);
	dv_parse(log_str_make("lmtp", 4), log_str_make(p, n),
	    log_str_make(p, n), &dv);
	inside(dv.user, p, n);
	inside(dv.session, p, n);
	dv_parse(log_str_make("auth", 4), log_str_make("auth", 4),
	    log_str_make(p, n), &dv);
	inside(dv.rip, p, n);
	/* newer auth-worker: user and ip taken from the prefix */
	dv_parse(log_str_make("auth-worker", 11), log_str_make(p, n),
	    log_str_make(p, n), &dv);
	inside(dv.user, p, n);
	inside(dv.rip, p, n);
	inside(dv.reason, p, n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy;
	struct logscan_params params;
	struct logscan *ls;
	struct log_reader r;
	size_t off, m, avail, nl = 0, i;
	char *space;

	if (size > 1 << 16)
		return 0;
	if ((copy = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	one_line(copy, size);
	free(copy);

	/* the whole input as a log, with queries and timelines on */
	memset(&params, 0, sizeof(params));
	params.want_qid = "9DA8FA7A084";
	params.want_msgid = "<m@x>";
	params.keep_events = params.link_saves = 1;
	params.max_open = 4;
	params.max_sessions = 8;       /* small tables: collisions and */
	params.max_saves = 4;          /* evictions on short inputs */
	if ((ls = logscan_new(&params)) == NULL)
		return 0;
	if (log_reader_init(&r, 1764000000) == -1) {
		logscan_free(ls);
		return 0;
	}
	for (off = 0; off < size; off += m) {
		m = size - off < 13 ? size - off : 13;
		space = log_reader_space(&r, &avail);
		memcpy(space, data + off, m);
		if (log_reader_commit(&r, ls, m) == -1)
			abort();
	}
	log_reader_flush(&r, ls);
	if (logscan_finish(ls) == -1)
		abort();
	for (i = 0; i < size; i++)
		nl += data[i] == '\n';
	/* every line counted once (a last one without newline too) */
	if (logscan_summary(ls)->lines != nl + (size > 0 &&
	    data[size - 1] != '\n'))
		abort();
	log_reader_free(&r);
	logscan_free(ls);
	return 0;
}
