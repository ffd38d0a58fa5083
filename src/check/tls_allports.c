/*
 * tls_allports.c - `mailvet tls --all-ports HOST`: the standard mail
 * listeners of one host (25, 465, 587, 110, 995, 143, 993 and ManageSieve
 * 4190, RFC 5804), "--ports label=port,..." overrides, and the
 * comparison of what they present: the same certificate everywhere, the
 * same expiry, the chain sent on every listener.
 *
 * A closed listener is skipped, not an error; no open listener at all is
 * the report's stopping error (could not test).
 */
#include "check/tls_probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct std_port {
	const char *label;
	const char *scheme;       /* for target_parse */
	uint16_t port;
	enum tls_dialog_proto proto;
	int submission;
};

static const struct std_port std_ports[] = {
	{ "smtp", "smtp", 25, TLS_DIALOG_SMTP, 0 },
	{ "smtps", "smtps", 465, TLS_DIALOG_SMTP, 0 },
	{ "submission", "submission", 587, TLS_DIALOG_SMTP, 1 },
	{ "pop3", "pop3", 110, TLS_DIALOG_POP3, 0 },
	{ "pop3s", "pop3s", 995, TLS_DIALOG_POP3, 0 },
	{ "imap", "imap", 143, TLS_DIALOG_IMAP, 0 },
	{ "imaps", "imaps", 993, TLS_DIALOG_IMAP, 0 },
	{ "sieve", "imap", 4190, TLS_DIALOG_SIEVE, 0 },
};
#define NSTD (sizeof(std_ports) / sizeof(std_ports[0]))

/* Part of the user's list for a message: printable, at most 40 bytes. */
static const char *
allports_show(const char *p, size_t n, char *out, size_t outsz)
{
	size_t i;

	for (i = 0; i < n && i < 40 && i + 1 < outsz; i++)
		out[i] = (unsigned char)p[i] < 0x20 ||
		    (unsigned char)p[i] >= 0x7f ? '?' : p[i];
	out[i] = '\0';
	return out;
}

/* Apply "label=port,label=port" to ports[]; -1 with err when wrong. */
static int
allports_overrides(const char *spec, uint16_t *ports, struct mv_error *err)
{
	const char *p = spec;

	while (p && *p) {
		size_t n = strcspn(p, ","), i, ln;
		const char *eq = memchr(p, '=', n);
		unsigned long v = 0;
		const char *d;
		char show[48];

		if (eq == NULL)
			return mv_error_set(err, MV_ERR_USAGE, "--ports: "
			    "'%s' is not label=port (example: "
			    "smtp=2525,imaps=2993)",
			    allports_show(p, n, show, sizeof(show)));
		ln = (size_t)(eq - p);
		for (d = eq + 1; d < p + n && *d >= '0' && *d <= '9' &&
		    v <= 65535; d++)
			v = v * 10 + (unsigned long)(*d - '0');
		if (d != p + n || d == eq + 1 || v > 65535)
			return mv_error_set(err, MV_ERR_USAGE, "--ports: "
			    "'%s' is not a port number (0 leaves the "
			    "listener out)", allports_show(eq + 1,
			    (size_t)(p + n - eq - 1), show, sizeof(show)));
		for (i = 0; i < NSTD; i++)
			if (strlen(std_ports[i].label) == ln &&
			    strncasecmp(std_ports[i].label, p, ln) == 0)
				break;
		if (i == NSTD)
			return mv_error_set(err, MV_ERR_USAGE, "--ports: "
			    "unknown listener '%s' (smtp, smtps, submission, "
			    "pop3, pop3s, imap, imaps, sieve)",
			    allports_show(p, ln, show, sizeof(show)));
		ports[i] = (uint16_t)v;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

int
tls_allports_targets(struct tls_probe_params *p,
    const struct probe_net *base, const char *host, const char *spec,
    struct mv_error *err)
{
	uint16_t ports[NSTD];
	size_t i;

	if (host == NULL || host[0] == '\0' || strlen(host) > TARGET_HOST_MAX)
		return mv_error_set(err, MV_ERR_USAGE, "--all-ports needs a "
		    "host name or address");
	for (i = 0; i < NSTD; i++)
		ports[i] = std_ports[i].port;
	if (allports_overrides(spec, ports, err) == -1)
		return -1;
	p->ntargets = 0;
	for (i = 0; i < NSTD; i++) {
		struct tls_probe_target *t;
		char url[TARGET_HOST_MAX + 40];

		if (ports[i] == 0)
			continue;
		t = &p->targets[p->ntargets];
		memset(t, 0, sizeof(*t));
		snprintf(url, sizeof(url), strchr(host, ':') ?
		    "%s://[%s]:%u" : "%s://%s:%u", std_ports[i].scheme, host,
		    ports[i]);
		t->net = *base;
		if (target_parse(url, TARGET_SCHEME_SMTP, &t->net.target,
		    err) == -1)
			return -1;
		snprintf(t->label, sizeof(t->label), "%s", std_ports[i].label);
		t->proto = std_ports[i].proto;
		t->submission = std_ports[i].submission;
		t->optional = 1;
		p->ntargets++;
	}
	if (p->ntargets == 0)
		return mv_error_set(err, MV_ERR_USAGE, "--ports left no "
		    "listener to test");
	return 0;
}

static int
allports_usable(const struct tls_port_result *pr)
{
	return pr->tls_active && pr->tls.chain_len > 0;
}

static void
allports_certificates(struct report *rep, const struct tls_report *tr,
    const struct tls_port_result *first, size_t usable)
{
	char text[REPORT_SUMMARY_MAX];
	size_t i, used = 0;
	int same = 1;

	for (i = 0; i < tr->nports; i++)
		if (allports_usable(&tr->ports[i]) &&
		    strcmp(tr->ports[i].tls.chain[0].sha256,
		    first->tls.chain[0].sha256) != 0)
			same = 0;
	if (same) {
		report_add_check(rep, "certificates", VERDICT_PASS, "the same "
		    "certificate on all %zu TLS listeners (sha256 %.23s...)",
		    usable, first->tls.chain[0].sha256);
		return;
	}
	text[0] = '\0';
	for (i = 0; i < tr->nports; i++) {
		const struct tls_port_result *pr = &tr->ports[i];
		int w;

		if (!allports_usable(pr))
			continue;
		w = snprintf(text + used, sizeof(text) - used, "%s%s %.11s",
		    used ? ", " : "", pr->label, pr->tls.chain[0].sha256);
		if (w < 0 || (size_t)w >= sizeof(text) - used)
			break;
		used += (size_t)w;
	}
	report_add_check(rep, "certificates", VERDICT_WARN, "different "
	    "certificates: %s", text);
}

static void
allports_expiries(struct report *rep, const struct tls_report *tr,
    const struct tls_port_result *first)
{
	const struct tls_port_result *soonest = first;
	size_t i;
	int same = 1;

	for (i = 0; i < tr->nports; i++) {
		const struct tls_port_result *pr = &tr->ports[i];

		if (!allports_usable(pr))
			continue;
		if (pr->tls.chain[0].not_after_t !=
		    first->tls.chain[0].not_after_t)
			same = 0;
		if (pr->tls.chain[0].not_after_t <
		    soonest->tls.chain[0].not_after_t)
			soonest = pr;
	}
	if (same)
		report_add_check(rep, "expiries", VERDICT_PASS, "every "
		    "listener's certificate expires %s",
		    first->tls.chain[0].not_after);
	else
		report_add_check(rep, "expiries", VERDICT_WARN, "the "
		    "certificates expire on different dates; the first is "
		    "%s's, %s: renewals are not deployed everywhere",
		    soonest->label, soonest->tls.chain[0].not_after);
}

static void
allports_chains(struct report *rep, const struct tls_report *tr)
{
	char missing[REPORT_SUMMARY_MAX] = "", wrong[REPORT_SUMMARY_MAX] = "";
	size_t i, used = 0, wused = 0, with = 0, without = 0, broken = 0;

	for (i = 0; i < tr->nports; i++) {
		const struct tls_port_result *pr = &tr->ports[i];
		int w;

		if (!allports_usable(pr) || pr->tls.chain[0].self_issued)
			continue;
		if (pr->tls.intermediates_sent) {
			with++;
			if (tls_chain_break(&pr->tls) < 0)
				continue;
			/* An intermediate that does not issue the leaf. */
			w = snprintf(wrong + wused, sizeof(wrong) - wused,
			    "%s%s", wused ? ", " : "", pr->label);
			if (w > 0 && (size_t)w < sizeof(wrong) - wused)
				wused += (size_t)w;
			continue;
		}
		without++;
		if (pr->tls.verify_kind == TLS_VERIFY_UNKNOWN_ISSUER)
			broken++;
		w = snprintf(missing + used, sizeof(missing) - used, "%s%s",
		    used ? ", " : "", pr->label);
		if (w > 0 && (size_t)w < sizeof(missing) - used)
			used += (size_t)w;
	}
	if (wused)
		report_add_check(rep, "chains", VERDICT_FAIL, "the chain sent "
		    "on %s is wrong: a certificate sent does not issue the one "
		    "before it (the intermediate sent does not issue the "
		    "leaf, or the order is wrong)", wrong);
	else if (broken)
		report_add_check(rep, "chains", VERDICT_FAIL, "the chain is "
		    "missing on %s (the issuer is not trusted without it)",
		    missing);
	else if (with && without)
		report_add_check(rep, "chains", VERDICT_WARN, "intermediates "
		    "sent on some listeners but not on %s", missing);
	else
		report_add_check(rep, "chains", VERDICT_PASS, "%s on every "
		    "listener", with ? "intermediates sent" : "the same chain "
		    "(leaf only, issuer trusted directly)");
}

void
tls_judge_allports(struct report *rep, const struct tls_report *tr)
{
	const struct tls_port_result *first = NULL;
	size_t i, usable = 0, open = 0;

	for (i = 0; i < tr->nports; i++) {
		if (tr->ports[i].open)
			open++;
		if (allports_usable(&tr->ports[i])) {
			usable++;
			if (first == NULL)
				first = &tr->ports[i];
		}
	}
	if (open == 0) {
		mv_error_set(&rep->err, MV_ERR_CONNECT, "no mail listener of "
		    "%s accepted a connection", tr->host);
		return;
	}
	if (first == NULL) {
		report_add_check(rep, "certificates", VERDICT_SKIP, "no "
		    "listener completed a TLS handshake");
		return;
	}
	allports_certificates(rep, tr, first, usable);
	allports_expiries(rep, tr, first);
	allports_chains(rep, tr);
}
