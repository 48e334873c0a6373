#!/usr/bin/env bash
# EAP-MSCHAPv2 road warrior, uipsec to uipsec, in the four-namespace
# topology, with the files of tests/netns/eap_lib.sh (the same the
# charon interop test uses): uipsecd on gwa authenticates as carol with
# EAP-MSCHAPv2 (eap_id carol) and checks the gateway's certificate;
# uipsecd on gwb authenticates by certificate, asks for the EAP identity
# (eap_id = %any) and gives out 10.3.0.1 from its pool. Cases:
#   - established, gwa pings hostb from 10.3.0.1, the lease is carol's;
#   - a wrong password: refused (AUTHENTICATION_FAILED), counted in the
#     gateway's stats, no SA left, the password in no log;
#   - OpenSSL's legacy provider not to be had (OPENSSL_MODULES pointing
#     nowhere): the gateway refuses the connection, naming the provider.
# Exit 77: not root, no pki.
set -u

TOPO_PREFIX=${TOPO_PREFIX:-ea$$}
TOPO_NAT=0
# shellcheck source-path=SCRIPTDIR source=ike_lib.sh
source "$(dirname "$0")/ike_lib.sh"
ike_lib_init ike-eap uipsec
command -v pki >/dev/null || { echo "SKIP: pki not found (strongswan-pki)"; exit 77; }
PW=uipsec-eap-$$-$RANDOM
# shellcheck source-path=SCRIPTDIR source=eap_lib.sh
source "$(dirname "$0")/eap_lib.sh"

fail_logs() { fail_logs_both 25; }

eap_up

CASE="EAP-MSCHAPv2 with EAP-Identity, lease, ping"
write_client "$W/gwa" "$PW"
write_gateway "$W/gwb"
if ! uipsecd_start gwa gwb; then
	fail "uipsecd did not start"
else
	u gwa initiate --child net >/dev/null
	if ! established gwa gwb; then
		fail "not established"
	elif ! grep -q "authentication of 'carol@example.org' with EAP-MSCHAPv2\|IKE_SA established with 'carol@example.org'" "$W/gwb/uipsecd.log"; then
		fail "the gateway did not log carol's IKE_SA"
	elif ! ping_from_vip; then
		fail "no ping from the virtual IP to hostb"
	elif ! u gwb list-pools | grep -q "10.3.0.1 .*online"; then
		fail "no online lease on the gateway"
	elif ! no_password_logged; then
		fail "the password is in a log"
	else
		echo "ok [$CASE]"
	fi
	u gwa terminate --ike rw >/dev/null
fi
stop_all

CASE="a wrong password"
write_client "$W/gwa" "wrong-$PW"
if ! uipsecd_start gwa gwb; then
	fail "uipsecd did not start"
else
	u gwa initiate --child net >/dev/null 2>&1
	sleep 1
	if u gwa list-sas | grep -q ESTABLISHED || u gwb list-sas | grep -q ESTABLISHED; then
		fail "established with a wrong password"
	elif ! grep -q "wrong password for 'carol': AUTHENTICATION_FAILED" "$W/gwb/uipsecd.log"; then
		fail "the gateway did not log why"
	elif ! grep -q "AUTHENTICATION_FAILED" "$W/gwa/uipsecd.log"; then
		fail "the client was not told"
	elif ! u gwb ike-stats | grep -Eq "^auth_failed +1$"; then
		fail "not counted in the gateway's stats"
	elif ! no_password_logged; then
		fail "the password is in a log"
	else
		echo "ok [$CASE]"
	fi
fi
stop_all

CASE="no legacy provider"
OPENSSL_MODULES=$W/nowhere uipsecd_start gwb >/dev/null 2>&1
sleep 0.5
if ! grep -q "EAP-MSCHAPv2 needs MD4 and DES: OpenSSL's legacy provider" "$W/gwb/uipsecd.log"; then
	fail "no clear error without the legacy provider"
else
	echo "ok [$CASE]"
fi
stop_all

finish
