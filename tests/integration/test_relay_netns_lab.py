"""`mailvet relay` from a "relay network" and an "external network": two
network namespaces this test creates, each joined to the host by a veth
pair on benchmark addresses (198.18.0.0/15, RFC 2544) that exist only on
those pairs.  A lab of the test's own listens on the host ends too
(LAB_EXTRA_LISTEN) and lists only the relay network in mynetworks.

The battery must show exactly the configured matrix: relaying permitted
from the relay network, refused from the external one, mail for the
lab's own users received from both and from localhost.  The namespaces
and veth pairs are removed even when a test fails.
"""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mvtest  # noqa: E402
import relaytest  # noqa: E402

NRELAY = 24


def ip(*args, check=True):
    return subprocess.run(["ip"] + list(args), capture_output=True,
                          text=True, timeout=20, check=check)


class Namespaces:
    """Two namespaces, each with a /30 on a veth pair to the host."""

    def __init__(self):
        pid = os.getpid()
        n = pid % 250 + 1
        self.nets = {
            "relay": ("mvrelay-r-%d" % pid, "mvr%da" % (pid % 100000),
                      "mvr%db" % (pid % 100000), "198.18.%d" % n),
            "external": ("mvrelay-x-%d" % pid, "mvx%da" % (pid % 100000),
                         "mvx%db" % (pid % 100000), "198.19.%d" % n),
        }

    def host(self, which):
        return self.nets[which][3] + ".1"

    def client(self, which):
        return self.nets[which][3] + ".2"

    def subnet(self, which):
        return self.nets[which][3] + ".0/30"

    def netns(self, which):
        return self.nets[which][0]

    def __enter__(self):
        if os.geteuid() != 0:
            raise unittest.SkipTest("network namespaces need root")
        try:
            for ns, va, vb, net in self.nets.values():
                ip("netns", "add", ns)
                ip("link", "add", va, "type", "veth", "peer", "name", vb,
                   "netns", ns)
                ip("addr", "add", net + ".1/30", "dev", va)
                ip("link", "set", va, "up")
                ip("-n", ns, "addr", "add", net + ".2/30", "dev", vb)
                ip("-n", ns, "link", "set", vb, "up")
                ip("-n", ns, "link", "set", "lo", "up")
        except subprocess.CalledProcessError as e:
            self.__exit__()
            if "netns" in " ".join(e.cmd) and "add" in e.cmd:
                raise unittest.SkipTest("cannot create a network "
                                        "namespace: %s" % e.stderr.strip())
            raise AssertionError("namespace set-up failed: %s: %s"
                                 % (" ".join(e.cmd), e.stderr))
        return self

    def __exit__(self, *exc):
        for ns, va, _, _ in self.nets.values():
            ip("link", "del", va, check=False)
            ip("netns", "del", ns, check=False)


class RelayFromNamespaces(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        if not os.access(mvtest.BIN, os.X_OK):
            raise unittest.SkipTest("no mailvet binary at %s" % mvtest.BIN)

    def run_battery(self, lab, nets, which, expect=None):
        host = nets.host(which) if which else "127.0.0.1"
        if expect is None:
            expect = [nets.subnet("relay"), "127.0.0.0/8"]
        args = ["relay", lab.url(host=host), "--json", "--local-rcpt",
                lab.env["LAB_USER"], "--concurrency", "4"]
        for e in expect:
            args += ["--expect-relay", e]
        if which:
            args += ["--source", nets.client(which)]
        return relaytest.run_in(nets.netns(which) if which else None,
                                args)

    def test_matrix(self):
        with Namespaces() as nets:
            extra = "%s %s" % (nets.host("relay"), nets.host("external"))
            mynet = "127.0.0.0/8 %s" % nets.subnet("relay")
            with relaytest.RelayLab("netns", 2, mynetworks=mynet,
                                    extra_listen=extra) as lab:
                runs = {w: self.run_battery(lab, nets, w)
                        for w in ("relay", "external", None)}
                strict = self.run_battery(lab, nets, "relay",
                                          expect=["192.0.2.0/24"])
                log = lab.postfix_log()
                with open(os.path.join(lab.dir, "postfix", "master.cf"),
                          encoding="utf-8") as f:
                    master = f.read()
        # The extra listeners carry the main listener's TLS -o lines.
        for addr in extra.split():
            self.assertRegex(master, r"(?m)^%s:%s +inet .*\n  -o "
                             r"smtpd_tls_security_level=\S+\n  -o "
                             r"smtpd_tls_protocols=\S+$"
                             % (re.escape(addr), lab.env["LAB_SMTP_PORT"]))
        matrix = {}
        for which, r in runs.items():
            self.assertEqual(r.rc, 0, r)
            v = r.json["relay"]["vantages"][0]
            matrix[which] = v
            # Mail for the lab's own users is received from everywhere.
            self.assertTrue(v["control_accepted"], r)
            self.assertEqual(v["attempts"], NRELAY, r)
            self.assertEqual(v["errors"], 0, r)
        rel, ext, local = matrix["relay"], matrix["external"], matrix[None]
        self.assertEqual(rel["label"], nets.client("relay"))
        self.assertEqual(ext["label"], nets.client("external"))
        self.assertEqual(local["address"], "127.0.0.1")
        self.assertTrue(rel["expect_relay"])
        self.assertFalse(ext["expect_relay"])
        self.assertTrue(local["expect_relay"])
        # Relaying permitted where mynetworks permits it ...
        for v in (rel, local):
            self.assertEqual(v["verdict"], "pass", v)
            self.assertGreater(v["accepted"], NRELAY // 2, v)
        # ... and refused everywhere else, every single attempt.
        self.assertEqual(ext["verdict"], "pass", ext)
        self.assertEqual(ext["accepted"], 0, ext)
        self.assertEqual(ext["rejected"], NRELAY, ext)
        ea = relaytest.by_id(runs["external"].json)
        for att in ea.values():
            if att["kind"] == "relay":
                self.assertIn(att["outcome"], ("rejected",
                                               "rejected-at-mail"), att)
        self.assertEqual(ea["plain"]["rcpt"]["code"], 454, ea["plain"])
        ra = relaytest.by_id(runs["relay"].json)
        self.assertEqual(ra["plain"]["outcome"], "accepted", ra["plain"])
        # The same accepted attempts, seen from a vantage that is not
        # declared as a relay network, are findings.
        self.assertEqual(strict.rc, 1, strict)
        sv = strict.json["relay"]["vantages"][0]
        self.assertFalse(sv["expect_relay"])
        self.assertEqual(sv["verdict"], "fail", sv)
        # Postfix saw the namespace addresses as the clients.
        self.assertIn("RCPT from unknown[%s]: 454 4.7.1"
                      % nets.client("external"), log)
        self.assertIn("connect from unknown[%s]" % nets.client("relay"), log)


class ExtraListenValidation(unittest.TestCase):
    """lab.sh writes LAB_EXTRA_LISTEN into master.cf: only IP literals."""

    def test_non_addresses_are_refused(self):
        if os.geteuid() != 0:
            raise unittest.SkipTest("the lab runs as root")
        # (each try makes a lab's certificates first: keep it short)
        for bad in ("127.0.0.1 -o smtpd_relay_restrictions=permit",
                    "127.0.0.256", "[::1]"):
            lab = relaytest.RelayLab("badlisten", 3, extra_listen=bad)
            with self.assertRaises(AssertionError) as cm:
                with lab:
                    pass
            self.assertIn("LAB_EXTRA_LISTEN", str(cm.exception), bad)
            self.assertIn("is not an IPv4 or IPv6 address",
                          str(cm.exception), bad)
            self.assertFalse(os.path.exists(lab.dir), bad)


if __name__ == "__main__":
    unittest.main()
