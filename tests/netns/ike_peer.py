#!/usr/bin/python3
"""A minimal IKEv2 initiator for hostile-input tests against a live uipsecd
(tests/netns/test_ike_hostile.sh): IKE_SA_INIT with x25519, AES-GCM-16-256
and PRF-HMAC-SHA256 (the keys derived as RFC 7296 2.14 says), then
SK-protected messages of the test's choosing, correctly encrypted with the
SA's keys, so that what lies behind the integrity check is reached. An
independent implementation (Python's cryptography), written for tests only.

  ike_peer.py CASE PSK      one case (below); prints "ok ..." lines and
                            exits 0, or prints "FAIL ..." and exits 1

Cases:
  info-before-auth   Delete(IKE) and an empty INFORMATIONAL after
                     IKE_SA_INIT: no answer (RFC 7296 1.2); then IKE_AUTH
                     with message ID 1 succeeds
  unknown-type       a proposal with transform type 255 alone:
                     NO_PROPOSAL_CHOSEN; a proposal with type 6 (ADDKE1)
                     before a good one: the good one (number 2) is chosen
  childless          IKE_AUTH without SA, TSi, TSr: IDr and AUTH, no error
  no-tsr             IKE_AUTH without TSr: TS_UNACCEPTABLE, IKE SA up
  bad-ts             IKE_AUTH with a malformed TSi: INVALID_SYNTAX alone
"""
import hashlib
import hmac
import os
import socket
import struct
import sys

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives import serialization

# IKE_PEER_PORT: another local port (beside a uipsecd on the same host)
LOCAL, REMOTE = ("192.0.2.1", int(os.environ.get("IKE_PEER_PORT", "500"))), ("192.0.2.2", 500)
IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL = 34, 35, 36, 37
SA, KE, IDI, IDR, AUTH, NONCE, NOTIFY, DELETE, TSI, TSR, SK = 33, 34, 35, 36, 39, 40, 41, 42, 44, 45, 46
N = {"INVALID_SYNTAX": 7, "NO_PROPOSAL_CHOSEN": 14, "AUTHENTICATION_FAILED": 24,
     "TS_UNACCEPTABLE": 38, "CHILDLESS_IKEV2_SUPPORTED": 16418}
FLAG_I, FLAG_R = 0x08, 0x20


def fail(msg):
    print("FAIL " + msg)
    sys.exit(1)


def prf(key, data):
    return hmac.new(key, data, hashlib.sha256).digest()


def prf_plus(key, seed, n):
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = prf(key, t + seed + bytes([i]))
        out += t
        i += 1
    return out[:n]


def transform(ttype, tid, keylen=None, last=False):
    attr = struct.pack("!HH", 0x800E, keylen) if keylen else b""
    return struct.pack("!BBHBBH", 0 if last else 3, 0, 8 + len(attr), ttype, 0, tid) + attr


def proposal(num, proto, transforms, spi=b"", last=True):
    body = b"".join(transform(*t, last=(i == len(transforms) - 1)) for i, t in enumerate(transforms))
    return struct.pack("!BBHBBBB", 0 if last else 2, 0, 8 + len(spi) + len(body), num, proto,
                       len(spi), len(transforms)) + spi + body


# ENCR_AES_GCM_16 256, PRF_HMAC_SHA2_256, DH 31 (x25519)
IKE_GOOD = [(1, 20, 256), (2, 5), (4, 31)]
# ESP: ENCR_AES_GCM_16 128, no ESN
ESP_GOOD = [(1, 20, 128), (5, 0)]


def payloads(first, chain):
    """[(type, body)] of a payload chain."""
    out, t, off = [], first, 0
    while t and off + 4 <= len(chain):
        nxt, _, ln = struct.unpack_from("!BBH", chain, off)
        out.append((t, chain[off + 4:off + ln]))
        t, off = nxt, off + ln
    return out


def chain(pl):
    """A payload chain of [(type, body)]: (first type, bytes)."""
    b = b""
    for i, (_, body) in enumerate(pl):
        nxt = pl[i + 1][0] if i + 1 < len(pl) else 0
        b += struct.pack("!BBH", nxt, 0, 4 + len(body)) + body
    return (pl[0][0] if pl else 0), b


def notify(ntype, data=b""):
    return (NOTIFY, struct.pack("!BBH", 0, 0, ntype) + data)


def notifies(pl):
    return [struct.unpack_from("!H", b, 2)[0] for t, b in pl if t == NOTIFY]


def ts(addr_lo, addr_hi):
    sel = struct.pack("!BBHHH", 7, 0, 16, 0, 65535) + socket.inet_aton(addr_lo) + socket.inet_aton(addr_hi)
    return struct.pack("!BBBB", 1, 0, 0, 0) + sel


class Peer:
    def __init__(self, psk):
        self.psk = psk
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(LOCAL)
        self.s.settimeout(1.0)
        self.spi_i = os.urandom(8)
        self.spi_r = bytes(8)
        self.msgid = 0

    def hdr(self, first, exchange, msgid, length, flags=FLAG_I):
        return self.spi_i + self.spi_r + struct.pack("!BBBBII", first, 0x20, exchange, flags, msgid, length)

    def recv(self):
        try:
            data, _ = self.s.recvfrom(65535)
            return data
        except socket.timeout:
            return None

    def init(self, sa_body):
        """IKE_SA_INIT with sa_body as the SA payload; the response's payloads."""
        self.dh = X25519PrivateKey.generate()
        pub = self.dh.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.ni = os.urandom(32)
        first, body = chain([(SA, sa_body), (KE, struct.pack("!HH", 31, 0) + pub), (NONCE, self.ni)])
        msg = self.hdr(first, IKE_SA_INIT, 0, 28 + len(body)) + body
        self.init_req = msg
        self.s.sendto(msg, REMOTE)
        resp = self.recv()
        if resp is None:
            fail("no IKE_SA_INIT response")
        self.init_resp = resp
        self.spi_r = resp[8:16]
        pl = payloads(resp[16], resp[28:])
        return pl

    def keys(self, pl):
        ke = [b for t, b in pl if t == KE][0]
        self.nr = [b for t, b in pl if t == NONCE][0]
        shared = self.dh.exchange(X25519PublicKey.from_public_bytes(ke[4:]))
        skeyseed = prf(self.ni + self.nr, shared)
        k = prf_plus(skeyseed, self.ni + self.nr + self.spi_i + self.spi_r, 32 + 2 * 36 + 2 * 32)
        self.sk_d, self.sk_ei, self.sk_er = k[0:32], k[32:68], k[68:104]
        self.sk_pi, self.sk_pr = k[104:136], k[136:168]
        self.msgid = 1

    def seal(self, exchange, msgid, pl, raw_chain=None):
        first, body = raw_chain if raw_chain else chain(pl)
        pt = body + b"\x00"                      # no padding, pad length 0
        iv = os.urandom(8)
        length = 28 + 4 + 8 + len(pt) + 16
        head = self.hdr(SK, exchange, msgid, length) + struct.pack("!BBH", first, 0, length - 28)
        ct = AESGCM(self.sk_ei[:32]).encrypt(self.sk_ei[32:] + iv, pt, head)
        return head + iv + ct

    def open(self, msg):
        """The payloads of a protected response from the responder."""
        if len(msg) < 28 + 4 + 8 + 16 or msg[16] != SK:
            fail("response is not protected")
        head, iv, ct = msg[:32], msg[32:40], msg[40:]
        pt = AESGCM(self.sk_er[:32]).decrypt(self.sk_er[32:] + iv, ct, head)
        pt = pt[:len(pt) - pt[-1] - 1]
        return payloads(msg[28], pt)

    def request(self, exchange, pl=None, raw_chain=None, msgid=None):
        """Send a protected request; the response's payloads, or None."""
        self.s.sendto(self.seal(exchange, self.msgid if msgid is None else msgid, pl or [], raw_chain),
                      REMOTE)
        resp = self.recv()
        return None if resp is None else self.open(resp)

    def auth_payloads(self, sa=True, tsi=True, tsr=True, tsi_body=None):
        idi = struct.pack("!BBBB", 2, 0, 0, 0) + b"gwa.example.org"    # ID_FQDN
        octets = self.init_req + self.nr + prf(self.sk_pi, idi)
        auth = prf(prf(self.psk, b"Key Pad for IKEv2"), octets)
        pl = [(IDI, idi), (AUTH, struct.pack("!BBBB", 2, 0, 0, 0) + auth)]
        if sa:
            pl.append((SA, proposal(1, 3, ESP_GOOD, spi=os.urandom(4))))
        if tsi:
            pl.append((TSI, tsi_body or ts("10.1.0.0", "10.1.0.255")))
        if tsr:
            pl.append((TSR, ts("10.2.0.0", "10.2.0.255")))
        return pl


def psk_bytes(s):
    return bytes.fromhex(s[2:]) if s.startswith("0x") else s.encode()


def established_init(peer):
    pl = peer.init(proposal(1, 1, IKE_GOOD))
    if NOTIFY in [t for t, _ in pl] and N["NO_PROPOSAL_CHOSEN"] in notifies(pl):
        fail("IKE_SA_INIT refused")
    peer.keys(pl)
    return pl


def main():
    case, psk = sys.argv[1], psk_bytes(sys.argv[2])
    p = Peer(psk)
    if case == "info-before-auth":
        pl = established_init(p)
        if N["CHILDLESS_IKEV2_SUPPORTED"] not in notifies(pl):
            fail("the responder did not announce CHILDLESS_IKEV2_SUPPORTED")
        print("ok IKE_SA_INIT done, CHILDLESS_IKEV2_SUPPORTED announced")
        if p.request(INFORMATIONAL, [(DELETE, struct.pack("!BBH", 1, 0, 0))]) is not None:
            fail("Delete(IKE) before IKE_AUTH was answered")
        if p.request(INFORMATIONAL, []) is not None:
            fail("an empty INFORMATIONAL before IKE_AUTH was answered")
        print("ok INFORMATIONAL before IKE_AUTH not answered")
        r = p.request(IKE_AUTH, p.auth_payloads())
        if r is None or IDR not in [t for t, _ in r] or notifies(r):
            fail("IKE_AUTH after them: %s" % (r and notifies(r)))
        print("ok IKE_AUTH with message ID 1 afterwards")
    elif case == "unknown-type":
        pl = p.init(proposal(1, 1, IKE_GOOD + [(255, 1)]))
        if N["NO_PROPOSAL_CHOSEN"] not in notifies(pl):
            fail("a proposal with transform type 255 was not refused: %s" % notifies(pl))
        print("ok type 255 alone: NO_PROPOSAL_CHOSEN")
        p.s.close()
        p2 = Peer(psk)
        sa = proposal(1, 1, IKE_GOOD + [(6, 31)], last=False) + proposal(2, 1, IKE_GOOD)
        pl = p2.init(sa)
        sab = [b for t, b in pl if t == SA]
        if not sab or sab[0][4] != 2:
            fail("not the second proposal chosen: %s" % (sab and sab[0][4]))
        print("ok type 6 (ADDKE1) in the first proposal: the second chosen")
    elif case == "childless":
        established_init(p)
        r = p.request(IKE_AUTH, p.auth_payloads(sa=False, tsi=False, tsr=False))
        if r is None or IDR not in [t for t, _ in r] or AUTH not in [t for t, _ in r]:
            fail("childless IKE_AUTH not answered with IDr, AUTH")
        if notifies(r) or SA in [t for t, _ in r]:
            fail("childless IKE_AUTH answered with %s" % notifies(r))
        print("ok childless IKE_AUTH: IDr AUTH, no CHILD_SA")
    elif case == "no-tsr":
        established_init(p)
        r = p.request(IKE_AUTH, p.auth_payloads(tsr=False))
        if r is None or IDR not in [t for t, _ in r] or N["TS_UNACCEPTABLE"] not in notifies(r):
            fail("IKE_AUTH without TSr: %s" % (r and notifies(r)))
        print("ok IKE_AUTH without TSr: TS_UNACCEPTABLE")
    elif case == "bad-ts":
        established_init(p)
        bad = bytearray(ts("10.1.0.0", "10.1.0.255"))
        struct.pack_into("!H", bad, 4 + 2, 200)    # the selector's length past the payload
        r = p.request(IKE_AUTH, p.auth_payloads(tsi_body=bytes(bad)))
        if r is None or [t for t, _ in r] != [NOTIFY] or notifies(r) != [N["INVALID_SYNTAX"]]:
            fail("malformed TSi: %s" % (r and [t for t, _ in r]))
        print("ok malformed TSi: INVALID_SYNTAX alone")
    else:
        fail("unknown case " + case)


if __name__ == "__main__":
    main()
