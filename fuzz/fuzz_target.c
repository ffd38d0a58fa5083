/*
 * fuzz_target.c - libFuzzer target for net/target.
 *
 * Byte 0 picks the default scheme, the rest (up to a NUL) is the text.
 * A parsed target must be within its limits, and what target_format
 * prints must parse back to the very same target; a refusal must be a
 * usage error whose message is one printable line.
 */
#include "net/target.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_message(const struct mv_error *err)
{
	const char *s;

	if (err->cat != MV_ERR_USAGE || err->msg[0] == '\0')
		abort();
	for (s = err->msg; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum target_scheme dflt;
	struct target t, again;
	struct mv_error err;
	char out[TARGET_HOST_MAX + TARGET_PATH_MAX + 64];
	char *text;

	if (size < 1)
		return 0;
	dflt = (enum target_scheme)(data[0] % (TARGET_SCHEME_IMAPS + 1));
	if ((text = malloc(size)) == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (target_parse(text, dflt, &t, &err) == -1) {
		check_message(&err);
		free(text);
		return 0;
	}
	if (t.is_unix) {
		if (t.path[0] == '\0' || strlen(t.path) > TARGET_PATH_MAX ||
		    t.host[0] != '\0' || t.port != 0 || t.implicit_tls)
			abort();
	} else {
		if (t.host[0] == '\0' || strlen(t.host) > TARGET_HOST_MAX ||
		    t.port == 0 || t.path[0] != '\0')
			abort();
		/* Without a ':' in the text the port is the default. */
		if (strchr(text, ':') == NULL &&
		    t.port != target_default_port(t.scheme))
			abort();
	}
	target_format(&t, out, sizeof(out));
	if (target_parse(out, dflt, &again, &err) == -1)
		abort();
	if (memcmp(&t, &again, sizeof(t)) != 0)
		abort();
	free(text);
	return 0;
}
