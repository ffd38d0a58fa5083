"""`mailvet tls` against misconfigured real servers: lab variants
(tests/lab/lab.sh --variant) started one at a time in a directory and on
ports of this test's own, beside the default lab of the CTest fixture
(which is never touched, so nothing needs restoring).

Each variant must produce its diagnosis in plain words and the right
exit code: expired, self-signed and wrong-host certificates, no
STARTTLS (fatal with --tls required), AUTH and MAIL before TLS on
submission, and TLS 1.0/1.1 accepted on one listener (old-tls).
"""
import os
import shutil
import subprocess
import unittest

import mvtest

HERE = os.path.dirname(os.path.abspath(__file__))
LAB_SH = os.environ.get("MAILVET_LAB_SH",
                        os.path.join(HERE, "..", "lab", "lab.sh"))
# The default lab's ports plus 1500 (plus LAB_PORT_OFFSET, so that labs of
# several checkouts can run side by side).
OFFSET = 1500 + int(os.environ.get("LAB_PORT_OFFSET", "0"))
PORTS = {"LAB_SMTP_PORT": 2525, "LAB_SUBMISSION_PORT": 2587,
         "LAB_SMTPS_PORT": 2465, "LAB_LMTP_PORT": 2424,
         "LAB_IMAP_PORT": 2143, "LAB_IMAPS_PORT": 2993,
         "LAB_POP3_PORT": 2110, "LAB_POP3S_PORT": 2995,
         "LAB_RELAY_PORT": 2599}


class VariantLab:
    def __init__(self, variant):
        self.variant = variant
        self.dir = os.path.join(os.path.dirname(os.path.abspath(
            mvtest.LAB_DIR)), "lab-tls-variant")
        self.env = None

    def __enter__(self):
        if os.geteuid() != 0:
            raise unittest.SkipTest("the lab runs as root")
        env = dict(os.environ)
        env.pop("LAB_PORT_OFFSET", None)
        env.update({k: str(v + OFFSET) for k, v in PORTS.items()})
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

    def tls(self, scheme, key, *extra):
        return mvtest.run(["tls", "%s://127.0.0.1:%s" % (scheme,
                                                         self.env[key]),
                           "--cafile", self.env["LAB_CA"], "--json"] +
                          list(extra), limit_s=60)


def check(testcase, doc, name):
    found = [c for c in doc["checks"] if c["name"] == name]
    testcase.assertEqual(len(found), 1, "check %r: %r" % (name,
                                                          doc["checks"]))
    return found[0]


class TestVariants(unittest.TestCase):
    """One test method so that the variants run one after the other in a
    fixed order, each lab brought down before the next comes up."""
    maxDiff = None

    def certificate_variant(self, variant, diagnosis, *needles):
        with VariantLab(variant) as lab:
            for scheme, key in (("smtp", "LAB_SMTP_PORT"),
                                ("imaps", "LAB_IMAPS_PORT"),
                                ("pop3", "LAB_POP3_PORT")):
                r = lab.tls(scheme, key, "--no-versions", "--source",
                            "127.0.0.2")
                self.assertEqual(r.rc, 1, r)
                self.assertIsNone(r.json["error"], r)
                c = check(self, r.json, "certificate")
                self.assertEqual(c["verdict"], "fail", r)
                for n in needles:
                    self.assertIn(n, c["summary"], r)
                t = r.json["tls"]["listeners"][0]["tls"]
                self.assertEqual(t["diagnosis"], diagnosis, r)
                self.assertFalse(t["verified"])
                # The chain is shown although it does not verify.
                self.assertEqual(len(t["chain"]), 1)
                self.assertEqual(t["chain"][0]["sha256"][2], ":")
            return lab, r

    def test_variants(self):
        lab, r = self.certificate_variant("expired-cert", "expired",
                                          "expired on")
        self.assertEqual(check(self, r.json, "expiry")["verdict"], "fail")
        self.assertIn("expired since", check(self, r.json, "expiry")
                      ["summary"])

        lab, r = self.certificate_variant("self-signed-cert", "self-signed",
                                          "self-signed")
        self.assertTrue(r.json["tls"]["listeners"][0]["tls"]["chain"][0]
                        ["self_issued"])

        lab, r = self.certificate_variant(
            "wrong-host-cert", "name-mismatch",
            "the certificate names wrong.example; you connected to "
            "127.0.0.1")
        self.assertEqual(check(self, r.json, "hostname")["verdict"], "fail")

        with VariantLab("no-starttls") as lab:
            r = lab.tls("smtp", "LAB_SMTP_PORT")
            self.assertEqual(r.rc, 1, r)
            c = check(self, r.json, "starttls")
            self.assertEqual(c["verdict"], "fail")
            self.assertIn("does not offer STARTTLS", c["summary"])
            self.assertFalse(r.json["tls"]["listeners"][0]["tls"])
            r = lab.tls("smtp", "LAB_SMTP_PORT", "--tls", "required")
            self.assertEqual(r.rc, 1, r)
            self.assertEqual(r.json["error"]["category"],
                             "server-lacks-feature", r)
            self.assertIn("--tls required", r.json["error"]["message"])
            # The other listeners are untouched by this variant.
            r = lab.tls("submission", "LAB_SUBMISSION_PORT")
            self.assertEqual(r.rc, 0, r)

        with VariantLab("auth-before-tls") as lab:
            r = lab.tls("submission", "LAB_SUBMISSION_PORT")
            self.assertEqual(r.rc, 1, r)
            c = check(self, r.json, "auth-before-tls")
            self.assertEqual(c["verdict"], "fail")
            self.assertIn("PLAIN", c["summary"])
            c = check(self, r.json, "mail-before-tls")
            self.assertEqual(c["verdict"], "fail")
            self.assertIn("accepted before STARTTLS", c["summary"])
            pol = r.json["tls"]["listeners"][0]["policy"]
            self.assertIn("PLAIN", pol["auth_before_tls"])
            self.assertEqual(pol["mail_before_tls"]["code"] // 100, 2)

        with VariantLab("old-tls") as lab:
            r = lab.tls("smtp", "LAB_SMTP_PORT")
            self.assertEqual(r.rc, 1, r)
            c = check(self, r.json, "versions")
            self.assertEqual(c["verdict"], "fail")
            self.assertIn("TLSv1.0", c["summary"])
            v = r.json["tls"]["listeners"][0]["versions"]
            self.assertTrue(v["TLSv1.0"]["accepted"], r)
            self.assertTrue(v["TLSv1.1"]["accepted"], r)
            # Only that listener: implicit TLS still refuses TLS 1.0.
            r = lab.tls("smtps", "LAB_SMTPS_PORT")
            self.assertEqual(r.rc, 0, r)
            v = r.json["tls"]["listeners"][0]["versions"]
            self.assertFalse(v["TLSv1.0"]["accepted"], r)


if __name__ == "__main__":
    unittest.main()
