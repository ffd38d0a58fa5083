"""`mailvet pop3`, `mailvet imap` and `mailvet deliver` against the real
lab: Dovecot (POP3, IMAP, both over STARTTLS/STLS and implicit TLS) fed
by Postfix.  Messages are put in the mailbox with `mailvet smtp` and
found again by their token; the round trip Postfix -> LMTP -> Dovecot ->
IMAP/POP3 is timed by `deliver`.
"""
import os
import unittest

import mvtest
from test_smtp_lab import LabCase


class MailboxCase(LabCase):
    def send(self, to=None):
        """Put a message in a mailbox; return its token."""
        r = self.smtp(self.url("smtp", "LAB_SMTP_PORT"), "--cafile",
                      self.lab["LAB_CA"], "--to", to or self.lab["LAB_USER"],
                      "--json")
        self.assertEqual(r.rc, 0, r)
        self.assert_delivered(r)
        return r.json["smtp"]["token"]

    def run_cmd(self, cmd, *args, user=True, passfile=None):
        extra = []
        if user:
            extra = ["--user", self.lab["LAB_USER"], "--password-file",
                     passfile or self.lab["LAB_PASSFILE"]]
        r = mvtest.run([cmd] + list(args) + extra + ["--json"])
        self.assert_no_secrets(r)
        return r

    def wrong_passfile(self):
        pw = os.path.join(self.lab["LAB_DIR"], "wrong.pw")
        with open(pw, "w") as f:
            f.write("not-the-password\n")
        return pw


class TestPop3(MailboxCase):
    def pop3(self, *args, **kw):
        return self.run_cmd("pop3", *args, **kw)

    def test_stls_login_and_listing(self):
        token = self.send()
        r = self.pop3(self.url("pop3", "LAB_POP3_PORT"), "--cafile",
                      self.lab["LAB_CA"], "--tls", "required", "--list",
                      "--uidl", "--find-token", token)
        self.assertEqual(r.rc, 0, r)
        p = r.json["pop3"]
        self.assertTrue(p["greeting"]["ok"])
        self.assertEqual(p["tls"]["mode"], "starttls")
        self.assertTrue(p["tls"]["verified"])
        self.assertIn("STLS", p["capa_before_tls"])
        self.assertEqual(p["auth"]["method"], "USER")
        self.assertTrue(p["auth"]["ok"])
        count = p["stat"]["count"]
        self.assertGreaterEqual(count, 1)
        self.assertEqual(len(p["messages"]), count)
        self.assertTrue(all(m["uid"] for m in p["messages"]))
        self.assertEqual(sum(m["size"] for m in p["messages"]),
                         p["stat"]["octets"])
        self.assertGreaterEqual(p["found"], 1)
        self.assertTrue(p["quit_ok"])
        # The password line is redacted in the transcript.
        passes = [t["text"] for t in r.json["transcript"]
                  if t["text"].startswith("PASS")]
        self.assertEqual(passes, ["PASS <redacted>"])

    def test_retr_returns_the_message_unstuffed(self):
        token = self.send()
        r = self.pop3(self.url("pop3s", "LAB_POP3S_PORT"), "--cafile",
                      self.lab["LAB_CA"], "--find-token", token)
        self.assertEqual(r.rc, 0, r)
        found = r.json["pop3"]["found"]
        r = self.pop3(self.url("pop3s", "LAB_POP3S_PORT"), "--cafile",
                      self.lab["LAB_CA"], "--retr", str(found))
        self.assertEqual(r.rc, 0, r)
        m = r.json["pop3"]["message"]
        self.assertEqual(m["msg"], found)
        self.assertIn("X-Mailvet-Token: " + token, m["text"])
        self.assertEqual(r.json["pop3"]["tls"]["mode"], "implicit")
        self.assertFalse(m["text"].endswith("\r\n.\r\n"))

    def test_sasl_mechanisms(self):
        for mech in ("PLAIN", "SCRAM-SHA-256"):
            with self.subTest(mech=mech):
                r = self.pop3(self.url("pop3", "LAB_POP3_PORT"), "--cafile",
                              self.lab["LAB_CA"], "--auth-mech", mech)
                self.assertEqual(r.rc, 0, r)
                self.assertEqual(r.json["pop3"]["auth"]["method"], mech)

    def test_wrong_password_is_diagnosed(self):
        r = self.pop3(self.url("pop3", "LAB_POP3_PORT"), "--cafile",
                      self.lab["LAB_CA"], passfile=self.wrong_passfile())
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.json["error"]["category"], "rejected")
        self.assertEqual(r.json["pop3"]["auth"]["code"], "AUTH")
        auth = self.check(r.json, "auth")
        self.assertEqual(auth["verdict"], "fail")
        self.assertIn("the credentials were refused", auth["summary"])
        self.assertNotIn("not-the-password", r.out)

    def test_dele_removes_the_message(self):
        token = self.send()
        r = self.pop3(self.url("pop3", "LAB_POP3_PORT"), "--cafile",
                      self.lab["LAB_CA"], "--find-token", token)
        found, before = r.json["pop3"]["found"], r.json["pop3"]["stat"]["count"]
        r = self.pop3(self.url("pop3", "LAB_POP3_PORT"), "--cafile",
                      self.lab["LAB_CA"], "--dele", str(found))
        self.assertEqual(r.rc, 0, r)
        self.assertTrue(r.json["pop3"]["deleted"])
        r = self.pop3(self.url("pop3", "LAB_POP3_PORT"), "--cafile",
                      self.lab["LAB_CA"], "--find-token", token)
        self.assertEqual(r.json["pop3"]["stat"]["count"], before - 1)
        self.assertEqual(r.json["pop3"]["found"], 0)

    def test_no_login_stops_after_capa(self):
        r = self.pop3(self.url("pop3", "LAB_POP3_PORT"), "--cafile",
                      self.lab["LAB_CA"], user=False)
        self.assertEqual(r.rc, 0, r)
        sent = [t["text"] for t in r.json["transcript"]
                if t["kind"] == "client"]
        self.assertEqual(sent, ["CAPA", "STLS", "CAPA", "QUIT"])


class TestImap(MailboxCase):
    def imap(self, *args, **kw):
        return self.run_cmd("imap", *args, **kw)

    def test_starttls_select_search_fetch(self):
        token = self.send()
        r = self.imap(self.url("imap", "LAB_IMAP_PORT"), "--cafile",
                      self.lab["LAB_CA"], "--tls", "required",
                      "--search-header", "X-Mailvet-Token: " + token)
        self.assertEqual(r.rc, 0, r)
        i = r.json["imap"]
        self.assertEqual(i["greeting"]["cond"], "OK")
        self.assertEqual(i["tls"]["mode"], "starttls")
        self.assertTrue(i["before_tls"]["starttls"])
        self.assertTrue(i["auth"]["ok"])
        self.assertEqual(i["auth"]["method"], "LOGIN")
        box = i["mailbox"]
        self.assertGreaterEqual(box["exists"], 1)
        self.assertGreater(box["uidvalidity"], 0)
        self.assertGreater(box["uidnext"], 1)
        self.assertIn("\\Seen", box["flags"])
        self.assertEqual(i["search"]["total"], 1)
        self.assertTrue(i["logout_ok"])
        logins = [t["text"] for t in r.json["transcript"]
                  if " LOGIN " in t["text"]]
        self.assertTrue(logins and all("<redacted>" in t for t in logins),
                        logins)
        r = self.imap(self.url("imaps", "LAB_IMAPS_PORT"), "--cafile",
                      self.lab["LAB_CA"], "--fetch", str(box["exists"]))
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.json["imap"]["tls"]["mode"], "implicit")
        self.assertIn("X-Mailvet-Token: " + token,
                      r.json["imap"]["message"]["text"])

    def test_authenticate_mechanisms(self):
        for mech in ("PLAIN", "SCRAM-SHA-256"):
            with self.subTest(mech=mech):
                r = self.imap(self.url("imaps", "LAB_IMAPS_PORT"),
                              "--cafile", self.lab["LAB_CA"], "--auth-mech",
                              mech)
                self.assertEqual(r.rc, 0, r)
                self.assertEqual(r.json["imap"]["auth"]["method"], mech)

    def test_wrong_password_is_diagnosed(self):
        r = self.imap(self.url("imaps", "LAB_IMAPS_PORT"), "--cafile",
                      self.lab["LAB_CA"], passfile=self.wrong_passfile())
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.json["error"]["category"], "rejected")
        self.assertEqual(r.json["imap"]["auth"]["code"],
                         "AUTHENTICATIONFAILED")
        self.assertIn("the credentials were refused",
                      self.check(r.json, "auth")["summary"])

    def test_missing_mailbox(self):
        r = self.imap(self.url("imaps", "LAB_IMAPS_PORT"), "--cafile",
                      self.lab["LAB_CA"], "--mailbox", "NoSuchFolder")
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(self.check(r.json, "select")["verdict"], "fail")
        self.assertTrue(r.json["imap"]["logout_ok"])


class TestPlaintextRefused(MailboxCase):
    """Dovecot refuses plaintext logins from a client that is not local
    to it; 127.0.0.2 is not 127.0.0.1 for that purpose."""

    def test_pop3_hides_user_before_tls(self):
        r = self.run_cmd("pop3", self.url("pop3", "LAB_POP3_PORT"), "--tls",
                         "off", "--source", "127.0.0.2")
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.json["error"]["category"], "server-lacks-feature")
        self.assertNotIn("USER", r.json["pop3"]["capa"])
        self.assertIn("--tls", self.check(r.json, "auth")["summary"])
        # No password was sent in clear.
        self.assertFalse(any(t["text"].startswith(("USER", "PASS"))
                             for t in r.json["transcript"]))

    def test_imap_logindisabled_before_tls(self):
        r = self.run_cmd("imap", self.url("imap", "LAB_IMAP_PORT"), "--tls",
                         "off", "--source", "127.0.0.2")
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.json["error"]["category"], "server-lacks-feature")
        self.assertIn("LOGINDISABLED", r.json["imap"]["capabilities"])
        self.assertIn("LOGINDISABLED", r.json["error"]["message"])
        self.assertFalse(any(" LOGIN " in t["text"]
                             for t in r.json["transcript"]
                             if t["kind"] == "client"))

    def test_starttls_makes_the_same_login_work(self):
        for cmd, key in (("pop3", "LAB_POP3_PORT"), ("imap", "LAB_IMAP_PORT")):
            with self.subTest(cmd=cmd):
                r = self.run_cmd(cmd, self.url(cmd, key), "--cafile",
                                 self.lab["LAB_CA"], "--source", "127.0.0.2")
                self.assertEqual(r.rc, 0, r)
                self.assertEqual(self.check(r.json, "auth")["verdict"],
                                 "pass")


class TestDeliver(MailboxCase):
    def deliver(self, check, *args, passfile=None):
        return self.run_cmd(
            "deliver", "--via", self.url("submission", "LAB_SUBMISSION_PORT"),
            "--check", check, "--cafile", self.lab["LAB_CA"], *args,
            passfile=passfile)

    def test_round_trip_over_imap_with_log(self):
        r = self.deliver(self.url("imaps", "LAB_IMAPS_PORT"), "--wait", "20s",
                         "--log", self.lab["LAB_POSTFIX_LOG"], "--cleanup")
        self.assertEqual(r.rc, 0, r)
        d = r.json["deliver"]
        self.assertTrue(d["submitted"])
        self.assertTrue(d["found"])
        self.assertGreater(d["time_to_inbox_ms"], 0)
        self.assertLess(d["time_to_inbox_ms"], 20000)
        self.assertEqual(d["queue_id"], r.json["smtp"]["queue_id"])
        self.assertTrue(d["cleaned"])
        self.assertTrue(any("status=sent" in l for l in d["log"]), d["log"])
        self.assertTrue(all(d["queue_id"] in l for l in d["log"]))
        self.assertEqual(self.check(r.json, "log")["verdict"], "pass")
        # Cleaned up: the token is gone from the mailbox.
        s = self.run_cmd("imap", self.url("imaps", "LAB_IMAPS_PORT"),
                         "--cafile", self.lab["LAB_CA"], "--search-header",
                         "X-Mailvet-Token: " + d["token"])
        self.assertEqual(s.json["imap"]["search"]["total"], 0, s)

    def test_round_trip_over_pop3(self):
        r = self.deliver(self.url("pop3s", "LAB_POP3S_PORT"), "--wait", "20s",
                         "--cleanup")
        self.assertEqual(r.rc, 0, r)
        self.assertTrue(r.json["deliver"]["found"])
        self.assertTrue(r.json["deliver"]["cleaned"])

    def test_message_that_never_arrives(self):
        # Delivered to alice, looked for in charlie's mailbox.
        r = self.deliver(self.url("imaps", "LAB_IMAPS_PORT"), "--to",
                         self.lab["LAB_USER2"], "--wait", "2s", "--poll",
                         "500ms")
        self.assertEqual(r.rc, 1, r)
        self.assertFalse(r.json["deliver"]["found"])
        self.assertGreaterEqual(r.json["deliver"]["polls"], 2)
        inbox = self.check(r.json, "inbox")
        self.assertEqual(inbox["verdict"], "fail")
        self.assertIn("did not arrive", inbox["summary"])
        self.assertLess(r.elapsed_s, 10)

    def test_wrong_password_stops_at_submission(self):
        r = self.deliver(self.url("imaps", "LAB_IMAPS_PORT"),
                         passfile=self.wrong_passfile())
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(self.check(r.json, "inbox")["verdict"], "skip")
        self.assertFalse(r.json["deliver"]["submitted"])


if __name__ == "__main__":
    unittest.main()
