/*
 * ports_scan.h - the `mailvet ports` sweep: connect to many TCP ports
 * of one address concurrently on one libuv loop (bounded concurrency,
 * a connect timeout per port), and name what answers: from its greeting
 * (then EHLO/LHLO, CAPA or CAPABILITY to learn whether STARTTLS is
 * offered), from an implicit TLS handshake and the greeting inside it,
 * or from the answer to "PING" and to "HEAD / HTTP/1.0" when the port
 * stays silent.  Identification itself is ports_identify.c (pure).
 *
 * The engine prints nothing and reads no options: params in, the
 * entries of a struct ports_report out.  Errors: -1 with struct
 * mv_error only when the sweep cannot start (the host does not
 * resolve, no loop); per-port failures are states of the entries.
 */
#ifndef MAILVET_CHECK_PORTS_SCAN_H
#define MAILVET_CHECK_PORTS_SCAN_H

#include "core/error.h"
#include "report/ports_report.h"

#include <stdint.h>

struct ports_scan_params {
	const char *host;             /* borrowed: name or address literal */
	int family;                   /* AF_UNSPEC, AF_INET, AF_INET6 */
	const char *source;           /* local address, or NULL */
	const uint16_t *ports;        /* borrowed, nports entries */
	size_t nports;                /* <= PORTS_MAX */
	unsigned concurrency;         /* connections at once; 0 = 32 */
	uint64_t connect_timeout_ms;  /* per port; 0 = 3 s */
	uint64_t read_timeout_ms;     /* each wait for bytes; 0 = 2 s */
	uint64_t tls_timeout_ms;      /* the TLS probe handshake; 0 = 3 s */
	const char *helo_name;        /* for EHLO/LHLO; borrowed */
	const char *cafile;           /* to tell whether certificates
				       * verify (reported, never fatal) */
	const char *capath;           /* the same, a hashed directory */
	const char *server_name;      /* name to verify; NULL: host */
};

/* Sweep every port into r->v[i] (r from ports_report_new(nports)).
 * Fills r->address, the counters and total_us. */
int ports_scan_run(const struct ports_scan_params *p, struct ports_report *r,
    struct mv_error *err);

#endif
