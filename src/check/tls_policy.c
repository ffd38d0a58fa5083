/*
 * tls_policy.c - the plaintext policy of a STARTTLS listener, judged:
 * STARTTLS/STLS offered (RFC 3207, 2595, 5804), credentials offered
 * before TLS (AUTH PLAIN/LOGIN, IMAP LOGIN without LOGINDISABLED,
 * POP3 USER), and on submission MAIL FROM accepted before STARTTLS
 * (RFC 8314 and common sense: a submission server should refuse
 * everything but EHLO, STARTTLS, NOOP, RSET and QUIT in plaintext).
 *
 * With --tls required a missing STARTTLS is the stopping error of the
 * report (category server-lacks-feature, exit 1): the same refusal that
 * defeats an attacker who strips STARTTLS from the EHLO reply.
 */
#include "check/tls_probe.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static void
policy_check(struct report *rep, const char *prefix, const char *name,
    enum verdict v, const char *text)
{
	char full[32];

	snprintf(full, sizeof(full), "%s%s%s", prefix, prefix[0] ? " " : "",
	    name);
	report_add_check(rep, full, v, "%s", text);
}

/* Is word (a mechanism name) in the space-separated list? */
static int
list_has(const char *list, const char *word)
{
	size_t n = strlen(word);

	while (*list) {
		size_t w = strcspn(list, " ");

		if (w == n && strncasecmp(list, word, n) == 0)
			return 1;
		list += w;
		list += strspn(list, " ");
	}
	return 0;
}

static const char *
upgrade_name(const struct tls_probe_target *t)
{
	return t->proto == TLS_DIALOG_POP3 ? "STLS" : "STARTTLS";
}

static void
policy_starttls(struct report *rep, const char *prefix,
    const struct tls_probe_params *p, const struct tls_probe_target *t,
    const struct tls_port_result *pr)
{
	char text[REPORT_SUMMARY_MAX];
	const char *up = upgrade_name(t);

	if (pr->starttls_offered && pr->tls_active) {
		snprintf(text, sizeof(text), "%s offered and accepted", up);
		policy_check(rep, prefix, "starttls", VERDICT_PASS, text);
		return;
	}
	if (pr->starttls_offered && pr->starttls_accepted) {
		snprintf(text, sizeof(text), "%s offered and accepted (%s); "
		    "the handshake is judged under tls", up,
		    pr->starttls_reply);
		policy_check(rep, prefix, "starttls", VERDICT_PASS, text);
		return;
	}
	if (pr->starttls_offered) {
		snprintf(text, sizeof(text), "%s offered but %s%s", up,
		    pr->starttls_reply[0] ? "refused: " : "it failed",
		    pr->starttls_reply);
		policy_check(rep, prefix, "starttls", VERDICT_FAIL, text);
		return;
	}
	if (!pr->caps_seen) {
		snprintf(text, sizeof(text), "no capability list (%.400s)",
		    pr->err.cat != MV_ERR_NONE ? pr->err.msg :
		    "the command was refused");
		policy_check(rep, prefix, "starttls", VERDICT_FAIL, text);
		return;
	}
	snprintf(text, sizeof(text), "the server does not offer %s (it "
	    "offers: %.200s): everything, passwords included, travels in "
	    "plaintext; a man in the middle stripping %s looks exactly like "
	    "this", up, pr->caps_plain[0] ? pr->caps_plain : "nothing", up);
	policy_check(rep, prefix, "starttls", t->proto == TLS_DIALOG_LMTP ?
	    VERDICT_WARN : VERDICT_FAIL, text);
	if (p->tls_policy == TLS_POLICY_REQUIRED && !p->all_ports)
		mv_error_set(&rep->err, MV_ERR_LACKS_FEATURE, "%s is not "
		    "offered and --tls required: stopping before anything is "
		    "sent in plaintext", up);
}

static void
policy_auth(struct report *rep, const char *prefix,
    const struct tls_probe_target *t, const struct tls_port_result *pr)
{
	char text[REPORT_SUMMARY_MAX];
	const char *a = pr->auth_plain;
	int clear = list_has(a, "PLAIN") || list_has(a, "LOGIN");

	if (!pr->caps_seen)
		return;
	if (t->proto == TLS_DIALOG_IMAP && pr->login_plain) {
		snprintf(text, sizeof(text), "IMAP LOGIN is allowed before "
		    "STARTTLS (no LOGINDISABLED; mechanisms: %s): a client may "
		    "send its password in clear", a[0] ? a : "none");
		policy_check(rep, prefix, "auth-before-tls", VERDICT_FAIL,
		    text);
	} else if (t->proto == TLS_DIALOG_POP3 && pr->login_plain) {
		snprintf(text, sizeof(text), "POP3 USER is offered before "
		    "STLS%s%s: a client may send its password in clear",
		    a[0] ? "; SASL " : "", a);
		policy_check(rep, prefix, "auth-before-tls", VERDICT_FAIL,
		    text);
	} else if (clear) {
		snprintf(text, sizeof(text), "AUTH %s offered before %s: a "
		    "client may send its password in clear", a,
		    upgrade_name(t));
		policy_check(rep, prefix, "auth-before-tls", VERDICT_FAIL,
		    text);
	} else if (list_has(a, "CRAM-MD5") || list_has(a, "DIGEST-MD5")) {
		snprintf(text, sizeof(text), "only challenge-response "
		    "mechanisms before TLS (%s): no password in clear, but the "
		    "user name is, and CRAM-MD5 invites offline guessing", a);
		policy_check(rep, prefix, "auth-before-tls", VERDICT_WARN,
		    text);
	} else {
		snprintf(text, sizeof(text), "%s%s%s", a[0] ? "only " : "no "
		    "login offered before TLS", a, a[0] ? " before TLS: no "
		    "password in clear" : "");
		policy_check(rep, prefix, "auth-before-tls", VERDICT_PASS,
		    text);
	}
}

static void
policy_mail(struct report *rep, const char *prefix,
    const struct tls_port_result *pr)
{
	char text[REPORT_SUMMARY_MAX];

	if (!pr->mail_tested)
		return;
	if (pr->mail_code / 100 == 2) {
		snprintf(text, sizeof(text), "MAIL FROM:<> accepted before "
		    "STARTTLS (%s): submission should refuse mail until TLS "
		    "and AUTH", pr->mail_reply);
		policy_check(rep, prefix, "mail-before-tls", VERDICT_FAIL,
		    text);
	} else {
		snprintf(text, sizeof(text), "refused before STARTTLS: %s",
		    pr->mail_reply);
		policy_check(rep, prefix, "mail-before-tls", VERDICT_PASS,
		    text);
	}
}

void
tls_judge_policy(struct report *rep, const char *prefix,
    const struct tls_probe_params *p, const struct tls_probe_target *t,
    const struct tls_port_result *pr)
{
	/* No policy to judge when the session died before capabilities
	 * (the tls check says why). */
	if (!pr->greeting[0] || (!pr->caps_seen &&
	    pr->err.cat != MV_ERR_NONE))
		return;
	policy_starttls(rep, prefix, p, t, pr);
	policy_auth(rep, prefix, t, pr);
	if (t->submission)
		policy_mail(rep, prefix, pr);
}
