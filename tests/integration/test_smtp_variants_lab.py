"""`mailvet smtp` against misconfigured real servers: lab variants
(tests/lab/lab.sh --variant) started by this test on their own ports,
one at a time, beside the default lab of the CTest fixture.

Each variant must produce the right verdict and a plain-words reason:
no STARTTLS (fatal only with --tls required), AUTH offered before TLS,
and expired, self-signed and wrong-host certificates.
"""
import os
import shutil
import subprocess
import unittest

import mvtest

HERE = os.path.dirname(os.path.abspath(__file__))
LAB_SH = os.environ.get("MAILVET_LAB_SH",
                        os.path.join(HERE, "..", "lab", "lab.sh"))
# Ports of the variant labs: the default lab's plus 1000.
# The default lab's ports + 1000, shifted by LAB_PORT_OFFSET like the
# default lab itself, so that labs of parallel builds do not collide.
_OFFSET = 1000 + int(os.environ.get("LAB_PORT_OFFSET", "0"))
PORTS = {"LAB_SMTP_PORT": 2525 + _OFFSET, "LAB_SUBMISSION_PORT": 2587 + _OFFSET,
         "LAB_SMTPS_PORT": 2465 + _OFFSET, "LAB_LMTP_PORT": 2424 + _OFFSET,
         "LAB_IMAP_PORT": 2143 + _OFFSET, "LAB_IMAPS_PORT": 2993 + _OFFSET,
         "LAB_POP3_PORT": 2110 + _OFFSET, "LAB_POP3S_PORT": 2995 + _OFFSET,
         "LAB_RELAY_PORT": 2599 + _OFFSET}


class VariantLab:
    def __init__(self, variant):
        self.variant = variant
        self.dir = os.path.join(os.path.dirname(os.path.abspath(
            mvtest.LAB_DIR)), "lab-" + variant)
        self.env = None

    def __enter__(self):
        if os.geteuid() != 0:
            raise unittest.SkipTest("the lab runs as root")
        env = dict(os.environ)
        env.update({k: str(v) for k, v in PORTS.items()})
        r = subprocess.run([LAB_SH, "up", "--dir", self.dir, "--variant",
                            self.variant], env=env, capture_output=True,
                           text=True, timeout=120)
        if r.returncode != 0:
            subprocess.run([LAB_SH, "down", "--dir", self.dir],
                           capture_output=True, timeout=60)
            raise AssertionError("lab variant %s did not start:\n%s%s" %
                                 (self.variant, r.stdout, r.stderr))
        self.env = mvtest.read_env(os.path.join(self.dir, "lab.env"))
        return self

    def __exit__(self, *exc):
        subprocess.run([LAB_SH, "down", "--dir", self.dir, "--clean"],
                       capture_output=True, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, scheme, key):
        return "%s://127.0.0.1:%s" % (scheme, self.env[key])


def check(testcase, j, name):
    for c in j["checks"]:
        if c["name"] == name:
            return c
    testcase.fail("no check %r in %r" % (name, j["checks"]))


class TestNoStarttls(unittest.TestCase):
    def test_no_starttls(self):
        with VariantLab("no-starttls") as lab:
            url = lab.url("smtp", "LAB_SMTP_PORT")
            to = lab.env["LAB_USER"]
            req = mvtest.run(["smtp", url, "--tls", "required", "--to", to,
                              "--json"])
            opt = mvtest.run(["smtp", url, "--to", to, "--json"])
        # Required: a stripping attacker cannot make us go on in clear.
        self.assertEqual(req.rc, 1, req)
        self.assertEqual(req.json["error"]["category"],
                         "server-lacks-feature")
        self.assertIn("STARTTLS", req.json["error"]["message"])
        self.assertFalse(any(t["text"].startswith("MAIL")
                             for t in req.json["transcript"]))
        self.assertTrue(req.json["smtp"]["quit_ok"])
        # Optional: delivered, with a warning that mail travels in clear.
        self.assertEqual(opt.rc, 0, opt)
        self.assertEqual(check(self, opt.json, "tls")["verdict"], "warn")
        self.assertIn("plaintext", check(self, opt.json, "tls")["summary"])
        self.assertTrue(opt.json["smtp"]["queue_id"])


class TestAuthBeforeTls(unittest.TestCase):
    def test_auth_in_plaintext_is_a_warning(self):
        with VariantLab("auth-before-tls") as lab:
            r = mvtest.run(["smtp", lab.url("submission",
                                            "LAB_SUBMISSION_PORT"),
                            "--tls", "off", "--auth-user", lab.env["LAB_USER"],
                            "--password-file", lab.env["LAB_PASSFILE"],
                            "--auth-mech", "PLAIN", "--quit-after", "auth",
                            "--json"])
        self.assertEqual(r.rc, 0, r)
        self.assertIn("PLAIN", r.json["smtp"]["ehlo"]["auth"])
        c = check(self, r.json, "auth")
        self.assertEqual(c["verdict"], "warn")
        self.assertIn("without TLS", c["summary"])
        self.assertNotIn(lab.env["LAB_PASS"], r.out)


class TestBadCertificates(unittest.TestCase):
    def run_variant(self, variant):
        with VariantLab(variant) as lab:
            return lab, [mvtest.run(["smtp", lab.url(scheme, key),
                                     "--cafile", lab.env["LAB_CA"],
                                     "--to", lab.env["LAB_USER"], "--json"])
                         for scheme, key in (("smtp", "LAB_SMTP_PORT"),
                                             ("smtps", "LAB_SMTPS_PORT"),
                                             ("lmtp", "LAB_LMTP_PORT"))]

    def assert_tls_finding(self, runs, *needles):
        for r in runs:
            self.assertEqual(r.rc, 1, r)
            self.assertEqual(r.json["error"]["category"], "tls", r)
            for n in needles:
                self.assertIn(n, r.json["error"]["message"], r)
            # The certificate is still shown, for the user to see why.
            tls_notes = [t["text"] for t in r.json["transcript"]
                         if t["kind"] == "tls"]
            self.assertTrue(any("certificate 0:" in t for t in tls_notes))
            self.assertFalse(any(t["text"].startswith(("MAIL", "AUTH"))
                                 for t in r.json["transcript"]))

    def test_expired(self):
        lab, runs = self.run_variant("expired-cert")
        self.assert_tls_finding(runs, "expired on")

    def test_self_signed(self):
        lab, runs = self.run_variant("self-signed-cert")
        self.assert_tls_finding(runs, "self-signed")

    def test_wrong_host(self):
        lab, runs = self.run_variant("wrong-host-cert")
        self.assert_tls_finding(runs, "wrong.example", "127.0.0.1")


if __name__ == "__main__":
    unittest.main()
