#!/usr/bin/env bash
# selftest.sh - prove that the mail lab behaves as documented: brings up
# each variant in a scratch directory, checks it with swaks, openssl
# s_client and Python's imaplib/poplib (independent clients, not mailvet),
# takes it down and checks that no process of it is left.
#
#   tests/lab/selftest.sh [--dir DIR] [VARIANT...]    (default: all variants)
#
# Needs root, the lab's packages, swaks with Net::SSLeay
# (libnet-ssleay-perl) and python3.  Uses ports from the environment like
# lab.sh.  Exit 0 when every check passed.

# "cond && ok ... || fail ..." is safe here: ok always succeeds.
# shellcheck disable=SC2015

set -uo pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB=$HERE/lab.sh
DIR=/tmp/mailvet-lab-selftest
FAILS=0
CHECKS=0

while (( $# )); do
	case $1 in
	--dir) DIR=$2; shift 2 ;;
	-h|--help) sed -n '2,12p' "$0"; exit 0 ;;
	*) break ;;
	esac
done
if (( $# )); then
	VARIANTS=("$@")
else
	mapfile -t VARIANTS < <("$LAB" variants)
fi

ok()   { CHECKS=$((CHECKS + 1)); printf '  ok    %s\n' "$*"; }
fail() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); printf '  FAIL  %s\n' "$*"; }
check() {	# check DESCRIPTION COMMAND...: pass when COMMAND succeeds
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$what"; else fail "$what"; fi
}

perl -MNet::SSLeay -e1 2>/dev/null ||
    { echo "selftest: swaks needs Net::SSLeay (apt-get install libnet-ssleay-perl)" >&2; exit 2; }

# swaks wrapper: the whole transcript on stdout, never interactive.
sw() { swaks --hide-informational --suppress-data "$@" 2>&1 </dev/null; }
# verify PORT [STARTTLS-PROTO] [HOST]: s_client with full verification.
verify() {
	local name=${3:-$LAB_HOSTNAME} how=-verify_hostname
	[[ $name =~ ^[0-9.]+$|: ]] && how=-verify_ip
	local args=(-connect "127.0.0.1:$1" -CAfile "$LAB_CA" -verify_return_error
	    "$how" "$name" -servername "$LAB_HOSTNAME")
	[[ -n ${2-} ]] && args+=(-starttls "$2")
	openssl s_client "${args[@]}" </dev/null 2>&1
}
# verify_error PORT PROTO NUM: verification fails with X509 error NUM.
verify_error() {
	local out
	out=$(verify "$1" "$2")
	[[ $out == *"verify error:num=$3:"* ]]
}
maildir_count() { find "$1/new" -type f | wc -l; }
wait_for() {	# wait_for SECONDS COMMAND...
	local i
	for (( i = 0; i < $1 * 10; i++ )); do
		"${@:2}" && return 0
		sleep 0.1
	done
	return 1
}
more_than() { [[ $(maildir_count "$1") -gt $2 ]]; }

mail_ok() {	# a full delivery on port 2525 to charlie
	local before out qid
	before=$(maildir_count "$LAB_MAILDIR_USER")
	out=$(sw --server "127.0.0.1:$LAB_SMTP_PORT" --from someone@outside.example \
	    --to "$LAB_USER" --helo client.outside.example)
	qid=$(sed -n 's/^<-  250 2.0.0 Ok: queued as \([0-9A-F]*\).*/\1/p' <<<"$out")
	[[ -n $qid ]] || { fail "2525: message queued (no queue id in 250)"; return; }
	ok "2525: 250 reply carries queue id $qid"
	if wait_for 10 more_than "$LAB_MAILDIR_USER" "$before"; then
		ok "2525: message in $LAB_MAILDIR_USER/new"
	else
		fail "2525: message in $LAB_MAILDIR_USER/new"
	fi
	check "postfix.log: $qid status=sent via LMTP" \
	    wait_for 5 grep -q "$qid: to=<$LAB_USER>.*status=sent" "$LAB_POSTFIX_LOG"
}

auth_ok() {	# auth_ok LABEL SWAKS-ARGS...
	local label=$1 out
	shift
	out=$(sw -au "$LAB_USER" -ap "$LAB_PASS" --from "$LAB_USER" \
	    --to "$LAB_USER2" "$@")
	if [[ $out == *"235 2.7.0"* && $out == *"queued as"* ]]; then
		ok "$label"
	else
		fail "$label"
		printf '%s\n' "$out" | tail -n 6 | sed 's/^/        /'
	fi
}

check_default() {
	local out
	mail_ok

	# Submission: STARTTLS required, AUTH only after it.
	out=$(sw --server "127.0.0.1:$LAB_SUBMISSION_PORT" --quit-after EHLO)
	[[ $out == *"250-STARTTLS"* && $out != *"AUTH "* ]] &&
	    ok "2587: plaintext EHLO offers STARTTLS, not AUTH" ||
	    fail "2587: plaintext EHLO offers STARTTLS, not AUTH"
	out=$(sw --server "127.0.0.1:$LAB_SUBMISSION_PORT" --from "$LAB_USER" --to "$LAB_USER")
	[[ $out == *"530 5.7.0"* ]] && ok "2587: MAIL before STARTTLS gets 530" ||
	    fail "2587: MAIL before STARTTLS gets 530"
	for m in PLAIN LOGIN CRAM-MD5; do
		auth_ok "2587: STARTTLS (verified) + AUTH $m" \
		    --server "127.0.0.1:$LAB_SUBMISSION_PORT" -tls --tls-verify \
		    --tls-ca-path "$LAB_CA" -a "$m"
	done
	out=$(sw --server "127.0.0.1:$LAB_SUBMISSION_PORT" -tls -a PLAIN \
	    -au "$LAB_USER" -ap wrong-password --from "$LAB_USER" --to "$LAB_USER")
	[[ $out == *"535 5.7.8"* ]] && ok "2587: wrong password gets 535" ||
	    fail "2587: wrong password gets 535"
	out=$(sw --server "127.0.0.1:$LAB_SUBMISSION_PORT" -tls --from "$LAB_USER" --to "$LAB_USER")
	[[ $out == *"<~* 554 5.7.1"* ]] && ok "2587: no AUTH, RCPT refused (554)" ||
	    fail "2587: no AUTH, RCPT refused (554)"
	auth_ok "2465: implicit TLS (verified) + AUTH PLAIN" \
	    --server "127.0.0.1:$LAB_SMTPS_PORT" --tlsc --tls-verify \
	    --tls-ca-path "$LAB_CA" -a PLAIN

	# Certificates verify on every TLS listener.
	check "2525 STARTTLS certificate verifies" verify "$LAB_SMTP_PORT" smtp
	check "2587 STARTTLS certificate verifies" verify "$LAB_SUBMISSION_PORT" smtp
	check "2465 certificate verifies" verify "$LAB_SMTPS_PORT"
	check "2143 STARTTLS certificate verifies" verify "$LAB_IMAP_PORT" imap
	check "2993 certificate verifies" verify "$LAB_IMAPS_PORT"
	check "2110 STLS certificate verifies" verify "$LAB_POP3_PORT" pop3
	check "2995 certificate verifies" verify "$LAB_POP3S_PORT"
	check "2993 certificate verifies for 127.0.0.1 (IP SAN)" \
	    verify "$LAB_IMAPS_PORT" "" 127.0.0.1

	# IMAP and POP3 logins, all mechanisms, independent client.
	if out=$(python3 "$HERE/selftest_mailbox.py" 2>&1); then
		printf '%s\n' "$out" | sed 's/^/  ok    /'
		CHECKS=$((CHECKS + $(wc -l <<<"$out")))
	else
		fail "IMAP/POP3 logins"
		printf '%s\n' "$out" | sed 's/^/        /'
	fi

	# LMTP over TCP.
	local before
	before=$(maildir_count "$LAB_MAILDIR_USER2")
	out=$(sw --server "127.0.0.1:$LAB_LMTP_PORT" --protocol LMTP \
	    --from someone@outside.example --to "$LAB_USER2")
	[[ $out == *"Saved"* ]] && wait_for 5 more_than "$LAB_MAILDIR_USER2" "$before" &&
	    ok "LMTP TCP port $LAB_LMTP_PORT delivers to $LAB_USER2" ||
	    fail "LMTP TCP port $LAB_LMTP_PORT delivers to $LAB_USER2"

	# Relaying from mynetworks is accepted but goes nowhere but loopback.
	out=$(sw --server "127.0.0.1:$LAB_SMTP_PORT" --from "$LAB_USER" \
	    --to victim@relay-test.example)
	local qid
	qid=$(sed -n 's/^<-  250 2.0.0 Ok: queued as \([0-9A-F]*\).*/\1/p' <<<"$out")
	if [[ -n $qid ]] && wait_for 10 grep -q \
	    "$qid: to=<victim@relay-test.example>, .*status=deferred (connect to 127.0.0.1\[127.0.0.1\]:$LAB_RELAY_PORT" \
	    "$LAB_POSTFIX_LOG"; then
		ok "relay from 127.0.0.1 accepted, deferred at [127.0.0.1]:$LAB_RELAY_PORT"
	else
		fail "relay from 127.0.0.1 accepted, deferred at [127.0.0.1]:$LAB_RELAY_PORT"
	fi
	if grep -E 'relay=' "$LAB_POSTFIX_LOG" | grep -vE 'relay=(none|mail\.lab\.example\[/|127\.0\.0\.1\[127\.0\.0\.1\])' >/dev/null; then
		fail "no delivery attempt outside loopback"
	else
		ok "no delivery attempt outside loopback"
	fi
}

check_relay_from() {	# check_relay_from SOURCE EXPECT(accept|deny)
	local out
	out=$(sw --server "127.0.0.1:$LAB_SMTP_PORT" --local-interface "$1" \
	    --from someone@outside.example --to victim@relay-test.example)
	if [[ $2 == accept ]]; then
		[[ $out == *"queued as"* ]] && ok "relay from $1 accepted" ||
		    fail "relay from $1 accepted"
	else
		[[ $out == *"Relay access denied"* ]] &&
		    ok "relay from $1 denied (not in mynetworks)" ||
		    fail "relay from $1 denied (not in mynetworks)"
	fi
}

check_variant() {
	local out
	case $1 in
	default)
		check_default ;;
	open-relay)
		check_relay_from 127.0.0.2 accept
		mail_ok ;;
	no-starttls)
		out=$(sw --server "127.0.0.1:$LAB_SMTP_PORT" --quit-after EHLO)
		[[ $out == *"220 "* && $out != *STARTTLS* ]] &&
		    ok "2525: EHLO does not offer STARTTLS" ||
		    fail "2525: EHLO does not offer STARTTLS"
		check "2587: still STARTTLS" verify "$LAB_SUBMISSION_PORT" smtp
		mail_ok ;;
	auth-before-tls)
		out=$(sw --server "127.0.0.1:$LAB_SUBMISSION_PORT" --quit-after EHLO)
		[[ $out == *"250-AUTH "* ]] &&
		    ok "2587: plaintext EHLO offers AUTH" ||
		    fail "2587: plaintext EHLO offers AUTH"
		auth_ok "2587: AUTH PLAIN accepted without TLS" \
		    --server "127.0.0.1:$LAB_SUBMISSION_PORT" -a PLAIN ;;
	expired-cert|self-signed-cert|wrong-host-cert)
		local num
		case $1 in
		expired-cert) num=10 ;;		# certificate has expired
		self-signed-cert) num=18 ;;	# self-signed certificate
		wrong-host-cert) num=62 ;;	# hostname mismatch
		esac
		check "2525 STARTTLS: verify error $num" verify_error "$LAB_SMTP_PORT" smtp $num
		check "2587 STARTTLS: verify error $num" verify_error "$LAB_SUBMISSION_PORT" smtp $num
		check "2465: verify error $num" verify_error "$LAB_SMTPS_PORT" "" $num
		check "2143 STARTTLS: verify error $num" verify_error "$LAB_IMAP_PORT" imap $num
		check "2993: verify error $num" verify_error "$LAB_IMAPS_PORT" "" $num
		check "2110 STLS: verify error $num" verify_error "$LAB_POP3_PORT" pop3 $num
		check "2995: verify error $num" verify_error "$LAB_POP3S_PORT" "" $num
		mail_ok ;;
	*)
		echo "  (no specific checks for variant $1)" ;;
	esac
}

for v in "${VARIANTS[@]}"; do
	echo "== variant $v"
	# The default lab with a narrow mynetworks shows relaying denied
	# to another loopback address; the open-relay variant must not.
	extra=()
	[[ $v == default ]] && extra=(env LAB_MYNETWORKS=127.0.0.1/32)
	t0=$(date +%s%N)
	if ! "${extra[@]}" "$LAB" up --dir "$DIR" --variant "$v"; then
		fail "$v: lab up"
		continue
	fi
	ok "up in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
	set -a
	# shellcheck disable=SC1091
	source "$DIR/lab.env"
	set +a
	check "lab.env: LAB_VARIANT=$v" test "$LAB_VARIANT" = "$v"
	check "status exits 0" "$LAB" status --dir "$DIR"
	check_variant "$v"
	[[ $v == default ]] && check_relay_from 127.0.0.2 deny

	# Everything this lab started, to be gone after down.
	pids="$LAB_POSTFIX_PID $LAB_DOVECOT_PID $(pgrep -P "$LAB_POSTFIX_PID" | tr '\n' ' ') $(pgrep -P "$LAB_DOVECOT_PID" | tr '\n' ' ')"
	t0=$(date +%s%N)
	check "down exits 0" "$LAB" down --dir "$DIR"
	ok "down in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
	left=
	for p in $pids; do
		# A zombie is gone too (PID 1 may reap the daemons late).
		st=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		st=${st##*) }
		[[ ${st:0:1} == Z ]] || left+=" $p"
	done
	[[ -z $left ]] && ok "no lab process left" || fail "processes left:$left"
	listening=$(ss -Hltn | awk '{print $4}' | grep -E ":($LAB_SMTP_PORT|$LAB_SUBMISSION_PORT|$LAB_SMTPS_PORT|$LAB_LMTP_PORT|$LAB_IMAP_PORT|$LAB_IMAPS_PORT|$LAB_POP3_PORT|$LAB_POP3S_PORT)\$" || true)
	[[ -z $listening ]] && ok "no lab port listening" || fail "still listening: $listening"
	check "lab.env removed by down" test ! -e "$DIR/lab.env"
	"$LAB" status --dir "$DIR" >/dev/null; rc=$?
	[[ $rc == 3 ]] && ok "status exits 3 when down" || fail "status exits 3 when down (got $rc)"
done

"$LAB" down --dir "$DIR" --clean >/dev/null
echo "== $CHECKS checks, $FAILS failed"
(( FAILS == 0 ))
