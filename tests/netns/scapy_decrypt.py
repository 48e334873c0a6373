#!/usr/bin/python3
"""Decrypt the ESP packets of a capture with scapy's ESP (an independent
implementation) and check that each holds an ICMP echo between hosta and
hostb. Used by test_captures.sh; exits 1 on any failure."""
import argparse
import sys

from scapy.all import IP, UDP, ICMP, rdpcap
from scapy.layers.ipsec import ESP, SecurityAssociation

ap = argparse.ArgumentParser()
ap.add_argument("pcap")
ap.add_argument("--crypt", required=True)
ap.add_argument("--key-ab", required=True)
ap.add_argument("--key-ba", required=True)
ap.add_argument("--auth")
ap.add_argument("--akey-ab")
ap.add_argument("--akey-ba")
ap.add_argument("--udp", action="store_true")
a = ap.parse_args()


def sa(spi, key, akey, src, dst):
    kw = dict(crypt_algo=a.crypt, crypt_key=bytes.fromhex(key[2:]),
              tunnel_header=IP(src=src, dst=dst))
    if a.auth:
        kw.update(auth_algo=a.auth, auth_key=bytes.fromhex(akey[2:]))
    if a.udp:
        kw["nat_t_header"] = UDP(sport=4500, dport=4500)
    return SecurityAssociation(ESP, spi=spi, **kw)


n = 0
for p in rdpcap(a.pcap):
    if IP not in p:
        continue
    ip = p[IP]
    if a.udp:
        if UDP not in ip or ip[UDP].dport != 4500:
            continue
        spi = int.from_bytes(bytes(ip[UDP].payload)[:4], "big")
        # scapy wants IP/UDP/ESP: re-dissect the UDP payload as ESP
        pkt = IP(bytes(ip))
        pkt[UDP].remove_payload()
        pkt = pkt / ESP(bytes(ip[UDP].payload))
    else:
        if ip.proto != 50:
            continue
        pkt = IP(bytes(ip))
        spi = pkt[ESP].spi
    if ip.src == "192.0.2.1":
        s = sa(spi, a.key_ab, a.akey_ab, "192.0.2.1", "192.0.2.2")
    else:
        s = sa(spi, a.key_ba, a.akey_ba, "192.0.2.2", "192.0.2.1")
    seq = pkt[ESP].seq
    inner = s.decrypt(pkt)
    if ICMP not in inner or {inner.src, inner.dst} != {"10.1.0.2", "10.2.0.2"}:
        print("unexpected inner packet:", inner.summary())
        sys.exit(1)
    print("    scapy: spi 0x%08x seq %d -> %s" % (spi, seq, inner.summary()))
    n += 1
if n < 6:
    print("only %d ESP packets decrypted" % n)
    sys.exit(1)
