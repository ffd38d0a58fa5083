/*
 * sasl.c - client side of SASL (RFC 4422) for SMTP AUTH (RFC 4954) and
 * later POP3/IMAP; see sasl.h.  No I/O.
 *
 * The mechanisms are GNU SASL's: one process-wide Gsasl context, made
 * on first use under pthread_once so that benchmark threads may start
 * sessions concurrently, and one Gsasl_session per client holding the
 * credentials as properties.  GNU SASL speaks base64 to us through
 * gsasl_step64; challenges are checked here first so that a server's
 * bad base64 is reported as such.  The base64 helpers use OpenSSL.
 *
 * Errors: MV_ERR_USAGE for what the user asked (unknown mechanism, no
 * user name), MV_ERR_LACKS_FEATURE when the server offers nothing that
 * fits, MV_ERR_PROTOCOL for what the server sent, MV_ERR_INTERNAL for
 * the rest.
 */
#include "proto/sasl.h"

#include <gsasl.h>
#include <openssl/evp.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* RFC 4422 3.1: mechanism names are 1 to 20 characters. */
#define SASL_MECH_MAX 20

struct sasl_client {
	Gsasl_session *session; /* owned */
	char mech[SASL_MECH_MAX + 1];
	int first;              /* client speaks first */
	int done;               /* GNU SASL said GSASL_OK */
};

/* Strongest first; "auto" never picks anything else. */
static const char *const sasl_preferred[] = {
	"SCRAM-SHA-256",
	"SCRAM-SHA-1",
	"CRAM-MD5",
	"PLAIN",
	"LOGIN",
};

/* Mechanisms in which the server speaks first; in all others the
 * client has an initial response. */
static const char *const sasl_server_first[] = {
	"LOGIN",
	"CRAM-MD5",
	"DIGEST-MD5",
};

#define SASL_NELEM(a) (sizeof(a) / sizeof((a)[0]))

static pthread_once_t sasl_once = PTHREAD_ONCE_INIT;
static Gsasl *sasl_ctx;
static int sasl_init_rc;

static void
sasl_init_once(void)
{
	sasl_init_rc = gsasl_init(&sasl_ctx);
}

/* The context lives until exit: sessions may still be running in
 * other threads when any one caller would think of freeing it. */
static Gsasl *
sasl_context(struct mv_error *err)
{
	pthread_once(&sasl_once, sasl_init_once);
	if (sasl_init_rc != GSASL_OK) {
		mv_error_set(err, MV_ERR_INTERNAL,
		    "cannot initialise GNU SASL: %s",
		    gsasl_strerror(sasl_init_rc));
		return NULL;
	}
	return sasl_ctx;
}

static int
sasl_upper(int c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

/* Upper-case a user-given name into out; GNU SASL matches names
 * exactly.  Returns -1 when it cannot be a mechanism name at all. */
static int
sasl_mech_normalise(const char *name, char out[SASL_MECH_MAX + 1])
{
	size_t i;

	for (i = 0; name[i] != '\0'; i++) {
		int c = sasl_upper((unsigned char)name[i]);

		if (i == SASL_MECH_MAX)
			return -1;
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			c == '-' || c == '_'))
			return -1;
		out[i] = (char)c;
	}
	out[i] = '\0';
	return i > 0 ? 0 : -1;
}

/* Is name (upper-case) a word of the space-separated list? */
static int
sasl_list_has(const char *list, const char *name)
{
	size_t n = strlen(name), i, w;

	if (list == NULL)
		return 0;
	for (i = 0; list[i] != '\0'; i += w) {
		while (list[i] == ' ' || list[i] == '\t')
			i++;
		for (w = 0; list[i + w] != '\0' && list[i + w] != ' ' &&
		     list[i + w] != '\t';
		     w++)
			;
		if (w == n) {
			size_t k;

			for (k = 0; k < n; k++)
				if (sasl_upper((unsigned char)list[i + k]) !=
				    name[k])
					break;
			if (k == n)
				return 1;
		}
	}
	return 0;
}

/* Server text quoted in a message: printable ASCII only, bounded. */
static const char *
sasl_quote(const char *s, char *q, size_t qsz)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 4 < qsz; i++) {
		unsigned char c = (unsigned char)s[i];

		q[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (s[i] != '\0') {
		memcpy(q + i, "...", 3);
		i += 3;
	}
	q[i] = '\0';
	return q;
}

static int
sasl_copy_name(const char *name, char *out, size_t outsz,
    struct mv_error *err)
{
	size_t n = strlen(name);

	if (n + 1 > outsz)
		return mv_error_set(err, MV_ERR_INTERNAL,
		    "buffer too small for mechanism name %s", name);
	memcpy(out, name, n + 1);
	return 0;
}

static int
sasl_is_auto(const char *wanted)
{
	char up[SASL_MECH_MAX + 1];

	return wanted == NULL || (sasl_mech_normalise(wanted, up) == 0 &&
				     strcmp(up, "AUTO") == 0);
}

int
sasl_choose_mech(const char *wanted, const char *advertised, char *out,
    size_t outsz, struct mv_error *err)
{
	char name[SASL_MECH_MAX + 1], q[200];
	Gsasl *ctx;
	size_t i;

	if (outsz > 0)
		out[0] = '\0';
	if ((ctx = sasl_context(err)) == NULL)
		return -1;
	if (!sasl_is_auto(wanted)) {
		if (sasl_mech_normalise(wanted, name) == -1)
			return mv_error_set(err, MV_ERR_USAGE,
			    "'%s' is not a SASL mechanism name",
			    sasl_quote(wanted, q, 68));
		if (!gsasl_client_support_p(ctx, name))
			return mv_error_set(err, MV_ERR_USAGE,
			    "SASL mechanism %s is not supported by this "
			    "build of mailvet", name);
		/* No list (no EHLO AUTH, no CAPA): the user knows best. */
		if (advertised != NULL && !sasl_list_has(advertised, name))
			return mv_error_set(err, MV_ERR_LACKS_FEATURE,
			    "the server does not offer SASL mechanism %s "
			    "(it offers: %s)", name,
			    advertised[0] ?
				sasl_quote(advertised, q, sizeof(q)) :
				"none");
		return sasl_copy_name(name, out, outsz, err);
	}
	for (i = 0; i < SASL_NELEM(sasl_preferred); i++)
		if (sasl_list_has(advertised, sasl_preferred[i]) &&
		    gsasl_client_support_p(ctx, sasl_preferred[i]))
			return sasl_copy_name(sasl_preferred[i], out, outsz,
			    err);
	if (advertised == NULL || advertised[0] == '\0')
		return mv_error_set(err, MV_ERR_LACKS_FEATURE,
		    "the server offers no SASL mechanisms");
	return mv_error_set(err, MV_ERR_LACKS_FEATURE,
	    "none of the server's SASL mechanisms (%s) is one mailvet "
	    "uses (SCRAM-SHA-256, SCRAM-SHA-1, CRAM-MD5, PLAIN, LOGIN)",
	    sasl_quote(advertised, q, sizeof(q)));
}

struct sasl_client *
sasl_client_new(const char *mech, const char *user, const char *pass,
    const char *authzid, struct mv_error *err)
{
	struct sasl_client *c;
	Gsasl *ctx;
	size_t i;
	int rc;

	if ((ctx = sasl_context(err)) == NULL)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	if (mech == NULL || sasl_mech_normalise(mech, c->mech) == -1 ||
	    !gsasl_client_support_p(ctx, c->mech)) {
		char q[68];

		mv_error_set(err, MV_ERR_USAGE,
		    "SASL mechanism '%s' is not supported",
		    mech ? sasl_quote(mech, q, sizeof(q)) : "(none)");
		goto fail;
	}
	if ((rc = gsasl_client_start(ctx, c->mech, &c->session)) != GSASL_OK) {
		mv_error_set(err, MV_ERR_INTERNAL,
		    "cannot start SASL mechanism %s: %s", c->mech,
		    gsasl_strerror(rc));
		goto fail;
	}
	/* GNU SASL copies the properties; nothing of ours is kept. */
	if ((user != NULL &&
		gsasl_property_set(c->session, GSASL_AUTHID, user) !=
		    GSASL_OK) ||
	    (pass != NULL &&
		gsasl_property_set(c->session, GSASL_PASSWORD, pass) !=
		    GSASL_OK) ||
	    (authzid != NULL && authzid[0] != '\0' &&
		gsasl_property_set(c->session, GSASL_AUTHZID, authzid) !=
		    GSASL_OK)) {
		mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
		goto fail;
	}
	c->first = 1;
	for (i = 0; i < SASL_NELEM(sasl_server_first); i++)
		if (strcmp(c->mech, sasl_server_first[i]) == 0)
			c->first = 0;
	return c;
fail:
	sasl_client_free(c);
	return NULL;
}

void
sasl_client_free(struct sasl_client *c)
{
	if (c == NULL)
		return;
	if (c->session != NULL)
		gsasl_finish(c->session);
	free(c);
}

int
sasl_client_first(const struct sasl_client *c)
{
	return c->first;
}

static int
sasl_b64_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* Strict RFC 4648 syntax: whole quartets, '=' only as final padding.
 * Returns the number of padding characters, or -1. */
static int
sasl_b64_check(const char *in, size_t len)
{
	size_t i, pad = 0;

	if (len % 4 != 0)
		return -1;
	if (len >= 1 && in[len - 1] == '=')
		pad = len >= 2 && in[len - 2] == '=' ? 2 : 1;
	for (i = 0; i < len - pad; i++)
		if (!sasl_b64_char((unsigned char)in[i]))
			return -1;
	return (int)pad;
}

static void
sasl_truncate(struct buf *out, size_t len)
{
	out->len = len;
	if (out->data != NULL)
		out->data[len] = '\0';
}

/* Chunks keep EVP's int lengths small and the scratch on the stack. */
#define SASL_B64_CHUNK 768 /* quartets per chunk */

int
b64_encode(const void *in, size_t len, struct buf *out)
{
	unsigned char tmp[SASL_B64_CHUNK * 4 + 1];
	const unsigned char *p = in;
	size_t start = out->len, n;
	int w;

	while (len > 0) {
		n = len < SASL_B64_CHUNK * 3 ? len : SASL_B64_CHUNK * 3;
		w = EVP_EncodeBlock(tmp, p, (int)n);
		if (w < 0 || buf_append(out, tmp, (size_t)w) == -1) {
			sasl_truncate(out, start);
			return -1;
		}
		p += n;
		len -= n;
	}
	/* An empty result is still a valid (empty) string. */
	return buf_append(out, "", 0);
}

int
b64_decode(const char *in, size_t len, struct buf *out)
{
	unsigned char tmp[SASL_B64_CHUNK * 3 + 1];
	size_t start = out->len, n, got;
	int pad, w;

	if ((pad = sasl_b64_check(in, len)) == -1)
		return -1;
	while (len > 0) {
		n = len < SASL_B64_CHUNK * 4 ? len : SASL_B64_CHUNK * 4;
		w = EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)n);
		if (w < 0)
			goto fail;
		/* EVP_DecodeBlock counts padding as zero bytes; only the
		 * last chunk can carry padding. */
		got = (size_t)w;
		if (n == len)
			got -= (size_t)pad;
		if (buf_append(out, tmp, got) == -1)
			goto fail;
		in += n;
		len -= n;
	}
	return buf_append(out, "", 0);
fail:
	sasl_truncate(out, start);
	return -1;
}

static int
sasl_step_error(struct sasl_client *c, int rc, struct mv_error *err)
{
	switch (rc) {
	case GSASL_NO_AUTHID:
		return mv_error_set(err, MV_ERR_USAGE,
		    "SASL mechanism %s needs a user name", c->mech);
	case GSASL_NO_PASSWORD:
		return mv_error_set(err, MV_ERR_USAGE,
		    "SASL mechanism %s needs a password", c->mech);
	case GSASL_BASE64_ERROR:
		return mv_error_set(err, MV_ERR_PROTOCOL,
		    "the server's SASL challenge is not valid base64");
	case GSASL_MECHANISM_PARSE_ERROR:
		return mv_error_set(err, MV_ERR_PROTOCOL,
		    "the server's %s challenge is malformed", c->mech);
	case GSASL_SASLPREP_ERROR:
		return mv_error_set(err, MV_ERR_USAGE,
		    "the user name or password cannot be prepared for %s "
		    "(RFC 4013 SASLprep)", c->mech);
	case GSASL_AUTHENTICATION_ERROR:
		/* For SCRAM this is the server-final check (or the server
		 * said e=...): a server that cannot prove it knows the
		 * password is not the one the user meant to talk to. */
		if (strncmp(c->mech, "SCRAM-", 6) == 0)
			return mv_error_set(err, MV_ERR_PROTOCOL,
			    "the server's final %s message does not verify: "
			    "it does not know the password, or the "
			    "connection was tampered with", c->mech);
		return mv_error_set(err, MV_ERR_PROTOCOL,
		    "the server's %s answer does not verify", c->mech);
	case GSASL_MECHANISM_CALLED_TOO_MANY_TIMES:
		return mv_error_set(err, MV_ERR_PROTOCOL,
		    "the server sent more challenges than %s uses", c->mech);
	default:
		return mv_error_set(err, MV_ERR_INTERNAL, "SASL %s: %s",
		    c->mech, gsasl_strerror(rc));
	}
}

int
sasl_client_step(struct sasl_client *c, const char *challenge,
    struct buf *out, struct mv_error *err)
{
	char *input = NULL, *answer = NULL;
	size_t n = 0;
	int rc, ret = -1;

	if (c->done) {
		buf_reset(out);
		return mv_error_set(err, MV_ERR_PROTOCOL,
		    "the server sent another challenge after the %s exchange "
		    "was complete", c->mech);
	}
	/* challenge is copied before out is touched: it may live in out. */
	if (challenge != NULL) {
		/* Trailing blanks seen in the field are not base64 but not
		 * worth failing for; "=" is an empty challenge too. */
		n = strlen(challenge);
		while (n > 0 &&
		    (challenge[n - 1] == ' ' || challenge[n - 1] == '\t'))
			n--;
		if (n == 1 && challenge[0] == '=')
			n = 0;
		if (sasl_b64_check(challenge, n) == -1) {
			char q[72];

			mv_error_set(err, MV_ERR_PROTOCOL,
			    "the server's SASL challenge is not valid base64: "
			    "\"%s\"", sasl_quote(challenge, q, sizeof(q)));
			buf_reset(out);
			return -1;
		}
		if ((input = malloc(n + 1)) == NULL)
			return mv_error_set(err, MV_ERR_INTERNAL,
			    "out of memory");
		memcpy(input, challenge, n);
		input[n] = '\0';
	}
	buf_reset(out);
	rc = gsasl_step64(c->session, input, &answer);
	if (rc != GSASL_OK && rc != GSASL_NEEDS_MORE) {
		sasl_step_error(c, rc, err);
		goto done;
	}
	if (answer != NULL && buf_append_str(out, answer) == -1) {
		mv_error_set(err, MV_ERR_INTERNAL,
		    "SASL response larger than the buffer allows");
		goto done;
	}
	buf_append(out, "", 0);
	if (rc == GSASL_OK)
		c->done = 1;
	ret = rc == GSASL_OK ? 1 : 0;
done:
	if (answer != NULL)
		gsasl_free(answer);
	free(input);
	return ret;
}
