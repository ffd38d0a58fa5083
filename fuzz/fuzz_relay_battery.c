/*
 * fuzz_relay_battery.c - libFuzzer target for check/relay_battery's
 * helpers that see server-controlled or user-controlled text: the
 * default domain from the server's EHLO name, the address of a
 * "host:port" string, address/CIDR matching and IP literals; the
 * battery formed from fuzzed names; and check/relay_judge's reading of
 * a server reply (refusal or deferral, greylisting).
 *
 * Input: up to four lines: a pattern, an address, a host name, a
 * host:port.  Every result must stay within its buffer and keep its
 * promises: a default domain is a valid domain and a suffix of the
 * name, with a dot and a letter in its last label; an address always
 * matches itself; the battery's addresses are NUL-terminated within
 * RELAY_ADDR_MAX; a reply is a refusal only as a 4xx/5xx, never as a
 * 421 or a greylisting, always as a 5xx.
 */
#include "check/relay_battery.h"
#include "check/relay_judge.h"

#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The i-th line of data as a string (NULs end it early). */
static void
line(const uint8_t *data, size_t size, int i, char *out, size_t outsz)
{
	size_t start = 0, end, n;

	while (i-- > 0) {
		while (start < size && data[start] != '\n')
			start++;
		if (start < size)
			start++;
	}
	for (end = start; end < size && data[end] != '\n'; end++)
		;
	n = end - start < outsz - 1 ? end - start : outsz - 1;
	memcpy(out, data + start, n);
	out[n] = '\0';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char pat[128], addr[128], name[300], hp[128], out[300], lit[80];
	struct relay_battery_params p;
	struct relay_attempt att[64];
	struct mv_error err;
	size_t n, i, nlen, olen;
	int m;

	line(data, size, 0, pat, sizeof(pat));
	line(data, size, 1, addr, sizeof(addr));
	line(data, size, 2, name, sizeof(name));
	line(data, size, 3, hp, sizeof(hp));
	m = relay_addr_match(pat, addr);
	if (m < -1 || m > 1)
		abort();
	if (relay_ip_literal(addr, lit, sizeof(lit)) == 0) {
		if (relay_addr_match(addr, addr) != 1)
			abort();
		if (lit[0] != '[' || lit[strlen(lit) - 1] != ']')
			abort();
	}
	if (relay_default_domain(name, out, sizeof(out)) == 0) {
		if (!relay_domain_valid(out))
			abort();
		nlen = strlen(name);
		if (nlen && name[nlen - 1] == '.')
			nlen--;
		olen = strlen(out);
		if (olen > nlen || memcmp(name + nlen - olen, out, olen) != 0)
			abort();
		if (strchr(out, '.') == NULL || strpbrk(strrchr(out, '.'),
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") ==
		    NULL)
			abort();
	}
	{
		/* The reply: code from the first bytes, enhanced code and
		 * text from the lines. */
		struct relay_reply rp;
		int refuses, grey;

		memset(&rp, 0, sizeof(rp));
		rp.code = size >= 2 ? 400 + (data[0] % 2) * 100 + data[1] % 60 :
		    0;
		snprintf(rp.enh, sizeof(rp.enh), "%s", addr);
		snprintf(rp.text, sizeof(rp.text), "%s", name);
		refuses = relay_reply_refuses(&rp);
		grey = relay_reply_greylisted(&rp);
		if (refuses < 0 || refuses > 1 || grey < 0 || grey > 1)
			abort();
		if ((rp.code / 100 == 5) != (refuses && rp.code >= 500))
			abort();
		if (refuses && (rp.code == 421 || grey))
			abort();
	}
	if (relay_addr_strip_port(hp, out, sizeof(out)) == 0 &&
	    strlen(out) >= strlen(hp))
		abort();
	memset(&p, 0, sizeof(p));
	p.local_domain = name;
	p.foreign_user = pat;
	p.foreign_domain = addr;
	p.sender_user = hp;
	p.ip_literal = lit;
	p.local_rcpt = name;
	p.local_sender = hp;
	p.auth_address = addr;
	p.other_sender = pat;
	if (relay_battery_build(&p, 0xfu, att, 64, &n, &err) == -1)
		abort();
	for (i = 0; i < n; i++)
		if (memchr(att[i].mail_from, '\0', RELAY_ADDR_MAX) == NULL ||
		    memchr(att[i].rcpt, '\0', RELAY_ADDR_MAX) == NULL)
			abort();
	return 0;
}
