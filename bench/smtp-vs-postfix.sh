#!/usr/bin/env bash
# smtp-vs-postfix.sh - mailvet bench and mailvet sink side by side with
# Postfix's smtp-source and smtp-sink (and postal when installed), in
# one run on this machine, on 127.0.0.1: messages per second (wall
# clock), sender CPU (user+sys) per message, and the ratios the issue
# sets as targets:
#
#   bench -> smtp-sink, reused connections:  >= 2.5x smtp-source msg/s,
#                                            <= 1/6 of its CPU/message
#   bench -> smtp-sink, new connection each: >= 1.4x smtp-source msg/s
#   smtp-source (and bench) -> mailvet sink: >= 2x smtp-sink msg/s
#
# Every case is bounded (messages and a 60 s timeout).  Messages have a
# 1024-byte body (smtp-source -l 1024, bench --size 1k), 10 sessions.
# Rates are from the messages really counted (smtp-sink -c, mailvet
# bench's JSON, mailvet sink's JSON) over a nanosecond wall clock; when
# the sender's, the sink's and the requested counts disagree a MISMATCH
# line is printed and the script exits 1.
#
# usage: bench/smtp-vs-postfix.sh [path/to/mailvet]
#   N=200000 NC=20000 (messages: reused / new connections) THREADS=1
set -u

MAILVET=${1:-${MAILVET:-$(dirname "$0")/../build/mailvet}}
N=${N:-200000}
NC=${NC:-20000}
SESSIONS=${SESSIONS:-10}
THREADS=${THREADS:-1}
SMTP_SOURCE=${SMTP_SOURCE:-/usr/sbin/smtp-source}
SMTP_SINK=${SMTP_SINK:-/usr/sbin/smtp-sink}
POSTAL=${POSTAL:-$(command -v postal || true)}
LIMIT=60
TICK=$(getconf CLK_TCK)
WORK=$(mktemp -d /tmp/smtp-vs-postfix.XXXXXX)
SINK_PID=
SINK_SIG=TERM
FAIL=0
trap 'stop_sink; rm -rf "$WORK"' EXIT

for x in "$MAILVET" "$SMTP_SOURCE" "$SMTP_SINK"; do
	[ -x "$x" ] || { echo "missing: $x" >&2; exit 2; }
done
RUNAS=()
[ "$(id -u)" = 0 ] && RUNAS=(-u nobody)

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# CPU seconds (user+sys) a live process has used so far.
proc_cpu() {
	awk -v t="$TICK" '{ printf "%.3f", ($14 + $15) / t }' "/proc/$1/stat"
}

start_smtp_sink() {
	PORT=$(free_port)
	SINK_KIND=smtp-sink
	"$SMTP_SINK" "${RUNAS[@]}" -c "$@" 127.0.0.1:"$PORT" 1000 \
	    >"$WORK/sink.out" 2>&1 &
	SINK_PID=$!
	SINK_SIG=TERM
	for _ in $(seq 50); do
		(exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break
		sleep 0.1
	done
}

start_mailvet_sink() {
	rm -f "$WORK/ready"
	"$MAILVET" sink --listen 127.0.0.1:0 --ready-file "$WORK/ready" \
	    --json >"$WORK/sink.json" 2>"$WORK/sink.err" &
	SINK_PID=$!
	SINK_SIG=INT
	SINK_KIND=mailvet
	for _ in $(seq 100); do
		[ -s "$WORK/ready" ] && break
		sleep 0.05
	done
	PORT=$(head -1 "$WORK/ready" | sed 's/.*://')
}

stop_sink() {
	if [ -n "$SINK_PID" ]; then
		kill -"$SINK_SIG" "$SINK_PID" 2>/dev/null
		wait "$SINK_PID" 2>/dev/null
		SINK_PID=
	fi
}

# smtp-sink -c's message counter so far (its last "mesg=N"); once it
# stops moving, so that a count read right after a run is final.
smtp_sink_count() {
	local a b=-1
	for _ in $(seq 50); do
		a=$(tr '\r' '\n' <"$WORK/sink.out" | grep -o 'mesg=[0-9]*' |
		    tail -1 | cut -d= -f2)
		a=${a:-0}
		[ "$a" = "$b" ] && break
		b=$a
		sleep 0.1
	done
	echo "$a"
}

mismatch() {
	echo "MISMATCH: $*"
	FAIL=1
}

# run NAME MESSAGES cmd...: wall time and CPU of cmd, CPU of the sink,
# and the messages counted by the sender (mailvet bench) and by the
# sink (smtp-sink; mailvet sink's total is checked when it stops).
# Sets RATE (msg/s, of messages counted) and CPU_US (sender CPU us per
# counted message).
run() {
	local name=$1 n=$2; shift 2
	local s0 s1 wall user sys c0=0 c1=0 t0 t1 sent=- sunk=- done=$n
	[ "$SINK_KIND" = smtp-sink ] && c0=$(smtp_sink_count)
	s0=$(proc_cpu "$SINK_PID")
	t0=$(date +%s%N)
	/usr/bin/time -f "%e %U %S" -o "$WORK/time" \
	    timeout "$LIMIT" "$@" >"$WORK/out" 2>&1
	local rc=$?
	t1=$(date +%s%N)
	s1=$(proc_cpu "$SINK_PID")
	read -r wall user sys <"$WORK/time"
	wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", (b - a) / 1e9 }')
	if [ "$1" = "$MAILVET" ]; then
		sent=$(python3 -c 'import json, sys
try:
    print(json.load(open(sys.argv[1]))["bench"]["messages"]["accepted"])
except Exception:
    print(-1)' "$WORK/out")
		[ "$sent" = "$n" ] || mismatch "$name: bench says $sent" \
		    "accepted, $n asked"
		done=$sent
		[ "$SINK_KIND" = mailvet ] && MV_SENT=$((MV_SENT + sent))
	else
		[ "$SINK_KIND" = mailvet ] && MV_SENT=$((MV_SENT + n))
	fi
	if [ "$SINK_KIND" = smtp-sink ]; then
		c1=$(smtp_sink_count)
		sunk=$((c1 - c0))
		[ "$sunk" = "$n" ] || mismatch "$name: smtp-sink counted" \
		    "$sunk, $n asked, sender said $sent"
		done=$sunk
	fi
	[ "$done" -gt 0 ] 2>/dev/null || done=0
	RATE=$(awk -v n="$done" -v w="$wall" 'BEGIN { printf "%.0f", n / w }')
	CPU_US=$(awk -v n="$done" -v u="$user" -v s="$sys" \
	    'BEGIN { printf "%.1f", n ? (u + s) * 1e6 / n : 0 }')
	SINK_US=$(awk -v n="$done" -v a="$s0" -v b="$s1" \
	    'BEGIN { printf "%.1f", n ? (b - a) * 1e6 / n : 0 }')
	printf "%-46s %8s msg/s  sender %6s us/msg  server %6s us/msg" \
	    "$name" "$RATE" "$CPU_US" "$SINK_US"
	printf "  (sent %s sunk %s of %s in %.3f s)%s\n" "$sent" "$sunk" \
	    "$n" "$wall" "$([ $rc = 0 ] || echo "  (exit $rc)")"
	[ $rc = 0 ] || mismatch "$name: exit $rc"
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'
}

verdict() { # value op target
	awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN {
		ok = op == ">=" ? v >= t : v <= t
		print ok ? "met" : "NOT met" }'
}

BENCH=("$MAILVET" bench --sessions "$SESSIONS" --threads "$THREADS"
    --size 1024 --tls off --json --to bench@example.org)

echo "machine: $(nproc) CPUs, $(uname -sr); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$("$MAILVET" --version | head -1); $N messages reused, $NC new connections"
echo

echo "== (1)(2) reused connections, -> Postfix smtp-sink"
start_smtp_sink
run "smtp-source -s $SESSIONS -d -> smtp-sink" "$N" \
    "$SMTP_SOURCE" -s "$SESSIONS" -m "$N" -l 1024 -d 127.0.0.1:"$PORT"
SRC_RATE=$RATE SRC_CPU=$CPU_US
run "mailvet bench --pipelining -> smtp-sink" "$N" \
    "${BENCH[@]}" --messages "$N" --pipelining smtp://127.0.0.1:"$PORT"
B_RATE=$RATE B_CPU=$CPU_US
run "mailvet bench (no pipelining) -> smtp-sink" "$N" \
    "${BENCH[@]}" --messages "$N" smtp://127.0.0.1:"$PORT"
stop_sink
echo

echo "== (3) a new connection per message, -> Postfix smtp-sink"
start_smtp_sink
run "smtp-source -s $SESSIONS -> smtp-sink" "$NC" \
    "$SMTP_SOURCE" -s "$SESSIONS" -m "$NC" -l 1024 127.0.0.1:"$PORT"
SRCN_RATE=$RATE
run "mailvet bench --messages-per-connection 1" "$NC" \
    "${BENCH[@]}" --messages "$NC" --messages-per-connection 1 \
    --pipelining smtp://127.0.0.1:"$PORT"
BN_RATE=$RATE
stop_sink
echo

echo "== (4) the sinks: the same clients -> mailvet sink"
MV_SENT=0
start_mailvet_sink
run "smtp-source -s $SESSIONS -d -> mailvet sink" "$N" \
    "$SMTP_SOURCE" -s "$SESSIONS" -m "$N" -l 1024 -d 127.0.0.1:"$PORT"
SRC_MV_RATE=$RATE
run "mailvet bench --pipelining -> mailvet sink" "$N" \
    "${BENCH[@]}" --messages "$N" --pipelining smtp://127.0.0.1:"$PORT"
B_MV_RATE=$RATE
stop_sink
python3 -c 'import json, sys
d = json.loads([l for l in open(sys.argv[1]) if l.startswith("{")][-1])
v = d["verify"]
print("   mailvet sink: %d messages accepted, %d bench ids intact, "
      "%d duplicate, %d corrupt" % (d["messages"]["accepted"], v["ok"],
      v["duplicate"], v["corrupt"]))' "$WORK/sink.json"
MV_SUNK=$(python3 -c 'import json, sys
try:
    print([json.loads(l) for l in open(sys.argv[1])
           if l.startswith("{")][-1]["messages"]["accepted"])
except Exception:
    print(-1)' "$WORK/sink.json")
[ "$MV_SUNK" = "$MV_SENT" ] || mismatch "mailvet sink accepted $MV_SUNK," \
    "the clients sent $MV_SENT"
echo

if [ -n "$POSTAL" ]; then
	echo "== (5) postal -> smtp-sink (10 s; counted by smtp-sink -c)"
	start_smtp_sink
	echo "bench@example.org" >"$WORK/users"
	# postal writes postal.log where it runs.
	(cd "$WORK" && timeout 10 "$POSTAL" -t "$SESSIONS" -c 1000 -m 1 \
	    -M 1 -s 0 -p "$PORT" 127.0.0.1 "$WORK/users" >"$WORK/postal" \
	    2>&1)
	POSTAL_N=$(smtp_sink_count)
	stop_sink
	if [ "${POSTAL_N:-0}" -gt 0 ]; then
		awk -v n="$POSTAL_N" 'BEGIN { printf "postal: %d messages " \
		    "in 10 s (%.1f msg/s)\n", n, n / 10 }'
	else
		mismatch "postal: no message counted by smtp-sink" \
		    "(postal output: $(head -c 300 "$WORK/postal" | tr '\n' ' '))"
	fi
	echo
fi

echo "== targets"
R1=$(ratio "$B_RATE" "$SRC_RATE")
C1=$(ratio "$B_CPU" "$SRC_CPU")
R3=$(ratio "$BN_RATE" "$SRCN_RATE")
R4=$(ratio "$SRC_MV_RATE" "$SRC_RATE")
R5=$(ratio "$B_MV_RATE" "$B_RATE")
printf "bench/smtp-source msg/s, reused:        %5sx  (>= 2.5x: %s)\n" \
    "$R1" "$(verdict "$R1" ">=" 2.5)"
printf "bench/smtp-source CPU per msg, reused:  %5s   (<= 0.167: %s)\n" \
    "$C1" "$(verdict "$C1" "<=" 0.1667)"
printf "bench/smtp-source msg/s, new conn:      %5sx  (>= 1.4x: %s)\n" \
    "$R3" "$(verdict "$R3" ">=" 1.4)"
printf "mailvet sink/smtp-sink, smtp-source:    %5sx  (>= 2x: %s)\n" \
    "$R4" "$(verdict "$R4" ">=" 2)"
printf "mailvet sink/smtp-sink, mailvet bench:  %5sx  (>= 2x: %s)\n" \
    "$R5" "$(verdict "$R5" ">=" 2)"
if [ "$FAIL" != 0 ]; then
	echo "MISMATCH: counts disagree (see above): these rates are not valid"
	exit 1
fi
