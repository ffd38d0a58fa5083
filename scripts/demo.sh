#!/usr/bin/env bash
# demo.sh - bring the mail lab up, run mailvet against it the way a
# postmaster would (submission with STARTTLS and AUTH, a refused
# recipient, the mailbox over IMAP and POP3, a timed round trip), and
# stop the lab again.  Usage: demo.sh [MAILVET]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
mailvet=${1:-$top/build/mailvet}
lab=$top/lab
trap '"$top/tests/lab/lab.sh" down --dir "$lab" >/dev/null 2>&1 || true' EXIT

"$top/tests/lab/lab.sh" up --dir "$lab"
# shellcheck disable=SC1091
. "$lab/lab.env"

run() {
	echo
	echo "\$ mailvet $*"
	"$mailvet" "$@" || echo "(exit status $?)"
}
run smtp "submission://127.0.0.1:$LAB_SUBMISSION_PORT" --cafile "$LAB_CA" \
	--auth-user "$LAB_USER" --password-file "$LAB_PASSFILE" \
	--from "$LAB_USER" --to "$LAB_USER"
echo
echo "# Next, one recipient does not exist: that is a finding (exit status 1)."
run smtp "smtp://127.0.0.1:$LAB_SMTP_PORT" --cafile "$LAB_CA" \
	--to "$LAB_USER" --to "nobody@$LAB_DOMAIN" --no-transcript
run imap "imaps://127.0.0.1:$LAB_IMAPS_PORT" --cafile "$LAB_CA" \
	--user "$LAB_USER" --password-file "$LAB_PASSFILE" --no-transcript
run pop3 "pop3://127.0.0.1:$LAB_POP3_PORT" --cafile "$LAB_CA" \
	--user "$LAB_USER" --password-file "$LAB_PASSFILE" --list --no-transcript
run deliver --via "submission://127.0.0.1:$LAB_SUBMISSION_PORT" \
	--check "imaps://127.0.0.1:$LAB_IMAPS_PORT" --cafile "$LAB_CA" \
	--user "$LAB_USER" --password-file "$LAB_PASSFILE" \
	--log "$LAB_POSTFIX_LOG" --cleanup --no-transcript
