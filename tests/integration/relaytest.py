"""relaytest - helpers for the `mailvet relay` integration tests.

RelayLab starts a lab of its own (tests/lab/lab.sh) beside the CTest
fixture's, with a variant, LAB_MYNETWORKS and extra listeners of the
test's choosing, on ports shifted by a per-lab step plus LAB_PORT_OFFSET
(so that labs of parallel developers do not collide), and always takes it
down again.  run_in() runs mailvet, optionally inside a network
namespace.  Standard library only.
"""
import os
import shlex
import shutil
import subprocess
import time
import unittest

import mvtest

HERE = os.path.dirname(os.path.abspath(__file__))
LAB_SH = os.environ.get("MAILVET_LAB_SH",
                        os.path.join(HERE, "..", "lab", "lab.sh"))
DEFAULT_PORTS = {"LAB_SMTP_PORT": 2525, "LAB_SUBMISSION_PORT": 2587,
                 "LAB_SMTPS_PORT": 2465, "LAB_LMTP_PORT": 2424,
                 "LAB_IMAP_PORT": 2143, "LAB_IMAPS_PORT": 2993,
                 "LAB_POP3_PORT": 2110, "LAB_POP3S_PORT": 2995,
                 "LAB_RELAY_PORT": 2599}


class RelayLab:
    """A lab of the relay tests' own; step picks its ports (+3000 +
    100*step + LAB_PORT_OFFSET over the defaults)."""

    def __init__(self, name, step, variant="default", mynetworks=None,
                 extra_listen=None):
        self.name = name
        self.variant = variant
        offset = int(os.environ.get("LAB_PORT_OFFSET", "0") or 0)
        self.ports = {k: v + 3000 + 100 * step + offset
                      for k, v in DEFAULT_PORTS.items()}
        self.mynetworks = mynetworks
        self.extra_listen = extra_listen
        self.dir = os.path.join(os.path.dirname(os.path.abspath(
            mvtest.LAB_DIR)), "lab-relay-" + name)
        self.env = None

    def __enter__(self):
        if os.geteuid() != 0:
            raise unittest.SkipTest("the lab runs as root")
        env = dict(os.environ)
        env.update({k: str(v) for k, v in self.ports.items()})
        if self.mynetworks:
            env["LAB_MYNETWORKS"] = self.mynetworks
        if self.extra_listen:
            env["LAB_EXTRA_LISTEN"] = self.extra_listen
        r = subprocess.run([LAB_SH, "up", "--dir", self.dir, "--variant",
                            self.variant], env=env, capture_output=True,
                           text=True, timeout=120)
        if r.returncode != 0:
            self.down()
            raise AssertionError("relay lab %s did not start:\n%s%s" %
                                 (self.name, r.stdout, r.stderr))
        self.env = mvtest.read_env(os.path.join(self.dir, "lab.env"))
        return self

    def down(self):
        subprocess.run([LAB_SH, "down", "--dir", self.dir, "--clean"],
                       capture_output=True, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __exit__(self, *exc):
        self.down()

    def url(self, host="127.0.0.1", key="LAB_SMTP_PORT", scheme="smtp"):
        return "%s://%s:%s" % (scheme, host, self.env[key])

    def sink(self):
        return "127.0.0.1:%s" % self.env["LAB_RELAY_PORT"]

    def postfix_log(self):
        with open(self.env["LAB_POSTFIX_LOG"], encoding="utf-8",
                  errors="replace") as f:
            return f.read()


def run_in(netns, args, limit_s=90):
    """mailvet args, inside network namespace netns (None: here)."""
    if netns is None:
        return mvtest.run(args, limit_s=limit_s)
    full = ["ip", "netns", "exec", netns, mvtest.BIN] + list(args)
    env = dict(os.environ)
    env.pop("MAILVET_PASSWORD", None)
    env["NO_COLOR"] = "1"
    t0 = time.monotonic()
    try:
        p = subprocess.run(full, capture_output=True, text=True, env=env,
                           timeout=limit_s)
    except subprocess.TimeoutExpired:
        raise AssertionError("%s did not finish within %ds"
                             % (" ".join(shlex.quote(a) for a in full),
                                limit_s))
    return mvtest.Run(full, p.returncode, p.stdout, p.stderr,
                      time.monotonic() - t0, 0)


def port_listening(port, host="127.0.0.1"):
    """True when something accepts connections on host:port."""
    import socket
    with socket.socket() as sk:
        sk.settimeout(2)
        return sk.connect_ex((host, int(port))) == 0


def assert_port_closed(port, host="127.0.0.1"):
    """mailvet's sink must be gone once mailvet has exited: another
    engineer's lab test (test_log_lab) needs LAB_RELAY_PORT closed."""
    if port_listening(port, host):
        raise AssertionError("something still listens on %s:%s after the "
                             "test" % (host, port))


def run_with_sink(args, port, limit_s=120):
    """mvtest.run(args), then make sure the sink port is closed again -
    even when the run failed (mvtest.run kills a mailvet that hangs)."""
    try:
        return mvtest.run(args, limit_s=limit_s)
    finally:
        assert_port_closed(port)


def by_id(doc, vantage=None):
    """{attempt id: attempt} of a relay JSON document (one vantage)."""
    out = {}
    for a in doc["relay"]["attempts"]:
        if vantage is None or a["vantage"] == vantage:
            out[a["id"]] = a
    return out


def check(doc, prefix):
    """The first check whose name starts with prefix."""
    for c in doc["checks"]:
        if c["name"].startswith(prefix):
            return c
    raise AssertionError("no check %r in %r" % (prefix, doc["checks"]))
