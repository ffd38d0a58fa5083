"""test_connect - `mailvet connect` against the scripted fake server
(tests/fake/fakesmtp.py) for what real servers will not do: terminal
escape sequences in replies, plaintext injected after the STARTTLS
go-ahead, a refused STLS, a silent server; and `--auth-plain`, which
needs no server at all.

Standard input is a file or a pipe with the commands, as a script would
use it.  Standard output must hold only what the server sent (escaped),
standard error mailvet's notes.  Nothing but 127.0.0.1 is contacted.
"""
import base64
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mvtest  # noqa: E402
from test_hostile import fake_server, client_lines  # noqa: E402


def need_binary(case):
    if not os.path.exists(mvtest.BIN):
        case.skipTest("mailvet binary missing: %s" % mvtest.BIN)


def make_cert(tmp, subject):
    """A self-signed certificate; subject is bytes (UTF-8, -utf8)."""
    cert = os.path.join(tmp, "cert.pem")
    key = os.path.join(tmp, "key.pem")
    subprocess.run([b"openssl", b"req", b"-x509", b"-utf8", b"-newkey",
                    b"rsa:2048", b"-nodes", b"-keyout", key.encode(),
                    b"-out", cert.encode(), b"-days", b"2", b"-subj",
                    subject], check=True, capture_output=True)
    return cert, key


class TlsGreeter:
    """An implicit-TLS listener on 127.0.0.1 with the given certificate:
    greets like SMTP inside TLS, then reads until the client goes."""

    def __init__(self, cert, key):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.sock.settimeout(30)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        conn.settimeout(20)
        try:
            with self.ctx.wrap_socket(conn, server_side=True) as tls:
                tls.sendall(b"220 evil.example ESMTP\r\n")
                while tls.recv(4096):
                    pass
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()

    def close(self):
        self.sock.close()
        self.thread.join(10)


class ConnectFake(unittest.TestCase):
    def setUp(self):
        need_binary(self)

    def test_escape_sequences_are_escaped(self):
        with fake_server("connect-escape") as srv:
            r = mvtest.run(["connect", srv.url, "--timeout", "5s",
                            "--helo", "mailvet.test"],
                           stdin="NOOP\nQUIT\n", limit_s=30)
            log = srv.log()
        self.assertEqual(r.rc, 0, r)
        # No ESC, BEL or 8-bit CSI reaches the terminal ...
        for bad in ("\x1b", "\x07", "\x9b"):
            self.assertNotIn(bad, r.out, r)
        # ... they are shown instead, and the server's words are all there.
        self.assertIn("220 fake.example ESMTP \\x1b]0;pwned\\x07\\x1b[2Jhello",
                      r.out)
        self.assertIn("250 X\\x1b[31mRED", r.out)
        self.assertIn("250 ok \\x9b31m \\x1b[?1049h caf\u00e9 done", r.out)
        # C1 controls encoded in UTF-8 (U+009B CSI, U+0085 NEL) are
        # escaped; a no-break space (U+00A0) is text and passes.
        self.assertNotIn("\u009b", r.out, r)
        self.assertNotIn("\u0085", r.out, r)
        self.assertIn("250-c1 \\xc2\\x9b2J \\xc2\\x85 \u00a0nbsp end",
                      r.out)
        # Malformed UTF-8 (overlong, surrogate, cut short, F5) is shown
        # byte by byte; the euro sign after it is intact.
        self.assertIn("250 bad \\xe0\\x80\\x80 \\xed\\xa0\\x80 "
                      "\\xe2\\x82 \\xf5 \u20ac end", r.out)
        self.assertIn("221 2.0.0 bye", r.out)
        # Every byte written was valid UTF-8 (a lone 0x9b would not be).
        self.assertNotIn("\ufffd", r.out, r)
        # Our notes are on stderr, not mixed into the server's output.
        self.assertIn("STARTTLS not offered", r.err)
        self.assertNotIn("STARTTLS not offered", r.out)
        # What was sent: EHLO, then the two lines of input with CRLF.
        self.assertEqual(client_lines(log),
                         ["EHLO mailvet.test", "NOOP", "QUIT"], log)
        self.assertFalse(any("bare LF" in l for l in log), log)

    def test_raw_passes_bytes_through(self):
        with fake_server("connect-escape") as srv:
            r = subprocess.run([mvtest.BIN, "connect", srv.url, "--raw",
                                "--timeout", "5s"], input=b"NOOP\nQUIT\n",
                               capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r)
        self.assertIn(b"\x1b]0;pwned\x07", r.stdout)
        self.assertIn(b"\x9b31m", r.stdout)

    def test_tls_required_without_starttls_refuses(self):
        with fake_server("connect-escape") as srv:
            r = mvtest.run(["connect", srv.url, "--tls", "required",
                            "--timeout", "5s"], stdin="QUIT\n", limit_s=30)
            log = srv.log()
        self.assertEqual(r.rc, 1, r)
        self.assertIn("does not offer STARTTLS", r.err)
        # Nothing of the input was sent in plaintext.
        self.assertNotIn("QUIT", client_lines(log))

    def test_starttls_injection_refused(self):
        if shutil.which("openssl") is None:
            self.skipTest("no openssl command to make a test certificate")
        with tempfile.TemporaryDirectory() as tmp:
            cert = os.path.join(tmp, "cert.pem")
            key = os.path.join(tmp, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey",
                            "rsa:2048", "-nodes", "-keyout", key, "-out",
                            cert, "-days", "2", "-subj", "/CN=localhost"],
                           check=True, capture_output=True)
            with fake_server("starttls-inject", "--cert", cert, "--key",
                             key) as srv:
                r = mvtest.run(["connect", srv.url, "--timeout", "5s",
                                "--insecure"], stdin="QUIT\n", limit_s=30)
                log = srv.log()
        self.assertEqual(r.rc, 1, r)
        self.assertIn("after its go-ahead", r.err)
        self.assertIn("injection", r.err)
        # The session ended there: one EHLO, no input line sent.
        sent = client_lines(log)
        self.assertTrue(sent[0].startswith("EHLO "), log)
        self.assertEqual(sent[1], "STARTTLS", log)
        self.assertEqual([l for l in sent if l.startswith("EHLO")], [sent[0]])
        self.assertNotIn("QUIT", sent)

    def test_stls_refused_goes_on_in_plaintext(self):
        with fake_server("connect-pop3-stls-refused") as srv:
            url = "pop3://127.0.0.1:%d" % srv.port
            r = mvtest.run(["connect", url, "--timeout", "5s"],
                           stdin="QUIT\n", limit_s=30)
            log = srv.log()
        self.assertEqual(r.rc, 0, r)
        self.assertIn("refused STLS", r.err)
        self.assertIn("-ERR TLS is not available today", r.out)
        self.assertEqual(client_lines(log), ["CAPA", "STLS", "QUIT"], log)

    def test_stls_refused_with_tls_required(self):
        with fake_server("connect-pop3-stls-refused") as srv:
            url = "pop3://127.0.0.1:%d" % srv.port
            r = mvtest.run(["connect", url, "--timeout", "5s", "--tls",
                            "required"], stdin="QUIT\n", limit_s=30)
            log = srv.log()
        self.assertEqual(r.rc, 1, r)
        self.assertIn("refused STLS", r.err)
        self.assertEqual(client_lines(log), ["CAPA", "STLS"], log)

    def test_silent_server_times_out(self):
        with fake_server("stall-banner") as srv:
            r = mvtest.run(["connect", srv.url, "--timeout", "1s"],
                           stdin="QUIT\n", limit_s=30)
        # limit_s only catches a hang; no timing threshold.
        self.assertEqual(r.rc, 3, r)
        self.assertIn("timed out", r.err)

    def test_silent_port_hints_implicit_tls(self):
        # A plain scheme on an implicit-TLS port: the server accepts and
        # waits for a ClientHello in silence.
        lst = socket.socket()
        lst.bind(("127.0.0.1", 0))
        lst.listen(4)
        port = lst.getsockname()[1]
        held = []

        def serve():
            try:
                while True:
                    conn, _ = lst.accept()
                    held.append(conn)
            except OSError:
                pass

        t = threading.Thread(target=serve, daemon=True)
        t.start()
        try:
            for scheme, hint in (("smtp", "as 465 does, use smtps://"),
                                 ("pop3", "as 995 does, use pop3s://")):
                r = mvtest.run(["connect", "%s://127.0.0.1:%d" % (scheme,
                                                                  port),
                                "--greeting-timeout", "1s"],
                               stdin="QUIT\n", limit_s=30)
                self.assertEqual(r.rc, 3, r)
                self.assertIn("while waiting for the greeting", r.err)
                self.assertIn("(if this port speaks TLS from the first "
                              "byte, %s)" % hint, r.err)
        finally:
            lst.shutdown(socket.SHUT_RDWR)  # wakes the accept()
            lst.close()
            t.join(5)
            for conn in held:
                conn.close()

    def test_connection_refused(self):
        # A port nobody listens on: bind, note the port, close.
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        r = mvtest.run(["connect", "smtp://127.0.0.1:%d" % port],
                       stdin="", limit_s=30)
        self.assertEqual(r.rc, 3, r)
        self.assertIn("refused", r.err)

    def test_server_that_never_stops_talking(self):
        # A line every 0.5 s for a minute: --eof-wait never sees a quiet
        # moment, the limit after the end of input (5 x 1 s here) ends
        # the session.  limit_s only catches a hang.
        with fake_server("connect-chatty") as srv:
            r = mvtest.run(["connect", srv.url, "--eof-wait", "1s",
                            "--timeout", "20s"], stdin="NOOP\n", limit_s=60)
        self.assertEqual(r.rc, 0, r)
        self.assertIn("still talking 0", r.out)
        self.assertIn("the server is still talking: closing", r.err)
        # Closed by mailvet, long before the fake ran out of lines.
        self.assertNotIn("still talking 119", r.out)
        self.assertNotIn("closed the connection", r.err)

    def test_stdin_is_a_tcp_socket(self):
        # inetd-style: standard input is a connected TCP socket that stays
        # open.  The session must end when the server closes.
        lst = socket.socket()
        lst.bind(("127.0.0.1", 0))
        lst.listen(1)
        peer = socket.create_connection(lst.getsockname())
        mine, _ = lst.accept()
        lst.close()
        try:
            peer.sendall(b"NOOP\nQUIT\n")
            with fake_server("connect-escape") as srv:
                p = subprocess.run([mvtest.BIN, "connect", srv.url,
                                    "--timeout", "10s"], stdin=mine,
                                   capture_output=True, timeout=60)
                log = srv.log()
        finally:
            mine.close()
            peer.close()
        self.assertEqual(p.returncode, 0, p)
        self.assertIn(b"221 2.0.0 bye", p.stdout)
        self.assertEqual(client_lines(log)[1:], ["NOOP", "QUIT"], log)

    def test_stdin_is_a_unix_socketpair(self):
        a, b = socket.socketpair()
        try:
            b.sendall(b"NOOP\nQUIT\n")
            with fake_server("connect-escape") as srv:
                p = subprocess.run([mvtest.BIN, "connect", srv.url,
                                    "--timeout", "10s"], stdin=a,
                                   capture_output=True, timeout=60)
        finally:
            a.close()
            b.close()
        self.assertEqual(p.returncode, 0, p)
        self.assertIn(b"221 2.0.0 bye", p.stdout)

    def test_certificate_subject_c1_escaped(self):
        # A certificate whose CN holds U+009B (CSI) in UTF-8: shown on
        # stderr before the verify decision, so it must be escaped even
        # without --insecure.
        if shutil.which("openssl") is None:
            self.skipTest("no openssl command to make a test certificate")
        with tempfile.TemporaryDirectory() as tmp:
            cert, key = make_cert(tmp, b"/O=evil\xc2\x85org/CN=evil"
                                  b"\xc2\x9b2Jname")
            srv = TlsGreeter(cert, key)
            try:
                p = subprocess.run([mvtest.BIN, "connect",
                                    "smtps://127.0.0.1:%d" % srv.port,
                                    "--timeout", "10s"], input=b"QUIT\n",
                                   capture_output=True, timeout=60)
            finally:
                srv.close()
        self.assertEqual(p.returncode, 1, p)
        self.assertIn(b"verified: NO", p.stderr)
        self.assertNotIn(b"\xc2\x9b", p.stderr + p.stdout)
        self.assertNotIn(b"\xc2\x85", p.stderr + p.stdout)
        self.assertIn(b"certificate subject: O = evil\\xc2\\x85org, "
                      b"CN = evil\\xc2\\x9b2Jname", p.stderr)

    def test_imap_starttls_answer_in_any_case(self):
        if shutil.which("openssl") is None:
            self.skipTest("no openssl command to make a test certificate")
        with tempfile.TemporaryDirectory() as tmp:
            cert, key = make_cert(tmp, b"/CN=localhost")
            with fake_server("connect-imap-starttls-case", "--cert", cert,
                             "--key", key) as srv:
                url = "imap://127.0.0.1:%d" % srv.port
                r = mvtest.run(["connect", url, "--timeout", "10s",
                                "--insecure", "--tls", "required"],
                               stdin="x LOGOUT\n", limit_s=60)
                log = srv.log()
        self.assertEqual(r.rc, 0, r)
        self.assertIn("* TLS: TLSv1.", r.err)
        self.assertIn("(after STARTTLS)", r.err)
        self.assertIn("x OK LOGOUT done", r.out)
        self.assertEqual(client_lines(log), ["a CAPABILITY", "b STARTTLS",
                                             "c CAPABILITY", "x LOGOUT"],
                         log)

    def test_which_server_message(self):
        r = mvtest.run(["connect"], stdin="", limit_s=30)
        self.assertEqual(r.rc, 2, r)
        self.assertIn("which server? Give a URL such as "
                      "smtp://mail.example.org", r.err)
        self.assertNotIn("connect://", r.err)

    def test_usage_errors(self):
        for args in (["connect"], ["connect", "smtp://127.0.0.1", "--json"],
                     ["connect", "ftp://127.0.0.1"],
                     ["connect", "smtp://127.0.0.1", "--eof-wait", "x"]):
            r = mvtest.run(args, stdin="", limit_s=30)
            self.assertEqual(r.rc, 2, r)
            self.assertIn("mailvet connect:", r.err)


class AuthPlain(unittest.TestCase):
    def setUp(self):
        need_binary(self)

    def decode(self, r):
        self.assertEqual(r.rc, 0, r)
        lines = r.out.splitlines()
        self.assertEqual(len(lines), 1, r)
        return base64.b64decode(lines[0], validate=True)

    def test_password_from_environment(self):
        secret = "Zq7-not-in-output"
        r = mvtest.run(["connect", "--auth-plain", "user"],
                       env={"MAILVET_PASSWORD": secret})
        self.assertEqual(self.decode(r), b"\0user\0" + secret.encode())
        # Only the base64 form is written; the password itself nowhere.
        self.assertNotIn(secret, r.out + r.err)

    def test_password_is_never_an_argument(self):
        # There is no --password option: "--password X" is at most an
        # abbreviation of --password-file, so X is a file name, never a
        # password, and with no such file it is a usage error.
        r = mvtest.run(["connect", "--auth-plain", "user", "--password",
                        "Zq7-secret"], env={"MAILVET_PASSWORD": "other"})
        self.assertEqual(r.rc, 2, r)
        self.assertEqual(r.out, "")

    def test_abbreviated_option(self):
        # getopt_long takes "--auth-p": it must work like --auth-plain
        # (no URL asked for).
        r = mvtest.run(["connect", "--auth-p", "user"],
                       env={"MAILVET_PASSWORD": "pw"})
        self.assertEqual(self.decode(r), b"\0user\0pw")
        r = mvtest.run(["connect", "--auth-pl=user"],
                       env={"MAILVET_PASSWORD": "pw"})
        self.assertEqual(self.decode(r), b"\0user\0pw")

    def test_json_is_refused(self):
        r = mvtest.run(["connect", "--auth-plain", "user", "--json"],
                       env={"MAILVET_PASSWORD": "pw"})
        self.assertEqual(r.rc, 2, r)
        self.assertEqual(r.out, "")
        self.assertIn("no --json form", r.err)

    def test_password_file_and_authzid(self):
        with tempfile.NamedTemporaryFile("w", suffix=".pw") as f:
            f.write("s3cr\u00e9t p\u00e4ss\n")
            f.flush()
            r = mvtest.run(["connect", "--auth-plain", "charlie@lab.example",
                            "--authzid", "admin", "--password-file",
                            f.name])
        self.assertEqual(self.decode(r), "admin\0charlie@lab.example\0"
                         "s3cr\u00e9t p\u00e4ss".encode())

    def test_no_password_source_is_a_usage_error(self):
        # No file, no environment, and no terminal to ask on.
        r = subprocess.run(["setsid", "-w", mvtest.BIN, "connect",
                            "--auth-plain", "user"], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=30,
                           env={k: v for k, v in os.environ.items()
                                if k != "MAILVET_PASSWORD"})
        self.assertEqual(r.returncode, 2, r)
        self.assertIn("password", r.stderr)
        self.assertEqual(r.stdout, "")

    def test_no_url_with_auth_plain(self):
        r = mvtest.run(["connect", "--auth-plain", "user",
                        "smtp://127.0.0.1"], env={"MAILVET_PASSWORD": "p"})
        self.assertEqual(r.rc, 2, r)


if __name__ == "__main__":
    unittest.main()
