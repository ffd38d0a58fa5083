/*
 * tls_injection.c - the STARTTLS command-injection test judged
 * (CVE-2011-0411 and its kin in many servers): a command written in the
 * same segment as STARTTLS must be thrown away by the server.  If it is
 * answered inside the TLS session, an attacker who can insert plaintext
 * before the handshake can make the server act on commands the client
 * never sent, and the client reads the answer as genuine.
 *
 *   safe         nothing answered: pass
 *   vulnerable   answered after the handshake, inside TLS: fail
 *   plaintext    answered before the handshake (in clear), in the
 *                go-ahead's segment or a later one (then the handshake
 *                fails on that text): warn; the server reads past
 *                STARTTLS, though a client that refuses such bytes is
 *                protected
 *   error        the test could not complete: warn, with the reason
 */
#include "check/tls_probe.h"

#include <stdio.h>

void
tls_judge_injection(struct report *rep, const char *prefix,
    const struct tls_port_result *pr)
{
	char full[32];

	snprintf(full, sizeof(full), "%s%sinjection", prefix,
	    prefix[0] ? " " : "");
	switch (pr->injection) {
	case TLS_INJECT_UNTESTED:
		report_add_check(rep, full, VERDICT_SKIP, "not tried (no "
		    "STARTTLS)");
		break;
	case TLS_INJECT_SAFE:
		report_add_check(rep, full, VERDICT_PASS, "%s",
		    pr->injection_evidence);
		break;
	case TLS_INJECT_VULNERABLE:
		report_add_check(rep, full, VERDICT_FAIL, "VULNERABLE to "
		    "STARTTLS command injection: the command pipelined with "
		    "STARTTLS was answered %s", pr->injection_evidence);
		break;
	case TLS_INJECT_PLAINTEXT:
		report_add_check(rep, full, VERDICT_WARN, "the server answered "
		    "the injected command in plaintext before TLS; %s. Not the "
		    "CVE-2011-0411 class (nothing reaches the TLS session) but "
		    "still wrong: after its go-ahead a server must discard "
		    "what follows STARTTLS (RFC 3207 4.2)",
		    pr->injection_evidence);
		break;
	case TLS_INJECT_ERROR:
		report_add_check(rep, full, VERDICT_WARN, "could not complete "
		    "the test: %s", pr->injection_evidence);
		break;
	}
}
