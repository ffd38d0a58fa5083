"""test_hostile - mailvet against a scripted fake server that misbehaves.

Each test starts tests/fake/fakesmtp.py with one scenario (the scripts are
tests/fake/scenarios/*.fake), runs `mailvet smtp` against it with small
timeouts and checks that mailvet ends the session cleanly: the documented
exit code, verdict and JSON error category, a message in plain words, a
bounded run time, bounded memory and bounded output, and - from the fake's
log - what mailvet actually sent (CRLF line ends, the envelope, QUIT).

FakeServerSelfTest checks the fake itself with smtplib and raw sockets, so
that a failure in the mailvet tests is mailvet's, not the fake's.  Those
run even when the mailvet binary is missing; the mailvet tests skip then.
Standard library only; nothing but 127.0.0.1 is contacted.
"""
import contextlib
import os
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mvtest  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.normpath(os.path.join(HERE, "..", "fake", "fakesmtp.py"))
SCENARIO_DIR = os.path.join(os.path.dirname(FAKE), "scenarios")

FROM = "sender@example.test"
TO = "rcpt@example.test"
TO2 = "second@example.test"
HELO = "mailvet.test"

MAX_RSS_KB = 64 * 1024          # even for a 1 MB line or an endless reply
MAX_STDOUT = 256 * 1024         # the JSON must not carry what the server sent
FAKE_LIFETIME_S = 30
VERDICT = {0: "pass", 1: "fail", 3: "error"}


# ------------------------------------------------------------ the fake

class FakeServer:
    """A running fakesmtp.py; `port` is where it listens."""

    def __init__(self, name, proc, port, log_path, err_path):
        self.name = name
        self.proc = proc
        self.port = port
        self.log_path = log_path
        self.err_path = err_path

    @property
    def url(self):
        return "smtp://127.0.0.1:%d" % self.port

    def wait_exit(self, timeout_s):
        """Wait for the fake to end by itself; return its exit code or
        None if it is still running."""
        try:
            return self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log(self, wait_s=5.0):
        """The fake's log lines, once its one connection has ended (it
        exits by itself then); stopped by force after wait_s."""
        self.wait_exit(wait_s)
        self.stop()
        with open(self.log_path, encoding="utf-8") as f:
            return f.read().splitlines()

    def stderr(self):
        with open(self.err_path, encoding="utf-8", errors="replace") as f:
            return f.read()


def client_lines(log):
    return [line[3:] for line in log if line.startswith("C: ")]


def script_failures(log):
    return [line for line in log if line.startswith("!: ")]


def segments(log):
    """(read number, client line) pairs, for logs of scenarios that use
    log-segments: which socket read each client line arrived in."""
    seg = 0
    out = []
    for line in log:
        if line.startswith("*: read "):
            seg += 1
        elif line.startswith("C: "):
            out.append((seg, line[3:]))
    return out


@contextlib.contextmanager
def fake_server(scenario, *extra, lifetime=FAKE_LIFETIME_S):
    """Start the fake with a scenario, wait for its port file, yield it
    (a FakeServer; .port is the port), stop it by PID at the end and fail
    if it wrote a Python traceback."""
    with tempfile.TemporaryDirectory(prefix="fakesmtp-") as tmp:
        port_file = os.path.join(tmp, "port")
        log_path = os.path.join(tmp, "log")
        err_path = os.path.join(tmp, "stderr")
        with open(err_path, "wb") as err:
            proc = subprocess.Popen(
                [sys.executable, FAKE, "--scenario", scenario,
                 "--port-file", port_file, "--log", log_path,
                 "--lifetime", str(lifetime)] + list(extra),
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=err)
        srv = FakeServer(scenario, proc, 0, log_path, err_path)
        try:
            deadline = time.monotonic() + 10
            while not os.path.exists(port_file):
                if proc.poll() is not None:
                    raise AssertionError(
                        "fake server %r exited at start (rc %d):\n%s"
                        % (scenario, proc.returncode, srv.stderr()))
                if time.monotonic() > deadline:
                    raise AssertionError("fake server %r did not start"
                                         % scenario)
                time.sleep(0.02)
            with open(port_file) as f:
                srv.port = int(f.read())
            yield srv
        finally:
            srv.stop()
            err_text = srv.stderr()
            if "Traceback" in err_text:
                raise AssertionError("fake server %r crashed:\n%s"
                                     % (scenario, err_text))


# ------------------------------------------------- mailvet against it

class MailvetCase(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        if not os.access(mvtest.BIN, os.X_OK):
            raise unittest.SkipTest("no mailvet binary at %s (set MAILVET_BIN)"
                                    % mvtest.BIN)

    def smtp(self, srv, *extra, timeout="2s", to=(TO,), json_out=True,
             limit_s=30):
        args = ["smtp", srv.url, "--tls", "off", "--from", FROM,
                "--helo", HELO, "--timeout", timeout]
        for rcpt in to:
            args += ["--to", rcpt]
        if json_out:
            args.append("--json")
        return mvtest.run(args + list(extra), limit_s=limit_s)

    def assertPlainWords(self, msg, r):
        self.assertIsInstance(msg, str, r)
        self.assertTrue(msg.strip(), "empty error message\n%r" % r)
        self.assertLess(len(msg), 1000, "error message too long: %r" % msg)
        self.assertTrue(msg.isprintable(),
                        "error message has control characters: %r" % msg)
        self.assertRegex(msg, r"[A-Za-z]{3,}", "no words in %r" % msg)
        self.assertNotIn("(null)", msg)

    def outcome(self, srv, r, rc, category, max_s, min_s=0.0):
        """Assert the common contract of one run; return the JSON."""
        self.assertEqual(r.rc, rc, r)
        self.assertNotIn("Sanitizer", r.err, r)
        self.assertNotIn("runtime error:", r.err, r)
        try:
            doc = r.json
        except ValueError as e:
            self.fail("stdout is not one JSON document (%s)\n%r" % (e, r))
        self.assertEqual(doc.get("command"), "smtp", r)
        self.assertEqual(doc.get("target"), srv.url, r)
        self.assertEqual(doc.get("exit_code"), rc, r)
        self.assertEqual(doc.get("verdict"), VERDICT[rc], r)
        if category is None:
            self.assertIsNone(doc.get("error"), r)
        else:
            err = doc.get("error")
            self.assertIsInstance(err, dict, r)
            self.assertEqual(err.get("category"), category, r)
            self.assertPlainWords(err.get("message"), r)
        self.assertLess(r.elapsed_s, max_s,
                        "took %.2f s, bound %.1f s\n%r" % (r.elapsed_s,
                                                            max_s, r))
        self.assertGreaterEqual(r.elapsed_s, min_s,
                                "gave up after %.2f s, before its timeout\n%r"
                                % (r.elapsed_s, r))
        self.assertLess(r.maxrss_kb, MAX_RSS_KB, r)
        self.assertLess(len(r.out), MAX_STDOUT,
                        "output of %d bytes\n%r" % (len(r.out), r))
        return doc

    def check(self, doc, name):
        for c in doc.get("checks") or []:
            if c.get("name") == name:
                return c
        self.fail("no %r check in %r" % (name, doc.get("checks")))

    def assertCheck(self, doc, name, *verdicts):
        c = self.check(doc, name)
        self.assertIn(c.get("verdict"), verdicts, c)
        return c

    def assertCodeShown(self, doc, code, check_name):
        """The server's reply code is evidence: it must be in the error
        message or in the failed check's summary."""
        where = doc["error"]["message"] + " " + str(
            self.check(doc, check_name).get("summary"))
        self.assertIn(code, where, doc)

    def find(self, sent, prefix, start=0):
        """Index of the first client line at or after start that begins
        with prefix (case-insensitive), or -1."""
        for i in range(start, len(sent)):
            if sent[i].upper().startswith(prefix.upper()):
                return i
        return -1

    def assertDialog(self, log, recipients=(TO,), hello="EHLO"):
        """The fake saw a complete, well-formed transaction ending in
        QUIT, every command line ending in CRLF."""
        self.assertEqual(script_failures(log), [], "\n".join(log))
        sent = client_lines(log)
        bad_ends = [s for s in sent if s.endswith(("[bare LF]",
                                                   "[no line end]"))]
        self.assertEqual(bad_ends, [], "mailvet sent lines without CRLF")
        order = [self.find(sent, "%s %s" % (hello, HELO))]
        order.append(self.find(sent, "MAIL FROM:<%s>" % FROM, order[-1]))
        for rcpt in recipients:
            order.append(self.find(sent, "RCPT TO:<%s>" % rcpt, order[-1]))
        order.append(self.find(sent, "DATA", order[-1]))
        dot = sent.index(".", order[-1]) if "." in sent[order[-1]:] else -1
        order.append(dot)
        self.assertNotIn(-1, order, "dialog incomplete:\n" + "\n".join(log))
        self.assertEqual(sent[-1], "QUIT", "\n".join(log))
        return sent[order[-2] + 1:order[-1]]   # the message as sent

    def assertDelivered(self, srv, r, recipients=(TO,), hello="EHLO",
                        checks=("connect", "banner", "ehlo", "mail", "rcpt",
                                "data")):
        doc = self.outcome(srv, r, 0, None, max_s=5)
        smtp = doc.get("smtp") or {}
        self.assertEqual(smtp.get("queue_id"), "FAKE123", r)
        got = smtp.get("recipients") or []
        self.assertEqual([g.get("address") for g in got], list(recipients), r)
        for g in got:
            self.assertEqual(g.get("code"), 250, r)
        for name in checks:
            self.assertCheck(doc, name, "pass")
        timings = smtp.get("timings_ms") or {}
        self.assertIn("total", timings, r)
        log = srv.log()
        body = self.assertDialog(log, recipients, hello)
        # The Message-ID mailvet reports is the one it sent.
        msgid = smtp.get("message_id")
        if msgid:
            hdr = [b.split(":", 1)[1].strip() for b in body
                   if b.lower().startswith("message-id:")]
            self.assertEqual([h.strip("<>") for h in hdr],
                             [msgid.strip("<>")], body)
        return doc, log

    # -- servers that behave: mailvet must deliver

    def test_normal_delivers(self):
        with fake_server("normal") as srv:
            r = self.smtp(srv)
            doc, _ = self.assertDelivered(srv, r)
        smtp = doc["smtp"]
        self.assertEqual(smtp["recipients"][0].get("enhanced"), "2.1.5", r)
        self.assertIs(smtp.get("helo_fallback"), False, r)
        caps = {c.split()[0].upper()
                for c in (smtp.get("ehlo") or {}).get("capabilities", [])}
        self.assertLessEqual({"PIPELINING", "SIZE", "8BITMIME",
                              "ENHANCEDSTATUSCODES"}, caps, r)

    def test_split_bytes_delivers(self):
        # Every reply arrives one byte per segment.
        with fake_server("split-bytes") as srv:
            r = self.smtp(srv)
            self.assertDelivered(srv, r)

    def test_bare_lf_delivers(self):
        # Replies end in LF alone; mailvet is lenient in what it accepts.
        # docs/mailvet-smtp.md: delivered, with a protocol warning.
        with fake_server("bare-lf") as srv:
            r = self.smtp(srv)
            doc, _ = self.assertDelivered(srv, r)
        self.assertCheck(doc, "protocol", "warn")
        self.assertGreater(doc["smtp"].get("bare_lf_lines", 0), 0, r)

    def envelope_reads(self, log):
        """Socket-read numbers of MAIL, RCPT... and DATA, in order."""
        out = []
        for n, line in segments(log):
            if line.upper().startswith(("MAIL FROM:", "RCPT TO:")):
                out.append(n)
            elif line.upper() == "DATA":
                out.append(n)
                break
        return out

    def test_pipelining_sends_the_envelope_in_one_group(self):
        with fake_server("pipelined-normal") as srv:
            r = self.smtp(srv, "--pipelining", to=(TO, TO2))
            doc, log = self.assertDelivered(srv, r, recipients=(TO, TO2))
        reads = self.envelope_reads(log)
        self.assertEqual(len(reads), 4, log)
        self.assertEqual(len(set(reads)), 1,
                         "MAIL, RCPT, RCPT, DATA were not sent in one "
                         "write:\n" + "\n".join(log))

    def test_no_pipelining_without_the_option(self):
        with fake_server("pipelined-normal") as srv:
            r = self.smtp(srv)
            _, log = self.assertDelivered(srv, r)
        reads = self.envelope_reads(log)
        self.assertEqual(len(set(reads)), 3,
                         "pipelined although --pipelining was not given:\n"
                         + "\n".join(log))

    def test_no_ehlo_falls_back_to_helo(self):
        with fake_server("no-ehlo") as srv:
            r = self.smtp(srv)
            doc, log = self.assertDelivered(
                srv, r, hello="HELO",
                checks=("connect", "banner", "mail", "rcpt", "data"))
        self.assertIs(doc["smtp"].get("helo_fallback"), True, r)
        sent = client_lines(log)
        self.assertEqual(sent[:2], ["EHLO " + HELO, "HELO " + HELO], log)

    # -- hostile servers: mailvet must end the session cleanly

    def test_long_line_banner(self):
        # 1 MB without a line end, the CRLF only 3 s later: mailvet must
        # stop at its own line limit, long before its timeout.
        with fake_server("long-line") as srv:
            r = self.smtp(srv, timeout="10s")
            doc = self.outcome(srv, r, 1, "protocol", max_s=2.5)
            self.assertCheck(doc, "banner", "fail", "error")
            self.assertEqual(script_failures(srv.log()), [])

    def test_endless_multiline_reply(self):
        with fake_server("endless-multiline") as srv:
            r = self.smtp(srv)
            doc = self.outcome(srv, r, 1, "protocol", max_s=5)
            self.assertCheck(doc, "ehlo", "fail", "error")
            log = srv.log()
        self.assertIn("EHLO " + HELO, client_lines(log))

    def test_stall_at_banner_times_out(self):
        with fake_server("stall-banner") as srv:
            r = self.smtp(srv)
            doc = self.outcome(srv, r, 3, "timeout", max_s=5, min_s=1.5)
            self.assertCheck(doc, "connect", "pass")
            self.assertCheck(doc, "banner", "fail", "error")
            self.assertRegex(doc["error"]["message"], r"(?i)time")

    def test_stall_after_ehlo_times_out(self):
        with fake_server("stall-after-ehlo") as srv:
            r = self.smtp(srv)
            doc = self.outcome(srv, r, 3, "timeout", max_s=5, min_s=1.5)
            self.assertCheck(doc, "ehlo", "pass")
            self.assertCheck(doc, "mail", "fail", "error")
            self.assertRegex(doc["error"]["message"], r"(?i)time")
            sent = client_lines(srv.log())
        self.assertNotEqual(self.find(sent, "MAIL FROM:<%s>" % FROM), -1,
                            sent)

    def test_disconnect_mid_reply(self):
        with fake_server("disconnect-mid-reply") as srv:
            r = self.smtp(srv)
            doc = self.outcome(srv, r, 1, "closed", max_s=3)
            self.assertCheck(doc, "ehlo", "fail", "error")

    def test_garbage_banner(self):
        with fake_server("garbage-banner") as srv:
            r = self.smtp(srv)
            doc = self.outcome(srv, r, 1, "protocol", max_s=3)
            self.assertCheck(doc, "banner", "fail", "error")

    def test_garbage_banner_does_not_reach_the_terminal(self):
        # The junk holds NUL and terminal escapes (clear screen, set
        # title); the human output must not pass them through.
        with fake_server("garbage-banner") as srv:
            r = self.smtp(srv, json_out=False)
        self.assertEqual(r.rc, 1, r)
        for ch in ("\x1b", "\x00", "\x07"):
            self.assertNotIn(ch, r.out, r)
            self.assertNotIn(ch, r.err, r)

    def test_bad_reply_code(self):
        with fake_server("bad-code") as srv:
            r = self.smtp(srv)
            doc = self.outcome(srv, r, 1, "protocol", max_s=3)
            self.assertCheck(doc, "banner", "fail", "error")

    def test_recipient_rejected(self):
        with fake_server("reject-rcpt") as srv:
            r = self.smtp(srv)
            doc = self.outcome(srv, r, 1, "rejected", max_s=3)
            self.assertCheck(doc, "rcpt", "fail")
            self.assertCodeShown(doc, "550", "rcpt")
            rcpts = (doc.get("smtp") or {}).get("recipients") or []
            self.assertEqual([(x.get("address"), x.get("code"),
                               x.get("enhanced")) for x in rcpts],
                             [(TO, 550, "5.1.1")], r)
            self.assertIsNone(doc["smtp"].get("queue_id"), r)
            sent = client_lines(srv.log())
        self.assertNotIn("DATA", sent, "DATA sent with no valid recipient")
        self.assertEqual(sent[-1], "QUIT", sent)

    def test_mail_tempfailed(self):
        with fake_server("tempfail-mail") as srv:
            r = self.smtp(srv)
            doc = self.outcome(srv, r, 1, "rejected", max_s=3)
            self.assertCheck(doc, "mail", "fail")
            self.assertCodeShown(doc, "451", "mail")
            sent = client_lines(srv.log())
        self.assertEqual(self.find(sent, "RCPT"), -1,
                         "RCPT sent after MAIL was refused: %r" % sent)
        self.assertEqual(sent[-1], "QUIT", sent)

    def test_banner_554(self):
        with fake_server("banner-554") as srv:
            r = self.smtp(srv)
            doc = self.outcome(srv, r, 1, "rejected", max_s=3)
            self.assertCheck(doc, "banner", "fail")
            self.assertCodeShown(doc, "554", "banner")
            sent = client_lines(srv.log())
        # RFC 5321 3.1: after a 554 greeting the client sends QUIT.
        self.assertEqual(self.find(sent, "MAIL"), -1, sent)
        self.assertEqual(sent[-1:], ["QUIT"], sent)


# ------------------------------------------- the fake checked on its own

def read_reply(f):
    """One SMTP reply from a binary file object: (code, [lines])."""
    lines = []
    while True:
        line = f.readline()
        if not line:
            raise AssertionError("connection closed in a reply: %r" % lines)
        lines.append(line.decode("latin-1").rstrip("\r\n"))
        if line[3:4] != b"-":
            return int(line[:3]), lines


class FakeServerSelfTest(unittest.TestCase):
    """The fake does what its scenarios say (smtplib is the reference
    client), copes with clients that vanish, and always ends."""

    def test_normal_with_smtplib(self):
        with fake_server("normal") as srv:
            with smtplib.SMTP("127.0.0.1", srv.port, "selftest.test",
                              timeout=5) as s:
                s.ehlo("selftest.test")
                for ext in ("pipelining", "size", "8bitmime",
                            "enhancedstatuscodes"):
                    self.assertTrue(s.has_extn(ext), ext)
                self.assertEqual(s.mail("a@example.test")[0], 250)
                self.assertEqual(s.rcpt("b@example.test")[0], 250)
                self.assertEqual(s.rcpt("c@example.test")[0], 250)
                code, text = s.data(b"Subject: t\r\n\r\nbody\r\n")
                self.assertEqual((code, text),
                                 (250, b"2.0.0 Ok: queued as FAKE123"))
            log = srv.log()
        self.assertEqual(script_failures(log), [])
        self.assertEqual(client_lines(log),
                         ["ehlo selftest.test", "mail FROM:<a@example.test>",
                          "rcpt TO:<b@example.test>",
                          "rcpt TO:<c@example.test>", "data",
                          "Subject: t", "", "body", ".", "QUIT"])

    def pipelined_session(self, writes):
        with fake_server("pipelined-normal") as srv:
            with socket.create_connection(("127.0.0.1", srv.port), 5) as c:
                f = c.makefile("rb")
                self.assertEqual(read_reply(f)[0], 220)
                c.sendall(b"EHLO pipe.test\r\n")
                self.assertEqual(read_reply(f)[0], 250)
                for w in writes:
                    c.sendall(w)
                    time.sleep(0.05)
                codes = [read_reply(f)[0] for _ in range(4)]
                self.assertEqual(codes, [250, 250, 250, 354])
                c.sendall(b"Subject: p\r\n\r\nx\r\n.\r\nQUIT\r\n")
                self.assertEqual(read_reply(f)[1],
                                 ["250 2.0.0 Ok: queued as FAKE123"])
                self.assertEqual(read_reply(f)[0], 221)
                f.close()
            return srv.log()

    def test_pipelined_group_in_one_write(self):
        log = self.pipelined_session([b"MAIL FROM:<a@x.test>\r\n"
                                      b"RCPT TO:<b@x.test>\r\n"
                                      b"RCPT TO:<c@x.test>\r\nDATA\r\n"])
        seg = segments(log)
        group = [n for n, line in seg
                 if line.startswith(("MAIL", "RCPT", "DATA"))]
        self.assertEqual(len(group), 4, log)
        self.assertEqual(len(set(group)), 1, log)
        self.assertEqual(script_failures(log), [])

    def test_pipelined_group_split_anywhere(self):
        log = self.pipelined_session([b"MA", b"IL FROM:<a@x.test>\r\nRC",
                                      b"PT TO:<b@x.test>\r", b"\nRCPT TO:<c",
                                      b"@x.test>\r\nDATA\r\n"])
        self.assertEqual(script_failures(log), [])
        self.assertEqual(client_lines(log)[1:5],
                         ["MAIL FROM:<a@x.test>", "RCPT TO:<b@x.test>",
                          "RCPT TO:<c@x.test>", "DATA"])
        seg = segments(log)
        self.assertGreater(len({n for n, line in seg[1:5]}), 1, log)

    def test_split_bytes_arrive_one_by_one(self):
        with fake_server("split-bytes") as srv:
            with socket.create_connection(("127.0.0.1", srv.port), 5) as c:
                got = b""
                reads = 0
                while not got.endswith(b"\r\n"):
                    data = c.recv(1024)
                    self.assertTrue(data)
                    got += data
                    reads += 1
                self.assertEqual(got, b"220 mail.fake ESMTP fakesmtp\r\n")
                self.assertGreaterEqual(reads, 5, reads)  # not one segment
                c.sendall(b"QUIT\r\n")
            log = srv.log()
        # QUIT where EHLO was expected: the fake notes it and hangs up.
        self.assertEqual(len(script_failures(log)), 1, log)

    def test_starttls(self):
        openssl = shutil.which("openssl")
        if not openssl:
            self.skipTest("no openssl command to make a test certificate")
        with tempfile.TemporaryDirectory() as tmp:
            cert = os.path.join(tmp, "cert.pem")
            key = os.path.join(tmp, "key.pem")
            subprocess.run([openssl, "req", "-x509", "-newkey", "ec",
                            "-pkeyopt", "ec_paramgen_curve:prime256v1",
                            "-nodes", "-keyout", key, "-out", cert,
                            "-days", "1", "-subj", "/CN=mail.fake"],
                           check=True, capture_output=True, timeout=30)
            ctx = ssl.create_default_context(cafile=cert)
            ctx.check_hostname = False
            with fake_server("starttls", "--cert", cert, "--key", key) as srv:
                with smtplib.SMTP("127.0.0.1", srv.port, "tls.test",
                                  timeout=5) as s:
                    s.ehlo("tls.test")
                    self.assertTrue(s.has_extn("starttls"))
                    self.assertEqual(s.starttls(context=ctx)[0], 220)
                    s.ehlo("tls.test")
                    self.assertFalse(s.has_extn("starttls"))
                    s.mail("a@example.test")
                    s.rcpt("b@example.test")
                    self.assertEqual(s.data(b"\r\nx\r\n")[0], 250)
                log = srv.log()
        self.assertEqual(script_failures(log), [], log)
        self.assertTrue(any(line.startswith("*: TLS established")
                            for line in log), log)
        self.assertEqual(client_lines(log)[-1], "QUIT")

    def test_clients_that_vanish(self):
        # Leaving at any moment ends the connection quietly: the fake
        # then exits by itself (one connection), with no traceback.
        cases = [("stall-banner", b"", 0),
                 ("stall-after-ehlo", b"EHLO v.test\r\nMAIL FROM:<>\r\n", 2),
                 ("long-line", b"", 1000),
                 ("endless-multiline", b"EHLO v.test\r\n", 100000),
                 ("split-bytes", b"", 3),
                 ("normal", b"EHLO v.test\r\nMAIL FROM:<a@b.test>\r\nRC", 2)]
        for name, say, read_n in cases:
            with self.subTest(scenario=name):
                with fake_server(name) as srv:
                    with socket.create_connection(("127.0.0.1", srv.port),
                                                  5) as c:
                        c.sendall(say)
                        got = 0
                        while got < read_n:
                            data = c.recv(65536)
                            if not data:
                                break
                            got += len(data)
                    self.assertEqual(srv.wait_exit(3), 0,
                                     "fake did not end after the client left")

    def test_lifetime_and_sigterm(self):
        with fake_server("stall-banner", lifetime=1) as srv:
            t0 = time.monotonic()
            self.assertEqual(srv.wait_exit(5), 0)
            self.assertLess(time.monotonic() - t0, 3)
        with fake_server("stall-banner") as srv:
            with socket.create_connection(("127.0.0.1", srv.port), 5):
                time.sleep(0.2)
                srv.proc.send_signal(signal.SIGTERM)
                self.assertEqual(srv.wait_exit(3), 0)
            self.assertIn("*: exiting: stopped by signal", srv.log())

    def run_fake(self, *args):
        return subprocess.run([sys.executable, FAKE] + list(args),
                              capture_output=True, text=True, timeout=20)

    def test_usage_and_script_errors(self):
        with tempfile.TemporaryDirectory() as tmp:
            bad = os.path.join(tmp, "bad.fake")
            with open(bad, "w") as f:
                f.write("reply 220 hi\nexpect EHLO\nfrobnicate now\n")
            p = self.run_fake("--script", bad, "--check")
            self.assertEqual(p.returncode, 2, p)
            self.assertIn("bad.fake:3: unknown command 'frobnicate'",
                          p.stderr)
            with open(bad, "w") as f:
                f.write("send 220 \\q\n")
            p = self.run_fake("--script", bad, "--check")
            self.assertEqual(p.returncode, 2, p)
            self.assertIn("bad.fake:1: unknown escape", p.stderr)
        for args, says in [(("--scenario", "normal", "--host", "0.0.0.0"),
                            "loopback only"),
                           (("--scenario", "starttls", "--lifetime", "1"),
                            "--cert"),
                           (("--scenario", "no-such-thing"), "no scenario"),
                           (("--scenario", "normal", "--lifetime", "0"),
                            "--lifetime")]:
            p = self.run_fake(*args)
            self.assertEqual(p.returncode, 2, p)
            self.assertIn(says, p.stderr)
            self.assertNotIn("Traceback", p.stderr)

    def test_every_scenario_parses(self):
        names = sorted(fn[:-5] for fn in os.listdir(SCENARIO_DIR)
                       if fn.endswith(".fake"))
        listed = self.run_fake("--list").stdout.split()
        for name in names:
            self.assertIn(name, listed)
            p = self.run_fake("--scenario", name, "--check")
            self.assertEqual((p.returncode, p.stderr), (0, ""), name)


if __name__ == "__main__":
    unittest.main()
