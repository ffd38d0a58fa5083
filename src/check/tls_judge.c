/*
 * tls_judge.c - verdicts of `mailvet tls` for one listener: connect,
 * handshake, negotiated version, cipher, key, signature, certificate
 * (the one plain-words diagnosis), hostname, chain, expiry and
 * resumption; the policy, versions and injection checks live in their
 * own files.
 *
 * Rules (docs/mailvet-tls.md):
 *   version    TLS 1.2 and 1.3 pass, anything older fails
 *   cipher     RC4, 3DES, NULL, EXPORT, anonymous, MD5 fail; CBC
 *              (non-AEAD) suites and key exchange without forward
 *              secrecy warn
 *   key        RSA/DSA under 2048 bits and EC under 224 bits fail
 *   signature  SHA-1 or MD5 in the certificate's or the handshake's
 *              signature fails
 *   expiry     expired or fewer than crit days left fail, fewer than
 *              warn days warn
 * In --all-ports mode the checks carry the listener's label as prefix
 * and version/cipher/key/signature are folded into one "crypto" check,
 * chain and hostname into "certificate", so that eight listeners stay
 * within the report's check limit.
 */
#include "check/tls_probe.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct verdict_text {
	enum verdict v;
	char text[REPORT_SUMMARY_MAX];
};

static void
judged(struct report *rep, const char *prefix, const char *name,
    const struct verdict_text *vt)
{
	char full[32];

	snprintf(full, sizeof(full), "%s%s%s", prefix, prefix[0] ? " " : "",
	    name);
	report_add_check(rep, full, vt->v, "%s", vt->text);
}

static void
vt_set(struct verdict_text *vt, enum verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
vt_set(struct verdict_text *vt, enum verdict v, const char *fmt, ...)
{
	va_list ap;

	vt->v = v;
	va_start(ap, fmt);
	vsnprintf(vt->text, sizeof(vt->text), fmt, ap);
	va_end(ap);
}

/* Case-insensitive substring (strcasestr is a GNU extension). */
static int
has(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return 1;
	return 0;
}

static void
judge_version(const struct tls_info *ti, struct verdict_text *vt)
{
	if (strcmp(ti->version, "TLSv1.3") == 0 ||
	    strcmp(ti->version, "TLSv1.2") == 0)
		vt_set(vt, VERDICT_PASS, "%s negotiated", ti->version);
	else
		vt_set(vt, VERDICT_FAIL, "%s negotiated: versions before TLS "
		    "1.2 are deprecated (RFC 8996)", ti->version);
}

static void
judge_cipher(const struct tls_info *ti, struct verdict_text *vt)
{
	const char *c = ti->cipher;
	int tls13 = strcmp(ti->version, "TLSv1.3") == 0;

	if (has(c, "RC4") || has(c, "DES-CBC3") || has(c, "3DES") ||
	    has(c, "NULL") || has(c, "EXP") || has(c, "MD5") ||
	    has(c, "ADH") || has(c, "AECDH") || has(c, "anon") ||
	    (has(c, "DES") && !has(c, "DES-CBC3")))
		vt_set(vt, VERDICT_FAIL, "%s (%d bits) is broken or "
		    "unauthenticated", c, ti->cipher_bits);
	else if (!tls13 && !has(c, "GCM") && !has(c, "CHACHA20") &&
	    !has(c, "CCM"))
		vt_set(vt, VERDICT_WARN, "%s is a CBC suite (MAC-then-encrypt, "
		    "padding-oracle history); prefer AES-GCM or ChaCha20",
		    c);
	else if (!tls13 && strncmp(c, "ECDHE", 5) != 0 &&
	    strncmp(c, "DHE", 3) != 0)
		vt_set(vt, VERDICT_WARN, "%s has no forward secrecy (RSA key "
		    "exchange)", c);
	else
		vt_set(vt, VERDICT_PASS, "%s, %d bits%s%s", c, ti->cipher_bits,
		    ti->temp_key[0] ? ", key exchange " : "",
		    ti->temp_key[0] ? ti->temp_key : ti->group);
}

/* Which certificate of the chain: "the leaf", "intermediate 1 (CN = x)". */
static void
cert_name(const struct tls_info *ti, size_t i, char *out, size_t outsz)
{
	if (i == 0)
		snprintf(out, outsz, "the certificate");
	else
		snprintf(out, outsz, "the intermediate %.200s",
		    ti->chain[i].subject);
}

/* The certificates to judge: all the server sent, except a
 * self-issued one after the leaf (a trust anchor, whose own key and
 * signature are not checked by anyone: it is trusted by presence). */
static int
cert_judged(const struct tls_info *ti, size_t i)
{
	return i == 0 || !ti->chain[i].self_issued;
}

static int
key_weak(const struct tls_cert_info *c)
{
	if (strcmp(c->key_type, "RSA") == 0 || strcmp(c->key_type, "DSA") == 0)
		return c->key_bits < 2048;
	if (strcmp(c->key_type, "EC") == 0)
		return c->key_bits < 224;
	return 0;
}

static int
sig_weak(const struct tls_cert_info *c)
{
	return has(c->sig_alg, "sha1") || has(c->sig_alg, "md5") ||
	    has(c->sig_alg, "md2");
}

static void
judge_key(const struct tls_info *ti, struct verdict_text *vt)
{
	const struct tls_cert_info *leaf = &ti->chain[0];
	size_t i;

	for (i = 0; i < ti->chain_len; i++) {
		const struct tls_cert_info *c = &ti->chain[i];
		char who[256];

		if (!cert_judged(ti, i) || !key_weak(c))
			continue;
		cert_name(ti, i, who, sizeof(who));
		vt_set(vt, VERDICT_FAIL, "%s has a %s key of %d bits: too "
		    "small (RSA needs 2048, EC 224)", who, c->key_type,
		    c->key_bits);
		return;
	}
	vt_set(vt, VERDICT_PASS, "%s %d bits%s", leaf->key_type,
	    leaf->key_bits, ti->chain_len > 1 ? " (intermediates too)" : "");
}

static void
judge_signature(const struct tls_info *ti, struct verdict_text *vt)
{
	const struct tls_cert_info *leaf = &ti->chain[0];
	size_t i;

	for (i = 0; i < ti->chain_len; i++) {
		const struct tls_cert_info *c = &ti->chain[i];
		char who[256];

		if (!cert_judged(ti, i) || !sig_weak(c))
			continue;
		cert_name(ti, i, who, sizeof(who));
		vt_set(vt, VERDICT_FAIL, "%s is signed with %s (collisions "
		    "are practical)", who, c->sig_alg);
		return;
	}
	if (has(ti->peer_sig, "SHA1") || has(ti->peer_sig, "MD5"))
		vt_set(vt, VERDICT_FAIL, "the handshake is signed with %s",
		    ti->peer_sig);
	else
		vt_set(vt, VERDICT_PASS, "certificate %s; handshake %s",
		    leaf->sig_alg, ti->peer_sig[0] ? ti->peer_sig : "-");
}

static void
judge_certificate(const struct tls_info *ti, struct verdict_text *vt)
{
	const struct tls_cert_info *leaf = &ti->chain[0];

	if (ti->verified)
		vt_set(vt, VERDICT_PASS, "verified for %s: %s, issued by %s",
		    ti->server_name[0] ? ti->server_name : "-", leaf->subject,
		    leaf->issuer);
	else
		vt_set(vt, VERDICT_FAIL, "%s", ti->verify_error);
}

static void
judge_hostname(const struct tls_info *ti, struct verdict_text *vt)
{
	const struct tls_cert_info *leaf = &ti->chain[0];

	if (!ti->name_checked)
		vt_set(vt, VERDICT_SKIP, "no name to check (a UNIX socket)");
	else if (ti->name_matches)
		vt_set(vt, VERDICT_PASS, "%s is named by the certificate (%s)",
		    ti->server_name, leaf->san[0] ? leaf->san : leaf->subject);
	else {
		char why[REPORT_SUMMARY_MAX];

		if (ti->verify_kind == TLS_VERIFY_NAME_MISMATCH)
			snprintf(why, sizeof(why), "%s", ti->verify_error);
		else
			snprintf(why, sizeof(why), "the certificate does not "
			    "name %.255s (it names %.200s)", ti->server_name,
			    leaf->san[0] ? leaf->san : leaf->subject);
		vt_set(vt, VERDICT_FAIL, "%s", why);
	}
}

int
tls_chain_break(const struct tls_info *ti)
{
	size_t i;

	for (i = 0; i + 1 < ti->chain_len; i++)
		if (strcmp(ti->chain[i].issuer, ti->chain[i + 1].subject) != 0)
			return (int)i;
	return -1;
}

static void
judge_chain(const struct tls_info *ti, struct verdict_text *vt)
{
	const struct tls_cert_info *leaf = &ti->chain[0];
	int brk = tls_chain_break(ti);

	/* RFC 8446 4.4.2 / RFC 5246 7.4.2: each certificate sent must
	 * certify the one before it. */
	if (brk == 0)
		vt_set(vt, VERDICT_FAIL, "the intermediate sent does not issue "
		    "the leaf: the leaf's issuer is %s, the next certificate "
		    "sent is %s (a wrong or outdated intermediate)",
		    leaf->issuer, ti->chain[1].subject);
	else if (brk > 0)
		vt_set(vt, VERDICT_FAIL, "certificate %d sent (%s) is not "
		    "issued by certificate %d sent (%s): the chain is out of "
		    "order or has a wrong certificate", brk + 1,
		    ti->chain[brk].subject, brk + 2, ti->chain[brk + 1].subject);
	else if (ti->chain_len > 1)
		vt_set(vt, VERDICT_PASS, "%zu certificates sent (the leaf and "
		    "%zu more)", ti->chain_len, ti->chain_len - 1);
	else if (leaf->self_issued)
		vt_set(vt, VERDICT_SKIP, "a self-issued certificate has no "
		    "chain");
	else if (ti->verify_kind == TLS_VERIFY_UNKNOWN_ISSUER)
		vt_set(vt, VERDICT_FAIL, "only the leaf was sent and its "
		    "issuer (%s) is not trusted here: a missing intermediate, "
		    "or a CA to give with --cafile", leaf->issuer);
	else
		vt_set(vt, VERDICT_PASS, "only the leaf was sent; its issuer "
		    "(%s) is trusted directly", leaf->issuer);
}

/* "today, at 13:59 UTC", "yesterday, at ...", or "" when t is neither
 * today nor yesterday (UTC): less than a day must not read "0 days". */
static void
day_words(time_t t, time_t now, char *out, size_t outsz)
{
	struct tm tt, tn;
	time_t yesterday = now - 86400;
	struct tm ty;

	out[0] = '\0';
	if (gmtime_r(&t, &tt) == NULL || gmtime_r(&now, &tn) == NULL ||
	    gmtime_r(&yesterday, &ty) == NULL)
		return;
	if (tt.tm_year == tn.tm_year && tt.tm_yday == tn.tm_yday)
		snprintf(out, outsz, "today, at %02d:%02d UTC", tt.tm_hour,
		    tt.tm_min);
	else if (tt.tm_year == ty.tm_year && tt.tm_yday == ty.tm_yday)
		snprintf(out, outsz, "yesterday, at %02d:%02d UTC",
		    tt.tm_hour, tt.tm_min);
}

static void
judge_expiry(const struct tls_info *ti, int warn_days, int crit_days,
    struct verdict_text *vt)
{
	const struct tls_cert_info *leaf = &ti->chain[0];
	time_t now = time(NULL);
	double days = difftime(leaf->not_after_t, now) / 86400.0;
	long d = (long)days;
	char when[64];

	day_words(leaf->not_after_t, now, when, sizeof(when));
	if (ti->not_yet_valid)
		vt_set(vt, VERDICT_FAIL, "not valid yet: starts %s",
		    leaf->not_before);
	else if (days < 0 && when[0])
		vt_set(vt, VERDICT_FAIL, "expired %s", when);
	else if (days < 0)
		vt_set(vt, VERDICT_FAIL, "expired since %s (%ld days ago)",
		    leaf->not_after, -d);
	else if (d == 0 && days < crit_days)
		vt_set(vt, VERDICT_FAIL, "expires %s, in less than a day "
		    "(--crit-days %d)", when[0] ? when : leaf->not_after,
		    crit_days);
	else if (days < crit_days)
		vt_set(vt, VERDICT_FAIL, "expires %s: %ld days left, fewer "
		    "than %d (--crit-days)", leaf->not_after, d, crit_days);
	else if (d == 0 && days < warn_days)
		vt_set(vt, VERDICT_WARN, "expires %s, in less than a day "
		    "(--warn-days %d)", when[0] ? when : leaf->not_after,
		    warn_days);
	else if (days < warn_days)
		vt_set(vt, VERDICT_WARN, "expires %s: %ld days left, fewer "
		    "than %d (--warn-days)", leaf->not_after, d, warn_days);
	else
		vt_set(vt, VERDICT_PASS, "expires %s, in %ld days",
		    leaf->not_after, d);
}

static void
judge_resumption(const struct tls_port_result *pr, struct verdict_text *vt)
{
	if (pr->resumed)
		vt_set(vt, VERDICT_PASS, "%s (lifetime hint %lu s)",
		    pr->session_ticket ? "session ticket accepted back" :
		    "session id resumed", pr->ticket_lifetime_s);
	else if (!pr->session_offered)
		vt_set(vt, VERDICT_WARN, "the server offered no resumable "
		    "session: every connection pays a full handshake");
	else
		vt_set(vt, VERDICT_WARN, "%s", pr->resumption_detail);
}

/* The worst of several, with the text of the worst. */
static void
fold(struct verdict_text *into, const struct verdict_text *v)
{
	static const int rank[] = { [VERDICT_PASS] = 0, [VERDICT_SKIP] = 0,
		[VERDICT_WARN] = 1, [VERDICT_ERROR] = 2, [VERDICT_FAIL] = 3 };

	if (rank[v->v] > rank[into->v])
		*into = *v;
}

static void
judge_unreached(struct report *rep, const char *prefix,
    const struct tls_probe_target *t, const struct tls_port_result *pr,
    int single, const struct tls_probe_params *p, int policy)
{
	struct verdict_text vt;
	int finding = pr->err.cat == MV_ERR_TLS ||
	    pr->err.cat == MV_ERR_PROTOCOL || pr->err.cat == MV_ERR_CLOSED ||
	    pr->err.cat == MV_ERR_REJECTED;

	if (!pr->open) {
		if (t->optional && pr->err.cat == MV_ERR_CONNECT)
			vt_set(&vt, VERDICT_SKIP, "closed (%s)", pr->err.msg);
		else
			vt_set(&vt, VERDICT_ERROR, "%s", pr->err.msg);
		judged(rep, prefix, "connect", &vt);
		if (single)
			rep->err = pr->err;
		return;
	}
	vt_set(&vt, VERDICT_PASS, "connected to %s", pr->peer);
	judged(rep, prefix, "connect", &vt);
	/* STARTTLS missing or refused: the policy says why. */
	if (policy)
		tls_judge_policy(rep, prefix, p, t, pr);
	if (pr->err.cat != MV_ERR_NONE) {
		vt_set(&vt, finding ? VERDICT_FAIL : VERDICT_ERROR, "%s%s",
		    pr->err_in_tls || pr->implicit ? "" : "not reached: ",
		    pr->err.msg);
		judged(rep, prefix, "tls", &vt);
		if (single)
			rep->err = pr->err;
	}
	/* A legacy-only server: the sweep ran though the handshake
	 * failed, and tells which versions do work. */
	if (pr->versions_tested && p->versions)
		tls_judge_versions(rep, prefix, pr);
}

void
tls_judge_port(struct report *rep, const struct tls_probe_params *p,
    const struct tls_probe_target *t, const struct tls_port_result *pr)
{
	const char *prefix = p->all_ports ? pr->label : "";
	const struct tls_info *ti = &pr->tls;
	struct verdict_text vt, crypto, cert;

	if (!pr->tls_active) {
		judge_unreached(rep, prefix, t, pr, !p->all_ports, p,
		    pr->open && !pr->implicit);
		return;
	}
	vt_set(&vt, VERDICT_PASS, "connected to %s", pr->peer);
	judged(rep, prefix, "connect", &vt);
	if (!pr->implicit)
		tls_judge_policy(rep, prefix, p, t, pr);
	if (pr->legacy_only && (strcmp(ti->version, "TLSv1") == 0 ||
	    strcmp(ti->version, "TLSv1.1") == 0))
		vt_set(&vt, VERDICT_FAIL, "accepts only TLS 1.0/1.1: %s "
		    "negotiated (%s) when mailvet retried with legacy settings "
		    "(security level 0); with this system's defaults: %s",
		    ti->version, ti->cipher, pr->strict_err.msg);
	else if (pr->legacy_only)
		vt_set(&vt, VERDICT_FAIL, "works only with legacy settings "
		    "(%s, %s, security level 0) that this system refuses by "
		    "default: %s", ti->version, ti->cipher,
		    pr->strict_err.msg);
	else
		vt_set(&vt, VERDICT_PASS, "%s, %s%s%s in %.1f ms (%s)",
		    ti->version, ti->cipher, ti->group[0] ? ", " : "",
		    ti->group, pr->tls_ms, pr->implicit ? "implicit TLS" :
		    t->proto == TLS_DIALOG_POP3 ? "STLS" : "STARTTLS");
	judged(rep, prefix, "tls", &vt);
	if (ti->chain_len == 0) {
		vt_set(&vt, VERDICT_FAIL, "the server sent no certificate");
		judged(rep, prefix, "certificate", &vt);
		return;
	}
	if (p->all_ports) {
		judge_version(ti, &crypto);
		judge_cipher(ti, &vt);
		fold(&crypto, &vt);
		judge_key(ti, &vt);
		fold(&crypto, &vt);
		judge_signature(ti, &vt);
		fold(&crypto, &vt);
		if (crypto.v == VERDICT_PASS)
			vt_set(&crypto, VERDICT_PASS, "%s %s; %s %d bits; %s",
			    ti->version, ti->cipher, ti->chain[0].key_type,
			    ti->chain[0].key_bits, ti->chain[0].sig_alg);
		judged(rep, prefix, "crypto", &crypto);
		judge_certificate(ti, &cert);
		judge_chain(ti, &vt);
		fold(&cert, &vt);
		judged(rep, prefix, "certificate", &cert);
		judge_expiry(ti, p->warn_days, p->crit_days, &vt);
		judged(rep, prefix, "expiry", &vt);
		if (p->versions)
			tls_judge_versions(rep, prefix, pr);
		if (!pr->implicit && p->injection)
			tls_judge_injection(rep, prefix, pr);
		return;
	}
	judge_version(ti, &vt);
	judged(rep, prefix, "version", &vt);
	if (p->versions)
		tls_judge_versions(rep, prefix, pr);
	judge_cipher(ti, &vt);
	judged(rep, prefix, "cipher", &vt);
	judge_key(ti, &vt);
	judged(rep, prefix, "key", &vt);
	judge_signature(ti, &vt);
	judged(rep, prefix, "signature", &vt);
	judge_certificate(ti, &vt);
	judged(rep, prefix, "certificate", &vt);
	judge_hostname(ti, &vt);
	judged(rep, prefix, "hostname", &vt);
	judge_chain(ti, &vt);
	judged(rep, prefix, "chain", &vt);
	judge_expiry(ti, p->warn_days, p->crit_days, &vt);
	judged(rep, prefix, "expiry", &vt);
	if (p->resumption) {
		judge_resumption(pr, &vt);
		judged(rep, prefix, "resumption", &vt);
	}
	if (!pr->implicit && p->injection)
		tls_judge_injection(rep, prefix, pr);
}
