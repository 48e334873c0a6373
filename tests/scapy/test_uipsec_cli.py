#!/usr/bin/python3
"""The uipsec command line itself (no scapy needed; it lives here because
this folder holds the Python tests that run the built programs): help and
exit codes, state files (-f) created 0600, rewritten only by commands that
change something, left alone when a command fails, and the daemon path's
error when no uipsecd listens; uipsecd's --check-config and
--list-options, and its start on a swanctl.conf it refuses."""
import os
import shutil
import stat
import subprocess
import sys
import tempfile

from uipsec_testlib import UIPSEC, check, run, report
GCM = "aead 'rfc4106(gcm(aes))' 0x0102030405060708090a0b0c0d0e0f1011121314 128"
def sh(words):
    """Split like a shell would for our simple command lines."""
    import shlex
    return shlex.split(words)


def main():
    tmp = tempfile.mkdtemp(prefix="test_uipsec_cli.")
    try:
        body(tmp)
    finally:
        shutil.rmtree(tmp)
    return report()


def body(tmp):
    rc, out, err = run(["--help"])
    check(rc == 0 and "xfrm" in out and "pcap" in out and "--state-file" in out, "--help")
    for args in (["help", "xfrm"], ["xfrm", "--help"], ["pcap", "--help"], ["help", "pcap"]):
        rc, out, err = run(args)
        check(rc == 0 and "Usage: uipsec" in out, "%s: %d %r" % (args, rc, err))
    rc, out, err = run(["xfrm", "state", "help"])
    check(rc == 0 and out.startswith("Usage: xfrm state") and "policy" not in out, "xfrm state help")
    rc, out, err = run(["xfrm", "policy", "help"])
    check(rc == 0 and out.startswith("Usage: xfrm policy"), "xfrm policy help")
    rc, out, err = run(["frobnicate"])
    check(rc == 2 and "unknown command 'frobnicate'" in err, "unknown command: %d %r" % (rc, err))
    rc, out, err = run(["--bogus", "xfrm"])
    check(rc == 2 and "unknown option '--bogus'" in err, "unknown option: %d %r" % (rc, err))
    rc, out, err = run(["--control"])
    check(rc == 2 and "needs a value" in err, "--control without value")

    f = os.path.join(tmp, "states")
    rc, out, err = run(["-f", f, "xfrm", "state", "list"])
    check(rc == 1 and "cannot open state file" in err, "list of a missing file: %d %r" % (rc, err))
    check(not os.path.exists(f), "list created the file")

    rc, out, err = run(["-f", f] + sh("xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp "
                                      "spi 0x1000 reqid 1 mode tunnel " + GCM))
    check(rc == 0 and err == "", "add: %d %r" % (rc, err))
    check(stat.S_IMODE(os.stat(f).st_mode) == 0o600, "new state file is not 0600")
    text = open(f).read()
    check("xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x00001000" in text,
          "state file content: %r" % text)

    m1 = os.stat(f).st_mtime_ns
    rc, out, err = run(["--state-file", f, "xfrm", "-s", "state", "list"])
    check(rc == 0 and "spi 0x00001000(4096)" in out, "list -s: %r" % out)
    rc, out, err = run(["-s", "--state-file=" + f, "xfrm", "state", "list"])
    check(rc == 0 and "spi 0x00001000(4096)" in out, "global -s: %r" % out)
    rc, out, err = run(["-f", f] + sh("xfrm state get dst 192.0.2.2 proto esp spi 0x1000"))
    check(rc == 0 and out.startswith("src 192.0.2.1 dst 192.0.2.2\n"), "get: %r" % out)
    check(os.stat(f).st_mtime_ns == m1 and open(f).read() == text, "list/get rewrote the file")

    # a failing command leaves the file alone and says why on stderr, once
    for words, msg in (("xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 " + GCM,
                        "Error: state dst 192.0.2.2 spi 0x00001000 proto esp already exists "
                        "(use 'update' to change it)\n"),
                       ("xfrm state add src 1.1.1.1 dst 2.2.2.2 proto esp spi 7 " + GCM,
                        "Error: SPI 0x00000007 is reserved (1..255)\n"),
                       ("xfrm state delete dst 9.9.9.9 proto esp spi 0x1000",
                        "Error: no state dst 9.9.9.9 spi 0x00001000 proto esp\n")):
        rc, out, err = run(["-f", f] + sh(words))
        check(rc == 1 and err == msg, "%s: %d %r" % (words, rc, err))
        check(open(f).read() == text, "failed command changed the file: %s" % words)

    # hand-written lines with 'ip', comments and quotes load; changes rewrite
    open(f, "w").write("# written by hand\n"
                       "ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 " + GCM + "\n"
                       "ip xfrm policy add src 10.1.0.0/24 dst 10.2.0.0/24 dir out "
                       "tmpl src 192.0.2.1 dst 192.0.2.2 proto esp mode tunnel  # outbound\n")
    os.chmod(f, 0o640)
    rc, out, err = run(["-f", f] + sh("xfrm policy add src 10.2.0.0/24 dst 10.1.0.0/24 dir in "
                                      "tmpl src 192.0.2.2 dst 192.0.2.1 proto esp mode tunnel"))
    check(rc == 0, "policy add: %r" % err)
    text = open(f).read()
    check(text.count("xfrm policy add") == 2 and text.count("xfrm state add") == 1, "rewrite: %r" % text)
    check(stat.S_IMODE(os.stat(f).st_mode) == 0o640, "rewrite changed the file's mode")
    rc, out, err = run(["-f", f, "xfrm", "policy", "count"])
    check(out == "\t SPD IN  1 OUT 1 FWD 0\n", "count: %r" % out)
    rc, out, err = run(["-f", f, "xfrm", "policy", "flush"])
    rc, out, err = run(["-f", f, "xfrm", "state", "flush"])
    check("add" not in open(f).read(), "flush left lines behind")

    # a bad line in the file is reported with its number, nothing is written
    open(f, "w").write("ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 " + GCM + "\n"
                       "ip xfrm state add src 192.0.2.1 dst 192.0.2.3 proto esp spi 0x1000 "
                       "enc 'cbc(aes)' 0x00 auth-trunc 'hmac(sha1)' 0x00 96\n")
    before = open(f).read()
    rc, out, err = run(["-f", f, "xfrm", "state", "flush"])
    check(rc == 1 and err == "Error: %s:2: key for cbc(aes) must be 16, 24 or 32 bytes, got 1\n" % f,
          "bad line: %r" % err)
    check(open(f).read() == before, "a bad file was rewritten")

    # uipsecd reads a swanctl.conf as it starts: every refusal at once, at
    # its line, each once (also when the daemon itself stops on it)
    uipsecd = os.path.join(os.path.dirname(UIPSEC), "uipsecd")
    conf = os.path.join(tmp, "swanctl.conf")
    open(conf, "w").write("connections {\n gw {\n  local { auth = psk }\n"
                          "  aggressive = yes\n  rekey_tme = 1h\n"
                          "  children { net { mark_in = 1 } }\n }\n}\n")
    want = ["%s:4:3: connections.gw.aggressive: not supported: an IKEv1 setting "
            "(uipsec speaks IKEv2 only) (uipsec takes only no)" % conf,
            "%s:5:3: connections.gw.rekey_tme: unknown option" % conf,
            "%s:6:20: connections.gw.children.net.mark_in: not supported: marks "
            "(uipsec takes only 0 or 0/0x00000000)" % conf]
    p = subprocess.run([uipsecd, "-c", conf, "--check-config"], capture_output=True, text=True)
    check(p.returncode == 1 and p.stderr.splitlines() == want,
          "--check-config: %d %r" % (p.returncode, p.stderr))
    p = subprocess.run([uipsecd, "-c", conf, "--foreground", "--control",
                        os.path.join(tmp, "d.sock")], capture_output=True, text=True, timeout=20)
    # "uipsecd[err]: [CFG] FILE:LINE:COL: ...": each refusal once, as configuration
    lines = [l.split("]: [CFG] ", 1)[-1] for l in p.stderr.splitlines() if conf in l]
    check(p.returncode != 0 and lines == want, "uipsecd start: %d %r" % (p.returncode, p.stderr))
    open(conf, "w").write("connections { gw { local { auth = psk } } }\n"
                          "secrets { ike { secret = s } }\n")
    p = subprocess.run([uipsecd, "-c", conf, "--check-config"], capture_output=True, text=True)
    check(p.returncode == 0 and "1 connection, 1 secret: ok" in p.stdout,
          "--check-config of a good file: %d %r" % (p.returncode, p.stdout))
    p = subprocess.run([uipsecd, "--list-options", "--format", "names"], capture_output=True,
                       text=True)
    check(p.returncode == 0 and "connections.<conn>.children.<child>.esp_proposals\n" in p.stdout,
          "--list-options --format names")
    p = subprocess.run([uipsecd, "--list-options", "--format", "man"], capture_output=True,
                       text=True)
    check(p.returncode == 0 and p.stdout.startswith(".\\\" uipsec-swanctl.conf(5)") and
          "\n.SH REFUSED OPTIONS\n" in p.stdout, "--list-options --format man")
    p = subprocess.run([uipsecd, "--list-options", "--format", "yaml"], capture_output=True,
                       text=True)
    check(p.returncode == 2 and "--format is text, markdown, names, example or man" in p.stderr,
          "--format yaml: %d %r" % (p.returncode, p.stderr))
    p = subprocess.run([uipsecd, "--format", "man"], capture_output=True, text=True)
    check(p.returncode == 2 and "--format goes with --list-options" in p.stderr,
          "--format alone: %d %r" % (p.returncode, p.stderr))

    # without -f the daemon is asked; none listens here
    rc, out, err = run(["--control", os.path.join(tmp, "none.sock"), "xfrm", "state", "list"])
    check(rc == 1 and "cannot connect to uipsecd" in err, "no daemon: %d %r" % (rc, err))


if __name__ == "__main__":
    sys.exit(main())
