/*
 * fuzz_ports_identify.c - libFuzzer target for check/ports_identify.
 *
 * Input: byte 0 picks the reply kind and service for the boundary and
 * capability scanners, the rest is what a server sent.  Every function
 * runs on the whole input and on every prefix length the input's second
 * byte suggests; the promises of the header are checked: a final
 * greeting is always decided, a decided greeting names a service and
 * has a NUL-terminated detail of printable ASCII (greeting_complete only
 * for 3-digit greetings, LMTP only with lmtp_named), a strict prefix that
 * is already decided names the same service as the whole when the
 * whole was decided without being final.
 */
#include "check/ports_identify.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_detail(const struct ports_ident *id)
{
	size_t i, n = strnlen(id->detail, sizeof(id->detail));

	if (n == sizeof(id->detail))
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)id->detail[i] < 0x20 ||
		    (unsigned char)id->detail[i] >= 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum ports_service services[] = {
		PORTS_SVC_SMTP, PORTS_SVC_LMTP, PORTS_SVC_POP3, PORTS_SVC_IMAP,
		PORTS_SVC_SIEVE, PORTS_SVC_REDIS,
	};
	struct ports_ident whole, part;
	enum ports_reply_kind kind;
	const char *p;
	size_t n, cut;
	int r, dw;
	char line[64];

	if (size < 2)
		return 0;
	kind = (enum ports_reply_kind)(data[0] % 5);
	p = (const char *)data + 2;
	n = size - 2;
	if (n > PORTS_READ_MAX)
		n = PORTS_READ_MAX;

	if (ports_identify_greeting(p, n, 1, &whole) != 1)
		abort();
	check_detail(&whole);
	/* Completeness is only said of 3-digit greetings; LMTP only when
	 * the greeting named it. */
	if (whole.greeting_complete && !whole.smtp_family &&
	    whole.service != PORTS_SVC_FTP)
		abort();
	if ((whole.service == PORTS_SVC_LMTP) != (whole.lmtp_named != 0))
		abort();
	dw = ports_identify_greeting(p, n, 0, &whole);
	if (dw == 1)
		check_detail(&whole);
	cut = n ? data[1] % (n + 1) : 0;
	r = ports_identify_greeting(p, cut, 0, &part);
	if (r == 1) {
		check_detail(&part);
		/* Deciding early never contradicts the whole. */
		if (dw == 1 && cut < n && part.service != whole.service &&
		    part.service != PORTS_SVC_NONE)
			abort();
	}

	ports_identify_probe(p, n, &part);
	check_detail(&part);
	(void)ports_reply_complete(kind, "a", p, n);
	(void)ports_reply_complete(kind, NULL, p, cut);
	r = ports_smtp_code(p, n);
	if (r != -1 && (r < 0 || r > 999))
		abort();
	(void)ports_caps_starttls(services[data[0] % 6], p, n);
	ports_first_line(p, n, line, sizeof(line));
	if (strnlen(line, sizeof(line)) == sizeof(line))
		abort();
	return 0;
}
