/*
 * fuzz_tls_caps.c - libFuzzer target for the capability parser of
 * `mailvet tls` (check/tls_caps.c).
 *
 * Byte 0 picks the protocol, the rest is the capability response.  The
 * input is copied into a buffer of exactly its size, so that reading
 * past its end is an ASan report.  Every field must stay a string
 * within its buffer, without a NUL inside; STARTTLS can only be offered
 * when the input contains "TLS" somewhere.
 */
#include "check/tls_caps.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
contains_ci(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; i + n <= len; i++)
		if (strncasecmp(hay + i, needle, n) == 0)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tls_caps out;
	char *copy;
	size_t len;

	if (size < 1)
		return 0;
	len = size - 1;
	if ((copy = malloc(len ? len : 1)) == NULL)
		return 0;
	memcpy(copy, data + 1, len);
	memset(&out, 'x', sizeof(out));
	tls_caps_parse((enum tls_dialog_proto)(data[0] % 5), copy, len, &out);
	if (memchr(out.caps, '\0', sizeof(out.caps)) == NULL ||
	    memchr(out.auth, '\0', sizeof(out.auth)) == NULL)
		abort();
	if (out.starttls_offered != 0 && out.starttls_offered != 1)
		abort();
	if (out.starttls_offered && !contains_ci(copy, len, "TLS"))
		abort();
	free(copy);
	return 0;
}
