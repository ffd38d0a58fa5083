"""Integration tests for `mailvet bench` on loopback.

The generator sends to `mailvet sink` (bound to 127.0.0.1:0, the port
read back through --ready-file) and to Postfix's smtp-sink (a free port
chosen here); what the bench says it delivered must equal what the
server counted, message for message, also with faults injected, and
the sink must find every X-Mailvet-Bench id intact and unique.  No
timing thresholds.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

import mvtest

SMTP_SINK = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
FAKE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fake",
                    "fakesmtp.py")

GREETING = """reply 220 fake ESMTP
expect EHLO
reply 250-fake
reply 250 PIPELINING
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MailvetSink:
    """`mailvet sink --json` on an ephemeral loopback port."""

    def __init__(self, *args):
        self.dir = tempfile.mkdtemp(prefix="mvbench")
        self.ready = os.path.join(self.dir, "ready")
        self.out = open(os.path.join(self.dir, "out"), "w+")
        self.err = open(os.path.join(self.dir, "err"), "w+")
        self.p = subprocess.Popen(
            [mvtest.BIN, "sink", "--listen", "127.0.0.1:0", "--json",
             "--ready-file", self.ready] + list(args),
            stdout=self.out, stderr=self.err)
        t0 = time.monotonic()
        while not (os.path.exists(self.ready) and
                   os.path.getsize(self.ready)):
            if self.p.poll() is not None or time.monotonic() - t0 > 10:
                self.err.seek(0)
                raise AssertionError("sink did not start: " +
                                     self.err.read())
            time.sleep(0.02)
        with open(self.ready) as f:
            self.addrs = f.read().split()
        self.addr = self.addrs[0]

    def finish(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGINT)
        self.p.wait(30)
        self.out.seek(0)
        lines = [l for l in self.out.read().splitlines()
                 if l.startswith("{")]
        self.out.close()
        self.err.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return json.loads(lines[-1])


class PostfixSink:
    """Postfix's smtp-sink with its running counter (-c)."""

    def __init__(self, *args):
        self.port = free_port()
        self.out = tempfile.TemporaryFile()
        user = ["-u", "nobody"] if os.geteuid() == 0 else []
        self.p = subprocess.Popen([SMTP_SINK] + user + list(args) +
                                  ["-c", "127.0.0.1:%d" % self.port, "100"],
                                  stdout=self.out, stderr=subprocess.STDOUT)
        t0 = time.monotonic()
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                break
            except OSError:
                if time.monotonic() - t0 > 10:
                    raise AssertionError("smtp-sink did not start")
                time.sleep(0.05)

    def messages(self, expect):
        """The last 'mesg=N' of the counter, once it reaches expect or
        stops moving."""
        last, t0 = -1, time.monotonic()
        while time.monotonic() - t0 < 10:
            self.out.seek(0)
            text = self.out.read().decode(errors="replace")
            counts = [int(w[5:]) for w in text.replace("\r", " ").split()
                      if w.startswith("mesg=")]
            n = counts[-1] if counts else 0
            if n == expect:
                return n
            if n == last and time.monotonic() - t0 > 2:
                return n
            last = n
            time.sleep(0.1)
        return last

    def stop(self):
        self.p.terminate()
        self.p.wait(10)
        self.out.close()


def bench(*args, limit_s=120):
    r = mvtest.run(["bench"] + list(args) + ["--json"], limit_s=limit_s)
    return r, (r.json["bench"] if r.out.startswith("{") else None)


class BenchToMailvetSink(unittest.TestCase):

    def assert_agree(self, b, s, total_accepted=None):
        accepted = b["messages"]["accepted"]
        if total_accepted is not None:
            accepted = total_accepted
        self.assertEqual(s["messages"]["accepted"], accepted)
        self.assertEqual(s["verify"]["ok"], accepted)
        for k in ("duplicate", "corrupt", "malformed", "unmarked"):
            self.assertEqual(s["verify"][k], 0, k)

    def test_counts_pipelining_on_and_off(self):
        sink = MailvetSink()
        r1, b1 = bench("smtp://" + sink.addr, "--messages", "3000",
                       "--sessions", "5", "--pipelining")
        r2, b2 = bench("smtp://" + sink.addr, "--messages", "700",
                       "--sessions", "3")
        s = sink.finish()
        self.assertEqual(r1.rc, 0, r1)
        self.assertEqual(r2.rc, 0, r2)
        self.assertEqual(b1["messages"]["started"], 3000)
        self.assertEqual(b1["messages"]["accepted"], 3000)
        self.assertEqual(b1["sessions_pipelined"], 5)
        self.assertEqual(b2["messages"]["accepted"], 700)
        self.assertEqual(b2["sessions_pipelined"], 0)
        self.assert_agree(b1, s, 3700)
        self.assertEqual(s["commands"]["mail"], 3700)
        self.assertEqual(s["verify"]["runs"], 2)
        # The replies the bench counted are the ones the sink sent:
        # per message 250 (MAIL), 250 (RCPT), 354, 250; per session a
        # greeting, EHLO and QUIT.
        self.assertEqual(b1["replies"]["3xx"], 3000)
        self.assertEqual(b1["replies"]["2xx"], 3 * 3000 + 3 * 5)
        self.assertEqual(b1["latency"]["message"]["count"], 3000)
        self.assertEqual(b1["latency"]["end_of_data"]["count"], 3000)
        self.assertEqual(r1.json["verdict"], "pass")

    def test_threads(self):
        sink = MailvetSink("--threads", "2")
        r1, b1 = bench("smtp://" + sink.addr, "--messages", "5000",
                       "--threads", "3", "--sessions", "7", "--pipelining")
        r2, b2 = bench("smtp://" + sink.addr, "--rate", "300/s",
                       "--duration", "1s", "--threads", "2", "--sessions",
                       "4")
        s = sink.finish()
        self.assertEqual(r1.rc, 0, r1)
        self.assertEqual(r2.rc, 0, r2)
        self.assertEqual(b1["config"]["threads"], 3)
        self.assertEqual(b1["messages"]["accepted"], 5000)
        self.assertEqual(b1["messages"]["connections"], 7)
        self.assertEqual(b1["latency"]["message"]["count"], 5000)
        self.assertGreater(b2["messages"]["accepted"], 0)
        self.assert_agree(b1, s, 5000 + b2["messages"]["accepted"])

    def test_sizes_and_size_distribution(self):
        sink = MailvetSink()
        r1, b1 = bench("smtp://" + sink.addr, "--messages", "500",
                       "--size", "70k", "--pipelining")
        s1 = sink.finish()
        self.assertEqual(r1.rc, 0, r1)
        self.assertEqual(b1["config"]["body_bytes_min"], 70 * 1024)
        # Generated messages have no dots to stuff: the sink's bytes
        # are the wire bytes less the ".\r\n" terminator.
        wire = b1["config"]["wire_bytes_min"]
        self.assertEqual(s1["messages"]["bytes"], 500 * (wire - 3))
        self.assertEqual(b1["messages"]["bytes"], 500 * wire)
        self.assert_agree(b1, s1)
        sink = MailvetSink()
        r2, b2 = bench("smtp://" + sink.addr, "--messages", "600",
                       "--size-dist", "2:100:5k:200k", "--seed", "7")
        s2 = sink.finish()
        self.assertEqual(r2.rc, 0, r2)
        self.assertEqual(b2["config"]["distinct_messages"], 4)
        self.assertEqual(b2["config"]["body_bytes_min"], 2)
        self.assertEqual(b2["config"]["body_bytes_max"], 200 * 1024)
        self.assertEqual(s2["messages"]["bytes"],
                         b2["messages"]["bytes"] - 3 * 600)
        self.assert_agree(b2, s2)

    def test_chunking_bdat(self):
        sink = MailvetSink()
        r1, b1 = bench("smtp://" + sink.addr, "--messages", "1000",
                       "--chunking", "--pipelining", "--size", "3k")
        r2, b2 = bench("smtp://" + sink.addr, "--messages", "200",
                       "--chunking", "--sessions", "2")
        s = sink.finish()
        self.assertEqual(r1.rc, 0, r1)
        self.assertEqual(r2.rc, 0, r2)
        self.assertEqual(b1["sessions_chunking"], 10)
        self.assertEqual(s["commands"]["bdat"], 1200)
        self.assertNotIn("data", s["commands"])
        self.assert_agree(b1, s, 1200)
        # BDAT sends the plain form: exactly what the sink counts.
        self.assertEqual(s["messages"]["bytes"],
                         b1["messages"]["bytes"] + b2["messages"]["bytes"])

    def test_no_chunking_when_not_offered(self):
        sink = MailvetSink("--no-chunking", "--no-pipelining")
        r, b = bench("smtp://" + sink.addr, "--messages", "100",
                     "--chunking", "--pipelining")
        s = sink.finish()
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(b["sessions_chunking"], 0)
        self.assertEqual(b["sessions_pipelined"], 0)
        self.assertEqual(s["commands"]["data"], 100)
        self.assert_agree(b, s)

    def test_lmtp_recipients_and_deliveries(self):
        sink = MailvetSink("--lmtp")
        r, b = bench("lmtp://" + sink.addr, "--messages", "400",
                     "--rcpts", "3", "--to", "a@example.org", "--to",
                     "b@example.org", "--pipelining")
        s = sink.finish()
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(b["config"]["protocol"], "lmtp")
        self.assertEqual(b["recipients_accepted"], 1200)
        self.assertEqual(b["deliveries"], 1200)
        self.assertEqual(s["messages"]["recipients"], 1200)
        self.assertEqual(s["messages"]["deliveries"], 1200)
        self.assert_agree(b, s)

    def test_new_connection_per_message(self):
        sink = MailvetSink()
        r, b = bench("smtp://" + sink.addr, "--messages", "300",
                     "--messages-per-connection", "1", "--pipelining",
                     "--sessions", "4", "--connect-rate", "2000/s")
        s = sink.finish()
        self.assertEqual(r.rc, 0, r)
        self.assert_agree(b, s)
        # One connection per message, none opened to send nothing.
        self.assertEqual(b["messages"]["connections"], 300)
        self.assertEqual(s["connections"]["accepted"], 300)
        self.assertEqual(b["latency"]["connect"]["count"],
                         b["messages"]["connections"])

    def test_faults_counted_exactly(self):
        sink = MailvetSink("--fault", "rcpt:451:5", "--fault", "eod:554:3",
                           "--fault", "mail:421:1", "--fault", "data:452:2",
                           "--fault-disconnect", "data:1",
                           "--fault-delay", "mail:20:1", "--seed", "3")
        r1, b1 = bench("smtp://" + sink.addr, "--messages", "4000",
                       "--pipelining")
        r2, b2 = bench("smtp://" + sink.addr, "--messages", "1000",
                       "--sessions", "4")
        s = sink.finish()
        for r, b in ((r1, b1), (r2, b2)):
            self.assertEqual(r.rc, 1, r)
            m = b["messages"]
            self.assertEqual(m["accepted"] + m["rejected"] + m["aborted"],
                             m["started"])
            self.assertGreater(m["rejected"], 0)
            self.assertGreater(m["aborted"], 0)
            self.assertIn("closed", b["errors"])
            self.assertEqual(r.json["verdict"], "fail")
        self.assert_agree(b1, s, b1["messages"]["accepted"] +
                          b2["messages"]["accepted"])
        self.assertEqual(s["messages"]["rejected"],
                         b1["rejected_by_phase"].get("end_of_data", 0) +
                         b2["rejected_by_phase"].get("end_of_data", 0))
        self.assertEqual(s["connections"]["accepted"],
                         b1["messages"]["connections"] +
                         b2["messages"]["connections"])

    def test_starttls_auth_and_implicit_tls(self):
        d = tempfile.mkdtemp(prefix="mvbenchtls")
        cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                        "-subj", "/CN=localhost", "-addext",
                        "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                       check=True, capture_output=True, timeout=60)
        users, pw = os.path.join(d, "users"), os.path.join(d, "pw")
        with open(users, "w") as f:
            f.write("bencher:s3cret\n")
        with open(pw, "w") as f:
            f.write("s3cret\n")
        sink = MailvetSink("--tls-cert", cert, "--tls-key", key,
                           "--starttls", "--auth-file", users,
                           "--listen-tls", "127.0.0.1:0")
        r1, b1 = bench("smtp://" + sink.addr, "--messages", "1000",
                       "--pipelining", "--tls", "required", "--cafile",
                       cert, "--auth-user", "bencher", "--password-file",
                       pw, "--sessions", "4")
        r2, b2 = bench("smtps://" + sink.addrs[1], "--messages", "40",
                       "--messages-per-connection", "1", "--cafile", cert,
                       "--sessions", "2", "--auth-user", "bencher",
                       "--password-file", pw)
        with open(pw, "w") as f:
            f.write("wrong\n")
        r3, b3 = bench("smtp://" + sink.addr, "--messages", "10",
                       "--tls", "required", "--cafile", cert,
                       "--auth-user", "bencher", "--password-file", pw,
                       "--sessions", "2")
        s = sink.finish()
        shutil.rmtree(d)
        self.assertEqual(r1.rc, 0, r1)
        self.assertEqual(b1["sessions_tls"], 4)
        self.assertEqual(b1["latency"]["tls"]["count"], 4)
        self.assertEqual(b1["latency"]["auth"]["count"], 4)
        self.assertEqual(r2.rc, 0, r2)
        self.assertEqual(b2["sessions_tls"], b2["messages"]["connections"])
        # Refused credentials: every session fails, the run gives up,
        # nothing is sent, and the reason is reported.
        self.assertEqual(r3.rc, 1, r3)
        self.assertTrue(b3["gave_up"])
        self.assertEqual(b3["messages"]["started"], 0)
        self.assertIn("535", b3["errors"]["rejected"]["sample"])
        self.assertEqual(s["other"]["tls_ok"], 4 +
                         b2["messages"]["connections"] +
                         b3["messages"]["connections"])
        self.assertEqual(s["other"]["auth_ok"], 4 +
                         b2["messages"]["connections"])
        self.assert_agree(b1, s, 1040)

    def test_open_loop_rate_and_duration(self):
        sink = MailvetSink()
        r, b = bench("smtp://" + sink.addr, "--rate", "200/s",
                     "--duration", "2s", "--sessions", "4", "--pipelining")
        s = sink.finish()
        self.assertEqual(r.rc, 0, r)
        started = b["messages"]["started"]
        # 200/s for 2 s: message k is due at k/200 s, so about 400 are
        # due before the end; the schedule, not the server, decides.
        self.assertGreaterEqual(started, 300)
        self.assertLessEqual(started, 401)
        self.assertEqual(b["config"]["rate_per_s"], 200.0)
        self.assertEqual(b["latency"]["message"]["count"], started)
        self.assertGreaterEqual(len(b["intervals"]), 2)
        self.assertEqual(sum(i["accepted"] for i in b["intervals"]),
                         b["messages"]["accepted"])
        self.assert_agree(b, s)

    def test_open_loop_counts_queueing(self):
        # One lock-step session against 20 ms per reply manages about 12
        # messages a second; 50/s are due.  The wait of each message for
        # a free session is part of its latency, and the messages that
        # never got one are reported, not dropped silently.
        sink = MailvetSink("--tarpit", "20ms")
        r, b = bench("smtp://" + sink.addr, "--rate", "50/s",
                     "--duration", "1s", "--sessions", "1")
        s = sink.finish()
        self.assertEqual(r.rc, 0, r)
        lat = b["latency"]
        self.assertGreater(b["behind_schedule"], 0)
        self.assertEqual(b["messages"]["started"] + b["behind_schedule"],
                         50)
        self.assertGreater(lat["message"]["max_us"],
                           2 * lat["end_of_data"]["max_us"] +
                           lat["mail"]["max_us"] + lat["rcpt"]["max_us"] +
                           lat["data"]["max_us"])
        self.assert_agree(b, s)

    def test_interrupt_prints_the_report(self):
        sink = MailvetSink()
        p = subprocess.Popen([mvtest.BIN, "bench", "smtp://" + sink.addr,
                              "--duration", "60s", "--rate", "100/s",
                              "--json"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        time.sleep(1.0)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
        s = sink.finish()
        doc = json.loads(out)
        self.assertTrue(doc["bench"]["interrupted"])
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(s["messages"]["accepted"],
                         doc["bench"]["messages"]["accepted"])

    def test_text_report(self):
        sink = MailvetSink()
        r = mvtest.run(["bench", "smtp://" + sink.addr, "--messages", "200",
                        "--pipelining", "--interval", "0"])
        sink.finish()
        self.assertEqual(r.rc, 0, r)
        self.assertIn("200 messages accepted", r.out)
        self.assertIn("end_of_data", r.out)
        self.assertIn("verdict: pass (exit 0)", r.out)

    def test_unresolvable_host_elapsed(self):
        # The run fails before its workers start: the elapsed time is
        # that of the run, not of the clock since boot.
        t0 = time.monotonic()
        r, b = bench("smtp://nonexistent.invalid:25", "--messages", "5")
        wall = time.monotonic() - t0
        self.assertEqual(r.rc, 3, r)
        self.assertIn("resolve", json.dumps(r.json["error"]))
        self.assertGreaterEqual(b["elapsed_s"], 0)
        self.assertLessEqual(b["elapsed_s"], wall)

    def test_usage_errors_rate(self):
        for rate in ("1e-30", "0x10", "0x10/s", "inf", "nan", "1e3",
                     "0.00001", "0.01/h", "-1", "+5"):
            r = mvtest.run(["bench", "smtp://127.0.0.1:1", "--rate", rate])
            self.assertEqual(r.rc, 2, (rate, r))
            self.assertIn("--rate", r.err)
            r = mvtest.run(["bench", "smtp://127.0.0.1:1",
                            "--connect-rate", rate])
            self.assertEqual(r.rc, 2, (rate, r))

    def test_could_not_connect(self):
        port = free_port()
        r, b = bench("smtp://127.0.0.1:%d" % port, "--messages", "5",
                     "--sessions", "2")
        self.assertEqual(r.rc, 3, r)
        self.assertTrue(b["gave_up"])
        self.assertIn("connect", b["errors"])
        self.assertEqual(r.json["verdict"], "error")

    def test_usage_errors(self):
        for args in (["--sessions", "0"], ["--rate", "fast"],
                     ["--size", "1q"], ["--size-dist", "1k::2k"],
                     ["--eml-dir", "/nonexistent"], ["--to", "a b"],
                     ["--size", "1k", "--eml-dir", "/tmp"],
                     ["--threads", "1000"], ["--interval", "x"]):
            r = mvtest.run(["bench", "smtp://127.0.0.1:1"] + args)
            self.assertEqual(r.rc, 2, r)
            self.assertIn("mailvet bench:", r.err)
        r = mvtest.run(["bench", "pop3://127.0.0.1"])
        self.assertEqual(r.rc, 2, r)

    def test_nothing_reachable_has_an_error_object(self):
        """Exit 3 with --json names the error like every command does."""
        s = socket.socket()
        s.bind(("127.0.0.1", 0))        # bound, not listening: refused
        port = s.getsockname()[1]
        try:
            r = mvtest.run(["bench", "smtp://127.0.0.1:%d" % port,
                            "--messages", "5", "--json"], limit_s=60)
        finally:
            s.close()
        self.assertEqual(r.rc, 3, r)
        self.assertEqual(r.json["exit_code"], 3)
        self.assertEqual(r.json["error"]["category"], "connect", r.out)
        self.assertIn("refused", r.json["error"]["message"])

    def test_eml_dir(self):
        d = tempfile.mkdtemp(prefix="mvbencheml")
        with open(os.path.join(d, "a.eml"), "w") as f:
            f.write("Subject: a\n\n.dot first\nbody a\n")
        with open(os.path.join(d, "b.eml"), "wb") as f:
            f.write(b"Subject: b\r\n\r\n" + b"x" * 5000 + b"\r\n")
        with open(os.path.join(d, "ignored.txt"), "w") as f:
            f.write("not a message")
        sink = MailvetSink()
        r1, b1 = bench("smtp://" + sink.addr, "--messages", "300",
                       "--eml-dir", d, "--pipelining")
        r2, b2 = bench("smtp://" + sink.addr, "--messages", "100",
                       "--eml-dir", d, "--chunking", "--pipelining")
        s = sink.finish()
        shutil.rmtree(d)
        self.assertEqual(r1.rc, 0, r1)
        self.assertEqual(r2.rc, 0, r2)
        self.assertEqual(b1["config"]["distinct_messages"], 2)
        self.assert_agree(b1, s, 400)


STALL_EOD = GREETING + """expect MAIL
reply 250 ok
expect RCPT
reply 250 ok
expect DATA
reply 354 go
read-until-dot
sleep 60
"""


class BenchHostileServer(unittest.TestCase):
    """Servers that break the protocol: the message is never counted
    as accepted and the run ends with exit 1, within its timeouts."""

    def with_fake(self, script, fn):
        d = tempfile.mkdtemp(prefix="mvbenchfake")
        path, port_file = os.path.join(d, "s.fake"), os.path.join(d, "port")
        with open(path, "w") as f:
            f.write(script)
        p = subprocess.Popen(["python3", FAKE, "--script", path,
                              "--port-file", port_file, "--lifetime", "70"],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        try:
            t0 = time.monotonic()
            while not os.path.exists(port_file) or \
                    not os.path.getsize(port_file):
                self.assertIsNone(p.poll(), "fake did not start")
                self.assertLess(time.monotonic() - t0, 10)
                time.sleep(0.02)
            with open(port_file) as f:
                port = int(f.read())
            return fn("smtp://127.0.0.1:%d" % port)
        finally:
            p.terminate()
            p.wait(10)
            shutil.rmtree(d, ignore_errors=True)

    def run_fake(self, script, *args):
        return self.with_fake(script, lambda url: bench(
            url, "--messages", "1", "--sessions", "1", "--tls", "off",
            *args))

    def interrupt(self, url, signals, gap_s):
        """Run bench against a server that never answers the end of
        data (the default data timeout is minutes), send the signals
        after a second, gap_s apart; returns (rc, report, wall s)."""
        p = subprocess.Popen([mvtest.BIN, "bench", url, "--messages", "1",
                              "--sessions", "1", "--tls", "off", "--json"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(1.0)
        t0 = time.monotonic()
        for sig in signals:
            p.send_signal(sig)
            time.sleep(gap_s)
        try:
            out, err = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            self.fail("bench did not stop after %s" % (signals,))
        doc = json.loads(out)
        return p.returncode, doc["bench"], time.monotonic() - t0, err

    def test_ctrl_c_stops_a_stalled_run(self):
        # One Ctrl-C: drain for the grace, then abort what is in
        # flight, counted once.
        rc, b, wall, err = self.with_fake(STALL_EOD, lambda url:
                                          self.interrupt(
                                              url, [signal.SIGINT], 0))
        self.assertEqual(rc, 1, err)
        self.assertTrue(b["interrupted"])
        self.assertEqual(b["messages"]["started"], 1)
        self.assertEqual(b["messages"]["aborted"], 1)
        self.assertEqual(b["messages"]["accepted"], 0)

    def test_second_signal_aborts_at_once(self):
        # SIGTERM as Ctrl-C; the second one does not wait for the grace.
        rc, b, wall, err = self.with_fake(STALL_EOD, lambda url:
                                          self.interrupt(
                                              url, [signal.SIGTERM,
                                                    signal.SIGTERM], 0.2))
        self.assertEqual(rc, 1, err)
        self.assertTrue(b["interrupted"])
        self.assertEqual(b["messages"]["aborted"], 1)
        self.assertEqual(b["messages"]["started"], 1)

    def test_refused_mail_counted_alike_in_both_modes(self):
        # Every other MAIL refused.  Pipelined, the RCPT and DATA sent
        # behind the refused MAIL get 503s: they are not recipient
        # refusals, as in lock-step, where they are never sent.
        ok = """expect MAIL
reply 250 ok
expect RCPT
reply 250 ok
expect DATA
reply 354 go
read-until-dot
reply 250 queued
"""
        piped = GREETING + ("""expect MAIL
reply 550 5.7.1 not you
expect RCPT
reply 503 5.5.1 no MAIL
expect DATA
reply 503 5.5.1 no MAIL
""" + ok) * 2 + "expect QUIT\nreply 221 bye\n"
        lock = GREETING + ("""expect MAIL
reply 550 5.7.1 not you
""" + ok) * 2 + "expect QUIT\nreply 221 bye\n"
        res = {}
        for name, script, args in (("piped", piped, ["--pipelining"]),
                                   ("lock", lock, [])):
            r, b = self.with_fake(script, lambda url: bench(
                url, "--messages", "4", "--sessions", "1", "--tls", "off",
                *args))
            self.assertEqual(r.rc, 1, r)
            self.assertEqual(b["sessions_pipelined"], int(name == "piped"))
            res[name] = (b["messages"]["accepted"],
                         b["messages"]["rejected"],
                         b["recipients_accepted"],
                         b["recipients_rejected"],
                         b["rejected_by_phase"])
        self.assertEqual(res["piped"], (2, 2, 2, 0, {"mail": 2}))
        self.assertEqual(res["lock"], res["piped"])

    def test_reply_before_the_body(self):
        # 354 and a final 250 in one write: the 250 cannot be for a body
        # the server has not read.
        r, b = self.run_fake(GREETING + """expect MAIL
reply 250 ok
expect RCPT
reply 250 ok
expect DATA
send 354 go\\r\\n250 2.0.0 queued before reading\\r\\n
flush
sleep 2
""", "--pipelining")
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(b["messages"]["accepted"], 0)
        self.assertEqual(b["messages"]["aborted"], 1)
        self.assertIn("protocol", b["errors"])
        self.assertIn("before it could have read",
                      b["errors"]["protocol"]["sample"])

    def test_stalled_reply_times_out(self):
        r, b = self.run_fake(GREETING + """expect MAIL
sleep 20
""", "--command-timeout", "1s")
        self.assertEqual(r.rc, 1, r)
        self.assertLess(r.elapsed_s, 15)
        self.assertEqual(b["messages"]["aborted"], 1)
        self.assertIn("timeout", b["errors"])
        self.assertEqual(b["messages"]["connections"], 1)


class BenchToPostfixSmtpSink(unittest.TestCase):

    def setUp(self):
        if not os.path.exists(SMTP_SINK):
            self.skipTest("smtp-sink not installed")

    def test_counts_pipelining_on_and_off(self):
        for extra, n in ((["--pipelining"], 2000), ([], 500),
                         (["--pipelining", "--messages-per-connection", "1"],
                          200)):
            sink = PostfixSink()
            r, b = bench("smtp://127.0.0.1:%d" % sink.port, "--messages",
                         str(n), "--tls", "off", *extra)
            got = sink.messages(n)
            sink.stop()
            self.assertEqual(r.rc, 0, r)
            self.assertEqual(b["messages"]["accepted"], n)
            self.assertEqual(got, n)
            self.assertEqual(b["sessions_pipelined"] > 0,
                             "--pipelining" in extra)

    def test_lmtp(self):
        sink = PostfixSink("-L")
        r, b = bench("lmtp://127.0.0.1:%d" % sink.port, "--messages", "300",
                     "--rcpts", "2", "--pipelining", "--tls", "off")
        got = sink.messages(300)
        sink.stop()
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(b["deliveries"], 600)
        self.assertEqual(got, 300)


if __name__ == "__main__":
    unittest.main()
