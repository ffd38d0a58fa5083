/*
 * relay_judge.h - verdicts of `mailvet relay` (internal to check/):
 * turn the outcome of every attempt into a verdict with a reason, sum
 * up each vantage point, and add the checks that decide the exit code.
 * Rules, in plain words, in docs/mailvet-relay.md ("Verdicts").  Pure:
 * reads and writes the result model only.
 */
#ifndef MAILVET_CHECK_RELAY_JUDGE_H
#define MAILVET_CHECK_RELAY_JUDGE_H

#include "report/relay_report.h"
#include "report/report.h"

/*
 * Is a 4xx/5xx reply a refusal (a decision the relay rules made) or a
 * deferral that decided nothing?  Every 5xx refuses.  A 4xx refuses
 * only when it says so: enhanced code 4.7.1 (Postfix's
 * defer_unauth_destination: "454 4.7.1 <x>: Relay access denied") or
 * text such as "Relay access denied", "relaying denied", "not
 * permitted".  421 (closing), greylisting and other 4xx ("451 4.3.0
 * temporary lookup failure", "452 too many recipients") defer.
 * Returns 1 refusal, 0 deferral (or not a refusal at all: 0, 2xx, 3xx).
 */
int relay_reply_refuses(const struct relay_reply *rp);
/* 1 when a 4xx names greylisting (postgrey, rspamd, milter-greylist). */
int relay_reply_greylisted(const struct relay_reply *rp);

/* Set verdict and note of every result, the summary of every vantage,
 * and add the checks to rep. */
void relay_judge(struct relay_report *rr, struct report *rep);

#endif
