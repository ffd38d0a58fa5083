"""test_ports - `mailvet ports` against small listeners of the test's
own on 127.0.0.1 (nothing else is contacted): each speaks just enough of
a protocol to be named (IMAP with and without STARTTLS, ManageSieve,
SSH, MySQL, a redis that answers only PING, an HTTP server that waits for
a request), stays silent, or misbehaves (escape sequences, a megabyte
EHLO answer).  Every listener must be found and named, judged against
--expect, with bounded time, memory and output.  The listener helpers
are shared with test_ports_lab.py.
"""
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest


class Listener:
    """Accept connections on 127.0.0.1 (a free port) and run handler(conn)
    for each in a thread of its own."""

    def __init__(self, handler, host="127.0.0.1"):
        self.sock = socket.socket(socket.AF_INET6 if ":" in host
                                  else socket.AF_INET)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.handler = handler
        self.stopped = False
        self.seen = []          # what clients sent, per connection
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,),
                             daemon=True).start()

    def _serve(self, conn):
        conn.settimeout(10)
        try:
            self.handler(self, conn)
        except OSError:
            pass
        finally:
            conn.close()

    def recv_line(self, conn):
        data = b""
        while not data.endswith(b"\n") and len(data) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
        self.seen.append(data)
        return data

    def stop(self):
        self.stopped = True
        try:
            # Wakes the accept() of the thread; close() alone would leave
            # the socket listening until accept() returned.
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def closed_port():
    """A port that refuses connections for as long as the returned socket
    stays open: bound (so nobody else gets the port) but not listening.
    Close it when done."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    return s


def imap_plain(lst, conn):
    """IMAP without STARTTLS."""
    conn.sendall(b"* OK fake IMAP ready\r\n")
    while True:
        line = lst.recv_line(conn)
        if not line:
            return
        tag = line.split(b" ", 1)[0]
        if b"CAPABILITY" in line.upper():
            conn.sendall(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" + tag +
                         b" OK done\r\n")
        elif b"LOGOUT" in line.upper():
            conn.sendall(b"* BYE bye\r\n" + tag + b" OK done\r\n")
            return


def imap_starttls(lst, conn):
    """IMAP whose greeting lists STARTTLS."""
    conn.sendall(b"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] hi\r\n")
    line = lst.recv_line(conn)
    if line:
        conn.sendall(b"* BYE bye\r\n" + line.split(b" ", 1)[0] +
                     b" OK done\r\n")


def redis_like(lst, conn):
    """Silent until spoken to; +PONG to PING, anything else: hang up."""
    line = lst.recv_line(conn)
    if line.startswith(b"PING"):
        conn.sendall(b"+PONG\r\n")
        lst.recv_line(conn)


def silent(lst, conn):
    """Accept, read, never answer."""
    while lst.recv_line(conn):
        pass


def sieve(lst, conn):
    conn.sendall(b'"IMPLEMENTATION" "fake Pigeonhole"\r\n'
                 b'"SIEVE" "fileinto"\r\n"SASL" "PLAIN"\r\n'
                 b'"STARTTLS"\r\n"VERSION" "1.0"\r\nOK "ready"\r\n')
    lst.recv_line(conn)
    conn.sendall(b'OK "bye"\r\n')


def ssh(lst, conn):
    conn.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
    lst.recv_line(conn)


def mysql(lst, conn):
    version = b"10.11.6-MariaDB-0+deb12u1"
    payload = (b"\x0a" + version + b"\x00" + b"\x01\x00\x00\x00" +
               b"abcdefgh\x00" + b"\xff\xf7" + b"\x08" + b"\x02\x00" +
               b"\x00" * 13)
    conn.sendall(len(payload).to_bytes(3, "little") + b"\x00" + payload)
    lst.recv_line(conn)


def http(lst, conn):
    """A patient HTTP server: silent until a request."""
    lst.recv_line(conn)
    conn.sendall(b"HTTP/1.0 400 Bad Request\r\nServer: fake\r\n\r\n")


def hostile_greeting(lst, conn):
    """Escape sequences, then megabytes of junk."""
    conn.sendall(b"220 evil \x1b]0;pwned\x07\x1b[2J ESMTP\r\n")
    try:
        while True:
            line = lst.recv_line(conn)
            if not line:
                return
            if line.upper().startswith(b"EHLO"):
                conn.sendall(b"250-evil\r\n" + b"250-" + b"A" * 60000 +
                             b"\r\n")
                conn.sendall(b"250-X\r\n" * 200000)
                return
    except OSError:
        return


def smtp_no_starttls(lst, conn):
    conn.sendall(b"220 plain.example ESMTP fake\r\n")
    while True:
        line = lst.recv_line(conn)
        if not line:
            return
        if line.upper().startswith(b"EHLO"):
            conn.sendall(b"250-plain.example\r\n250 8BITMIME\r\n")
        elif line.upper().startswith(b"QUIT"):
            conn.sendall(b"221 bye\r\n")
            return
        else:
            conn.sendall(b"500 what\r\n")


def lmtp_named_smtp(lst, conn):
    """Says LMTP in its greeting but is SMTP: refuses LHLO."""
    conn.sendall(b"220 mx.example LMTP ready\r\n")
    while True:
        line = lst.recv_line(conn)
        if not line:
            return
        word = line.upper()[:4]
        if word == b"LHLO":
            conn.sendall(b"500 5.5.1 what is LHLO?\r\n")
        elif word == b"EHLO":
            conn.sendall(b"250-mx.example\r\n250 STARTTLS\r\n")
        elif word == b"QUIT":
            conn.sendall(b"221 bye\r\n")
            return


def smtp_ftp_host(lst, conn):
    """An SMTP server on a host called ftp."""
    conn.sendall(b"220 ftp.example.com ESMTP Postfix\r\n")
    while True:
        line = lst.recv_line(conn)
        if not line:
            return
        if line.upper().startswith(b"EHLO"):
            conn.sendall(b"250-ftp.example.com\r\n250 STARTTLS\r\n")
        elif line.upper().startswith(b"QUIT"):
            conn.sendall(b"221 bye\r\n")
            return


def ehlo_endless(lst, conn):
    """Answers EHLO with "250-" lines forever, slowly: the answer never
    ends, so whether STARTTLS is offered is unknown."""
    conn.sendall(b"220 drip.example ESMTP\r\n")
    line = lst.recv_line(conn)
    if not line.upper().startswith(b"EHLO"):
        return
    conn.sendall(b"250-drip.example\r\n")
    for _ in range(600):
        conn.sendall(b"250-x\r\n")
        time.sleep(0.05)


def redis_protected(lst, conn):
    """redis in protected mode: an error at once, then hang up."""
    conn.sendall(b"-DENIED Redis is running in protected mode because "
                 b"protected mode is enabled\r\n")


def postscreen(lst, conn):
    """Postfix postscreen's pregreet test: "220-", a pause longer than
    the read wait, then the last line.  A client that speaks during the
    pause is recorded in lst.pregreet."""
    conn.sendall(b"220-mx.example ESMTP\r\n")
    conn.settimeout(3)
    try:
        early = conn.recv(4096)
    except socket.timeout:
        early = b""
    conn.settimeout(10)
    if early:
        lst.pregreet.append(early)
        conn.sendall(b"520 5.5.1 Protocol error\r\n")
        return
    conn.sendall(b"220 mx.example ESMTP\r\n")
    smtp_ftp_host_like(lst, conn)


def smtp_ftp_host_like(lst, conn):
    while True:
        line = lst.recv_line(conn)
        if not line:
            return
        if line.upper().startswith(b"EHLO"):
            conn.sendall(b"250-mx.example\r\n250 STARTTLS\r\n")
        elif line.upper().startswith(b"QUIT"):
            conn.sendall(b"221 bye\r\n")
            return


def tls_smtp(ctx):
    """An implicit-TLS SMTP server (smtps) with the given context."""
    def handler(lst, conn):
        try:
            tls = ctx.wrap_socket(conn, server_side=True)
        except (OSError, ssl.SSLError):
            return      # the plaintext probe's connection
        try:
            tls.sendall(b"220 tls.example ESMTP\r\n")
            smtp_ftp_host_like(lst, tls)
        finally:
            tls.close()
    return handler


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mvtest  # noqa: E402


def entry(doc, port):
    for e in doc["ports"]["entries"]:
        if e["port"] == port:
            return e
    raise AssertionError("port %d not in %s" % (port, json.dumps(doc)))


class PortsFake(unittest.TestCase):
    def setUp(self):
        if not os.path.exists(mvtest.BIN):
            self.skipTest("mailvet binary missing: %s" % mvtest.BIN)

    def sweep(self, ports, *extra):
        r = mvtest.run(["ports", "127.0.0.1", "--only-ports",
                        ",".join(str(p) for p in ports), "--timeout", "1s",
                        "--json"] + list(extra), limit_s=60)
        self.assertLess(len(r.out), 256 * 1024, r)
        self.assertLess(r.maxrss_kb, 64 * 1024, r)
        return r

    def test_services_named(self):
        handlers = {"imap": imap_plain, "imap_tls": imap_starttls,
                    "sieve": sieve, "ssh": ssh, "mysql": mysql,
                    "redis": redis_like, "http": http,
                    "smtp": smtp_no_starttls}
        ls = {k: Listener(h) for k, h in handlers.items()}
        try:
            r = self.sweep([l.port for l in ls.values()])
        finally:
            for l in ls.values():
                l.stop()
        self.assertEqual(r.rc, 1, r)        # nothing of it is expected
        want = {"imap": ("imap", "IMAP"), "imap_tls": ("imap", "IMAP"),
                "sieve": ("sieve", "ManageSieve"), "ssh": ("ssh", "SSH"),
                "mysql": ("mysql", "MySQL"), "redis": ("redis", "redis"),
                "http": ("http", "HTTP"), "smtp": ("smtp", "SMTP")}
        for k, (key, name) in want.items():
            e = entry(r.json, ls[k].port)
            self.assertEqual(e["state"], "open", e)
            self.assertEqual((e["service"], e["service_name"]), (key, name),
                             (k, e))
            self.assertFalse(e["expected"], e)
            self.assertEqual(e["verdict"], "fail", e)
        self.assertFalse(entry(r.json, ls["imap"].port)["starttls_offered"])
        self.assertTrue(entry(r.json, ls["imap_tls"].port)
                        ["starttls_offered"])
        self.assertTrue(entry(r.json, ls["sieve"].port)["starttls_offered"])
        self.assertFalse(entry(r.json, ls["smtp"].port)["starttls_offered"])
        self.assertIn("10.11.6-MariaDB", entry(r.json, ls["mysql"].port)
                      ["detail"])
        self.assertEqual(entry(r.json, ls["imap"].port)["detail"],
                         "* OK fake IMAP ready")
        # The redis fake got PING only after the greeting wait, and a TLS
        # hello before that (which it hung up on).
        self.assertTrue(any(s.startswith(b"PING") for s in ls["redis"].seen))

    def test_expect_policy(self):
        with Listener(imap_plain) as plain, \
                Listener(imap_starttls) as tls, \
                Listener(smtp_no_starttls) as smtp:
            r = self.sweep([plain.port, tls.port, smtp.port], "--expect",
                           "imap:%d,imap:%d" % (plain.port, tls.port),
                           "--expect", "submission:%d" % smtp.port)
        self.assertEqual(r.rc, 1, r)
        p, t, s = (entry(r.json, x.port) for x in (plain, tls, smtp))
        self.assertTrue(p["expected"] and t["expected"] and s["expected"])
        # Plaintext-only IMAP is a finding, with STARTTLS it passes.
        self.assertEqual(p["verdict"], "fail", p)
        self.assertIn("plaintext IMAP without STARTTLS", p["judgement"])
        self.assertEqual(t["verdict"], "pass", t)
        # SMTP without STARTTLS: a warning, not a finding.
        self.assertEqual(s["verdict"], "warn", s)
        checks = {c["name"]: c for c in r.json["checks"]}
        self.assertEqual(checks["ports"]["verdict"], "fail")
        self.assertIn("1 finding", checks["ports"]["summary"])

    def test_expect_mismatch_and_closed(self):
        closed = closed_port()
        closed_no = closed.getsockname()[1]
        try:
            with Listener(imap_starttls) as tls:
                r = self.sweep([tls.port, closed_no], "--expect",
                               "pop3:%d,%d" % (tls.port, closed_no))
        finally:
            closed.close()
        self.assertEqual(r.rc, 1, r)
        e = entry(r.json, tls.port)
        self.assertEqual(e["verdict"], "fail")
        self.assertIn("expected pop3 here, but IMAP answers", e["judgement"])
        c = entry(r.json, closed_no)
        self.assertEqual(c["state"], "closed")
        self.assertEqual(c["verdict"], "fail")
        self.assertIn("closed", c["judgement"])

    def test_all_expected_passes(self):
        with Listener(imap_starttls) as tls, Listener(redis_like) as red:
            r = self.sweep([tls.port, red.port], "--expect",
                           "%d,redis:%d" % (tls.port, red.port))
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.json["verdict"], "pass")
        self.assertEqual(r.json["ports"]["not_expected"], 0)

    def test_silent_and_closed(self):
        # Silence costs a few bounded waits, not a hang: the sweep's
        # limit_s catches a hang; no timing threshold.
        gone = closed_port()
        gone_no = gone.getsockname()[1]
        try:
            with Listener(silent) as quiet:
                r = self.sweep([quiet.port, gone_no])
        finally:
            gone.close()
        e = entry(r.json, quiet.port)
        self.assertEqual((e["state"], e["service"]), ("open", "unknown"), e)
        self.assertIn("no greeting", e["detail"])
        self.assertEqual(entry(r.json, gone_no)["state"], "closed")
        self.assertEqual(entry(r.json, gone_no)["service"], None)

    def test_host_names_are_not_service_words(self):
        # "220 ftp.example.com ESMTP" is SMTP; a greeting that says LMTP
        # but refuses LHLO falls back to EHLO and is SMTP.
        with Listener(smtp_ftp_host) as ftp, \
                Listener(lmtp_named_smtp) as lm:
            r = self.sweep([ftp.port, lm.port])
        for l in (ftp, lm):
            e = entry(r.json, l.port)
            self.assertEqual(e["service"], "smtp", e)
            self.assertTrue(e["starttls_offered"], e)
        sent = [x.split(b" ")[0].upper() for x in lm.seen]
        self.assertEqual(sent[:2], [b"LHLO", b"EHLO"], lm.seen)

    def test_endless_ehlo_answer_is_incomplete(self):
        with Listener(ehlo_endless) as drip:
            r = self.sweep([drip.port], "--expect", "smtp:%d" % drip.port)
            t = mvtest.run(["ports", "127.0.0.1", "--only-ports",
                            str(drip.port), "--timeout", "1s"], limit_s=60)
        e = entry(r.json, drip.port)
        self.assertEqual(e["service"], "smtp", e)
        # Not "STARTTLS not offered": unknown.
        self.assertIsNone(e["starttls_offered"], e)
        self.assertTrue(e["capabilities_incomplete"], e)
        self.assertEqual(e["verdict"], "warn", e)
        self.assertIn("unknown", e["judgement"])
        self.assertIn("capabilities incomplete", t.out)
        self.assertNotIn("NOT offered", t.out)

    def test_redis_protected_mode(self):
        with Listener(redis_protected) as red:
            r = self.sweep([red.port])
        e = entry(r.json, red.port)
        self.assertEqual(e["service"], "redis", e)
        self.assertIn("-DENIED Redis", e["detail"])

    def test_waits_for_the_whole_greeting(self):
        # postscreen: a client that speaks after "220-" is a bot.
        with Listener(postscreen) as ps:
            ps.pregreet = []
            r = self.sweep([ps.port])
        self.assertEqual(ps.pregreet, [])
        e = entry(r.json, ps.port)
        self.assertEqual(e["service"], "smtp", e)
        self.assertTrue(e["starttls_offered"], e)
        self.assertFalse(e["greeting_incomplete"], e)

    def test_capath_and_servername_decide_verified(self):
        if shutil.which("openssl") is None:
            self.skipTest("no openssl command")
        with tempfile.TemporaryDirectory() as tmp:
            cert = os.path.join(tmp, "cert.pem")
            key = os.path.join(tmp, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey",
                            "rsa:2048", "-nodes", "-keyout", key, "-out",
                            cert, "-days", "2", "-subj", "/CN=localhost",
                            "-addext", "subjectAltName=DNS:localhost"],
                           check=True, capture_output=True)
            capath = os.path.join(tmp, "ca")
            os.mkdir(capath)
            shutil.copy(cert, os.path.join(capath, "lab.pem"))
            if subprocess.run(["openssl", "rehash", capath],
                              capture_output=True).returncode != 0:
                self.skipTest("openssl rehash not available")
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            with Listener(tls_smtp(ctx)) as tl:
                plain = self.sweep([tl.port], "--servername", "localhost")
                trusted = self.sweep([tl.port], "--servername", "localhost",
                                     "--capath", capath)
        for r in (plain, trusted):
            e = entry(r.json, tl.port)
            self.assertEqual((e["service"], e["implicit_tls"]),
                             ("smtp", True), e)
        self.assertFalse(entry(plain.json, tl.port)["certificate_verified"])
        self.assertTrue(entry(trusted.json, tl.port)["certificate_verified"],
                        trusted)

    def test_hostile_greeting_escaped_and_bounded(self):
        with Listener(hostile_greeting) as evil:
            r = self.sweep([evil.port])
            t = mvtest.run(["ports", "127.0.0.1", "--only-ports",
                            str(evil.port), "--timeout", "1s"], limit_s=60)
        e = entry(r.json, evil.port)
        self.assertEqual(e["service"], "smtp", e)
        self.assertNotIn("\x1b", t.out)
        self.assertNotIn("\x07", t.out)
        self.assertIn("220 evil ?]0;pwned??[2J ESMTP", t.out)
        self.assertLess(t.maxrss_kb, 64 * 1024, t)

    def test_ipv6_and_one_at_a_time(self):
        try:
            six = Listener(imap_starttls, host="::1")
        except OSError:
            self.skipTest("no IPv6 loopback")
        with six, Listener(ssh, host="::1") as s2:
            r = mvtest.run(["ports", "[::1]", "--only-ports", "%d,%d" %
                            (six.port, s2.port), "--concurrency", "1",
                            "--timeout", "1s", "--json", "--expect",
                            "imap:%d" % six.port], limit_s=60)
        self.assertEqual(r.json["ports"]["address"], "::1", r)
        self.assertEqual(entry(r.json, six.port)["service"], "imap", r)
        self.assertEqual(entry(r.json, six.port)["verdict"], "pass", r)
        self.assertEqual(entry(r.json, s2.port)["service"], "ssh", r)
        self.assertEqual(r.rc, 1, r)        # SSH was not expected

    def test_nothing_open_on_loopback(self):
        gone = closed_port()
        try:
            r = self.sweep([gone.getsockname()[1]])
        finally:
            gone.close()
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.json["ports"]["open"], 0)

    def test_text_report(self):
        with Listener(imap_plain) as plain:
            r = mvtest.run(["ports", "127.0.0.1", "--only-ports",
                            str(plain.port), "--timeout", "1s"], limit_s=60)
        self.assertEqual(r.rc, 1, r)
        self.assertRegex(r.out, r"%d +open +IMAP +.*\* OK fake IMAP ready; "
                         r"STARTTLS NOT offered +\[not expected\]"
                         % plain.port)
        self.assertIn("FAIL  port %d" % plain.port, r.out)
        self.assertIn("Verdict: FAIL", r.out)

    def test_usage_errors(self):
        for args in (["ports"], ["ports", "smtp://127.0.0.1"],
                     ["ports", "127.0.0.1:25"],
                     ["ports", "127.0.0.1", "--ports", "0"],
                     ["ports", "127.0.0.1", "--ports", "70000"],
                     ["ports", "127.0.0.1", "--ports", "1-2000"],
                     ["ports", "127.0.0.1", "--only-ports", "5-3"],
                     ["ports", "127.0.0.1", "--expect", "gopher"],
                     ["ports", "127.0.0.1", "--expect", "imap:x"],
                     ["ports", "127.0.0.1", "--concurrency", "0"],
                     ["ports", "127.0.0.1", "-6"],
                     ["ports", "::1", "-4"]):
            r = mvtest.run(args, limit_s=30)
            self.assertEqual(r.rc, 2, r)
            self.assertIn("mailvet ports:", r.err)
            self.assertEqual(r.out, "")

    def test_options_that_do_not_apply_are_refused(self):
        # Refused before anything happens: no password prompt, no sweep.
        for opt in (["--tls", "required"], ["--insecure"],
                    ["--user", "u"], ["--auth-user", "u"],
                    ["--password-file", "/dev/null"],
                    ["--auth-mech", "PLAIN"], ["--authzid", "a"],
                    ["--show-secrets"], ["--command-timeout", "5s"],
                    ["--timeout", "1s", "--command-timeout", "9s"],
                    ["--no-transcript"], ["--transcript"]):
            r = mvtest.run(["ports", "127.0.0.1", "--only-ports", "1"] + opt,
                           env={"MAILVET_PASSWORD": "x"}, limit_s=30)
            self.assertEqual(r.rc, 2, (opt, r))
            self.assertIn("does not apply to ports", r.err)
            self.assertEqual(r.out, "")

    def test_which_host_message_and_help(self):
        r = mvtest.run(["ports"], limit_s=30)
        self.assertEqual(r.rc, 2, r)
        self.assertIn("which server? Give a host name or address", r.err)
        self.assertNotIn("ports://", r.err)
        h = mvtest.run(["ports", "--help"], limit_s=30)
        self.assertEqual(h.rc, 0, h)
        self.assertIn("--connect-timeout DUR  per port (ports default 3s)",
                      h.out)
        # The shared section shows no defaults of other commands, and
        # there is no Authentication section: ports logs in nowhere.
        self.assertIn("Time (this command's defaults are given above)",
                      h.out)
        self.assertNotIn("(default 60s)", h.out)
        self.assertNotIn("Authentication:", h.out)


if __name__ == "__main__":
    unittest.main()
