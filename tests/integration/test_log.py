"""`mailvet log` on files, no lab needed: the sample corpus
(tests/unit/data/log), the command-line contract (exit codes, JSON,
stdin, .gz, unreadable files, garbage), and --follow across a rotation
and a truncation done while it runs.
"""
import gzip
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import mvtest

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "unit",
                    "data", "log")


def corpus(name):
    return os.path.join(DATA, name)


class LogFiles(unittest.TestCase):
    def test_summary_lab_logs(self):
        r = mvtest.run(["log", "--json", corpus("lab-postfix.log"),
                        corpus("lab-dovecot.log")])
        self.assertEqual(r.rc, 0, r)
        j = r.json
        self.assertEqual(j["command"], "log")
        self.assertEqual(j["exit_code"], 0)
        s = j["log"]["summary"]
        self.assertEqual(s["lines"]["total"], 94)
        self.assertEqual(s["messages"]["received"], 5)
        self.assertEqual(s["messages"]["delivered"], 4)
        self.assertEqual(s["messages"]["deferred"], 1)
        self.assertEqual(s["messages"]["rejected"], 1)
        self.assertEqual(s["dovecot"]["login_failures"], 4)
        domains = {d["domain"]: d for d in s["recipient_domains"]}
        self.assertEqual(domains["far.example"]["deferred"], 1)
        self.assertEqual(domains["lab.example"]["rejected"], 1)
        reasons = [x["reason"] for x in s["reasons"]["reject"]]
        self.assertIn("550 5.1.1 Recipient address rejected: User unknown "
                      "in virtual mailbox table", reasons)
        users = {x["user"]: x["count"]
                 for x in s["auth_failures"]["login_by_user"]}
        self.assertEqual(users["charlie@lab.example"], 2)

    def test_summary_text(self):
        r = mvtest.run(["log", corpus("syslog-traditional.log")])
        self.assertEqual(r.rc, 0, r)
        self.assertIn("malformed 5 (skipped)", r.out)
        self.assertRegex(r.out, r"\n +\d+ bytes queued \(size= of the "
                         r"messages qmgr queued\)\n")
        self.assertRegex(r.out, r"\n +4 rejected\n")
        self.assertRegex(r.out, r"\n +1 bounced\n")
        self.assertIn("Failed logins per remote ip", r.out)
        self.assertIn("203.0.113.99", r.out)

    def test_queue_id_timeline(self):
        r = mvtest.run(["log", corpus("lab-dovecot.log"),
                        corpus("lab-postfix.log"), "--queue-id",
                        "9DA8FA7A084"])
        self.assertEqual(r.rc, 0, r)
        self.assertIn("Message 9DA8FA7A084: sent", r.out)
        self.assertIn("mailbox: saved to INBOX of charlie@lab.example", r.out)
        lines = r.out.splitlines()
        tl = lines.index("  timeline:")
        self.assertIn("connect from unknown[127.0.0.1]", lines[tl + 1])
        self.assertIn("saved mail to INBOX", lines[-1])

    def test_message_id_json_and_exit_codes(self):
        r = mvtest.run(["log", "--json", "--message-id",
                        "<20261125161949.015490@vm>",
                        corpus("lab-postfix.log"), corpus("lab-dovecot.log")])
        self.assertEqual(r.rc, 1, r)   # found, but deferred
        m = r.json["log"]["messages"]
        self.assertEqual(len(m), 1)
        self.assertEqual(m[0]["queue_id"], "B0B4FA7A084")
        self.assertEqual(m[0]["status"], "deferred")
        self.assertFalse(m[0]["complete"])
        rc = m[0]["recipients"][0]
        self.assertEqual(rc["dsn"], "4.4.1")
        self.assertEqual(rc["delays_s"]["in_queue"], 0.01)
        # not there at all
        r = mvtest.run(["log", "--queue-id", "ABCDEF0123",
                        corpus("lab-postfix.log")])
        self.assertEqual(r.rc, 1, r)
        self.assertIn("No message matched", r.out)

    def test_stdin_and_gzip(self):
        with open(corpus("syslog-traditional.log")) as f:
            text = f.read()
        r = mvtest.run(["log", "--json"], stdin=text)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.json["log"]["summary"]["messages"]["received"], 5)
        with tempfile.TemporaryDirectory() as d:
            gz = os.path.join(d, "mail.log.1.gz")
            with gzip.open(gz, "wt") as f:
                f.write(text)
            r = mvtest.run(["log", "--json", gz])
            self.assertEqual(r.rc, 0, r)
            self.assertEqual(
                r.json["log"]["summary"]["messages"]["received"], 5)
            # a truncated .gz is an error, never a quiet half summary
            with open(gz, "rb") as f:
                data = f.read()
            with open(gz, "wb") as f:
                f.write(data[:len(data) // 2])
            r = mvtest.run(["log", gz])
            self.assertEqual(r.rc, 3, r)
            self.assertIn("truncated gzip", r.err)

    def test_garbage_is_counted_not_fatal(self):
        junk = bytes(range(256)) * 50 + b"\n" + b"\xff\xfe\x00abc\n" * 100
        with tempfile.NamedTemporaryFile(suffix=".log") as f:
            f.write(junk)
            f.write(b"Nov 25 16:19:49 mail postfix/smtpd[1]: 5E4A5BA2D4: "
                    b"client=\x1b[31mevil[192.0.2.1]\n")
            f.flush()
            r = mvtest.run(["log", "--json", f.name])
            self.assertEqual(r.rc, 0, r)
            s = r.json["log"]["summary"]
            self.assertEqual(s["lines"]["malformed"], s["lines"]["total"] - 1)
            r = mvtest.run(["log", "--queue-id", "5E4A5BA2D4", f.name])
            self.assertIn("\\x1b[31mevil", r.out)
            self.assertNotIn("\x1b", r.out)

    def test_usage_and_unreadable(self):
        r = mvtest.run(["log", "/nonexistent/mail.log"])
        self.assertEqual(r.rc, 3, r)
        self.assertIn("/nonexistent/mail.log", r.err)
        r = mvtest.run(["log", "--json", "/nonexistent/mail.log"])
        self.assertEqual(r.rc, 3, r)
        self.assertEqual(r.json["exit_code"], 3)
        self.assertEqual(mvtest.run(["log", "--bogus"]).rc, 2)
        self.assertEqual(mvtest.run(["log", "--top", "0", "x"]).rc, 2)
        self.assertEqual(mvtest.run(["log", "--follow"]).rc, 2)
        self.assertEqual(mvtest.run(["log", "--from-start", "x"]).rc, 2)
        # One question per run: the exit status answers one.
        for extra in (["--queue-id", "A", "--queue-id", "B"],
                      ["--message-id", "<a@b>", "--queue-id", "B"]):
            r = mvtest.run(["log", "/dev/null"] + extra)
            self.assertEqual(r.rc, 2, r)
            self.assertIn("one message per run", r.err)
        with tempfile.NamedTemporaryFile(suffix=".log") as f:
            # a file that cannot be opened (not merely missing: --follow
            # waits for those, like tail -F)
            r = mvtest.run(["log", "--follow", f.name, f.name + "/b.log"])
            self.assertEqual(r.rc, 3, r)
            self.assertIn(f.name + "/b.log", r.err)
        r = mvtest.run(["log", "--help"])
        self.assertEqual(r.rc, 0)
        self.assertIn("--follow", r.out)
        # the open-message cap: ~700 bytes each, so 200000 by default
        self.assertIn("--max-open N           messages tracked at once "
                      "(default 200000", r.out)

    def test_follow_refuses_gzip(self):
        # --follow would read compressed bytes as text: a usage error,
        # whether the name says .gz or only the content does
        with tempfile.TemporaryDirectory() as d:
            plain_name = os.path.join(d, "mail.log.1")
            with gzip.open(plain_name, "wt") as f:
                f.write(message_lines("ABCDE00001"))
            gz_name = os.path.join(d, "mail.log.2.gz")
            shutil.copy(plain_name, gz_name)
            for path in (plain_name, gz_name):
                r = mvtest.run(["log", "--follow", "--stop-after", "1s",
                                path])
                self.assertEqual(r.rc, 2, r)
                self.assertIn("gzip", r.err)
                self.assertIn(path, r.err)

    def test_milter_rcpt_reject_keeps_the_message(self):
        # a milter refusing one recipient at RCPT does not end the
        # message: one record, the other recipient delivered, exit 0
        lines = [
            "Nov 25 12:00:00 mx postfix/smtpd[10]: connect from "
            "c.example[198.51.100.1]",
            "Nov 25 12:00:01 mx postfix/smtpd[10]: 4F1A2B3C4D: client="
            "c.example[198.51.100.1]",
            "Nov 25 12:00:01 mx postfix/smtpd[10]: 4F1A2B3C4D: milter-"
            "reject: RCPT from c.example[198.51.100.1]: 451 4.3.2 Try "
            "later; from=<s@c.example> to=<bad@example.com> proto=ESMTP "
            "helo=<c.example>",
            "Nov 25 12:00:02 mx postfix/cleanup[11]: 4F1A2B3C4D: "
            "message-id=<m1@c.example>",
            "Nov 25 12:00:02 mx postfix/qmgr[12]: 4F1A2B3C4D: from=<s@c."
            "example>, size=500, nrcpt=1 (queue active)",
            "Nov 25 12:00:03 mx postfix/local[13]: 4F1A2B3C4D: to=<good@"
            "example.com>, relay=local, delay=2, delays=1/0/0/1, "
            "dsn=2.0.0, status=sent (delivered to mailbox)",
            "Nov 25 12:00:03 mx postfix/qmgr[12]: 4F1A2B3C4D: removed",
        ]
        text = "".join(l + "\n" for l in lines)
        r = mvtest.run(["log", "--json", "--queue-id", "4F1A2B3C4D"],
                       stdin=text)
        self.assertEqual(r.rc, 0, r)
        m = r.json["log"]["messages"]
        self.assertEqual(len(m), 1)
        self.assertEqual(m[0]["status"], "sent")
        self.assertTrue(m[0]["complete"])
        self.assertEqual(m[0]["message_id"], "<m1@c.example>")
        st = {x["to"]: x["status"] for x in m[0]["recipients"]}
        self.assertEqual(st, {"bad@example.com": "rejected",
                              "good@example.com": "sent"})
        # the summary: bytes queued by qmgr under their own name
        r = mvtest.run(["log", "--json"], stdin=text)
        msgs = r.json["log"]["summary"]["messages"]
        self.assertEqual(msgs["queued_bytes"], 500)
        self.assertNotIn("received_bytes", msgs)
        self.assertEqual(msgs["completed"], 1)
        self.assertEqual(msgs["still_queued"], 0)

    def test_c1_controls_and_bad_utf8_escaped(self):
        # U+009B (C2 9B) is CSI to many terminals; a lone 0x9b and other
        # invalid UTF-8 too.  Valid UTF-8 text stays readable.
        line = (b"Nov 25 16:19:49 mail postfix/smtpd[1]: 5E4A5BA2D4: "
                b"client=caf\xc3\xa9\xc2\x9b31m\x9b2J\xff[192.0.2.1]\n")
        with tempfile.NamedTemporaryFile(suffix=".log") as f:
            f.write(line)
            f.flush()
            p = subprocess.run([mvtest.BIN, "log", "--queue-id",
                                "5E4A5BA2D4", f.name], capture_output=True,
                               timeout=60)
        out = p.stdout
        self.assertIn(b"caf\xc3\xa9\\xc2\\x9b31m\\x9b2J\\xff[192.0.2.1]",
                      out)
        self.assertNotIn(b"\xc2\x9b", out)
        self.assertNotIn(b"\x9b", out.replace(b"\xc3\xa9", b""))
        self.assertNotIn(b"\xff", out)

    def test_report_layer_includes_no_upper_layer(self):
        # layers point down only (docs/ARCHITECTURE.md): the log
        # renderers and result structs may include report/ and core/
        src = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "..", "..", "src", "report")
        names = [n for n in os.listdir(src) if "log" in n and
                 n.endswith((".c", ".h"))]
        self.assertIn("log_report.h", names)
        for n in names:
            with open(os.path.join(src, n)) as f:
                for l in f:
                    if l.startswith("#include \""):
                        inc = l.split('"')[1]
                        self.assertTrue(inc.startswith(("report/",
                                                        "core/")),
                                        "%s includes %s" % (n, inc))


LINES = [
    "{t} mail postfix/smtpd[100]: connect from unknown[127.0.0.1]",
    "{t} mail postfix/smtpd[100]: {q}: client=unknown[127.0.0.1]",
    "{t} mail postfix/cleanup[101]: {q}: message-id=<{q}@test>",
    "{t} mail postfix/qmgr[102]: {q}: from=<a@x.example>, size=10, nrcpt=1 "
    "(queue active)",
    "{t} mail postfix/lmtp[103]: {q}: to=<u@lab.example>, relay=x, delay=0.1,"
    " delays=0.1/0/0/0, dsn=2.0.0, status=sent (250 2.0.0 <u@lab.example> "
    "S{q} Saved)",
    "{t} mail postfix/qmgr[102]: {q}: removed",
]


def message_lines(qid):
    t = time.strftime("%b %d %H:%M:%S")
    return "".join(l.format(t=t, q=qid) + "\n" for l in LINES)


class LogFollow(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mailvet-follow-")
        self.log = os.path.join(self.dir, "mail.log")
        self.dlog = os.path.join(self.dir, "dovecot.log")
        open(self.log, "w").close()
        open(self.dlog, "w").close()
        self.proc = None

    def tearDown(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc:
            self.out.close()
            self.errf.close()
        shutil.rmtree(self.dir)

    def start(self, *extra):
        self.out = open(os.path.join(self.dir, "out"), "w+")
        self.errf = open(os.path.join(self.dir, "err"), "w+")
        env = dict(os.environ, NO_COLOR="1")
        self.proc = subprocess.Popen(
            [mvtest.BIN, "log", "--follow", "--json", "--poll", "50ms",
             "--grace", "300ms", "--stop-after", "60s", self.log, self.dlog]
            + list(extra), stdout=self.out, stderr=self.errf, env=env)
        self.wait_for(lambda: "following 2 files" in self.err())

    def err(self):
        self.errf.seek(0)
        return self.errf.read()

    def records(self):
        self.out.seek(0)
        return [json.loads(l) for l in self.out.read().splitlines() if l]

    def wait_for(self, cond, limit=20):
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if cond():
                return
            if self.proc.poll() is not None:
                self.fail("mailvet exited early: %s" % self.err())
            time.sleep(0.05)
        self.fail("timed out; stderr: %s" % self.err())

    def append(self, path, text):
        with open(path, "a") as f:
            f.write(text)

    def qids(self):
        return [r["queue_id"] for r in self.records()]

    def test_follow_message_id_skips_records_without_one(self):
        # --follow --message-id X printed every message that had no
        # message-id line (reviewer); only X's record may come out
        self.start("--message-id", "<AAAAA00012@test>")
        nomsgid = "".join(l + "\n" for l in
                          message_lines("AAAAA00010").splitlines()
                          if "message-id=" not in l)
        self.append(self.log, nomsgid)
        self.append(self.log, message_lines("AAAAA00011"))
        self.append(self.log, message_lines("AAAAA00012"))
        self.wait_for(lambda: "AAAAA00012" in self.qids())
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(timeout=20), 0)
        self.assertEqual(self.qids(), ["AAAAA00012"])

    def test_follow_waits_for_a_missing_file(self):
        # tail -F: a file that is not there yet is waited for, then read
        # from its start
        os.unlink(self.log)
        self.start()
        self.assertIn("waiting for %s to appear" % self.log, self.err())
        self.append(self.log, message_lines("AAAAA00020"))
        self.wait_for(lambda: "AAAAA00020" in self.qids())
        self.assertIn("%s appeared" % self.log, self.err())

    def test_follow_text_unknown_vs_null_sender(self):
        # text lines: from=<> only for a real null sender, from=- when
        # no line named the sender
        self.out = open(os.path.join(self.dir, "out"), "w+")
        self.errf = open(os.path.join(self.dir, "err"), "w+")
        self.proc = subprocess.Popen(
            [mvtest.BIN, "log", "--follow", "--poll", "50ms", "--grace",
             "100ms", "--stop-after", "60s", self.log],
            stdout=self.out, stderr=self.errf)
        self.wait_for(lambda: "following 1 file" in self.err())
        unknown = "".join(l + "\n" for l in
                          message_lines("AAAAA00030").splitlines()
                          if "from=<" not in l)
        bounce = message_lines("AAAAA00031").replace("from=<a@x.example>",
                                                     "from=<>")
        self.append(self.log, unknown + bounce)

        def text():
            self.out.seek(0)
            return self.out.read()
        self.wait_for(lambda: "AAAAA00031" in text())
        lines = {l.split()[2]: l for l in text().splitlines()}
        self.assertIn(" from=- ", lines["AAAAA00030"])
        self.assertIn(" from=<> ", lines["AAAAA00031"])
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(timeout=20), 0)

    def test_follow_rotation_and_truncation(self):
        # what the file held before is not reported (tail -F)
        self.append(self.log, message_lines("AAAAA00001"))
        self.start()
        self.append(self.log, message_lines("AAAAA00002"))
        self.wait_for(lambda: "AAAAA00002" in self.qids())
        # rotation: rename, then a new file at the same path; a line cut
        # at the end of the old file is completed by the rename
        t = time.strftime("%b %d %H:%M:%S")
        self.append(self.log, message_lines("AAAAA00003")[:-1])
        os.rename(self.log, self.log + ".1")
        self.append(self.log, message_lines("AAAAA00004"))
        self.wait_for(lambda: "AAAAA00004" in self.qids())
        self.wait_for(lambda: "AAAAA00003" in self.qids())
        self.assertIn("was rotated", self.err())
        # Dovecot's save, in the other file, is linked to the record
        msg = message_lines("AAAAA00005")
        body, removed = msg.rsplit("\n", 2)[0] + "\n", msg.rsplit("\n", 2)[1]
        self.append(self.log, body)
        self.append(self.dlog, "%s lmtp(u@lab.example)<9><SAAAAA00005>: "
                    "Info: msgid=<AAAAA00005@test>: saved mail to INBOX\n"
                    % t)
        self.append(self.log, removed + "\n")
        self.wait_for(lambda: "AAAAA00005" in self.qids())
        rec = [r for r in self.records() if r["queue_id"] == "AAAAA00005"][0]
        self.assertEqual(rec["recipients"][0]["mailbox"]["mailbox"], "INBOX")
        # truncation in place (copytruncate)
        with open(self.log, "w"):
            pass
        self.append(self.log, message_lines("AAAAA00006"))
        self.wait_for(lambda: "AAAAA00006" in self.qids())
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(timeout=20), 0)
        q = self.qids()
        self.assertNotIn("AAAAA00001", q)
        for want in ("AAAAA00002", "AAAAA00003", "AAAAA00004",
                     "AAAAA00005", "AAAAA00006"):
            self.assertEqual(q.count(want), 1, q)
        for r in self.records():
            self.assertEqual(r["status"], "sent")
            self.assertTrue(r["complete"])


if __name__ == "__main__":
    unittest.main()
