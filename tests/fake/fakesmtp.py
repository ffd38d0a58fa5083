#!/usr/bin/env python3
"""fakesmtp - a scripted fake mail server for mailvet's hostile-server tests.

Real servers (Postfix, Dovecot) are tested in the lab; this program plays
the conversations they will not produce: replies split one byte per
segment, megabyte lines, endless multi-line replies, stalls, disconnects
in the middle of a reply, junk instead of a reply code, bare-LF line ends,
plaintext sent right after STARTTLS.  Standard library only (Debian's
python3), no third-party modules.

Usage
-----
  fakesmtp.py (--scenario NAME | --script FILE) [--port-file F] [--log F]
              [--port N] [--host 127.0.0.1|::1] [--max-conns N] [--parallel]
              [--lifetime SECONDS] [--cert PEM --key PEM] [--weak-tls]
              [--check]
  fakesmtp.py --list

  --scenario NAME   run tests/fake/scenarios/NAME.fake (see --list)
  --script FILE     run a script file written in the language below
  --host            127.0.0.1 (default) or ::1; nothing else is accepted,
                    the fake never listens beyond loopback
  --port N          port to listen on; 0 (default) picks a free one
  --port-file F     once listening, write the port number to F (written to
                    a temporary name and renamed, so a reader never sees a
                    half-written file)
  --log F           record the conversation to F ("-" for stderr), see below
  --max-conns N     serve N connections, then exit (default 1; 0 = until
                    the lifetime ends)
  --parallel        serve connections concurrently, one thread each
                    (default: one after the other)
  --lifetime S      exit after S seconds whatever happens (default 60), so
                    a forgotten fake can never linger
  --cert/--key      PEM certificate and key for the `starttls` step
  --weak-tls        serve weak certificates (small keys, SHA-1) and accept
                    TLS 1.0 and 1.1: OpenSSL security level 0
  --check           parse the script, report errors, and exit
SIGTERM and SIGINT end the program at once.  Exit status: 0, or 1 when a
script expectation failed (a "!:" line in the log), or 2 for a usage or
script error.  A Python traceback on stderr is always a bug in this file.

The log
-------
One line per event, flushed as it is written:
  C: <text>   one line the client sent, line end removed.  Bytes outside
              printable ASCII appear as \\xHH (\\r, \\n and \\t as such).
              A line that ended in a bare LF is marked " [bare LF]", a fragment
              without any line end " [no line end]"; very long lines are
              shortened and their size given.
  S: <text>   one line the server sent (same notation), or a server action
              in brackets: [sleep 2], [close], [starttls], ...
  *: <text>   an event: listening, connection accepted/ended, TLS details,
              and with `log-segments` the size of every read from the socket
  !: <text>   a script expectation that failed (wrong command, plaintext
              after STARTTLS); it ends the connection
With --parallel every line starts with "[N] ", N the connection number.

The script language
-------------------
One step per line; blank lines and lines starting with "#" are ignored.
A step is a command, one space, and its argument.  TEXT arguments take
escapes: \\r \\n \\t \\0 \\e (ESC) \\\\ and \\xHH, and \\T (capital T) for the
current tag (below); nothing else is special and no line end is added
unless the command says so.  Other characters are sent as UTF-8.

Tags (for IMAP, where the client starts each command with a tag the
server's final answer must repeat): the first word of every client line
that an expect or answer-each step (tagged or not) reads becomes the
current tag, "" before any.  \\T in a TEXT is replaced by it when the step
runs; reply-tagged and the -tagged matching steps below use it too.

  reply TEXT            queue TEXT followed by CRLF
  send TEXT             queue TEXT as it is (use \\r\\n yourself)
  flush                 write the queued output now
  send-bytewise TEXT    write TEXT one byte per TCP segment (TCP_NODELAY is
                        always on; 1 ms pause between bytes)
  send-repeat TEXT N    write TEXT N times in a row (in 64 KB writes)
  send-forever TEXT     write TEXT again and again until the client goes
                        away or stops reading
  expect PREFIX         read one client line; it must start with PREFIX
                        (case-insensitive; "A|B" accepts either; an empty
                        PREFIX accepts any line).  Otherwise "!:" is logged
                        and the connection ends.
  answer-each PREFIX TEXT
                        while the next client line starts with PREFIX (no
                        spaces; "A|B" alternatives), read it and queue TEXT
                        (escapes, no CRLF added).  Zero matches is fine; a
                        line that does not match is kept for the next step.
  expect-tagged PREFIX  like expect, but PREFIX is matched against what
                        follows the line's first word (its tag) and one
                        space: "a1 LOGIN u p" matches "LOGIN"
  answer-each-tagged PREFIX TEXT
                        like answer-each, matching after the tag; TEXT
                        is queued once per line, \\T being that line's tag
  reply-tagged TEXT     queue the current tag, a space, TEXT and CRLF
                        (the same as: reply \\T TEXT)
  read-until-dot        read a DATA body up to the line "." (CRLF.CRLF)
  sleep SECONDS         pause; meanwhile a client disconnect ends the
                        connection and client data is kept for later steps
  timeout SECONDS       how long reads wait for the client (default 30)
  starttls              start TLS as the server (needs --cert/--key); as the
                        first step it gives an implicit-TLS (smtps) server.
                        Plaintext the client sent beyond the STARTTLS line
                        is logged, flagged with "!:" and discarded.
  starttls-keep         like starttls, but plaintext the client sent beyond
                        the STARTTLS line is kept and read by the next steps
                        as if it had come inside TLS: the STARTTLS
                        command-injection bug (CVE-2011-0411) on purpose
  close                 end the connection (FIN), after a short drain of
                        what the client still sends; steps after it are
                        not run.  The end of the script closes the same way.
  reset                 end the connection with a TCP RST
  log-segments          from now on log "*: read N bytes" for every read,
                        which shows how the client split its writes (for
                        checking pipelining)

Queued output is written whenever the script would wait for the client
(`expect`, `answer-each`, their -tagged forms, `read-until-dot` with no
complete line buffered), before `sleep`, `send-*`, `starttls` and
`close`, and at the end: like a real server, replies to pipelined
commands go out in one write.  The client disconnecting at any moment
ends that connection quietly ("*:").

Example:
  reply 220 mail.fake ESMTP
  expect EHLO
  reply 250 mail.fake
  expect MAIL FROM:
  sleep 3600

IMAP example (the client's tags come back in the tagged answers):
  reply * OK [CAPABILITY IMAP4rev1] ready
  expect-tagged LOGIN
  reply-tagged OK Logged in
  answer-each-tagged NOOP \\T OK NOOP done\\r\\n
  expect-tagged LOGOUT
  reply * BYE bye
  reply-tagged OK LOGOUT done
"""

import argparse
import os
import re
import signal
import socket
import ssl
import sys
import threading
import warnings
import time

SCENARIO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "scenarios")
ALLOWED_HOSTS = {"127.0.0.1": socket.AF_INET, "localhost": socket.AF_INET,
                 "::1": socket.AF_INET6}

# A client line longer than this is taken in pieces (the fake must not
# grow without bound either); a log line longer than LOG_MAX is shortened.
MAX_LINE = 64 * 1024
LOG_MAX = 400
# Data read while the script sleeps is kept up to this much.
MAX_BUFFER = 4 * 1024 * 1024
CHUNK = 64 * 1024
DEFAULT_READ_TIMEOUT = 30.0


class ScriptError(Exception):
    """The script text is wrong (reported with file and line)."""


class ClientGone(Exception):
    """The client closed or reset the connection, or TLS broke."""


class EndConnection(Exception):
    """The script ends this connection (expectation failed, timeout)."""


class ScriptClosed(Exception):
    """A `close` or `reset` step ended the connection."""


# ---------------------------------------------------------------- script

_ESCAPES = {"r": b"\r", "n": b"\n", "t": b"\t", "0": b"\0", "e": b"\x1b",
            "\\": b"\\"}


def unescape(text, where):
    """Turn a TEXT argument into a list of byte strings, resolving the
    escapes; the current tag goes between consecutive items (\\T), so a
    TEXT without \\T gives one item."""
    parts = []
    out = bytearray()
    i = 0
    while i < len(text):
        ch = text[i]
        if ch != "\\":
            out += ch.encode("utf-8")
            i += 1
            continue
        if i + 1 >= len(text):
            raise ScriptError("%s: backslash at the end of the line" % where)
        nxt = text[i + 1]
        if nxt == "x":
            digits = text[i + 2:i + 4]
            if not re.fullmatch(r"[0-9A-Fa-f]{2}", digits):
                raise ScriptError("%s: \\x needs two hex digits" % where)
            out.append(int(digits, 16))
            i += 4
        elif nxt in _ESCAPES:
            out += _ESCAPES[nxt]
            i += 2
        elif nxt == "T":
            parts.append(bytes(out))
            out = bytearray()
            i += 2
        else:
            raise ScriptError("%s: unknown escape \\%s" % (where, nxt))
    parts.append(bytes(out))
    return parts


def parse_seconds(text, where):
    try:
        value = float(text)
    except ValueError:
        raise ScriptError("%s: %r is not a number of seconds" % (where, text))
    if not value >= 0 or value == float("inf"):
        raise ScriptError("%s: seconds must be a finite number >= 0" % where)
    return value


def parse_prefixes(text):
    return [p.lower() for p in text.split("|")]


class Step:
    def __init__(self, where, cmd, arg=None, data=None, count=None):
        self.where = where
        self.cmd = cmd
        self.arg = arg        # prefixes (list) or seconds (float)
        self.data = data      # bytes to send, split where the tag goes
        self.count = count    # send-repeat count
        self.text = None      # argument as written, for messages


def parse_script(source, name):
    """Parse script text into a list of Steps; raise ScriptError."""
    steps = []
    for lineno, raw in enumerate(source.splitlines(), 1):
        line = raw.rstrip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = "%s:%d" % (name, lineno)
        cmd, _, rest = line.lstrip().partition(" ")
        step = Step(where, cmd)
        step.text = rest
        if cmd in ("reply", "send", "send-bytewise", "send-forever",
                   "reply-tagged"):
            if cmd not in ("reply", "reply-tagged") and rest == "":
                raise ScriptError("%s: %s needs text" % (where, cmd))
            if cmd == "reply-tagged":
                rest = "\\T " + rest
            step.data = unescape(rest, where)
            if cmd in ("reply", "reply-tagged"):
                step.data[-1] += b"\r\n"
        elif cmd == "send-repeat":
            text, _, count = rest.rpartition(" ")
            if not text or not count.isdigit():
                raise ScriptError("%s: use send-repeat TEXT COUNT" % where)
            step.data = unescape(text, where)
            step.count = int(count)
        elif cmd in ("expect", "expect-tagged"):
            step.arg = parse_prefixes(rest)
        elif cmd in ("answer-each", "answer-each-tagged"):
            prefix, _, text = rest.partition(" ")
            if not prefix or not text:
                raise ScriptError("%s: use %s PREFIX TEXT" % (where, cmd))
            step.arg = parse_prefixes(prefix)
            step.data = unescape(text, where)
        elif cmd in ("sleep", "timeout"):
            step.arg = parse_seconds(rest, where)
        elif cmd in ("flush", "read-until-dot", "starttls", "starttls-keep",
                     "close", "reset", "log-segments"):
            if rest.strip():
                raise ScriptError("%s: %s takes no argument" % (where, cmd))
        else:
            raise ScriptError("%s: unknown command %r" % (where, cmd))
        steps.append(step)
    if not steps:
        raise ScriptError("%s: the script has no steps" % name)
    return steps


def scenario_path(name):
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
        raise ScriptError("bad scenario name %r" % name)
    return os.path.join(SCENARIO_DIR, name + ".fake")


def list_scenarios():
    names = []
    for fn in sorted(os.listdir(SCENARIO_DIR)):
        if fn.endswith(".fake"):
            with open(os.path.join(SCENARIO_DIR, fn), encoding="utf-8") as f:
                first = f.readline().strip().lstrip("#").strip()
            names.append((fn[:-5], first))
    return names


# ------------------------------------------------------------------- log

def show(data):
    """Bytes as one printable log line (see the header for the notation)."""
    shortened = ""
    if len(data) > LOG_MAX:
        shortened = "... [%d bytes]" % len(data)
        data = data[:LOG_MAX]
    out = []
    for b in data:
        if b == 0x0d:
            out.append("\\r")
        elif b == 0x0a:
            out.append("\\n")
        elif b == 0x09:
            out.append("\\t")
        elif 0x20 <= b < 0x7f:
            out.append(chr(b))
        else:
            out.append("\\x%02x" % b)
    return "".join(out) + shortened


def split_lines(data):
    """Yield (line-without-end, note) for every line in data."""
    parts = data.split(b"\n")
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if last and not part:
            break
        if last:
            yield part, " [no line end]"
        elif part.endswith(b"\r"):
            yield part[:-1], ""
        else:
            yield part, " [bare LF]"


class Log:
    def __init__(self, path, numbered):
        self.lock = threading.Lock()
        self.numbered = numbered
        if path is None:
            self.f = None
        elif path == "-":
            self.f = sys.stderr
        else:
            self.f = open(path, "w", encoding="utf-8", errors="replace")

    def write(self, conn_no, tag, text):
        if self.f is None:
            return
        prefix = "[%d] " % conn_no if self.numbered and conn_no else ""
        with self.lock:
            self.f.write("%s%s: %s\n" % (prefix, tag, text))
            self.f.flush()


# --------------------------------------------------------------- session

class Session:
    """One client connection driven by the script."""

    def __init__(self, sock, conn_no, log, tls_ctx, stats):
        self.sock = sock
        self.conn_no = conn_no
        self.log = log
        self.tls_ctx = tls_ctx
        self.stats = stats
        self.inbuf = bytearray()
        self.outbuf = bytearray()
        self.pushback = None
        self.read_timeout = DEFAULT_READ_TIMEOUT
        self.log_segments = False
        self.tls = False
        self.tag = b""        # first word of the last line a step took

    def emit(self, tag, text):
        self.log.write(self.conn_no, tag, text)

    def failed(self, text):
        self.stats.failures += 1
        self.emit("!", text)

    # -- output

    def log_sent(self, data, note=""):
        for line, end in split_lines(data):
            self.emit("S", show(line) + end + note)

    def _write(self, data):
        try:
            self.sock.sendall(data)
        except socket.timeout:
            raise EndConnection("the client stopped reading (send waited "
                                "%g s)" % self.read_timeout)
        except OSError as e:
            raise ClientGone("the client went away while the server was "
                             "sending (%s)" % (e.strerror or e))

    def flush(self):
        if self.outbuf:
            data = bytes(self.outbuf)
            self.outbuf.clear()
            self.log_sent(data)
            self.sock.settimeout(self.read_timeout)
            self._write(data)

    # -- input

    def _read_some(self, timeout):
        """Read once into inbuf; socket.timeout propagates."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(CHUNK)
        except socket.timeout:
            raise
        except OSError as e:
            raise ClientGone("the connection broke (%s)" % (e.strerror or e))
        if not data:
            raise ClientGone("the client closed the connection")
        if self.log_segments:
            self.emit("*", "read %d bytes" % len(data))
        self.inbuf += data

    def read_line(self):
        """Next client line with its line end (or a MAX_LINE piece)."""
        if self.pushback is not None:
            line, self.pushback = self.pushback, None
            return line
        while True:
            i = self.inbuf.find(b"\n")
            if i >= 0:
                line = bytes(self.inbuf[:i + 1])
                del self.inbuf[:i + 1]
                return line
            if len(self.inbuf) >= MAX_LINE:
                line = bytes(self.inbuf[:MAX_LINE])
                del self.inbuf[:MAX_LINE]
                return line
            self.flush()
            try:
                self._read_some(self.read_timeout)
            except socket.timeout:
                raise EndConnection("the client sent nothing for %g s"
                                    % self.read_timeout)

    def log_client(self, line):
        for text, end in split_lines(line):
            self.emit("C", show(text) + end)

    def log_leftovers(self):
        """Record what the client sent that no step consumed."""
        if self.pushback is not None:
            self.log_client(self.pushback)
            self.pushback = None
        if self.inbuf:
            self.log_client(bytes(self.inbuf))
            self.inbuf.clear()

    @staticmethod
    def matches(line, prefixes, tagged=False):
        text = line.decode("latin-1").lower()
        if tagged:
            text = text.partition(" ")[2]
        return any(text.startswith(p) for p in prefixes)

    def take(self, line):
        """Log a line a step consumed and make its first word the tag."""
        self.log_client(line)
        self.tag = line.rstrip(b"\r\n").partition(b" ")[0]

    def text_of(self, step):
        """The bytes of a TEXT step, \\T replaced by the current tag."""
        return self.tag.join(step.data)

    # -- steps

    def run(self, steps):
        for step in steps:
            getattr(self, "do_" + step.cmd.replace("-", "_"))(step)
        self.do_close(None)

    def do_reply(self, step):
        self.outbuf += self.text_of(step)

    do_send = do_reply_tagged = do_reply

    def do_flush(self, step):
        self.flush()

    def do_send_bytewise(self, step):
        self.flush()
        data = self.text_of(step)
        self.log_sent(data, " [bytewise]")
        self.sock.settimeout(self.read_timeout)
        for i in range(len(data)):
            self._write(data[i:i + 1])
            time.sleep(0.001)

    def do_send_repeat(self, step):
        self.flush()
        data = self.text_of(step)
        total = len(data) * step.count
        self.emit("S", "%s [repeated %d times, %d bytes]"
                  % (show(data), step.count, total))
        self.sock.settimeout(self.read_timeout)
        per_chunk = max(1, CHUNK // max(1, len(data)))
        chunk = data * per_chunk
        left = step.count
        while left >= per_chunk:
            self._write(chunk)
            left -= per_chunk
        if left:
            self._write(data * left)

    def do_send_forever(self, step):
        self.flush()
        data = self.text_of(step)
        if not data:        # only \T, and no tag yet
            return
        self.emit("S", "%s [repeated until the client leaves]" % show(data))
        self.sock.settimeout(self.read_timeout)
        per_chunk = max(1, CHUNK // len(data))
        chunk = data * per_chunk
        sent = 0
        try:
            while True:
                self._write(chunk)
                sent += len(chunk)
        finally:
            self.emit("*", "sent about %d bytes (%d repetitions)"
                      % (sent, sent // len(data)))

    def do_expect(self, step, tagged=False):
        line = self.read_line()
        self.take(line)
        if not self.matches(line, step.arg, tagged):
            self.failed("%s: expected %r, got %r"
                        % (step.where, step.text, show(line.rstrip(b"\r\n"))))
            raise EndConnection("unexpected client line")

    def do_expect_tagged(self, step):
        self.do_expect(step, tagged=True)

    def do_answer_each(self, step, tagged=False):
        while True:
            line = self.read_line()
            if not self.matches(line, step.arg, tagged):
                self.pushback = line
                return
            self.take(line)
            self.outbuf += self.text_of(step)

    def do_answer_each_tagged(self, step):
        self.do_answer_each(step, tagged=True)

    def do_read_until_dot(self, step):
        lines = nbytes = 0
        while True:
            line = self.read_line()
            self.log_client(line)
            if line in (b".\r\n", b".\n"):
                break
            lines += 1
            nbytes += len(line)
        self.emit("*", "message body: %d lines, %d bytes" % (lines, nbytes))

    def do_sleep(self, step):
        self.flush()
        self.emit("S", "[sleep %g]" % step.arg)
        deadline = time.monotonic() + step.arg
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            if len(self.inbuf) >= MAX_BUFFER:
                time.sleep(min(left, 0.5))
                continue
            try:
                self._read_some(min(left, 0.5))
            except socket.timeout:
                pass

    def do_timeout(self, step):
        self.read_timeout = step.arg

    def do_log_segments(self, step):
        self.log_segments = True

    def do_starttls(self, step):
        self.flush()
        self.emit("S", "[starttls]")
        if self.pushback is not None or self.inbuf:
            n = len(self.inbuf) + len(self.pushback or b"")
            self.log_leftovers()
            self.failed("%s: %d bytes of plaintext arrived after STARTTLS, "
                        "before the TLS handshake (discarded)"
                        % (step.where, n))
        self.sock.settimeout(self.read_timeout)
        try:
            self.sock = self.tls_ctx.wrap_socket(self.sock, server_side=True)
        except (OSError, ValueError) as e:
            raise ClientGone("the TLS handshake failed (%s)" % e)
        self.tls = True
        self.emit("*", "TLS established: %s %s"
                  % (self.sock.version(), self.sock.cipher()[0]))

    def do_starttls_keep(self, step):
        self.flush()
        self.emit("S", "[starttls-keep]")
        kept = len(self.inbuf) + len(self.pushback or b"")
        if kept:
            self.emit("*", "keeping %d bytes of plaintext sent before the "
                      "handshake (injection-vulnerable on purpose)" % kept)
        self.sock.settimeout(self.read_timeout)
        try:
            self.sock = self.tls_ctx.wrap_socket(self.sock, server_side=True)
        except (OSError, ValueError) as e:
            raise ClientGone("the TLS handshake failed (%s)" % e)
        self.tls = True
        self.emit("*", "TLS established: %s %s"
                  % (self.sock.version(), self.sock.cipher()[0]))

    def do_close(self, step):
        self.flush()
        self.emit("S", "[close]")
        if not self.tls:
            # FIN first, then take what the client still says so that the
            # kernel does not answer it with a RST.
            try:
                self.sock.shutdown(socket.SHUT_WR)
                deadline = time.monotonic() + 0.5
                while len(self.inbuf) < MAX_BUFFER:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._read_some(left)
            except (OSError, ClientGone):
                pass
        raise ScriptClosed("closed by the script")

    def do_reset(self, step):
        self.flush()
        self.emit("S", "[reset]")
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                 b"\x01\x00\x00\x00\x00\x00\x00\x00")
        except OSError:
            pass
        raise ScriptClosed("reset by the script")

    def close_quietly(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Stats:
    def __init__(self):
        self.failures = 0


def serve(sock, addr, conn_no, steps, log, tls_ctx, stats):
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        pass
    log.write(conn_no, "*", "connection %d from %s port %d"
              % (conn_no, addr[0], addr[1]))
    sess = Session(sock, conn_no, log, tls_ctx, stats)
    try:
        sess.run(steps)
        reason = "script finished"
    except (ClientGone, EndConnection, ScriptClosed) as e:
        reason = str(e)
    sess.log_leftovers()
    sess.close_quietly()
    log.write(conn_no, "*", "connection %d ended: %s" % (conn_no, reason))


# ------------------------------------------------------------------ main

def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="fakesmtp.py",
        description="Scripted fake mail server (loopback only).")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--scenario", metavar="NAME")
    src.add_argument("--script", metavar="FILE")
    src.add_argument("--list", action="store_true",
                     help="list the built-in scenarios")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file", metavar="FILE")
    p.add_argument("--log", metavar="FILE")
    p.add_argument("--max-conns", type=int, default=1, metavar="N")
    p.add_argument("--parallel", action="store_true")
    p.add_argument("--lifetime", type=float, default=60.0, metavar="SECONDS")
    p.add_argument("--cert", metavar="PEM")
    p.add_argument("--key", metavar="PEM")
    p.add_argument("--weak-tls", action="store_true")
    p.add_argument("--check", action="store_true",
                   help="only parse the script")
    args = p.parse_args(argv)
    if not (args.list or args.scenario or args.script):
        p.error("one of --scenario, --script or --list is required")
    if args.host not in ALLOWED_HOSTS:
        p.error("--host must be 127.0.0.1 or ::1 (loopback only)")
    if not 0 <= args.port <= 65535:
        p.error("--port must be 0..65535")
    if args.max_conns < 0:
        p.error("--max-conns must be >= 0")
    if not 0 < args.lifetime < 24 * 3600:
        p.error("--lifetime must be between 0 and 86400 seconds")
    if bool(args.cert) != bool(args.key):
        p.error("--cert and --key go together")
    return args


def load_steps(args):
    if args.scenario:
        path = scenario_path(args.scenario)
        if not os.path.exists(path):
            raise ScriptError("no scenario %r (try --list)" % args.scenario)
        name = "scenario " + args.scenario
    else:
        path = name = args.script
    try:
        with open(path, encoding="utf-8") as f:
            source = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise ScriptError("cannot read %s: %s" % (path, e))
    return parse_script(source, name)


def write_port_file(path, port):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


def main(argv):
    args = parse_args(argv)
    if args.list:
        for name, what in list_scenarios():
            print("%-22s %s" % (name, what))
        return 0
    try:
        steps = load_steps(args)
    except ScriptError as e:
        print("fakesmtp: %s" % e, file=sys.stderr)
        return 2
    if args.check:
        return 0
    tls_ctx = None
    if any(s.cmd in ("starttls", "starttls-keep") for s in steps):
        if not args.cert:
            print("fakesmtp: the script uses starttls: give --cert and --key",
                  file=sys.stderr)
            return 2
        tls_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            if args.weak_tls:
                # Security level 0 before the certificate is loaded, so
                # that weak keys and signatures are served as given.
                tls_ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
                with warnings.catch_warnings():
                    # Deprecated, and the point of --weak-tls.
                    warnings.simplefilter("ignore", DeprecationWarning)
                    tls_ctx.minimum_version = ssl.TLSVersion.TLSv1
            tls_ctx.load_cert_chain(args.cert, args.key)
        except (OSError, ssl.SSLError) as e:
            print("fakesmtp: cannot load --cert/--key: %s" % e,
                  file=sys.stderr)
            return 2

    stop = threading.Event()

    def on_signal(signo, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    deadline = time.monotonic() + args.lifetime

    family = ALLOWED_HOSTS[args.host]
    host = "127.0.0.1" if args.host == "localhost" else args.host
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, args.port))
        listener.listen(16)
    except OSError as e:
        print("fakesmtp: cannot listen on %s port %d: %s"
              % (host, args.port, e.strerror or e), file=sys.stderr)
        return 2
    port = listener.getsockname()[1]
    listener.settimeout(0.1)
    log = Log(args.log, args.parallel)
    stats = Stats()
    log.write(0, "*", "listening on %s port %d" % (host, port))
    if args.port_file:
        write_port_file(args.port_file, port)

    accepted = 0
    threads = []
    why = "served %d connection(s)" % args.max_conns
    while True:
        if stop.is_set():
            why = "stopped by signal"
            break
        if time.monotonic() >= deadline:
            why = "lifetime of %g s over" % args.lifetime
            break
        threads = [t for t in threads if t.is_alive()]
        if args.max_conns and accepted >= args.max_conns:
            if not threads:
                break
            threads[0].join(0.1)
            continue
        if threads and not args.parallel:
            threads[0].join(0.1)
            continue
        try:
            sock, addr = listener.accept()
        except socket.timeout:
            continue
        except OSError:
            continue
        accepted += 1
        t = threading.Thread(target=serve, daemon=True,
                             args=(sock, addr, accepted, steps, log, tls_ctx,
                                   stats))
        t.start()
        threads.append(t)
    log.write(0, "*", "exiting: %s" % why)
    # Worker threads may sit in a blocking call; leave without waiting.
    sys.stderr.flush()
    os._exit(1 if stats.failures else 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
