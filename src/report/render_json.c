/*
 * render_json.c - the one JSON document per run (schema in docs/json.md).
 *
 * Top level, shared by all commands: mailvet, command, target, verdict,
 * exit_code, error, checks, transcript; then one object named after the
 * command with its measurements.  Fields are never renamed; new ones
 * may be added.
 */
#include "report/render.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static json_t *
jstr_or_null(const char *s)
{
	return s && s[0] ? json_string(s) : json_null();
}

static json_t *
reply_json(const struct smtp_reply_copy *c)
{
	if (c->code == 0)
		return json_null();
	return json_pack("{s:i, s:o, s:s}", "code", c->code, "enhanced",
	    jstr_or_null(c->enh), "text", c->text ? c->text : "");
}

static json_t *
cert_json(const struct tls_cert_info *ci)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:b}",
	    "subject", ci->subject, "issuer", ci->issuer, "san", ci->san,
	    "not_before", ci->not_before, "not_after", ci->not_after,
	    "sha256", ci->sha256, "key_type", ci->key_type, "key_bits",
	    ci->key_bits, "signature_algorithm", ci->sig_alg, "self_issued",
	    ci->self_issued);
}

static json_t *
tls_json(const struct smtp_client_result *r)
{
	const struct tls_info *ti = &r->tls;
	json_t *chain;
	size_t i;

	if (!r->tls_active)
		return json_null();
	chain = json_array();
	for (i = 0; i < ti->chain_len; i++)
		json_array_append_new(chain, cert_json(&ti->chain[i]));
	return json_pack("{s:s, s:s, s:s, s:o, s:i, s:b, s:o, s:o, s:s, s:o}",
	    "mode", r->implicit_tls ? "implicit" : "starttls",
	    "version", ti->version, "cipher", ti->cipher, "group",
	    jstr_or_null(ti->group), "cipher_bits", ti->cipher_bits,
	    "verified", ti->verified, "verify_error",
	    jstr_or_null(ti->verify_error), "server_name",
	    jstr_or_null(ti->server_name), "verify_code_name",
	    ti->verified ? "ok" : "failed", "chain", chain);
}

static json_t *
caps_json(const struct smtp_client_result *r)
{
	const struct smtp_caps *c = &r->caps;
	const char *p = c->auth_list;
	json_t *list, *auth;
	unsigned bit;

	if (!r->have_caps)
		return json_null();
	list = json_array();
	auth = json_array();
	for (bit = 1; bit && bit <= SMTP_CAP_XFORWARD; bit <<= 1)
		if (c->caps & bit)
			json_array_append_new(list,
			    json_string(smtp_cap_name(bit)));
	while (*p) {
		size_t n = strcspn(p, " ");

		if (n)
			json_array_append_new(auth, json_stringn(p, n));
		p += n;
		p += strspn(p, " ");
	}
	return json_pack("{s:s, s:o, s:o, s:I, s:s}", "domain", c->domain,
	    "capabilities", list, "auth", auth, "size",
	    (json_int_t)c->size_max, "unknown", c->unknown);
}

static json_t *
smtp_json(const struct report *rep)
{
	const struct smtp_client_result *r = rep->smtp;
	json_t *rcpts = json_array(), *timings = json_object(), *o;
	size_t i;
	int ph;

	for (i = 0; i < r->nrcpt; i++) {
		const struct smtp_rcpt_result *rr = &r->rcpt[i];
		json_t *j = json_pack("{s:s, s:o, s:o, s:o}", "address",
		    rr->address, "code", rr->reply.code ?
		    json_integer(rr->reply.code) : json_null(), "enhanced",
		    jstr_or_null(rr->reply.enh), "text",
		    jstr_or_null(rr->reply.text));

		if (rr->lmtp.code)
			json_object_set_new(j, "delivery",
			    reply_json(&rr->lmtp));
		json_array_append_new(rcpts, j);
	}
	for (ph = 0; ph < SMTP_PHASE_COUNT; ph++)
		if (r->phase_done & (1u << ph))
			json_object_set_new(timings, smtp_phase_name(ph),
			    json_real((double)r->phase_us[ph] / 1000.0));
	json_object_set_new(timings, "total",
	    json_real((double)r->total_us / 1000.0));
	o = json_pack("{s:o, s:o, s:o, s:o, s:o, s:b, s:b, s:o, s:o, s:o}",
	    "peer", jstr_or_null(r->peer), "local", jstr_or_null(r->local),
	    "banner", reply_json(&r->banner), "ehlo", caps_json(r),
	    "ehlo_before_tls", r->have_caps_plain && r->tls_active ?
	    json_pack("{s:b, s:s}", "starttls", r->starttls_offered,
		"auth", r->caps_plain.auth_list) : json_null(),
	    "helo_fallback", r->helo_fallback, "starttls_offered",
	    r->starttls_offered, "tls", tls_json(r), "auth",
	    r->auth_attempted ? json_pack("{s:s, s:s, s:b, s:o}", "user",
		r->auth_user, "mechanism", r->auth_mech, "ok", r->auth_ok,
		"reply", reply_json(&r->auth))
	    : json_null(), "mail", reply_json(&r->mail));
	json_object_set_new(o, "recipients", rcpts);
	json_object_set_new(o, "data", reply_json(&r->data));
	json_object_set_new(o, "end_of_data", reply_json(&r->eod));
	json_object_set_new(o, "queue_id", jstr_or_null(r->queue_id));
	json_object_set_new(o, "message_id", jstr_or_null(rep->message_id));
	json_object_set_new(o, "token", jstr_or_null(rep->token));
	json_object_set_new(o, "pipelined", json_boolean(r->pipelined));
	json_object_set_new(o, "quit_ok", json_boolean(r->quit_ok));
	json_object_set_new(o, "bare_lf_lines",
	    json_integer((json_int_t)r->bare_lf_lines));
	json_object_set_new(o, "timings_ms", timings);
	return o;
}

int
report_render_json(const struct report *r, const struct render_opts *o,
    struct buf *out)
{
	json_t *doc, *checks = json_array(), *tr = json_array();
	char *text;
	size_t i;
	int ret;

	(void)o;
	for (i = 0; i < r->nchecks; i++)
		json_array_append_new(checks, json_pack("{s:s, s:s, s:s}",
		    "name", r->checks[i].name, "verdict",
		    verdict_name(r->checks[i].verdict), "summary",
		    r->checks[i].summary));
	for (i = 0; i < r->tr.n; i++)
		json_array_append_new(tr, json_pack("{s:f, s:s, s:s}", "t_ms",
		    (double)r->tr.v[i].t_us / 1000.0, "kind",
		    transcript_kind_name(r->tr.v[i].kind), "text",
		    r->tr.v[i].text));
	doc = json_pack("{s:s, s:s, s:s, s:s, s:i, s:o, s:o, s:o, s:I}",
	    "mailvet", MAILVET_VERSION, "command", r->command, "target",
	    r->target, "verdict", report_verdict_name(r), "exit_code",
	    (int)report_exit_code(r), "error", r->err.cat == MV_ERR_NONE ?
	    json_null() : json_pack("{s:s, s:s}", "category",
		mv_errcat_name(r->err.cat), "message", r->err.msg),
	    "checks", checks, "transcript", tr, "transcript_dropped",
	    (json_int_t)r->tr.dropped);
	if (doc == NULL)
		return -1;
	if (r->smtp)
		json_object_set_new(doc, "smtp", smtp_json(r));
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
