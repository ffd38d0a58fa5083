/*
 * tls_versions.c - the protocol versions a listener accepts, tried one
 * by one (min = max = the version, security level 0 for the old ones so
 * that mailvet itself is not the reason they fail), judged: accepting
 * TLS 1.0 or 1.1 is a finding (RFC 8996); accepting neither 1.2 nor
 * 1.3 is one too.
 */
#include "check/tls_probe.h"

#include <stdio.h>
#include <string.h>

void
tls_judge_versions(struct report *rep, const char *prefix,
    const struct tls_port_result *pr)
{
	char acc[64] = "", untested[64] = "", full[32];
	size_t a = 0, u = 0;
	int v, old = 0, modern = 0;

	snprintf(full, sizeof(full), "%s%sversions", prefix,
	    prefix[0] ? " " : "");
	if (!pr->versions_tested) {
		report_add_check(rep, full, VERDICT_SKIP, "not tried");
		return;
	}
	for (v = 0; v < TLS_VER_COUNT; v++) {
		const struct tls_version_result *r = &pr->versions[v];
		const char *name = tls_ver_name((enum tls_ver)v);

		if (r->accepted) {
			a += (size_t)snprintf(acc + a, sizeof(acc) - a,
			    "%s%s", a ? " " : "", name);
			if (v < TLS_VER_12)
				old = 1;
			else
				modern = 1;
		} else if (r->untested)
			u += (size_t)snprintf(untested + u,
			    sizeof(untested) - u, "%s%s", u ? " " : "", name);
	}
	if (old && !modern)
		report_add_check(rep, full, VERDICT_FAIL, "accepts only %s: "
		    "neither TLS 1.2 nor 1.3; versions before TLS 1.2 are "
		    "deprecated (RFC 8996)%s%s", acc, u ? "; could not test " :
		    "", u ? untested : "");
	else if (old)
		report_add_check(rep, full, VERDICT_FAIL, "accepts %s: versions "
		    "before TLS 1.2 are deprecated (RFC 8996) and must be "
		    "turned off", acc);
	else if (!modern && u == 0)
		report_add_check(rep, full, VERDICT_FAIL, "accepts neither TLS "
		    "1.2 nor 1.3");
	else if (u)
		report_add_check(rep, full, VERDICT_WARN,
		    "accepts %s; could not test %s", a ? acc : "none",
		    untested);
	else
		report_add_check(rep, full, VERDICT_PASS, "accepts %s only",
		    acc);
}
