/*
 * relay_judge.c - verdicts of `mailvet relay` (see relay_judge.h).
 *
 * Per attempt:
 *   control      accepted: pass; refused: warn (the server does not take
 *                mail for its own recipient from here, so refusals below
 *                may say nothing about relaying)
 *   relay        from a vantage not in --expect-relay: refused pass;
 *                accepted at RCPT fail ("may relay"); relayed fail;
 *                accepted but never arrived warn ("accepted, not
 *                relayed": a catch-all, or the foreign domain does not
 *                route to the sink - mailvet cannot tell which)
 *                from an --expect-relay vantage: pass, except "plain"
 *                refused, which fails (relaying expected, not given)
 *   auth         accepted pass; refused warn; login refused fail
 *   auth-spoof   accepted warn (sender/login mismatch allowed); refused
 *                pass
 *   any          deferred (421, a 4xx that is no relay refusal,
 *                greylisting): warn, nothing learnt; session error:
 *                error; not runnable, or --max-time reached: skip
 * A vantage where no relaying attempt got a decisive reply is an error
 * (could not test), not a pass.
 */
#include "check/relay_judge.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static void
note(struct relay_result *r, enum verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
note(struct relay_result *r, enum verdict v, const char *fmt, ...)
{
	va_list ap;

	r->verdict = v;
	va_start(ap, fmt);
	vsnprintf(r->note, sizeof(r->note), fmt, ap);
	va_end(ap);
}

static int
taken(enum relay_outcome o)
{
	return o == RELAY_OUT_ACCEPTED || o == RELAY_OUT_RELAYED ||
	    o == RELAY_OUT_NOT_RELAYED || o == RELAY_OUT_REJECTED_DATA;
}

static int
refused(enum relay_outcome o)
{
	return o == RELAY_OUT_REJECTED_CONNECT ||
	    o == RELAY_OUT_REJECTED_MAIL || o == RELAY_OUT_REJECTED_RCPT;
}

/*
 * Why "accepted, not relayed" is not "open relay" - and not proof of
 * the opposite either: the token also stays away when the foreign
 * domain does not route to the sink.
 */
static const char *
relay_not_relayed_why(const struct relay_report *rr, char *out,
    size_t outsz)
{
	snprintf(out, outsz, "accepted at RCPT, nothing arrived at the sink "
	    "within %.0f s: not relayed as far as mailvet can see - a "
	    "catch-all / accept-then-bounce server, or %.80s does not route "
	    "to the sink at %.50s", (double)rr->confirm_wait_ms / 1000.0,
	    rr->foreign_domain, rr->sink[0] ? rr->sink : "(none)");
	return out;
}

static const char *
reply_line(const struct relay_reply *rp, char *out, size_t outsz)
{
	snprintf(out, outsz, "%d%s%s", rp->code, rp->text[0] ? " " : "",
	    rp->text);
	return out;
}

/* The refusal as evidence: the reply that refused. */
static const char *
refusal(const struct relay_result *r, char *out, size_t outsz)
{
	if (r->outcome == RELAY_OUT_REJECTED_CONNECT)
		return reply_line(&r->banner, out, outsz);
	return reply_line(r->outcome == RELAY_OUT_REJECTED_MAIL ? &r->mail :
	    &r->rcpt_reply, out, outsz);
}

static int
contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return 1;
	return 0;
}

int
relay_reply_greylisted(const struct relay_reply *rp)
{
	return rp->code / 100 == 4 && (contains(rp->text, "greylist") ||
	    contains(rp->text, "graylist"));
}

int
relay_reply_refuses(const struct relay_reply *rp)
{
	static const char *const words[] = {
		"relay access denied", "relaying denied", "relay denied",
		"not permitted", "relaying not allowed", "relay not allowed",
		"not allowed to relay", "unable to relay", "cannot relay",
		"we do not relay", "relaying disallowed", "no relaying",
		"relaying prohibited", "relay not permitted",
	};
	size_t i;

	if (rp->code / 100 == 5)
		return 1;
	if (rp->code / 100 != 4 || rp->code == 421 ||
	    relay_reply_greylisted(rp))
		return 0;
	if (strcmp(rp->enh, "4.7.1") == 0)
		return 1;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (contains(rp->text, words[i]))
			return 1;
	return 0;
}

static int
undecided(const struct relay_result *r)
{
	return r->outcome == RELAY_OUT_SKIPPED ||
	    r->outcome == RELAY_OUT_ERROR || r->outcome == RELAY_OUT_NOT_RUN ||
	    r->outcome == RELAY_OUT_DEFERRED;
}

static void
judge_common(struct relay_result *r, const struct relay_report *rr)
{
	char line[RELAY_REPLY_MAX + 32];
	const struct relay_reply *rp = relay_deciding_reply(r);

	if (r->outcome == RELAY_OUT_SKIPPED)
		note(r, VERDICT_SKIP, "not run: %s", r->note[0] ? r->note :
		    "not applicable");
	else if (r->outcome == RELAY_OUT_NOT_RUN)
		note(r, VERDICT_SKIP, "%s: --max-time (%.0f s) was reached "
		    "first", strncmp(r->error, "stopped", 7) == 0 ?
		    "stopped in the middle" : "not run",
		    (double)rr->max_time_ms / 1000.0);
	else if (r->outcome == RELAY_OUT_ERROR)
		note(r, VERDICT_ERROR, "could not test: %s", r->error);
	else if (r->outcome == RELAY_OUT_DEFERRED && relay_reply_greylisted(rp))
		note(r, VERDICT_WARN, "greylisted, so the relay rules were not "
		    "reached: %s; run again after the greylisting delay",
		    reply_line(rp, line, sizeof(line)));
	else if (r->outcome == RELAY_OUT_DEFERRED)
		note(r, VERDICT_WARN, "deferred%s, not a relay decision: %s; "
		    "nothing learnt, run again later", r->confirmed ?
		    " with the confirming message (accepted at RCPT)" :
		    r->banner.code >= 400 ? " at the greeting" : "",
		    reply_line(rp, line, sizeof(line)));
}

static void
judge_control(struct relay_result *r, const struct relay_report *rr)
{
	char line[RELAY_REPLY_MAX + 32];

	if (r->outcome == RELAY_OUT_REJECTED_CONNECT)
		note(r, VERDICT_WARN, "the server refuses every connection "
		    "from here (%s): no mail is received from here",
		    refusal(r, line, sizeof(line)));
	else if (refused(r->outcome) && rr->submission)
		note(r, VERDICT_PASS, "refused without a login, as a "
		    "submission port may: %s", refusal(r, line, sizeof(line)));
	else if (taken(r->outcome))
		note(r, VERDICT_PASS, "mail for <%s> is received from here",
		    r->rcpt);
	else if (refused(r->outcome))
		note(r, VERDICT_WARN, "the server refused its own recipient "
		    "<%s>: %s (give a real mailbox with --local-rcpt)",
		    r->rcpt, refusal(r, line, sizeof(line)));
	else if (r->outcome == RELAY_OUT_AUTH_FAILED)
		note(r, VERDICT_ERROR, "the login was refused");
}

static void
judge_relay(struct relay_result *r, const struct relay_report *rr,
    int expected)
{
	char line[RELAY_REPLY_MAX + 32], why[REPORT_SUMMARY_MAX];

	if (expected) {
		if (taken(r->outcome))
			note(r, VERDICT_PASS, "accepted: relaying is "
			    "permitted from here, as expected");
		else if (strcmp(r->id, "plain") == 0)
			note(r, VERDICT_FAIL, "relaying was expected from "
			    "here (--expect-relay) but refused: %s",
			    refusal(r, line, sizeof(line)));
		else
			note(r, VERDICT_PASS, "refused: %s",
			    refusal(r, line, sizeof(line)));
		return;
	}
	switch (r->outcome) {
	case RELAY_OUT_REJECTED_CONNECT:
	case RELAY_OUT_REJECTED_MAIL:
	case RELAY_OUT_REJECTED_RCPT:
		note(r, VERDICT_PASS, "refused: %s",
		    refusal(r, line, sizeof(line)));
		break;
	case RELAY_OUT_ACCEPTED:
		if (rr->confirm)
			note(r, VERDICT_FAIL, "accepted at RCPT; the "
			    "confirming session failed (%s), so relaying is "
			    "neither proven nor disproven", r->error[0] ?
			    r->error : "no reply");
		else
			note(r, VERDICT_FAIL, "accepted at RCPT: may relay; "
			    "run --confirm to prove");
		break;
	case RELAY_OUT_RELAYED:
		note(r, VERDICT_FAIL, "relayed: the message arrived at the "
		    "sink %.1f s after the server took it: open relay",
		    (double)r->arrived_ms / 1000.0);
		break;
	case RELAY_OUT_NOT_RELAYED:
		note(r, VERDICT_WARN, "accepted, not relayed: %.460s",
		    relay_not_relayed_why(rr, why, sizeof(why)));
		break;
	case RELAY_OUT_REJECTED_DATA:
		note(r, VERDICT_PASS, "accepted at RCPT, refused with the "
		    "message: %s", reply_line(&r->data, line, sizeof(line)));
		break;
	default:
		break;
	}
}

static void
judge_auth(struct relay_result *r, const struct relay_report *rr)
{
	char line[RELAY_REPLY_MAX + 32];

	if (r->outcome == RELAY_OUT_AUTH_FAILED) {
		if (r->kind == RELAY_KIND_AUTH)
			note(r, VERDICT_FAIL, "the login as %s was refused",
			    rr->auth_user);
		else
			note(r, VERDICT_SKIP, "not tested: the login was "
			    "refused");
		return;
	}
	if (r->kind == RELAY_KIND_AUTH) {
		if (r->outcome == RELAY_OUT_NOT_RELAYED)
			note(r, VERDICT_WARN, "accepted after login but it "
			    "never arrived at the sink within %.0f s (does the "
			    "foreign domain route to the sink?)",
			    (double)rr->confirm_wait_ms / 1000.0);
		else if (taken(r->outcome))
			note(r, VERDICT_PASS, "a logged-in user may relay%s",
			    r->outcome == RELAY_OUT_RELAYED ? " (proven: it "
			    "arrived at the sink)" : "");
		else if (refused(r->outcome))
			note(r, VERDICT_WARN, "a logged-in user cannot send to "
			    "other domains: %s", refusal(r, line,
			    sizeof(line)));
		return;
	}
	if (taken(r->outcome))
		note(r, VERDICT_WARN, "a logged-in user (%s) can send as <%s>; "
		    "Postfix: smtpd_sender_login_maps with "
		    "reject_sender_login_mismatch", rr->auth_user,
		    r->mail_from);
	else if (refused(r->outcome))
		note(r, VERDICT_PASS, "sender/login mismatch refused: %s",
		    refusal(r, line, sizeof(line)));
}

/* Append "id, id, ..." of the results matching want() to out. */
static void
list_ids(const struct relay_report *rr, size_t vi, enum relay_kind kind,
    int (*want)(enum relay_outcome), char *out, size_t outsz)
{
	size_t i, len = 0, shown = 0;
	int n;

	out[0] = '\0';
	for (i = 0; i < rr->n; i++) {
		const struct relay_result *r = &rr->v[i];

		if (r->vantage != vi || r->kind != kind || !want(r->outcome))
			continue;
		/* Whole ids only, and room kept for ", ...". */
		n = snprintf(out + len, outsz - len, "%s%s", shown ? ", " : "",
		    r->id);
		if (shown == 6 || n < 0 || (size_t)n + 6 > outsz - len) {
			snprintf(out + len, outsz - len, "%s...", shown ?
			    ", " : "");
			return;
		}
		len += (size_t)n;
		shown++;
	}
}

static int
is_relayed(enum relay_outcome o)
{
	return o == RELAY_OUT_RELAYED;
}

static int
is_unconfirmed(enum relay_outcome o)
{
	return o == RELAY_OUT_ACCEPTED;
}

static int
is_not_relayed(enum relay_outcome o)
{
	return o == RELAY_OUT_NOT_RELAYED;
}

static const struct relay_result *
find(const struct relay_report *rr, size_t vi, const char *id)
{
	size_t i;

	for (i = 0; i < rr->n; i++)
		if (rr->v[i].vantage == vi && strcmp(rr->v[i].id, id) == 0)
			return &rr->v[i];
	return NULL;
}

static const char *
first_error(const struct relay_report *rr, size_t vi)
{
	size_t i;

	for (i = 0; i < rr->n; i++)
		if (rr->v[i].vantage == vi &&
		    rr->v[i].outcome == RELAY_OUT_ERROR)
			return rr->v[i].error;
	return "";
}

/* The first deferring reply of a vantage's relaying attempts. */
static const struct relay_result *
first_deferred(const struct relay_report *rr, size_t vi)
{
	size_t i;

	for (i = 0; i < rr->n; i++)
		if (rr->v[i].vantage == vi && rr->v[i].kind ==
		    RELAY_KIND_RELAY && rr->v[i].outcome == RELAY_OUT_DEFERRED)
			return &rr->v[i];
	return NULL;
}

static void
vantage_count(struct relay_report *rr, size_t vi)
{
	struct relay_vantage *v = &rr->vantage[vi];
	size_t i;

	v->attempts = v->accepted = v->unconfirmed = v->relayed = 0;
	v->not_relayed = v->rejected = v->errors = v->skipped = 0;
	v->rejected_data = v->deferred = v->not_run = 0;
	for (i = 0; i < rr->n; i++) {
		const struct relay_result *r = &rr->v[i];

		if (r->vantage != vi)
			continue;
		if (r->kind == RELAY_KIND_CONTROL) {
			v->control_run = !undecided(r);
			v->control_accepted = taken(r->outcome);
			continue;
		}
		if (r->kind != RELAY_KIND_RELAY)
			continue;
		switch (r->outcome) {
		case RELAY_OUT_SKIPPED:
			v->skipped++;
			continue;
		case RELAY_OUT_NOT_RUN:
			v->not_run++;
			continue;
		case RELAY_OUT_ERROR:
		case RELAY_OUT_AUTH_FAILED:
			v->errors++;
			break;
		case RELAY_OUT_DEFERRED:
			v->deferred++;
			break;
		case RELAY_OUT_REJECTED_CONNECT:
		case RELAY_OUT_REJECTED_MAIL:
		case RELAY_OUT_REJECTED_RCPT:
			v->rejected++;
			break;
		case RELAY_OUT_ACCEPTED:
			v->accepted++;
			v->unconfirmed++;
			break;
		case RELAY_OUT_REJECTED_DATA:
			v->accepted++;
			v->rejected_data++;
			break;
		case RELAY_OUT_NOT_RELAYED:
			v->accepted++;
			v->not_relayed++;
			break;
		case RELAY_OUT_RELAYED:
			v->accepted++;
			v->relayed++;
			break;
		}
		v->attempts++;
	}
}

static size_t
count_greylisted(const struct relay_report *rr, size_t vi)
{
	size_t i, n = 0;

	for (i = 0; i < rr->n; i++)
		if (rr->v[i].vantage == vi && rr->v[i].kind ==
		    RELAY_KIND_RELAY && rr->v[i].outcome ==
		    RELAY_OUT_DEFERRED &&
		    relay_reply_greylisted(relay_deciding_reply(&rr->v[i])))
			n++;
	return n;
}

/* What kept attempts from being decided: " (3 deferred: 421 ...; 2 not
 * run: --max-time)" or "". */
static void
undecided_note(const struct relay_report *rr, size_t vi, char *out,
    size_t outsz)
{
	const struct relay_vantage *v = &rr->vantage[vi];
	const struct relay_result *d = first_deferred(rr, vi);
	char line[RELAY_REPLY_MAX + 32] = "";
	size_t grey = count_greylisted(rr, vi);

	if (d)
		reply_line(relay_deciding_reply(d), line, sizeof(line));
	out[0] = '\0';
	if (v->deferred && v->not_run)
		snprintf(out, outsz, "%zu deferred (%.120s)%s, %zu not run "
		    "(--max-time)", v->deferred, line, grey ? ", greylisted" :
		    "", v->not_run);
	else if (v->deferred)
		snprintf(out, outsz, "%zu deferred (%.160s)%s", v->deferred,
		    line, grey ? ": greylisted before the relay rules; run "
		    "again after the greylisting delay" : "");
	else if (v->not_run)
		snprintf(out, outsz, "%zu not run: --max-time (%.0f s) was "
		    "reached", v->not_run, (double)rr->max_time_ms / 1000.0);
}

static void
vantage_summary(struct relay_report *rr, size_t vi)
{
	struct relay_vantage *v = &rr->vantage[vi];
	const char *label = relay_vantage_label(v);
	const struct relay_result *plain = find(rr, vi, "plain");
	char ids[200], line[RELAY_REPLY_MAX + 32], why[REPORT_SUMMARY_MAX];
	char und[300];
	size_t decisive = v->rejected + v->accepted;

	undecided_note(rr, vi, und, sizeof(und));
	if (v->attempts == 0 && v->errors == 0 && v->not_run == 0) {
		v->verdict = VERDICT_SKIP;
		snprintf(v->summary, sizeof(v->summary), "no relay attempt "
		    "could be formed");
		return;
	}
	if (v->expect_relay) {
		if (plain && (undecided(plain) ||
		    plain->outcome == RELAY_OUT_AUTH_FAILED)) {
			v->verdict = VERDICT_ERROR;
			snprintf(v->summary, sizeof(v->summary), "relaying "
			    "from %s could not be tested: plain was %s%s%.300s",
			    label, relay_outcome_name(plain->outcome),
			    plain->outcome == RELAY_OUT_DEFERRED ? ": " :
			    plain->outcome == RELAY_OUT_ERROR ? ": " : "",
			    plain->outcome == RELAY_OUT_DEFERRED ? plain->note :
			    plain->outcome == RELAY_OUT_ERROR ? plain->error :
			    "");
		} else if (plain && refused(plain->outcome)) {
			v->verdict = VERDICT_FAIL;
			snprintf(v->summary, sizeof(v->summary), "relaying "
			    "was expected from %s (--expect-relay) but the "
			    "server refused it: %s", label, refusal(plain, line,
			    sizeof(line)));
		} else if (plain && plain->outcome == RELAY_OUT_NOT_RELAYED) {
			v->verdict = VERDICT_WARN;
			snprintf(v->summary, sizeof(v->summary), "relaying "
			    "from %.45s was accepted, as expected, but %.400s",
			    label,
			    relay_not_relayed_why(rr, why, sizeof(why)));
		} else {
			char extra[64] = "";

			if (v->relayed)
				snprintf(extra, sizeof(extra), ", %zu relayed "
				    "to the sink", v->relayed);
			v->verdict = VERDICT_PASS;
			snprintf(v->summary, sizeof(v->summary), "relays from "
			    "%s: yes (%zu/%zu accepted%s) - expected "
			    "(--expect-relay)", label, v->accepted,
			    v->attempts, extra);
		}
		return;
	}
	if (v->relayed) {
		list_ids(rr, vi, RELAY_KIND_RELAY, is_relayed, ids,
		    sizeof(ids));
		v->verdict = VERDICT_FAIL;
		snprintf(v->summary, sizeof(v->summary), "OPEN RELAY from %s: "
		    "%zu/%zu attempts relayed, proven at the sink (%s)",
		    label, v->relayed, v->attempts, ids);
	} else if (v->unconfirmed) {
		list_ids(rr, vi, RELAY_KIND_RELAY, is_unconfirmed, ids,
		    sizeof(ids));
		v->verdict = VERDICT_FAIL;
		snprintf(v->summary, sizeof(v->summary), "relays from %s: "
		    "yes (%zu/%zu accepted at RCPT: %s) - expected only for "
		    "networks the server relays for; %s", label,
		    v->unconfirmed, v->attempts, ids, rr->confirm ?
		    "the confirming session failed, so not confirmed" :
		    "run --confirm to prove, or --expect-relay if intended");
	} else if (decisive == 0) {
		v->verdict = VERDICT_ERROR;
		if (v->deferred)
			snprintf(v->summary, sizeof(v->summary), "could not "
			    "test from %s: the server deferred every attempt "
			    "that ran: %.300s", label, und);
		else if (v->errors)
			snprintf(v->summary, sizeof(v->summary), "could not "
			    "test from %s: %zu/%zu attempts failed: %.300s",
			    label, v->errors, v->attempts, first_error(rr, vi));
		else
			snprintf(v->summary, sizeof(v->summary), "could not "
			    "test from %s: %.300s", label, und);
	} else if (v->not_relayed) {
		list_ids(rr, vi, RELAY_KIND_RELAY, is_not_relayed, ids, 51);
		v->verdict = VERDICT_WARN;
		snprintf(v->summary, sizeof(v->summary), "no relaying seen "
		    "from %.45s: %zu/%zu %.300s (%.50s)%s%.40s", label,
		    v->not_relayed,
		    v->attempts, relay_not_relayed_why(rr, why, sizeof(why)),
		    ids, und[0] ? "; " : "", und);
	} else if (v->errors) {
		v->verdict = VERDICT_ERROR;
		snprintf(v->summary, sizeof(v->summary), "%zu/%zu attempts "
		    "from %s could not be run: %.300s", v->errors, v->attempts,
		    label, first_error(rr, vi));
	} else if (und[0]) {
		v->verdict = VERDICT_WARN;
		snprintf(v->summary, sizeof(v->summary), "no relaying from "
		    "%s seen (%zu/%zu refused), but %s: those were not "
		    "tested", label, v->rejected + v->rejected_data,
		    v->attempts + v->not_run, und);
	} else {
		char extra[64] = "";

		if (v->rejected_data)
			snprintf(extra, sizeof(extra), ", %zu of them with "
			    "the message", v->rejected_data);
		v->verdict = VERDICT_PASS;
		snprintf(v->summary, sizeof(v->summary), "relays from %s: no "
		    "(%zu/%zu attempts refused%s)", label, v->rejected +
		    v->rejected_data, v->attempts, extra);
	}
}

/* "prefix label" when it fits a check name, else "prefix #N" (the
 * vantage's number): long IPv6 labels cut short could collide. */
static void
check_name(char *out, size_t outsz, const char *prefix, const char *label,
    size_t vi)
{
	int n = snprintf(out, outsz, "%s %s", prefix, label);

	if (n < 0 || (size_t)n >= outsz)
		snprintf(out, outsz, "%s #%zu", prefix, vi + 1);
}

static void
add_vantage_checks(struct relay_report *rr, size_t vi, struct report *rep)
{
	const struct relay_vantage *v = &rr->vantage[vi];
	const char *label = relay_vantage_label(v);
	const struct relay_result *c = find(rr, vi, "local-rcpt");
	char name[sizeof(rep->checks[0].name)];
	size_t i;

	if (c) {
		check_name(name, sizeof(name), "receive", label, vi);
		report_add_check(rep, name, c->verdict, "from %s: %s", label,
		    c->note);
	}
	check_name(name, sizeof(name), "relay", label, vi);
	report_add_check(rep, name, v->verdict, "%s", v->summary);
	for (i = 0; i < rr->n; i++) {
		const struct relay_result *r = &rr->v[i];

		if (r->vantage != vi || (r->kind != RELAY_KIND_AUTH &&
		    r->kind != RELAY_KIND_AUTH_SPOOF))
			continue;
		check_name(name, sizeof(name), r->kind == RELAY_KIND_AUTH ?
		    "auth-relay" : strcmp(r->id, "auth-other-local") == 0 ?
		    "spoof-local" : "spoof-foreign", label, vi);
		report_add_check(rep, name, r->verdict, "from %s: %s", label,
		    r->note);
	}
}

void
relay_judge(struct relay_report *rr, struct report *rep)
{
	size_t i;

	for (i = 0; i < rr->n; i++) {
		struct relay_result *r = &rr->v[i];

		judge_common(r, rr);
		if (undecided(r))
			continue;
		switch (r->kind) {
		case RELAY_KIND_CONTROL:
			judge_control(r, rr);
			break;
		case RELAY_KIND_RELAY:
			judge_relay(r, rr,
			    rr->vantage[r->vantage].expect_relay);
			break;
		case RELAY_KIND_AUTH:
		case RELAY_KIND_AUTH_SPOOF:
			judge_auth(r, rr);
			break;
		}
	}
	for (i = 0; i < rr->nvantage; i++) {
		vantage_count(rr, i);
		vantage_summary(rr, i);
		add_vantage_checks(rr, i, rep);
	}
	if (rr->confirm && rr->confirm_route_default)
		report_add_check(rep, "confirm-route", VERDICT_WARN, "the "
		    "proof depends on the server routing %s to the sink at "
		    "%s (a relayhost, as in mailvet's lab): that .invalid "
		    "domain has no MX, so otherwise nothing can arrive; use "
		    "--confirm-rcpt with an address whose domain's MX is the "
		    "sink", rr->foreign_domain, rr->sink);
}
