#!/usr/bin/python3
"""uipsec pcap decrypt|encrypt against scapy's ESP (an independent
implementation), in both directions.

decrypt: scapy encrypts inner packets with SecurityAssociation (AES-GCM,
AES-CBC + HMAC-SHA256, ChaCha20-Poly1305; tunnel and transport; IPv4 and
IPv6; raw ESP and UDP 4500; ESN with an AEAD: scapy 2.5 leaves the high
sequence bits out of the HMAC input of ESP, RFC 4303 section 2.2.1 puts
them in, so ESN with HMAC cannot be checked against it), writes them to pcap and pcapng files
with various link types, adds a replay, a forged ICV, an unknown SPI, IKE
and a NAT-T keepalive; uipsec must recover exactly the inner packets and
print the right verdict for each.

encrypt: uipsec encrypts a pcap of inner packets; scapy must decrypt every
ESP packet back to the original. tshark (if installed) must read our
output files.
"""
import os
import shutil
import subprocess
import sys
import tempfile

from scapy.all import (IP, IPv6, TCP, UDP, ICMP, Ether, Dot1Q, Raw, CookedLinux,
                       wrpcap, rdpcap, raw)
from scapy.layers.ipsec import ESP, SecurityAssociation
from scapy.utils import PcapNgWriter

from uipsec_testlib import UIPSEC, check, run, report


GCM_KEY = bytes(range(1, 21))                 # 16-byte key + 4-byte salt
CBC_KEY = bytes(range(16))
SHA_KEY = bytes(range(32))
CHACHA_KEY = bytes(range(32, 68))             # 32-byte key + 4-byte salt

def inner_packets(family, n, base=0):
    out = []
    for i in range(n):
        if family == 4:
            pl = b"uipsec-%d" % (base + i) + bytes(i * 37 % 300)
            if i % 2:
                out.append(IP(src="10.1.0.2", dst="10.2.0.2", id=i) / UDP(sport=1000 + i, dport=53) / Raw(pl))
            else:
                out.append(IP(src="10.1.0.2", dst="10.2.0.2", id=i) / ICMP(id=7, seq=i) / Raw(pl))
        else:
            out.append(IPv6(src="2001:db8:1::2", dst="2001:db8:2::2") /
                       TCP(sport=40000 + i, dport=80, flags="S") / Raw(b"v6-%d" % i))
    # scapy fills in lengths and checksums on raw()
    return [IP(raw(p)) if family == 4 else IPv6(raw(p)) for p in out]


def main():
    if not os.access(UIPSEC, os.X_OK):
        print("uipsec binary not found at", UIPSEC)
        return 1
    tmp = tempfile.mkdtemp(prefix="test_pcap_tool.")
    try:
        return body(tmp)
    finally:
        shutil.rmtree(tmp)


def body(tmp):
    states = os.path.join(tmp, "states")
    with open(states, "w") as f:
        f.write("# states for the pcap tool test\n")
        # 1: AES-GCM tunnel, IPv4, raw ESP
        f.write("ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1001 reqid 1 "
                "mode tunnel replay-window 32 aead 'rfc4106(gcm(aes))' 0x%s 128\n" % GCM_KEY.hex())
        # 2: AES-CBC + HMAC-SHA256-128 tunnel, UDP-encapsulated
        f.write("xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1002 reqid 2 "
                "mode tunnel replay-window 128 enc 'cbc(aes)' 0x%s "
                "auth-trunc 'hmac(sha256)' 0x%s 128 encap espinudp 4500 4500 0.0.0.0\n"
                % (CBC_KEY.hex(), SHA_KEY.hex()))
        # 3: ChaCha20-Poly1305 transport, IPv6
        f.write("ip xfrm state add src 2001:db8:1::2 dst 2001:db8:2::2 proto esp spi 0x1003 "
                "mode transport replay-window 64 "
                "aead 'rfc7539esp(chacha20,poly1305)' 0x%s 128\n" % CHACHA_KEY.hex())
        # 4: AES-GCM with ESN, the window already in the second 2^32 subspace
        f.write("ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1004 "
                "mode tunnel flag esn replay-window 64 replay-seq-hi 1 "
                "aead 'rfc4106(gcm(aes))' 0x%s 128\n" % GCM_KEY.hex())

    sa1 = SecurityAssociation(ESP, spi=0x1001, crypt_algo="AES-GCM", crypt_key=GCM_KEY,
                              tunnel_header=IP(src="192.0.2.1", dst="192.0.2.2"))
    sa2 = SecurityAssociation(ESP, spi=0x1002, crypt_algo="AES-CBC", crypt_key=CBC_KEY,
                              auth_algo="SHA2-256-128", auth_key=SHA_KEY,
                              tunnel_header=IP(src="192.0.2.1", dst="192.0.2.2"),
                              nat_t_header=UDP(sport=4500, dport=4500))
    sa4 = SecurityAssociation(ESP, spi=0x1004, crypt_algo="AES-GCM", crypt_key=GCM_KEY,
                              tunnel_header=IP(src="192.0.2.1", dst="192.0.2.2"),
                              esn_en=True, esn=1)
    sa3 = SecurityAssociation(ESP, spi=0x1003, crypt_algo="CHACHA20-POLY1305",
                              crypt_key=CHACHA_KEY)

    in4 = inner_packets(4, 6)
    in4b = inner_packets(4, 4, base=100)
    in6 = inner_packets(6, 3)

    frames = []      # (outer packet, expected verdict, expected inner or None)
    for i, p in enumerate(in4):
        frames.append((sa1.encrypt(p, seq_num=i + 1), "ok spi 0x00001001 seq %d" % (i + 1), p))
    # replay of seq 3
    frames.append((sa1.encrypt(in4[2], seq_num=3), "replay spi 0x00001001 seq 3", None))
    # forged ICV
    forged = bytearray(raw(sa1.encrypt(in4[0], seq_num=50)))
    forged[-1] ^= 1
    frames.append((IP(bytes(forged)), "auth failed spi 0x00001001 seq 50", None))
    for i, p in enumerate(in4b):
        frames.append((sa2.encrypt(p, seq_num=i + 1), "ok spi 0x00001002 seq %d" % (i + 1), p))
    # ESN: the high half (1) of the sequence number is not on the wire
    for i, p in enumerate(in4[:2]):
        frames.append((sa4.encrypt(p, seq_num=i + 1), "ok spi 0x00001004 seq %d" % (i + 1), p))
    for i, p in enumerate(in6):
        frames.append((sa3.encrypt(p, seq_num=i + 1), "ok spi 0x00001003 seq %d" % (i + 1), p))
    # unknown SPI, IKE on 4500 (non-ESP marker), NAT-T keepalive, plain UDP
    frames.append((IP(src="192.0.2.1", dst="192.0.2.2") / ESP(spi=0x9999, seq=1) / Raw(bytes(40)),
                   "no state spi 0x00009999 dst 192.0.2.2", None))
    frames.append((IP(src="192.0.2.1", dst="192.0.2.2") / UDP(sport=4500, dport=4500) /
                   Raw(bytes(4) + b"IKE-message-here"), "skipped (not esp (IKE, non-ESP marker))", None))
    frames.append((IP(src="192.0.2.1", dst="192.0.2.2") / UDP(sport=4500, dport=4500) / Raw(b"\xff"),
                   "skipped (not esp (NAT-T keepalive))", None))
    # ESP shorter than its header
    frames.append((IP(src="192.0.2.1", dst="192.0.2.2", proto=50) / Raw(b"\x00\x00\x10"),
                   "malformed (ESP header truncated)", None))
    # ESP shorter than IV + ICV
    frames.append((IP(src="192.0.2.1", dst="192.0.2.2") / ESP(spi=0x1001, seq=60) / Raw(bytes(10)),
                   "malformed", None))

    expected_inner = [raw(x[2]) for x in frames if x[2] is not None]
    n_ok = len(expected_inner)

    variants = {
        "eth.pcap": ("pcap", lambda f: [Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / f[0]
                                        for f in frames]),
        "vlan.pcapng": ("pcapng", lambda f: [Ether() / Dot1Q(vlan=42) / f[0] for f in frames]),
        "sll.pcap": ("pcap", lambda f: [CookedLinux(proto=0x800 if IP in f[0] and f[0].version == 4
                                                    else 0x86dd) / f[0] for f in frames]),
    }
    for name, (fmt, build) in variants.items():
        path = os.path.join(tmp, name)
        pkts = build(frames)
        if fmt == "pcap":
            wrpcap(path, pkts)
        else:
            w = PcapNgWriter(path)
            for p in pkts:
                w.write(p)
            w.close()
        out = os.path.join(tmp, name + ".out.pcap")
        rc, so, se = run(["pcap", "decrypt", "--states", states, path, out])
        check(rc == 0, "%s: exit %d: %s" % (name, rc, se))
        lines = [l for l in so.splitlines() if l.startswith("#")]
        check(len(lines) == len(frames), "%s: %d verdicts for %d packets" % (name, len(lines), len(frames)))
        for i, (line, fr) in enumerate(zip(lines, frames)):
            want = "#%d %s" % (i + 1, fr[1])
            check(line.startswith(want), "%s: packet %d: got %r, want %r" % (name, i + 1, line, want))
        check("%d packets: %d ok, 1 no state, 1 auth failed, 1 replay, 2 malformed"
              % (len(frames), n_ok) in so, "%s: summary line wrong:\n%s" % (name, so))
        check("XfrmInNoStates          \t1" in so, "%s: XfrmInNoStates not 1" % name)
        check("XfrmInStateSeqError     \t1" in so, "%s: XfrmInStateSeqError not 1" % name)
        check("XfrmInStateProtoError   \t1" in so, "%s: XfrmInStateProtoError not 1" % name)
        got = [raw(p) for p in rdpcap(out)]
        check(got == expected_inner, "%s: decrypted packets differ from scapy's inner packets" % name)

    # A truncated capture: what came before is processed, then a clean error.
    path = os.path.join(tmp, "eth.pcap")
    data = open(path, "rb").read()
    cut = os.path.join(tmp, "cut.pcap")
    open(cut, "wb").write(data[:len(data) - 7])
    rc, so, se = run(["pcap", "decrypt", "--states", states, cut, os.path.join(tmp, "cut.out")])
    check(rc == 1 and "truncated pcap record" in so + se, "truncated capture: rc %d %r %r" % (rc, so, se))

    # A bad state file names its line.
    bad = os.path.join(tmp, "bad")
    open(bad, "w").write("# ok\n\nip xfrm state add src 1.1.1.1 dst 2.2.2.2 proto esp spi 0x1000 "
                         "enc 'cbc(foo)' 0x00 auth-trunc 'hmac(sha1)' 0x00 96\n")
    rc, so, se = run(["pcap", "decrypt", "--states", bad, path, os.path.join(tmp, "x.out")])
    check(rc != 0 and se.startswith("Error: %s:3: unknown enc algorithm 'cbc(foo)'" % bad),
          "bad state file: %r" % se)

    # encrypt: uipsec encrypts, scapy decrypts.
    enc_states = os.path.join(tmp, "enc_states")
    with open(enc_states, "w") as f:
        f.write("ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x2001 reqid 1 "
                "mode tunnel flag esn replay-oseq-hi 1 replay-oseq 5 replay-seq-hi 1 "
                "aead 'rfc4106(gcm(aes))' 0x%s 128\n" % GCM_KEY.hex())
        f.write("ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x2002 reqid 2 "
                "mode tunnel enc 'cbc(aes)' 0x%s "
                "auth-trunc 'hmac(sha256)' 0x%s 128 encap espinudp 4500 4500 0.0.0.0\n"
                % (CBC_KEY.hex(), SHA_KEY.hex()))
        f.write("ip xfrm state add src 2001:db8:1::2 dst 2001:db8:2::2 proto esp spi 0x2003 "
                "mode transport aead 'rfc7539esp(chacha20,poly1305)' 0x%s 128\n" % CHACHA_KEY.hex())
        f.write("ip xfrm policy add src 10.1.0.0/24 dst 10.2.0.0/24 proto icmp dir out "
                "tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 1 mode tunnel\n")
        f.write("ip xfrm policy add src 10.1.0.0/24 dst 10.2.0.0/24 proto udp dir out "
                "tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 2 mode tunnel\n")
        f.write("ip xfrm policy add src 2001:db8:1::/48 dst 2001:db8:2::/48 dir out "
                "tmpl proto esp mode transport\n")
    plain = inner_packets(4, 6) + inner_packets(6, 3)
    pin = os.path.join(tmp, "plain.pcap")
    wrpcap(pin, plain, linktype=101)
    pout = os.path.join(tmp, "enc.pcap")
    rc, so, se = run(["pcap", "encrypt", "--states", enc_states, pin, pout])
    check(rc == 0, "encrypt: exit %d: %s" % (rc, se))
    check(so.count(" ok spi ") == len(plain), "encrypt: verdicts:\n%s" % so)
    sa_gcm = SecurityAssociation(ESP, spi=0x2001, crypt_algo="AES-GCM", crypt_key=GCM_KEY,
                                 tunnel_header=IP(src="192.0.2.1", dst="192.0.2.2"),
                                 esn_en=True, esn=1)
    sa_cbc = SecurityAssociation(ESP, spi=0x2002, crypt_algo="AES-CBC", crypt_key=CBC_KEY,
                                 auth_algo="SHA2-256-128", auth_key=SHA_KEY,
                                 tunnel_header=IP(src="192.0.2.1", dst="192.0.2.2"),
                                 nat_t_header=UDP(sport=4500, dport=4500))
    sa_cc = SecurityAssociation(ESP, spi=0x2003, crypt_algo="CHACHA20-POLY1305",
                                crypt_key=CHACHA_KEY)
    outs = rdpcap(pout)
    check(len(outs) == len(plain), "encrypt: %d packets out for %d in" % (len(outs), len(plain)))
    for i, (o, p) in enumerate(zip(outs, plain)):
        pkt = IP(raw(o)) if raw(o)[0] >> 4 == 4 else IPv6(raw(o))
        if p.version == 6:
            sa = sa_cc
        elif UDP in p:
            sa = sa_cbc
            check(UDP in pkt and pkt[UDP].dport == 4500, "encrypt #%d: not UDP-encapsulated" % (i + 1))
        else:
            sa = sa_gcm
        try:
            dec = sa.decrypt(pkt)
        except Exception as e:   # scapy raises on a bad ICV
            check(False, "encrypt #%d: scapy cannot decrypt: %s" % (i + 1, e))
            continue
        check(raw(dec) == raw(p), "encrypt #%d: scapy's decryption differs from the input" % (i + 1))

    # round trip through ourselves too: encrypt then decrypt gives the input back
    back = os.path.join(tmp, "back.pcap")
    rc, so, se = run(["pcap", "decrypt", "--states", enc_states, pout, back])
    check(rc == 0 and [raw(p) for p in rdpcap(back)] == [raw(p) for p in plain],
          "encrypt+decrypt round trip: %s %s" % (so, se))

    if shutil.which("tshark"):
        for f in (pout, os.path.join(tmp, "eth.pcap.out.pcap")):
            p = subprocess.run(["tshark", "-r", f, "-T", "fields", "-e", "frame.number"],
                               capture_output=True, text=True)
            check(p.returncode == 0 and len(p.stdout.split()) > 0,
                  "tshark cannot read %s: %s" % (f, p.stderr))
    else:
        print("tshark not installed: skipping the tshark check")

    return report()


if __name__ == "__main__":
    sys.exit(main())
