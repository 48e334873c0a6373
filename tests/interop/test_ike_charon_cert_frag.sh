#!/usr/bin/env bash
# test_ike_charon_cert.sh over a 1,280-byte path that drops IP fragments:
# IKE_AUTH with an RSA-3072 chain passes only in IKE fragments (RFC 7383).
FRAG=1 exec bash "$(dirname "$0")/test_ike_charon_cert.sh"
