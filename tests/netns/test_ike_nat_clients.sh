#!/usr/bin/env bash
# Two road warriors behind one NAT (topo.sh with TOPO_NAT=1: the "nat"
# namespace masquerades everything from gwa's side to 192.0.2.3): uipsecd
# on gwa (carol) and on hosta (dave, routed through gwa and the NAT) both
# connect to one connection of uipsecd on gwb (remote_addrs = %any, a pool
# of virtual IPs). The gateway tells them apart by their ports: two
# IKE_SAs, both from 192.0.2.3 on different ports, each with its own
# CHILD_SA and its own address, and both ping hostb at the same time.
# Exit 77: not root.
set -u

TOPO_PREFIX=${TOPO_PREFIX:-nc$$}
TOPO_NAT=1
# shellcheck source-path=SCRIPTDIR source=ike_lib.sh
source "$(dirname "$0")/ike_lib.sh"
ike_lib_init ike-nat-clients uipsec

PSK=$(psk_random)

fail_logs() {
	local n
	for n in gwa hosta gwb; do
		echo "--- $n uipsecd.log (tail)"
		tail -n 20 "$W/$n/uipsecd.log" 2>/dev/null
	done
}

topo_up >/dev/null 2>&1 || { echo "FAIL: topology did not come up"; exit 1; }
# hosta's site behind gwa: the NAT routes the answers back there
ns nat ip route add 10.1.0.0/24 via 192.168.0.2

CASE="two clients behind one NAT, one gateway connection"
write_rw_client "$W/gwa" carol@example.org %any
write_rw_client "$W/hosta" dave@example.org %any
write_rw_gateway "$W/gwb" 10.3.0.0/24
if ! uipsecd_start gwb gwa hosta; then
	fail "the daemons did not start"
else
	initiate_both gwa hosta
	if ! established gwa hosta; then
		fail "not both established"
	elif [ "$(u gwb list-sas | grep -c '^rw: ESTABLISHED')" != 2 ]; then
		fail "the gateway does not have two IKE_SAs on rw"
	elif [ "$(u gwb list-sas | grep -c '^    rw\|^  net: INSTALLED')" != 2 ]; then
		fail "the gateway does not have two CHILD_SAs"
	else
		ports=$(u gwb list-sas | grep -o '192.0.2.3\[[0-9]*\]' | sort -u | tr '\n' ' ')
		nports=$(u gwb list-sas | grep -c "^  remote .*@ 192.0.2.3\[")
		va=$(u gwa list-sas | awk '/local  vip/ {print $3}')
		vh=$(u hosta list-sas | awk '/local  vip/ {print $3}')
		if [ "$nports" != 2 ] ||
		   [ "$(u gwb list-sas | awk '/^  remote .*@ 192.0.2.3\[/ {print $4}' | sort -u | wc -l)" != 2 ]; then
			fail "the clients are not both seen at 192.0.2.3 on two ports: $(u gwb list-sas | grep '^  remote')"
		elif [ -z "$va" ] || [ -z "$vh" ] || [ "$va" = "$vh" ]; then
			fail "not two distinct virtual IPs ($va, $vh)"
		else
			# both at once
			ns gwa ping -c 10 -i 0.1 -W 2 -I "$va" 10.2.0.2 >"$W/ping-gwa.log" 2>&1 &
			pa=$!
			ns hosta ping -c 10 -i 0.1 -W 2 -I "$vh" 10.2.0.2 >"$W/ping-hosta.log" 2>&1
			rh=$?
			wait $pa
			ra=$?
			if [ $ra != 0 ] || [ $rh != 0 ]; then
				fail "the pings at the same time failed (carol $ra, dave $rh)"
			elif ! grep -q " 0% packet loss" "$W/ping-gwa.log" ||
			     ! grep -q " 0% packet loss" "$W/ping-hosta.log"; then
				fail "packets lost: $(grep 'packet loss' "$W/ping-gwa.log" "$W/ping-hosta.log")"
			elif [ "$(u gwb list-pools | grep -c ' online ')" != 2 ]; then
				fail "the gateway's pool does not show two online leases"
			else
				echo "ok [$CASE] (clients at $ports)"
			fi
		fi
	fi
fi

finish
