#!/bin/sh
# install-deps.sh - install every Debian package mailvet needs to build,
# test and run its mail lab.  Idempotent; safe to re-run.  Needs root
# (or sudo) and the Debian package mirrors; nothing else is downloaded.
set -eu

if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
else
	SUDO=
fi

# Build and unit-test toolchain and libraries (DESIGN.md section 3).
BUILD="build-essential cmake pkg-config libssl-dev libuv1-dev libjansson-dev
	libcmocka-dev libgsasl-dev zlib1g-dev clang libclang-rt-14-dev"
# The mail lab's real servers and the tools the integration tests use.
LAB="postfix dovecot-core dovecot-imapd dovecot-pop3d dovecot-lmtpd
	openssl python3 jq iproute2 swaks libnet-ssleay-perl procps
	util-linux ca-certificates"
# The tools bench/ compares mailvet with (smtp-source and smtp-sink come
# with postfix).
BENCH="pflogsumm postal"

# Postfix asks how to configure the system MTA; the lab never uses the
# system instance, so answer "No configuration".
echo "postfix postfix/main_mailer_type select No configuration" |
	$SUDO debconf-set-selections

export DEBIAN_FRONTEND=noninteractive
need=""
for p in $BUILD $LAB $BENCH; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		grep -q "install ok installed" || need="$need $p"
done
if [ -n "$need" ]; then
	$SUDO apt-get update -qq
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $need
fi
