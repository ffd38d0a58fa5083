/*
 * tls_report.c - names of the `mailvet tls` result values, shared by
 * the renderers and the judgement (see tls_report.h).
 */
#include "report/tls_report.h"

const char *
tls_ver_name(enum tls_ver v)
{
	static const char *const names[] = { "TLSv1.0", "TLSv1.1", "TLSv1.2",
		"TLSv1.3" };

	return (size_t)v < TLS_VER_COUNT ? names[v] : "?";
}

const char *
tls_inject_name(enum tls_inject i)
{
	switch (i) {
	case TLS_INJECT_UNTESTED:
		return "untested";
	case TLS_INJECT_SAFE:
		return "safe";
	case TLS_INJECT_VULNERABLE:
		return "vulnerable";
	case TLS_INJECT_PLAINTEXT:
		return "answered-in-plaintext";
	case TLS_INJECT_ERROR:
		return "error";
	}
	return "error";
}
