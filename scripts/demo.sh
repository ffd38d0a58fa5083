#!/usr/bin/env bash
# demo.sh - bring the mail lab up, run mailvet against it the way a
# postmaster would (submission with STARTTLS and AUTH, a refused
# recipient, the mailbox over IMAP and POP3, a timed round trip,
# the TLS diagnosis, the port sweep, the relay battery, the log of all
# that, and a short benchmark into mailvet's sink), and stop the lab
# again.  Usage: demo.sh [MAILVET]
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
run tls "submission://127.0.0.1:$LAB_SUBMISSION_PORT" --cafile "$LAB_CA"
run ports 127.0.0.1 --only-ports "$LAB_SMTP_PORT,$LAB_SUBMISSION_PORT,$LAB_SMTPS_PORT,$LAB_LMTP_PORT,$LAB_IMAP_PORT,$LAB_IMAPS_PORT,$LAB_POP3_PORT,$LAB_POP3S_PORT" \
	--expect "smtp:$LAB_SMTP_PORT,submission:$LAB_SUBMISSION_PORT,smtps:$LAB_SMTPS_PORT,lmtp:$LAB_LMTP_PORT,imaps:$LAB_IMAPS_PORT,pop3s:$LAB_POP3S_PORT,imap:$LAB_IMAP_PORT,pop3:$LAB_POP3_PORT" \
	--cafile "$LAB_CA"
echo
echo "# The lab relays for 127.0.0.0/8 (its mynetworks), so relaying from"
echo "# 127.0.0.1 is expected; from anywhere else it would be a finding."
run relay "smtp://127.0.0.1:$LAB_SMTP_PORT" --expect-relay 127.0.0.0/8 \
	--local-rcpt "$LAB_USER" --no-transcript
run log "$LAB_POSTFIX_LOG" "$LAB_DOVECOT_LOG"

echo
echo "# A short benchmark: mailvet bench into mailvet sink, every message's id checked."
sinkdir=$(mktemp -d)
"$mailvet" sink --listen 127.0.0.1:0 --ready-file "$sinkdir/ready" \
	--max-messages 20000 >"$sinkdir/sink.txt" 2>/dev/null &
sinkpid=$!
for _ in $(seq 100); do [ -s "$sinkdir/ready" ] && break; sleep 0.05; done
sinkaddr=$(head -n1 "$sinkdir/ready")
run bench "smtp://$sinkaddr" --sessions 10 --messages 20000 --size 1k --pipelining
wait "$sinkpid" || true
echo
echo "\$ mailvet sink --listen 127.0.0.1:0 --max-messages 20000   # its report"
cat "$sinkdir/sink.txt"
rm -rf "$sinkdir"
