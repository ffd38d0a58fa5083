"""test_hostile_mailbox - mailvet pop3 and imap against scripted fakes.

The POP3 and IMAP counterparts of test_hostile.py, with the same fake
(tests/fake/fakesmtp.py; scenarios tests/fake/scenarios/pop3-*.fake and
imap-*.fake) and the same helpers, imported from test_hostile.  Each test
runs `mailvet pop3` or `mailvet imap` against one scenario and checks the
documented exit code, verdict and JSON error category, a message in plain
words, a bounded run time, peak memory under 64 MB (also for a multi-line
answer that never ends and a literal announced at 4 GB), that the
password never appears in mailvet's output, and - from the fake's log -
what mailvet sent: no PASS or LOGIN where it must not, QUIT or LOGOUT
after a refusal.  Against the well-behaved scenarios mailvet must succeed
and report exactly what the fake sent.

FakeMailboxSelfTest checks the scenarios and the fake's tag support with
poplib, imaplib and raw sockets, so that a failure in the mailvet tests
is mailvet's.  It runs even when mailvet lacks the commands; the mailvet
tests skip then, with the reason.  Standard library only; nothing but
127.0.0.1 is contacted.
"""
import imaplib
import os
import poplib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mvtest  # noqa: E402
# The module, not its classes: a TestCase imported by name would run here
# a second time.
import test_hostile as th  # noqa: E402
from test_hostile import (client_lines, fake_server,  # noqa: E402
                          script_failures)

USER = "alice"
PASSWORD = "Fake-Pw-7731"

# What the normal scenarios send (keep in step with the .fake files).
POP3_MSG1 = (b"From: Alice <alice@example.test>\r\n"
             b"To: Bob <bob@example.test>\r\n"
             b"Subject: fake message one\r\n"
             b"Message-ID: <one.1700000000@fake>\r\n"
             b"\r\n"
             b"Hello from the fake POP3 server.\r\n"
             b".leading dot\r\n"         # sent as "..leading dot"
             b".\r\n"                    # sent as ".."
             b"last line\r\n").decode()
POP3_TOP1 = POP3_MSG1.split("\r\n\r\n")[0] + (
    "\r\n\r\nHello from the fake POP3 server.\r\n")
IMAP_MSG1 = ("From: Alice <alice@example.test>\r\n"
             "To: Bob <bob@example.test>\r\n"
             "Subject: fake IMAP message\r\n"
             "X-Mailvet-Token: tok-1700000000\r\n"
             "\r\n"
             "Hello from the fake IMAP server.\r\n"
             ".leading dot stays as it is\r\n")
IMAP_CAPS = {"IMAP4REV1", "LITERAL+", "SASL-IR", "AUTH=PLAIN"}

CREDENTIALS_REFUSED = "the credentials were refused"
MAILBOX_LOCKED = "the mailbox is locked by another session"
TEMPORARY_PROBLEM = "a temporary server-side problem"


def make_cert(directory):
    """A self-signed certificate for 127.0.0.1 (cert, key), or None when
    there is no openssl command."""
    openssl = shutil.which("openssl")
    if not openssl:
        return None
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run([openssl, "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "1",
                    "-subj", "/CN=mail.fake",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=30)
    return cert, key


def tls_established(log):
    return any(line.startswith("*: TLS established") for line in log)


# ------------------------------------------------- mailvet against it

class MailboxCase(unittest.TestCase):
    """Common ground of the POP3 and IMAP tests; `command` is set by the
    subclasses.  The generic assertions are test_hostile's own."""
    maxDiff = None
    command = None

    assertPlainWords = th.MailvetCase.assertPlainWords
    check = th.MailvetCase.check
    assertCheck = th.MailvetCase.assertCheck
    find = th.MailvetCase.find

    @classmethod
    def setUpClass(cls):
        if cls.command is None:
            raise unittest.SkipTest("base class")
        if not os.access(mvtest.BIN, os.X_OK):
            raise unittest.SkipTest("no mailvet binary at %s (set MAILVET_BIN)"
                                    % mvtest.BIN)
        r = mvtest.run([cls.command, "--help"], limit_s=10)
        if r.rc == 2 and "unknown command" in r.out + r.err:
            raise unittest.SkipTest(
                "mailvet at %s has no '%s' command yet ('mailvet %s --help' "
                "exits 2: unknown command)" % (mvtest.BIN, cls.command,
                                               cls.command))
        cls.tmp = tempfile.TemporaryDirectory(prefix="mailvet-mbox-")
        cls.pwfile = os.path.join(cls.tmp.name, "password")
        with open(cls.pwfile, "w") as f:
            f.write(PASSWORD + "\n")
        cls.cert = make_cert(cls.tmp.name)

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "tmp", None):
            cls.tmp.cleanup()

    def url(self, srv):
        return "%s://127.0.0.1:%d" % (self.command, srv.port)

    def run_mailvet(self, srv, *extra, timeout="2s", tls="off", login=True,
                    json_out=True, limit_s=30):
        args = [self.command, self.url(srv), "--tls", tls,
                "--timeout", timeout]
        if login:
            args += ["--user", USER, "--password-file", self.pwfile]
        args += list(extra)
        if json_out:
            args.append("--json")
        r = mvtest.run(args, limit_s=limit_s)
        self.assertNotIn(PASSWORD, r.out, "the password is in the output")
        self.assertNotIn(PASSWORD, r.err, "the password is on stderr")
        return r

    def tls_args(self):
        if not self.cert:
            self.skipTest("no openssl command to make a test certificate")
        return ("--cafile", self.cert[0])

    def tls_fake(self):
        return ("--cert", self.cert[0], "--key", self.cert[1])

    def outcome(self, srv, r, rc, category, max_s, min_s=0.0):
        """test_hostile's contract of one run, for this command; return
        the JSON and its command object."""
        self.assertEqual(r.rc, rc, r)
        self.assertNotIn("Sanitizer", r.err, r)
        self.assertNotIn("runtime error:", r.err, r)
        try:
            doc = r.json
        except ValueError as e:
            self.fail("stdout is not one JSON document (%s)\n%r" % (e, r))
        self.assertEqual(doc.get("command"), self.command, r)
        self.assertEqual(doc.get("target"), self.url(srv), r)
        self.assertEqual(doc.get("exit_code"), rc, r)
        self.assertEqual(doc.get("verdict"), th.VERDICT[rc], r)
        if category is None:
            self.assertIsNone(doc.get("error"), r)
        else:
            err = doc.get("error")
            self.assertIsInstance(err, dict, r)
            self.assertEqual(err.get("category"), category, r)
            self.assertPlainWords(err.get("message"), r)
        self.assertLess(r.elapsed_s, max_s,
                        "took %.2f s, bound %.1f s\n%r" % (r.elapsed_s,
                                                            max_s, r))
        self.assertGreaterEqual(r.elapsed_s, min_s,
                                "gave up after %.2f s, before its timeout\n%r"
                                % (r.elapsed_s, r))
        self.assertLess(r.maxrss_kb, th.MAX_RSS_KB, r)
        self.assertLess(len(r.out), th.MAX_STDOUT,
                        "output of %d bytes\n%r" % (len(r.out), r))
        obj = doc.get(self.command)
        self.assertIsInstance(obj, dict, r)
        return doc, obj

    def assertAllChecksPass(self, doc, r):
        bad = [c for c in doc.get("checks") or []
               if c.get("verdict") not in ("pass", "warn", "skip")]
        self.assertEqual(bad, [], r)
        self.assertTrue(doc.get("checks"), r)

    def assertLoggedIn(self, doc, r):
        """The "auth" check passed; over plaintext (--tls off) it may warn,
        and then it says why."""
        c = self.assertCheck(doc, "auth", "pass", "warn")
        if c.get("verdict") == "warn":
            self.assertRegex(c.get("summary", ""), r"(?i)plain ?text|TLS", r)

    def assertAuthFailure(self, doc, obj, r, code, phrase):
        """The "auth" check failed and says why in plain words; the
        server's response code is kept."""
        c = self.assertCheck(doc, "auth", "fail")
        self.assertPlainWords(c.get("summary"), r)
        self.assertIn(phrase, c.get("summary", "").lower(), r)
        auth = obj.get("auth") or {}
        self.assertIs(auth.get("ok"), False, r)
        self.assertEqual(auth.get("code"), code, r)
        self.assertEqual(auth.get("user"), USER, r)

    def sent(self, srv):
        """What mailvet sent (IMAP: without the tags), once the fake has
        ended; every line must have ended in CRLF."""
        log = srv.log()
        lines = client_lines(log)
        bad_ends = [s for s in lines if s.endswith(("[bare LF]",
                                                    "[no line end]"))]
        self.assertEqual(bad_ends, [], "mailvet sent lines without CRLF:\n"
                         + "\n".join(log))
        return log, lines


class Pop3HostileTest(MailboxCase):
    command = "pop3"

    def pop3_dialog(self, lines):
        """USER and PASS (with the password from the file, newline
        stripped) came before anything else but CAPA."""
        self.assertEqual(self.find(lines, "CAPA"), 0, lines)
        i = self.find(lines, "USER ")
        self.assertEqual(lines[i:i + 2], ["USER " + USER, "PASS " + PASSWORD],
                         lines)

    # -- a server that behaves: mailvet reports what it sent

    def test_normal_list_uidl_retr_dele(self):
        with fake_server("pop3-normal") as srv:
            r = self.run_mailvet(srv, "--list", "--uidl", "--retr", "1",
                                 "--dele", "1")
            doc, p = self.outcome(srv, r, 0, None, max_s=5)
            log, sent = self.sent(srv)
        self.assertAllChecksPass(doc, r)
        self.assertLoggedIn(doc, r)
        greeting = p.get("greeting") or {}
        self.assertIs(greeting.get("ok"), True, r)
        self.assertIn("fake POP3 ready", greeting.get("text", ""), r)
        self.assertEqual(p.get("apop_timestamp"), "<1896.697170952@fake>", r)
        capa = [c.upper() for c in p.get("capa") or []]
        self.assertLessEqual({"USER", "UIDL", "TOP", "RESP-CODES"}, set(capa),
                             r)
        # RFC 2449 5: a CAPA line is one capability and its arguments;
        # "SASL PLAIN" must not become two capabilities "SASL", "PLAIN".
        self.assertTrue(any(c.startswith("SASL") and "PLAIN" in c
                            for c in capa),
                        "no 'SASL PLAIN' entry in capa %r" % capa)
        self.assertNotIn("PLAIN", capa, "an argument listed as a capability")
        self.assertIsNone(p.get("tls"), r)
        auth = p.get("auth") or {}
        self.assertEqual((auth.get("method"), auth.get("user"),
                          auth.get("ok")), ("USER", USER, True), r)
        self.assertEqual(p.get("stat"), {"count": 2, "octets": 320}, r)
        self.assertEqual([(m.get("msg"), m.get("size"), m.get("uid"))
                          for m in p.get("messages") or []],
                         [(1, 188, "uid-one-0001"), (2, 132, "uid-two-0002")],
                         r)
        msg = p.get("message") or {}
        self.assertEqual(msg.get("msg"), 1, r)
        # Dot-unstuffed: "..leading dot" is ".leading dot", ".." is ".".
        self.assertEqual(msg.get("text"), POP3_MSG1, r)
        self.assertEqual(msg.get("bytes"), len(POP3_MSG1.encode()), r)
        self.assertIs(p.get("deleted"), True, r)
        self.assertIs(p.get("quit_ok"), True, r)
        self.assertIn("total", p.get("timings_ms") or {}, r)
        # The dialog the fake saw.
        self.assertEqual(script_failures(log), [], "\n".join(log))
        self.pop3_dialog(sent)
        order = [self.find(sent, "PASS "), self.find(sent, "STAT"),
                 self.find(sent, "LIST"), self.find(sent, "UIDL"),
                 self.find(sent, "RETR 1"), self.find(sent, "DELE 1")]
        self.assertNotIn(-1, order, sent)
        self.assertEqual(order, sorted(order), sent)
        self.assertEqual(sent[-1], "QUIT", sent)

    def test_normal_top(self):
        with fake_server("pop3-normal") as srv:
            r = self.run_mailvet(srv, "--top", "1", "--top-lines", "1")
            doc, p = self.outcome(srv, r, 0, None, max_s=5)
            log, sent = self.sent(srv)
        self.assertAllChecksPass(doc, r)
        self.assertEqual(p.get("stat"), {"count": 2, "octets": 320}, r)
        msg = p.get("message") or {}
        self.assertEqual((msg.get("msg"), msg.get("text"), msg.get("bytes")),
                         (1, POP3_TOP1, len(POP3_TOP1)), r)
        self.assertIs(p.get("deleted"), False, r)
        self.assertEqual(script_failures(log), [], "\n".join(log))
        self.pop3_dialog(sent)
        self.assertIn("TOP 1 1", sent)
        self.assertEqual(self.find(sent, "RETR"), -1, sent)
        self.assertEqual(self.find(sent, "DELE"), -1, sent)
        self.assertEqual(sent[-1], "QUIT", sent)

    # -- hostile servers: mailvet must end the session cleanly

    def test_endless_multiline_retr(self):
        # Body lines that never reach the ".": mailvet stops at its
        # message limit, long before its timeout, with bounded memory.
        with fake_server("pop3-endless-multiline") as srv:
            r = self.run_mailvet(srv, "--retr", "1", "--max-message", "1m",
                                 timeout="10s")
            doc, p = self.outcome(srv, r, 1, "protocol", max_s=5)
            log, sent = self.sent(srv)
        self.assertEqual(p.get("stat"), {"count": 2, "octets": 320}, r)
        self.assertIn("RETR 1", sent)
        self.assertEqual(script_failures(log), [], "\n".join(log))

    def auth_refused(self, scenario, code, phrase):
        with fake_server(scenario) as srv:
            r = self.run_mailvet(srv)
            doc, p = self.outcome(srv, r, 1, "rejected", max_s=3)
            log, sent = self.sent(srv)
        self.assertAuthFailure(doc, p, r, code, phrase)
        self.assertEqual(script_failures(log), [], "\n".join(log))
        self.pop3_dialog(sent)
        # A refusal leaves the dialog in step: QUIT, and nothing else.
        self.assertEqual(sent[sent.index("PASS " + PASSWORD) + 1:], ["QUIT"],
                         sent)

    def test_auth_failed(self):
        self.auth_refused("pop3-auth-fail", "AUTH", CREDENTIALS_REFUSED)

    def test_mailbox_in_use(self):
        self.auth_refused("pop3-in-use", "IN-USE", MAILBOX_LOCKED)

    def test_temporary_system_problem(self):
        self.auth_refused("pop3-sys-temp", "SYS/TEMP", TEMPORARY_PROBLEM)

    def test_auth_failed_text_output(self):
        # The human report says the same in words, without the password
        # (run_mailvet checks that) and without terminal escapes.
        with fake_server("pop3-auth-fail") as srv:
            r = self.run_mailvet(srv, json_out=False)
        self.assertEqual(r.rc, 1, r)
        self.assertIn(CREDENTIALS_REFUSED, r.out.lower(), r)
        self.assertNotIn("\x1b", r.out, r)

    def test_stall_at_greeting_times_out(self):
        with fake_server("pop3-stall-greeting") as srv:
            r = self.run_mailvet(srv)
            doc, _ = self.outcome(srv, r, 3, "timeout", max_s=5, min_s=1.5)
            self.assertRegex(doc["error"]["message"], r"(?i)time")
            _, sent = self.sent(srv)
        # A client waits for the greeting; it never speaks first.
        self.assertEqual(sent, [])

    def test_close_mid_body(self):
        with fake_server("pop3-close-mid-body") as srv:
            r = self.run_mailvet(srv, "--retr", "1")
            self.outcome(srv, r, 1, "closed", max_s=3)
            log, sent = self.sent(srv)
        self.assertIn("RETR 1", sent)
        self.assertEqual(script_failures(log), [], "\n".join(log))

    def test_stls_injection_refused(self):
        # "+OK Begin TLS\r\n+OK injected\r\n" in one write: the second
        # line came in plaintext; mailvet must not start TLS over it, nor
        # ever send the password.
        tls = self.tls_args()
        with fake_server("pop3-stls-inject", *self.tls_fake()) as srv:
            r = self.run_mailvet(srv, *tls, tls="required")
            self.outcome(srv, r, 1, "protocol", max_s=3)
            log, sent = self.sent(srv)
        self.assertEqual(sent[:2], ["CAPA", "STLS"], sent)
        for cmd in ("USER", "PASS", "AUTH", "APOP"):
            self.assertEqual(self.find(sent, cmd), -1, sent)
        self.assertFalse(any(PASSWORD in line for line in log), log)
        self.assertFalse(tls_established(log),
                         "mailvet went on with TLS after the injection:\n"
                         + "\n".join(log))


class ImapHostileTest(MailboxCase):
    command = "imap"

    def sent(self, srv):
        """(log, commands without tags, tags)."""
        log, lines = MailboxCase.sent(self, srv)
        tags = [line.partition(" ")[0] for line in lines]
        return log, [line.partition(" ")[2] for line in lines], tags

    def assertLogin(self, cmds):
        i = self.find(cmds, "LOGIN ")
        self.assertNotEqual(i, -1, cmds)
        words = cmds[i].split()
        self.assertEqual([w.strip('"') for w in words[1:]], [USER, PASSWORD],
                         cmds)
        return i

    # -- a server that behaves: mailvet reports what it sent

    def test_normal_select_search_fetch(self):
        with fake_server("imap-normal") as srv:
            r = self.run_mailvet(srv, "--fetch", "1", "--search-header",
                                 "X-Mailvet-Token: tok-1700000000")
            doc, m = self.outcome(srv, r, 0, None, max_s=5)
            log, cmds, tags = self.sent(srv)
        self.assertAllChecksPass(doc, r)
        self.assertLoggedIn(doc, r)
        greeting = m.get("greeting") or {}
        self.assertEqual(greeting.get("cond"), "OK", r)
        self.assertIn("fake ready", greeting.get("text", ""), r)
        caps = {c.upper() for c in m.get("capabilities") or []}
        self.assertLessEqual(IMAP_CAPS, caps, r)
        self.assertIsNone(m.get("tls"), r)
        auth = m.get("auth") or {}
        self.assertEqual((auth.get("method"), auth.get("user"),
                          auth.get("ok")), ("LOGIN", USER, True), r)
        box = m.get("mailbox") or {}
        self.assertEqual({k: box.get(k) for k in (
            "name", "exists", "recent", "unseen", "uidvalidity", "uidnext",
            "read_only")},
            {"name": "INBOX", "exists": 2, "recent": 0, "unseen": None,
             "uidvalidity": 1700000000, "uidnext": 3, "read_only": False}, r)
        for flag in ("\\Answered", "\\Flagged", "\\Deleted", "\\Seen",
                     "\\Draft"):
            self.assertIn(flag, box.get("flags", ""), r)
        self.assertIn("\\Deleted", box.get("permanentflags", ""), r)
        self.assertEqual(m.get("search"), {"uids": [2], "total": 1}, r)
        msg = m.get("message") or {}
        self.assertEqual((msg.get("msg"), msg.get("text"), msg.get("bytes")),
                         (1, IMAP_MSG1, 188), r)
        self.assertEqual(m.get("deleted"), 0, r)
        self.assertIs(m.get("logout_ok"), True, r)
        self.assertIn("total", m.get("timings_ms") or {}, r)
        # The dialog the fake saw: tags unique, LOGIN with the password
        # from the file, SELECT INBOX, the search and a FETCH that leaves
        # \Seen alone, LOGOUT last.
        self.assertEqual(script_failures(log), [], "\n".join(log))
        self.assertEqual(len(set(tags)), len(tags), tags)
        login = self.assertLogin(cmds)
        select = self.find(cmds, "SELECT ")
        self.assertGreater(select, login, cmds)
        self.assertEqual(cmds[select].split()[1].strip('"'), "INBOX", cmds)
        search = self.find(cmds, "UID SEARCH ")
        self.assertGreater(search, select, cmds)
        self.assertRegex(cmds[search],
                         r'(?i)^UID SEARCH (.* )?HEADER "?X-Mailvet-Token"? '
                         r'"?tok-1700000000"?$')
        fetch = self.find(cmds, "FETCH 1 ")
        self.assertGreater(fetch, select, cmds)
        self.assertIn("BODY.PEEK[]", cmds[fetch].upper(), cmds)
        self.assertEqual(cmds[-1], "LOGOUT", cmds)

    def test_normal_examine_is_read_only(self):
        with fake_server("imap-normal") as srv:
            r = self.run_mailvet(srv, "--examine")
            doc, m = self.outcome(srv, r, 0, None, max_s=5)
            log, cmds, _ = self.sent(srv)
        self.assertAllChecksPass(doc, r)
        box = m.get("mailbox") or {}
        self.assertEqual((box.get("exists"), box.get("uidvalidity"),
                          box.get("read_only")), (2, 1700000000, True), r)
        self.assertEqual(script_failures(log), [], "\n".join(log))
        self.assertEqual(self.find(cmds, "SELECT"), -1, cmds)
        self.assertNotEqual(self.find(cmds, "EXAMINE "), -1, cmds)
        self.assertEqual(self.find(cmds, "FETCH"), -1, cmds)
        self.assertEqual(cmds[-1], "LOGOUT", cmds)

    # -- hostile servers: mailvet must end the session cleanly

    def test_literal_of_4gb_refused_at_once(self):
        # "{4294967296}": refused on sight, not after the timeout, and
        # nothing of that size is allocated.
        with fake_server("imap-literal-4g") as srv:
            r = self.run_mailvet(srv, "--fetch", "1", timeout="5s")
            doc, m = self.outcome(srv, r, 1, "protocol", max_s=2.5)
            log, cmds, _ = self.sent(srv)
        self.assertEqual((m.get("mailbox") or {}).get("exists"), 2, r)
        self.assertNotEqual(self.find(cmds, "FETCH 1 "), -1, cmds)
        self.assertEqual(script_failures(log), [], "\n".join(log))

    def test_close_mid_literal(self):
        with fake_server("imap-close-mid-literal") as srv:
            r = self.run_mailvet(srv, "--fetch", "1")
            self.outcome(srv, r, 1, "closed", max_s=3)
            log, cmds, _ = self.sent(srv)
        self.assertNotEqual(self.find(cmds, "FETCH 1 "), -1, cmds)
        self.assertEqual(script_failures(log), [], "\n".join(log))

    def test_auth_failed(self):
        with fake_server("imap-auth-fail") as srv:
            r = self.run_mailvet(srv)
            doc, m = self.outcome(srv, r, 1, "rejected", max_s=3)
            log, cmds, _ = self.sent(srv)
        self.assertAuthFailure(doc, m, r, "AUTHENTICATIONFAILED",
                               CREDENTIALS_REFUSED)
        self.assertEqual(script_failures(log), [], "\n".join(log))
        login = self.assertLogin(cmds)
        # A refusal leaves the dialog in step: LOGOUT, and nothing else.
        self.assertEqual(cmds[login + 1:], ["LOGOUT"], cmds)

    def test_logindisabled_without_tls(self):
        # LOGINDISABLED and --tls off: no way to log in that is allowed;
        # mailvet says so and never sends the password.
        with fake_server("imap-logindisabled") as srv:
            r = self.run_mailvet(srv)
            doc, m = self.outcome(srv, r, 1, "server-lacks-feature",
                                  max_s=3)
            log, cmds, _ = self.sent(srv)
        self.assertRegex(doc["error"]["message"], r"(?i)LOGINDISABLED|"
                         r"log ?in|TLS")
        self.assertEqual(script_failures(log), [], "\n".join(log))
        for cmd in ("LOGIN", "AUTHENTICATE"):
            self.assertEqual(self.find(cmds, cmd), -1, cmds)
        self.assertFalse(any(PASSWORD in line for line in log), log)
        self.assertEqual(cmds[-1:], ["LOGOUT"], cmds)

    def test_bye_greeting(self):
        with fake_server("imap-bye-greeting") as srv:
            r = self.run_mailvet(srv)
            doc, m = self.outcome(srv, r, 1, "rejected", max_s=3)
            log, cmds, _ = self.sent(srv)
        greeting = m.get("greeting") or {}
        self.assertEqual(greeting.get("cond"), "BYE", r)
        self.assertIn("too many connections", greeting.get("text", ""), r)
        self.assertIn("too many connections",
                      doc["error"]["message"] + " " + " ".join(
                          str(c.get("summary")) for c in doc["checks"]), r)
        for cmd in ("LOGIN", "AUTHENTICATE", "SELECT"):
            self.assertEqual(self.find(cmds, cmd), -1, cmds)

    def test_starttls_injection_refused(self):
        tls = self.tls_args()
        with fake_server("imap-starttls-inject", *self.tls_fake()) as srv:
            r = self.run_mailvet(srv, *tls, tls="required")
            self.outcome(srv, r, 1, "protocol", max_s=3)
            log, cmds, _ = self.sent(srv)
        self.assertNotEqual(self.find(cmds, "STARTTLS"), -1, cmds)
        for cmd in ("LOGIN", "AUTHENTICATE"):
            self.assertEqual(self.find(cmds, cmd), -1, cmds)
        self.assertFalse(any(PASSWORD in line for line in log), log)
        self.assertFalse(tls_established(log),
                         "mailvet went on with TLS after the injection:\n"
                         + "\n".join(log))

    def test_stall_after_login_times_out(self):
        with fake_server("imap-stall-after-login") as srv:
            r = self.run_mailvet(srv)
            doc, m = self.outcome(srv, r, 3, "timeout", max_s=5, min_s=1.5)
            self.assertRegex(doc["error"]["message"], r"(?i)time")
            log, cmds, _ = self.sent(srv)
        self.assertIs((m.get("auth") or {}).get("ok"), True, r)
        self.assertLoggedIn(doc, r)
        login = self.assertLogin(cmds)
        self.assertGreater(self.find(cmds, "SELECT "), login, cmds)


# ------------------------------------------- the fake checked on its own

class FakeMailboxSelfTest(unittest.TestCase):
    """The POP3 and IMAP scenarios do what they say (poplib and imaplib
    are the reference clients) and the fake's tags work."""

    def test_pop3_normal_with_poplib(self):
        with fake_server("pop3-normal") as srv:
            p = poplib.POP3("127.0.0.1", srv.port, timeout=5)
            try:
                self.assertEqual(p.getwelcome(),
                                 b"+OK fake POP3 ready <1896.697170952@fake>")
                capa = p.capa()
                self.assertEqual(capa["SASL"], ["PLAIN"])
                self.assertLessEqual({"USER", "UIDL", "TOP", "RESP-CODES"},
                                     set(capa))
                p.user(USER)
                p.pass_(PASSWORD)
                self.assertEqual(p.stat(), (2, 320))
                self.assertEqual(p.list()[1], [b"1 188", b"2 132"])
                self.assertEqual(p.uidl()[1],
                                 [b"1 uid-one-0001", b"2 uid-two-0002"])
                # poplib removes the stuffing dot as mailvet must.
                lines = p.retr(1)[1]
                self.assertEqual(b"".join(x + b"\r\n" for x in lines),
                                 POP3_MSG1.encode())
                lines = p.top(1, 1)[1]
                self.assertEqual(b"".join(x + b"\r\n" for x in lines),
                                 POP3_TOP1.encode())
                p.dele(1)
            finally:
                p.quit()
            log = srv.log()
        self.assertEqual(script_failures(log), [], log)
        self.assertEqual(client_lines(log)[-1], "QUIT")

    def test_imap_normal_with_imaplib(self):
        with fake_server("imap-normal") as srv:
            m = imaplib.IMAP4("127.0.0.1", srv.port, timeout=5)
            self.assertLessEqual(IMAP_CAPS, set(m.capabilities))
            self.assertEqual(m.login(USER, PASSWORD)[0], "OK")
            typ, data = m.select("INBOX")
            self.assertEqual((typ, data), ("OK", [b"2"]))
            self.assertEqual(m.response("UIDVALIDITY")[1], [b"1700000000"])
            typ, data = m.uid("SEARCH", "HEADER", "X-Mailvet-Token",
                              "tok-1700000000")
            self.assertEqual((typ, data), ("OK", [b"2"]))
            typ, data = m.fetch("1", "(BODY.PEEK[])")
            self.assertEqual(typ, "OK")
            self.assertEqual(data[0][1], IMAP_MSG1.encode())
            self.assertEqual(m.close()[0], "OK")
            self.assertEqual(m.logout()[0], "BYE")
            log = srv.log()
        self.assertEqual(script_failures(log), [], log)

    def converse(self, script_text, say):
        with tempfile.TemporaryDirectory() as tmp:
            script = os.path.join(tmp, "t.fake")
            port_file = os.path.join(tmp, "port")
            log_path = os.path.join(tmp, "log")
            with open(script, "w") as f:
                f.write(script_text)
            proc = subprocess.Popen(
                [sys.executable, th.FAKE, "--script", script, "--port-file",
                 port_file, "--log", log_path, "--lifetime", "20"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE)
            try:
                deadline = time.monotonic() + 10
                while not os.path.exists(port_file):
                    self.assertIsNone(proc.poll(), "the fake did not start")
                    self.assertLess(time.monotonic(), deadline)
                    time.sleep(0.02)
                with open(port_file) as f:
                    port = int(f.read())
                got = b""
                with socket.create_connection(("127.0.0.1", port), 5) as c:
                    c.sendall(say)
                    while True:
                        data = c.recv(65536)
                        if not data:
                            break
                        got += data
                rc = proc.wait(10)
                self.assertNotIn(b"Traceback", proc.stderr.read())
                with open(log_path) as f:
                    log = f.read().splitlines()
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
                proc.stderr.close()
        return rc, got, log

    def test_tags(self):
        script = ("reply * OK [CAPABILITY IMAP4rev1] <\\T>\n"
                  "expect-tagged LOGIN\n"
                  "reply-tagged OK Logged in\n"
                  "answer-each-tagged NOOP|CHECK * 1 EXISTS\\r\\n\\T OK "
                  "done\\r\\n\n"
                  "flush\n"
                  "expect LOGOUT\n"            # untagged form: no match
                  "reply never sent\n")
        rc, got, log = self.converse(script, b"x1 login u p\r\nx.2 NOOP\r\n"
                                     b"x3 check\r\nx4 LOGOUT\r\n")
        self.assertEqual(rc, 1, log)      # 1: an expectation failed
        self.assertEqual(got, b"* OK [CAPABILITY IMAP4rev1] <>\r\n"
                              b"x1 OK Logged in\r\n"
                              b"* 1 EXISTS\r\nx.2 OK done\r\n"
                              b"* 1 EXISTS\r\nx3 OK done\r\n")
        failed = script_failures(log)
        self.assertEqual(len(failed), 1, log)
        self.assertIn("expected 'LOGOUT', got 'x4 LOGOUT'", failed[0])

    def test_tag_in_one_write_before_starttls(self):
        # The injection scenarios: tagged OK and the injected line leave
        # together, ahead of the handshake (which this client refuses).
        with tempfile.TemporaryDirectory() as tmp:
            cert = make_cert(tmp)
            if not cert:
                self.skipTest("no openssl command to make a test certificate")
            for name, say, want in [
                    ("imap-starttls-inject", b"t7 STARTTLS\r\n",
                     b"t7 OK Begin TLS\r\n* OK injected\r\n"),
                    ("pop3-stls-inject", b"CAPA\r\nSTLS\r\n",
                     b".\r\n+OK Begin TLS\r\n+OK injected\r\n")]:
                with self.subTest(scenario=name):
                    with fake_server(name, "--cert", cert[0], "--key",
                                     cert[1]) as srv:
                        with socket.create_connection(
                                ("127.0.0.1", srv.port), 5) as c:
                            c.sendall(say)
                            got = b""
                            while not got.endswith(b"injected\r\n"):
                                data = c.recv(65536)
                                self.assertTrue(data, got)
                                got += data
                        self.assertTrue(got.endswith(want), got)
                        log = srv.log()
                    self.assertEqual(script_failures(log), [], log)

    def test_tag_parse_errors(self):
        with tempfile.TemporaryDirectory() as tmp:
            bad = os.path.join(tmp, "bad.fake")
            for text, says in [("answer-each-tagged NOOP\n",
                                "bad.fake:1: use answer-each-tagged PREFIX "
                                "TEXT"),
                               ("reply-tagged OK \\q\n",
                                "bad.fake:1: unknown escape")]:
                with open(bad, "w") as f:
                    f.write(text)
                p = subprocess.run([sys.executable, th.FAKE, "--script", bad,
                                    "--check"], capture_output=True,
                                   text=True, timeout=20)
                self.assertEqual(p.returncode, 2, p)
                self.assertIn(says, p.stderr)

    def test_new_scenarios_exist(self):
        names = {fn[:-5] for fn in os.listdir(th.SCENARIO_DIR)}
        for name in ("pop3-normal", "pop3-endless-multiline",
                     "pop3-auth-fail", "pop3-in-use", "pop3-sys-temp",
                     "pop3-stall-greeting", "pop3-close-mid-body",
                     "pop3-stls-inject", "imap-normal", "imap-literal-4g",
                     "imap-close-mid-literal", "imap-auth-fail",
                     "imap-logindisabled", "imap-bye-greeting",
                     "imap-starttls-inject", "imap-stall-after-login"):
            self.assertIn(name, names)


if __name__ == "__main__":
    unittest.main()
