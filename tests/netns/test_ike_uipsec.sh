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

SRC=${UIPSEC_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${UIPSEC_BUILD:-$SRC/build}
TOPO_PREFIX=${TOPO_PREFIX:-iu$$}
TOPO_NAT=${TOPO_NAT:-0}
source "$SRC/scripts/topo.sh"

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
[ -x "$BUILD/uipsecd" ] || { echo "SKIP: no uipsecd in $BUILD"; exit 77; }

W=$(mktemp -d /tmp/ike-uipsec.XXXXXX)
declare -A PID
stop_all() {
	local n
	for n in "${!PID[@]}"; do
		kill "${PID[$n]}" 2>/dev/null && wait "${PID[$n]}" 2>/dev/null
		unset "PID[$n]"
	done
}
cleanup() {
	stop_all
	topo_down
	if [ "${KEEP_LOGS:-0}" = 1 ]; then echo "logs kept in $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

FAILS=0
CASE=
fail() {
	echo "FAIL [$CASE]: $*"
	for n in gwa gwb; do echo "--- $n uipsecd.log (tail)"; tail -n 15 "$W/$n/uipsecd.log" 2>/dev/null; done
	FAILS=$((FAILS + 1))
	return 1
}
u() { local n=$1; shift; ip netns exec "$(topo_name "$n")" "$BUILD/uipsec" --control "$W/$n/ctl" "$@"; }

# write_conf NS LOCAL REMOTE ME PEER LTS RTS IKE ESP PSK CHILD_EXTRA
write_conf() {
	mkdir -p "$W/$1"
	cat >"$W/$1/swanctl.conf" <<-EOF
	connections {
	    site {
	        local_addrs = $2
	        remote_addrs = $3
	        proposals = $8
	        local {
	            auth = psk
	            id = $4
	        }
	        remote {
	            auth = psk
	            id = $5
	        }
	        children {
	            net {
	                local_ts = $6
	                remote_ts = $7
	                esp_proposals = $9
	                ${11}
	            }
	        }
	    }
	}
	secrets {
	    ike-site {
	        id-a = gwa.example.org
	        id-b = gwb.example.org
	        secret = ${10}
	    }
	}
	EOF
}

PSK=0x$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')

# start IKE ESP [PSK_B] [CHILD_EXTRA]
start() {
	local aaddr=192.0.2.1 braddr=192.0.2.1 n
	[ "$TOPO_NAT" = 1 ] && { aaddr=192.168.0.2; braddr=%any; }
	stop_all
	rm -rf "$W/gwa" "$W/gwb"
	write_conf gwa "$aaddr" 192.0.2.2 gwa.example.org gwb.example.org 10.1.0.0/24 10.2.0.0/24 \
		"$1" "$2" "$PSK" "${4:-}"
	write_conf gwb 192.0.2.2 "$braddr" gwb.example.org gwa.example.org 10.2.0.0/24 10.1.0.0/24 \
		"$1" "$2" "${3:-$PSK}" "${4:-}"
	for n in gwa gwb; do
		# shellcheck disable=SC2086
		ip netns exec "$(topo_name $n)" "$BUILD/uipsecd" -c "$W/$n/swanctl.conf" \
			--control "$W/$n/ctl" --foreground ${UIPSECD_ARGS:-} >"$W/$n/uipsecd.log" 2>&1 &
		PID[$n]=$!
	done
	for _ in $(seq 50); do [ -S "$W/gwa/ctl" ] && [ -S "$W/gwb/ctl" ] && return 0; sleep 0.1; done
	fail "uipsecd did not start"
}

established() {
	for _ in $(seq 50); do
		u gwa list-sas 2>/dev/null | grep -q "net: INSTALLED" &&
			u gwb list-sas 2>/dev/null | grep -q "net: INSTALLED" && return 0
		sleep 0.1
	done
	return 1
}

ping_through() {
	ip netns exec "$(topo_name hosta)" ping -c 2 -i 0.2 -W 2 10.2.0.2 >/dev/null 2>&1 &&
		ip netns exec "$(topo_name hostb)" ping -c 2 -i 0.2 -W 2 10.1.0.2 >/dev/null 2>&1
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
	ping_through || { fail "no ping through the tunnel"; continue; }
	if command -v iperf3 >/dev/null; then
		ip netns exec "$(topo_name hostb)" iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
		ipid=$!
		sleep 0.5
		ip netns exec "$(topo_name hosta)" iperf3 -c 10.2.0.2 -p 5201 -t 2 >"$W/iperf3.log" 2>&1 ||
			{ kill $ipid 2>/dev/null; wait $ipid 2>/dev/null; fail "iperf3 through the tunnel failed"; continue; }
		wait $ipid 2>/dev/null
	fi
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
	ping_through || { fail "no ping"; continue; }
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
		elif ! ping_through; then
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
	elif ! ping_through; then
		fail "no ping through the trapped tunnel"
	else
		echo "ok [$CASE]"
	fi
fi

CASE="terminate --ike"
if start aes256gcm16-prfsha256-x25519 aes128gcm16; then
	u gwa initiate --child net >/dev/null
	if established && ping_through; then
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

if [ "$FAILS" -gt 0 ]; then
	echo "FAIL: $FAILS case(s) failed"
	exit 1
fi
echo "PASS"
