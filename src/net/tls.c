/*
 * tls.c - TLS client over memory BIOs (see tls.h).
 *
 * The socket never touches OpenSSL: ciphertext is fed in with
 * tls_client_feed() and drained with tls_client_drain().  Verification
 * failures are recorded by a callback that lets the handshake finish, so
 * that a bad certificate can still be shown to the user.
 */
#include "net/tls.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* tls.h spells the versions without OpenSSL; they must agree. */
_Static_assert(TLS_VERSION_1_0 == TLS1_VERSION &&
    TLS_VERSION_1_1 == TLS1_1_VERSION && TLS_VERSION_1_2 == TLS1_2_VERSION &&
    TLS_VERSION_1_3 == TLS1_3_VERSION, "TLS version constants");

struct tls_client {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *rbio; /* network -> OpenSSL */
	BIO *wbio; /* OpenSSL -> network */
	int insecure;
	long first_verify_error; /* first failure seen, X509_V_OK if none */
	int fail_depth;          /* its depth in the chain, -1 if none */
	X509 *fail_cert;         /* owned: the certificate it is about */
	/* The first bytes the server sent, to tell "answered in plaintext"
	 * from other garbage when the handshake fails. */
	unsigned char head[96];
	size_t head_len;
	char server_name[256];
	struct tls_session_store *sessions; /* borrowed, may be NULL */
};

struct tls_session_store {
	SSL_SESSION *sess;       /* owned: the latest resumable session */
	unsigned long lifetime_s;
	int ticket;
};

static int tls_ex_index = -1;
static CRYPTO_ONCE tls_once = CRYPTO_ONCE_STATIC_INIT;

static void
tls_init_once(void)
{
	tls_ex_index = SSL_get_ex_new_index(0, "mailvet", NULL, NULL, NULL);
}

/* What the usual handshake failures mean, for people who do not read
 * OpenSSL reason codes; NULL when there is nothing better to say. */
static const char *
tls_reason_words(unsigned long e)
{
	if (ERR_GET_LIB(e) != ERR_LIB_SSL)
		return NULL;
	switch (ERR_GET_REASON(e)) {
	case SSL_R_WRONG_VERSION_NUMBER:
	case SSL_R_PACKET_LENGTH_TOO_LONG:
		return "the server did not answer with TLS (for an "
		    "implicit-TLS URL: if this port greets in plaintext and "
		    "offers STARTTLS, use the plain scheme smtp://, "
		    "submission://, imap:// or pop3://)";
	case SSL_R_UNSUPPORTED_PROTOCOL:
	case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
		return "the server and mailvet have no TLS version in common "
		    "(the server may offer only versions older than this "
		    "system's minimum, normally TLS 1.2)";
	case SSL_R_NO_SHARED_CIPHER:
	case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
	case SSL_R_NO_CIPHERS_AVAILABLE:
		return "the server refused the handshake: no cipher suite or "
		    "key exchange in common, or it wants a client certificate";
	case SSL_R_DH_KEY_TOO_SMALL:
		return "the server's Diffie-Hellman key is too small (weak DH "
		    "parameters)";
	case SSL_R_UNEXPECTED_EOF_WHILE_READING:
		return "the server closed the connection in the middle of the "
		    "TLS handshake";
	case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
	case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
		return "the server requires a client certificate";
	}
	return NULL;
}

/* Describe the most recent OpenSSL error queue entry in err. */
static int
tls_fail(struct mv_error *err, const char *what)
{
	unsigned long e = ERR_get_error();
	const char *words;
	char reason[256];

	if (e == 0)
		return mv_error_set(err, MV_ERR_TLS, "%s", what);
	ERR_error_string_n(e, reason, sizeof(reason));
	ERR_clear_error();
	if ((words = tls_reason_words(e)) != NULL)
		return mv_error_set(err, MV_ERR_TLS, "%s: %s (%s)", what,
		    words, reason);
	return mv_error_set(err, MV_ERR_TLS, "%s: %s", what, reason);
}

/* Keep the first verification failure but never abort the handshake:
 * the decision to continue is the caller's (--insecure). */
static int
tls_verify_cb(int ok, X509_STORE_CTX *store)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(store,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	struct tls_client *t = ssl ? SSL_get_ex_data(ssl, tls_ex_index) : NULL;

	X509 *cur;

	if (ok || t == NULL || t->first_verify_error != X509_V_OK)
		return 1;
	t->first_verify_error = X509_STORE_CTX_get_error(store);
	/* Which certificate: an expired intermediate must not be blamed
	 * on the leaf. */
	t->fail_depth = X509_STORE_CTX_get_error_depth(store);
	if ((cur = X509_STORE_CTX_get_current_cert(store)) != NULL &&
	    X509_up_ref(cur))
		t->fail_cert = cur;
	return 1;
}

/* A new session (TLS 1.2: in the handshake; TLS 1.3: a ticket after
 * it): keep it in the client's store, when it has one. */
static int
tls_new_session_cb(SSL *ssl, SSL_SESSION *sess)
{
	struct tls_client *t = SSL_get_ex_data(ssl, tls_ex_index);
	struct tls_session_store *st = t ? t->sessions : NULL;

	if (st == NULL || !SSL_SESSION_is_resumable(sess))
		return 0;
	SSL_SESSION_free(st->sess);
	st->sess = sess;
	st->lifetime_s = SSL_SESSION_get_ticket_lifetime_hint(sess);
	st->ticket = SSL_SESSION_has_ticket(sess);
	return 1; /* we keep the reference */
}

static int
is_ip_literal(const char *s)
{
	unsigned char a[16];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

static int
tls_ctx_build(SSL_CTX **ctxp, const struct tls_config *cfg,
    struct mv_error *err)
{
	SSL_CTX *ctx;

	if ((*ctxp = ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return tls_fail(err, "cannot create TLS context");
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, tls_verify_cb);
	/* Sessions go to the client's own store (tls_config.sessions),
	 * never to a cache inside the context that every client shares. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
	    SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(ctx, tls_new_session_cb);
	if (cfg->cafile || cfg->capath) {
		if (!SSL_CTX_load_verify_locations(ctx, cfg->cafile,
			cfg->capath)) {
			/* The user's file, not the server's fault. */
			ERR_clear_error();
			return mv_error_set(err, MV_ERR_USAGE, "cannot load CA "
			    "certificates from %s: not readable PEM",
			    cfg->cafile ? cfg->cafile : cfg->capath);
		}
	} else if (!SSL_CTX_set_default_verify_paths(ctx))
		return tls_fail(err, "cannot load the system trust store");
	/* Old versions must be reachable when the user asks for them: a
	 * diagnosis tool that cannot see TLS 1.0 cannot report it. */
	if ((cfg->min_version && cfg->min_version < TLS1_2_VERSION) ||
	    cfg->security_level0)
		SSL_CTX_set_security_level(ctx, 0);
	if (cfg->min_version &&
	    !SSL_CTX_set_min_proto_version(ctx, cfg->min_version))
		return tls_fail(err, "unsupported minimum TLS version");
	if (cfg->max_version &&
	    !SSL_CTX_set_max_proto_version(ctx, cfg->max_version))
		return tls_fail(err, "unsupported maximum TLS version");
	if (cfg->cipher_list &&
	    !SSL_CTX_set_cipher_list(ctx, cfg->cipher_list))
		return tls_fail(err, "no usable cipher in the cipher list");
	if (cfg->ciphersuites &&
	    !SSL_CTX_set_ciphersuites(ctx, cfg->ciphersuites))
		return tls_fail(err, "no usable TLS 1.3 cipher suite");
	if (cfg->cert_file) {
		if (SSL_CTX_use_certificate_chain_file(ctx,
			cfg->cert_file) != 1)
			return tls_fail(err, "cannot load the client certificate");
		if (SSL_CTX_use_PrivateKey_file(ctx,
			cfg->key_file ? cfg->key_file : cfg->cert_file,
			SSL_FILETYPE_PEM) != 1)
			return tls_fail(err, "cannot load the client key");
	}
	return 0;
}

static int
tls_ssl_setup(struct tls_client *t, const struct tls_config *cfg,
    struct mv_error *err)
{
	X509_VERIFY_PARAM *vp;

	if ((t->ssl = SSL_new(t->ctx)) == NULL)
		return tls_fail(err, "cannot create TLS session");
	SSL_set_ex_data(t->ssl, tls_ex_index, t);
	t->rbio = BIO_new(BIO_s_mem());
	t->wbio = BIO_new(BIO_s_mem());
	if (t->rbio == NULL || t->wbio == NULL) {
		BIO_free(t->rbio);
		BIO_free(t->wbio);
		t->rbio = t->wbio = NULL;
		return tls_fail(err, "cannot create TLS buffers");
	}
	/* An empty memory BIO means "try again", not end of file. */
	BIO_set_mem_eof_return(t->rbio, -1);
	SSL_set_bio(t->ssl, t->rbio, t->wbio);
	SSL_set_connect_state(t->ssl);
	if (t->sessions != NULL && t->sessions->sess != NULL &&
	    !SSL_set_session(t->ssl, t->sessions->sess))
		ERR_clear_error(); /* a full handshake then */
	if (cfg->server_name == NULL || cfg->server_name[0] == '\0')
		return 0;
	snprintf(t->server_name, sizeof(t->server_name), "%s",
	    cfg->server_name);
	vp = SSL_get0_param(t->ssl);
	if (is_ip_literal(cfg->server_name)) {
		/* RFC 6066: literal addresses are not sent as SNI. */
		if (!X509_VERIFY_PARAM_set1_ip_asc(vp, cfg->server_name))
			return tls_fail(err, "cannot set the address to verify");
		return 0;
	}
	if (!SSL_set_tlsext_host_name(t->ssl, cfg->server_name))
		return tls_fail(err, "cannot set the server name (SNI)");
	X509_VERIFY_PARAM_set_hostflags(vp,
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (!SSL_set1_host(t->ssl, cfg->server_name))
		return tls_fail(err, "cannot set the host name to verify");
	return 0;
}

struct tls_context {
	SSL_CTX *ctx;
};

struct tls_context *
tls_context_new(const struct tls_config *cfg, struct mv_error *err)
{
	struct tls_context *c;

	CRYPTO_THREAD_run_once(&tls_once, tls_init_once);
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	if (tls_ctx_build(&c->ctx, cfg, err) == -1) {
		tls_context_free(c);
		return NULL;
	}
	return c;
}

void
tls_context_free(struct tls_context *c)
{
	if (c == NULL)
		return;
	SSL_CTX_free(c->ctx);
	free(c);
}

struct tls_client *
tls_client_new(const struct tls_config *cfg, struct mv_error *err)
{
	struct tls_client *t;

	CRYPTO_THREAD_run_once(&tls_once, tls_init_once);
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	t->insecure = cfg->insecure;
	t->first_verify_error = X509_V_OK;
	t->fail_depth = -1;
	t->sessions = cfg->sessions;
	if (cfg->shared != NULL) {
		t->ctx = cfg->shared->ctx;
		SSL_CTX_up_ref(t->ctx);
	} else if (tls_ctx_build(&t->ctx, cfg, err) == -1) {
		tls_client_free(t);
		return NULL;
	}
	if (tls_ssl_setup(t, cfg, err) == -1) {
		tls_client_free(t);
		return NULL;
	}
	return t;
}

void
tls_client_free(struct tls_client *t)
{
	if (t == NULL)
		return;
	SSL_free(t->ssl); /* frees both BIOs */
	X509_free(t->fail_cert);
	SSL_CTX_free(t->ctx);
	free(t);
}

int
tls_client_feed(struct tls_client *t, const void *p, size_t n,
    struct mv_error *err)
{
	if (t->head_len < sizeof(t->head) && !SSL_is_init_finished(t->ssl)) {
		size_t k = sizeof(t->head) - t->head_len;

		if (k > n)
			k = n;
		memcpy(t->head + t->head_len, p, k);
		t->head_len += k;
	}
	while (n > 0) {
		size_t done = 0;

		if (!BIO_write_ex(t->rbio, p, n, &done))
			return tls_fail(err, "cannot buffer TLS input");
		p = (const char *)p + done;
		n -= done;
	}
	return 0;
}

/* The server's first line when what it sent instead of a TLS record is
 * printable text (a protocol reply: "250 ok", "+OK", "* OK"); 0 if not.
 * A TLS record starts with a content type byte 0x14..0x17. */
static int
tls_plaintext_head(const struct tls_client *t, char *out, size_t outsz)
{
	size_t i, n = 0;

	if (t->head_len < 3 || outsz == 0)
		return 0;
	for (i = 0; i < t->head_len && n + 1 < outsz; i++) {
		unsigned char ch = t->head[i];

		if (ch == '\r' || ch == '\n')
			break;
		if (ch < 0x20 || ch > 0x7e)
			return 0;
		/* the message quotes the line: keep it unambiguous */
		out[n++] = ch == '"' ? '\'' : (char)ch;
	}
	out[n] = '\0';
	return n >= 3;
}

/* Turn an SSL_get_error() result into an error, or 0 for "retry". */
static int
tls_check(struct tls_client *t, int ret, const char *what,
    struct mv_error *err)
{
	int e = SSL_get_error(t->ssl, ret);

	switch (e) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return 0;
	case SSL_ERROR_ZERO_RETURN:
		return mv_error_set(err, MV_ERR_CLOSED,
		    "the server closed the TLS session during %s", what);
	default: {
		char failed[96], line[100];
		unsigned long pe = ERR_peek_error();

		if (ERR_GET_LIB(pe) == ERR_LIB_SSL &&
		    (ERR_GET_REASON(pe) == SSL_R_WRONG_VERSION_NUMBER ||
		    ERR_GET_REASON(pe) == SSL_R_PACKET_LENGTH_TOO_LONG) &&
		    tls_plaintext_head(t, line, sizeof(line))) {
			/* Said first and quoted: the injection test reads
			 * it back (tls_plaintext_answer()). */
			ERR_clear_error();
			return mv_error_set(err, MV_ERR_TLS, "%s failed: the "
			    "server did not answer with TLS; "
			    TLS_PLAINTEXT_PREFIX "%s\" (for an implicit-TLS "
			    "URL: if this port greets in plaintext and offers "
			    "STARTTLS, use the plain scheme smtp://, "
			    "submission://, imap:// or pop3://)", what, line);
		}
		snprintf(failed, sizeof(failed), "%s failed", what);
		return tls_fail(err, failed);
	}
	}
}

int
tls_client_handshake(struct tls_client *t, struct mv_error *err)
{
	int ret;

	if (SSL_is_init_finished(t->ssl))
		return 1;
	ret = SSL_do_handshake(t->ssl);
	if (ret == 1)
		return 1;
	if (tls_check(t, ret, "the TLS handshake", err) == -1)
		return -1;
	return 0;
}

long
tls_client_read(struct tls_client *t, struct buf *out, int *eof,
    struct mv_error *err)
{
	char tmp[16384];
	long total = 0;

	*eof = 0;
	for (;;) {
		size_t got = 0;
		int ret = SSL_read_ex(t->ssl, tmp, sizeof(tmp), &got);

		if (ret == 1) {
			if (buf_append(out, tmp, got) == -1)
				return mv_error_set(err, MV_ERR_PROTOCOL,
				    "the server sent more data than mailvet "
				    "buffers (%zu bytes)", out->max);
			total += (long)got;
			continue;
		}
		if (SSL_get_error(t->ssl, ret) == SSL_ERROR_ZERO_RETURN) {
			*eof = 1;
			return total;
		}
		if (tls_check(t, ret, "reading", err) == -1)
			return -1;
		return total;
	}
}

int
tls_client_write(struct tls_client *t, const void *p, size_t n,
    struct mv_error *err)
{
	while (n > 0) {
		size_t done = 0;
		int ret = SSL_write_ex(t->ssl, p, n, &done);

		if (ret != 1) {
			/* Memory BIOs grow, so WANT_WRITE cannot happen;
			 * anything else is a real failure. */
			if (tls_check(t, ret, "writing", err) == -1)
				return -1;
			return mv_error_set(err, MV_ERR_TLS,
			    "TLS write could not complete");
		}
		p = (const char *)p + done;
		n -= done;
	}
	return 0;
}

int
tls_client_drain(struct tls_client *t, struct buf *out)
{
	char *p;
	long n = BIO_get_mem_data(t->wbio, &p);

	if (n <= 0)
		return 0;
	if (buf_append(out, p, (size_t)n) == -1)
		return -1;
	(void)BIO_reset(t->wbio);
	return 0;
}

void
tls_client_shutdown(struct tls_client *t)
{
	if (SSL_is_init_finished(t->ssl))
		(void)SSL_shutdown(t->ssl);
	ERR_clear_error();
}

/* "2026-11-25 13:59:00 UTC" and the time_t of an ASN1_TIME. */
static void
tls_format_time(const ASN1_TIME *at, char *out, size_t outsz, time_t *tt)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	out[0] = '\0';
	*tt = 0;
	if (at == NULL || !ASN1_TIME_to_tm(at, &tm))
		return;
	strftime(out, outsz, "%Y-%m-%d %H:%M:%S UTC", &tm);
	*tt = timegm(&tm);
}

static void
tls_name_oneline(const X509_NAME *name, char *out, size_t outsz)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;

	out[0] = '\0';
	if (b == NULL)
		return;
	X509_NAME_print_ex(b, name, 0,
	    (XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) | ASN1_STRFLGS_UTF8_CONVERT);
	n = BIO_get_mem_data(b, &p);
	if (n > 0)
		snprintf(out, outsz, "%.*s", (int)n, p);
	BIO_free(b);
}

static void
tls_san_list(X509 *cert, char *out, size_t outsz)
{
	GENERAL_NAMES *names;
	size_t used = 0;
	int i;

	out[0] = '\0';
	names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	if (names == NULL)
		return;
	for (i = 0; i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
		char addr[INET6_ADDRSTRLEN] = "";
		int n = 0;

		if (gn->type == GEN_DNS) {
			const ASN1_IA5STRING *s = gn->d.dNSName;

			n = snprintf(out + used, outsz - used, "%sDNS:%.*s",
			    used ? ", " : "", s->length, (const char *)s->data);
		} else if (gn->type == GEN_IPADD) {
			const ASN1_OCTET_STRING *s = gn->d.iPAddress;

			if (s->length == 4)
				inet_ntop(AF_INET, s->data, addr, sizeof(addr));
			else if (s->length == 16)
				inet_ntop(AF_INET6, s->data, addr,
				    sizeof(addr));
			n = snprintf(out + used, outsz - used, "%sIP:%s",
			    used ? ", " : "", addr);
		}
		if (n < 0 || (size_t)n >= outsz - used)
			break;
		used += (size_t)n;
	}
	GENERAL_NAMES_free(names);
}

static void
tls_cert_fill(X509 *cert, struct tls_cert_info *ci)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	EVP_PKEY *pk;
	size_t used = 0;

	memset(ci, 0, sizeof(*ci));
	tls_name_oneline(X509_get_subject_name(cert), ci->subject,
	    sizeof(ci->subject));
	tls_name_oneline(X509_get_issuer_name(cert), ci->issuer,
	    sizeof(ci->issuer));
	ci->self_issued = X509_NAME_cmp(X509_get_subject_name(cert),
	    X509_get_issuer_name(cert)) == 0;
	tls_san_list(cert, ci->san, sizeof(ci->san));
	tls_format_time(X509_get0_notBefore(cert), ci->not_before,
	    sizeof(ci->not_before), &ci->not_before_t);
	tls_format_time(X509_get0_notAfter(cert), ci->not_after,
	    sizeof(ci->not_after), &ci->not_after_t);
	if (X509_digest(cert, EVP_sha256(), md, &mdlen)) {
		for (i = 0; i < mdlen && used + 4 <= sizeof(ci->sha256); i++)
			used += (size_t)snprintf(ci->sha256 + used,
			    sizeof(ci->sha256) - used, "%s%02X", i ? ":" : "",
			    md[i]);
	}
	if ((pk = X509_get0_pubkey(cert)) != NULL) {
		const char *type = "unknown";

		switch (EVP_PKEY_get_base_id(pk)) {
		case EVP_PKEY_RSA:
			type = "RSA";
			break;
		case EVP_PKEY_EC:
			type = "EC";
			break;
		case EVP_PKEY_ED25519:
			type = "ED25519";
			break;
		case EVP_PKEY_ED448:
			type = "ED448";
			break;
		case EVP_PKEY_DSA:
			type = "DSA";
			break;
		}
		snprintf(ci->key_type, sizeof(ci->key_type), "%s", type);
		ci->key_bits = EVP_PKEY_get_bits(pk);
	}
	snprintf(ci->sig_alg, sizeof(ci->sig_alg), "%s",
	    OBJ_nid2ln(X509_get_signature_nid(cert)));
}

struct tls_session_store *
tls_session_store_new(void)
{
	return calloc(1, sizeof(struct tls_session_store));
}

void
tls_session_store_free(struct tls_session_store *s)
{
	if (s == NULL)
		return;
	SSL_SESSION_free(s->sess);
	free(s);
}

void
tls_session_store_state(const struct tls_session_store *s, int *have,
    unsigned long *lifetime_s, int *ticket)
{
	*have = s != NULL && s->sess != NULL;
	*lifetime_s = *have ? s->lifetime_s : 0;
	*ticket = *have ? s->ticket : 0;
}

static const char *
tls_pkey_sig_name(int nid)
{
	switch (nid) {
	case EVP_PKEY_RSA_PSS:
		return "RSA-PSS";
	case EVP_PKEY_RSA:
		return "RSA";
	case EVP_PKEY_EC:
		return "ECDSA";
	case EVP_PKEY_ED25519:
		return "Ed25519";
	case EVP_PKEY_ED448:
		return "Ed448";
	case EVP_PKEY_DSA:
		return "DSA";
	}
	return OBJ_nid2sn(nid);
}

/* How the server signed the handshake and its ephemeral key. */
static void
tls_handshake_keys(SSL *ssl, struct tls_info *info)
{
	EVP_PKEY *tmp = NULL;
	int type = NID_undef, md = NID_undef;

	if (SSL_get_peer_signature_type_nid(ssl, &type) && type != NID_undef) {
		const char *tn = tls_pkey_sig_name(type);

		if (SSL_get_peer_signature_nid(ssl, &md) && md != NID_undef &&
		    type != EVP_PKEY_ED25519 && type != EVP_PKEY_ED448)
			snprintf(info->peer_sig, sizeof(info->peer_sig),
			    "%s+%s", tn ? tn : "?", OBJ_nid2sn(md));
		else
			snprintf(info->peer_sig, sizeof(info->peer_sig), "%s",
			    tn ? tn : "?");
	}
	if (SSL_get_peer_tmp_key(ssl, &tmp) && tmp != NULL) {
		char gname[40] = "";
		size_t glen = 0;

		switch (EVP_PKEY_get_base_id(tmp)) {
		case EVP_PKEY_X25519:
			snprintf(info->temp_key, sizeof(info->temp_key),
			    "X25519");
			break;
		case EVP_PKEY_X448:
			snprintf(info->temp_key, sizeof(info->temp_key),
			    "X448");
			break;
		case EVP_PKEY_EC:
			if (!EVP_PKEY_get_group_name(tmp, gname, sizeof(gname),
			    &glen))
				gname[0] = '\0';
			snprintf(info->temp_key, sizeof(info->temp_key),
			    "ECDH %s", gname);
			break;
		case EVP_PKEY_DH:
			snprintf(info->temp_key, sizeof(info->temp_key), "DH");
			break;
		default:
			snprintf(info->temp_key, sizeof(info->temp_key), "%s",
			    OBJ_nid2sn(EVP_PKEY_get_base_id(tmp)));
			break;
		}
		info->temp_key_bits = EVP_PKEY_get_bits(tmp);
		EVP_PKEY_free(tmp);
	}
	ERR_clear_error();
}

static enum tls_verify_kind
tls_verify_kind_of(long code, size_t chain_len)
{
	if (code == X509_V_OK)
		return TLS_VERIFY_OK;
	if (chain_len == 0)
		return TLS_VERIFY_NO_CERTIFICATE;
	switch (code) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return TLS_VERIFY_EXPIRED;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return TLS_VERIFY_NOT_YET_VALID;
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		return TLS_VERIFY_NAME_MISMATCH;
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		return TLS_VERIFY_SELF_SIGNED;
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		return TLS_VERIFY_UNTRUSTED_ROOT;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		return TLS_VERIFY_UNKNOWN_ISSUER;
	case X509_V_ERR_EE_KEY_TOO_SMALL:
	case X509_V_ERR_CA_KEY_TOO_SMALL:
	case X509_V_ERR_CA_MD_TOO_WEAK:
		return TLS_VERIFY_WEAK;
	case X509_V_ERR_CERT_REVOKED:
		return TLS_VERIFY_REVOKED;
	}
	return TLS_VERIFY_OTHER;
}

const char *
tls_verify_kind_name(enum tls_verify_kind k)
{
	static const char *const names[] = { "ok", "expired",
		"not-yet-valid", "name-mismatch", "self-signed",
		"untrusted-root", "unknown-issuer", "weak", "revoked",
		"no-certificate", "other" };

	if ((size_t)k >= sizeof(names) / sizeof(names[0]))
		return "other";
	return names[k];
}

void
tls_client_info(struct tls_client *t, struct tls_info *info)
{
	const SSL_CIPHER *c;
	STACK_OF(X509) *chain;
	int group, i;

	memset(info, 0, sizeof(*info));
	snprintf(info->version, sizeof(info->version), "%s",
	    SSL_get_version(t->ssl));
	if ((c = SSL_get_current_cipher(t->ssl)) != NULL) {
		snprintf(info->cipher, sizeof(info->cipher), "%s",
		    SSL_CIPHER_get_name(c));
		info->cipher_bits = SSL_CIPHER_get_bits(c, NULL);
	}
	group = SSL_get_negotiated_group(t->ssl);
	if (group > 0) {
		const char *g = SSL_group_to_name(t->ssl, group);

		snprintf(info->group, sizeof(info->group), "%s", g ? g : "");
	}
	info->session_reused = SSL_session_reused(t->ssl);
	snprintf(info->server_name, sizeof(info->server_name), "%s",
	    t->server_name);
	chain = SSL_get_peer_cert_chain(t->ssl);
	for (i = 0; chain && i < sk_X509_num(chain) && i < TLS_CHAIN_MAX; i++)
		tls_cert_fill(sk_X509_value(chain, i), &info->chain[i]);
	info->chain_len = (size_t)i;
	info->intermediates_sent = info->chain_len > 1;
	info->not_yet_valid = info->chain_len > 0 &&
	    info->chain[0].not_before_t > time(NULL);
	tls_handshake_keys(t->ssl, info);
	if (info->chain_len > 0 && t->server_name[0] != '\0') {
		X509 *leaf = SSL_get0_peer_certificate(t->ssl);

		info->name_checked = 1;
		if (leaf != NULL)
			info->name_matches = is_ip_literal(t->server_name) ?
			    X509_check_ip_asc(leaf, t->server_name, 0) == 1 :
			    X509_check_host(leaf, t->server_name, 0,
			    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1;
		ERR_clear_error();
	}
	info->verify_code = t->first_verify_error;
	info->fail_depth = -1;
	if (info->verify_code == X509_V_OK)
		info->verify_code = SSL_get_verify_result(t->ssl);
	else if (t->fail_cert != NULL) {
		info->fail_depth = t->fail_depth;
		tls_cert_fill(t->fail_cert, &info->fail_cert);
	}
	if (info->chain_len == 0 && info->verify_code == X509_V_OK)
		info->verify_code = X509_V_ERR_UNSPECIFIED;
	info->verified = info->verify_code == X509_V_OK;
	info->verify_kind = tls_verify_kind_of(info->verify_code,
	    info->chain_len);
	tls_verify_explain(info->verify_code, info, info->verify_error,
	    sizeof(info->verify_error));
}

/* "a, b and c" from the SAN list (prefixes dropped), else the subject. */
static void
tls_cert_names(const struct tls_cert_info *ci, char *out, size_t outsz)
{
	const char *p = ci->san;
	size_t used = 0, n = 0, total = 0;

	out[0] = '\0';
	if (p[0] == '\0') {
		snprintf(out, outsz, "only %s (no subjectAltName)",
		    ci->subject);
		return;
	}
	for (const char *q = p; *q; q++)
		if (*q == ',')
			total++;
	total++;
	while (*p) {
		size_t len = strcspn(p, ",");
		const char *colon = memchr(p, ':', len);
		const char *name = colon ? colon + 1 : p;
		size_t nlen = len - (size_t)(name - p);
		int w;

		n++;
		w = snprintf(out + used, outsz - used, "%s%.*s",
		    n == 1 ? "" : n == total ? " and " : ", ", (int)nlen, name);
		if (w < 0 || (size_t)w >= outsz - used)
			break;
		used += (size_t)w;
		p += len;
		p += strspn(p, ", ");
	}
}

/* "the certificate (CN = x)", "the intermediate CN = y", "the root CN
 * = z": which certificate of the chain a failure is about. */
static void
tls_cert_role(const struct tls_info *info, const struct tls_cert_info *c,
    int depth, char *out, size_t outsz)
{
	if (depth <= 0)
		snprintf(out, outsz, "the certificate (%s)", c->subject);
	else if (c->self_issued)
		snprintf(out, outsz, "the root %s", c->subject);
	else
		snprintf(out, outsz, "the intermediate %s%s", c->subject,
		    (size_t)depth < info->chain_len ? "" :
		    " (from the local trust store)");
}

void
tls_verify_explain(long code, const struct tls_info *info, char *out,
    size_t outsz)
{
	const struct tls_cert_info *leaf = info->chain_len ? &info->chain[0] :
	    NULL;
	const struct tls_cert_info *last = info->chain_len ?
	    &info->chain[info->chain_len - 1] : NULL;
	/* The certificate the failure is about; the leaf when unknown. */
	const struct tls_cert_info *fc = info->fail_depth >= 0 &&
	    info->fail_cert.subject[0] != '\0' ? &info->fail_cert : leaf;
	int depth = fc == leaf ? 0 : info->fail_depth;
	char who[400];

	out[0] = '\0';
	if (code == X509_V_OK)
		return;
	if (leaf == NULL) {
		snprintf(out, outsz, "the server sent no certificate");
		return;
	}
	tls_cert_role(info, fc, depth, who, sizeof(who));
	switch (code) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		if (depth == 0)
			snprintf(out, outsz, "the certificate expired on %s "
			    "(subject %s)", fc->not_after, fc->subject);
		else
			snprintf(out, outsz, "%s expired on %s (the leaf %s "
			    "itself is valid until %s)", who, fc->not_after,
			    leaf->subject, leaf->not_after);
		break;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		snprintf(out, outsz, "%s is not yet valid: it starts on %s "
		    "(check the server's clock and the certificate's dates)",
		    depth == 0 ? "the certificate" : who, fc->not_before);
		break;
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH: {
		char names[700];

		tls_cert_names(leaf, names, sizeof(names));
		snprintf(out, outsz, "the certificate names %s; you connected "
		    "to %s", names, info->server_name);
		break;
	}
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		snprintf(out, outsz, "the certificate is self-signed (%s) and "
		    "not trusted; give it with --cafile if that is intended",
		    leaf->subject);
		break;
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		snprintf(out, outsz, "the chain ends in a CA that is not "
		    "trusted (%s); give its certificate with --cafile",
		    depth > 0 ? fc->subject : last->subject);
		break;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		/* Word it by the certificate whose issuer is missing. */
		if (info->chain_len == 1)
			snprintf(out, outsz, "the issuer (%s) is unknown: the "
			    "server sent no intermediate certificate, or the "
			    "CA is not trusted (give it with --cafile)",
			    leaf->issuer);
		else if (depth == 0)
			snprintf(out, outsz, "the leaf's issuer (%s) is "
			    "unknown: the %zu other certificate%s the server "
			    "sent do%s not include it (a wrong or outdated "
			    "intermediate), and it is not trusted here",
			    leaf->issuer, info->chain_len - 1,
			    info->chain_len == 2 ? "" : "s",
			    info->chain_len == 2 ? "es" : "");
		else
			snprintf(out, outsz, "the issuer (%s) of %s is not "
			    "trusted; give that CA certificate with --cafile",
			    fc->issuer, who);
		break;
	case X509_V_ERR_EE_KEY_TOO_SMALL:
	case X509_V_ERR_CA_KEY_TOO_SMALL:
		snprintf(out, outsz, "the key of %s is too small (%s %d bits)",
		    who, fc->key_type, fc->key_bits);
		break;
	case X509_V_ERR_CA_MD_TOO_WEAK:
		snprintf(out, outsz, "%s is signed with a weak algorithm (%s)",
		    who, fc->sig_alg);
		break;
	case X509_V_ERR_CERT_REVOKED:
		snprintf(out, outsz, "%s has been revoked", who);
		break;
	default:
		snprintf(out, outsz, "certificate verification failed for "
		    "%s: %s", who, X509_verify_cert_error_string(code));
		break;
	}
}

int
tls_plaintext_answer(const char *msg, char *out, size_t outsz)
{
	const char *p = strstr(msg, TLS_PLAINTEXT_PREFIX);
	size_t n;

	if (outsz == 0)
		return 0;
	out[0] = '\0';
	if (p == NULL)
		return 0;
	p += strlen(TLS_PLAINTEXT_PREFIX);
	n = strcspn(p, "\"");
	snprintf(out, outsz, "%.*s", (int)n, p);
	return 1;
}
