"""`mailvet tls` against scripted fake servers (tests/fake/fakesmtp.py)
doing what the lab's real servers will not: STARTTLS stripped from the
EHLO reply (XTARTTLS), a server that answers a command pipelined with
STARTTLS inside TLS (SMTP and IMAP), a handshake that never comes,
garbage instead of TLS, ManageSieve; and certificates the lab does not
have, made here with the openssl command: a chain with an intermediate
sent or missing, a certificate not valid yet, SHA-1 and RSA-1024 served
with TLS 1.0 (fakesmtp --weak-tls), an expired intermediate, a wrong
intermediate, a certificate name with C1 control characters.  A small
Python listener (Listener below) covers what a fake script cannot: a
server that answers a command pipelined with STARTTLS in plaintext in a
later segment, and one that speaks only TLS 1.1.  Each run must give the right verdict or a clean
error, within its timeouts (bounds asserted loosely: this machine is
shared), without sanitizer reports.
"""
import datetime
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest
import warnings

import mvtest
import test_hostile as th
from test_hostile_mailbox import make_cert

LIMIT_S = 30        # the test's own limit; mailvet's timeouts are 2 s


def check(testcase, doc, name):
    found = [c for c in doc["checks"] if c["name"] == name]
    testcase.assertEqual(len(found), 1, "check %r: %r" % (name,
                                                          doc["checks"]))
    return found[0]


class TlsHostile(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        if not os.access(mvtest.BIN, os.X_OK):
            raise unittest.SkipTest("no mailvet binary at %s" % mvtest.BIN)
        if not shutil.which("openssl"):
            raise unittest.SkipTest("no openssl command")
        cls.tmp = tempfile.mkdtemp(prefix="mvtls-")
        cls.cert, cls.key = make_cert(cls.tmp)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def fake(self, scenario):
        return th.fake_server(scenario, "--cert", self.cert, "--key",
                              self.key, "--max-conns", "0", "--parallel",
                              lifetime=25)

    def tls(self, url, *extra):
        r = mvtest.run(["tls", url, "--cafile", self.cert, "--timeout", "2s",
                        "--warn-days", "0", "--crit-days", "0", "--json"] +
                       list(extra), limit_s=LIMIT_S)
        self.assertNotIn("Sanitizer", r.err, r)
        self.assertNotIn("runtime error:", r.err, r)
        self.assertEqual(r.json["exit_code"], r.rc, r)
        return r

    def test_starttls_stripped(self):
        with self.fake("tls-stripped") as srv:
            r = self.tls(srv.url, "--tls", "required")
            log = srv.log()
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.json["error"]["category"], "server-lacks-feature")
        c = check(self, r.json, "starttls")
        self.assertEqual(c["verdict"], "fail")
        self.assertIn("XTARTTLS", c["summary"])
        self.assertEqual(check(self, r.json, "auth-before-tls")["verdict"],
                         "fail")
        # Nothing but EHLO and QUIT went out in plaintext.
        sent = [l.split("C: ", 1)[1].split()[0].upper() for l in log
                if "C: " in l]
        self.assertEqual(sent, ["EHLO", "QUIT"], log)

    def test_starttls_stripped_without_required_is_a_finding(self):
        with self.fake("tls-stripped") as srv:
            r = self.tls(srv.url)
        self.assertEqual(r.rc, 1, r)
        self.assertIsNone(r.json["error"], r)
        self.assertEqual(check(self, r.json, "starttls")["verdict"], "fail")

    def test_injection_vulnerable_smtp(self):
        with self.fake("tls-inject-vulnerable") as srv:
            r = self.tls(srv.url)
            log = srv.log()
        self.assertEqual(r.rc, 1, r)
        port = r.json["tls"]["listeners"][0]
        self.assertEqual(port["injection"]["result"], "vulnerable", r)
        self.assertIn("250 2.0.0 Ok", port["injection"]["evidence"])
        c = check(self, r.json, "injection")
        self.assertEqual(c["verdict"], "fail")
        self.assertIn("VULNERABLE", c["summary"])
        # Everything else about this server is fine.
        others = [c for c in r.json["checks"] if c["verdict"] == "fail"
                  and c["name"] != "injection"]
        self.assertEqual(others, [], r)
        self.assertTrue(any("keeping" in l and "plaintext" in l
                            for l in log), log)

    def test_injection_vulnerable_imap(self):
        with self.fake("tls-imap-inject-vulnerable") as srv:
            r = self.tls("imap://127.0.0.1:%d" % srv.port, "--no-versions")
        self.assertEqual(r.rc, 1, r)
        port = r.json["tls"]["listeners"][0]
        self.assertEqual(port["injection"]["result"], "vulnerable", r)
        self.assertIn("OK NOOP", port["injection"]["evidence"])

    def test_sieve_in_all_ports(self):
        with self.fake("tls-sieve") as srv:
            r = self.tls("127.0.0.1", "--all-ports", "--ports",
                         "smtp=0,smtps=0,submission=0,pop3=0,pop3s=0,"
                         "imap=0,imaps=0,sieve=%d" % srv.port)
            log = srv.log()
        self.assertEqual(r.rc, 1, r)
        port = r.json["tls"]["listeners"][0]
        self.assertEqual(port["label"], "sieve")
        self.assertEqual(port["url"], "sieve://127.0.0.1:%d" % srv.port)
        self.assertEqual(port["policy"]["auth_before_tls"], ["PLAIN"])
        self.assertEqual(port["tls"]["chain"][0]["subject"], "CN = mail.fake")
        self.assertEqual(check(self, r.json, "sieve auth-before-tls")
                         ["verdict"], "fail")
        self.assertEqual(port["injection"]["result"], "safe", r)
        # The fake saw (and dropped) the pipelined NOOP.
        self.assertTrue(any("plaintext arrived after STARTTLS" in l
                            for l in log), log)

    def test_handshake_stall_times_out(self):
        with self.fake("tls-stall") as srv:
            r = self.tls(srv.url)
        self.assertEqual(r.rc, 3, r)
        self.assertEqual(r.json["error"]["category"], "timeout", r)
        self.assertIn("TLS handshake", r.json["error"]["message"])
        self.assertEqual(check(self, r.json, "tls")["verdict"], "error")
        self.assertLess(r.elapsed_s, LIMIT_S - 5, r)

    def test_max_time_bounds_the_whole_command(self):
        # Every per-step timeout is longer than the overall limit: only
        # --max-time can end this run, and it must say so.
        with self.fake("tls-stall") as srv:
            r = mvtest.run(["tls", srv.url, "--cafile", self.cert,
                            "--timeout", "20s", "--max-time", "2s",
                            "--json"], limit_s=LIMIT_S)
        self.assertNotIn("Sanitizer", r.err, r)
        self.assertEqual(r.rc, 3, r)
        self.assertEqual(r.json["error"]["category"], "timeout", r)
        self.assertIn("--max-time", r.json["error"]["message"])
        self.assertEqual(check(self, r.json, "tls")["verdict"], "error")

    def test_garbage_instead_of_tls(self):
        with self.fake("tls-garbage") as srv:
            r = self.tls(srv.url)
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.json["error"]["category"], "tls", r)
        self.assertIn("did not answer with TLS", r.json["error"]["message"])
        self.assertEqual(check(self, r.json, "tls")["verdict"], "fail")
        # STARTTLS itself was offered and accepted: the handshake failed.
        self.assertEqual(check(self, r.json, "starttls")["verdict"], "pass")

    def test_implicit_tls_against_plaintext(self):
        with th.fake_server("normal") as srv:
            r = self.tls("smtps://127.0.0.1:%d" % srv.port)
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.json["error"]["category"], "tls", r)
        self.assertIn("did not answer with TLS", r.json["error"]["message"])

    def test_sieve_unterminated_sasl_is_not_a_mechanism(self):
        with self.fake("tls-sieve-bad-sasl") as srv:
            r = self.tls("127.0.0.1", "--all-ports", "--ports",
                         "smtp=0,smtps=0,submission=0,pop3=0,pop3s=0,"
                         "imap=0,imaps=0,sieve=%d" % srv.port)
        port = r.json["tls"]["listeners"][0]
        self.assertFalse(port["policy"]["auth_before_tls"], port["policy"])
        self.assertNotIn("PLAIN", str(port["policy"]), port["policy"])
        c = check(self, r.json, "sieve auth-before-tls")
        self.assertEqual(c["verdict"], "pass", c)

    def test_many_short_lines_in_one_burst(self):
        with self.fake("tls-many-lines") as srv:
            r = self.tls(srv.url)
        self.assertEqual(r.rc, 1, r)
        msg = r.json["error"]["message"]
        self.assertEqual(r.json["error"]["category"], "protocol", r)
        self.assertNotIn("line end", msg)
        self.assertIn("response is longer than", msg)

    def test_greeting_stall_times_out(self):
        with th.fake_server("stall-banner") as srv:
            r = self.tls(srv.url)
        self.assertEqual(r.rc, 3, r)
        self.assertEqual(r.json["error"]["category"], "timeout", r)
        self.assertLess(r.elapsed_s, LIMIT_S - 5, r)


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   capture_output=True, timeout=60)


def stamp(days):
    t = datetime.datetime.now(datetime.timezone.utc) + \
        datetime.timedelta(days=days)
    return t.strftime("%Y%m%d%H%M%SZ")


def make_pki(d):
    """Root -> intermediate -> leaf (EC, for 127.0.0.1), a leaf not
    valid for ten more days, a SHA-1 leaf, and a self-signed RSA-1024
    SHA-1 certificate."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
          "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "root.key", "-out", "root.pem",
            "-days", "30", "-subj", "/CN=Test Root", "-addext",
            "basicConstraints=critical,CA:TRUE", "-addext",
            "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    with open(os.path.join(d, "int.ext"), "w") as f:
        f.write("basicConstraints=critical,CA:TRUE,pathlen:0\n"
                "keyUsage=critical,keyCertSign,cRLSign\n")
    with open(os.path.join(d, "leaf.ext"), "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\n"
                "subjectAltName=DNS:mail.fake,IP:127.0.0.1\n"
                "extendedKeyUsage=serverAuth\n")
    openssl("req", "-new", *ec, "-keyout", "int.key", "-out", "int.csr",
            "-subj", "/CN=Test Intermediate", cwd=d)
    openssl("x509", "-req", "-in", "int.csr", "-CA", "root.pem", "-CAkey",
            "root.key", "-CAcreateserial", "-days", "30", "-extfile",
            "int.ext", "-out", "int.pem", cwd=d)
    openssl("req", "-new", *ec, "-keyout", "leaf.key", "-out", "leaf.csr",
            "-subj", "/CN=mail.fake", cwd=d)
    openssl("x509", "-req", "-in", "leaf.csr", "-CA", "int.pem", "-CAkey",
            "int.key", "-CAcreateserial", "-days", "60", "-extfile",
            "leaf.ext", "-out", "leaf.pem", cwd=d)
    openssl("x509", "-req", "-in", "leaf.csr", "-CA", "int.pem", "-CAkey",
            "int.key", "-CAcreateserial", "-days", "60", "-sha1",
            "-extfile", "leaf.ext", "-out", "sha1.pem", cwd=d)
    os.makedirs(os.path.join(d, "ca"))
    open(os.path.join(d, "ca", "index.txt"), "w").close()
    with open(os.path.join(d, "ca", "serial"), "w") as f:
        f.write("1000\n")
    with open(os.path.join(d, "ca.cnf"), "w") as f:
        f.write("[ca]\ndefault_ca = c\n[c]\ndatabase = ca/index.txt\n"
                "new_certs_dir = ca\nserial = ca/serial\n"
                "unique_subject = no\n"
                "default_md = sha256\npolicy = p\n[p]\n"
                "commonName = supplied\n")
    openssl("ca", "-batch", "-config", "ca.cnf", "-cert", "int.pem",
            "-keyfile", "int.key", "-in", "leaf.csr", "-startdate",
            stamp(10), "-enddate", stamp(40), "-extfile", "leaf.ext",
            "-out", "future.pem", cwd=d)
    openssl("req", "-x509", "-newkey", "rsa:1024", "-sha1", "-nodes",
            "-keyout", "weak.key", "-out", "weak.pem", "-days", "30",
            "-subj", "/CN=weak.fake", "-addext",
            "subjectAltName=IP:127.0.0.1", cwd=d)
    # A leaf that expired an hour ago.
    openssl("ca", "-batch", "-config", "ca.cnf", "-cert", "int.pem",
            "-keyfile", "int.key", "-in", "leaf.csr", "-startdate",
            stamp(-10), "-enddate", stamp(-1 / 24), "-extfile", "leaf.ext",
            "-out", "justexpired.pem", cwd=d)
    # The same intermediate (name and key) expired in 2021, and an
    # intermediate that did not issue the leaf.
    openssl("ca", "-batch", "-config", "ca.cnf", "-cert", "root.pem",
            "-keyfile", "root.key", "-in", "int.csr", "-startdate",
            "20200101000000Z", "-enddate", "20210101000000Z", "-extfile",
            "int.ext", "-out", "intexpired.pem", cwd=d)
    openssl("x509", "-req", "-in", "int.csr", "-CA", "root.pem", "-CAkey",
            "root.key", "-CAcreateserial", "-days", "30", "-sha1",
            "-extfile", "int.ext", "-out", "sha1int.pem", cwd=d)
    openssl("req", "-new", *ec, "-keyout", "other.key", "-out",
            "other.csr", "-subj", "/CN=Other Intermediate", cwd=d)
    openssl("x509", "-req", "-in", "other.csr", "-CA", "root.pem", "-CAkey",
            "root.key", "-CAcreateserial", "-days", "30", "-extfile",
            "int.ext", "-out", "other.pem", cwd=d)
    # C1 controls (CSI, NEL) in the name, as UTF-8.
    openssl("req", "-x509", *ec, "-keyout", "c1.key", "-out", "c1.pem",
            "-days", "30", "-utf8", "-subj",
            "/CN=evil\u009b31mRED\u0085x", "-addext",
            "subjectAltName=IP:127.0.0.1", cwd=d)
    for name, parts in (("full.pem", ("leaf.pem", "int.pem")),
                        ("intexpiredfull.pem", ("leaf.pem",
                                                "intexpired.pem")),
                        ("wrongfull.pem", ("leaf.pem", "other.pem")),
                        ("justexpiredfull.pem", ("justexpired.pem",
                                                 "int.pem")),
                        ("sha1intfull.pem", ("leaf.pem", "sha1int.pem")),
                        ("futurefull.pem", ("future.pem", "int.pem")),
                        ("sha1full.pem", ("sha1.pem", "int.pem"))):
        with open(os.path.join(d, name), "w") as out:
            for part in parts:
                with open(os.path.join(d, part)) as f:
                    out.write(f.read())


class TlsCertificates(unittest.TestCase):
    """Implicit TLS (tls-implicit.fake) with the certificates above."""
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        if not os.access(mvtest.BIN, os.X_OK):
            raise unittest.SkipTest("no mailvet binary at %s" % mvtest.BIN)
        if not shutil.which("openssl"):
            raise unittest.SkipTest("no openssl command")
        cls.tmp = tempfile.mkdtemp(prefix="mvpki-")
        make_pki(cls.tmp)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def serve(self, cert, key, *args, weak=False, versions=False):
        def p(name):
            return os.path.join(self.tmp, name)

        extra = ["--weak-tls"] if weak else []
        with th.fake_server("tls-implicit", "--cert", p(cert), "--key",
                            p(key), "--max-conns", "0", "--parallel",
                            *extra, lifetime=25) as srv:
            r = mvtest.run(["tls", "smtps://127.0.0.1:%d" % srv.port,
                            "--timeout", "2s", "--warn-days", "1",
                            "--crit-days", "1", "--json"] +
                           ([] if versions else ["--no-versions"]) +
                           [a if not a.endswith(".pem") else p(a)
                            for a in args], limit_s=LIMIT_S)
        self.assertNotIn("Sanitizer", r.err, r)
        self.assertEqual(r.json["exit_code"], r.rc, r)
        return r, r.json["tls"]["listeners"][0]["tls"]

    def test_missing_intermediate(self):
        r, t = self.serve("leaf.pem", "leaf.key", "--cafile", "root.pem")
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(t["diagnosis"], "unknown-issuer")
        self.assertFalse(t["intermediates_sent"])
        c = check(self, r.json, "chain")
        self.assertEqual(c["verdict"], "fail")
        self.assertIn("missing intermediate", c["summary"])
        self.assertIn("Test Intermediate", check(self, r.json,
                                                 "certificate")["summary"])

    def test_full_chain(self):
        r, t = self.serve("full.pem", "leaf.key", "--cafile", "root.pem")
        self.assertEqual(r.rc, 0, r)
        self.assertTrue(t["verified"])
        self.assertTrue(t["intermediates_sent"])
        self.assertEqual([c["subject"] for c in t["chain"]],
                         ["CN = mail.fake", "CN = Test Intermediate"])
        self.assertEqual(check(self, r.json, "chain")["verdict"], "pass")

    def test_not_yet_valid(self):
        r, t = self.serve("futurefull.pem", "leaf.key", "--cafile",
                          "root.pem")
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(t["diagnosis"], "not-yet-valid")
        self.assertIn("not yet valid",
                      check(self, r.json, "certificate")["summary"])
        self.assertIn("not valid yet",
                      check(self, r.json, "expiry")["summary"])

    def test_sha1_signature(self):
        r, t = self.serve("sha1full.pem", "leaf.key", "--cafile", "root.pem",
                          weak=True)
        self.assertEqual(r.rc, 1, r)
        c = check(self, r.json, "signature")
        self.assertEqual(c["verdict"], "fail")
        self.assertIn("SHA1", c["summary"].upper())

    def test_weak_key_and_old_versions(self):
        r, t = self.serve("weak.pem", "weak.key", "--cafile", "weak.pem",
                          weak=True, versions=True)
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(t["chain"][0]["key_bits"], 1024)
        self.assertEqual(check(self, r.json, "key")["verdict"], "fail")
        self.assertEqual(check(self, r.json, "certificate")["verdict"],
                         "fail")
        v = r.json["tls"]["listeners"][0]["versions"]
        self.assertTrue(v["TLSv1.0"]["accepted"], r)
        self.assertEqual(check(self, r.json, "versions")["verdict"], "fail")

    def test_expired_intermediate_is_named(self):
        r, t = self.serve("intexpiredfull.pem", "leaf.key", "--cafile",
                          "root.pem")
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(t["diagnosis"], "expired")
        self.assertEqual(t["failed_depth"], 1, t)
        self.assertEqual(t["failed_subject"], "CN = Test Intermediate")
        c = check(self, r.json, "certificate")
        self.assertEqual(c["verdict"], "fail")
        self.assertIn("the intermediate CN = Test Intermediate expired on "
                      "2021-01-01", c["summary"])
        # Not the leaf's date, and the leaf's own expiry is fine.
        self.assertNotIn(t["chain"][0]["not_after"].split()[0],
                         c["summary"].split("valid until")[0])
        self.assertEqual(check(self, r.json, "expiry")["verdict"], "pass")

    def test_expired_an_hour_ago_is_not_zero_days(self):
        r, t = self.serve("justexpiredfull.pem", "leaf.key", "--cafile",
                          "root.pem")
        self.assertEqual(r.rc, 1, r)
        c = check(self, r.json, "expiry")
        self.assertEqual(c["verdict"], "fail")
        self.assertNotIn("0 days", c["summary"])
        # An hour ago is today, or yesterday just after midnight UTC.
        self.assertRegex(c["summary"],
                         r"^expired (today|yesterday), at \d\d:\d\d UTC$")

    def test_sha1_intermediate_is_named(self):
        r, t = self.serve("sha1intfull.pem", "leaf.key", "--cafile",
                          "root.pem", weak=True)
        c = check(self, r.json, "signature")
        self.assertEqual(c["verdict"], "fail")
        self.assertIn("the intermediate CN = Test Intermediate", c["summary"])
        self.assertIn("SHA1", c["summary"].upper())

    def test_wrong_intermediate(self):
        r, t = self.serve("wrongfull.pem", "leaf.key", "--cafile",
                          "root.pem")
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(t["diagnosis"], "unknown-issuer")
        c = check(self, r.json, "chain")
        self.assertEqual(c["verdict"], "fail")
        self.assertIn("the intermediate sent does not issue the leaf",
                      c["summary"])
        self.assertIn("CN = Other Intermediate", c["summary"])
        cert = check(self, r.json, "certificate")["summary"]
        # Worded by the leaf's issuer, not the root's: the root is
        # trusted here, and --cafile would not help.
        self.assertIn("CN = Test Intermediate", cert)
        self.assertNotIn("Test Root", cert)
        self.assertNotIn("--cafile", cert)

    def test_c1_controls_in_certificate_name(self):
        def p(name):
            return os.path.join(self.tmp, name)

        with th.fake_server("tls-implicit", "--cert", p("c1.pem"), "--key",
                            p("c1.key"), "--max-conns", "0", "--parallel",
                            lifetime=25) as srv:
            r = mvtest.run(["tls", "smtps://127.0.0.1:%d" % srv.port,
                            "--timeout", "2s", "--no-versions", "--cafile",
                            p("c1.pem"), "--no-transcript"],
                           limit_s=LIMIT_S)
        self.assertNotIn("Sanitizer", r.err, r)
        self.assertIn("CN = evil\\xc2\\x9b31mRED\\xc2\\x85x", r.out)
        for c in "\x9b\x85\x1b":
            self.assertNotIn(c, r.out)

    def test_all_ports_wrong_intermediate(self):
        r, text = self.all_ports("wrongfull.pem", "full.pem")
        self.assertEqual(r.rc, 1, r)
        c = check(self, r.json, "chains")
        self.assertEqual(c["verdict"], "fail")
        self.assertIn("the chain sent on smtps is wrong", c["summary"])
        self.assertEqual(check(self, r.json, "pop3s certificate")["verdict"],
                         "pass")

    def all_ports(self, smtps_cert, pop3s_cert):
        def p(name):
            return os.path.join(self.tmp, name)

        common = ["--max-conns", "0", "--parallel", "--key", p("leaf.key")]
        with th.fake_server("tls-implicit", "--cert", p(smtps_cert),
                            *common, lifetime=25) as a, \
                th.fake_server("tls-implicit-pop3", "--cert", p(pop3s_cert),
                               *common, lifetime=25) as b:
            ports = ("smtp=0,submission=0,pop3=0,imap=0,imaps=0,sieve=0,"
                     "smtps=%d,pop3s=%d" % (a.port, b.port))
            r = mvtest.run(["tls", "--all-ports", "127.0.0.1", "--ports",
                            ports, "--cafile", p("root.pem"), "--timeout",
                            "2s", "--no-versions", "--json"],
                           limit_s=LIMIT_S)
            text = mvtest.run(["tls", "--all-ports", "127.0.0.1", "--ports",
                               ports, "--cafile", p("root.pem"), "--timeout",
                               "2s", "--no-versions"], limit_s=LIMIT_S)
        self.assertNotIn("Sanitizer", r.err + text.err, r)
        self.assertEqual(text.rc, r.rc, text)
        self.assertEqual([l["label"] for l in r.json["tls"]["listeners"]],
                         ["smtps", "pop3s"])
        return r, text

    def test_all_ports_chain_missing_on_one_listener(self):
        r, text = self.all_ports("full.pem", "leaf.pem")
        self.assertEqual(r.rc, 1, r)
        c = check(self, r.json, "chains")
        self.assertEqual(c["verdict"], "fail")
        self.assertIn("missing on pop3s", c["summary"])
        self.assertEqual(check(self, r.json, "certificates")["verdict"],
                         "pass")
        self.assertEqual(check(self, r.json, "pop3s certificate")["verdict"],
                         "fail")
        self.assertEqual(check(self, r.json, "smtps certificate")["verdict"],
                         "pass")
        self.assertRegex(text.out, r"smtps\s+\d+\s+implicit.*full")
        self.assertRegex(text.out, r"pop3s\s+\d+\s+implicit.*leaf")

    def test_all_ports_different_certificates(self):
        r, text = self.all_ports("full.pem", "futurefull.pem")
        self.assertEqual(r.rc, 1, r)
        c = check(self, r.json, "certificates")
        self.assertEqual(c["verdict"], "warn")
        self.assertIn("different certificates", c["summary"])
        c = check(self, r.json, "expiries")
        self.assertEqual(c["verdict"], "warn")
        self.assertIn("the first is pop3s", c["summary"])
        self.assertEqual(check(self, r.json, "chains")["verdict"], "pass")
        self.assertEqual(check(self, r.json, "pop3s expiry")["verdict"],
                         "fail")


class Listener:
    """A mail listener on 127.0.0.1 (a free port) that runs handler(conn)
    for each connection in a thread, for behaviour a fakesmtp script
    cannot express (it depends on what the client pipelined, or needs an
    old TLS version)."""

    def __init__(self, handler):
        self.handler = handler
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.errors = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def loop(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self.one, args=(conn,),
                             daemon=True).start()

    def one(self, conn):
        try:
            conn.settimeout(10)
            self.handler(conn)
        except (OSError, ssl.SSLError) as e:
            self.errors.append(repr(e))
        finally:
            conn.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


def read_line(conn, pending):
    """One line (CRLF removed) and what followed it in the buffer."""
    while b"\n" not in pending:
        data = conn.recv(4096)
        if not data:
            return None, b""
        pending += data
    line, rest = pending.split(b"\n", 1)
    return line.rstrip(b"\r"), rest


def tls_context(cert, key, tls11_only=False):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if tls11_only:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.set_ciphers("ALL:@SECLEVEL=0")
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    ctx.load_cert_chain(cert, key)
    return ctx


def after_tls(conn):
    conn.sendall(b"220 mail.fake ESMTP\r\n")
    pending = b""
    while True:
        line, pending = read_line(conn, pending)
        if line is None:
            return
        if line.upper().startswith(b"QUIT"):
            conn.sendall(b"221 2.0.0 Bye\r\n")
            return
        conn.sendall(b"250 ok\r\n")


class TlsListeners(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        if not os.access(mvtest.BIN, os.X_OK):
            raise unittest.SkipTest("no mailvet binary at %s" % mvtest.BIN)
        if not shutil.which("openssl"):
            raise unittest.SkipTest("no openssl command")
        cls.tmp = tempfile.mkdtemp(prefix="mvlst-")
        make_pki(cls.tmp)
        cls.ctx = tls_context(os.path.join(cls.tmp, "full.pem"),
                              os.path.join(cls.tmp, "leaf.key"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def tls(self, url, *extra):
        r = mvtest.run(["tls", url, "--cafile",
                        os.path.join(self.tmp, "root.pem"), "--timeout",
                        "2s", "--json"] + list(extra), limit_s=LIMIT_S)
        self.assertNotIn("Sanitizer", r.err, r)
        self.assertNotIn("runtime error:", r.err, r)
        self.assertEqual(r.json["exit_code"], r.rc, r)
        return r

    def plaintext_late(self, conn):
        """STARTTLS with a command pipelined: the go-ahead, then 0.2 s
        later, in a second segment, a plaintext answer to that command.
        Without one: a normal TLS session."""
        conn.sendall(b"220 mail.fake ESMTP\r\n")
        pending = b""
        while True:
            line, pending = read_line(conn, pending)
            if line is None:
                return
            verb = line.upper()
            if verb.startswith(b"EHLO"):
                conn.sendall(b"250-mail.fake\r\n250 STARTTLS\r\n")
            elif verb == b"STARTTLS":
                conn.sendall(b"220 2.0.0 go ahead\r\n")
                if pending:
                    time.sleep(0.2)
                    conn.sendall(b"250 2.0.0 plain-answer\r\n")
                    time.sleep(0.5)
                    return
                with self.ctx.wrap_socket(conn, server_side=True) as t:
                    pending = b""
                    while True:
                        line, pending = read_line(t, pending)
                        if line is None:
                            return
                        if line.upper().startswith(b"QUIT"):
                            t.sendall(b"221 2.0.0 Bye\r\n")
                            return
                        t.sendall(b"250 ok\r\n")
            elif verb.startswith(b"QUIT"):
                conn.sendall(b"221 2.0.0 Bye\r\n")
                return
            else:
                conn.sendall(b"502 5.5.2 no\r\n")

    def test_injection_answered_in_plaintext_later(self):
        with Listener(self.plaintext_late) as srv:
            r = self.tls("smtp://127.0.0.1:%d" % srv.port, "--no-versions")
        port = r.json["tls"]["listeners"][0]
        self.assertEqual(port["injection"]["result"],
                         "answered-in-plaintext", port["injection"])
        self.assertIn("250 2.0.0 plain-answer",
                      port["injection"]["evidence"])
        c = check(self, r.json, "injection")
        self.assertEqual(c["verdict"], "warn")
        self.assertIn("in plaintext before TLS", c["summary"])
        self.assertIn("Not the CVE-2011-0411 class", c["summary"])
        self.assertEqual(r.rc, 0, r)  # a warning, not a failure

    def test_tls11_only_server(self):
        ctx = tls_context(os.path.join(self.tmp, "full.pem"),
                          os.path.join(self.tmp, "leaf.key"),
                          tls11_only=True)

        def handler(conn):
            with ctx.wrap_socket(conn, server_side=True) as t:
                after_tls(t)

        with Listener(handler) as srv:
            r = self.tls("smtps://127.0.0.1:%d" % srv.port)
        self.assertEqual(r.rc, 1, r)
        port = r.json["tls"]["listeners"][0]
        self.assertTrue(port["legacy_only"], port)
        self.assertIsNotNone(port["strict_error"])
        # The chain is shown all the same.
        self.assertEqual([c["subject"] for c in port["tls"]["chain"]],
                         ["CN = mail.fake", "CN = Test Intermediate"])
        c = check(self, r.json, "tls")
        self.assertEqual(c["verdict"], "fail")
        self.assertIn("accepts only TLS 1.0/1.1", c["summary"])
        v = port["versions"]
        self.assertTrue(v["TLSv1.1"]["accepted"], v)
        self.assertFalse(v["TLSv1.2"]["accepted"], v)
        self.assertFalse(v["TLSv1.3"]["accepted"], v)
        # A refused single-version probe says so, without the general
        # advice about old versions.
        self.assertIn("refused", v["TLSv1.3"]["detail"], v)
        self.assertNotIn("older than", v["TLSv1.3"]["detail"], v)
        c = check(self, r.json, "versions")
        self.assertEqual(c["verdict"], "fail")
        self.assertIn("accepts only TLSv1.0 TLSv1.1", c["summary"])
        self.assertEqual(check(self, r.json, "certificate")["verdict"],
                         "pass")

    def test_plain_scheme_on_silent_port_hints_implicit_tls(self):
        # An implicit-TLS server waits for a ClientHello: to a plaintext
        # client it is a silent port.  The greeting timeout says which
        # scheme to try, per protocol.
        def handler(conn):
            while conn.recv(4096):
                pass

        with Listener(handler) as srv:
            for scheme, hint in (("smtp", "as 465 does, use smtps://"),
                                 ("imap", "as 993 does, use imaps://")):
                r = mvtest.run(["tls", "%s://127.0.0.1:%d" % (scheme,
                                                              srv.port),
                                "--greeting-timeout", "1s", "--json"],
                               limit_s=LIMIT_S)
                self.assertEqual(r.rc, 3, r)
                self.assertEqual(r.json["error"]["category"], "timeout", r)
                self.assertIn("while waiting for the greeting",
                              r.json["error"]["message"])
                self.assertIn("(if this port speaks TLS from the first "
                              "byte, %s)" % hint,
                              r.json["error"]["message"])


if __name__ == "__main__":
    unittest.main()
