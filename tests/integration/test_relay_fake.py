"""`mailvet relay` against a fake catch-all server, and its command line.

The catch-all (tests/fake/scenarios/relay-catch-all.fake) accepts every
RCPT and every message and delivers nothing: the server that RCPT-only
relay testers call an open relay.  Without --confirm mailvet reports
"accepted at RCPT" (a finding, and it never sends DATA); with --confirm
it sends tagged messages, none reaches its sink, and the verdict is
"accepted, not relayed" - not an open relay, exit 0.

Also the verdicts the review asked for: a message refused after the
data (relay-reject-data: a pass, never "unconfirmed"), 4xx that decide
nothing (relay-421-greeting, relay-451-rcpt, relay-greylist: could not
test, exit 3), a greeting and EHLO name that give no mail domain
(relay-no-domain: exit 2 asking for --domain), a tarpit stopped by
--max-time (relay-tarpit), a bounce arriving at the sink; usage errors
(exit 2) and a server that cannot be reached (exit 3).
Only 127.0.0.1 is contacted.
"""
import os
import smtplib
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mvtest  # noqa: E402
import relaytest  # noqa: E402
from test_hostile import fake_server  # noqa: E402

NRELAY = 24   # relaying attempts in the battery (docs/mailvet-relay.md)


def fake_log(srv):
    srv.stop()
    with open(srv.log_path, encoding="utf-8") as f:
        return f.read().splitlines()


def client_commands(log, verb):
    """Client lines starting with verb, over all connections ("[n] C: ")."""
    out = []
    for line in log:
        if "C: " not in line:
            continue
        text = line.split("C: ", 1)[1]
        if text.upper().startswith(verb):
            out.append(text)
    return out


class RelayCatchAll(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        if not os.access(mvtest.BIN, os.X_OK):
            raise unittest.SkipTest("no mailvet binary at %s" % mvtest.BIN)

    def relay(self, srv, *extra):
        return mvtest.run(["relay", srv.url, "--timeout", "5s", "--json"] +
                          list(extra), limit_s=60)

    def test_rcpt_only_reports_accepted_and_never_sends_data(self):
        with fake_server("relay-catch-all", "--max-conns", "0",
                         "--parallel") as srv:
            r = self.relay(srv)
            log = fake_log(srv)
        self.assertEqual(r.rc, 1, r)
        doc = r.json
        self.assertEqual(doc["command"], "relay", r)
        self.assertEqual(doc["exit_code"], 1, r)
        rel = doc["relay"]
        self.assertFalse(rel["confirm"], r)
        self.assertEqual(rel["domain"], "catchall.test", r)
        relay = [a for a in rel["attempts"] if a["kind"] == "relay"]
        self.assertEqual(len(relay), NRELAY, r)
        for a in relay:
            self.assertEqual(a["outcome"], "accepted", a)
            self.assertEqual(a["verdict"], "fail", a)
            self.assertEqual(a["rcpt"]["code"], 250, a)
            self.assertIn("run --confirm to prove", a["note"], a)
            self.assertFalse(a["confirmed"], a)
            self.assertIsNone(a["relayed"], a)
            self.assertIn("RCPT TO:<%s>" % a["rcpt_to"], a["commands"], a)
            self.assertEqual(a["commands"][-1], "QUIT", a)
        v = rel["vantages"][0]
        self.assertEqual((v["attempts"], v["accepted"], v["relayed"]),
                         (NRELAY, NRELAY, 0), v)
        self.assertEqual(relaytest.check(doc, "relay ")["verdict"], "fail")
        # Safe by default: not one DATA, and every session said QUIT.
        self.assertEqual(client_commands(log, "DATA"), [], log)
        self.assertEqual(len(client_commands(log, "RCPT")), NRELAY + 1)
        self.assertEqual(len(client_commands(log, "QUIT")), NRELAY + 2)
        self.assertEqual([x for x in log if "!: " in x], [], log)

    def test_confirm_catch_all_is_not_an_open_relay(self):
        with fake_server("relay-catch-all", "--max-conns", "0",
                         "--parallel") as srv:
            r = self.relay(srv, "--confirm", "--sink", "127.0.0.1:0",
                           "--confirm-wait", "2s", "--concurrency", "4")
            log = fake_log(srv)
        self.assertEqual(r.rc, 0, r)
        doc = r.json
        rel = doc["relay"]
        self.assertTrue(rel["confirm"], r)
        self.assertRegex(rel["sink"], r"^127\.0\.0\.1:[1-9][0-9]*$")
        relay = [a for a in rel["attempts"] if a["kind"] == "relay"]
        self.assertEqual(len(relay), NRELAY, r)
        for a in relay:
            self.assertEqual(a["outcome"], "not-relayed", a)
            self.assertEqual(a["verdict"], "warn", a)
            self.assertTrue(a["confirmed"], a)
            self.assertIs(a["relayed"], False, a)
            self.assertEqual(a["data"]["code"], 250, a)
            self.assertRegex(a["token"], r"^[0-9a-f]{24}$")
            # Honest: nothing arrived, which a catch-all and a domain
            # that does not route to the sink look alike.
            self.assertIn("not relayed as far as mailvet can see",
                          a["note"], a)
            self.assertIn("relay-test.mailvet.invalid does not route to "
                          "the sink at %s" % rel["sink"], a["note"], a)
            self.assertNotIn("not an open relay", a["note"], a)
        tokens = {a["token"] for a in relay}
        self.assertEqual(len(tokens), NRELAY, "one token per attempt")
        self.assertNotIn("relayed", [a["outcome"] for a in
                                     rel["attempts"]], r)
        c = relaytest.check(doc, "relay ")
        self.assertEqual(c["verdict"], "warn", c)
        self.assertIn("catch-all / accept-then-bounce server, or "
                      "relay-test.mailvet.invalid does not route",
                      c["summary"], c)
        self.assertIn("0 of %d" % NRELAY,
                      relaytest.check(doc, "sink")["summary"])
        # The default .invalid domain reaches the sink only through a
        # relayhost: the report says so.
        self.assertTrue(rel["confirm_route_default"], r)
        route = relaytest.check(doc, "confirm-route")
        self.assertEqual(route["verdict"], "warn", route)
        self.assertIn("--confirm-rcpt", route["summary"])
        # The control (a local recipient) is never sent a message.
        self.assertEqual(len(client_commands(log, "DATA")), NRELAY, log)

    def test_confirm_rcpt_of_ones_own_has_no_route_note(self):
        with fake_server("relay-catch-all", "--max-conns", "0",
                         "--parallel") as srv:
            r = self.relay(srv, "--confirm", "--sink", "127.0.0.1:0",
                           "--confirm-wait", "1s", "--concurrency", "4",
                           "--confirm-rcpt", "probe@sink.example.net")
        self.assertEqual(r.rc, 0, r)
        rel = r.json["relay"]
        self.assertFalse(rel["confirm_route_default"], r)
        self.assertNotIn("confirm-route",
                         [c["name"] for c in r.json["checks"]], r)
        self.assertIn("sink.example.net does not route to the sink",
                      relaytest.check(r.json, "relay ")["summary"])

    def test_a_bounce_at_the_sink_is_reported_not_counted(self):
        # A delivery status notification reaching the sink (here sent by
        # the test, as a server that routes the foreign domain to the
        # sink would): the sink counts it as "another message", not as
        # a relayed token, and the report says mail does reach it.
        port = free_port()
        stop = threading.Event()
        sent = []
        t = threading.Thread(target=send_bounce, args=(port, stop, sent))
        with fake_server("relay-catch-all", "--max-conns", "0",
                         "--parallel") as srv:
            t.start()
            try:
                r = self.relay(srv, "--confirm", "--sink",
                               "127.0.0.1:%d" % port, "--confirm-wait",
                               "1s", "--concurrency", "4")
            finally:
                stop.set()
                t.join()
        self.assertEqual(sent, [True], "the bounce was not delivered")
        self.assertEqual(r.rc, 0, r)
        rel = r.json["relay"]
        self.assertEqual(rel["sink_other_messages"], 1, r)
        for a in rel["attempts"]:
            if a["kind"] == "relay":
                self.assertEqual(a["outcome"], "not-relayed", a)
        c = relaytest.check(r.json, "sink")
        self.assertIn("1 other message(s) without a mailvet token",
                      c["summary"])
        relaytest.assert_port_closed(port)

    def test_text_report_names_every_attempt(self):
        with fake_server("relay-catch-all", "--max-conns", "0",
                         "--parallel") as srv:
            r = mvtest.run(["relay", srv.url, "--timeout", "5s",
                            "--no-transcript"], limit_s=60)
        self.assertEqual(r.rc, 1, r)
        for attempt_id in ("plain", "percent", "bang", "quoted-at",
                           "source-route", "ip-sender", "null-sender",
                           "foreign-dot", "percent-local-upper"):
            self.assertRegex(r.out, r"(?m)^  %s +FAIL +accepted 250"
                             % attempt_id, r)
        self.assertIn("RCPT TO:<relay-test%relay-test.mailvet.invalid@"
                      "catchall.test>", r.out)
        self.assertIn("Verdict: FAIL", r.out)


def free_port():
    with socket.socket() as sk:
        sk.bind(("127.0.0.1", 0))
        return sk.getsockname()[1]


def send_bounce(port, stop, sent):
    """Deliver one DSN-like message (null sender, our headers quoted in
    the body) to the sink on port once it listens."""
    msg = ("From: MAILER-DAEMON@mail.catchall.test\r\n"
           "To: mailvet@relay-test.mailvet.invalid\r\n"
           "Subject: Undelivered Mail Returned to Sender\r\n"
           "Content-Type: text/plain\r\n\r\n"
           "Your message could not be delivered.\r\n\r\n"
           "X-Mailvet-Token: 000000000000000000000000\r\n"
           "Subject: mailvet relay test plain\r\n")
    deadline = time.monotonic() + 20
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=5) as c:
                c.sendmail("", ["mailvet@relay-test.mailvet.invalid"], msg)
            sent.append(True)
            return
        except OSError:
            time.sleep(0.05)


class RelayRefusedGreeting(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(mvtest.BIN, os.X_OK):
            raise unittest.SkipTest("no mailvet binary at %s" % mvtest.BIN)

    def test_554_greeting_refuses_everything(self):
        # A vantage the server refuses at once cannot relay: a pass for
        # the relay check, a warning that no mail is received from it.
        with fake_server("banner-554", "--max-conns", "0",
                         "--parallel") as srv:
            r = mvtest.run(["relay", srv.url, "--timeout", "5s", "--json"],
                           limit_s=60)
        self.assertEqual(r.rc, 0, r)
        doc = r.json
        self.assertEqual(doc["relay"]["domain"], "mail.fake", r)
        self.assertEqual(doc["relay"]["domain_from"], "the banner", r)
        for a in doc["relay"]["attempts"]:
            self.assertEqual(a["outcome"], "rejected-at-connect", a)
            self.assertEqual(a["banner"]["code"], 554, a)
            self.assertIsNone(a["mail"], a)
        self.assertEqual(relaytest.check(doc, "relay ")["verdict"], "pass")
        c = relaytest.check(doc, "receive ")
        self.assertEqual(c["verdict"], "warn", c)
        self.assertIn("refuses every connection", c["summary"])


    def test_greylisting_is_not_a_relay_refusal(self):
        # Every attempt greylisted: nothing was decided, so nothing was
        # tested (exit 3), not a pass.
        with fake_server("relay-greylist", "--max-conns", "0",
                         "--parallel") as srv:
            r = mvtest.run(["relay", srv.url, "--timeout", "5s", "--json"],
                           limit_s=60)
        self.assertEqual(r.rc, 3, r)
        doc = r.json
        for a in doc["relay"]["attempts"]:
            self.assertEqual(a["outcome"], "deferred", a)
            self.assertEqual(a["rcpt"]["code"], 450, a)
            self.assertEqual(a["verdict"], "warn", a)
            self.assertIn("greylisted", a["note"], a)
        c = relaytest.check(doc, "relay ")
        self.assertEqual(c["verdict"], "error", c)
        self.assertIn("%d deferred (450 4.2.0" % NRELAY, c["summary"])
        self.assertIn("greylisting delay", c["summary"])
        self.assertEqual(doc["relay"]["vantages"][0]["deferred"], NRELAY)

    def test_421_greeting_is_could_not_test(self):
        with fake_server("relay-421-greeting", "--max-conns", "0",
                         "--parallel") as srv:
            r = mvtest.run(["relay", srv.url, "--timeout", "5s", "--json"],
                           limit_s=60)
        self.assertEqual(r.rc, 3, r)
        doc = r.json
        for a in doc["relay"]["attempts"]:
            self.assertEqual(a["outcome"], "deferred", a)
            self.assertEqual(a["banner"]["code"], 421, a)
            self.assertNotEqual(a["verdict"], "pass", a)
        c = relaytest.check(doc, "relay ")
        self.assertEqual(c["verdict"], "error", c)
        self.assertIn("the server deferred every attempt", c["summary"])
        self.assertIn("421 4.7.0", c["summary"])
        self.assertEqual(doc["verdict"], "error", r)

    def test_451_lookup_failure_at_rcpt_is_could_not_test(self):
        with fake_server("relay-451-rcpt", "--max-conns", "0",
                         "--parallel") as srv:
            r = mvtest.run(["relay", srv.url, "--timeout", "5s", "--json"],
                           limit_s=60)
        self.assertEqual(r.rc, 3, r)
        doc = r.json
        for a in doc["relay"]["attempts"]:
            self.assertEqual(a["outcome"], "deferred", a)
            self.assertEqual(a["rcpt"]["code"], 451, a)
            self.assertEqual(a["rcpt"]["enhanced"], "4.3.0", a)
            self.assertIn("not a relay decision", a["note"], a)
        v = doc["relay"]["vantages"][0]
        self.assertEqual((v["deferred"], v["rejected"], v["accepted"]),
                         (NRELAY, 0, 0), v)
        self.assertEqual(relaytest.check(doc, "relay ")["verdict"], "error")

    def test_refused_after_the_data_is_a_pass_not_unconfirmed(self):
        with fake_server("relay-reject-data", "--max-conns", "0",
                         "--parallel") as srv:
            r = mvtest.run(["relay", srv.url, "--timeout", "5s", "--json",
                            "--confirm", "--sink", "127.0.0.1:0",
                            "--confirm-wait", "1s", "--concurrency", "4"],
                           limit_s=60)
        self.assertEqual(r.rc, 0, r)
        doc = r.json
        for a in doc["relay"]["attempts"]:
            if a["kind"] != "relay":
                continue
            self.assertEqual(a["outcome"], "rejected-at-data", a)
            self.assertEqual(a["data"]["code"], 554, a)
            self.assertEqual(a["verdict"], "pass", a)
        v = doc["relay"]["vantages"][0]
        self.assertEqual((v["accepted"], v["unconfirmed"],
                          v["rejected_data"]), (NRELAY, 0, NRELAY), v)
        c = relaytest.check(doc, "relay ")
        self.assertEqual(c["verdict"], "pass", c)
        self.assertIn("24 of them with the message", c["summary"])

    def test_greeting_without_a_domain_asks_for_domain(self):
        # "220 [127.0.0.1] ESMTP Service ready" and EHLO "localhost":
        # no mail domain; "ESMTP" must not be taken for one.
        with fake_server("relay-no-domain", "--max-conns", "0",
                         "--parallel") as srv:
            r = mvtest.run(["relay", srv.url, "--timeout", "5s"],
                           limit_s=60)
            self.assertEqual(r.rc, 2, r)
            self.assertIn("--domain", r.err)
            self.assertIn("[127.0.0.1] ESMTP Service ready", r.err)
            self.assertNotIn("ESMTP.", r.out + r.err)
            r = mvtest.run(["relay", srv.url, "--timeout", "5s", "--json",
                            "--domain", "example.test"], limit_s=60)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.json["relay"]["domain"], "example.test", r)
        self.assertEqual(r.json["relay"]["domain_from"], "--domain", r)

    def test_max_time_stops_a_tarpit(self):
        # The tarpit never answers MAIL: with the command timeout at 60s
        # the battery would take 25 sessions x 60 s / 2 at once; the
        # limit of this test (40 s) is far below that, so it also shows
        # that --max-time ended it.
        with fake_server("relay-tarpit", "--max-conns", "0",
                         "--parallel") as srv:
            r = mvtest.run(["relay", srv.url, "--command-timeout", "60s",
                            "--max-time", "2s", "--json"], limit_s=40)
        self.assertEqual(r.rc, 3, r)
        doc = r.json
        self.assertTrue(doc["relay"]["max_time_hit"], r)
        self.assertEqual(doc["relay"]["max_time_ms"], 2000, r)
        for a in doc["relay"]["attempts"]:
            self.assertEqual(a["outcome"], "not-run", a)
            self.assertEqual(a["verdict"], "skip", a)
            self.assertIn("--max-time", a["note"], a)
        v = doc["relay"]["vantages"][0]
        self.assertEqual(v["not_run"], NRELAY, v)
        c = relaytest.check(doc, "relay ")
        self.assertEqual(c["verdict"], "error", c)
        self.assertIn("not run: --max-time (2 s)", c["summary"])

    def test_starttls_first_is_could_not_test(self):
        with fake_server("relay-starttls-first", "--max-conns", "0",
                         "--parallel") as srv:
            r = mvtest.run(["relay", srv.url, "--timeout", "5s", "--json"],
                           limit_s=60)
        self.assertEqual(r.rc, 3, r)
        doc = r.json
        for a in doc["relay"]["attempts"]:
            self.assertEqual(a["outcome"], "error", a)
            self.assertEqual(a["mail"]["code"], 530, a)
            self.assertIn("--tls optional", a["error"], a)
            self.assertNotIn("STARTTLS", a["commands"], a)
        c = relaytest.check(doc, "relay ")
        self.assertEqual(c["verdict"], "error", c)


class RelayCommandLine(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(mvtest.BIN, os.X_OK):
            raise unittest.SkipTest("no mailvet binary at %s" % mvtest.BIN)

    def usage(self, *args):
        r = mvtest.run(["relay"] + list(args), limit_s=20)
        self.assertEqual(r.rc, 2, r)
        self.assertEqual(r.out, "", r)
        self.assertTrue(r.err.startswith("mailvet relay: "), r)
        return r

    def test_usage_errors(self):
        self.usage()
        self.usage("smtp://127.0.0.1:1", "--sink", "127.0.0.1:2526")
        self.usage("smtp://127.0.0.1:1", "--concurrency", "0")
        self.usage("smtp://127.0.0.1:1", "--concurrency", "17")
        self.usage("smtp://127.0.0.1:1", "--expect-relay", "10.0.0.0/33")
        self.usage("smtp://127.0.0.1:1", "--expect-relay", "nowhere")
        self.usage("smtp://127.0.0.1:1", "--source", "mail.example.org")
        self.usage("smtp://127.0.0.1:1", "--foreign-domain", "a..b")
        self.usage("smtp://127.0.0.1:1", "--confirm-rcpt", "no-at-sign")
        self.usage("smtp://127.0.0.1:1", "--local-rcpt", "<x@y>")
        self.usage("smtp://127.0.0.1:1", "--other-sender", "a@b")
        self.usage("lmtp://127.0.0.1:1")
        self.usage("imap://127.0.0.1:1")
        self.usage("smtp://127.0.0.1:1", "--max-time", "soon")
        r = self.usage("smtp://127.0.0.1:1", "--confirm-wait", "soon")
        self.assertIn("duration", r.err)
        # No URL: the example given is one relay accepts.
        r = self.usage()
        self.assertIn("smtp://", r.err)
        self.assertNotIn("relay://", r.err)
        r = self.usage("--list", "--json")
        self.assertIn("no JSON form", r.err)

    def test_list_and_help(self):
        r = mvtest.run(["relay", "--list"], limit_s=20)
        self.assertEqual(r.rc, 0, r)
        ids = [line.split()[0] for line in r.out.splitlines()[1:]
               if line and not line.startswith("%")]
        self.assertGreaterEqual(len([i for i in ids if not
                                     i.startswith("auth-") and
                                     i != "local-rcpt"]), 20, r)
        self.assertEqual(len(ids), len(set(ids)), r)
        r = mvtest.run(["relay", "--help"], limit_s=20)
        self.assertEqual(r.rc, 0, r)
        self.assertIn("--expect-relay", r.out)

    def test_unreachable_server_is_could_not_test(self):
        r = mvtest.run(["relay", "smtp://127.0.0.1:1", "--json",
                        "--connect-timeout", "2s"], limit_s=30)
        self.assertEqual(r.rc, 3, r)
        self.assertEqual(r.json["error"]["category"], "connect", r)
        self.assertEqual(r.json["verdict"], "error", r)

    def test_source_address_not_here(self):
        # 192.0.2.1 (TEST-NET-1) is on no interface: bind() fails before
        # any packet is sent.
        r = mvtest.run(["relay", "smtp://127.0.0.1:1", "--json",
                        "--source", "192.0.2.1"], limit_s=30)
        self.assertEqual(r.rc, 3, r)
        self.assertIsNotNone(r.json["error"], r)


if __name__ == "__main__":
    unittest.main()
