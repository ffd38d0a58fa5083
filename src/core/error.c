/*
 * error.c - structured errors (see error.h).
 */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>

int
mv_error_vset(struct mv_error *err, enum mv_errcat cat, const char *fmt,
    va_list ap)
{
	if (err == NULL)
		return -1;
	err->cat = cat;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return -1;
}

int
mv_error_set(struct mv_error *err, enum mv_errcat cat, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mv_error_vset(err, cat, fmt, ap);
	va_end(ap);
	return -1;
}

void
mv_error_clear(struct mv_error *err)
{
	if (err == NULL)
		return;
	err->cat = MV_ERR_NONE;
	err->msg[0] = '\0';
}

const char *
mv_errcat_name(enum mv_errcat cat)
{
	switch (cat) {
	case MV_ERR_NONE:
		return "none";
	case MV_ERR_INTERNAL:
		return "internal";
	case MV_ERR_USAGE:
		return "usage";
	case MV_ERR_DNS:
		return "dns";
	case MV_ERR_CONNECT:
		return "connect";
	case MV_ERR_TIMEOUT:
		return "timeout";
	case MV_ERR_TLS:
		return "tls";
	case MV_ERR_PROTOCOL:
		return "protocol";
	case MV_ERR_LACKS_FEATURE:
		return "server-lacks-feature";
	case MV_ERR_REJECTED:
		return "rejected";
	case MV_ERR_CLOSED:
		return "closed";
	}
	return "internal";
}
