#!/usr/bin/python3
"""What systemd and syslog would see of a service: stand-ins for the
notify socket (sd_notify(3)), the journal socket (its native protocol)
and /dev/log (syslog(3) datagrams), for tests/netns/test_notify.sh,
test_logging.sh and tests/package/.

    sd_listen.py [--notify PATH|@NAME] [--journal PATH] [--syslog PATH]
                 --events FILE
                 [--ready-check CTL UIPSEC CONN] [--ready-log FILE TEXT]

Every datagram becomes one JSON line of FILE (flushed at once):
    {"t": seconds since start, "src": "notify"|"journal"|"syslog",
     "pid": the sender's PID, "msg": text}
With --ready-check, on the first READY=1 the listener stops the sender
(SIGSTOP; its PID comes with the datagram, SO_PASSCRED) so that it gets
little ahead (a Python wake-up is slower than loading a small file, so
the test also reads the STATUS= that READY=1 carries), and checks what
READY=1 promises: with --ready-log, FILE (the
daemon's log) already holds TEXT; the control socket CTL accepts a
connection; UDP port 500 is bound in this network namespace. Then it
lets the sender go on (SIGCONT) and `UIPSEC --control CTL list-conns`
must list CONN. The result is a line {"src": "ready-check", "ok": bool,
"why": text}.
Runs until SIGTERM or SIGINT; prints "listening" on stdout once bound."""
import argparse
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time


def bind_dgram(addr):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if addr.startswith("@"):
        s.bind("\0" + addr[1:])
    else:
        try:
            os.unlink(addr)
        except FileNotFoundError:
            pass
        s.bind(addr)
        os.chmod(addr, 0o777)   # as systemd's: the service may drop privileges
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    return s


def udp500_bound():
    for path in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(path) as f:
                next(f)
                for line in f:
                    local = line.split()[1]
                    if local.rsplit(":", 1)[1] == "01F4":
                        return True
        except FileNotFoundError:
            pass
    return False


def frozen_checks(ctl, log):
    """What must hold while the sender is stopped right after READY=1."""
    if log:
        with open(log[0], errors="replace") as f:
            if log[1] not in f.read():
                return False, "%r not logged yet at READY=1" % log[1]
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        c.connect(ctl)
    except OSError as e:
        return False, "control socket %s does not accept at READY=1: %s" % (ctl, e)
    finally:
        c.close()
    if not udp500_bound():
        return False, "UDP port 500 not bound at READY=1"
    return True, ""


def ready_check(pid, ctl, uipsec, conn, log):
    try:
        os.kill(pid, signal.SIGSTOP)
    except OSError as e:
        return False, "cannot stop the sender %d: %s" % (pid, e)
    try:
        ok, why = frozen_checks(ctl, log)
    finally:
        os.kill(pid, signal.SIGCONT)
    if not ok:
        return ok, why
    try:
        out = subprocess.run([uipsec, "--control", ctl, "list-conns"], capture_output=True,
                             text=True, timeout=10)
    except subprocess.TimeoutExpired:
        return False, "list-conns timed out"
    if out.returncode != 0 or not any(line.startswith(conn + ":")
                                      for line in out.stdout.splitlines()):
        return False, "list-conns at READY=1 does not list %s: %r %r" % (
            conn, out.stdout, out.stderr)
    return True, "log line, control socket, UDP 500 and connection %s there at READY=1" % conn


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--notify")
    ap.add_argument("--journal")
    ap.add_argument("--syslog")
    ap.add_argument("--events", required=True)
    ap.add_argument("--ready-check", nargs=3, metavar=("CTL", "UIPSEC", "CONN"))
    ap.add_argument("--ready-log", nargs=2, metavar=("FILE", "TEXT"))
    a = ap.parse_args()

    socks = {}
    for addr, src in ((a.notify, "notify"), (a.journal, "journal"), (a.syslog, "syslog")):
        if not addr:
            continue
        if not addr.startswith("@"):
            os.makedirs(os.path.dirname(addr), exist_ok=True)
        s = bind_dgram(addr)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        socks[s] = src
    out = open(a.events, "a", buffering=1)
    start = time.monotonic()
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    print("listening", flush=True)
    checked = a.ready_check is None
    while not stop:
        try:
            r, _, _ = select.select(list(socks), [], [], 0.5)
        except InterruptedError:
            continue
        for s in r:
            data, anc, _, _ = s.recvmsg(65536, socket.CMSG_SPACE(12))
            msg = data.decode("utf-8", "replace")
            pid = 0
            for level, typ, cdata in anc:
                if level == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS:
                    pid = int.from_bytes(cdata[0:4], sys.byteorder)
            out.write(json.dumps({"t": round(time.monotonic() - start, 3), "src": socks[s],
                                  "pid": pid, "msg": msg}) + "\n")
            if not checked and socks[s] == "notify" and "READY=1" in msg.split("\n"):
                checked = True
                ok, why = ready_check(pid, *a.ready_check, a.ready_log)
                out.write(json.dumps({"t": round(time.monotonic() - start, 3),
                                      "src": "ready-check", "ok": ok, "why": why}) + "\n")
    out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
