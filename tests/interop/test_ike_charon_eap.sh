#!/usr/bin/env bash
# Remote access with EAP-MSCHAPv2 against strongSwan 5.9.8 (charon +
# kernel-libipsec and its eap-mschapv2 plugin, Debian's
# libcharon-extauth-plugins), the gateway authenticating with a
# certificate (made here with strongSwan's pki), both ways:
#
#   - charon on gwa as the road warrior (local auth = eap-mschapv2,
#     eap_id carol, vips = 0.0.0.0) against uipsecd on gwb as the gateway
#     (remote auth = eap-mschapv2, eap_id = %any: EAP-Identity first; a
#     pool 10.3.0.0/24): charon gets 10.3.0.1 and pings hostb from it;
#     uipsec keeps the EAP identity (the lease is 'carol's, list-sas
#     "EAP: 'carol'"), as charon does when it is the gateway (checked in
#     the other direction);
#     then with a wrong password: refused (AUTHENTICATION_FAILED), counted
#     on uipsec's side, the password in no log;
#   - uipsecd on gwa as the road warrior against charon on gwb with the
#     same files: uipsec gets 10.3.0.1 on its TUN device and pings hostb;
#     then with a wrong password, refused by charon.
#
# The same swanctl.conf for charon and uipsec on each side. Exit 77: not
# root, no charon, no pki, no eap-mschapv2 plugin.
set -u

TOPO_PREFIX=${TOPO_PREFIX:-ie$$}
TOPO_NAT=0
# shellcheck source-path=SCRIPTDIR source=../netns/ike_lib.sh
source "$(dirname "$0")/../netns/ike_lib.sh"
ike_lib_init ike-charon-eap charon uipsec
command -v pki >/dev/null || { echo "SKIP: pki not found (strongswan-pki)"; exit 77; }
[ -f "${CHARON_PLUGIN_DIR:-/usr/lib/ipsec/plugins}/libstrongswan-eap-mschapv2.so" ] ||
	{ echo "SKIP: charon's eap-mschapv2 plugin is missing (libcharon-extauth-plugins)"; exit 77; }
CHARON_PLUGINS="random nonce openssl aes gcm chapoly sha1 sha2 hmac kdf curve25519 pem pkcs1 pkcs8 x509 pubkey revocation constraints eap-identity eap-mschapv2 kernel-libipsec kernel-netlink socket-default vici"

PW=uipsec-eap-$$-$RANDOM
# shellcheck source-path=SCRIPTDIR source=../netns/eap_lib.sh
source "$(dirname "$0")/../netns/eap_lib.sh"

fail_logs() { fail_logs_both 25; }

eap_up


CASE="charon EAP-MSCHAPv2 road warrior, uipsec gateway"
rm -rf "$W/gwa" "$W/gwb"
write_client "$W/gwa" "$PW"
write_gateway "$W/gwb"
if charon_rw_start 15; then
	if ! established gwb; then
		fail "not established"
	elif ! grep -q "EAP method EAP_MSCHAPV2 succeeded" "$W/gwa/charon.log"; then
		fail "charon did not finish EAP-MSCHAPv2"
	elif ! grep -q "installing new virtual IP 10.3.0.1" "$W/gwa/charon.log"; then
		fail "charon did not install 10.3.0.1"
	elif ! grep -qE "generating IKE_AUTH request 1 \[.* N\(EAP_ONLY\)" "$W/gwa/charon.log"; then
		fail "charon did not announce EAP-only authentication (RFC 5998)"
	elif ! grep -qE "parsed IKE_AUTH response 1 \[.* AUTH .*EAP/REQ" "$W/gwa/charon.log"; then
		fail "uipsec's first IKE_AUTH response lacks its AUTH (EAP-only with MSCHAPv2)"
	elif ! ping_from_vip; then
		fail "no ping from charon's virtual IP to hostb"
	elif ! u gwb list-pools | grep -q "10.3.0.1 .*online *'carol'$"; then
		fail "uipsec's lease is not for the EAP identity 'carol': $(u gwb list-pools)"
	elif ! u gwb list-sas | grep -q "remote 'carol@example.org' @ .* EAP: 'carol'$"; then
		fail "uipsec's list-sas does not show the EAP identity"
	elif ! no_password_logged; then
		fail "the password is in a log"
	else
		echo "ok [$CASE]"
	fi
	charon_swanctl gwa --terminate --ike rw --timeout 10 >/dev/null 2>&1
	charon_stop_all
	CASE="charon EAP-MSCHAPv2 road warrior with a wrong password, uipsec gateway"
	write_client "$W/gwa" "wrong-$PW"
	sleep 0.5
	if ! charon_start gwa "$W/gwa"; then
		fail "charon did not start"
	fi
	charon_swanctl gwa --initiate --child net --timeout 15 >"$W/gwa/initiate2.log" 2>&1
	sleep 0.5
	if u gwb list-sas | grep -q ESTABLISHED; then
		fail "uipsec accepted a wrong password"
	elif ! grep -q "wrong password for 'carol'" "$W/gwb/uipsecd.log"; then
		fail "uipsec did not say why it refused"
	elif ! grep -q "AUTHENTICATION_FAILED" "$W/gwa/charon.log"; then
		fail "charon was not told AUTHENTICATION_FAILED"
	elif ! no_password_logged; then
		fail "the password is in a log"
	else
		echo "ok [$CASE]"
	fi
fi
stop_all
charon_stop_all

CASE="uipsec EAP-MSCHAPv2 road warrior, charon gateway"
rm -rf "$W/gwa" "$W/gwb"
write_client "$W/gwa" "$PW"
write_gateway "$W/gwb"
TUN=ipsec0
if uipsec_rw_start; then
	if ! established gwa; then
		fail "not established"
	elif ! grep -q "EAP method EAP_MSCHAPV2 succeeded" "$W/gwb/charon.log"; then
		fail "charon did not see EAP-MSCHAPv2 succeed"
	elif ! grep -qE "parsed IKE_AUTH request 1 \[.* N\(EAP_ONLY\)" "$W/gwb/charon.log"; then
		fail "uipsec did not announce EAP-only authentication (RFC 5998)"
	elif ! ns gwa ip -4 addr show dev "$TUN" | grep -q "inet 10.3.0.1/32"; then
		fail "10.3.0.1 not on uipsec's $TUN"
	elif ! ping_from_vip; then
		fail "no ping from uipsec's virtual IP to hostb"
	elif ! charon_swanctl gwb --list-pools --leases 2>/dev/null | grep -q "10.3.0.1 .*online.*'carol'$"; then
		# what uipsec as the gateway does (above) is what charon does
		fail "charon's lease is not for the EAP identity 'carol': $(charon_swanctl gwb --list-pools --leases 2>&1)"
	elif ! charon_swanctl gwb --list-sas 2>/dev/null | grep -q "remote 'carol@example.org' @ .* EAP: 'carol'"; then
		fail "charon's list-sas does not show the EAP identity"
	elif ! no_password_logged; then
		fail "the password is in a log"
	else
		echo "ok [$CASE]"
	fi
	u gwa terminate --ike rw >/dev/null
	stop_all
	CASE="uipsec EAP-MSCHAPv2 road warrior with a wrong password, charon gateway"
	write_client "$W/gwa" "wrong-$PW"
	sleep 0.5
	uipsecd_start gwa || fail "uipsecd did not start"
	u gwa initiate --child net >/dev/null 2>&1
	# charon answers a wrong MS-CHAPv2 response late (it offers a retry)
	for _ in $(seq 100); do
		grep -qE "refused our password" "$W/gwa/uipsecd.log" && break
		sleep 0.1
	done
	if u gwa list-sas | grep -q ESTABLISHED; then
		fail "established with a wrong password"
	elif ! grep -qE "refused our password|AUTHENTICATION_FAILED" "$W/gwa/uipsecd.log"; then
		fail "uipsec did not say why it failed"
	else
		echo "ok [$CASE]"
	fi
fi

finish
