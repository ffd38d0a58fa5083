#!/usr/bin/env bash
# lab.sh - mailvet's mail lab: real Postfix and Dovecot, started from a
# throwaway directory and listening only on 127.0.0.1 high ports, with a
# test CA, virtual users, LMTP delivery, SASL submission, implicit-TLS
# ports and switchable misconfigurations ("variants").
#
#   lab.sh up     --dir DIR [--variant NAME]   start (wipes an older lab in DIR)
#   lab.sh down   --dir DIR [--clean]          stop (and delete DIR with --clean)
#   lab.sh status --dir DIR                    what runs
#   lab.sh variants                            list the variants
#
# The system instances (/etc/postfix, /etc/dovecot) are never read or
# touched: Postfix runs as "postfix -c DIR/postfix" with its own queue and
# data directories, Dovecot as "dovecot -c DIR/dovecot/dovecot.conf" with
# its own base and state directories.  Mail for other domains goes only to
# relayhost [127.0.0.1]:LAB_RELAY_PORT (normally closed, so it is deferred)
# and no DNS is used: nothing can leave the machine.  See README.md here.
#
# Exit codes: 0 ok, 1 failure (reason on stderr), 2 usage or missing
# packages; status: 0 all running, 1 partly running, 3 not running.

set -eEuo pipefail
trap 'warn "failed at line $LINENO: $BASH_COMMAND"' ERR
umask 022
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
export LC_ALL=C

PROG=lab.sh
LAB_MARKER=.mailvet-lab		# a directory up may wipe carries this file

# Fixed lab identity.
DOMAIN=lab.example
MAILHOST=mail.lab.example
USERS="charlie alice"

# Defaults for the ports; each can be overridden from the environment.
# (LMTP is 2424, not 2024: on some CI machines 0.0.0.0:2024 is taken.)
# LAB_PORT_OFFSET shifts every default at once, so that several labs
# (parallel developers, parallel CI jobs) can run side by side.
: "${LAB_PORT_OFFSET:=0}"
: "${LAB_SMTP_PORT:=$((2525 + LAB_PORT_OFFSET))}"
: "${LAB_SUBMISSION_PORT:=$((2587 + LAB_PORT_OFFSET))}"
: "${LAB_SMTPS_PORT:=$((2465 + LAB_PORT_OFFSET))}"
: "${LAB_LMTP_PORT:=$((2424 + LAB_PORT_OFFSET))}"
: "${LAB_IMAP_PORT:=$((2143 + LAB_PORT_OFFSET))}"
: "${LAB_IMAPS_PORT:=$((2993 + LAB_PORT_OFFSET))}"
: "${LAB_POP3_PORT:=$((2110 + LAB_PORT_OFFSET))}"
: "${LAB_POP3S_PORT:=$((2995 + LAB_PORT_OFFSET))}"
: "${LAB_RELAY_PORT:=$((2599 + LAB_PORT_OFFSET))}"	# where relayed mail is sent (normally closed)
: "${LAB_MYNETWORKS:=127.0.0.0/8 [::1]/128}"
: "${LAB_START_TIMEOUT:=30}"	# seconds to wait for every greeting

say()  { printf '%s: %s\n' "$PROG" "$*"; }
warn() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die()  { warn "$*"; exit 1; }

usage() {
	cat >&2 <<EOF
usage: $PROG up --dir DIR [--variant NAME]
       $PROG down --dir DIR [--clean]
       $PROG status --dir DIR
       $PROG variants
Variants: $(variant_names | paste -sd' ')
Ports come from LAB_SMTP_PORT, LAB_SUBMISSION_PORT, LAB_SMTPS_PORT,
LAB_LMTP_PORT, LAB_IMAP_PORT, LAB_IMAPS_PORT, LAB_POP3_PORT, LAB_POP3S_PORT.
EOF
	exit 2
}

# ---------------------------------------------------------------- variants
#
# A variant is a function variant_NAME that adjusts the knobs below after
# they have been set to the default lab.  Add a variant by adding a
# function; "lab.sh variants" and --variant pick it up.

set_defaults() {
	V_SMTP_TLS=may			# smtpd_tls_security_level on 2525
	V_SUBM_TLS=encrypt		# ... on 2587
	V_SUBM_AUTH_ONLY=yes		# smtpd_tls_auth_only on 2587
	V_MYNETWORKS=$LAB_MYNETWORKS
	V_SMTP_PROTOCOLS='>=TLSv1.2'	# smtpd_tls_protocols on 2525
	V_CERT=server			# DIR/ca/NAME.pem + NAME.key on every listener
	V_DOVECOT_PLAINTEXT=yes		# Dovecot disable_plaintext_auth
}

variant_default() { :; }

# Relays for every client address.  Postfix refuses a configuration
# without any relay restriction, but an all-covering mynetworks is
# accepted and is the classic real-world mistake.  Relayed mail still only
# goes to the loopback relayhost: nothing leaves the machine.
variant_open_relay() { V_MYNETWORKS="0.0.0.0/0 [::]/0"; }

# Port 2525 does not offer STARTTLS at all.
variant_no_starttls() { V_SMTP_TLS=none; }

# Submission offers (and accepts) AUTH before STARTTLS.  Dovecot treats
# loopback clients as secure anyway, but from any other address (network
# namespaces) its auth service would refuse plaintext mechanisms on a
# connection Postfix does not report as TLS, so allow them here.
variant_auth_before_tls() {
	V_SUBM_TLS=may
	V_SUBM_AUTH_ONLY=no
	V_DOVECOT_PLAINTEXT=no
}

# Certificates that a verifying client must refuse, on every listener.
variant_expired_cert() { V_CERT=expired; }
variant_self_signed_cert() { V_CERT=self-signed; }
variant_wrong_host_cert() { V_CERT=wrong-host; }
# Port 2525 also accepts TLS 1.0 and 1.1 (every other listener: 1.2+).
variant_old_tls() { V_SMTP_PROTOCOLS='>=TLSv1'; }

variant_names() {	# default first, then the others sorted
	echo default
	declare -F | sed -n 's/^declare -f variant_//p' |
	    grep -vx -e names -e default | tr _ - | sort
}

# ---------------------------------------------------------------- helpers

# Quote a value for lab.env only when needed, in a form that both the
# shell and Python's shlex read back unchanged.
shq() {
	if [[ $1 =~ ^[A-Za-z0-9_./:@%+=,-]+$ ]]; then
		printf '%s' "$1"
	else
		printf "'%s'" "${1//\'/\'\\\'\'}"
	fi
}

# running PID: alive and not a zombie.  The daemons are reparented to
# PID 1, which in some containers reaps them only seconds after they exit.
running() {
	local st
	[[ -n ${1-} ]] && st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	[[ ${st:0:1} != Z ]]
}

# pid_from FILE: the first number in FILE, or nothing.
pid_from() {
	[[ -r $1 ]] || return 0
	local p
	p=$(tr -cd '0-9\n' <"$1" | sed -n '/./{p;q}')
	printf '%s' "$p"
}

# The Postfix master of this lab, if running: pid file plus a check that
# the process really is a Postfix master started with our config
# directory (the pid may have been reused since).
postfix_pid() {
	local p
	p=$(pid_from "$DIR/spool/pid/master.pid")
	running "$p" || return 0
	[[ $(readlink "/proc/$p/exe" 2>/dev/null) == */postfix/sbin/master ]] ||
	    return 0
	tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null |
	    grep -qx "MAIL_CONFIG=$DIR/postfix" || return 0
	printf '%s' "$p"
}

dovecot_pid() {
	local p
	p=$(pid_from "$DIR/run/dovecot/master.pid")
	running "$p" || return 0
	tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null |
	    grep -qF -- "$DIR/dovecot/dovecot.conf" || return 0
	printf '%s' "$p"
}

children_of() { pgrep -P "$1" 2>/dev/null | tr '\n' ' ' || true; }

# wait_gone SECONDS PID...: 0 once none of the PIDs exists.
wait_gone() {
	local limit=$(( $1 * 10 )) i p left
	shift
	for (( i = 0; i <= limit; i++ )); do
		left=
		for p in "$@"; do
			running "$p" && left="$left $p"
		done
		[[ -z $left ]] && return 0
		sleep 0.1
	done
	return 1
}

# stop_all: stop this lab's Postfix and Dovecot masters in parallel, wait
# for them and for the children they had, KILL whatever remains after a
# grace period.  Only these PIDs are ever signalled.
stop_all() {
	local pp dp pids='' p
	pp=$(postfix_pid)
	dp=$(dovecot_pid)
	[[ -n $pp$dp ]] || return 0
	[[ -n $pp ]] && pids+=" $pp $(children_of "$pp")"
	[[ -n $dp ]] && pids+=" $dp $(children_of "$dp")"
	if [[ -n $pp ]]; then
		# postfix-script stop: logs, then TERMs the master.
		postfix -c "$DIR/postfix" stop >>"$DIR/log/lab.log" 2>&1 ||
		    kill -TERM "$pp" 2>/dev/null || true
	fi
	[[ -n $dp ]] && { kill -TERM "$dp" 2>/dev/null || true; }
	# shellcheck disable=SC2086
	wait_gone 15 $pids && return 0
	warn "lab did not stop within 15 s; killing$pids"
	for p in $pids; do
		kill -KILL "$p" 2>/dev/null || true
	done
	# shellcheck disable=SC2086
	wait_gone 5 $pids || warn "processes still present:$pids"
}

port_busy() {
	if command -v ss >/dev/null; then
		[[ -n $(ss -Hltn "sport = :$1" 2>/dev/null) ]]
	else
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
	fi
}

# greet_plain PORT EXPECT CLOSE: read the first line on a plaintext port.
# Prints the line; 0 when it starts with EXPECT.
greet_plain() {
	(
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		IFS= read -r -t 3 line <&3 || exit 1
		printf '%s\r\n' "$3" >&3 2>/dev/null || true
		exec 3>&-
		line=${line%$'\r'}
		printf '%s' "$line"
		[[ $line == "$2"* ]]
	) 2>/dev/null
}

# greet_tls PORT EXPECT: the same after an implicit TLS handshake
# (certificate not verified: the cert variants must answer too).
greet_tls() {
	local out pid i line=
	out=$(mktemp "$DIR/run/greet.XXXXXX")
	openssl s_client -connect "127.0.0.1:$1" -servername "$MAILHOST" \
	    -quiet </dev/null >"$out" 2>/dev/null &
	pid=$!
	for (( i = 0; i < 30; i++ )); do
		IFS= read -r line <"$out" || true
		[[ -n $line ]] && break
		running "$pid" || { IFS= read -r line <"$out" || true; break; }
		sleep 0.1
	done
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -f "$out"
	line=${line%$'\r'}
	printf '%s' "$line"
	[[ $line == "$2"* ]]
}

# The listeners, as NAME:PORTVAR:KIND:EXPECT:CLOSE.
listeners() {
	cat <<EOF
smtp:LAB_SMTP_PORT:plain:220:QUIT
submission:LAB_SUBMISSION_PORT:plain:220:QUIT
smtps:LAB_SMTPS_PORT:tls:220:QUIT
lmtp:LAB_LMTP_PORT:plain:220:QUIT
imap:LAB_IMAP_PORT:plain:* OK:a LOGOUT
imaps:LAB_IMAPS_PORT:tls:* OK:a LOGOUT
pop3:LAB_POP3_PORT:plain:+OK:QUIT
pop3s:LAB_POP3S_PORT:tls:+OK:QUIT
EOF
}

greet() {	# greet KIND PORT EXPECT CLOSE
	if [[ $1 == tls ]]; then
		greet_tls "$2" "$3"
	else
		greet_plain "$2" "$3" "$4"
	fi
}

show_logs() {
	local f
	for f in "$@"; do
		[[ -s $f ]] || continue
		warn "--- last lines of $f"
		tail -n 25 "$f" >&2
	done
}

need_packages() {
	local b missing=
	for b in /usr/sbin/postfix /usr/sbin/postconf \
	    /usr/lib/postfix/sbin/master /usr/sbin/dovecot \
	    /usr/lib/dovecot/imap /usr/lib/dovecot/pop3 /usr/lib/dovecot/lmtp \
	    openssl pgrep; do
		if [[ $b == /* ]]; then
			[[ -x $b ]] || missing="$missing $b"
		else
			command -v "$b" >/dev/null || missing="$missing $b"
		fi
	done
	if [[ -n $missing ]]; then
		warn "missing:$missing"
		warn "run scripts/install-deps.sh"
		exit 2
	fi
	local u
	for u in mail postfix dovecot dovenull; do
		id "$u" >/dev/null 2>&1 ||
		    { warn "no system user $u; run scripts/install-deps.sh"; exit 2; }
	done
}

# --------------------------------------------------------------- the CA

make_certs() {
	local ca=$DIR/ca now
	mkdir -p "$ca/issued"
	: >"$ca/index.txt"
	echo 1000 >"$ca/serial"
	cat >"$ca/openssl.cnf" <<EOF
# mailvet lab CA (generated by lab.sh)
[ ca ]
default_ca = lab_ca

[ lab_ca ]
dir = $ca
database = \$dir/index.txt
new_certs_dir = \$dir/issued
serial = \$dir/serial
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
default_md = sha256
policy = policy_lab
unique_subject = no
copy_extensions = none
email_in_dn = no

[ policy_lab ]
organizationName = optional
commonName = supplied

[ req ]
distinguished_name = req_dn
prompt = no

[ req_dn ]
CN = unused

[ ext_ca ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ ext_server ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:$MAILHOST, DNS:localhost, IP:127.0.0.1, IP:::1

[ ext_wrong_host ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:wrong.example

[ ext_self_signed ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
subjectAltName = DNS:$MAILHOST, DNS:localhost, IP:127.0.0.1, IP:::1
EOF
	local cnf=$ca/openssl.cnf
	# All keys at once, in parallel: RSA key generation is most of the
	# time this function takes.
	local k pids=()
	for k in ca server wrong-host expired self-signed; do
		(umask 077; openssl genpkey -algorithm RSA \
		    -pkeyopt rsa_keygen_bits:2048 -out "$ca/$k.key" 2>/dev/null) &
		pids+=($!)
	done
	for k in "${pids[@]}"; do
		wait "$k" || die "openssl could not generate an RSA key in $ca"
	done
	stamp() { date -u -d "$1" +%Y%m%d%H%M%SZ; }
	# issue NAME SUBJECT EXTENSIONS START END
	issue() {
		openssl req -new -config "$cnf" -key "$ca/$1.key" -subj "$2" \
		    -out "$ca/$1.csr"
		openssl ca -batch -config "$cnf" -notext -extensions "$3" \
		    -startdate "$4" -enddate "$5" -in "$ca/$1.csr" \
		    -out "$ca/$1.pem" 2>>"$ca/openssl.log" >&2
	}
	now=$(date -u +%s)

	# The CA is back-dated so that the expired certificate lies inside
	# its validity: only the leaf's dates are wrong.
	openssl req -new -config "$cnf" -key "$ca/ca.key" \
	    -subj "/O=mailvet lab/CN=mailvet lab CA" -out "$ca/ca.csr"
	openssl ca -batch -config "$cnf" -notext -selfsign -keyfile "$ca/ca.key" \
	    -extensions ext_ca -startdate "$(stamp "@$(( now - 800 * 86400 ))")" \
	    -enddate "$(stamp "@$(( now + 3650 * 86400 ))")" \
	    -in "$ca/ca.csr" -out "$ca/ca.pem" 2>>"$ca/openssl.log" >&2

	issue server "/O=mailvet lab/CN=$MAILHOST" ext_server \
	    "$(stamp "@$(( now - 3600 ))")" "$(stamp "@$(( now + 365 * 86400 ))")"
	issue wrong-host "/O=mailvet lab/CN=wrong.example" ext_wrong_host \
	    "$(stamp "@$(( now - 3600 ))")" "$(stamp "@$(( now + 365 * 86400 ))")"
	issue expired "/O=mailvet lab/CN=$MAILHOST" ext_server \
	    "$(stamp "@$(( now - 400 * 86400 ))")" "$(stamp "@$(( now - 30 * 86400 ))")"
	openssl req -new -x509 -config "$cnf" -key "$ca/self-signed.key" \
	    -subj "/O=mailvet lab/CN=$MAILHOST" -extensions ext_self_signed \
	    -days 365 -out "$ca/self-signed.pem"
	rm -f "$ca"/*.csr

	# Sanity: the good certificate verifies for the lab host name.
	openssl verify -CAfile "$ca/ca.pem" -verify_hostname "$MAILHOST" \
	    "$ca/server.pem" >/dev/null ||
	    die "generated server certificate does not verify (see $ca)"
	unset -f stamp issue
}

# ------------------------------------------------------------- passwords

new_password() {
	local p=
	while (( ${#p} < 20 )); do
		p+=$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
	done
	printf '%s' "${p:0:20}"
}

make_users() {
	local u pw
	: >"$DIR/dovecot/users"
	: >"$DIR/postfix/vmailbox"
	for u in $USERS; do
		pw=$(new_password)
		printf '%s' "$pw" >"$DIR/$u.pw"
		chmod 600 "$DIR/$u.pw"
		printf '%s@%s:{PLAIN}%s:8:8::%s::\n' "$u" "$DOMAIN" "$pw" \
		    "$DIR/mail/$DOMAIN/$u" >>"$DIR/dovecot/users"
		printf '%s@%s\tOK\n' "$u" "$DOMAIN" >>"$DIR/postfix/vmailbox"
		mkdir -p "$DIR/mail/$DOMAIN/$u/Maildir/"{cur,new,tmp}
		chown -R mail:mail "$DIR/mail/$DOMAIN/$u"
		chmod -R go-rwx "$DIR/mail/$DOMAIN/$u"
	done
	chown root:dovecot "$DIR/dovecot/users"
	chmod 640 "$DIR/dovecot/users"
}

# ------------------------------------------------------------- Dovecot

write_dovecot() {
	local cert=$DIR/ca/$V_CERT
	cat >"$DIR/dovecot/dovecot.conf" <<EOF
# Dovecot for the mailvet lab (generated by lab.sh; variant $VARIANT).
# Nothing here refers to /etc/dovecot.
instance_name = mvlab-$INSTANCE
base_dir = $DIR/run/dovecot
state_dir = $DIR/lib/dovecot
log_path = $DIR/log/dovecot.log
protocols = imap pop3 lmtp
listen = 127.0.0.1
hostname = $MAILHOST

ssl = yes
ssl_cert = <$cert.pem
ssl_key = <$cert.key

disable_plaintext_auth = $V_DOVECOT_PLAINTEXT
auth_mechanisms = plain login cram-md5 scram-sha-1 scram-sha-256
auth_verbose = yes

default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 8
mail_uid = mail
mail_gid = mail
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
}

# {PLAIN} passwords so that CRAM-MD5 and SCRAM can be served.
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $DIR/dovecot/users
}
userdb {
  driver = passwd-file
  args = username_format=%u $DIR/dovecot/users
}

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $LAB_IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $LAB_IMAPS_PORT
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $LAB_POP3_PORT
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = $LAB_POP3S_PORT
    ssl = yes
  }
}
# LMTP: TCP for probes, a unix socket for Postfix's virtual transport.
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $LAB_LMTP_PORT
  }
  unix_listener $DIR/run/lmtp-postfix {
    mode = 0600
    user = postfix
    group = postfix
  }
}
# SASL for Postfix smtpd.
service auth {
  unix_listener $DIR/run/auth-postfix {
    mode = 0660
    user = postfix
    group = postfix
  }
}
protocol lmtp {
  postmaster_address = postmaster@$DOMAIN
}
EOF
}

# ------------------------------------------------------------- Postfix

write_postfix() {
	local pf=$DIR/postfix cert=$DIR/ca/$V_CERT
	cat >"$pf/main.cf" <<EOF
# Postfix for the mailvet lab (generated by lab.sh; variant $VARIANT).
# Started as "postfix -c $pf"; nothing here refers to /etc/postfix.
compatibility_level = 3.6
queue_directory = $DIR/spool
data_directory = $DIR/lib/postfix
mail_owner = postfix
setgid_group = postdrop
maillog_file = $DIR/log/postfix.log
maillog_file_prefixes = $DIR

myhostname = $MAILHOST
mydomain = $DOMAIN
myorigin = \$myhostname
mydestination =
inet_interfaces = all
mynetworks = $V_MYNETWORKS
alias_maps =
alias_database =
local_recipient_maps =
biff = no
append_dot_mydomain = no
recipient_delimiter = +

# Virtual users are delivered by Dovecot over LMTP.
virtual_mailbox_domains = $DOMAIN
virtual_mailbox_maps = texthash:$pf/vmailbox
virtual_transport = lmtp:unix:$DIR/run/lmtp-postfix

# Nothing leaves the machine: every other destination is handed to a
# loopback port where normally nothing listens, so relayed mail is
# accepted, tried and deferred ("Connection refused").  A test may run an
# SMTP sink on that port to catch what the lab relays.  No DNS lookups.
default_transport = smtp
relay_transport = smtp
relayhost = [127.0.0.1]:$LAB_RELAY_PORT
smtp_bind_address = 127.0.0.1
smtp_dns_support_level = disabled
smtp_tls_security_level = none
local_transport = error:5.1.1 mailvet lab: no local delivery

# No reverse DNS for clients: a PTR query for anything but 127.0.0.1 would
# go to the system resolver, off the loopback.
smtpd_peername_lookup = no

smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated,
    defer_unauth_destination

smtpd_tls_chain_files = $cert.key, $cert.pem
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
smtpd_tls_auth_only = yes
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_mandatory_protocols = >=TLSv1.2

smtpd_sasl_type = dovecot
smtpd_sasl_path = $DIR/run/auth-postfix
smtpd_sasl_auth_enable = no
smtpd_sasl_security_options = noanonymous
smtpd_sasl_tls_security_options = noanonymous
EOF
	local S='inet  n       -       n       -       -       smtpd'
	cat >"$pf/master.cf" <<EOF
# Postfix master.cf for the mailvet lab (generated by lab.sh).
# Every listener is bound explicitly; chroot is off everywhere.
# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:$LAB_SMTP_PORT $S
  -o smtpd_tls_security_level=$V_SMTP_TLS
  -o smtpd_tls_protocols=$V_SMTP_PROTOCOLS
127.0.0.1:$LAB_SUBMISSION_PORT $S
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=$V_SUBM_TLS
  -o smtpd_tls_auth_only=$V_SUBM_AUTH_ONLY
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
127.0.0.1:$LAB_SMTPS_PORT $S
  -o syslog_name=postfix/smtps
  -o smtpd_tls_wrappermode=yes
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
	# LAB_EXTRA_LISTEN (mailvet relay's namespace tests): more smtpd
	# listeners on LAB_SMTP_PORT, on addresses of interfaces the test
	# created (veth ends); they must exist before "up".
	# Only IP address literals go into master.cf: a value with spaces,
	# newlines or "-o" options would rewrite the listener.  They get
	# the 2525 listener's -o lines (same variables).
	local xa o v4='^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$'
	for xa in ${LAB_EXTRA_LISTEN-}; do
		if [[ $xa =~ $v4 ]]; then
			for o in "${BASH_REMATCH[@]:1}"; do
				((10#$o <= 255)) || die "LAB_EXTRA_LISTEN:" \
				    "'$xa' is not an IPv4 or IPv6 address"
			done
		elif [[ ${#xa} -le 45 && $xa =~ ^[0-9A-Fa-f:.]+$ &&
		    $xa == *:*:* && $xa != *:::* ]]; then
			xa="[$xa]"
		else
			die "LAB_EXTRA_LISTEN: '$xa' is not an IPv4 or IPv6" \
			    "address"
		fi
		printf '%s:%s %s\n  -o %s\n  -o %s\n' "$xa" "$LAB_SMTP_PORT" \
		    "$S" "smtpd_tls_security_level=$V_SMTP_TLS" \
		    "smtpd_tls_protocols=$V_SMTP_PROTOCOLS" >>"$pf/master.cf"
	done
	# Postfix waits ~2 s before reading a main.cf written in the current
	# second (it may still be being written); these files are complete.
	touch -d '-1 min' "$pf/main.cf" "$pf/master.cf" "$pf/vmailbox"
}

# ------------------------------------------------------------- lab.env

write_env() {
	local f=$DIR/lab.env.tmp u n=
	{
		echo "# mailvet lab $(date -u +%Y-%m-%dT%H:%M:%SZ) (lab.sh up)"
		kv() { printf '%s=%s\n' "$1" "$(shq "$2")"; }
		kv LAB_DIR "$DIR"
		kv LAB_VARIANT "$VARIANT"
		kv LAB_HOST 127.0.0.1
		kv LAB_DOMAIN "$DOMAIN"
		kv LAB_HOSTNAME "$MAILHOST"
		kv LAB_SMTP_PORT "$LAB_SMTP_PORT"
		kv LAB_SUBMISSION_PORT "$LAB_SUBMISSION_PORT"
		kv LAB_SMTPS_PORT "$LAB_SMTPS_PORT"
		kv LAB_LMTP_PORT "$LAB_LMTP_PORT"
		kv LAB_IMAP_PORT "$LAB_IMAP_PORT"
		kv LAB_IMAPS_PORT "$LAB_IMAPS_PORT"
		kv LAB_POP3_PORT "$LAB_POP3_PORT"
		kv LAB_POP3S_PORT "$LAB_POP3S_PORT"
		kv LAB_MYNETWORKS "$V_MYNETWORKS"
		kv LAB_RELAY_PORT "$LAB_RELAY_PORT"
		kv LAB_CA "$DIR/ca/ca.pem"
		kv LAB_CERT "$DIR/ca/$V_CERT.pem"
		kv LAB_CERT_GOOD "$DIR/ca/server.pem"
		kv LAB_CERT_EXPIRED "$DIR/ca/expired.pem"
		kv LAB_CERT_SELF_SIGNED "$DIR/ca/self-signed.pem"
		kv LAB_CERT_WRONG_HOST "$DIR/ca/wrong-host.pem"
		for u in $USERS; do
			kv "LAB_USER$n" "$u@$DOMAIN"
			kv "LAB_PASS$n" "$(cat "$DIR/$u.pw")"
			kv "LAB_PASSFILE$n" "$DIR/$u.pw"
			kv "LAB_MAILDIR_USER$n" "$DIR/mail/$DOMAIN/$u/Maildir"
			n=$(( ${n:-1} + 1 ))
		done
		kv LAB_POSTFIX_CONFIG "$DIR/postfix"
		kv LAB_POSTFIX_QUEUE "$DIR/spool"
		kv LAB_POSTFIX_LOG "$DIR/log/postfix.log"
		kv LAB_DOVECOT_CONFIG "$DIR/dovecot/dovecot.conf"
		kv LAB_DOVECOT_LOG "$DIR/log/dovecot.log"
		kv LAB_POSTFIX_PID "$(postfix_pid)"
		kv LAB_DOVECOT_PID "$(dovecot_pid)"
		unset -f kv
	} >"$f"
	chmod 600 "$f"
	mv -f "$f" "$DIR/lab.env"
}

# ------------------------------------------------------------- commands

UP_DONE=0
up_cleanup() {
	(( UP_DONE )) && return 0
	set +e
	warn "up failed; stopping whatever was started"
	stop_all
}

cmd_up() {
	local t0 fn name var kind expect close port line left p seen=

	t0=$(date +%s%N)
	fn=variant_${VARIANT//-/_}
	declare -F "$fn" >/dev/null ||
	    { warn "unknown variant '$VARIANT' (have: $(variant_names | paste -sd' '))"; exit 2; }
	need_packages

	# A lab already in DIR is stopped and wiped; anything else is kept.
	if [[ -e $DIR ]]; then
		if [[ -e $DIR/$LAB_MARKER ]]; then
			stop_all
			rm -rf --one-file-system -- "$DIR"
		elif [[ -d $DIR && -z $(ls -A "$DIR") ]]; then
			rmdir -- "$DIR"
		else
			die "$DIR exists and is not a mail lab (no $LAB_MARKER); refusing to wipe it"
		fi
	fi

	for var in LAB_SMTP_PORT LAB_SUBMISSION_PORT LAB_SMTPS_PORT \
	    LAB_LMTP_PORT LAB_IMAP_PORT LAB_IMAPS_PORT LAB_POP3_PORT \
	    LAB_POP3S_PORT LAB_RELAY_PORT; do
		port=${!var}
		if ! [[ $port =~ ^[0-9]+$ ]] || (( port < 1 || port > 65535 )); then
			warn "$var=$port is not a port number"
			exit 2
		fi
		[[ " $seen " == *" $port "* ]] &&
		    { warn "$var=$port: port given twice"; exit 2; }
		seen+=" $port"
		[[ $var == LAB_RELAY_PORT ]] && continue
		port_busy "$port" &&
		    die "port $port ($var) is already in use; stop the other lab or set $var"
	done

	mkdir -p "$DIR"
	chmod 755 "$DIR"
	touch "$DIR/$LAB_MARKER"
	# The servers' unprivileged users must reach their files in DIR.
	if ! setpriv --reuid=mail --regid=mail --clear-groups test -x "$DIR" 2>/dev/null; then
		rm -rf --one-file-system -- "$DIR"
		die "$DIR is not reachable by the unprivileged mail users (a parent directory is not world-searchable, e.g. /root); use a directory such as /tmp/mailvet-lab"
	fi
	mkdir -p "$DIR/ca" "$DIR/postfix" "$DIR/dovecot" "$DIR/log" \
	    "$DIR/run" "$DIR/lib" "$DIR/spool" "$DIR/mail/$DOMAIN"
	chmod 755 "$DIR/run"
	INSTANCE=$(printf '%s' "$DIR" | cksum | cut -d' ' -f1)
	: >"$DIR/log/lab.log"

	set_defaults
	"$fn"
	make_certs
	make_users
	write_dovecot
	write_postfix
	# From here on, any way out (error, signal, closed stderr) stops the
	# servers again.
	trap up_cleanup EXIT
	trap 'exit 1' INT TERM HUP
	trap '' PIPE

	# Dovecot first: Postfix delivers and authenticates through it.
	if ! dovecot -c "$DIR/dovecot/dovecot.conf" >>"$DIR/log/lab.log" 2>&1; then
		warn "dovecot did not start"
		show_logs "$DIR/log/lab.log" "$DIR/log/dovecot.log"
		exit 1
	fi
	if ! postfix -c "$DIR/postfix" start >>"$DIR/log/lab.log" 2>&1; then
		warn "postfix did not start"
		show_logs "$DIR/log/lab.log" "$DIR/log/postfix.log"
		exit 1
	fi

	# Every port must give its real greeting.
	left=$(listeners)
	local deadline=$(( SECONDS + LAB_START_TIMEOUT ))
	while (( SECONDS < deadline )); do
		local still=
		while IFS=: read -r name var kind expect close; do
			[[ -z $name ]] && continue
			if ! line=$(greet "$kind" "${!var}" "$expect" "$close"); then
				still+="$name:$var:$kind:$expect:$close"$'\n'
			fi
		done <<<"$left"
		left=$still
		[[ -z $left ]] && break
		for p in postfix dovecot; do
			if [[ -z $("${p}_pid") ]]; then
				warn "$p exited during start-up"
				show_logs "$DIR/log/lab.log" "$DIR/log/$p.log"
				exit 1
			fi
		done
		# A daemon that dies on every connection never greets: do not
		# wait for the timeout when the log already says why.
		if grep -qE ' (fatal|panic): ' "$DIR/log/postfix.log" 2>/dev/null ||
		    grep -qE ' (Fatal|Panic): ' "$DIR/log/dovecot.log" 2>/dev/null; then
			warn "a server reported a fatal error during start-up"
			show_logs "$DIR/log/postfix.log" "$DIR/log/dovecot.log"
			exit 1
		fi
		sleep 0.1
	done
	if [[ -n $left ]]; then
		warn "no greeting within ${LAB_START_TIMEOUT}s on:"
		while IFS=: read -r name var kind expect close; do
			[[ -n $name ]] &&
			    warn "  $name 127.0.0.1:${!var} (expected \"$expect\")"
		done <<<"$left"
		show_logs "$DIR/log/lab.log" "$DIR/log/postfix.log" \
		    "$DIR/log/dovecot.log"
		exit 1
	fi

	write_env
	cp "$DIR/lab.env" "$DIR/lab.state"
	UP_DONE=1
	trap - EXIT
	say "lab up in $(( ($(date +%s%N) - t0) / 1000000 )) ms: variant $VARIANT, env in $DIR/lab.env"
}

cmd_down() {
	local t0 p
	t0=$(date +%s%N)
	if [[ ! -d $DIR ]]; then
		say "nothing at $DIR"
		return 0
	fi
	[[ -e $DIR/$LAB_MARKER ]] ||
	    die "$DIR is not a mail lab (no $LAB_MARKER)"
	mkdir -p "$DIR/log"
	stop_all
	rm -f "$DIR/lab.env"	# its presence means "lab is up"
	p="$(postfix_pid)$(dovecot_pid)"
	[[ -z $p ]] || die "still running: $p"
	if (( CLEAN )); then
		rm -rf --one-file-system -- "$DIR"
		say "lab stopped and $DIR removed"
	else
		say "lab stopped in $(( ($(date +%s%N) - t0) / 1000000 )) ms (logs in $DIR/log)"
	fi
}

cmd_status() {
	local pp dp name var kind expect close line rc variant=""
	if [[ ! -e $DIR/$LAB_MARKER ]]; then
		say "no lab at $DIR"
		return 3
	fi
	if [[ -r $DIR/lab.state ]]; then
		variant=$(sed -n 's/^LAB_VARIANT=//p' "$DIR/lab.state")
		# Ports as the lab was started, not as the environment says now.
		# shellcheck disable=SC1091
		eval "$(grep -E '^LAB_[A-Z0-9]+_PORT=' "$DIR/lab.state")"
	fi
	pp=$(postfix_pid)
	dp=$(dovecot_pid)
	echo "lab $DIR (variant ${variant:-unknown})"
	if [[ -n $pp ]]; then
		echo "postfix: running, master pid $pp (postfix -c $DIR/postfix)"
	else
		echo "postfix: not running"
	fi
	if [[ -n $dp ]]; then
		echo "dovecot: running, master pid $dp (dovecot -c $DIR/dovecot/dovecot.conf)"
	else
		echo "dovecot: not running"
	fi
	if [[ -n $pp || -n $dp ]]; then
		while IFS=: read -r name var kind expect close; do
			if line=$(greet "$kind" "${!var}" "$expect" "$close"); then
				printf '  %-10s 127.0.0.1:%-5s %s\n' "$name" "${!var}" "$line"
			else
				printf '  %-10s 127.0.0.1:%-5s NOT ANSWERING %s\n' \
				    "$name" "${!var}" "$line"
			fi
		done < <(listeners)
	fi
	if [[ -n $pp && -n $dp ]]; then rc=0
	elif [[ -n $pp || -n $dp ]]; then rc=1
	else rc=3
	fi
	return $rc
}

# ------------------------------------------------------------- main

CMD=${1-}
[[ -n $CMD ]] || usage
shift
DIR=
VARIANT=default
CLEAN=0
while (( $# )); do
	case $1 in
	--dir) [[ $# -ge 2 ]] || usage; DIR=$2; shift 2 ;;
	--dir=*) DIR=${1#*=}; shift ;;
	--variant) [[ $# -ge 2 ]] || usage; VARIANT=$2; shift 2 ;;
	--variant=*) VARIANT=${1#*=}; shift ;;
	--clean) CLEAN=1; shift ;;
	-h|--help) usage ;;
	*) warn "unknown argument: $1"; usage ;;
	esac
done

case $CMD in
variants) variant_names; exit 0 ;;
up|down|status) ;;
-h|--help|help) usage ;;
*) warn "unknown command: $CMD"; usage ;;
esac

[[ -n $DIR ]] || { warn "--dir DIR is required"; usage; }
DIR=$(realpath -m -- "$DIR")
[[ $DIR =~ ^/[A-Za-z0-9_./+-]*$ ]] ||
    { warn "--dir must be a path without spaces or special characters: $DIR"; exit 2; }
[[ $DIR != / ]] || { warn "--dir / is not allowed"; exit 2; }
[[ $(id -u) -eq 0 ]] || { warn "must run as root (Postfix and Dovecot switch users)"; exit 2; }

case $CMD in
up) cmd_up ;;
down) cmd_down ;;
status) rc=0; cmd_status || rc=$?; exit "$rc" ;;
esac
