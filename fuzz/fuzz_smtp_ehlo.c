/*
 * fuzz_smtp_ehlo.c - libFuzzer target for proto/smtp_ehlo.
 *
 * The input is taken two ways: through the real reply parser (as the
 * engine does), and as lines of a hand-built 250 reply so that any text
 * at all reaches the capability parser.  Afterwards every list must be
 * within its size, hold only printable ASCII, and agree with the bits.
 */
#include "proto/smtp_ehlo.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define KNOWN_CAPS (2u * SMTP_CAP_XFORWARD - 1)
#define KNOWN_AUTH (2u * SMTP_AUTH_OTHER - 1)

static struct smtp_reply reply;

static void
check_list(const char *list, size_t max)
{
	size_t i, n = strlen(list);

	if (n > max)
		abort();
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)list[i];

		if (c < 0x20 || c >= 0x7f)
			abort();
		/* Single spaces between words, none at either end. */
		if (c == ' ' && (i == 0 || i + 1 == n || list[i + 1] == ' '))
			abort();
	}
}

static void
check_caps(const struct smtp_caps *c)
{
	const char *w;
	size_t n;
	char name[SMTP_EHLO_AUTH_MAX + 1];

	if (strlen(c->domain) > SMTP_EHLO_DOMAIN_MAX)
		abort();
	for (w = c->domain; *w != '\0'; w++)
		if ((unsigned char)*w <= 0x20 || (unsigned char)*w >= 0x7f)
			abort();
	check_list(c->auth_list, SMTP_EHLO_AUTH_MAX);
	check_list(c->unknown, SMTP_EHLO_UNKNOWN_MAX);
	if ((c->caps & ~KNOWN_CAPS) != 0 || (c->auth & ~KNOWN_AUTH) != 0)
		abort();
	if (c->auth != 0 && !(c->caps & SMTP_CAP_AUTH))
		abort();
	if (c->size_max != 0 && !(c->caps & SMTP_CAP_SIZE))
		abort();
	/* Every listed mechanism has its bit (or OTHER) set. */
	for (w = c->auth_list; *w != '\0'; w += n + (w[n] == ' ')) {
		unsigned bit;

		n = strcspn(w, " ");
		memcpy(name, w, n);
		name[n] = '\0';
		bit = smtp_auth_mech_from_name(name);
		if (!(c->auth & (bit ? bit : SMTP_AUTH_OTHER)))
			abort();
		if (bit && smtp_auth_mech_from_name(
			       smtp_auth_mech_name(bit)) != bit)
			abort();
	}
	if (smtp_cap_name(c->caps) == NULL || smtp_auth_mech_name(c->auth) ==
	    NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_reply_parser p;
	struct smtp_caps caps;
	struct mv_error err;
	size_t used, i, start;
	char *text;

	/* As the engine sees it. */
	smtp_reply_parser_init(&p, 0, 0, 0);
	if (smtp_reply_parser_feed(&p, (const char *)data, size, &used, &reply,
		&err) == SMTP_REPLY_DONE) {
		smtp_ehlo_parse(&reply, &caps);
		check_caps(&caps);
	}
	smtp_reply_parser_free(&p);

	/* Any text as the lines of a 250 reply. */
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&reply, 0, sizeof(reply));
	reply.code = 250;
	for (i = 0, start = 0; i <= size; i++) {
		if (i < size && text[i] != '\n')
			continue;
		text[i] = '\0';
		if (reply.nlines < SMTP_REPLY_MAX_LINES_HARD)
			reply.lines[reply.nlines++] = text + start;
		start = i + 1;
	}
	smtp_ehlo_parse(&reply, &caps);
	check_caps(&caps);
	(void)smtp_auth_mech_from_name(text);
	free(text);
	return 0;
}
