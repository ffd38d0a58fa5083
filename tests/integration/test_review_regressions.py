"""Regression tests for bugs a code review found in the engines: each
scenario reproduces the server behaviour, each test the fixed verdict.

- replies sent before their command (SMTP, POP3) are a protocol
  violation, not answers to the next command;
- SASL challenges after the exchange is complete are refused instead of
  answered for as long as the server likes (SMTP, POP3, IMAP);
- a SCRAM login the server "accepts" without proving it knows the
  password is not reported as authenticated;
- a bare "* BYE" is reported without stray bytes;
- escape sequences from the server never reach the terminal.
"""
import os
import tempfile
import unittest

import mvtest
from test_hostile import fake_server, client_lines


class ReviewCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(mvtest.BIN, os.X_OK):
            raise unittest.SkipTest("no mailvet binary at %s" % mvtest.BIN)
        cls.tmp = tempfile.mkdtemp(prefix="mv-review-")
        cls.pw = os.path.join(cls.tmp, "pw")
        with open(cls.pw, "w") as f:
            f.write("s3cret\n")

    def run_mv(self, cmd, srv, *extra, json_out=True):
        args = [cmd, "127.0.0.1:%d" % srv.port, "--tls", "off",
                "--timeout", "3s"] + list(extra)
        if json_out:
            args.append("--json")
        r = mvtest.run(args, limit_s=20)
        self.assertNotIn("s3cret", r.out + r.err)
        return r

    def assert_protocol(self, r, needle):
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.json["error"]["category"], "protocol", r)
        self.assertIn(needle, r.json["error"]["message"])
        # Ended promptly: not after answering for as long as the
        # server liked, nor at a timeout.
        self.assertLess(r.elapsed_s, 2.5, r)


class TestOutOfStep(ReviewCase):
    def test_smtp_reply_before_its_command(self):
        with fake_server("smtp-early-reply") as srv:
            r = self.run_mv("smtp", srv, "--to", "a@lab.example")
        self.assert_protocol(r, "before it could have read")
        self.assertFalse(r.json["smtp"]["helo_fallback"])

    def test_pop3_response_before_its_command(self):
        with fake_server("pop3-early-response") as srv:
            r = self.run_mv("pop3", srv, "--user", "u", "--password-file",
                            self.pw)
        self.assert_protocol(r, "before it could have read")
        self.assertFalse(r.json["pop3"]["auth"] and
                         r.json["pop3"]["auth"]["ok"])


class TestSaslEndless(ReviewCase):
    def check_refused(self, scenario, cmd, *extra):
        with fake_server(scenario) as srv:
            r = self.run_mv(cmd, srv, "--user", "u", "--password-file",
                            self.pw, "--auth-mech", "PLAIN", *extra)
            log = srv.log()
        self.assert_protocol(r, "after the PLAIN exchange was complete")
        # One cancellation, not an answer to every challenge.
        sent = client_lines(log)
        self.assertLessEqual(len([l for l in sent if l == ""]), 0, sent)
        self.assertIn("*", [l.split()[-1] if l.split() else l
                            for l in sent], sent)

    def test_smtp_334_after_completion(self):
        self.check_refused("smtp-auth-endless-334", "smtp", "--quit-after",
                           "auth")

    def test_pop3_plus_after_completion(self):
        self.check_refused("pop3-auth-endless-plus", "pop3")

    def test_imap_plus_after_completion(self):
        self.check_refused("imap-auth-endless-plus", "imap")


class TestScramWithoutProof(ReviewCase):
    def test_235_before_the_server_signature(self):
        with fake_server("smtp-scram-no-proof") as srv:
            r = self.run_mv("smtp", srv, "--user", "u", "--password-file",
                            self.pw, "--auth-mech", "SCRAM-SHA-256",
                            "--to", "a@lab.example")
        self.assert_protocol(r, "never proved that it knows the password")
        self.assertFalse(r.json["smtp"]["auth"]["ok"])
        auth = [c for c in r.json["checks"] if c["name"] == "auth"]
        self.assertEqual(auth[0]["verdict"], "fail")


class TestImapOddities(ReviewCase):
    def test_bare_bye(self):
        with fake_server("imap-bare-bye") as srv:
            r = self.run_mv("imap", srv, "--user", "u", "--password-file",
                            self.pw)
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.json["error"]["category"], "closed")
        self.assertEqual(r.json["error"]["message"], "the server said BYE")

    def test_escape_sequences_stay_escaped(self):
        with fake_server("imap-escape-capability") as srv:
            r = self.run_mv("imap", srv, "--user", "u", "--password-file",
                            self.pw, json_out=False)
        self.assertEqual(r.rc, 0, r)
        for c in ("\x1b", "\x07"):
            self.assertNotIn(c, r.out)
        self.assertIn("\\x1b[31mRED", r.out)


if __name__ == "__main__":
    unittest.main()
