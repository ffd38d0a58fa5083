"""`mailvet ports` against the real lab (Postfix + Dovecot) plus
listeners the test opens itself (a plaintext-only IMAP, a redis that
answers PING, a silent port): the sweep must find exactly those
listeners, name each service the way it answers (submission speaks
SMTP; smtps, imaps, pop3s are found through TLS; Dovecot's LMTP greets
like SMTP and is told apart by LHLO), report the lab's relay port as
closed, and judge against --expect and the plaintext-POP3/IMAP policy.
Only 127.0.0.1 is contacted.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mvtest  # noqa: E402
from test_ports import Listener, imap_plain, redis_like, silent, entry  # noqa: E402,E501

LAB = [  # key, --expect name, service, implicit TLS, STARTTLS offered
    ("LAB_SMTP_PORT", "smtp", "smtp", False, True),
    ("LAB_SUBMISSION_PORT", "submission", "smtp", False, True),
    ("LAB_SMTPS_PORT", "smtps", "smtp", True, None),
    ("LAB_LMTP_PORT", "lmtp", "lmtp", False, True),
    ("LAB_IMAP_PORT", "imap", "imap", False, True),
    ("LAB_IMAPS_PORT", "imaps", "imap", True, None),
    ("LAB_POP3_PORT", "pop3", "pop3", False, True),
    ("LAB_POP3S_PORT", "pop3s", "pop3", True, None),
]


class PortsLab(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.env = mvtest.lab_env()
        cls.lab_ports = [int(cls.env[k]) for k, *_ in LAB]
        cls.relay = int(cls.env["LAB_RELAY_PORT"])

    def sweep(self, extra_ports, *args):
        ports = self.lab_ports + [self.relay] + extra_ports
        r = mvtest.run(["ports", "127.0.0.1", "--only-ports",
                        ",".join(map(str, ports)), "--timeout", "1s",
                        "--cafile", self.env["LAB_CA"], "--json"] +
                       list(args), limit_s=90)
        self.assertEqual(r.json["ports"]["swept"], len(ports), r)
        return r

    def assertLabNamed(self, doc):
        for (key, _, service, tls, starttls) in LAB:
            e = entry(doc, int(self.env[key]))
            self.assertEqual(e["state"], "open", e)
            self.assertEqual(e["service"], service, (key, e))
            self.assertEqual(e["implicit_tls"], tls, (key, e))
            self.assertEqual(e["starttls_offered"], starttls, (key, e))
            if tls:
                self.assertTrue(e["tls_version"].startswith("TLSv1."), e)
                self.assertIn("CN = mail.lab.example",
                              e["certificate_subject"])
                self.assertTrue(e["certificate_verified"], e)
        self.assertIn("Postfix", entry(doc, int(self.env["LAB_SMTP_PORT"]))
                      ["detail"])
        self.assertIn("Dovecot", entry(doc, int(self.env["LAB_LMTP_PORT"]))
                      ["detail"])
        relay = entry(doc, self.relay)
        self.assertEqual(relay["state"], "closed", relay)
        self.assertIn("refused", relay["why"])

    def test_lab_and_extra_listeners(self):
        expect = ",".join("%s:%s" % (name, self.env[key])
                          for key, name, *_ in LAB)
        with Listener(imap_plain) as imap, Listener(redis_like) as red, \
                Listener(silent) as quiet:
            extra = [imap.port, red.port, quiet.port]
            r = self.sweep(extra, "--expect", expect)
            text = mvtest.run(["ports", "127.0.0.1", "--only-ports",
                               ",".join(map(str, self.lab_ports + extra)),
                               "--timeout", "1s", "--expect", expect],
                              limit_s=90)
        self.assertEqual(r.rc, 1, r)
        doc = r.json
        self.assertLabNamed(doc)
        # Exactly the lab's listeners and ours are open.
        open_ports = sorted(e["port"] for e in doc["ports"]["entries"]
                            if e["state"] == "open")
        self.assertEqual(open_ports, sorted(self.lab_ports + extra))
        # The lab is expected and passes (its POP3/IMAP offer STARTTLS) ...
        for (key, *_r) in LAB:
            e = entry(doc, int(self.env[key]))
            self.assertTrue(e["expected"], e)
            self.assertEqual(e["verdict"], "pass", e)
        # ... the extra listeners are named and flagged unexpected.
        e = entry(doc, imap.port)
        self.assertEqual((e["service"], e["expected"], e["verdict"]),
                         ("imap", False, "fail"), e)
        self.assertFalse(e["starttls_offered"], e)
        e = entry(doc, red.port)
        self.assertEqual((e["service"], e["expected"], e["verdict"]),
                         ("redis", False, "fail"), e)
        self.assertIn("internal service", e["judgement"])
        e = entry(doc, quiet.port)
        self.assertEqual((e["service"], e["expected"], e["verdict"]),
                         ("unknown", False, "fail"), e)
        self.assertEqual(doc["ports"]["not_expected"], 3)
        # The text report names them the same way.
        self.assertEqual(text.rc, 1, text)
        for key, name in (("LAB_SMTPS_PORT", "SMTPS"),
                          ("LAB_IMAPS_PORT", "IMAPS"),
                          ("LAB_POP3S_PORT", "POP3S"),
                          ("LAB_LMTP_PORT", "LMTP")):
            self.assertRegex(text.out, r"\n +%s +open +%s " %
                             (self.env[key], name))
        self.assertRegex(text.out, r"%s +open +IMAP .*STARTTLS offered\n"
                         % self.env["LAB_IMAP_PORT"])
        self.assertRegex(text.out, r"%s +open +POP3 .*STLS offered\n"
                         % self.env["LAB_POP3_PORT"])
        self.assertRegex(text.out, r"%d +open +IMAP .*STARTTLS NOT offered"
                         r" +\[not expected\]" % imap.port)

    def test_plaintext_imap_expected_is_still_a_finding(self):
        with Listener(imap_plain) as imap:
            expect = "%s,imap:%d" % (",".join(map(str, self.lab_ports)),
                                     imap.port)
            r = self.sweep([imap.port], "--expect", expect)
        self.assertEqual(r.rc, 1, r)
        self.assertLabNamed(r.json)
        e = entry(r.json, imap.port)
        self.assertTrue(e["expected"], e)
        self.assertEqual(e["verdict"], "fail", e)
        self.assertIn("passwords can only travel in clear", e["judgement"])
        fails = [c for c in r.json["checks"] if c["verdict"] == "fail"]
        self.assertEqual([c["name"] for c in fails],
                         ["ports", "port %d" % imap.port], fails)

    def test_lab_only_all_expected_passes(self):
        expect = ",".join(map(str, self.lab_ports))
        r = self.sweep([], "--expect", expect)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.json["verdict"], "pass")
        self.assertLabNamed(r.json)


if __name__ == "__main__":
    unittest.main()
