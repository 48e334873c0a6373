#!/usr/bin/env bash
# uipsec to uipsec over IKEv2 with PSK, in the four-namespace topology:
# uipsecd on gwa initiates (uipsec initiate), uipsecd on gwb responds,
# hosta pings hostb through the tunnel. Cases: a proposal matrix including
# ESN (which strongSwan's kernel-libipsec lacks), CHILD_SA rekeying by
# uipsec itself (short rekey_time, with PFS), terminate --ike, a wrong PSK,
# and with TOPO_NAT=1 (test_ike_uipsec_nat.sh) gwa behind a NAT, where
# NAT-T must move IKE to 4500 and encapsulate ESP. UIPSECD_ARGS: more
# uipsecd options for both daemons (test_ike_uipsec_workers.sh).
# Exit 77: not root.
set -u

TOPO_PREFIX=${TOPO_PREFIX:-iu$$}
TOPO_NAT=${TOPO_NAT:-0}
# shellcheck source-path=SCRIPTDIR source=ike_lib.sh
source "$(dirname "$0")/ike_lib.sh"
ike_lib_init ike-uipsec uipsec

PSK=$(psk_random)

# start IKE ESP [PSK_B] [CHILD_EXTRA]
start() {
	local aaddr=192.0.2.1 braddr=192.0.2.1
	[ "$TOPO_NAT" = 1 ] && { aaddr=192.168.0.2; braddr=%any; }
	stop_all
	rm -rf "$W/gwa" "$W/gwb"
	write_conf "$W/gwa" "$aaddr" 192.0.2.2 gwa.example.org gwb.example.org 10.1.0.0/24 10.2.0.0/24 \
		"$1" "$2" "$PSK" "" "${4:-}"
	write_conf "$W/gwb" 192.0.2.2 "$braddr" gwb.example.org gwa.example.org 10.2.0.0/24 10.1.0.0/24 \
		"$1" "$2" "${3:-$PSK}" "" "${4:-}"
	uipsecd_start gwa gwb || fail "uipsecd did not start"
}

topo_up >/dev/null 2>&1 || { echo "FAIL: topology did not come up"; exit 1; }

CASES=("aes256gcm16-prfsha256-x25519|aes128gcm16"
       "aes128-sha256-modp2048|aes256-sha256-esn"
       "chacha20poly1305-prfsha512-ecp384|chacha20poly1305-esn"
       "aes256-sha384-modp3072|aes256gcm16-esn"
       "aes128gcm16-prfsha384-ecp256|aes128-sha256"
       "aes256-sha512-x25519|aes128gcm16-esn"
       "aes128-sha256-ecp256|aes256-sha256")
[ "${QUICK:-0}" = 1 ] && CASES=("${CASES[0]}" "${CASES[1]}")
for c in "${CASES[@]}"; do
	ike=${c%|*} esp=${c#*|}
	CASE="$ike / $esp"
	start "$ike" "$esp" || continue
	u gwa initiate --child net >/dev/null || { fail "initiate refused"; continue; }
	established || { fail "not established"; continue; }
	ping4_through || { fail "no ping through the tunnel"; continue; }
	iperf3_through || { fail "iperf3 through the tunnel failed"; continue; }
	if [[ $esp == *-esn ]]; then
		u gwa list-sas | grep -q -- "-esn" || { fail "ESN not negotiated"; continue; }
	fi
	if [ "$TOPO_NAT" = 1 ]; then
		u gwa list-sas | grep -q "TUNNEL-in-UDP" || { fail "ESP not UDP-encapsulated behind NAT"; continue; }
		u gwa list-sas | grep -q "local .*behind NAT" || { fail "gwa did not detect its NAT"; continue; }
	fi
	echo "ok [$CASE]"
done

# PFS: uipsec creates a second CHILD_SA with CREATE_CHILD_SA and a KE payload.
PFS_PROPS=(aes128gcm16-modp2048 aes256-sha256-x25519 aes256gcm16-ecp256-esn chacha20poly1305-ecp384
           aes128-sha256-modp3072)
[ "${QUICK:-0}" = 1 ] && PFS_PROPS=(aes128gcm16-modp2048)
for esp in "${PFS_PROPS[@]}"; do
	CASE="PFS esp $esp"
	start aes256gcm16-prfsha256-x25519 "$esp" || continue
	u gwa initiate --child net >/dev/null
	established || { fail "not established"; continue; }
	u gwa initiate --child net >/dev/null
	sleep 1
	[ "$(u gwb list-sas | grep -c 'net: INSTALLED')" = 2 ] || { fail "no second CHILD_SA"; continue; }
	grep -q "creating CHILD_SA net with PFS" "$W/gwa/uipsecd.log" || { fail "no PFS logged"; continue; }
	ping4_through || { fail "no ping"; continue; }
	echo "ok [$CASE]"
done

# uipsec rekeys its own CHILD_SA (SAD soft expire -> CREATE_CHILD_SA with
# REKEY_SA and PFS), then deletes the old one; traffic keeps flowing.
CASE="rekey with PFS"
if start aes256gcm16-prfsha256-x25519 aes128gcm16-x25519 "" "rekey_time = 3s
	                life_time = 30s"; then
	u gwa initiate --child net >/dev/null
	if established; then
		old=$(u gwa list-sas | awk '/^    in /{print $2}')
		sleep 5
		new=$(u gwa list-sas | awk '/^    in /{print $2}')
		if [ -z "$new" ] || [ "$old" = "$new" ]; then
			fail "SPIs did not change ($old -> $new)"
		elif ! grep -q "rekeying CHILD_SA net with PFS" "$W/gwa/uipsecd.log" "$W/gwb/uipsecd.log"; then
			fail "no PFS rekey logged"
		elif ! ping4_through; then
			fail "no ping after the rekey"
		else
			echo "ok [$CASE]"
		fi
	else
		fail "not established"
	fi
fi

# start_action = trap: the first packet's acquire starts the negotiation.
CASE="start_action trap"
if start aes256gcm16-prfsha256-x25519 aes128gcm16 "" "start_action = trap"; then
	ip netns exec "$(topo_name hosta)" ping -c 1 -W 1 10.2.0.2 >/dev/null 2>&1
	if ! established; then
		fail "the acquire did not bring the CHILD_SA up"
	elif ! grep -q "acquire for reqid" "$W/gwa/uipsecd.log"; then
		fail "no acquire logged"
	elif ! ping4_through; then
		fail "no ping through the trapped tunnel"
	else
		echo "ok [$CASE]"
	fi
fi

CASE="terminate --ike"
if start aes256gcm16-prfsha256-x25519 aes128gcm16; then
	u gwa initiate --child net >/dev/null
	if established && ping4_through; then
		u gwb terminate --ike site >/dev/null
		sleep 1
		if u gwa list-sas | grep -q ESTABLISHED || u gwb list-sas | grep -q ESTABLISHED; then
			fail "an IKE_SA survived terminate"
		elif ip netns exec "$(topo_name hosta)" ping -c 1 -W 1 10.2.0.2 >/dev/null 2>&1; then
			fail "traffic flows after terminate"
		else
			echo "ok [$CASE]"
		fi
	else
		fail "not established"
	fi
fi

CASE="wrong PSK"
if start aes256gcm16-prfsha256-x25519 aes128gcm16 0x00112233445566778899; then
	u gwa initiate --child net >/dev/null
	sleep 1
	if ! grep -q "AUTHENTICATION_FAILED" "$W/gwa/uipsecd.log" ||
	   ! grep -q "AUTHENTICATION_FAILED" "$W/gwb/uipsecd.log"; then
		fail "AUTHENTICATION_FAILED not reported on both sides"
	elif u gwa list-sas | grep -q ESTABLISHED || u gwb list-sas | grep -q ESTABLISHED; then
		fail "an IKE_SA was kept"
	else
		echo "ok [$CASE]"
	fi
fi

finish
