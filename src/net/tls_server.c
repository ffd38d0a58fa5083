/*
 * tls_server.c - TLS server sessions over memory BIOs (see
 * tls_server.h).  No client certificates are asked for.
 */
#include "net/tls_server.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>

struct tls_server_ctx {
	SSL_CTX *ctx;
};

struct tls_server {
	SSL *ssl;
	BIO *rbio;  /* ciphertext in, owned by ssl */
	BIO *wbio;  /* ciphertext out, owned by ssl */
	int done;
};

static int
ssl_error(struct mv_error *err, enum mv_errcat cat, const char *what)
{
	char reason[256];
	unsigned long e = ERR_get_error();

	if (e != 0)
		ERR_error_string_n(e, reason, sizeof(reason));
	else
		snprintf(reason, sizeof(reason), "no further detail");
	ERR_clear_error();
	return mv_error_set(err, cat, "%s: %s", what, reason);
}

struct tls_server_ctx *
tls_server_ctx_new(const char *cert_file, const char *key_file,
    struct mv_error *err)
{
	struct tls_server_ctx *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	c->ctx = SSL_CTX_new(TLS_server_method());
	if (c->ctx == NULL) {
		ssl_error(err, MV_ERR_INTERNAL, "SSL_CTX_new");
		goto fail;
	}
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(c->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (SSL_CTX_use_certificate_chain_file(c->ctx, cert_file) != 1) {
		ssl_error(err, MV_ERR_USAGE, cert_file);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(c->ctx, key_file,
	    SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(c->ctx) != 1) {
		ssl_error(err, MV_ERR_USAGE, key_file);
		goto fail;
	}
	return c;
fail:
	tls_server_ctx_free(c);
	return NULL;
}

void
tls_server_ctx_free(struct tls_server_ctx *c)
{
	if (c == NULL)
		return;
	SSL_CTX_free(c->ctx);
	free(c);
}

struct tls_server *
tls_server_new(struct tls_server_ctx *ctx, struct mv_error *err)
{
	struct tls_server *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	t->ssl = SSL_new(ctx->ctx);
	t->rbio = BIO_new(BIO_s_mem());
	t->wbio = BIO_new(BIO_s_mem());
	if (t->ssl == NULL || t->rbio == NULL || t->wbio == NULL) {
		BIO_free(t->rbio);
		BIO_free(t->wbio);
		SSL_free(t->ssl);
		free(t);
		mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	SSL_set_bio(t->ssl, t->rbio, t->wbio);
	SSL_set_accept_state(t->ssl);
	return t;
}

void
tls_server_free(struct tls_server *t)
{
	if (t == NULL)
		return;
	SSL_free(t->ssl);
	free(t);
}

int
tls_server_feed(struct tls_server *t, const void *p, size_t n,
    struct mv_error *err)
{
	if (n > 0 && BIO_write(t->rbio, p, (int)n) != (int)n)
		return mv_error_set(err, MV_ERR_INTERNAL, "out of memory");
	return 0;
}

ssize_t
tls_server_read(struct tls_server *t, void *out, size_t max,
    struct mv_error *err)
{
	int r, e;

	if (!t->done) {
		r = SSL_do_handshake(t->ssl);
		if (r != 1) {
			e = SSL_get_error(t->ssl, r);
			if (e == SSL_ERROR_WANT_READ ||
			    e == SSL_ERROR_WANT_WRITE)
				return 0;
			return ssl_error(err, MV_ERR_TLS, "TLS handshake");
		}
		t->done = 1;
	}
	if (max > 0x40000000)
		max = 0x40000000;
	r = SSL_read(t->ssl, out, (int)max);
	if (r > 0)
		return r;
	e = SSL_get_error(t->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return 0;
	if (e == SSL_ERROR_ZERO_RETURN)
		return mv_error_set(err, MV_ERR_CLOSED, "TLS close_notify");
	return ssl_error(err, MV_ERR_TLS, "TLS read");
}

int
tls_server_write(struct tls_server *t, const void *p, size_t n,
    struct mv_error *err)
{
	const char *s = p;
	int r;

	while (n > 0) {
		r = SSL_write(t->ssl, s, n > 0x40000000 ? 0x40000000 : (int)n);
		if (r <= 0)
			return ssl_error(err, MV_ERR_TLS, "TLS write");
		s += r;
		n -= (size_t)r;
	}
	return 0;
}

int
tls_server_drain(struct tls_server *t, struct buf *out)
{
	char *p;
	long n;

	n = BIO_get_mem_data(t->wbio, &p);
	if (n <= 0)
		return 0;
	if (buf_append(out, p, (size_t)n) == -1)
		return -1;
	(void)BIO_reset(t->wbio);
	return 0;
}

int
tls_server_handshake_done(const struct tls_server *t)
{
	return t->done;
}

const char *
tls_server_version(const struct tls_server *t)
{
	return t->done ? SSL_get_version(t->ssl) : "";
}
