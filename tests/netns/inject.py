#!/usr/bin/python3
"""Send crafted ESP packets from a gateway namespace (test_drops.sh).

  inject.py replay PCAP     resend the first a->b ESP packet of PCAP as is
  inject.py flip PCAP       the same packet with one bit of its sequence number flipped
  inject.py spi SPI         an ESP packet for an SPI nobody has
  inject.py seal SPI KEYHEX SRC DST   a valid ESP (AES-GCM-128, tunnel mode)
                            packet from 192.0.2.1 to 192.0.2.2 carrying an
                            ICMP echo SRC -> DST, sealed with KEYHEX
"""
import sys

from scapy.all import IP, ICMP, Raw, rdpcap, send
from scapy.layers.ipsec import ESP, SecurityAssociation


def first_esp(path):
    for p in rdpcap(path):
        if IP in p and p[IP].proto == 50 and p[IP].src == "192.0.2.1":
            return IP(bytes(p[IP]))
    sys.exit("no a->b ESP packet in " + path)


mode = sys.argv[1]
if mode == "replay":
    pkt = first_esp(sys.argv[2])
elif mode == "flip":
    pkt = first_esp(sys.argv[2])
    b = bytearray(bytes(pkt))
    # A bit of the sequence number: the packet is new to the replay window
    # (which is checked first, RFC 4303 3.4.3) but the sequence number is
    # authenticated, so the ICV check fails.
    b[20 + 4 + 1] ^= 0x10
    pkt = IP(bytes(b))
elif mode == "spi":
    pkt = IP(src="192.0.2.1", dst="192.0.2.2", proto=50) / Raw(
        int(sys.argv[2], 0).to_bytes(4, "big") + (1).to_bytes(4, "big") + bytes(64))
elif mode == "seal":
    spi, key, src, dst = int(sys.argv[2], 0), bytes.fromhex(sys.argv[3][2:]), sys.argv[4], sys.argv[5]
    sa = SecurityAssociation(ESP, spi=spi, crypt_algo="AES-GCM", crypt_key=key,
                             tunnel_header=IP(src="192.0.2.1", dst="192.0.2.2"))
    pkt = sa.encrypt(IP(src=src, dst=dst) / ICMP() / Raw(b"x" * 32), seq_num=1)
else:
    sys.exit("unknown mode " + mode)
send(pkt, verbose=False)
