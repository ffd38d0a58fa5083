/*
 * relay_battery.c - the open-relay battery table and address forming
 * (see relay_battery.h).  Every entry is documented, with the reason a
 * server might get it wrong, in docs/mailvet-relay.md; keep the two in
 * step.
 */
#include "check/relay_battery.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Our sender is a foreign address unless the attempt says otherwise:
 * an abuser's sender is not the server's. */
static const struct relay_attempt_def battery[] = {
	{ "local-rcpt", RELAY_KIND_CONTROL, "%s@%f", "%r",
	    "control: a foreign sender to the server's own recipient; mail "
	    "must be received" },
	{ "plain", RELAY_KIND_RELAY, "%s@%f", "%u@%f",
	    "foreign sender to a foreign recipient: the textbook open relay" },
	{ "null-sender", RELAY_KIND_RELAY, "", "%u@%f",
	    "the null sender (as bounces use) to a foreign recipient" },
	{ "local-sender", RELAY_KIND_RELAY, "%S", "%u@%f",
	    "a spoofed sender of the server's own domain to a foreign "
	    "recipient" },
	{ "local-sender-bare", RELAY_KIND_RELAY, "%P", "%u@%f",
	    "a local sender without domain to a foreign recipient" },
	{ "local-sender-upper", RELAY_KIND_RELAY, "%P@%L", "%u@%f",
	    "a spoofed local sender, domain in upper case" },
	{ "ip-sender", RELAY_KIND_RELAY, "%P@%i", "%u@%f",
	    "a sender at the server's own IP literal" },
	{ "percent", RELAY_KIND_RELAY, "%s@%f", "%u%%%f@%l",
	    "the % hack: user%foreign@local" },
	{ "percent-ip", RELAY_KIND_RELAY, "%s@%f", "%u%%%f@%i",
	    "the % hack at the server's IP literal" },
	{ "percent-bare", RELAY_KIND_RELAY, "%s@%f", "%u%%%f",
	    "the % hack without any @domain" },
	{ "percent-local-upper", RELAY_KIND_RELAY, "%s@%f", "%u%%%f@%L",
	    "the % hack, local domain in upper case" },
	{ "percent-local-dot", RELAY_KIND_RELAY, "%s@%f", "%u%%%f@%l.",
	    "the % hack, local domain with a trailing dot" },
	{ "bang", RELAY_KIND_RELAY, "%s@%f", "%f!%u@%l",
	    "UUCP bang path: foreign!user@local" },
	{ "bang-ip", RELAY_KIND_RELAY, "%s@%f", "%f!%u@%i",
	    "bang path at the server's IP literal" },
	{ "bang-bare", RELAY_KIND_RELAY, "%s@%f", "%f!%u",
	    "bang path without any @domain" },
	{ "quoted-at", RELAY_KIND_RELAY, "%s@%f", "\"%u@%f\"@%l",
	    "quoted local part containing @: \"user@foreign\"@local" },
	{ "quoted-at-ip", RELAY_KIND_RELAY, "%s@%f", "\"%u@%f\"@%i",
	    "quoted local part containing @, at the server's IP literal" },
	{ "quoted-bare", RELAY_KIND_RELAY, "%s@%f", "\"%u@%f\"",
	    "quoted \"user@foreign\" without any @domain" },
	{ "quoted-percent", RELAY_KIND_RELAY, "%s@%f", "\"%u%%%f\"@%l",
	    "quoted % hack: \"user%foreign\"@local" },
	{ "double-at", RELAY_KIND_RELAY, "%s@%f", "%u@%f@%l",
	    "two @ signs unquoted: user@foreign@local" },
	{ "source-route", RELAY_KIND_RELAY, "%s@%f", "@%l:%u@%f",
	    "source route through the server: @local:user@foreign" },
	{ "source-route-ip", RELAY_KIND_RELAY, "%s@%f", "@%i:%u@%f",
	    "source route through the server's IP literal" },
	{ "source-route-multi", RELAY_KIND_RELAY, "%s@%f", "@%l,@%i:%u@%f",
	    "source route with two hops: @local,@[ip]:user@foreign" },
	{ "foreign-upper", RELAY_KIND_RELAY, "%s@%f", "%U@%F",
	    "foreign recipient in upper case" },
	{ "foreign-dot", RELAY_KIND_RELAY, "%s@%f", "%u@%f.",
	    "foreign domain with a trailing dot" },
	{ "auth-own", RELAY_KIND_AUTH, "%a", "%u@%f",
	    "logged in, own address as sender, foreign recipient: relaying "
	    "expected" },
	{ "auth-other-local", RELAY_KIND_AUTH_SPOOF, "%o", "%u@%f",
	    "logged in, another local user's address as sender "
	    "(sender/login mismatch)" },
	{ "auth-foreign-sender", RELAY_KIND_AUTH_SPOOF, "%s@%f", "%u@%f",
	    "logged in, a foreign address as sender (sender/login "
	    "mismatch)" },
};

#define NBATTERY (sizeof(battery) / sizeof(battery[0]))

const struct relay_attempt_def *
relay_battery_table(size_t *n)
{
	*n = NBATTERY;
	return battery;
}

size_t
relay_battery_count(enum relay_kind kind)
{
	size_t i, n = 0;

	for (i = 0; i < NBATTERY; i++)
		if (battery[i].kind == kind)
			n++;
	return n;
}

/* Append s (upper-cased when upper) at out[*len]; -1 when full. */
static int
put(char *out, size_t outsz, size_t *len, const char *s, int upper)
{
	for (; *s; s++) {
		if (*len + 1 >= outsz)
			return -1;
		out[(*len)++] = upper ? (char)toupper((unsigned char)*s) : *s;
	}
	out[*len] = '\0';
	return 0;
}

static int
missing(char *why, size_t whysz, const char *what)
{
	snprintf(why, whysz, "needs %s", what);
	return -1;
}

int
relay_expand(const char *tmpl, const struct relay_battery_params *p,
    char *out, size_t outsz, char *why, size_t whysz)
{
	size_t len = 0;
	const char *v, *at;
	char lp[RELAY_ADDR_MAX];
	int upper;

	if (outsz == 0)
		return missing(why, whysz, "room for the address");
	out[0] = '\0';
	for (; *tmpl; tmpl++) {
		if (*tmpl != '%') {
			char c[2] = { *tmpl, '\0' };

			if (put(out, outsz, &len, c, 0) == -1)
				goto toolong;
			continue;
		}
		tmpl++;
		upper = 0;
		v = NULL;
		switch (*tmpl) {
		case 'U':
			upper = 1;
			/* FALLTHROUGH */
		case 'u':
			v = p->foreign_user;
			break;
		case 'F':
			upper = 1;
			/* FALLTHROUGH */
		case 'f':
			v = p->foreign_domain;
			break;
		case 'L':
			upper = 1;
			/* FALLTHROUGH */
		case 'l':
			v = p->local_domain;
			break;
		case 'i':
			if (p->ip_literal == NULL || p->ip_literal[0] == '\0')
				return missing(why, whysz, "the server's IP "
				    "address (not known for this target)");
			v = p->ip_literal;
			break;
		case 's':
			v = p->sender_user;
			break;
		case 'r':
			v = p->local_rcpt;
			break;
		case 'S':
			v = p->local_sender;
			break;
		case 'P':
			if (p->local_sender == NULL)
				break;
			at = strrchr(p->local_sender, '@');
			snprintf(lp, sizeof(lp), "%.*s", at ?
			    (int)(at - p->local_sender) :
			    (int)strlen(p->local_sender), p->local_sender);
			v = lp;
			break;
		case 'a':
			if (p->auth_address == NULL)
				return missing(why, whysz, "--auth-user");
			v = p->auth_address;
			break;
		case 'o':
			if (p->other_sender == NULL || !p->other_sender[0])
				return missing(why, whysz, "--other-sender");
			v = p->other_sender;
			break;
		case '%':
			v = "%";
			break;
		default:
			return missing(why, whysz, "a known template "
			    "placeholder");
		}
		if (v == NULL)
			return missing(why, whysz, "a value not given");
		if (put(out, outsz, &len, v, upper) == -1)
			goto toolong;
	}
	return 0;
toolong:
	snprintf(why, whysz, "the address would be longer than %zu bytes",
	    outsz - 1);
	return -1;
}

int
relay_battery_build(const struct relay_battery_params *p, unsigned kinds,
    struct relay_attempt *out, size_t max, size_t *n, struct mv_error *err)
{
	size_t i;
	struct relay_attempt *a;
	char why[128];

	*n = 0;
	if (p->local_domain == NULL || p->foreign_user == NULL ||
	    p->foreign_domain == NULL || p->sender_user == NULL ||
	    p->local_rcpt == NULL || p->local_sender == NULL)
		return mv_error_set(err, MV_ERR_USAGE, "the relay battery "
		    "needs the local and foreign domains, users and senders");
	for (i = 0; i < NBATTERY; i++) {
		if (!(kinds & (1u << battery[i].kind)))
			continue;
		if (*n == max)
			return mv_error_set(err, MV_ERR_INTERNAL, "more than "
			    "%zu relay attempts", max);
		a = &out[(*n)++];
		memset(a, 0, sizeof(*a));
		a->def = &battery[i];
		if (relay_expand(battery[i].mail_from, p, a->mail_from,
			sizeof(a->mail_from), why, sizeof(why)) == -1 ||
		    relay_expand(battery[i].rcpt, p, a->rcpt, sizeof(a->rcpt),
			why, sizeof(why)) == -1) {
			a->skip = 1;
			snprintf(a->skip_why, sizeof(a->skip_why), "%s", why);
			a->mail_from[0] = a->rcpt[0] = '\0';
		}
	}
	return 0;
}

int
relay_ip_literal(const char *addr, char *out, size_t outsz)
{
	unsigned char bin[16];
	int n;

	if (inet_pton(AF_INET, addr, bin) == 1)
		n = snprintf(out, outsz, "[%s]", addr);
	else if (inet_pton(AF_INET6, addr, bin) == 1)
		n = snprintf(out, outsz, "[IPv6:%s]", addr);
	else
		return -1;
	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

int
relay_addr_strip_port(const char *hostport, char *out, size_t outsz)
{
	const char *end;
	size_t len;

	if (hostport[0] == '[') {
		end = strchr(hostport, ']');
		if (end == NULL || end[1] != ':')
			return -1;
		hostport++;
	} else {
		end = strrchr(hostport, ':');
		if (end == NULL)
			return -1;
	}
	len = (size_t)(end - hostport);
	if (len == 0 || len >= outsz)
		return -1;
	memcpy(out, hostport, len);
	out[len] = '\0';
	return 0;
}

/* Parse addr into 16 bytes (IPv4 as v4-mapped) and its family. */
static int
parse_ip(const char *s, unsigned char out[16], int *v4)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0xff, 0xff };

	if (inet_pton(AF_INET, s, out + 12) == 1) {
		memcpy(out, mapped, sizeof(mapped));
		*v4 = 1;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		*v4 = 0;
		return 0;
	}
	return -1;
}

int
relay_addr_match(const char *pattern, const char *addr)
{
	unsigned char pa[16], aa[16];
	char net[64];
	const char *slash = strchr(pattern, '/');
	unsigned long bits;
	int pv4, av4;
	unsigned i;
	char *end;

	if (slash == NULL) {
		if (parse_ip(pattern, pa, &pv4) == -1)
			return -1;
		bits = pv4 ? 32 : 128;
	} else {
		if ((size_t)(slash - pattern) >= sizeof(net) ||
		    !isdigit((unsigned char)slash[1]))
			return -1;
		memcpy(net, pattern, (size_t)(slash - pattern));
		net[slash - pattern] = '\0';
		if (parse_ip(net, pa, &pv4) == -1)
			return -1;
		bits = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || bits > (pv4 ? 32u : 128u))
			return -1;
	}
	if (parse_ip(addr, aa, &av4) == -1 || av4 != pv4)
		return 0;
	if (pv4)
		bits += 96;
	for (i = 0; i < 128 && i < bits; i++) {
		unsigned char m = (unsigned char)(0x80u >> (i % 8));

		if ((pa[i / 8] & m) != (aa[i / 8] & m))
			return 0;
	}
	return 1;
}

int
relay_domain_valid(const char *s)
{
	size_t label = 0, n = 0;
	const char *p;

	if (s == NULL || *s == '\0' || *s == '.' || strlen(s) > 253)
		return 0;
	for (p = s; *p; p++, n++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return 0;
		if (label == 0 && *p == '-')
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0;
}

int
relay_local_part_valid(const char *s)
{
	const char *p;

	if (s == NULL || *s == '\0' || *s == '.' || strlen(s) > 64)
		return 0;
	for (p = s; *p; p++) {
		if (isalnum((unsigned char)*p))
			continue;
		if (strchr(".-_+=#$&'*/?^`{|}~", *p) == NULL)
			return 0;
		if (*p == '.' && (p[1] == '.' || p[1] == '\0'))
			return 0;
	}
	return 1;
}

int
relay_default_domain(const char *name, char *out, size_t outsz)
{
	char tmp[256];
	size_t len, dots = 0, i;
	const char *dot;

	if (name == NULL)
		return -1;
	len = strlen(name);
	if (len && name[len - 1] == '.')
		len--;
	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, name, len);
	tmp[len] = '\0';
	if (!relay_domain_valid(tmp))
		return -1;
	for (i = 0; i < len; i++)
		if (tmp[i] == '.')
			dots++;
	/* A mail domain has a dot and a top-level label with a letter:
	 * not "localhost", not a greeting's "ESMTP", not "127.0.0.1". */
	dot = strrchr(tmp, '.');
	if (dot == NULL || strpbrk(dot + 1, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == NULL)
		return -1;
	dot = strchr(tmp, '.');
	if (dots >= 2 && dot)
		return snprintf(out, outsz, "%s", dot + 1) >= (int)outsz ?
		    -1 : 0;
	return snprintf(out, outsz, "%s", tmp) >= (int)outsz ? -1 : 0;
}
