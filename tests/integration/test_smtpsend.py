"""The `smtpsend` name: smtp-benchmark's command lines keep working.

The binary is called through a link named smtpsend (argv[0] dispatch).
Its documented example parses into the equivalent `mailvet bench`
options (--dry-run shows them), and runs against `mailvet sink` and
Postfix's smtp-sink print smtp-benchmark's summary with counts that
match the server's.
"""
import os
import shutil
import subprocess
import tempfile
import unittest

import mvtest
from test_bench import MailvetSink, PostfixSink, SMTP_SINK


class Smtpsend(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="mvsmtpsend")
        cls.exe = os.path.join(cls.dir, "smtpsend")
        os.symlink(os.path.abspath(mvtest.BIN), cls.exe)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def run_send(self, *args, limit_s=60):
        p = subprocess.run([self.exe] + list(args), capture_output=True,
                           text=True, timeout=limit_s)
        return p.returncode, p.stdout, p.stderr

    def test_documented_example_parses(self):
        rc, out, err = self.run_send(
            "-s", "1", "-m", "100", "-b", "512", "-t", "120", "-p", "25",
            "-F", "samt@example.com", "-T", "user@valid-domain.com", "-S",
            "Test Message", "-vv", "127.0.0.1", "--dry-run")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.strip(),
                         "mailvet bench smtp://127.0.0.1:25 --sessions 1 "
                         "--messages-per-connection 100 --size 512 "
                         "--duration 120s --from samt@example.com --to "
                         "user@valid-domain.com --subject 'Test Message' "
                         "--tls off")
        # Defaults as in smtp-benchmark: host 127.0.0.1, port 25, one
        # sender, one message per connection, 1024 bytes.
        rc, out, err = self.run_send("-n", "10", "--dry-run")
        self.assertEqual(rc, 0, err)
        self.assertIn("smtp://127.0.0.1:25 --sessions 1 "
                      "--messages-per-connection 1 --size 1024 "
                      "--messages 10", out)
        # -vv shows one sender's traffic in smtp-benchmark: one sender.
        rc, out, err = self.run_send("-s", "5", "-n", "10", "-vv",
                                     "--dry-run", "mx.example.org")
        self.assertIn("limiting number of senders to one", out)
        self.assertIn("smtp://mx.example.org:25 --sessions 1 ", out)

    def test_usage_errors(self):
        for args in ([], ["-n", "5", "-t", "5"], ["-s", "x", "-n", "1"],
                     ["-b", "0", "-n", "1"], ["-p", "99999", "-n", "1"],
                     ["-n", "1", "-q"], ["-n", "1", "a", "b"]):
            rc, out, err = self.run_send(*args)
            self.assertEqual(rc, 2, (args, out, err))
            self.assertIn("smtpsend", err)

    def test_count_against_mailvet_sink(self):
        sink = MailvetSink()
        port = sink.addr.rsplit(":", 1)[1]
        rc, out, err = self.run_send("-s", "2", "-m", "10", "-b", "512",
                                     "-n", "100", "-p", port, "-F",
                                     "samt@example.com", "-T",
                                     "user@valid-domain.com", "-S",
                                     "Test Message", "127.0.0.1")
        s = sink.finish()
        self.assertEqual(rc, 0, out + err)
        self.assertIn("Sent 100 messages in ", out)
        self.assertIn("messages/second", out)
        self.assertIn("Average delivery time:", out)
        self.assertIn("100 messages accepted", out)
        self.assertEqual(s["messages"]["accepted"], 100)
        self.assertEqual(s["verify"]["ok"], 100)
        # Ten messages per connection.
        self.assertGreaterEqual(s["connections"]["accepted"], 10)
        self.assertLessEqual(s["connections"]["accepted"], 12)

    @unittest.skipUnless(os.path.exists(SMTP_SINK), "no smtp-sink")
    def test_duration_against_smtp_sink(self):
        sink = PostfixSink()
        rc, out, err = self.run_send("-s", "2", "-m", "100", "-b", "512",
                                     "-t", "1", "-p", str(sink.port),
                                     "127.0.0.1")
        sent = int(out.split("Sent ")[1].split()[0]) if "Sent " in out \
            else -1
        got = sink.messages(sent)
        sink.stop()
        self.assertEqual(rc, 0, out + err)
        self.assertIn(" messages in 1 seconds", out)
        self.assertGreater(sent, 0)
        self.assertEqual(got, sent)


if __name__ == "__main__":
    unittest.main()
