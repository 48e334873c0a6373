#!/usr/bin/python3
"""A steady pinger for scripts/bench_reliability.sh: ICMP echo requests to
DST at a fixed rate, every reply logged with its arrival time.

Usage: bench_rel_ping.py DST OUT [--interval 0.01] [--count N] [--seconds S]

iputils ping does not keep a 10 ms interval here (with -i 0.01 it sends
about 60 a second on this kernel), so the benchmark sends its own: request
k (from 1) leaves at start + (k - 1) * interval; when the sender is late by
more than an interval (a stall of the machine) it does not burst to catch
up, it goes on from now. It stops after COUNT requests or SECONDS, or on
SIGINT/SIGTERM, waits one second for the last replies, and exits.

OUT gets one line per event, flushed as it happens (a caller may watch it):
  START WALLTIME    the first request left (time.time(), seconds)
  R WALLTIME SEQ    a reply to request SEQ arrived
  D WALLTIME SEQ    a duplicate reply
  END SENT          the number of requests sent (last line)
IPv4 only; a raw socket (root).
"""
import os
import select
import signal
import socket
import struct
import sys
import time


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def main():
    args = sys.argv[1:]
    opts = {"--interval": 0.01, "--count": 0, "--seconds": 0}
    pos = []
    while args:
        a = args.pop(0)
        if a in opts and args:
            opts[a] = float(args.pop(0))
        else:
            pos.append(a)
    if len(pos) != 2 or opts["--interval"] <= 0:
        sys.exit(__doc__)
    dst, out_path = pos
    interval, count, seconds = opts["--interval"], int(opts["--count"]), opts["--seconds"]
    ident = os.getpid() & 0xFFFF
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    sock.setblocking(False)
    out = open(out_path, "w", buffering=1)
    stop = []
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    payload = b"uipsec-bench" + b"\0" * 44
    got = set()
    sent = 0
    start = time.monotonic()
    nxt = start
    end_send = None

    def receive():
        while True:
            try:
                pkt, addr = sock.recvfrom(2048)
            except (BlockingIOError, InterruptedError):
                return
            if addr[0] != dst or len(pkt) < 28:
                continue
            ihl = (pkt[0] & 0x0F) * 4
            typ, _code, _ck, pid, seq = struct.unpack_from("!BBHHH", pkt, ihl)
            if typ != 0 or pid != ident:
                continue
            now = time.time()
            if seq in got:
                out.write("D %.6f %d\n" % (now, seq))
            else:
                got.add(seq)
                out.write("R %.6f %d\n" % (now, seq))

    while True:
        now = time.monotonic()
        sending = not stop and (count == 0 or sent < count) and (seconds == 0 or now - start < seconds)
        if not sending:
            if end_send is None:
                end_send = now
            if now - end_send >= 1.0:
                break
            timeout = 1.0 - (now - end_send)
        elif now >= nxt:
            sent += 1
            if sent == 1:
                out.write("START %.6f\n" % time.time())
            seq = sent & 0xFFFF
            hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
            ck = checksum(hdr + payload)
            try:
                sock.sendto(struct.pack("!BBHHH", 8, 0, ck, ident, seq) + payload, (dst, 0))
            except OSError:
                pass            # e.g. no route for a moment: counted as lost
            nxt += interval
            if now - nxt > interval:
                nxt = now + interval
            continue
        else:
            timeout = nxt - now
        try:
            r, _, _ = select.select([sock], [], [], timeout)
        except InterruptedError:
            continue
        if r:
            receive()
    receive()
    out.write("END %d\n" % sent)
    out.close()


if __name__ == "__main__":
    main()
