#!/usr/bin/env bash
# log-vs-pflogsumm.sh - `mailvet log` against pflogsumm on the same
# large generated mail log, in one run on one machine; prints lines per
# second of each, the ratio (target: mailvet >= 20x pflogsumm) and
# mailvet's peak RSS.  See bench/README.md, section "log".
#
# usage: bench/log-vs-pflogsumm.sh [--lines N] [--mailvet PATH]
#            [--pflogsumm PATH] [--keep DIR]
# Default: 1000000 lines, build/mailvet, /usr/sbin/pflogsumm.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
lines=1000000
mailvet=$here/../build/mailvet
pflogsumm=/usr/sbin/pflogsumm
keep=

while [[ $# -gt 0 ]]; do
	case $1 in
	--lines) lines=$2; shift 2 ;;
	--mailvet) mailvet=$2; shift 2 ;;
	--pflogsumm) pflogsumm=$2; shift 2 ;;
	--keep) keep=$2; shift 2 ;;
	-h|--help) sed -n '2,9p' "$0"; exit 0 ;;
	*) echo "log-vs-pflogsumm: unknown argument $1" >&2; exit 2 ;;
	esac
done
[[ $lines =~ ^[0-9]+$ && $lines -ge 1000 ]] ||
	{ echo "log-vs-pflogsumm: --lines takes a number >= 1000" >&2; exit 2; }
[[ -x $mailvet ]] || { echo "log-vs-pflogsumm: no $mailvet (build first)" >&2; exit 2; }
[[ -x $pflogsumm ]] || { echo "log-vs-pflogsumm: no $pflogsumm (apt-get install pflogsumm)" >&2; exit 2; }

dir=${keep:-$(mktemp -d /tmp/mailvet-logbench.XXXXXX)}
mkdir -p "$dir"
[[ -n $keep ]] || trap 'rm -rf "$dir"' EXIT
log=$dir/maillog

# A realistic mix: most messages received over smtpd (a third with TLS,
# some authenticated), delivered over LMTP to Dovecot (which logs the
# save) or relayed with smtp; some deferred then delivered, some
# bounced with a notice, NOQUEUE rejects, IMAP/POP3 logins and failed
# logins, and a few lines of other programs.
python3 - "$log" "$lines" <<'PY'
import random, sys
path, want = sys.argv[1], int(sys.argv[2])
rnd = random.Random(7)
users = ["user%d@example.org" % i for i in range(500)]
senders = ["sender%d@%s" % (i, d) for i in range(300) for d in
           ("gmail.example", "corp.example", "news.example")]
remote = ["rcpt%d@%s" % (i, d) for i in range(200) for d in
          ("far.example", "other.example")]
out = open(path, "w", buffering=1 << 20)
n = 0
t = 1700000000
sec = 0
qseq = 0x10000
def ts():
    s = t + sec
    import time
    return time.strftime("%b %d %H:%M:%S", time.gmtime(s))
def w(prog, msg):
    global n
    out.write("%s mail %s: %s\n" % (ts(), prog, msg))
    n += 1
while n < want:
    sec += rnd.randint(0, 1)
    stamp = ts()
    kind = rnd.random()
    pid = rnd.randint(1000, 60000)
    ip = "192.0.2.%d" % rnd.randint(1, 254)
    if kind < 0.08:
        w("postfix/smtpd[%d]" % pid, "connect from unknown[%s]" % ip)
        w("postfix/smtpd[%d]" % pid, "NOQUEUE: reject: RCPT from unknown[%s]: 550 5.1.1 <nobody%d@example.org>: Recipient address rejected: User unknown in virtual mailbox table; from=<%s> to=<nobody%d@example.org> proto=ESMTP helo=<spam.example>" % (ip, rnd.randint(1, 99), rnd.choice(senders), rnd.randint(1, 99)))
        w("postfix/smtpd[%d]" % pid, "disconnect from unknown[%s] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4" % ip)
        continue
    if kind < 0.16:
        sess = "%08x" % rnd.getrandbits(32)
        proto = rnd.choice(["imap", "pop3"])
        u = rnd.choice(users)
        if rnd.random() < 0.3:
            w("dovecot", "auth: passwd-file(%s,%s,<%s>): Password mismatch" % (u, ip, sess))
            w("dovecot", "%s-login: Disconnected: Aborted login by logging out (auth failed, 1 attempts in 2 secs): user=<%s>, method=PLAIN, rip=%s, lip=198.51.100.1, TLS, session=<%s>" % (proto, u, ip, sess))
        else:
            w("dovecot", "%s-login: Login: user=<%s>, method=PLAIN, rip=%s, lip=198.51.100.1, mpid=%d, TLS, session=<%s>" % (proto, u, ip, pid, sess))
            if proto == "pop3":
                w("dovecot", "pop3(%s)<%d><%s>: Disconnected: Logged out top=0/0, retr=1/519, del=0/3, size=1451" % (u, pid, sess))
            else:
                w("dovecot", "imap(%s)<%d><%s>: Disconnected: Logged out in=108 out=907 deleted=0 expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 body_count=0 body_bytes=0" % (u, pid, sess))
        continue
    if kind < 0.18:
        w("kernel", "[%d.123456] eth0: link up" % sec)
        w("CRON[%d]" % pid, "(root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)")
        continue
    qseq += 1
    qid = "%X%05X" % (qseq, rnd.getrandbits(20))
    frm = rnd.choice(senders)
    msgid = "<%d.%s@%s>" % (sec, qid, frm.split("@")[1])
    tls = rnd.random() < 0.35
    auth = rnd.random() < 0.1
    svc = "postfix/submission/smtpd" if auth else "postfix/smtpd"
    w("%s[%d]" % (svc, pid), "connect from unknown[%s]" % ip)
    if tls:
        w("%s[%d]" % (svc, pid), "Anonymous TLS connection established from unknown[%s]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256" % ip)
    w("%s[%d]" % (svc, pid), "%s: client=unknown[%s]%s" % (qid, ip, ", sasl_method=PLAIN, sasl_username=%s" % frm if auth else ""))
    w("postfix/cleanup[%d]" % (pid + 1), "%s: message-id=%s" % (qid, msgid))
    size = rnd.randint(400, 90000)
    local = rnd.random() < 0.7
    to = rnd.choice(users) if local else rnd.choice(remote)
    w("postfix/qmgr[999]", "%s: from=<%s>, size=%d, nrcpt=1 (queue active)" % (qid, frm, size))
    w("%s[%d]" % (svc, pid), "disconnect from unknown[%s] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5" % ip)
    d = rnd.random()
    if local:
        sess = "%016x" % rnd.getrandbits(64)
        w("dovecot", "lmtp(%s)<%d><%s>: msgid=%s: saved mail to INBOX" % (to, pid + 2, sess, msgid))
        w("postfix/lmtp[%d]" % (pid + 3), "%s: to=<%s>, relay=mail.example.org[private/dovecot-lmtp], delay=0.%02d, delays=0.01/0/0/0.%02d, dsn=2.0.0, status=sent (250 2.0.0 <%s> %s Saved)" % (qid, to, rnd.randint(1, 99), rnd.randint(1, 9), to, sess))
    elif d < 0.1:
        w("postfix/smtp[%d]" % (pid + 3), "%s: to=<%s>, relay=none, delay=%d, delays=0.01/0/%d/0, dsn=4.4.1, status=deferred (connect to mx.%s[203.0.113.5]:25: Connection timed out)" % (qid, to, 30, 30, to.split("@")[1]))
        sec += 1
        w("postfix/qmgr[999]", "%s: from=<%s>, size=%d, nrcpt=1 (queue active)" % (qid, frm, size))
        w("postfix/smtp[%d]" % (pid + 3), "%s: to=<%s>, relay=mx.%s[203.0.113.5]:25, delay=%d, delays=30/1/0.2/0.3, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4XyZ)" % (qid, to, to.split("@")[1], 62))
    elif d < 0.15:
        w("postfix/smtp[%d]" % (pid + 3), "%s: to=<%s>, relay=mx.%s[203.0.113.5]:25, delay=1.2, delays=0.01/0/0.5/0.7, dsn=5.1.1, status=bounced (host mx.%s[203.0.113.5] said: 550 5.1.1 <%s>: Recipient address rejected: User unknown (in reply to RCPT TO command))" % (qid, to, to.split("@")[1], to.split("@")[1], to))
        qseq += 1
        nq = "%X%05X" % (qseq, rnd.getrandbits(20))
        w("postfix/cleanup[%d]" % (pid + 1), "%s: message-id=<%d.%s@mail.example.org>" % (nq, sec, nq))
        w("postfix/bounce[%d]" % (pid + 4), "%s: sender non-delivery notification: %s" % (qid, nq))
        w("postfix/qmgr[999]", "%s: from=<>, size=2400, nrcpt=1 (queue active)" % nq)
        w("postfix/smtp[%d]" % (pid + 3), "%s: to=<%s>, relay=mx.%s[203.0.113.9]:25, delay=0.3, delays=0/0/0.1/0.2, dsn=2.0.0, status=sent (250 ok)" % (nq, frm, frm.split("@")[1]))
        w("postfix/qmgr[999]", "%s: removed" % nq)
    else:
        w("postfix/smtp[%d]" % (pid + 3), "%s: to=<%s>, relay=mx.%s[203.0.113.5]:25, delay=0.%d, delays=0.01/0/0.1/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4XyZ)" % (qid, to, to.split("@")[1], rnd.randint(1, 9)))
    w("postfix/qmgr[999]", "%s: removed" % qid)
out.close()
PY
n=$(wc -l <"$log")
size=$(du -m "$log" | cut -f1)
echo "log: $n lines, ${size} MiB ($log)"

# Timed in one Python process: wall and CPU time of each child.  The
# machine may be shared, so mailvet (fast, noisy) runs three times and
# the best run counts; pflogsumm runs once.  The ratio is given for
# wall time and for CPU time (user + system), the steadier of the two.
cat "$log" >/dev/null
python3 - "$n" "$mailvet" "$pflogsumm" "$log" "$dir" <<'PY'
import os, resource, subprocess, sys, time
n, mailvet, pflogsumm, log, d = int(sys.argv[1]), *sys.argv[2:]

def timed(argv, out):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    with open(out, "w") as f:
        p = subprocess.Popen(argv, stdout=f, stderr=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("log-vs-pflogsumm: %s failed" % argv[0])
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss

runs = [timed([mailvet, "log", log], d + "/mailvet.out") for _ in range(3)]
mv_wall = min(r[0] for r in runs)
mv_cpu = min(r[1] for r in runs)
mv_rss = max(r[2] for r in runs)
pf_wall, pf_cpu, _ = timed(["perl", pflogsumm, log], d + "/pflogsumm.out")
print("mailvet log: %.3f s wall, %.3f s CPU, %.0f lines/s, peak RSS %.1f MiB"
      % (mv_wall, mv_cpu, n / mv_wall, mv_rss / 1024))
print("pflogsumm:   %.3f s wall, %.3f s CPU, %.0f lines/s"
      % (pf_wall, pf_cpu, n / pf_wall))
print("ratio: mailvet is %.1fx pflogsumm by wall time, %.1fx by CPU time "
      "(target >= 20x)" % (pf_wall / mv_wall, pf_cpu / max(mv_cpu, 1e-3)))
PY
# The two must agree on what they counted.
grep -E '^ +[0-9]+ +(received|delivered|deferred|bounced|rejected)' "$dir/pflogsumm.out" | head -6 | sed 's/^/pflogsumm: /'
grep -E '^ +[0-9]+ (received|delivered|deferred|bounced|rejected)' "$dir/mailvet.out" | sed 's/^/mailvet:   /'
