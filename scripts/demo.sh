#!/usr/bin/env bash
# demo.sh - bring the mail lab up, run `mailvet smtp` against it the way
# a postmaster would (submission, STARTTLS, AUTH, delivery), show where
# the message landed, and stop the lab again.  Usage: demo.sh [MAILVET]
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
run smtp "smtp://127.0.0.1:$LAB_SMTP_PORT" --cafile "$LAB_CA" \
	--to "$LAB_USER" --to "nobody@$LAB_DOMAIN" --no-transcript
echo
echo "Delivered to $LAB_MAILDIR_USER/new:"
sleep 1
ls -l "$LAB_MAILDIR_USER/new" || true
