"""`mailvet smtp` against the real lab: Postfix (SMTP, submission, SMTPS)
and Dovecot (LMTP), started by the CTest fixture (tests/lab/lab.sh).

Every delivery test follows the message to its end: the queue id from the
250 reply must reach status=sent in Postfix's log and the message (found
by its unique token) must land in the user's Maildir.
"""
import base64
import glob
import os
import pty
import select
import subprocess
import time
import unittest

import mvtest


class LabCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lab = mvtest.lab_env()
        cls.secrets = []

    def url(self, scheme, port_key):
        return "%s://127.0.0.1:%s" % (scheme, self.lab[port_key])

    def smtp(self, *args, **kw):
        r = mvtest.run(["smtp"] + list(args), **kw)
        self.assert_no_secrets(r)
        return r

    def assert_no_secrets(self, r):
        """No password, nor its base64 forms, may ever be printed."""
        user, pw = self.lab["LAB_USER"], self.lab["LAB_PASS"]
        forms = [pw, base64.b64encode(pw.encode()).decode(),
                 base64.b64encode(("\0%s\0%s" % (user, pw)).encode()).decode(),
                 base64.b64encode(("%s\0%s\0%s" % (user, user, pw)).encode()).decode()]
        for f in forms:
            self.assertNotIn(f, r.out, "secret leaked on stdout: %r" % r)
            self.assertNotIn(f, r.err, "secret leaked on stderr: %r" % r)

    def assert_delivered(self, r, user_maildir_key="LAB_MAILDIR_USER"):
        j = r.json
        qid, token = j["smtp"]["queue_id"], j["smtp"]["token"]
        self.assertTrue(qid, r)
        self.assertTrue(token, r)
        log = self.lab["LAB_POSTFIX_LOG"]
        maildir = self.lab[user_maildir_key]
        deadline = time.monotonic() + 20
        sent = found = False
        while time.monotonic() < deadline and not (sent and found):
            with open(log, errors="replace") as f:
                sent = any(qid + ": to=<" in l and "status=sent" in l
                           for l in f)
            for path in glob.glob(os.path.join(maildir, "new", "*")):
                with open(path, errors="replace") as f:
                    if token in f.read():
                        found = True
                        break
            time.sleep(0.2)
        self.assertTrue(sent, "queue id %s never reached status=sent in %s"
                        % (qid, log))
        self.assertTrue(found, "message with token %s not in %s" %
                        (token, maildir))

    def check(self, j, name):
        for c in j["checks"]:
            if c["name"] == name:
                return c
        self.fail("no check %r in %r" % (name, j["checks"]))


class TestPlainAndStarttls(LabCase):
    def test_plain_send_to_local_user_is_delivered(self):
        r = self.smtp(self.url("smtp", "LAB_SMTP_PORT"), "--tls", "off",
                      "--from", "samt@example.org", "--to",
                      self.lab["LAB_USER"], "--json")
        self.assertEqual(r.rc, 0, r)
        j = r.json
        self.assertEqual(j["verdict"], "pass")
        self.assertIsNone(j["smtp"]["tls"])
        self.assertEqual(self.check(j, "tls")["verdict"], "skip")
        self.assertEqual(j["smtp"]["end_of_data"]["code"], 250)
        self.assert_delivered(r)

    def test_starttls_required_verified_with_lab_ca(self):
        r = self.smtp(self.url("smtp", "LAB_SMTP_PORT"), "--tls", "required",
                      "--cafile", self.lab["LAB_CA"], "--to",
                      self.lab["LAB_USER"], "--json")
        self.assertEqual(r.rc, 0, r)
        tls = r.json["smtp"]["tls"]
        self.assertEqual(tls["mode"], "starttls")
        self.assertIn(tls["version"], ("TLSv1.2", "TLSv1.3"))
        self.assertTrue(tls["verified"])
        self.assertIn("mail.lab.example", tls["chain"][0]["subject"])
        self.assertEqual(len(tls["chain"][0]["sha256"]), 95)
        kinds = [t["kind"] for t in r.json["transcript"]]
        self.assertIn("tls", kinds)
        # RFC 3207: EHLO is sent again after the handshake.
        ehlos = [t for t in r.json["transcript"]
                 if t["kind"] == "client" and t["text"].startswith("EHLO")]
        self.assertEqual(len(ehlos), 2)
        self.assert_delivered(r)

    def test_verification_fails_without_the_lab_ca(self):
        r = self.smtp(self.url("smtp", "LAB_SMTP_PORT"), "--tls", "required",
                      "--to", self.lab["LAB_USER"], "--json")
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.json["error"]["category"], "tls")
        msg = r.json["error"]["message"]
        self.assertIn("mailvet lab CA", msg)
        self.assertIn("--cafile", msg)
        # Nothing was sent after the failed verification...
        self.assertNotIn("MAIL FROM", r.out)
        # ...but the certificate is in the result, with the reason.
        tls = r.json["smtp"]["tls"]
        self.assertFalse(tls["verified"])
        self.assertIn("mail.lab.example", tls["chain"][0]["subject"])
        self.assertEqual(self.check(r.json, "certificate")["verdict"], "fail")
        self.assertEqual(self.check(r.json, "tls")["verdict"], "pass")

    def test_name_mismatch_is_explained(self):
        r = self.smtp(self.url("smtp", "LAB_SMTP_PORT"), "--cafile",
                      self.lab["LAB_CA"], "--servername", "other.example",
                      "--to", self.lab["LAB_USER"], "--json")
        self.assertEqual(r.rc, 1, r)
        msg = r.json["error"]["message"]
        self.assertIn("other.example", msg)
        self.assertIn("mail.lab.example", msg)

    def test_insecure_continues_but_reports_the_finding(self):
        r = self.smtp(self.url("smtp", "LAB_SMTP_PORT"), "--insecure",
                      "--to", self.lab["LAB_USER"], "--json")
        self.assertEqual(r.rc, 1, r)
        self.assertIsNone(r.json["error"])
        self.assertEqual(self.check(r.json, "certificate")["verdict"], "fail")
        self.assertTrue(r.json["smtp"]["queue_id"])

    def test_pipelining_against_postfix(self):
        r = self.smtp(self.url("smtp", "LAB_SMTP_PORT"), "--cafile",
                      self.lab["LAB_CA"], "--pipelining", "--to",
                      self.lab["LAB_USER"], "--to", self.lab["LAB_USER2"],
                      "--json")
        self.assertEqual(r.rc, 0, r)
        self.assertTrue(r.json["smtp"]["pipelined"])
        self.assertEqual([x["code"] for x in r.json["smtp"]["recipients"]],
                         [250, 250])
        self.assert_delivered(r)
        self.assert_delivered(r, "LAB_MAILDIR_USER2")

    def test_unknown_recipient_is_a_finding(self):
        r = self.smtp(self.url("smtp", "LAB_SMTP_PORT"), "--cafile",
                      self.lab["LAB_CA"], "--to", self.lab["LAB_USER"],
                      "--to", "nobody@" + self.lab["LAB_DOMAIN"], "--json")
        self.assertEqual(r.rc, 1, r)
        rc = [x["code"] for x in r.json["smtp"]["recipients"]]
        self.assertEqual(rc[0], 250)
        self.assertGreaterEqual(rc[1], 500)
        fails = [c for c in r.json["checks"] if c["verdict"] == "fail"]
        self.assertEqual([c["name"] for c in fails], ["rcpt"])
        self.assertIn("nobody@", fails[0]["summary"])
        # The accepted recipient still gets the message.
        self.assert_delivered(r)

    def test_quit_after_ehlo_sends_no_envelope(self):
        r = self.smtp(self.url("smtp", "LAB_SMTP_PORT"), "--quit-after",
                      "ehlo", "--json")
        self.assertEqual(r.rc, 0, r)
        sent = [t["text"] for t in r.json["transcript"]
                if t["kind"] == "client"]
        self.assertEqual(sent[0].split()[0], "EHLO")
        self.assertEqual(sent[-1], "QUIT")
        self.assertFalse(any(s.startswith("MAIL") for s in sent))
        self.assertTrue(r.json["smtp"]["quit_ok"])
        self.assertIn("STARTTLS", r.json["smtp"]["ehlo"]["capabilities"])

    def test_implicit_tls_against_a_plaintext_port(self):
        r = self.smtp(self.url("smtps", "LAB_SMTP_PORT"), "--to",
                      self.lab["LAB_USER"], "--json")
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.json["error"]["category"], "tls")
        self.assertIn("did not answer with TLS", r.json["error"]["message"])

    def test_plaintext_against_an_implicit_tls_port(self):
        r = self.smtp(self.url("smtp", "LAB_SMTPS_PORT"), "--to",
                      self.lab["LAB_USER"], "--banner-timeout", "1s",
                      "--json")
        self.assertEqual(r.rc, 3, r)
        self.assertEqual(r.json["error"]["category"], "timeout")
        self.assertIn("smtps://", r.json["error"]["message"])
        self.assertLess(r.elapsed_s, 5)

    def test_cafile_that_is_not_pem_is_a_usage_error(self):
        bad = os.path.join(self.lab["LAB_DIR"], "not-a-ca.pem")
        with open(bad, "w") as f:
            f.write("hello\n")
        r = self.smtp(self.url("smtp", "LAB_SMTP_PORT"), "--cafile", bad,
                      "--to", self.lab["LAB_USER"], "--json")
        # Found before connecting: a usage error like any other, on stderr.
        self.assertEqual(r.rc, 2, r)
        self.assertIn(bad, r.err)
        self.assertEqual(r.out, "")

    def test_source_address_is_used(self):
        r = self.smtp(self.url("smtp", "LAB_SMTP_PORT"), "--source",
                      "127.0.0.2", "--quit-after", "banner", "--json")
        self.assertEqual(r.rc, 0, r)
        self.assertTrue(r.json["smtp"]["local"].startswith("127.0.0.2:"), r)


class TestSubmission(LabCase):
    def submit(self, *extra, url=None, **kw):
        return self.smtp(url or self.url("submission", "LAB_SUBMISSION_PORT"),
                         "--cafile", self.lab["LAB_CA"], "--auth-user",
                         self.lab["LAB_USER"], "--from", self.lab["LAB_USER"],
                         "--to", self.lab["LAB_USER"], "--json", *extra, **kw)

    def test_auth_mechanisms_after_starttls(self):
        for mech in ("PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"):
            with self.subTest(mech=mech):
                r = self.submit("--password-file", self.lab["LAB_PASSFILE"],
                                "--auth-mech", mech)
                self.assertEqual(r.rc, 0, r)
                auth = r.json["smtp"]["auth"]
                self.assertEqual(auth["mechanism"], mech)
                self.assertTrue(auth["ok"])
                self.assertEqual(r.json["smtp"]["tls"]["mode"], "starttls")
                # AUTH was not offered before TLS on submission.
                self.assertNotIn("PLAIN",
                                 r.json["smtp"]["ehlo_before_tls"]["auth"])
                redacted = [t["text"] for t in r.json["transcript"]
                            if t["text"].startswith("AUTH")]
                self.assertTrue(redacted and all(
                    len(t.split()) == 2 or "redacted" in t
                    for t in redacted), redacted)
                self.assert_delivered(r)

    def test_password_from_environment(self):
        r = self.submit(env={"MAILVET_PASSWORD": self.lab["LAB_PASS"]})
        self.assertEqual(r.rc, 0, r)

    def test_wrong_password_is_a_clear_finding(self):
        pw = os.path.join(self.lab["LAB_DIR"], "wrong.pw")
        with open(pw, "w") as f:
            f.write("not-the-password\n")
        r = self.submit("--password-file", pw, "--auth-mech", "PLAIN")
        self.assertEqual(r.rc, 1, r)
        err = r.json["error"]
        self.assertEqual(err["category"], "rejected")
        self.assertIn("535", err["message"])
        self.assertIn("password", err["message"])
        self.assertEqual(self.check(r.json, "auth")["verdict"], "fail")
        self.assertNotIn("not-the-password", r.out)
        self.assertNotIn(base64.b64encode(
            ("\0%s\0not-the-password" % self.lab["LAB_USER"]).encode())
            .decode(), r.out)

    def test_no_tls_means_no_auth_on_submission(self):
        r = self.submit("--password-file", self.lab["LAB_PASSFILE"],
                        "--tls", "off")
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.json["error"]["category"], "server-lacks-feature")
        self.assertIn("STARTTLS", r.json["error"]["message"])

    def test_smtps_implicit_tls(self):
        r = self.submit("--password-file", self.lab["LAB_PASSFILE"],
                        url=self.url("smtps", "LAB_SMTPS_PORT"))
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.json["smtp"]["tls"]["mode"], "implicit")
        self.assertTrue(r.json["smtp"]["tls"]["verified"])
        self.assertIn("tls", r.json["smtp"]["timings_ms"])
        self.assert_delivered(r)

    def test_text_transcript_redacts_and_shows_secrets_on_request(self):
        r = mvtest.run(["smtp", self.url("submission", "LAB_SUBMISSION_PORT"),
                        "--cafile", self.lab["LAB_CA"], "--auth-user",
                        self.lab["LAB_USER"], "--password-file",
                        self.lab["LAB_PASSFILE"], "--auth-mech", "PLAIN",
                        "--quit-after", "auth"])
        self.assertEqual(r.rc, 0, r)
        self.assertIn("AUTH PLAIN <redacted credentials>", r.out)
        self.assert_no_secrets(r)
        r = mvtest.run(["smtp", self.url("submission", "LAB_SUBMISSION_PORT"),
                        "--cafile", self.lab["LAB_CA"], "--auth-user",
                        self.lab["LAB_USER"], "--password-file",
                        self.lab["LAB_PASSFILE"], "--auth-mech", "PLAIN",
                        "--quit-after", "auth", "--show-secrets"])
        self.assertEqual(r.rc, 0, r)
        self.assertIn(base64.b64encode(("\0%s\0%s" % (
            self.lab["LAB_USER"], self.lab["LAB_PASS"])).encode()).decode(),
            r.out)


class TestLmtp(LabCase):
    def test_lmtp_one_reply_per_recipient(self):
        r = self.smtp(self.url("lmtp", "LAB_LMTP_PORT"), "--cafile",
                      self.lab["LAB_CA"], "--to", self.lab["LAB_USER"],
                      "--to", self.lab["LAB_USER2"], "--json")
        self.assertEqual(r.rc, 0, r)
        recips = r.json["smtp"]["recipients"]
        self.assertEqual([x["delivery"]["code"] for x in recips], [250, 250])
        self.assertTrue(any(t["text"].startswith("LHLO")
                            for t in r.json["transcript"]))
        token = r.json["smtp"]["token"]
        for key in ("LAB_MAILDIR_USER", "LAB_MAILDIR_USER2"):
            self.assertTrue(maildir_has(self.lab[key], token), key)

    def test_lmtp_over_a_unix_socket(self):
        sock = os.path.join(self.lab["LAB_DIR"], "run", "lmtp-postfix")
        r = self.smtp("unix:" + sock, "--lmtp", "--to", self.lab["LAB_USER"],
                      "--json")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.json["smtp"]["peer"], sock)
        self.assertEqual(r.json["smtp"]["recipients"][0]["delivery"]["code"],
                         250)
        self.assertTrue(maildir_has(self.lab["LAB_MAILDIR_USER"],
                                    r.json["smtp"]["token"]))


def maildir_has(maildir, token):
    for path in glob.glob(os.path.join(maildir, "new", "*")):
        with open(path, errors="replace") as f:
            if token in f.read():
                return True
    return False


class TestPasswordPrompt(LabCase):
    def test_prompt_on_the_terminal_without_echo(self):
        """No --password-file and no $MAILVET_PASSWORD: mailvet asks on
        the terminal, with echo off, and the password works."""
        args = [mvtest.BIN, "smtp",
                self.url("submission", "LAB_SUBMISSION_PORT"),
                "--cafile", self.lab["LAB_CA"], "--auth-user",
                self.lab["LAB_USER"], "--quit-after", "auth",
                "--no-transcript", "--color", "never"]
        env = dict(os.environ)
        env.pop("MAILVET_PASSWORD", None)
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(args[0], args, env)
        out = b""
        deadline = time.monotonic() + 30
        sent = False
        while time.monotonic() < deadline:
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            if not sent and b"Password for" in out:
                os.write(fd, (self.lab["LAB_PASS"] + "\n").encode())
                sent = True
        # Never wait without a bound: a hung child fails the test.
        status = None
        while status is None and time.monotonic() < deadline + 5:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done == pid:
                status = st
            else:
                time.sleep(0.05)
        if status is None:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        os.close(fd)
        text = out.decode(errors="replace")
        self.assertIsNotNone(status, "mailvet did not exit:\n" + text)
        self.assertTrue(sent, text)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0, text)
        self.assertIn("authenticated with", text)
        # Echo was off: the typed password never came back.
        self.assertNotIn(self.lab["LAB_PASS"], text)

    def test_no_terminal_and_no_password_is_a_usage_error(self):
        r = subprocess.run([mvtest.BIN, "smtp", "127.0.0.1:1",
                            "--auth-user", "u", "--to", "a@b"],
                           capture_output=True, text=True, timeout=10,
                           start_new_session=True,
                           env={k: v for k, v in os.environ.items()
                                if k != "MAILVET_PASSWORD"})
        self.assertEqual(r.returncode, 2, r)
        self.assertIn("--password-file", r.stderr)


class TestUsage(unittest.TestCase):
    """The usage contract needs no server: exit 2 and a clear message."""

    def test_usage_errors(self):
        cases = [
            (["smtp"], "which server"),
            (["smtp", "smtp://127.0.0.1:2525"], "--to"),
            (["smtp", "gopher://x", "--to", "a@b"], "scheme"),
            (["smtp", "smtp://x:99999", "--to", "a@b"], "port"),
            (["smtp", "x", "--to", "a@b", "--timeout", "soon"], "duration"),
            (["smtp", "x", "--to", "a@b", "--tls", "maybe"], "--tls"),
            (["smtp", "smtps://x", "--to", "a@b", "--tls", "off"], "--tls off"),
            (["smtp", "x", "--to", "a@b", "--password-file", "/nonexistent"],
             "--auth-user"),
            (["smtp", "x", "--to", "a@b", "--auth-user", "u",
              "--password-file", "/nonexistent"], "cannot open"),
            (["smtp", "x", "--bogus"], "option"),
            (["frobnicate"], "unknown command"),
        ]
        for args, needle in cases:
            with self.subTest(args=args):
                r = mvtest.run(args, limit_s=10)
                self.assertEqual(r.rc, 2, r)
                self.assertIn(needle, r.err, r)
                self.assertEqual(r.out, "")

    def test_help_and_version(self):
        r = mvtest.run(["smtp", "--help"])
        self.assertEqual(r.rc, 0)
        self.assertIn("--quit-after", r.out)
        r = mvtest.run(["--version"])
        self.assertEqual(r.rc, 0)
        self.assertTrue(r.out.startswith("mailvet "))


if __name__ == "__main__":
    unittest.main()
