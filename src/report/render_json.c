/*
 * render_json.c - the one JSON document per run (schema in docs/json.md)
 * and the pieces the command objects share.
 *
 * Top level, shared by all commands: mailvet, command, target, verdict,
 * exit_code, error, checks, transcript; then one object per kind of
 * result (smtp, pop3, imap, deliver).  Fields are never renamed; new
 * ones may be added.  Objects are built with json_object_set_new rather
 * than json_pack so that one bad value cannot drop a whole object.
 */
#include "report/ports_report.h"
#include "report/render.h"
#include "report/render_relay.h"
#include "report/render_json_parts.h"
#include "report/render_tls.h"

#include <stdlib.h>
#include <string.h>

void
rj_set(json_t *obj, const char *key, json_t *value)
{
	json_object_set_new(obj, key, value ? value : json_null());
}

json_t *
rj_split(const char *list, char sep)
{
	json_t *a = json_array();
	const char *p = list ? list : "";
	char seps[2] = { sep, '\0' };

	while (*p) {
		size_t n = strcspn(p, seps);

		if (n)
			json_array_append_new(a, json_text_n(p, n));
		p += n;
		p += strspn(p, seps);
	}
	return a;
}

json_t *
rj_words(const char *list)
{
	return rj_split(list, ' ');
}

static json_t *
rj_cert(const struct tls_cert_info *ci)
{
	json_t *o = json_object();

	rj_set(o, "subject", json_text(ci->subject));
	rj_set(o, "issuer", json_text(ci->issuer));
	rj_set(o, "san", json_text(ci->san));
	rj_set(o, "not_before", json_text(ci->not_before));
	rj_set(o, "not_after", json_text(ci->not_after));
	rj_set(o, "sha256", json_text(ci->sha256));
	rj_set(o, "key_type", json_text(ci->key_type));
	rj_set(o, "key_bits", json_integer(ci->key_bits));
	rj_set(o, "signature_algorithm", json_text(ci->sig_alg));
	rj_set(o, "self_issued", json_boolean(ci->self_issued));
	return o;
}

json_t *
rj_tls(const struct tls_info *ti, int active, int implicit)
{
	json_t *o, *chain;
	size_t i;

	if (!active)
		return json_null();
	o = json_object();
	chain = json_array();
	for (i = 0; i < ti->chain_len; i++)
		json_array_append_new(chain, rj_cert(&ti->chain[i]));
	rj_set(o, "mode", json_string(implicit ? "implicit" : "starttls"));
	rj_set(o, "version", json_text(ti->version));
	rj_set(o, "cipher", json_text(ti->cipher));
	rj_set(o, "group", json_text_or_null(ti->group));
	rj_set(o, "cipher_bits", json_integer(ti->cipher_bits));
	rj_set(o, "verified", json_boolean(ti->verified));
	rj_set(o, "verify_error", json_text_or_null(ti->verify_error));
	rj_set(o, "server_name", json_text_or_null(ti->server_name));
	rj_set(o, "chain", chain);
	return o;
}

json_t *
rj_timings(const uint64_t *phase_us, unsigned done, int nphases,
    const char *(*name)(int), uint64_t total_us)
{
	json_t *o = json_object();
	int ph;

	for (ph = 0; ph < nphases; ph++)
		if (done & (1u << ph))
			rj_set(o, name(ph),
			    json_real((double)phase_us[ph] / 1000.0));
	rj_set(o, "total", json_real((double)total_us / 1000.0));
	return o;
}

static json_t *
rj_checks(const struct report *r)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < r->nchecks; i++) {
		json_t *c = json_object();

		rj_set(c, "name", json_string(r->checks[i].name));
		rj_set(c, "verdict",
		    json_string(verdict_name(r->checks[i].verdict)));
		rj_set(c, "summary", json_text(r->checks[i].summary));
		json_array_append_new(a, c);
	}
	return a;
}

static json_t *
rj_transcript(const struct report *r)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < r->tr.n; i++) {
		json_t *e = json_object();

		rj_set(e, "t_ms", json_real((double)r->tr.v[i].t_us / 1000.0));
		rj_set(e, "kind",
		    json_string(transcript_kind_name(r->tr.v[i].kind)));
		rj_set(e, "text", json_text(r->tr.v[i].text));
		json_array_append_new(a, e);
	}
	return a;
}

int
report_render_json(const struct report *r, const struct render_opts *o,
    struct buf *out)
{
	json_t *doc = json_object(), *err = json_null();
	char *text;
	int ret;

	(void)o;
	if (doc == NULL)
		return -1;
	if (r->err.cat != MV_ERR_NONE) {
		err = json_object();
		rj_set(err, "category",
		    json_string(mv_errcat_name(r->err.cat)));
		rj_set(err, "message", json_text(r->err.msg));
	}
	rj_set(doc, "mailvet", json_string(MAILVET_VERSION));
	rj_set(doc, "command", json_string(r->command));
	rj_set(doc, "target", json_text(r->target));
	rj_set(doc, "verdict", json_string(report_verdict_name(r)));
	rj_set(doc, "exit_code", json_integer(report_exit_code(r)));
	rj_set(doc, "error", err);
	rj_set(doc, "checks", rj_checks(r));
	rj_set(doc, "transcript", rj_transcript(r));
	rj_set(doc, "transcript_dropped",
	    json_integer((json_int_t)r->tr.dropped));
	if (r->smtp)
		rj_set(doc, "smtp", rj_smtp(r));
	if (r->pop3)
		rj_set(doc, "pop3", rj_pop3(r));
	if (r->imap)
		rj_set(doc, "imap", rj_imap(r));
	if (r->deliver)
		rj_set(doc, "deliver", rj_deliver(r));
	if (r->tls)
		rj_set(doc, "tls", rj_tls_report(r));
	if (r->relay)
		rj_set(doc, "relay", rj_relay(r));
	if (r->ports)
		rj_set(doc, "ports", rj_ports(r));
	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (text == NULL)
		return -1;
	ret = buf_append_str(out, text);
	if (ret == 0)
		ret = buf_append(out, "\n", 1);
	free(text);
	return ret;
}
