#!/usr/bin/python3
"""Send IKE_SA_INIT requests of exact sizes and report which were answered
(tests/netns/test_ike_big.sh; issue 15 item 1).

  ike_big.py DST PORT SIZE...   one request of SIZE bytes (the IKE message,
                                without the non-ESP marker) each, from a
                                socket bound to PORT (500, or 4500 with the
                                RFC 3948 marker in front); prints
                                "SIZE answered" or "SIZE unanswered"

Each request is a well-formed IKE_SA_INIT (RFC 7296 1.2): SA with one
proposal aes256gcm16-prfsha256-x25519, KE (group 31, 32 random bytes), a
32-byte nonce, and a Vendor ID payload padded so that the message is SIZE
bytes long. "Answered" is any IKE response carrying our SPIi (an
IKE_SA_INIT response, a COOKIE or an error notify all show that the
message was received whole and parsed). Exit 0 always; the caller judges.
"""
import os
import socket
import struct
import sys


def transform(last, ttype, tid, attrs=b""):
    body = struct.pack("!BBH", ttype, 0, tid) + attrs
    return struct.pack("!BBH", 0 if last else 3, 0, 4 + len(body)) + body


def payload(next_pl, body):
    return struct.pack("!BBH", next_pl, 0, 4 + len(body)) + body


def sa_init(size, spi_i):
    trans = (transform(False, 1, 20, struct.pack("!HH", 0x800E, 256)) +   # ENCR AES-GCM-16, 256
             transform(False, 2, 5) +                                      # PRF HMAC-SHA2-256
             transform(True, 4, 31))                                       # DH curve25519
    prop = struct.pack("!BBHBBBB", 0, 0, 8 + len(trans), 1, 1, 0, 3) + trans
    sa = payload(34, prop)                                 # next: KE
    ke = payload(40, struct.pack("!HH", 31, 0) + os.urandom(32))   # next: Nonce
    nonce = payload(43, os.urandom(32))                    # next: Vendor ID
    fixed = 28 + len(sa) + len(ke) + len(nonce) + 4
    if size < fixed or size - fixed > 65535 - 4:
        sys.exit("size %d out of range (%d..)" % (size, fixed))
    vid = payload(0, b"uipsec-big-test:" .ljust(size - fixed, b"v")[: size - fixed])
    body = sa + ke + nonce + vid
    hdr = spi_i + bytes(8) + struct.pack("!BBBBII", 33, 0x20, 34, 0x08, 0, 28 + len(body))
    msg = hdr + body
    assert len(msg) == size
    return msg


def main():
    dst, port = sys.argv[1], int(sys.argv[2])
    for size in (int(a) for a in sys.argv[3:]):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        s.bind(("0.0.0.0", port))
        s.settimeout(2.0)
        spi_i = os.urandom(8)
        msg = sa_init(size, spi_i)
        marker = bytes(4) if port == 4500 else b""
        s.sendto(marker + msg, (dst, port))
        answered = False
        try:
            while True:
                d, _ = s.recvfrom(70000)
                if marker and d[:4] == marker:
                    d = d[4:]
                if len(d) >= 28 and d[:8] == spi_i and d[19] & 0x20:
                    answered = True
                    break
        except socket.timeout:
            pass
        s.close()
        print("%d %s" % (size, "answered" if answered else "unanswered"), flush=True)


main()
