/*
 * render_text_tls.c - the human summary of `mailvet tls`: for one
 * listener the plaintext policy, handshake, whole chain, versions,
 * resumption and injection; for --all-ports one table row per listener
 * and then each listener's details.
 */
#include "report/render_tls.h"
#include "report/render_text_parts.h"
#include "report/tls_report.h"

#include <stdio.h>
#include <string.h>

static void
rt_versions(struct buf *out, const struct tls_port_result *pr)
{
	char line[256];
	size_t used = 0;
	int v;

	if (!pr->versions_tested)
		return;
	line[0] = '\0';
	for (v = 0; v < TLS_VER_COUNT; v++) {
		const struct tls_version_result *r = &pr->versions[v];
		int w = snprintf(line + used, sizeof(line) - used, "%s%s %s",
		    v ? ", " : "", tls_ver_name((enum tls_ver)v),
		    r->accepted ? "yes" : r->untested ? "untested" : "no");

		if (w > 0 && (size_t)w < sizeof(line) - used)
			used += (size_t)w;
	}
	rt_line(out, "Versions", "%s", line);
}

static void
rt_port(const struct tls_port_result *pr, const struct render_opts *o,
    struct buf *out)
{
	struct render_opts all = *o;
	const struct tls_info *ti = &pr->tls;

	if (pr->peer[0])
		rt_line(out, "Server", "%s", pr->peer);
	if (pr->greeting[0])
		rt_line(out, "Greeting", "%s", pr->greeting);
	if (!pr->implicit && pr->caps_seen)
		rt_line(out, "Plaintext", "%s; login before TLS: %s%s%s",
		    pr->starttls_offered ? "STARTTLS offered" :
		    "STARTTLS NOT offered", pr->auth_plain[0] ? pr->auth_plain :
		    pr->login_plain ? "" : "none", pr->login_plain &&
		    pr->auth_plain[0] ? ", " : "", pr->login_plain ?
		    "password command allowed" : "");
	if (pr->mail_tested)
		rt_line(out, "MAIL plain", "%s", pr->mail_reply);
	if (!pr->tls_active)
		return;
	all.verbose = 1; /* the chain is what this command is for */
	rt_tls(out, &all, ti, pr->implicit, "STARTTLS");
	rt_line(out, "Handshake", "%.1f ms; signature %s; ephemeral key %s "
	    "%d bits", pr->tls_ms, ti->peer_sig[0] ? ti->peer_sig : "-",
	    ti->temp_key[0] ? ti->temp_key : "-", ti->temp_key_bits);
	rt_line(out, "Chain", "%zu certificate%s sent%s", ti->chain_len,
	    ti->chain_len == 1 ? "" : "s", ti->intermediates_sent ?
	    " (with intermediates)" : " (leaf only)");
	rt_versions(out, pr);
	if (pr->resumption_tested || pr->session_offered)
		rt_line(out, "Resumption", "%s (lifetime %lu s); %s",
		    pr->session_offered ? (pr->session_ticket ?
		    "ticket offered" : "session id offered") :
		    "nothing offered", pr->ticket_lifetime_s,
		    pr->resumption_tested ? pr->resumption_detail :
		    "not tried");
	if (pr->injection != TLS_INJECT_UNTESTED)
		rt_line(out, "Injection", "%s: %s",
		    tls_inject_name(pr->injection), pr->injection_evidence);
}

static void
rt_table(const struct tls_report *tr, struct buf *out)
{
	size_t i;

	buf_printf(out, "\n  %-11s %5s  %-8s %-8s %-30s %-11s %-13s %s\n",
	    "listener", "port", "TLS", "version", "cipher", "expires",
	    "sha256", "chain");
	for (i = 0; i < tr->nports; i++) {
		const struct tls_port_result *pr = &tr->ports[i];
		const struct tls_info *ti = &pr->tls;
		char line[400];

		if (!pr->tls_active) {
			snprintf(line, sizeof(line), "  %-11s %5u  %s\n",
			    pr->label, pr->port, !pr->open ? "closed" :
			    pr->err.cat != MV_ERR_NONE ? "failed" :
			    "no TLS");
			buf_append_str(out, line);
			continue;
		}
		snprintf(line, sizeof(line), "  %-11s %5u  %-8s %-8s %-30.30s "
		    "%-11.10s %-13.11s %s\n", pr->label, pr->port,
		    pr->implicit ? "implicit" : "STARTTLS", ti->version,
		    ti->cipher, ti->chain_len ? ti->chain[0].not_after : "-",
		    ti->chain_len ? ti->chain[0].sha256 : "-",
		    ti->intermediates_sent ? "full" : "leaf");
		buf_append_str(out, line);
	}
}

void
rt_tls_report(const struct report *rep, const struct render_opts *o,
    struct buf *out)
{
	const struct tls_report *tr = rep->tls;
	size_t i;

	if (!tr->all_ports) {
		if (tr->nports)
			rt_port(&tr->ports[0], o, out);
		return;
	}
	rt_table(tr, out);
	if (!o->verbose)
		return;
	for (i = 0; i < tr->nports; i++) {
		if (!tr->ports[i].open)
			continue;
		buf_printf(out, "\n  %s (%s)\n", tr->ports[i].label,
		    tr->ports[i].url);
		rt_port(&tr->ports[i], o, out);
	}
}
