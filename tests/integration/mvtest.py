"""mvtest - shared helpers for mailvet's integration tests.

Runs the built binary (MAILVET_BIN) with a hard wall-clock limit and
reports its exit code, output, parsed JSON, elapsed time and peak memory,
and reads the lab's environment file (MAILVET_LAB_DIR/lab.env).
Standard library only: the tests must run on a fresh Debian machine.
"""
import json
import os
import shlex
import subprocess
import tempfile
import time
import unittest

BIN = os.environ.get("MAILVET_BIN", os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "mailvet"))
LAB_DIR = os.environ.get("MAILVET_LAB_DIR", os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "lab"))


class Run:
    """Outcome of one mailvet invocation."""

    def __init__(self, args, rc, out, err, elapsed_s, maxrss_kb):
        self.args = args
        self.rc = rc
        self.out = out
        self.err = err
        self.elapsed_s = elapsed_s
        self.maxrss_kb = maxrss_kb
        self._json = None

    @property
    def json(self):
        if self._json is None:
            self._json = json.loads(self.out)
        return self._json

    def __repr__(self):
        return ("mailvet %s\n-> rc=%d elapsed=%.2fs maxrss=%dkB\n"
                "--- stdout\n%s\n--- stderr\n%s" % (
                    " ".join(shlex.quote(a) for a in self.args), self.rc,
                    self.elapsed_s, self.maxrss_kb, self.out[-6000:],
                    self.err[-3000:]))


def run(args, stdin=None, env=None, limit_s=60):
    """Run mailvet with args; kill it after limit_s (a hang is a bug).

    Output goes to temporary files and the child is reaped with wait4()
    so that its own peak memory (not the test runner's) is reported."""
    full_env = dict(os.environ)
    full_env.pop("MAILVET_PASSWORD", None)
    full_env["NO_COLOR"] = "1"
    if env:
        full_env.update(env)
    with tempfile.TemporaryFile() as fout, tempfile.TemporaryFile() as ferr, \
            tempfile.TemporaryFile() as fin:
        if stdin is not None:
            fin.write(stdin.encode())
            fin.seek(0)
        t0 = time.monotonic()
        p = subprocess.Popen([BIN] + list(args), stdin=fin, stdout=fout,
                             stderr=ferr, env=full_env)
        hwm_kb = 0
        while True:
            # The peak only grows after exec; the latest reading wins
            # (the very first may still be the forked Python's).
            hwm_kb = _vm_hwm_kb(p.pid) or hwm_kb
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid == p.pid:
                break
            if time.monotonic() - t0 > limit_s:
                p.kill()
                os.wait4(p.pid, 0)
                p.returncode = -9
                raise AssertionError("mailvet %s did not finish within %ds"
                                     % (" ".join(args), limit_s))
            time.sleep(0.01)
        p.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.monotonic() - t0
        fout.seek(0)
        ferr.seek(0)
        out = fout.read().decode("utf-8", "replace")
        err = ferr.read().decode("utf-8", "replace")
    # ru_maxrss counts the Python parent's pages from before exec();
    # VmHWM, sampled while it runs, is mailvet's own peak.  Use the
    # sample when there is one (a very short run may end unseen).
    return Run(list(args), p.returncode, out, err, elapsed,
               hwm_kb or ru.ru_maxrss)


def _vm_hwm_kb(pid):
    """Peak resident memory of a live process, 0 when unknown."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def lab_env():
    """Return the lab's variables (LAB_*) as a dict; skip if no lab."""
    path = os.path.join(LAB_DIR, "lab.env")
    if not os.path.exists(path):
        # Under CTest the lab fixture must have worked: never a silent skip.
        if os.environ.get("MAILVET_REQUIRE_LAB"):
            raise AssertionError("the lab is not running (no %s)" % path)
        raise unittest.SkipTest("lab not running (no %s)" % path)
    return read_env(path)


def read_env(path):
    """KEY=value lines (shell-quoted values) of a lab.env file."""
    env = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            k, v = line.split("=", 1)
            env[k] = shlex.split(v)[0] if v else ""
    return env
