"""`mailvet log` on the real lab's logs: messages are sent through the
lab's Postfix (delivered over LMTP to Dovecot, deferred to the closed
relay port, rejected for an unknown user), logins fail at Dovecot, and
`mailvet log` must reconstruct each from LAB_POSTFIX_LOG and
LAB_DOVECOT_LOG; --follow must report a message live.
"""
import json
import os
import signal
import subprocess
import tempfile
import time
import unittest

import mvtest
from test_smtp_lab import LabCase


class LogLab(LabCase):
    def logs(self):
        return [self.lab["LAB_POSTFIX_LOG"], self.lab["LAB_DOVECOT_LOG"]]

    def send(self, to, *extra, scheme="smtp", port="LAB_SMTP_PORT"):
        r = mvtest.run(["smtp", self.url(scheme, port), "--cafile",
                        self.lab["LAB_CA"], "--to", to, "--json"]
                       + list(extra))
        self.assert_no_secrets(r)
        return r

    def query(self, qid, want_status, limit_s=20):
        """mailvet log --queue-id, until the record reaches want_status
        (Postfix and Dovecot log asynchronously)."""
        deadline = time.monotonic() + limit_s
        while True:
            r = mvtest.run(["log", "--json", "--queue-id", qid]
                           + self.logs())
            msgs = r.json["log"]["messages"]
            if msgs and msgs[-1]["status"] == want_status:
                return r, msgs[-1]
            if time.monotonic() > deadline:
                self.fail("%s never reached %s: %r" % (qid, want_status, r))
            time.sleep(0.2)

    def summary(self):
        r = mvtest.run(["log", "--json", "--top", "100"] + self.logs())
        self.assertEqual(r.rc, 0, r)
        return r.json["log"]["summary"]

    def test_delivered_to_mailbox(self):
        r = self.send(self.lab["LAB_USER"])
        self.assertEqual(r.rc, 0, r)
        qid = r.json["smtp"]["queue_id"]
        msgid = r.json["smtp"]["message_id"]
        lr, m = self.query(qid, "sent")
        self.assertEqual(lr.rc, 0, lr)
        self.assertEqual(m["message_id"], msgid)
        self.assertEqual(m["client_ip"], "127.0.0.1")
        self.assertTrue(m["complete"])
        rc = m["recipients"][0]
        self.assertEqual(rc["to"], self.lab["LAB_USER"])
        self.assertEqual(rc["dsn"], "2.0.0")
        self.assertIsNotNone(rc["delays_s"])
        # the same message's Dovecot side, linked by message-id
        self.assertIsNotNone(rc["mailbox"], m)
        self.assertTrue(rc["mailbox"]["saved"])
        self.assertEqual(rc["mailbox"]["mailbox"], "INBOX")
        self.assertEqual(rc["mailbox"]["user"], self.lab["LAB_USER"])
        self.assertIn(rc["mailbox"]["session"], rc["reason"])
        # timeline from connect to the mailbox, in order
        texts = [e["text"] for e in m["timeline"]]
        self.assertTrue(texts[0].startswith("connect from"), texts)
        self.assertTrue(any("saved mail to INBOX" in t for t in texts))
        self.assertIsNotNone(m["connect_to_mailbox_s"])
        # and by message-id, in text
        r = mvtest.run(["log", "--message-id", msgid] + self.logs())
        self.assertEqual(r.rc, 0, r)
        self.assertIn("Message %s: sent" % qid, r.out)
        self.assertIn("mailbox: saved to INBOX", r.out)

    def test_submission_sasl_and_tls(self):
        pw = self.lab["LAB_PASSFILE"]
        r = self.send(self.lab["LAB_USER2"], "--user", self.lab["LAB_USER"],
                      "--password-file", pw, scheme="submission",
                      port="LAB_SUBMISSION_PORT")
        self.assertEqual(r.rc, 0, r)
        _, m = self.query(r.json["smtp"]["queue_id"], "sent")
        self.assertEqual(m["sasl_username"], self.lab["LAB_USER"])
        self.assertTrue(m["tls"]["version"].startswith("TLSv1."), m)
        self.assertEqual(m["recipients"][0]["mailbox"]["user"],
                         self.lab["LAB_USER2"])

    def test_deferred_to_closed_relay(self):
        r = self.send("someone@far.example")
        self.assertEqual(r.rc, 0, r)
        qid = r.json["smtp"]["queue_id"]
        lr, m = self.query(qid, "deferred")
        self.assertEqual(lr.rc, 1, lr)       # not delivered: a finding
        self.assertFalse(m["complete"])
        rc = m["recipients"][0]
        self.assertTrue(rc["dsn"].startswith("4."), rc)
        self.assertIn(":%s" % self.lab["LAB_RELAY_PORT"], rc["reason"])
        self.assertIsNone(rc["mailbox"])
        s = self.summary()
        domains = {d["domain"]: d for d in s["recipient_domains"]}
        self.assertGreaterEqual(domains["far.example"]["deferred"], 1)
        self.assertGreaterEqual(s["messages"]["deferrals"], 1)

    def test_rejected_unknown_user(self):
        before = self.summary()
        r = self.send("nosuchuser@lab.example")
        self.assertEqual(r.rc, 1, r)
        # postlogd writes the reject line asynchronously: poll for it
        deadline = time.monotonic() + 20
        while True:
            after = self.summary()
            if (after["messages"]["rejected"] >
                    before["messages"]["rejected"] or
                    time.monotonic() > deadline):
                break
            time.sleep(0.2)
        self.assertEqual(after["messages"]["rejected"],
                         before["messages"]["rejected"] + 1)
        reasons = {x["reason"]: x["count"] for x in after["reasons"]["reject"]}
        key = [k for k in reasons if "User unknown" in k]
        self.assertTrue(key, reasons)
        old = {x["reason"]: x["count"]
               for x in before["reasons"]["reject"]}
        self.assertEqual(reasons[key[0]], old.get(key[0], 0) + 1)

    def test_wrong_password_logins(self):
        pw = os.path.join(self.lab["LAB_DIR"], "log-wrong.pw")
        with open(pw, "w") as f:
            f.write("not-the-password\n")
        before = self.summary()
        for cmd, key in (("imap", "LAB_IMAP_PORT"), ("pop3", "LAB_POP3_PORT")):
            r = mvtest.run([cmd, self.url(cmd, key), "--cafile",
                            self.lab["LAB_CA"], "--user", self.lab["LAB_USER2"],
                            "--password-file", pw, "--json"])
            self.assertEqual(r.rc, 1, r)
        # Dovecot logs the failed login when the client goes away
        deadline = time.monotonic() + 20
        while True:
            after = self.summary()
            d = after["dovecot"]["login_failures"] - \
                before["dovecot"]["login_failures"]
            if d >= 2 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(d, 2, after["dovecot"])
        users = {x["user"]: x["count"]
                 for x in after["auth_failures"]["login_by_user"]}
        old = {x["user"]: x["count"]
               for x in before["auth_failures"]["login_by_user"]}
        self.assertEqual(users[self.lab["LAB_USER2"]],
                         old.get(self.lab["LAB_USER2"], 0) + 2)
        ips = {x["ip"] for x in after["auth_failures"]["login_by_ip"]}
        self.assertIn("127.0.0.1", ips)
        self.assertGreater(after["dovecot"]["passdb_failures"],
                           before["dovecot"]["passdb_failures"])

    def test_follow_live(self):
        with tempfile.TemporaryFile("w+") as out, \
                tempfile.TemporaryFile("w+") as err:
            p = subprocess.Popen([mvtest.BIN, "log", "--follow", "--json",
                                  "--poll", "100ms", "--stop-after", "60s"]
                                 + self.logs(), stdout=out, stderr=err)
            try:
                deadline = time.monotonic() + 20
                while True:
                    err.seek(0)
                    if "following" in err.read():
                        break
                    self.assertLess(time.monotonic(), deadline)
                    time.sleep(0.05)
                r = self.send(self.lab["LAB_USER"])
                self.assertEqual(r.rc, 0, r)
                qid = r.json["smtp"]["queue_id"]
                deadline = time.monotonic() + 20
                rec = None
                while rec is None and time.monotonic() < deadline:
                    out.seek(0)
                    for line in out.read().splitlines():
                        j = json.loads(line)
                        if j["queue_id"] == qid:
                            rec = j
                    time.sleep(0.1)
                self.assertIsNotNone(rec, "no record for %s" % qid)
                self.assertEqual(rec["status"], "sent")
                self.assertTrue(rec["recipients"][0]["mailbox"]["saved"])
            finally:
                p.send_signal(signal.SIGTERM)
                self.assertEqual(p.wait(timeout=20), 0)


if __name__ == "__main__":
    unittest.main()
