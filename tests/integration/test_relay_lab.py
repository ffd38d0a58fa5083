"""`mailvet relay` against the real Postfix of the lab.

- The default lab (CTest fixture; mynetworks 127.0.0.0/8) relays for
  localhost: the battery shows it, a finding unless --expect-relay says
  it is intended; nothing is ever sent with DATA in safe mode.
- A lab whose mynetworks is 127.0.0.2/32: from --source 127.0.0.2 and
  127.0.0.3 in one run, relaying is permitted (and, with --confirm,
  proven at the sink on LAB_RELAY_PORT) from .2 and refused from .3.
- The open-relay variant: from 127.0.0.3 the attempts are relayed, proven
  at the sink, and Postfix's log agrees.
- Submission with a login: relaying works and a sender/login mismatch
  (alice's address while logged in as charlie) is reported.
"""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mvtest  # noqa: E402
import relaytest  # noqa: E402

NRELAY = 24


def relay_attempts(doc, vantage=None):
    return [a for a in doc["relay"]["attempts"] if a["kind"] == "relay" and
            (vantage is None or a["vantage"] == vantage)]


class RelayDefaultLab(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.env = mvtest.lab_env()
        cls.url = "smtp://127.0.0.1:%s" % cls.env["LAB_SMTP_PORT"]

    def relay(self, *extra):
        return mvtest.run(["relay", self.url, "--json", "--local-rcpt",
                           self.env["LAB_USER"]] + list(extra), limit_s=90)

    def test_localhost_relays_and_is_a_finding_unless_expected(self):
        r = self.relay()
        self.assertEqual(r.rc, 1, r)
        doc = r.json
        rel = doc["relay"]
        self.assertEqual(rel["domain"], self.env["LAB_DOMAIN"], r)
        self.assertEqual(rel["domain_from"], "the EHLO name", r)
        self.assertEqual(rel["ip_literal"], "[127.0.0.1]", r)
        self.assertEqual(rel["vantages"][0]["address"], "127.0.0.1", r)
        a = relaytest.by_id(doc)
        self.assertEqual(a["local-rcpt"]["outcome"], "accepted", r)
        self.assertEqual(a["local-rcpt"]["verdict"], "pass", r)
        self.assertEqual(a["plain"]["outcome"], "accepted", r)
        self.assertEqual(a["plain"]["verdict"], "fail", r)
        self.assertEqual(a["plain"]["rcpt"]["code"], 250, r)
        # Postfix refuses the %-hack on its virtual domain (no such user)
        self.assertEqual(a["percent"]["outcome"], "rejected", r)
        self.assertEqual(a["percent"]["rcpt"]["code"], 550, r)
        self.assertEqual(a["percent"]["rcpt"]["enhanced"], "5.1.1", r)
        c = relaytest.check(doc, "relay 127.0.0.1")
        self.assertEqual(c["verdict"], "fail", c)
        self.assertIn("relays from 127.0.0.1: yes", c["summary"])
        # Safe mode: QUIT after RCPT in every session, never DATA.
        for att in doc["relay"]["attempts"]:
            self.assertNotIn("DATA", att["commands"], att)
            self.assertFalse(att["confirmed"], att)
        r2 = self.relay("--expect-relay", "127.0.0.0/8")
        self.assertEqual(r2.rc, 0, r2)
        v = r2.json["relay"]["vantages"][0]
        self.assertTrue(v["expect_relay"], v)
        self.assertEqual(v["verdict"], "pass", v)
        self.assertEqual(v["attempts"], NRELAY, v)
        self.assertEqual(v["accepted"] + v["rejected"], NRELAY, v)
        self.assertIn("expected (--expect-relay)", v["summary"])

    def test_text_report(self):
        r = mvtest.run(["relay", self.url, "--no-transcript",
                        "--local-rcpt", self.env["LAB_USER"],
                        "--expect-relay", "127.0.0.1"], limit_s=90)
        self.assertEqual(r.rc, 0, r)
        self.assertRegex(r.out, r"(?m)^  plain +PASS +accepted 250")
        self.assertRegex(r.out, r"(?m)^      RCPT TO:<relay-test@relay-"
                         r"test\.mailvet\.invalid>$")
        self.assertIn("Verdict: PASS", r.out)

    def test_submission_login_relays_and_mismatch_is_reported(self):
        env = self.env
        # The sink listens on the fixture lab's LAB_RELAY_PORT, which
        # test_log_lab needs closed: run_with_sink checks it is again.
        r = relaytest.run_with_sink(
            ["relay", "submission://127.0.0.1:%s" %
             env["LAB_SUBMISSION_PORT"], "--json",
             "--cafile", env["LAB_CA"], "--auth-user",
             env["LAB_USER"], "--password-file",
             env["LAB_PASSFILE"], "--other-sender",
             env["LAB_USER2"], "--confirm", "--sink",
             "127.0.0.1:%s" % env["LAB_RELAY_PORT"],
             "--confirm-wait", "20s"], env["LAB_RELAY_PORT"])
        self.assertEqual(r.rc, 0, r)
        # The lab's relayhost routes the default .invalid domain to the
        # sink; elsewhere nothing would: the report says so.
        self.assertEqual(relaytest.check(r.json, "confirm-route")
                         ["verdict"], "warn")
        doc = r.json
        self.assertNotIn(env["LAB_PASS"], r.out)
        a = relaytest.by_id(doc)
        self.assertEqual(a["auth-own"]["mail_from"], env["LAB_USER"])
        self.assertEqual(a["auth-own"]["outcome"], "relayed", r)
        self.assertEqual(a["auth-own"]["verdict"], "pass", r)
        self.assertIn("AUTH", " ".join(a["auth-own"]["commands"]))
        self.assertEqual(a["auth-other-local"]["mail_from"],
                         env["LAB_USER2"])
        # The lab has no smtpd_sender_login_maps: the mismatch is taken.
        self.assertEqual(a["auth-other-local"]["verdict"], "warn", r)
        self.assertIn("can send as", a["auth-other-local"]["note"])
        self.assertEqual(relaytest.check(doc, "spoof-local")["verdict"],
                         "warn")
        # Without a login, submission refuses every attempt.
        for att in relay_attempts(doc):
            self.assertEqual(att["outcome"], "rejected", att)
            self.assertEqual(att["verdict"], "pass", att)
            self.assertNotIn("AUTH", " ".join(att["commands"]))

    def test_submission_unverified_certificate_stops_after_discovery(self):
        # No --cafile: the lab's certificate does not verify.  Every
        # attempt would fail the same way: discovery ends the run.
        r = mvtest.run(["relay", "submission://127.0.0.1:%s" %
                        self.env["LAB_SUBMISSION_PORT"], "--json"],
                       limit_s=90)
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.json["exit_code"], 1, r)
        err = r.json["error"]
        self.assertIsNotNone(err, r)
        self.assertEqual(err["category"], "tls", r)
        self.assertTrue(err["message"].startswith(
            "certificate verification failed: "), err)
        self.assertTrue(err["message"].endswith(
            "; no attempt was run (--insecure tests relaying anyway)"), err)
        # No battery: not one attempt ran.
        self.assertIsNone(r.json.get("relay"), r)


class RelayVantageLab(unittest.TestCase):
    """Own labs: narrowed mynetworks, and the open-relay variant."""
    maxDiff = None

    def test_matrix_from_two_loopback_sources_with_confirm(self):
        with relaytest.RelayLab("narrow", 0,
                                mynetworks="127.0.0.2/32") as lab:
            r = relaytest.run_with_sink(
                ["relay", lab.url(), "--json", "--source",
                 "127.0.0.2", "--source", "127.0.0.3",
                 "--expect-relay", "127.0.0.2",
                 "--local-rcpt", lab.env["LAB_USER"],
                 "--confirm", "--sink", lab.sink(),
                 "--concurrency", "4"], lab.env["LAB_RELAY_PORT"])
            log = lab.postfix_log()
        self.assertEqual(r.rc, 0, r)
        doc = r.json
        vs = {v["label"]: v for v in doc["relay"]["vantages"]}
        self.assertEqual(sorted(vs), ["127.0.0.2", "127.0.0.3"], r)
        permitted, external = vs["127.0.0.2"], vs["127.0.0.3"]
        self.assertTrue(permitted["expect_relay"])
        self.assertFalse(external["expect_relay"])
        self.assertEqual(permitted["verdict"], "pass", permitted)
        self.assertGreater(permitted["relayed"], 0, permitted)
        self.assertEqual(permitted["relayed"], permitted["accepted"] -
                         permitted["not_relayed"], permitted)
        self.assertEqual(external["verdict"], "pass", external)
        self.assertEqual(external["accepted"], 0, external)
        self.assertEqual(external["rejected"], NRELAY, external)
        self.assertTrue(external["control_accepted"], external)
        self.assertTrue(permitted["control_accepted"], permitted)
        ext = relaytest.by_id(doc, "127.0.0.3")
        self.assertEqual(ext["plain"]["rcpt"]["code"], 454, ext["plain"])
        self.assertIn("Relay access denied", ext["plain"]["rcpt"]["text"])
        per = relaytest.by_id(doc, "127.0.0.2")
        self.assertEqual(per["plain"]["outcome"], "relayed", per["plain"])
        # Postfix saw the clients as they were, and handed the relayed
        # messages to the sink.
        self.assertRegex(log, r"client=unknown\[127\.0\.0\.2\]")
        self.assertRegex(log, r"NOQUEUE: reject: RCPT from unknown\["
                         r"127\.0\.0\.3\]: 454 4\.7\.1")
        sent = re.findall(r"relay=127\.0\.0\.1\[127\.0\.0\.1\]:%s.*"
                          r"status=sent" % lab.env["LAB_RELAY_PORT"], log)
        self.assertEqual(len(sent), permitted["relayed"], log[-3000:])

    def test_open_relay_variant_is_proven_open(self):
        with relaytest.RelayLab("open", 1, variant="open-relay",
                                mynetworks="127.0.0.2/32") as lab:
            self.assertEqual(lab.env["LAB_MYNETWORKS"], "0.0.0.0/0 [::]/0")
            r = relaytest.run_with_sink(
                ["relay", lab.url(), "--json", "--source",
                 "127.0.0.3", "--local-rcpt",
                 lab.env["LAB_USER"], "--confirm", "--sink",
                 lab.sink(), "--concurrency", "4"],
                lab.env["LAB_RELAY_PORT"])
            log = lab.postfix_log()
        self.assertEqual(r.rc, 1, r)
        doc = r.json
        v = doc["relay"]["vantages"][0]
        self.assertEqual(v["label"], "127.0.0.3")
        self.assertEqual(v["verdict"], "fail", v)
        self.assertIn("OPEN RELAY from 127.0.0.3", v["summary"])
        a = relaytest.by_id(doc)
        self.assertEqual(a["plain"]["outcome"], "relayed", a["plain"])
        self.assertIs(a["plain"]["relayed"], True)
        self.assertEqual(a["plain"]["data"]["code"], 250)
        self.assertIn("open relay", a["plain"]["note"])
        self.assertGreaterEqual(v["relayed"], 10, v)
        self.assertEqual(relaytest.check(doc, "relay 127.0.0.3")["verdict"],
                         "fail")
        self.assertRegex(a["plain"]["token"], r"^[0-9a-f]{24}$")
        self.assertRegex(log, r"client=unknown\[127\.0\.0\.3\]")


if __name__ == "__main__":
    unittest.main()
