/*
 * fuzz_tls_injection.c - libFuzzer target for the STARTTLS injection
 * verdict (check/tls_dialog.c: tls_dialog_injection_answered).
 *
 * Byte 0 picks the protocol, the rest is what a server sent after the
 * handshake.  The verdict must be 0 or 1, the evidence always a string
 * within its buffer, empty exactly when the verdict is 0 (POP3 keeps
 * the first line while it waits for a second, then clears it),
 * printable, and (control bytes aside, shown as '?') a line of the
 * input when it is 1.
 */
#include "check/tls_dialog.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* memmem() is a GNU extension. */
static int
contains(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; i + n <= len; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum tls_dialog_proto proto;
	char ev[32];
	const char *post;
	size_t len, i;
	int r;

	if (size < 1)
		return 0;
	proto = (enum tls_dialog_proto)(data[0] % 5);
	post = (const char *)data + 1;
	len = size - 1;
	memset(ev, 'x', sizeof(ev));
	r = tls_dialog_injection_answered(proto, post, len, ev, sizeof(ev));
	if (r != 0 && r != 1)
		abort();
	if (memchr(ev, '\0', sizeof(ev)) == NULL)
		abort();
	if ((r == 0) != (ev[0] == '\0'))
		abort();
	for (i = 0; ev[i] != '\0'; i++)
		if ((unsigned char)ev[i] < 0x20 || ev[i] == 0x7f)
			abort();
	if (r == 1 && strchr(ev, '?') == NULL && !contains(post, len, ev))
		abort();
	return 0;
}
