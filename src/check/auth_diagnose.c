/*
 * auth_diagnose.c - advice for refused logins (see auth_diagnose.h).
 * The table maps response codes of both protocols to the same advice;
 * codes are compared case-insensitively because servers differ.
 */
#include "check/auth_diagnose.h"

#include <stdio.h>
#include <strings.h>

struct auth_advice {
	const char *code;
	const char *advice;
};

static const struct auth_advice auth_advice[] = {
	{ "AUTH", "the credentials were refused: check the user name "
	    "(often the full address), the password, and that the account "
	    "exists" },
	{ "AUTHENTICATIONFAILED", "the credentials were refused: check "
	    "the user name (often the full address), the password, and that "
	    "the account exists" },
	{ "AUTHORIZATIONFAILED", "the credentials were accepted, but this "
	    "user may not act as the requested authorisation identity "
	    "(--authzid)" },
	{ "SYS/TEMP", "a temporary server-side problem (the authentication "
	    "back end or the mail storage is unavailable): try again later "
	    "and read the server's log" },
	{ "UNAVAILABLE", "a temporary server-side problem (the authentication "
	    "back end or the mail storage is unavailable): try again later "
	    "and read the server's log" },
	{ "SYS/PERM", "a permanent server-side problem with this mailbox: "
	    "ask the administrator" },
	{ "IN-USE", "the mailbox is locked by another session (another POP3 "
	    "client is connected): close it or wait" },
	{ "INUSE", "the mailbox is in use by another session: close it or "
	    "wait" },
	{ "LOGIN-DELAY", "the server limits how often this account may log "
	    "in: wait before trying again" },
	{ "EXPIRED", "the credentials have expired: the password must be "
	    "changed" },
	{ "PRIVACYREQUIRED", "the server refuses logins over an unencrypted "
	    "connection: use --tls required or the implicit-TLS port" },
	{ "CONTACTADMIN", "the account needs the administrator's attention "
	    "before it can log in" },
	{ "LIMIT", "a server limit was reached (for example too many "
	    "connections from this address or user)" },
};

void
auth_diagnose(const struct auth_failure *f, char *out, size_t outsz)
{
	const char *code = f->code ? f->code : "";
	size_t i;

	for (i = 0; i < sizeof(auth_advice) / sizeof(auth_advice[0]); i++) {
		if (strcasecmp(code, auth_advice[i].code) == 0) {
			snprintf(out, outsz, "%s", auth_advice[i].advice);
			return;
		}
	}
	if (code[0])
		snprintf(out, outsz, "the server refused the login with "
		    "response code [%s]; see its log for the reason", code);
	else
		snprintf(out, outsz, "the server refused the login without a "
		    "response code: check the user name and password, and the "
		    "server's log%s", f->tls_active ? "" : " (some servers "
		    "refuse plaintext logins without saying why)");
}
