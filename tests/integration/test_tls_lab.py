"""`mailvet tls` against the real lab (Postfix and Dovecot with a
certificate from the lab CA): every listener passes, and the JSON carries
the real certificate - its fingerprint is computed here with
`openssl x509 -fingerprint -sha256` and compared - the versions accepted
one by one, the plaintext policy and the injection result.

IMAP and POP3 are probed from 127.0.0.2: Dovecot counts a client on its
own address as secure and would then offer plaintext logins before TLS.
"""
import os
import shutil
import subprocess
import unittest

import mvtest


def fingerprint(pem):
    r = subprocess.run(["openssl", "x509", "-in", pem, "-noout",
                        "-fingerprint", "-sha256"], capture_output=True,
                       text=True, check=True, timeout=30)
    # "sha256 Fingerprint=AB:CD:..."
    return r.stdout.strip().split("=", 1)[1]


def check(testcase, doc, name):
    found = [c for c in doc["checks"] if c["name"] == name]
    testcase.assertEqual(len(found), 1, "check %r: %r" % (name,
                                                          doc["checks"]))
    return found[0]


class TlsLabCase(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.lab = mvtest.lab_env()
        if not shutil.which("openssl"):
            raise unittest.SkipTest("no openssl command")
        cls.sha256 = fingerprint(cls.lab["LAB_CERT"])

    def url(self, scheme, key):
        return "%s://127.0.0.1:%s" % (scheme, self.lab[key])

    def tls(self, url, *extra):
        return mvtest.run(["tls", url, "--cafile", self.lab["LAB_CA"],
                           "--json"] + list(extra), limit_s=60)


class TestEveryListener(TlsLabCase):
    LISTENERS = [("smtp", "LAB_SMTP_PORT", False),
                 ("submission", "LAB_SUBMISSION_PORT", False),
                 ("smtps", "LAB_SMTPS_PORT", True),
                 ("lmtp", "LAB_LMTP_PORT", False),
                 ("imap", "LAB_IMAP_PORT", False),
                 ("imaps", "LAB_IMAPS_PORT", True),
                 ("pop3", "LAB_POP3_PORT", False),
                 ("pop3s", "LAB_POP3S_PORT", True)]

    def test_all_pass_with_the_real_certificate(self):
        for scheme, key, implicit in self.LISTENERS:
            with self.subTest(scheme=scheme):
                r = self.tls(self.url(scheme, key), "--source", "127.0.0.2")
                self.assertEqual(r.rc, 0, r)
                doc = r.json
                self.assertEqual(doc["command"], "tls")
                self.assertEqual(doc["verdict"], "pass", r)
                self.assertIsNone(doc["error"], r)
                fails = [c for c in doc["checks"]
                         if c["verdict"] in ("fail", "error")]
                self.assertEqual(fails, [], r)
                port = doc["tls"]["listeners"][0]
                self.assertEqual(port["port"], int(self.lab[key]))
                self.assertEqual(port["implicit"], implicit)
                t = port["tls"]
                self.assertIn(t["version"], ("TLSv1.2", "TLSv1.3"))
                self.assertTrue(t["verified"], r)
                self.assertEqual(t["diagnosis"], "ok")
                self.assertTrue(t["name_matches"])
                self.assertEqual(t["chain"][0]["sha256"], self.sha256)
                self.assertIn("DNS:" + self.lab["LAB_HOSTNAME"],
                              t["chain"][0]["san"])
                self.assertEqual(t["chain"][0]["key_type"], "RSA")
                self.assertEqual(t["chain"][0]["key_bits"], 2048)
                self.assertFalse(t["intermediates_sent"])
                self.assertGreater(t["days_left"], 300)
                self.assertTrue(t["peer_signature"])
                self.assertTrue(t["ephemeral_key"])
                # The lab's servers accept TLS 1.2 and 1.3, nothing older.
                v = port["versions"]
                self.assertEqual({k: v[k]["accepted"] for k in v},
                                 {"TLSv1.0": False, "TLSv1.1": False,
                                  "TLSv1.2": True, "TLSv1.3": True}, r)
                if implicit:
                    self.assertIsNone(port["policy"])
                    self.assertEqual(port["injection"]["result"],
                                     "untested")
                else:
                    self.assertTrue(port["policy"]["starttls_offered"])
                    self.assertEqual(port["injection"]["result"], "safe", r)
                    self.assertEqual(check(self, doc, "injection")["verdict"],
                                     "pass")

    def test_policy_details(self):
        r = self.tls(self.url("submission", "LAB_SUBMISSION_PORT"))
        self.assertEqual(r.rc, 0, r)
        pol = r.json["tls"]["listeners"][0]["policy"]
        self.assertEqual(pol["auth_before_tls"], [])
        self.assertEqual(pol["mail_before_tls"]["code"], 530)
        self.assertEqual(check(self, r.json, "mail-before-tls")["verdict"],
                         "pass")
        r = self.tls(self.url("imap", "LAB_IMAP_PORT"), "--source",
                     "127.0.0.2")
        pol = r.json["tls"]["listeners"][0]["policy"]
        self.assertIn("LOGINDISABLED", pol["capabilities"])
        self.assertFalse(pol["login_before_tls"])
        self.assertNotIn("PLAIN", pol["auth_before_tls"])

    def test_text_report_shows_the_chain(self):
        r = mvtest.run(["tls", self.url("smtp", "LAB_SMTP_PORT"),
                        "--cafile", self.lab["LAB_CA"], "--no-transcript"])
        self.assertEqual(r.rc, 0, r)
        self.assertIn(self.sha256, r.out)
        self.assertIn("PASS  certificate", r.out)
        self.assertIn("Versions     TLSv1.0 no, TLSv1.1 no, TLSv1.2 yes, "
                      "TLSv1.3 yes", r.out)
        self.assertIn("Verdict: PASS", r.out)

    def test_without_the_lab_ca_the_issuer_is_unknown(self):
        r = mvtest.run(["tls", self.url("smtps", "LAB_SMTPS_PORT"),
                        "--json", "--no-versions"])
        self.assertEqual(r.rc, 1, r)
        c = check(self, r.json, "certificate")
        self.assertEqual(c["verdict"], "fail")
        self.assertIn("mailvet lab CA", c["summary"])
        self.assertEqual(r.json["tls"]["listeners"][0]["tls"]["diagnosis"],
                         "unknown-issuer")
        self.assertEqual(check(self, r.json, "chain")["verdict"], "fail")

    def test_expiry_thresholds(self):
        days = self.tls(self.url("smtps", "LAB_SMTPS_PORT"),
                        "--no-versions").json
        left = days["tls"]["listeners"][0]["tls"]["days_left"]
        r = self.tls(self.url("smtps", "LAB_SMTPS_PORT"), "--no-versions",
                     "--warn-days", str(left + 10), "--crit-days", "1")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(check(self, r.json, "expiry")["verdict"], "warn")
        r = self.tls(self.url("smtps", "LAB_SMTPS_PORT"), "--no-versions",
                     "--warn-days", str(left + 20),
                     "--crit-days", str(left + 10))
        self.assertEqual(r.rc, 1, r)
        c = check(self, r.json, "expiry")
        self.assertEqual(c["verdict"], "fail")
        self.assertIn("--crit-days", c["summary"])

    def test_wrong_name_is_diagnosed(self):
        r = self.tls(self.url("imaps", "LAB_IMAPS_PORT"), "--servername",
                     "imap.other.example", "--no-versions")
        self.assertEqual(r.rc, 1, r)
        c = check(self, r.json, "certificate")
        self.assertIn("names " + self.lab["LAB_HOSTNAME"], c["summary"])
        self.assertIn("you connected to imap.other.example", c["summary"])
        self.assertEqual(check(self, r.json, "hostname")["verdict"], "fail")

    def test_all_ports_compared(self):
        l = self.lab
        ports = ",".join("%s=%s" % (k, l[v]) for k, v in (
            ("smtp", "LAB_SMTP_PORT"), ("smtps", "LAB_SMTPS_PORT"),
            ("submission", "LAB_SUBMISSION_PORT"), ("pop3", "LAB_POP3_PORT"),
            ("pop3s", "LAB_POP3S_PORT"), ("imap", "LAB_IMAP_PORT"),
            ("imaps", "LAB_IMAPS_PORT"))) + ",sieve=0"
        r = mvtest.run(["tls", "--all-ports", "127.0.0.1", "--ports", ports,
                        "--cafile", l["LAB_CA"], "--source", "127.0.0.2",
                        "--json"])
        self.assertEqual(r.rc, 0, r)
        lst = r.json["tls"]["listeners"]
        self.assertEqual([p["label"] for p in lst],
                         ["smtp", "smtps", "submission", "pop3", "pop3s",
                          "imap", "imaps"])
        for p in lst:
            self.assertEqual(p["tls"]["chain"][0]["sha256"], self.sha256)
        self.assertEqual(check(self, r.json, "certificates")["verdict"],
                         "pass")
        self.assertEqual(check(self, r.json, "expiries")["verdict"], "pass")
        self.assertEqual(check(self, r.json, "chains")["verdict"], "pass")
        text = mvtest.run(["tls", "--all-ports", "127.0.0.1", "--ports",
                           ports, "--cafile", l["LAB_CA"], "--source",
                           "127.0.0.2", "--no-versions"])
        self.assertEqual(text.rc, 0, text)
        self.assertRegex(text.out, r"imaps\s+%s\s+implicit" %
                         l["LAB_IMAPS_PORT"])

    def test_usage_errors(self):
        for args in (["tls"], ["tls", "smtp://h", "--tls", "off"],
                     ["tls", "smtp://h", "--warn-days", "x"],
                     ["tls", "smtp://h", "--crit-days", "40"],
                     ["tls", "smtp://h", "--ports", "smtp=1"],
                     ["tls", "--all-ports", "h", "--ports", "smtp=70000"],
                     ["tls", "--all-ports", "h", "--ports", "nntp=119"]):
            with self.subTest(args=args):
                r = mvtest.run(args)
                self.assertEqual(r.rc, 2, r)
                self.assertIn("mailvet tls:", r.err)


if __name__ == "__main__":
    unittest.main()
