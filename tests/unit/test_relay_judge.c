/*
 * test_relay_judge.c - unit tests for check/relay_judge: which 4xx is a
 * relay refusal and which decides nothing, the verdict and note of each
 * attempt from its outcome and replies, and each vantage's counts,
 * summary and checks (and so the exit code), all from tables.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "check/relay_judge.h"
#include "report/relay_report.h"
#include "report/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define NRELAY   24

static void
set_reply(struct relay_reply *rp, int code, const char *enh,
    const char *text)
{
	rp->code = code;
	snprintf(rp->enh, sizeof(rp->enh), "%s", enh);
	snprintf(rp->text, sizeof(rp->text), "%s%s%s", enh, enh[0] ? " " : "",
	    text);
}

/* --- refusal or deferral ------------------------------------------ */

static void
test_reply_refuses(void **state)
{
	static const struct {
		int code;
		const char *enh, *text;
		int refuses, grey;
	} cases[] = {
		/* Postfix's default relay refusal is a 4xx. */
		{ 454, "4.7.1", "<x@y>: Relay access denied", 1, 0 },
		{ 454, "4.7.1", "<x@y>: whatever the text", 1, 0 },
		{ 451, "", "Relaying denied, authenticate first", 1, 0 },
		{ 450, "", "relay not permitted", 1, 0 },
		{ 452, "", "we do not relay for you", 1, 0 },
		{ 550, "5.7.1", "<x@y>: Relay access denied", 1, 0 },
		{ 554, "", "no", 1, 0 },
		{ 553, "5.7.1", "sorry", 1, 0 },
		/* Deferrals that decide nothing. */
		{ 421, "4.7.0", "mail.busy.test Too many connections", 0, 0 },
		{ 421, "4.7.1", "Relay access denied; closing", 0, 0 },
		{ 451, "4.3.0", "<x@y>: Temporary lookup failure", 0, 0 },
		{ 452, "4.5.3", "Too many recipients", 0, 0 },
		{ 450, "4.2.0", "<x@y>: Recipient address rejected: Greylisted",
		  0, 1 },
		{ 451, "4.7.1", "Please try again later (graylisting)", 0, 1 },
		{ 450, "4.1.2", "<x@y>: Domain not found", 0, 0 },
		/* Not refusals at all. */
		{ 250, "2.1.5", "Ok", 0, 0 },
		{ 354, "", "go ahead", 0, 0 },
		{ 0, "", "", 0, 0 },
	};
	struct relay_reply rp;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		memset(&rp, 0, sizeof(rp));
		set_reply(&rp, cases[i].code, cases[i].enh, cases[i].text);
		if (relay_reply_refuses(&rp) != cases[i].refuses ||
		    relay_reply_greylisted(&rp) != cases[i].grey)
			fail_msg("case %zu: %d %s %s", i, cases[i].code,
			    cases[i].enh, cases[i].text);
	}
}

/* --- a report to judge -------------------------------------------- */

/*
 * One vantage: the control and NRELAY relaying attempts; the first
 * `n1` relaying attempts get outcome o1 (replies as given), the rest o2.
 */
struct scenario {
	enum relay_outcome o1;
	size_t n1;
	enum relay_outcome o2;
	int code;                 /* the deciding reply of every attempt */
	const char *enh, *text;
	int confirm, expect_relay;
};

static struct relay_report *
build_n(const struct scenario *sc, size_t nv)
{
	struct relay_report *rr = relay_report_new(nv * (NRELAY + 1));
	size_t i, k;

	assert_non_null(rr);
	rr->nvantage = nv;
	snprintf(rr->vantage[0].source, sizeof(rr->vantage[0].source),
	    "192.0.2.7");
	rr->vantage[0].expect_relay = sc->expect_relay;
	rr->confirm = sc->confirm;
	rr->confirm_wait_ms = 20000;
	rr->max_time_ms = 300000;
	snprintf(rr->foreign_domain, sizeof(rr->foreign_domain), "far.test");
	snprintf(rr->sink, sizeof(rr->sink), "127.0.0.1:2526");
	for (k = 0; k < rr->n; k++) {
		struct relay_result *r = &rr->v[k];
		enum relay_outcome o;

		i = k % (NRELAY + 1);
		r->vantage = k / (NRELAY + 1);
		if (i == 0) {
			snprintf(r->id, sizeof(r->id), "local-rcpt");
			r->kind = RELAY_KIND_CONTROL;
			r->outcome = RELAY_OUT_ACCEPTED;
			set_reply(&r->rcpt_reply, 250, "2.1.5", "Ok");
			continue;
		}
		snprintf(r->id, sizeof(r->id), i == 1 ? "plain" : "r%zu", i);
		r->kind = RELAY_KIND_RELAY;
		o = i - 1 < sc->n1 ? sc->o1 : sc->o2;
		r->outcome = o;
		set_reply(&r->mail, 250, "2.1.0", "Ok");
		set_reply(&r->rcpt_reply, 250, "2.1.5", "Ok");
		switch (o) {
		case RELAY_OUT_REJECTED_CONNECT:
			set_reply(&r->banner, sc->code, sc->enh, sc->text);
			memset(&r->mail, 0, sizeof(r->mail));
			memset(&r->rcpt_reply, 0, sizeof(r->rcpt_reply));
			break;
		case RELAY_OUT_REJECTED_RCPT:
			set_reply(&r->rcpt_reply, sc->code, sc->enh, sc->text);
			break;
		case RELAY_OUT_DEFERRED:
			if (sc->code == 421) {
				set_reply(&r->banner, sc->code, sc->enh,
				    sc->text);
				memset(&r->mail, 0, sizeof(r->mail));
				memset(&r->rcpt_reply, 0,
				    sizeof(r->rcpt_reply));
			} else if (sc->confirm) {
				r->confirmed = 1;
				set_reply(&r->data, sc->code, sc->enh,
				    sc->text);
			} else
				set_reply(&r->rcpt_reply, sc->code, sc->enh,
				    sc->text);
			break;
		case RELAY_OUT_REJECTED_DATA:
			r->confirmed = 1;
			set_reply(&r->data, sc->code, sc->enh, sc->text);
			break;
		case RELAY_OUT_RELAYED:
		case RELAY_OUT_NOT_RELAYED:
			r->confirmed = 1;
			set_reply(&r->data, 250, "2.0.0", "Ok: queued");
			r->arrived_ms = 1200;
			break;
		case RELAY_OUT_ERROR:
			snprintf(r->error, sizeof(r->error), "timed out");
			break;
		case RELAY_OUT_NOT_RUN:
			snprintf(r->error, sizeof(r->error), "not run: "
			    "--max-time was reached");
			break;
		default:
			break;
		}
	}
	return rr;
}

static struct relay_report *
build(const struct scenario *sc)
{
	return build_n(sc, 1);
}

static const struct check_result *
find_check(const struct report *rep, const char *name)
{
	size_t i;

	for (i = 0; i < rep->nchecks; i++)
		if (strcmp(rep->checks[i].name, name) == 0)
			return &rep->checks[i];
	return NULL;
}

/* --- per attempt ---------------------------------------------------- */

static void
test_attempt_verdicts(void **state)
{
	static const struct {
		struct scenario sc;
		enum verdict want;
		const char *note;      /* a part of the note of "plain" */
	} cases[] = {
		{ { RELAY_OUT_ACCEPTED, NRELAY, 0, 250, "2.1.5", "Ok", 0, 0 },
		  VERDICT_FAIL, "run --confirm to prove" },
		{ { RELAY_OUT_ACCEPTED, NRELAY, 0, 250, "2.1.5", "Ok", 1, 0 },
		  VERDICT_FAIL, "neither proven nor disproven" },
		{ { RELAY_OUT_RELAYED, NRELAY, 0, 250, "", "", 1, 0 },
		  VERDICT_FAIL, "open relay" },
		{ { RELAY_OUT_NOT_RELAYED, NRELAY, 0, 250, "", "", 1, 0 },
		  VERDICT_WARN, "far.test does not route to the sink at "
		  "127.0.0.1:2526" },
		{ { RELAY_OUT_REJECTED_DATA, NRELAY, 0, 554, "5.7.1",
		    "rejected", 1, 0 },
		  VERDICT_PASS, "refused with the message: 554" },
		{ { RELAY_OUT_REJECTED_RCPT, NRELAY, 0, 454, "4.7.1",
		    "<x@y>: Relay access denied", 0, 0 },
		  VERDICT_PASS, "refused: 454 4.7.1" },
		{ { RELAY_OUT_REJECTED_RCPT, NRELAY, 0, 550, "5.7.1",
		    "Relaying denied", 0, 0 },
		  VERDICT_PASS, "refused: 550" },
		{ { RELAY_OUT_DEFERRED, NRELAY, 0, 451, "4.3.0",
		    "Temporary lookup failure", 0, 0 },
		  VERDICT_WARN, "deferred, not a relay decision: 451 4.3.0" },
		{ { RELAY_OUT_DEFERRED, NRELAY, 0, 421, "4.7.0",
		    "Too many connections", 0, 0 },
		  VERDICT_WARN, "deferred at the greeting" },
		{ { RELAY_OUT_DEFERRED, NRELAY, 0, 451, "4.3.0", "later", 1,
		    0 },
		  VERDICT_WARN, "with the confirming message" },
		{ { RELAY_OUT_DEFERRED, NRELAY, 0, 450, "4.2.0", "Greylisted",
		    0, 0 },
		  VERDICT_WARN, "greylisted" },
		{ { RELAY_OUT_ERROR, NRELAY, 0, 0, "", "", 0, 0 },
		  VERDICT_ERROR, "could not test: timed out" },
		{ { RELAY_OUT_NOT_RUN, NRELAY, 0, 0, "", "", 0, 0 },
		  VERDICT_SKIP, "not run: --max-time (300 s)" },
		/* From a vantage relaying is meant for. */
		{ { RELAY_OUT_RELAYED, NRELAY, 0, 250, "", "", 1, 1 },
		  VERDICT_PASS, "as expected" },
		{ { RELAY_OUT_REJECTED_RCPT, NRELAY, 0, 454, "4.7.1",
		    "Relay access denied", 0, 1 },
		  VERDICT_FAIL, "expected from here" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		struct relay_report *rr = build(&cases[i].sc);
		struct report *rep = calloc(1, sizeof(*rep));

		assert_non_null(rep);
		report_init(rep, "relay");
		relay_judge(rr, rep);
		if (rr->v[1].verdict != cases[i].want ||
		    strstr(rr->v[1].note, cases[i].note) == NULL)
			fail_msg("case %zu: verdict %s, note '%s'", i,
			    verdict_name(rr->v[1].verdict), rr->v[1].note);
		relay_report_free(rr);
		report_free(rep);
		free(rep);
	}
}

/* --- per vantage ---------------------------------------------------- */

static void
test_vantage_verdicts(void **state)
{
	static const struct {
		struct scenario sc;
		enum verdict want;
		size_t accepted, unconfirmed, rejected, rejected_data;
		size_t deferred;
		const char *summary;
		enum exit_code exit;
	} cases[] = {
		/* Postfix's 454 4.7.1 from the lab: a refusal. */
		{ { RELAY_OUT_REJECTED_RCPT, NRELAY, 0, 454, "4.7.1",
		    "Relay access denied", 0, 0 },
		  VERDICT_PASS, 0, 0, NRELAY, 0, 0, "no (24/24 attempts "
		  "refused)", EXIT_PASS },
		/* Review finding 2: refused at DATA is no "unconfirmed". */
		{ { RELAY_OUT_REJECTED_DATA, 1, RELAY_OUT_REJECTED_RCPT, 554,
		    "5.7.1", "no", 1, 0 },
		  VERDICT_PASS, 1, 0, NRELAY - 1, 1, 0, "no (24/24 attempts "
		  "refused, 1 of them with the message)", EXIT_PASS },
		{ { RELAY_OUT_REJECTED_DATA, NRELAY, 0, 554, "5.7.1", "no", 1,
		    0 },
		  VERDICT_PASS, NRELAY, 0, 0, NRELAY, 0, "24 of them with the "
		  "message", EXIT_PASS },
		{ { RELAY_OUT_ACCEPTED, 2, RELAY_OUT_REJECTED_RCPT, 550,
		    "5.7.1", "no", 0, 0 },
		  VERDICT_FAIL, 2, 2, NRELAY - 2, 0, 0, "yes (2/24 accepted at "
		  "RCPT: plain, r2)", EXIT_FINDING },
		{ { RELAY_OUT_RELAYED, 1, RELAY_OUT_NOT_RELAYED, 250, "", "",
		    1, 0 },
		  VERDICT_FAIL, NRELAY, 0, 0, 0, 0, "OPEN RELAY from 192.0.2.7: "
		  "1/24", EXIT_FINDING },
		{ { RELAY_OUT_NOT_RELAYED, NRELAY, 0, 250, "", "", 1, 0 },
		  VERDICT_WARN, NRELAY, 0, 0, 0, 0, "not relayed as far as "
		  "mailvet can see", EXIT_PASS },
		/* Review finding 3: deferrals decide nothing. */
		{ { RELAY_OUT_DEFERRED, NRELAY, 0, 421, "4.7.0",
		    "Too many connections", 0, 0 },
		  VERDICT_ERROR, 0, 0, 0, 0, NRELAY, "the server deferred "
		  "every attempt that ran: 24 deferred (421 4.7.0",
		  EXIT_UNTESTED },
		{ { RELAY_OUT_DEFERRED, NRELAY, 0, 451, "4.3.0",
		    "Temporary lookup failure", 0, 0 },
		  VERDICT_ERROR, 0, 0, 0, 0, NRELAY, "(451 4.3.0 Temporary",
		  EXIT_UNTESTED },
		{ { RELAY_OUT_DEFERRED, 3, RELAY_OUT_REJECTED_RCPT, 452,
		    "4.5.3", "Too many recipients", 0, 0 },
		  VERDICT_WARN, 0, 0, NRELAY - 3, 0, 3, "3 deferred (452 4.5.3",
		  EXIT_PASS },
		{ { RELAY_OUT_DEFERRED, NRELAY, 0, 450, "4.2.0", "Greylisted",
		    0, 0 },
		  VERDICT_ERROR, 0, 0, 0, 0, NRELAY, "greylisting delay",
		  EXIT_UNTESTED },
		{ { RELAY_OUT_NOT_RUN, NRELAY, 0, 0, "", "", 0, 0 },
		  VERDICT_ERROR, 0, 0, 0, 0, 0, "24 not run: --max-time",
		  EXIT_UNTESTED },
		{ { RELAY_OUT_NOT_RUN, 4, RELAY_OUT_REJECTED_RCPT, 554, "",
		    "no", 0, 0 },
		  VERDICT_WARN, 0, 0, NRELAY - 4, 0, 0, "4 not run", EXIT_PASS },
		{ { RELAY_OUT_ERROR, NRELAY, 0, 0, "", "", 0, 0 },
		  VERDICT_ERROR, 0, 0, 0, 0, 0, "timed out", EXIT_UNTESTED },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		struct relay_report *rr = build(&cases[i].sc);
		struct report *rep = calloc(1, sizeof(*rep));
		const struct relay_vantage *v = &rr->vantage[0];
		const struct check_result *c;

		assert_non_null(rep);
		report_init(rep, "relay");
		relay_judge(rr, rep);
		c = find_check(rep, "relay 192.0.2.7");
		assert_non_null(c);
		if (v->verdict != cases[i].want || c->verdict != v->verdict ||
		    v->accepted != cases[i].accepted ||
		    v->unconfirmed != cases[i].unconfirmed ||
		    v->rejected != cases[i].rejected ||
		    v->rejected_data != cases[i].rejected_data ||
		    v->deferred != cases[i].deferred ||
		    strstr(v->summary, cases[i].summary) == NULL ||
		    report_exit_code(rep) != cases[i].exit)
			fail_msg("case %zu: %s acc %zu unc %zu rej %zu rd %zu "
			    "def %zu exit %d: '%s'", i,
			    verdict_name(v->verdict), v->accepted,
			    v->unconfirmed, v->rejected, v->rejected_data,
			    v->deferred, (int)report_exit_code(rep),
			    v->summary);
		relay_report_free(rr);
		report_free(rep);
		free(rep);
	}
}

/* --- checks ---------------------------------------------------------- */

static void
test_long_labels_get_distinct_names(void **state)
{
	static const struct scenario sc = { RELAY_OUT_REJECTED_RCPT, NRELAY,
	    0, 550, "5.7.1", "no", 0, 0 };
	struct relay_report *rr = build_n(&sc, 2);
	struct report *rep = calloc(1, sizeof(*rep));
	size_t i;

	(void)state;
	assert_non_null(rep);
	/* Two vantages whose labels share their first 30 characters. */
	snprintf(rr->vantage[0].source, sizeof(rr->vantage[0].source),
	    "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1");
	snprintf(rr->vantage[1].source, sizeof(rr->vantage[1].source),
	    "2001:db8:aaaa:bbbb:cccc:dddd:eeee:2");
	report_init(rep, "relay");
	relay_judge(rr, rep);
	assert_non_null(find_check(rep, "relay #1"));
	assert_non_null(find_check(rep, "relay #2"));
	assert_non_null(find_check(rep, "receive #1"));
	assert_non_null(find_check(rep, "receive #2"));
	assert_non_null(strstr(find_check(rep, "relay #2")->summary,
	    "2001:db8:aaaa:bbbb:cccc:dddd:eeee:2"));
	assert_non_null(strstr(find_check(rep, "receive #1")->summary,
	    "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1"));
	for (i = 0; i < rep->nchecks; i++) {
		size_t k;

		for (k = i + 1; k < rep->nchecks; k++)
			assert_string_not_equal(rep->checks[i].name,
			    rep->checks[k].name);
	}
	relay_report_free(rr);
	report_free(rep);
	free(rep);
}

static void
test_confirm_route_note(void **state)
{
	static const struct scenario sc = { RELAY_OUT_NOT_RELAYED, NRELAY, 0,
	    250, "", "", 1, 0 };
	struct relay_report *rr = build(&sc);
	struct report *rep = calloc(1, sizeof(*rep));
	const struct check_result *c;

	(void)state;
	assert_non_null(rep);
	snprintf(rr->foreign_domain, sizeof(rr->foreign_domain),
	    "relay-test.mailvet.invalid");
	rr->confirm_route_default = 1;
	report_init(rep, "relay");
	relay_judge(rr, rep);
	c = find_check(rep, "confirm-route");
	assert_non_null(c);
	assert_int_equal(c->verdict, VERDICT_WARN);
	assert_non_null(strstr(c->summary, "--confirm-rcpt"));
	assert_non_null(strstr(c->summary, "relay-test.mailvet.invalid"));
	assert_int_equal(report_exit_code(rep), EXIT_PASS);
	relay_report_free(rr);
	report_free(rep);
	free(rep);

	/* A domain of the user's: no such note. */
	rr = build(&sc);
	rep = calloc(1, sizeof(*rep));
	assert_non_null(rep);
	report_init(rep, "relay");
	relay_judge(rr, rep);
	assert_null(find_check(rep, "confirm-route"));
	relay_report_free(rr);
	report_free(rep);
	free(rep);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_refuses),
		cmocka_unit_test(test_attempt_verdicts),
		cmocka_unit_test(test_vantage_verdicts),
		cmocka_unit_test(test_long_labels_get_distinct_names),
		cmocka_unit_test(test_confirm_route_note),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
