#!/usr/bin/python3
"""Hostile CERT payloads against a live uipsecd (tests/netns/
test_ike_cert_hostile.sh), on the IKEv2 initiator of ike_peer.py: after
IKE_SA_INIT, one correctly protected IKE_AUTH request whose CERT payloads
are the case's, with the identity of the certificate and an RFC 7427 AUTH
made with the end entity's key (so only the CERT payloads are wrong). The
responder must answer AUTHENTICATION_FAILED.

  ike_cert_peer.py CASE DIR    DIR: ca.pem (a root CA the responder trusts)
                               and ca.key; prints "ok ..." or "FAIL ..."

Cases:
  huge       a 40,000-byte CERT payload after the end entity
  malformed  the end entity's DER cut short
  garbage    the end entity's DER followed by three bytes
  loop       X issued by Y, Y issued by X, the end entity by X
  deep10     a chain of 9 CAs under the root (more than 7 intermediates)
  deep20     19 CAs (more CERT payloads than are read)
  good       the end entity and nothing wrong: AUTH is accepted
"""
import datetime
import os
import struct
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ike_peer  # noqa: E402
from ike_peer import AUTH, IDI, IDR, IKE_AUTH, N, Peer, established_init, fail, notifies, prf  # noqa: E402

CERT = 37
NOW = datetime.datetime.now(datetime.timezone.utc)


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CH"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "uipsec test"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make(subject, key, issuer, issuer_key, ca):
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(NOW - datetime.timedelta(hours=1))
         .not_valid_after(NOW + datetime.timedelta(days=30))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    return b.sign(issuer_key, hashes.SHA256())


def der(c):
    return c.public_bytes(serialization.Encoding.DER)


def main():
    case, d = sys.argv[1], sys.argv[2]
    root = x509.load_pem_x509_certificate(open(os.path.join(d, "ca.pem"), "rb").read())
    root_key = serialization.load_pem_private_key(open(os.path.join(d, "ca.key"), "rb").read(), None)
    ee_key = ec.generate_private_key(ec.SECP256R1())
    ee_name = name("hostile.example.org")
    issuer, issuer_key, chain = root.subject, root_key, []
    if case in ("deep10", "deep20"):
        for i in range(1, 10 if case == "deep10" else 20):
            k = ec.generate_private_key(ec.SECP256R1())
            c = make(name("Deep CA %d" % i), k, issuer, issuer_key, True)
            chain.insert(0, der(c))
            issuer, issuer_key = c.subject, k
    if case == "loop":
        kx, ky = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
        x = make(name("Loop X"), kx, name("Loop Y"), ky, True)
        y = make(name("Loop Y"), ky, name("Loop X"), kx, True)
        chain = [der(x), der(y)]
        issuer, issuer_key = x.subject, kx
    ee = der(make(ee_name, ee_key, issuer, issuer_key, False))
    certs = [ee] + chain
    if case == "huge":
        certs = [ee, b"\x30\x82" + os.urandom(39998)]
    elif case == "malformed":
        certs = [ee[:-7]]
    elif case == "garbage":
        certs = [ee + b"\x00\x00\x00"]

    p = Peer(b"")
    established_init(p)
    idi = struct.pack("!BBBB", 9, 0, 0, 0) + ee_name.public_bytes()       # ID_DER_ASN1_DN
    octets = p.init_req + p.nr + prf(p.sk_pi, idi)
    sig = ee_key.sign(octets, ec.ECDSA(hashes.SHA256()))
    algid = bytes.fromhex("300a06082a8648ce3d040302")                    # ecdsa-with-SHA256
    auth = struct.pack("!BBBB", 14, 0, 0, 0) + bytes([len(algid)]) + algid + sig
    pl = [(IDI, idi)] + [(CERT, b"\x04" + c) for c in certs] + [(AUTH, auth)]
    pl += p.auth_payloads()[2:]                                        # SA, TSi, TSr
    r = p.request(IKE_AUTH, pl)
    if r is None:
        fail("no answer to IKE_AUTH with %d CERT payloads (%d bytes)" % (len(certs), sum(map(len, certs))))
    if case == "good":
        # the CHILD_SA it asks for is not the connection's (TS_UNACCEPTABLE)
        if IDR not in [t for t, _ in r] or N["AUTHENTICATION_FAILED"] in notifies(r):
            fail("the good chain was refused: %s" % notifies(r))
        print("ok good: IDr and AUTH")
        return
    if N["AUTHENTICATION_FAILED"] not in notifies(r):
        fail("%s: answered %s, not AUTHENTICATION_FAILED" % (case, notifies(r) or [t for t, _ in r]))
    print("ok %s: AUTHENTICATION_FAILED" % case)


if __name__ == "__main__":
    main()
