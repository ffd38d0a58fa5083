/*
 * sasl.h - client side of SASL authentication (RFC 4422) for SMTP
 * AUTH (RFC 4954), later POP3 AUTH and IMAP AUTHENTICATE.  No I/O.
 *
 * Mechanisms come from GNU SASL (PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1,
 * SCRAM-SHA-256, ...): hand-written cryptographic mechanisms are a
 * source of bugs.  Everything crossing this interface is base64, as it
 * goes on the wire; the caller never needs to see the secret.
 */
#ifndef MAILVET_PROTO_SASL_H
#define MAILVET_PROTO_SASL_H

#include "core/buf.h"
#include "core/error.h"

struct sasl_client; /* opaque */

/* Which mechanism to use, by name ("PLAIN", "cram-md5"); NULL or
 * "auto" picks the strongest of advertised (space-separated list) that
 * this build supports, preferring SCRAM-SHA-256, SCRAM-SHA-1, CRAM-MD5,
 * PLAIN, LOGIN.  Writes the chosen upper-case name into out.  Returns
 * -1 with MV_ERR_LACKS_FEATURE when nothing fits, MV_ERR_USAGE for an
 * unknown name. */
int sasl_choose_mech(const char *wanted, const char *advertised, char *out,
    size_t outsz, struct mv_error *err);
/* Start a client exchange.  user/pass/authzid are borrowed for the
 * lifetime of the client; authzid may be NULL. */
struct sasl_client *sasl_client_new(const char *mech, const char *user,
    const char *pass, const char *authzid, struct mv_error *err);
void sasl_client_free(struct sasl_client *c);
/* True when the mechanism sends data first (an initial response, RFC
 * 4954 section 4), as PLAIN and the SCRAM family do. */
int sasl_client_first(const struct sasl_client *c);
/*
 * One step: challenge is the server's base64 text (NULL or "" for the
 * initial response).  The base64 answer is written into out (replacing
 * its contents; "" means an empty response, to be sent as "=" in an
 * initial response).  Returns 0 while more steps are expected, 1 when
 * the mechanism is complete on the client side, -1 on error (bad
 * base64 from the server is MV_ERR_PROTOCOL).
 */
int sasl_client_step(struct sasl_client *c, const char *challenge,
    struct buf *out, struct mv_error *err);

/* base64 helpers (RFC 4648, no line breaks), used by the SASL layer and
 * by `mailvet connect --auth-plain`.  decode returns -1 on bad input. */
int b64_encode(const void *in, size_t len, struct buf *out);
int b64_decode(const char *in, size_t len, struct buf *out);

#endif
