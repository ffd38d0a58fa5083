/*
 * fuzz_tls_ports.c - libFuzzer target for the --ports list of
 * `mailvet tls --all-ports` (check/tls_allports.c).
 *
 * The input (up to a NUL) is the list.  Accepted: between 1 and 8
 * listeners, each with a port 1..65535 and the host given.  Refused: a
 * usage error whose message is one printable line.
 */
#include "check/tls_probe.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tls_probe_params p;
	struct probe_net base;
	struct mv_error err;
	char spec[512];
	size_t i, n = size < sizeof(spec) - 1 ? size : sizeof(spec) - 1;

	memcpy(spec, data, n);
	spec[n] = '\0';
	memset(&base, 0, sizeof(base));
	memset(&err, 0, sizeof(err));
	if (tls_allports_targets(&p, &base, "mail.example.org", spec,
	    &err) == 0) {
		if (p.ntargets < 1 || p.ntargets > 8)
			abort();
		for (i = 0; i < p.ntargets; i++)
			if (p.targets[i].net.target.port == 0 ||
			    strcmp(p.targets[i].net.target.host,
			    "mail.example.org") != 0)
				abort();
		return 0;
	}
	if (err.cat != MV_ERR_USAGE || err.msg[0] == '\0')
		abort();
	for (i = 0; err.msg[i]; i++)
		if ((unsigned char)err.msg[i] < 0x20 ||
		    (unsigned char)err.msg[i] >= 0x7f)
			abort();
	return 0;
}
