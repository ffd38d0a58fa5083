"""Connection-level behaviour of `mailvet smtp` against the fake server:
IPv6 literals, a name with several addresses (the next is tried when one
refuses), -4/-6, --source of the wrong family, refused connections and a
name that does not resolve.

Names are resolved from a hosts file and resolv.conf of the test's own,
bind-mounted in a private mount namespace (unshare, as root), with the
name server at 127.0.0.1: no query ever leaves the machine.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

import mvtest
from test_hostile import fake_server

HOSTS = """127.0.0.1 localhost
::1 dual.lab.test
127.0.0.1 dual.lab.test
::1 six.lab.test
"""


def can_unshare():
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    r = subprocess.run(["unshare", "--mount", "true"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return r.returncode == 0


class NetCase(unittest.TestCase):
    def smtp(self, url, *extra, names=False):
        args = ["smtp", url, "--tls", "off", "--to", "a@lab.example",
                "--timeout", "3s", "--json"] + list(extra)
        if not names:
            return mvtest.run(args, limit_s=20)
        return self.run_with_names(args)

    def run_with_names(self, args):
        """Run mailvet with our hosts file and a loopback-only resolver."""
        if not can_unshare():
            self.skipTest("needs root and unshare --mount")
        tmp = tempfile.mkdtemp(prefix="mvnames-")
        self.addCleanup(shutil.rmtree, tmp)
        hosts = os.path.join(tmp, "hosts")
        resolv = os.path.join(tmp, "resolv.conf")
        wrapper = os.path.join(tmp, "wrap.sh")
        with open(hosts, "w") as f:
            f.write(HOSTS)
        with open(resolv, "w") as f:
            f.write("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
        with open(wrapper, "w") as f:
            f.write('mount --bind "$1" /etc/hosts && '
                    'mount --bind "$2" /etc/resolv.conf && '
                    'shift 2 && exec "$@"\n')
        real_bin = mvtest.BIN
        try:
            mvtest.BIN = "unshare"
            return mvtest.run(["--mount", "sh", wrapper, hosts, resolv,
                               real_bin] + args, limit_s=30)
        finally:
            mvtest.BIN = real_bin


class TestAddresses(NetCase):
    def test_ipv6_literal(self):
        with fake_server("normal", "--host", "::1") as srv:
            r = self.smtp("smtp://[::1]:%d" % srv.port)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.json["smtp"]["peer"], "[::1]:%d" % srv.port)
        self.assertEqual(r.json["target"], "smtp://[::1]:%d" % srv.port)

    def test_family_contradicting_a_literal_is_a_usage_error(self):
        for url, opt in (("smtp://[::1]:25", "-4"),
                         ("smtp://127.0.0.1:25", "-6")):
            r = mvtest.run(["smtp", url, opt, "--to", "a@b"], limit_s=10)
            self.assertEqual(r.rc, 2, r)
            self.assertIn(opt + " asks for", r.err)

    def test_source_of_the_other_family_is_skipped(self):
        with fake_server("normal", "--host", "::1") as srv:
            r = self.smtp("smtp://[::1]:%d" % srv.port, "--source",
                          "127.0.0.1")
        self.assertEqual(r.rc, 3, r)
        self.assertEqual(r.json["error"]["category"], "connect")
        self.assertIn("other family", r.out)
        self.assertIn("same family as --source 127.0.0.1",
                      r.json["error"]["message"])

    def test_refused_connection(self):
        with fake_server("normal") as srv:
            port = srv.port
        r = self.smtp("smtp://127.0.0.1:%d" % port)
        self.assertEqual(r.rc, 3, r)
        self.assertEqual(r.json["error"]["category"], "connect")
        self.assertIn("refused", r.json["error"]["message"])
        self.assertEqual([c["name"] for c in r.json["checks"]], ["connect"])

    def test_next_address_after_a_refusal(self):
        # dual.lab.test is ::1 then 127.0.0.1; only the latter listens.
        with fake_server("normal") as srv:
            r = self.smtp("smtp://dual.lab.test:%d" % srv.port, names=True)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.json["smtp"]["peer"], "127.0.0.1:%d" % srv.port)
        notes = [t["text"] for t in r.json["transcript"]
                 if t["kind"] == "info"]
        self.assertTrue(any("::1" in n and "failed" in n for n in notes),
                        notes)

    def test_next_address_after_a_connect_timeout(self):
        # [::1]:port answers nothing: a listener whose accept queue is
        # full drops further SYNs silently, like a filtered address.
        with fake_server("normal") as srv:
            hole = socket.socket(socket.AF_INET6)
            filler = socket.socket(socket.AF_INET6)
            try:
                hole.bind(("::1", srv.port))
                hole.listen(0)
                filler.setblocking(False)
                filler.connect_ex(("::1", srv.port))
                time.sleep(0.2)
                r = self.smtp("smtp://dual.lab.test:%d" % srv.port,
                              "--connect-timeout", "1s", names=True)
            finally:
                filler.close()
                hole.close()
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.json["smtp"]["peer"], "127.0.0.1:%d" % srv.port)
        notes = [t["text"] for t in r.json["transcript"]
                 if t["kind"] == "info"]
        self.assertTrue(any("::1" in n and "timed out" in n for n in notes),
                        notes)
        self.assertGreaterEqual(r.elapsed_s, 0.9)
        self.assertLess(r.elapsed_s, 5)

    def test_minus_6_tries_only_v6(self):
        with fake_server("normal") as srv:
            r = self.smtp("smtp://dual.lab.test:%d" % srv.port, "-6",
                          names=True)
        self.assertEqual(r.rc, 3, r)
        self.assertEqual(r.json["error"]["category"], "connect")
        self.assertNotIn("127.0.0.1", r.json["error"]["message"])

    def test_minus_4_uses_v4(self):
        with fake_server("normal") as srv:
            r = self.smtp("smtp://dual.lab.test:%d" % srv.port, "-4",
                          names=True)
        self.assertEqual(r.rc, 0, r)

    def test_name_that_does_not_resolve(self):
        r = self.smtp("smtp://nowhere.lab.test:25", names=True)
        self.assertEqual(r.rc, 3, r)
        self.assertEqual(r.json["error"]["category"], "dns")
        self.assertIn("nowhere.lab.test", r.json["error"]["message"])
        self.assertIn("name server", r.json["error"]["message"])


if __name__ == "__main__":
    unittest.main()
