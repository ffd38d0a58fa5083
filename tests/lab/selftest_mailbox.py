"""selftest_mailbox.py - IMAP and POP3 logins against the running mail lab.

Part of tests/lab/selftest.sh.  Reads the lab's variables from the
environment (LAB_*, as sourced from lab.env) and logs in as LAB_USER with
every mechanism the lab promises: LOGIN/USER+PASS, CRAM-MD5, SCRAM-SHA-1
and SCRAM-SHA-256 (a minimal RFC 5802 client, written here because the
standard library has none), plaintext+STARTTLS and implicit TLS, and
checks that a wrong password is refused.  Prints one line per passed
check; raises on the first failure.  Standard library only.
"""
import base64
import hashlib
import hmac
import imaplib
import os
import poplib
import ssl

E = os.environ
HOST = "127.0.0.1"
USER, PASS = E["LAB_USER"], E["LAB_PASS"]


def tls_context():
    ctx = ssl.create_default_context(cafile=E["LAB_CA"])
    ctx.check_hostname = False  # connecting to an IP; the chain is checked
    return ctx


def scram(mech, hashname):
    """Return an imaplib authenticate() callback doing SCRAM (no binding)."""
    cnonce = base64.b64encode(os.urandom(18)).decode()
    bare = "n=%s,r=%s" % (USER, cnonce)
    state = {"step": 0}

    def step(challenge):
        state["step"] += 1
        if state["step"] == 1:
            return ("n,," + bare).encode()
        if state["step"] == 2:
            first = challenge.decode()
            f = dict(kv.split("=", 1) for kv in first.split(","))
            if not f["r"].startswith(cnonce):
                raise ValueError("server nonce does not extend ours")
            salted = hashlib.pbkdf2_hmac(hashname, PASS.encode(),
                                         base64.b64decode(f["s"]),
                                         int(f["i"]))
            ckey = hmac.new(salted, b"Client Key", hashname).digest()
            skey = hashlib.new(hashname, ckey).digest()
            final = "c=biws,r=" + f["r"]
            msg = ",".join([bare, first, final]).encode()
            sig = hmac.new(skey, msg, hashname).digest()
            proof = bytes(a ^ b for a, b in zip(ckey, sig))
            return (final + ",p=" + base64.b64encode(proof).decode()).encode()
        return b""
    return step


def main():
    ctx = tls_context()
    m = imaplib.IMAP4(HOST, int(E["LAB_IMAP_PORT"]))
    m.starttls(ssl_context=ctx)
    m.login(USER, PASS)
    typ, data = m.select("INBOX")
    m.logout()
    print("IMAP STARTTLS + LOGIN, SELECT INBOX (%s messages)" % data[0].decode())

    m = imaplib.IMAP4(HOST, int(E["LAB_IMAP_PORT"]))
    m.login_cram_md5(USER, PASS)
    m.logout()
    print("IMAP AUTHENTICATE CRAM-MD5")

    for mech, h in (("SCRAM-SHA-1", "sha1"), ("SCRAM-SHA-256", "sha256")):
        m = imaplib.IMAP4(HOST, int(E["LAB_IMAP_PORT"]))
        m.authenticate(mech, scram(mech, h))
        m.logout()
        print("IMAP AUTHENTICATE " + mech)

    m = imaplib.IMAP4_SSL(HOST, int(E["LAB_IMAPS_PORT"]), ssl_context=ctx)
    m.login(USER, PASS)
    m.logout()
    print("IMAPS LOGIN")

    m = imaplib.IMAP4_SSL(HOST, int(E["LAB_IMAPS_PORT"]), ssl_context=ctx)
    try:
        m.login(USER, PASS + "x")
        raise AssertionError("IMAP accepted a wrong password")
    except imaplib.IMAP4.error:
        print("IMAP wrong password refused")

    p = poplib.POP3(HOST, int(E["LAB_POP3_PORT"]))
    p.stls(context=ctx)
    p.user(USER)
    p.pass_(PASS)
    count, size = p.stat()
    p.quit()
    print("POP3 STLS + USER/PASS, STAT %d %d" % (count, size))

    p = poplib.POP3_SSL(HOST, int(E["LAB_POP3S_PORT"]), context=ctx)
    p.user(USER)
    p.pass_(PASS)
    p.quit()
    print("POP3S USER/PASS")


if __name__ == "__main__":
    main()
