#!/usr/bin/python3
"""A relay in the middle of the public link that reorders and duplicates ESP
packets, for scripts/bench_reliability.sh (scenario "reorder").

Usage: bench_rel_relay.py IF_A IF_B STATS_FILE [--reorder-every N]
                          [--depth D] [--dup-every M]

It bridges two interfaces of its namespace in userspace (AF_PACKET, every
frame read on one is written to the other, ARP and IKE included), so the
gateways on either side keep their addresses and see one link. Of the ESP
packets (IPv4 protocol 50, or UDP to or from port 4500 that is neither a
non-ESP-marked IKE message nor a NAT keepalive), per direction:

  - every N-th (default 10) is held back and sent after the next D (default
    3) ESP packets of the same direction: it arrives D places late, well
    inside a replay window of 32; if no further packet comes within 0.2 s it
    is sent anyway (counted as "released in order", not as reordered);
  - every M-th (default 7) that is not held is sent twice, back to back.

SIGUSR1 sets the counters to zero (the benchmark sends it once the tunnel
is up, so that they count the measured pings only). On SIGTERM or SIGINT
it writes what it did to STATS_FILE as "key value"
lines (esp, reordered, released_in_order, duplicated, frames, for both
directions together and per direction "a2b_..." / "b2a_...") and exits.
The kernel of the relay's namespace must not route (no addresses on the
two interfaces). IPv4 UDP checksums are set to 0 on the way (see
udp_csum_off); other frames pass unchanged.
"""
import select
import signal
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
HOLD_TIMEOUT = 0.2


def is_esp(frame):
    """Whether an Ethernet frame carries an IPv4 ESP packet, raw or in UDP."""
    if len(frame) < 14 + 20 or frame[12:14] != b"\x08\x00":
        return False
    ihl = (frame[14] & 0x0F) * 4
    proto = frame[14 + 9]
    if proto == 50:
        return True
    if proto != 17 or len(frame) < 14 + ihl + 8:
        return False
    sport, dport = struct.unpack_from("!HH", frame, 14 + ihl)
    if 4500 not in (sport, dport):
        return False
    payload = frame[14 + ihl + 8:]
    if len(payload) == 1 and payload[0] == 0xFF:
        return False            # NAT-T keepalive
    if len(payload) < 8 or payload[:4] == b"\x00\x00\x00\x00":
        return False            # non-ESP marker: IKE
    return True


def udp_csum_off(frame):
    """The frame with an IPv4 UDP checksum of 0 ("none", RFC 768).

    A packet sent over a veth may carry only a partial checksum (offload:
    the receiving kernel is told it was verified); once it is read and
    written again through AF_PACKET the next kernel would check it and
    drop it. Zero is always valid for UDP over IPv4."""
    if len(frame) < 14 + 20 or frame[12:14] != b"\x08\x00" or frame[14 + 9] != 17:
        return frame
    ihl = (frame[14] & 0x0F) * 4
    frag = struct.unpack_from("!H", frame, 14 + 6)[0] & 0x1FFF
    if frag or len(frame) < 14 + ihl + 8:
        return frame
    b = bytearray(frame)
    b[14 + ihl + 6:14 + ihl + 8] = b"\x00\x00"
    return bytes(b)


class Direction:
    def __init__(self, name, out_sock, every, depth, dup_every):
        self.name, self.out = name, out_sock
        self.every, self.depth, self.dup_every = every, depth, dup_every
        self.n = 0              # ESP packets seen
        self.held = None        # (frame, time held)
        self.after_held = 0     # ESP packets sent since the held one
        self.reset()

    def reset(self):
        self.stats = {"esp": 0, "reordered": 0, "released_in_order": 0,
                      "duplicated": 0, "frames": 0}

    def send(self, frame):
        try:
            self.out.send(frame)
        except OSError:
            pass                # e.g. ENOBUFS: the relay does not retry

    def frame(self, frame):
        self.stats["frames"] += 1
        frame = udp_csum_off(frame)
        if not is_esp(frame):
            self.send(frame)
            return
        self.n += 1
        self.stats["esp"] += 1
        if self.held is None and self.every and self.n % self.every == 0:
            self.held = (frame, time.monotonic())
            self.after_held = 0
            return
        self.send(frame)
        if self.dup_every and self.n % self.dup_every == 0:
            self.send(frame)
            self.stats["duplicated"] += 1
        if self.held is not None:
            self.after_held += 1
            if self.after_held >= self.depth:
                self.send(self.held[0])
                self.stats["reordered"] += 1
                self.held = None

    def tick(self):
        if self.held is not None and time.monotonic() - self.held[1] > HOLD_TIMEOUT:
            self.send(self.held[0])
            if self.after_held:
                self.stats["reordered"] += 1
            else:
                self.stats["released_in_order"] += 1
            self.held = None


def open_if(name):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((name, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    return s


def main():
    args = sys.argv[1:]
    opts = {"--reorder-every": 10, "--depth": 3, "--dup-every": 7}
    pos = []
    while args:
        a = args.pop(0)
        if a in opts and args:
            opts[a] = int(args.pop(0))
        else:
            pos.append(a)
    if len(pos) != 3:
        sys.exit(__doc__)
    if_a, if_b, stats_file = pos
    sa, sb = open_if(if_a), open_if(if_b)
    a2b = Direction("a2b", sb, opts["--reorder-every"], opts["--depth"], opts["--dup-every"])
    b2a = Direction("b2a", sa, opts["--reorder-every"], opts["--depth"], opts["--dup-every"])
    route = {sa.fileno(): (sa, a2b), sb.fileno(): (sb, b2a)}
    done = []
    signal.signal(signal.SIGTERM, lambda *_: done.append(1))
    signal.signal(signal.SIGINT, lambda *_: done.append(1))
    signal.signal(signal.SIGUSR1, lambda *_: (a2b.reset(), b2a.reset()))
    while not done:
        try:
            ready, _, _ = select.select([sa, sb], [], [], 0.05)
        except InterruptedError:
            continue
        for s in ready:
            sock, d = route[s.fileno()]
            try:
                frame, addr = sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                continue
            if addr[2] == PACKET_OUTGOING:
                continue        # our own writes, seen again on this socket
            d.frame(frame)
        a2b.tick()
        b2a.tick()
    with open(stats_file, "w") as f:
        for k in a2b.stats:
            f.write("%s %d\n" % (k, a2b.stats[k] + b2a.stats[k]))
        for d in (a2b, b2a):
            for k, v in d.stats.items():
                f.write("%s_%s %d\n" % (d.name, k, v))


if __name__ == "__main__":
    main()
