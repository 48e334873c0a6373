#!/usr/bin/env bash
# Hostile IKE peers past IKE_SA_INIT, against a live uipsecd on gwb: a
# Python initiator (tests/netns/ike_peer.py, its own IKEv2 on Python's
# cryptography) completes IKE_SA_INIT with uipsecd and then sends
# correctly encrypted and integrity-protected messages that a careful
# responder must refuse (docs/security.md, hostile inputs 7, 9, 10, 11):
#   info-before-auth  Delete(IKE) and an empty INFORMATIONAL before
#                     IKE_AUTH: unanswered, counted (drop_before_auth);
#                     IKE_AUTH then still succeeds
#   unknown-type      proposals with unknown transform types (RFC 7296 3.3.6)
#   childless         IKE_AUTH without SA/TSi/TSr: a childless IKE SA (RFC 6023)
#   no-tsr            IKE_AUTH without TSr: TS_UNACCEPTABLE, the IKE SA up
#   bad-ts            a malformed TSi inside the SK payload: INVALID_SYNTAX,
#                     counted as syntax_errors, logged as such
# Exit 77: not root, or no python3-cryptography.
set -u

TOPO_PREFIX=${TOPO_PREFIX:-ih$$}
TOPO_NAT=0
# shellcheck source-path=SCRIPTDIR source=ike_lib.sh
source "$(dirname "$0")/ike_lib.sh"
ike_lib_init ike-hostile uipsec
PY=/usr/bin/python3
$PY -c "import cryptography.hazmat.primitives.ciphers.aead" 2>/dev/null ||
	{ echo "SKIP: python3-cryptography missing"; exit 77; }
PEER="$SRC/tests/netns/ike_peer.py"
PSK=$(psk_random)

fail_logs() {
	echo "--- gwb uipsecd.log (tail)"
	tail -n 20 "$W/gwb/uipsecd.log" 2>/dev/null
}

stat_of() { u gwb ike-stats | awk -v k="$1" '$1 == k { print $2 }'; }

topo_up >/dev/null 2>&1 || { echo "FAIL: topology did not come up"; exit 1; }
write_conf "$W/gwb" 192.0.2.2 192.0.2.1 gwb.example.org gwa.example.org 10.2.0.0/24 10.1.0.0/24 \
	aes256gcm16-prfsha256-x25519 aes128gcm16 "$PSK"
uipsecd_start gwb || { fail "uipsecd did not start"; finish; }

# run_case CASE: the peer's verdict; the IKE SAs it left are deleted after
run_case() {
	CASE=$1
	ns gwa "$PY" "$PEER" "$1" "$PSK" || { fail "peer says no"; return 1; }
}

run_case info-before-auth && {
	[ "$(stat_of drop_before_auth)" = 2 ] || fail "drop_before_auth is $(stat_of drop_before_auth), not 2"
	grep -q "INFORMATIONAL request 1 in state INIT_RESPONDED dropped: only IKE_AUTH may follow" \
		"$W/gwb/uipsecd.log" || fail "no log line for the dropped INFORMATIONAL"
	established gwb || fail "CHILD_SA not installed after IKE_AUTH"
	echo "ok [$CASE]"
}
run_case unknown-type && {
	grep -q "proposed aes256gcm16-prfsha256-x25519-TYPE255_1, we accept .*: NO_PROPOSAL_CHOSEN" "$W/gwb/uipsecd.log" ||
		fail "the refusal does not show the unknown transform type"
	echo "ok [$CASE]"
}
run_case childless && {
	grep -q "childless IKE_SA (RFC 6023)" "$W/gwb/uipsecd.log" || fail "no log line for childless"
	echo "ok [$CASE]"
}
run_case no-tsr && {
	grep -q "IKE_AUTH request without TSr: no CHILD_SA (TS_UNACCEPTABLE)" "$W/gwb/uipsecd.log" ||
		fail "no log line saying TSr was missing"
	echo "ok [$CASE]"
}
before_icv=$(stat_of drop_icv)
run_case bad-ts && {
	[ "$(stat_of syntax_errors)" = 1 ] || fail "syntax_errors is $(stat_of syntax_errors), not 1"
	[ "$(stat_of drop_icv)" = "$before_icv" ] || fail "counted as a failed integrity check"
	grep -q "IKE_AUTH request 1 is malformed inside its verified SK payload" "$W/gwb/uipsecd.log" ||
		fail "no log line for the syntax error"
	grep -q "failed integrity or decryption" "$W/gwb/uipsecd.log" &&
		fail "still logged as failed integrity"
	echo "ok [$CASE]"
}
kill -0 "${IKE_PID[gwb]}" 2>/dev/null || fail "uipsecd on gwb died"
finish
