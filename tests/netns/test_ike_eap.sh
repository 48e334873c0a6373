#!/usr/bin/env bash
# EAP-MSCHAPv2 road warrior, uipsec to uipsec, in the four-namespace
# topology, with the files of tests/netns/eap_lib.sh (the same the
# charon interop test uses): uipsecd on gwa authenticates as carol with
# EAP-MSCHAPv2 (eap_id carol) and checks the gateway's certificate;
# uipsecd on gwb authenticates by certificate, asks for the EAP identity
# (eap_id = %any) and gives out 10.3.0.1 from its pool. carol's IKE
# identity (carol@example.org) is not her EAP identity (carol). Cases:
#   - established, gwa pings hostb from 10.3.0.1; the gateway keeps the
#     EAP identity as charon does: the lease is 'carol's, the updown
#     script gets PLUTO_XAUTH_ID=carol (PLUTO_PEER_ID the IKE identity),
#     VICI list-sas (Debian's swanctl, when installed) remote-eap-id =
#     carol, `uipsec list-sas` "EAP: 'carol'";
#   - the EAP secrets not in the gateway's file but loaded over VICI
#     (swanctl --load-creds, load-shared type EAP): carol gets in; once
#     swanctl unloads it (unload-shared), she is refused with
#     AUTHENTICATION_FAILED ("no EAP secret");
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
HAVE_SWANCTL=0
command -v swanctl >/dev/null && HAVE_SWANCTL=1
# Debian's swanctl against uipsecd's VICI socket; its own directory
# (SWANCTL_DIR) empty but for the file, so that it loads nothing else
sw() { local n=$1; shift; SWANCTL_DIR=$W/creds ns "$n" swanctl "$@" --uri "unix://$W/$n/ctl"; }

eap_up
mkdir -p "$W/creds"
for d in x509 x509ca x509ocsp x509aa x509ac x509crl pubkey private rsa ecdsa bliss pkcs8 pkcs12; do
	mkdir -p "$W/creds/$d"
done
cat >"$W/updown.sh" <<EOF
#!/bin/sh
env | grep '^PLUTO_' | sort >"$W/gwb/updown.\$PLUTO_VERB"
EOF
chmod 755 "$W/updown.sh"
# 0 once the updown script ran for verb $1 on gwb (3 s at most)
updown_ran() {
	for _ in $(seq 30); do [ -s "$W/gwb/updown.$1" ] && return 0; sleep 0.1; done
	return 1
}

CASE="EAP-MSCHAPv2 with EAP-Identity, lease, ping"
write_client "$W/gwa" "$PW"
write_gateway "$W/gwb" "updown = $W/updown.sh"
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
	elif ! u gwb list-pools | grep -q "10.3.0.1 .*online *'carol'$"; then
		fail "no online lease for carol's EAP identity on the gateway: $(u gwb list-pools)"
	elif ! updown_ran up-client; then
		fail "the gateway's updown script did not run"
	elif ! grep -qx "PLUTO_XAUTH_ID=carol" "$W/gwb/updown.up-client" ||
	     ! grep -qx "PLUTO_PEER_ID=carol@example.org" "$W/gwb/updown.up-client"; then
		fail "updown: not PLUTO_XAUTH_ID=carol with PLUTO_PEER_ID=carol@example.org: $(cat "$W/gwb/updown.up-client")"
	elif ! u gwb list-sas | grep -q "remote 'carol@example.org' @ 192.0.2.1\[[0-9]*\].* EAP: 'carol'$"; then
		fail "uipsec list-sas does not show the EAP identity: $(u gwb list-sas)"
	elif [ "$HAVE_SWANCTL" = 1 ] && ! sw gwb --list-sas --raw | grep -q "remote-id=carol@example.org remote-eap-id=carol "; then
		fail "VICI list-sas has no remote-eap-id=carol: $(sw gwb --list-sas --raw 2>&1)"
	elif [ "$HAVE_SWANCTL" = 1 ] && ! sw gwb --list-sas | grep -q "EAP: 'carol'"; then
		fail "swanctl --list-sas does not show the EAP identity"
	elif ! no_password_logged; then
		fail "the password is in a log"
	else
		echo "ok [$CASE]"
	fi
	u gwa terminate --ike rw >/dev/null
	updown_ran down-client || fail "updown down-client did not run"
	grep -qx "PLUTO_XAUTH_ID=carol" "$W/gwb/updown.down-client" 2>/dev/null ||
		fail "updown down-client: no PLUTO_XAUTH_ID=carol"
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

CASE="EAP secret loaded over VICI, then unloaded"
if [ "$HAVE_SWANCTL" != 1 ]; then
	echo "skip [$CASE]: no swanctl"
else
	write_client "$W/gwa" "$PW"
	write_gateway "$W/gwb" "" nosecrets
	cat >"$W/creds/swanctl.conf" <<-EOF
	secrets {
	    eap-carol {
	        id = carol
	        secret = "$PW"
	    }
	}
	EOF
	# swanctl unloads the secrets a file no longer has (get-shared, then
	# unload-shared) only when it loads some: one for dave instead
	cat >"$W/creds/none.conf" <<-EOF
	secrets {
	    eap-dave {
	        id = dave
	        secret = "not-carols-password"
	    }
	}
	EOF
	if ! uipsecd_start gwa gwb; then
		fail "uipsecd did not start"
	elif ! sw gwb --load-creds --noprompt --file "$W/creds/swanctl.conf" >"$W/out" 2>&1 ||
	     ! grep -q "loaded eap secret 'eap-carol'" "$W/out"; then
		fail "swanctl --load-creds: $(cat "$W/out")"
	else
		u gwa initiate --child net >/dev/null
		if ! established gwa gwb; then
			fail "not established with the secret loaded over VICI"
		elif ! ping_from_vip; then
			fail "no ping from the virtual IP with the secret loaded over VICI"
		else
			u gwa terminate --ike rw >/dev/null
			sleep 0.5
			# a file without it: swanctl unloads the secret (unload-shared)
			if ! sw gwb --load-creds --noprompt --file "$W/creds/none.conf" >"$W/out" 2>&1 ||
			   ! grep -q "vici: unloaded shared secret 'eap-carol'" "$W/gwb/uipsecd.log"; then
				fail "swanctl did not unload the secret: $(cat "$W/out")"
			else
				u gwa initiate --child net >/dev/null 2>&1
				sleep 1
				if u gwa list-sas | grep -q ESTABLISHED || u gwb list-sas | grep -q ESTABLISHED; then
					fail "established after unload-shared"
				elif ! grep -q "no EAP secret for 'carol': AUTHENTICATION_FAILED" "$W/gwb/uipsecd.log"; then
					fail "the gateway did not log the missing secret"
				elif ! grep -q "AUTHENTICATION_FAILED" "$W/gwa/uipsecd.log"; then
					fail "the client was not told"
				elif ! no_password_logged; then
					fail "the password is in a log"
				else
					echo "ok [$CASE]"
				fi
			fi
		fi
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
