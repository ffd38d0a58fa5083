"""`mailvet bench` against the lab's real Postfix and Dovecot.

Small counts (they land in the lab user's Maildir): every message the
bench reports accepted must arrive, exactly once, found by the run id
and sequence number of its X-Mailvet-Bench header.  SMTP with STARTTLS
and pipelining, submission with STARTTLS and AUTH, implicit TLS with
AUTH and a new connection per message, and LMTP straight into Dovecot.
"""
import glob
import os
import re
import time
import unittest

import mvtest


class BenchLab(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.lab = mvtest.lab_env()

    def url(self, scheme, port_key):
        return "%s://%s:%s" % (scheme, self.lab["LAB_HOST"],
                               self.lab[port_key])

    def bench(self, *args):
        r = mvtest.run(["bench"] + list(args) + ["--json"], limit_s=120)
        self.assertTrue(r.out.startswith("{"), r)
        return r, r.json["bench"]

    def delivered(self, run_id, expect, maildir_key="LAB_MAILDIR_USER"):
        """Sequence numbers of this run found in the Maildir, waiting
        until expect of them are there (or 60 s)."""
        pat = re.compile(r"X-Mailvet-Bench: run=%s seq=(\d+) " % run_id)
        new = os.path.join(self.lab[maildir_key], "new")
        t0 = time.monotonic()
        while True:
            seqs = []
            for path in glob.glob(os.path.join(new, "*")):
                try:
                    with open(path, errors="replace") as f:
                        m = pat.search(f.read(4096))
                except OSError:
                    continue
                if m:
                    seqs.append(int(m.group(1)))
            if len(seqs) >= expect or time.monotonic() - t0 > 60:
                return seqs
            time.sleep(0.3)

    def assert_all_delivered(self, b, n, maildir_key="LAB_MAILDIR_USER"):
        self.assertEqual(b["messages"]["accepted"], n)
        seqs = self.delivered(b["config"]["run_id"], n, maildir_key)
        self.assertEqual(len(seqs), n)
        self.assertEqual(len(set(seqs)), n, "a message arrived twice")

    def test_smtp_starttls_pipelining(self):
        r, b = self.bench(self.url("smtp", "LAB_SMTP_PORT"), "--messages",
                          "200", "--sessions", "4", "--pipelining",
                          "--tls", "required", "--cafile", self.lab["LAB_CA"],
                          "--to", self.lab["LAB_USER"])
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(b["sessions_tls"], 4)
        self.assertEqual(b["sessions_pipelined"], 4)
        self.assert_all_delivered(b, 200)

    def test_submission_tls_auth(self):
        r, b = self.bench(self.url("submission", "LAB_SUBMISSION_PORT"),
                          "--messages", "100", "--sessions", "3",
                          "--pipelining", "--tls", "required", "--cafile",
                          self.lab["LAB_CA"], "--auth-user",
                          self.lab["LAB_USER"], "--password-file",
                          self.lab["LAB_PASSFILE"], "--from",
                          self.lab["LAB_USER"], "--to",
                          self.lab["LAB_USER2"])
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(b["latency"]["auth"]["count"], 3)
        self.assert_all_delivered(b, 100, "LAB_MAILDIR_USER2")

    def test_smtps_new_connection_per_message(self):
        r, b = self.bench(self.url("smtps", "LAB_SMTPS_PORT"), "--messages",
                          "30", "--sessions", "3",
                          "--messages-per-connection", "1", "--cafile",
                          self.lab["LAB_CA"], "--auth-user",
                          self.lab["LAB_USER"], "--password-file",
                          self.lab["LAB_PASSFILE"], "--from",
                          self.lab["LAB_USER"], "--to", self.lab["LAB_USER"])
        self.assertEqual(r.rc, 0, r)
        self.assertGreaterEqual(b["messages"]["connections"], 30)
        self.assertEqual(b["sessions_tls"], b["messages"]["connections"])
        self.assert_all_delivered(b, 30)

    def test_lmtp_into_dovecot(self):
        r, b = self.bench(self.url("lmtp", "LAB_LMTP_PORT"), "--messages",
                          "60", "--sessions", "2", "--pipelining", "--tls",
                          "off", "--to", self.lab["LAB_USER"], "--to",
                          self.lab["LAB_USER2"], "--rcpts", "2")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(b["deliveries"], 120)
        self.assert_all_delivered(b, 60)
        self.assert_all_delivered(b, 60, "LAB_MAILDIR_USER2")

    def test_unknown_recipient_rejected(self):
        r, b = self.bench(self.url("smtp", "LAB_SMTP_PORT"), "--messages",
                          "5", "--sessions", "1", "--tls", "off",
                          "--to", "nobody-here@" + self.lab["LAB_DOMAIN"])
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(b["messages"]["rejected"], 5)
        self.assertEqual(b["rejected_by_phase"], {"rcpt": 5})
        self.assertEqual(b["replies"]["5xx"], 5)


if __name__ == "__main__":
    unittest.main()
