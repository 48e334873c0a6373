#!/usr/bin/python3
"""uipsec's ESP against scapy's (scapy.layers.ipsec.SecurityAssociation), an
independent implementation, in both directions.

For each configuration (algorithm x tunnel/transport x IPv4/IPv6 outer x
UDP encapsulation x ESN where scapy supports it), scapy encrypts packets of
several sizes that $UIPSEC_BUILD/tests/esp_tool decrypts (inner packets must
come back byte for byte), and esp_tool encrypts packets that scapy decrypts.
A tampered packet and a replayed one must be dropped by esp_tool.

Scapy supports ESN only for AEADs (it leaves the high bits out of the HMAC),
so ESN runs with AES-GCM and ChaCha20-Poly1305 only.
Exit status: 0 pass, 1 fail, 77 skip (no scapy or no esp_tool).
"""
import os
import struct
import subprocess
import sys
import tempfile

try:
    from scapy.layers.inet import IP, UDP
    from scapy.layers.inet6 import IPv6
    from scapy.layers.ipsec import ESP, SecurityAssociation
    from scapy.packet import Raw
except ImportError as e:  # pragma: no cover
    print("skip: scapy not available: %s" % e)
    sys.exit(77)

from uipsec_testlib import BUILD, failures, check

TOOL = os.path.join(BUILD, "tests", "esp_tool")

# (label, scapy crypt, scapy auth, ip xfrm arguments, key len, auth key len)
ALGS = [
    ("aes128gcm", "AES-GCM", None, ["--aead", "rfc4106(gcm(aes))", "--icv", "128"], 20, 0),
    ("aes256gcm", "AES-GCM", None, ["--aead", "rfc4106(gcm(aes))", "--icv", "128"], 36, 0),
    ("chacha20poly1305", "CHACHA20-POLY1305", None,
     ["--aead", "rfc7539esp(chacha20,poly1305)", "--icv", "128"], 36, 0),
    ("aes128cbc-sha256", "AES-CBC", "SHA2-256-128",
     ["--enc", "cbc(aes)", "--auth", "hmac(sha256)", "--trunc", "128"], 16, 32),
    ("aes256cbc-sha512", "AES-CBC", "SHA2-512-256",
     ["--enc", "cbc(aes)", "--auth", "hmac(sha512)", "--trunc", "256"], 32, 64),
    ("aes128cbc-sha1", "AES-CBC", "HMAC-SHA1-96",
     ["--enc", "cbc(aes)", "--auth", "hmac(sha1)", "--trunc", "96"], 16, 20),
]

SIZES = [0, 1, 3, 16, 33, 100, 512, 1400]
SPI = 0x0A0B0C0D
ADDRS = {4: ("192.0.2.1", "192.0.2.2"), 6: ("2001:db8::1", "2001:db8::2")}
INNER = {4: ("10.1.0.2", "10.2.0.2"), 6: ("fd00:1::2", "fd00:2::2")}


def write_records(path, pkts):
    with open(path, "wb") as f:
        for p in pkts:
            f.write(struct.pack("!I", len(p)) + p)


def read_records(path):
    out = []
    with open(path, "rb") as f:
        data = f.read()
    i = 0
    while i < len(data):
        (n,) = struct.unpack("!I", data[i:i + 4])
        out.append(data[i + 4:i + 4 + n])
        i += 4 + n
    return out


def run_tool(args, pkts, tmp):
    src, dst = os.path.join(tmp, "in"), os.path.join(tmp, "out")
    write_records(src, pkts)
    r = subprocess.run([TOOL] + args + [src, dst], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("esp_tool failed: %s" % r.stderr.strip())
    return r.stdout.split(), read_records(dst)


def inner_packet(fam, mode, size, i):
    """An inner packet whose header esp_input rebuilds exactly in transport
    mode (id 0, TTL 64, no options)."""
    payload = bytes((i + k) & 0xFF for k in range(size))
    if mode == "transport":
        s, d = ADDRS[fam]
    else:
        s, d = INNER[fam]
    if fam == 4:
        return IP(src=s, dst=d, id=0, ttl=64, proto=253) / Raw(payload)
    return IPv6(src=s, dst=d, hlim=64, nh=253) / Raw(payload)


def one_config(alg, mode, fam, encap, esn, tmp):
    label, crypt, auth, tool_args, klen, aklen = alg
    key = bytes((7 * k + 1) & 0xFF for k in range(klen))
    akey = bytes((5 * k + 3) & 0xFF for k in range(aklen))
    s, d = ADDRS[fam]
    name = "%s %s ipv%d%s%s" % (label, mode, fam, " udp" if encap else "", " esn" if esn else "")
    esn_hi = 1 if esn else 0
    start_lo = 0xFFFFFFF0 if esn else 1

    def scapy_sa():
        kw = dict(crypt_algo=crypt, crypt_key=key, esn_en=bool(esn), esn=esn_hi)
        if auth:
            kw.update(auth_algo=auth, auth_key=akey)
        if mode == "tunnel":
            kw["tunnel_header"] = IP(src=s, dst=d) if fam == 4 else IPv6(src=s, dst=d)
        if encap:
            kw["nat_t_header"] = UDP(sport=4500, dport=4500)
        return SecurityAssociation(ESP, spi=SPI, seq_num=start_lo, **kw)

    args = list(tool_args) + ["--key", key.hex(), "--spi", "%x" % SPI, "--src", s, "--dst", d,
                              "--mode", mode]
    if auth:
        args += ["--akey", akey.hex()]
    if esn:
        args += ["--esn"]
    if encap:
        args += ["--encap", "4500:4500"]
    inners = [inner_packet(fam, mode, n, i) for i, n in enumerate(SIZES)]
    # in transport mode scapy keeps the IP header: give it the SA's addresses
    originals = [bytes(p) for p in inners]

    # 1. scapy encrypts, uipsec decrypts
    sa = scapy_sa()
    wire = []
    for p in inners:
        pkt = IP(bytes(p)) if fam == 4 else IPv6(bytes(p))
        wire.append(bytes(sa.encrypt(pkt)))
    first_seq = (esn_hi << 32) + start_lo
    verdicts, got = run_tool(["decrypt"] + args + ["--replay-top", str(first_seq - 1)],
                             wire, tmp)
    for i, (v, g, o) in enumerate(zip(verdicts, got, originals)):
        if not check(v == "ok", "%s: scapy->uipsec packet %d (%d bytes): %s"
                     % (name, i, SIZES[i], v)):
            continue
        check(g == o, "%s: scapy->uipsec packet %d: inner packet differs" % (name, i))

    # tampered (a bit in the last byte: ICV) and replayed packets are dropped
    bad = bytearray(wire[2])
    bad[-1] ^= 1
    verdicts, _ = run_tool(["decrypt"] + args + ["--replay-top", str(first_seq - 1)],
                           [bytes(bad), wire[2], wire[2]], tmp)
    check(verdicts == ["auth-failed", "ok", "replay"],
          "%s: tamper/replay verdicts %s" % (name, verdicts))

    # 2. uipsec encrypts, scapy decrypts
    sa = scapy_sa()
    verdicts, wire = run_tool(["encrypt"] + args + ["--oseq", str(first_seq - 1)],
                              originals, tmp)
    for i, (v, w, o) in enumerate(zip(verdicts, wire, originals)):
        if not check(v == "ok", "%s: uipsec encrypt packet %d: %s" % (name, i, v)):
            continue
        outer = IP(w) if fam == 4 else IPv6(w)
        if encap:
            if not check(UDP in outer and outer[UDP].dport == 4500,
                         "%s: uipsec->scapy packet %d not in UDP/4500" % (name, i)):
                continue
            if fam == 4:
                check(outer[UDP].chksum == 0, "%s: UDP checksum not 0 over IPv4" % name)
        esp = outer[ESP]
        check(esp.spi == SPI and esp.seq == (start_lo + i) & 0xFFFFFFFF,
              "%s: packet %d SPI/seq %x/%d" % (name, i, esp.spi, esp.seq))
        try:
            # scapy wants ESP right after IP: drop the UDP header first
            if encap:
                outer = (IP(src=outer.src, dst=outer.dst) if fam == 4 else
                         IPv6(src=outer.src, dst=outer.dst)) / esp
                outer = IP(bytes(outer)) if fam == 4 else IPv6(bytes(outer))
                sa_dec = scapy_sa()
                sa_dec.nat_t_header = None
            else:
                sa_dec = sa
            dec = sa_dec.decrypt(outer)
        except Exception as e:  # noqa: BLE001 - report whatever scapy raised
            check(False, "%s: scapy cannot decrypt packet %d: %r" % (name, i, e))
            continue
        if mode == "tunnel":
            check(bytes(dec) == o, "%s: uipsec->scapy packet %d: inner differs" % (name, i))
        else:
            want = IP(o) if fam == 4 else IPv6(o)
            check(bytes(dec.payload) == bytes(want.payload),
                  "%s: uipsec->scapy packet %d: payload differs" % (name, i))
            check((dec.proto if fam == 4 else dec.nh) == 253,
                  "%s: packet %d: protocol" % (name, i))


def main():
    if not os.access(TOOL, os.X_OK):
        print("skip: %s not built" % TOOL)
        return 77
    n = bad = 0
    with tempfile.TemporaryDirectory(prefix="uipsec-scapy-") as tmp:
        for alg in ALGS:
            for mode in ("tunnel", "transport"):
                for fam in (4, 6):
                    for encap in (False, True):
                        for esn in (False, True):
                            if esn and alg[2]:
                                continue   # scapy: no ESN with HMAC
                            before = len(failures)
                            one_config(alg, mode, fam, encap, esn, tmp)
                            n += 1
                            bad += len(failures) > before
    print("configurations (each both directions, tamper and replay):")
    print("%d passed, %d failed" % (n - bad, bad))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
