"""`mailvet connect` against the real lab (Postfix + Dovecot): every
scheme with its commands piped on standard input, as a script uses it.

Each session must show the certificate (subject, names, issuer, expiry,
SHA-256 of the lab's own certificate) and the verdict on standard error,
and the server's answers - greeting, capabilities before and after TLS,
the replies to the piped commands - on standard output.  A certificate
that does not verify (untrusted CA; expired, self-signed and wrong-host
lab variants, started on ports of their own) ends the session with the
diagnosis and exit 1 unless --insecure.
"""
import os
import shutil
import subprocess
import unittest

import mvtest

HERE = os.path.dirname(os.path.abspath(__file__))
LAB_SH = os.environ.get("MAILVET_LAB_SH",
                        os.path.join(HERE, "..", "lab", "lab.sh"))


def fingerprint(cert):
    out = subprocess.run(["openssl", "x509", "-in", cert, "-noout",
                          "-fingerprint", "-sha256"], capture_output=True,
                         text=True, check=True).stdout
    return out.strip().split("=", 1)[1].upper()


class ConnectLab(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.env = mvtest.lab_env()
        cls.ca = cls.env["LAB_CA"]
        cls.sha256 = fingerprint(cls.env["LAB_CERT"])

    def url(self, scheme, key):
        return "%s://127.0.0.1:%s" % (scheme, self.env[key])

    def connect(self, scheme, key, stdin, *extra):
        return mvtest.run(["connect", self.url(scheme, key), "--cafile",
                           self.ca, "--timeout", "20s"] + list(extra),
                          stdin=stdin, limit_s=60)

    def assertCertificate(self, r, mode):
        self.assertIn("* TLS: TLSv1.", r.err)
        self.assertIn("(%s)" % mode, r.err)
        self.assertIn("certificate subject: O = mailvet lab, "
                      "CN = mail.lab.example", r.err)
        self.assertIn("names: DNS:mail.lab.example, DNS:localhost, "
                      "IP:127.0.0.1", r.err)
        self.assertIn("issuer: O = mailvet lab, CN = mailvet lab CA", r.err)
        self.assertRegex(r.err, r"valid: \d{4}-\d\d-\d\d [0-9:]+ UTC to ")
        self.assertIn("SHA-256: " + self.sha256, r.err)
        self.assertIn("verified: yes, for 127.0.0.1", r.err)
        # Notes stay out of the server's output.
        self.assertNotIn("certificate subject", r.out)

    def test_smtp_starttls(self):
        r = self.connect("smtp", "LAB_SMTP_PORT", "EHLO x\nQUIT\n")
        self.assertEqual(r.rc, 0, r)
        self.assertCertificate(r, "after STARTTLS")
        self.assertTrue(r.out.startswith("220 mail.lab.example ESMTP "
                                         "Postfix\r\n"), r)
        self.assertIn("220 2.0.0 Ready to start TLS", r.out)
        # STARTTLS offered before TLS only; three EHLO answers in all
        # (ours before and after TLS, the piped one).
        self.assertEqual(r.out.count("250-STARTTLS"), 1, r)
        self.assertEqual(r.out.count("250-mail.lab.example"), 3, r)
        self.assertTrue(r.out.endswith("221 2.0.0 Bye\r\n"), r)
        self.assertIn("> STARTTLS", r.err)
        self.assertIn("> QUIT", r.err)

    def test_submission_login_with_auth_plain(self):
        token = mvtest.run(["connect", "--auth-plain", self.env["LAB_USER"],
                            "--password-file", self.env["LAB_PASSFILE"]])
        self.assertEqual(token.rc, 0, token)
        b64 = token.out.strip()
        r = self.connect("submission", "LAB_SUBMISSION_PORT",
                         "AUTH PLAIN %s\nQUIT\n" % b64)
        self.assertEqual(r.rc, 0, r)
        self.assertCertificate(r, "after STARTTLS")
        # Postfix offers AUTH only inside TLS: in the post-TLS answer.
        pre, post = r.out.split("220 2.0.0 Ready to start TLS", 1)
        self.assertNotIn("AUTH", pre)
        self.assertIn("250-AUTH PLAIN", post)
        self.assertIn("235 2.7.0 Authentication successful", post)
        self.assertIn("221 2.0.0 Bye", post)

    def test_smtps(self):
        r = self.connect("smtps", "LAB_SMTPS_PORT", "NOOP\nQUIT\n")
        self.assertEqual(r.rc, 0, r)
        self.assertCertificate(r, "implicit TLS")
        self.assertTrue(r.out.startswith("220 mail.lab.example ESMTP "), r)
        self.assertIn("250 2.0.0 Ok", r.out)
        self.assertNotIn("STARTTLS", r.err)

    def test_lmtp(self):
        r = self.connect("lmtp", "LAB_LMTP_PORT", "NOOP\nQUIT\n")
        self.assertEqual(r.rc, 0, r)
        self.assertIn("> LHLO ", r.err)
        self.assertIn("220 mail.lab.example Dovecot", r.out)
        self.assertIn("221 2.0.0 Bye", r.out)

    def test_imap_starttls(self):
        r = self.connect("imap", "LAB_IMAP_PORT", "x NOOP\ny LOGOUT\n")
        self.assertEqual(r.rc, 0, r)
        self.assertCertificate(r, "after STARTTLS")
        self.assertTrue(r.out.startswith("* OK [CAPABILITY IMAP4rev1"), r)
        self.assertIn("b OK Begin TLS negotiation now.", r.out)
        self.assertIn("c OK Pre-login capabilities listed", r.out)
        self.assertIn("x OK NOOP completed.", r.out)
        self.assertIn("* BYE Logging out", r.out)
        self.assertIn("y OK Logout completed.", r.out)
        # The post-TLS capabilities no longer offer STARTTLS.
        post = r.out.split("b OK Begin TLS", 1)[1]
        self.assertNotIn("STARTTLS", post)

    def test_imaps(self):
        r = self.connect("imaps", "LAB_IMAPS_PORT", "x LOGOUT\n")
        self.assertEqual(r.rc, 0, r)
        self.assertCertificate(r, "implicit TLS")
        self.assertIn("x OK Logout completed.", r.out)

    def test_pop3_stls(self):
        r = self.connect("pop3", "LAB_POP3_PORT", "NOOP\nQUIT\n")
        self.assertEqual(r.rc, 0, r)
        self.assertCertificate(r, "after STARTTLS")
        self.assertTrue(r.out.startswith("+OK Dovecot (Debian) ready."), r)
        self.assertIn("> STLS", r.err)
        self.assertIn("+OK Logging out\r\n", r.out)

    def test_pop3s(self):
        r = self.connect("pop3s", "LAB_POP3S_PORT", "QUIT\n")
        self.assertEqual(r.rc, 0, r)
        self.assertCertificate(r, "implicit TLS")
        self.assertIn("+OK Logging out\r\n", r.out)

    def test_untrusted_ca_refused_then_insecure(self):
        # Without --cafile the lab CA is unknown to the system store.
        url = self.url("imaps", "LAB_IMAPS_PORT")
        r = mvtest.run(["connect", url, "--timeout", "20s"],
                       stdin="x LOGOUT\n", limit_s=60)
        self.assertEqual(r.rc, 1, r)
        self.assertIn("verified: NO", r.err)
        self.assertIn("refusing to go on", r.err)
        self.assertNotIn("Logout completed", r.out)
        ok = mvtest.run(["connect", url, "--timeout", "20s", "--insecure"],
                        stdin="x LOGOUT\n", limit_s=60)
        self.assertEqual(ok.rc, 0, ok)
        self.assertIn("verified: NO", ok.err)
        self.assertIn("going on anyway because of --insecure", ok.err)
        self.assertIn("x OK Logout completed.", ok.out)

    def test_eof_without_quit_closes_after_quiet(self):
        # No QUIT in the input: mailvet closes once the server is quiet.
        # 3 s of quiet is far more than Postfix needs for the NOOP reply
        # even on a loaded machine (300 ms was not); the limit after the
        # end of input is then 15 s (5 x --eof-wait, under --timeout 20s).
        r = self.connect("smtp", "LAB_SMTP_PORT", "NOOP\n", "--eof-wait",
                         "3s")
        self.assertEqual(r.rc, 0, r)
        self.assertIn("250 2.0.0 Ok", r.out)
        self.assertIn("end of input", r.err)


# Ports of the variant labs: the default lab's plus 1700 (plus the
# offset of this checkout's labs), beside the fixture's lab.
VARIANT_PORTS = {"LAB_SMTP_PORT": 2525, "LAB_SUBMISSION_PORT": 2587,
                 "LAB_SMTPS_PORT": 2465, "LAB_LMTP_PORT": 2424,
                 "LAB_IMAP_PORT": 2143, "LAB_IMAPS_PORT": 2993,
                 "LAB_POP3_PORT": 2110, "LAB_POP3S_PORT": 2995,
                 "LAB_RELAY_PORT": 2599}


class ConnectCertificateVariants(unittest.TestCase):
    """Grouped: each starts its own variant lab, then stops it."""

    def run_variant(self, variant):
        if os.geteuid() != 0:
            self.skipTest("the lab runs as root")
        mvtest.lab_env()
        offset = int(os.environ.get("LAB_PORT_OFFSET", "0") or 0)
        d = os.path.join(os.path.dirname(os.path.abspath(mvtest.LAB_DIR)),
                         "lab-connect-" + variant)
        env = dict(os.environ)
        env.update({k: str(v + 1700 + offset)
                    for k, v in VARIANT_PORTS.items()})
        try:
            up = subprocess.run([LAB_SH, "up", "--dir", d, "--variant",
                                 variant], env=env, capture_output=True,
                                text=True, timeout=120)
            self.assertEqual(up.returncode, 0, up.stdout + up.stderr)
            lab = mvtest.read_env(os.path.join(d, "lab.env"))
            runs = []
            for scheme, key in (("smtp", "LAB_SMTP_PORT"),
                                ("imaps", "LAB_IMAPS_PORT")):
                url = "%s://127.0.0.1:%s" % (scheme, lab[key])
                runs.append(mvtest.run(["connect", url, "--cafile",
                                        lab["LAB_CA"], "--timeout", "20s"],
                                       stdin="QUIT\n", limit_s=60))
            insecure = mvtest.run(["connect", "imaps://127.0.0.1:%s" %
                                   lab["LAB_IMAPS_PORT"], "--cafile",
                                   lab["LAB_CA"], "--insecure", "--timeout",
                                   "20s"], stdin="x LOGOUT\n", limit_s=60)
        finally:
            subprocess.run([LAB_SH, "down", "--dir", d, "--clean"],
                           capture_output=True, timeout=60)
            shutil.rmtree(d, ignore_errors=True)
        return runs, insecure

    def assertRefused(self, runs, insecure, *needles):
        for r in runs:
            self.assertEqual(r.rc, 1, r)
            self.assertIn("certificate subject:", r.err)
            self.assertIn("verified: NO", r.err)
            self.assertIn("refusing to go on", r.err)
            for n in needles:
                self.assertIn(n, r.err, r)
            # Nothing of the input was sent.
            self.assertNotIn("> QUIT", r.err)
        self.assertEqual(insecure.rc, 0, insecure)
        self.assertIn("x OK Logout completed.", insecure.out)

    def test_expired(self):
        self.assertRefused(*self.run_variant("expired-cert"), "expired on")

    def test_self_signed(self):
        self.assertRefused(*self.run_variant("self-signed-cert"),
                           "self-signed")

    def test_wrong_host(self):
        self.assertRefused(*self.run_variant("wrong-host-cert"),
                           "wrong.example", "127.0.0.1")


if __name__ == "__main__":
    unittest.main()
