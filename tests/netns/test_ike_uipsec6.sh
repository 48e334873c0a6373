#!/usr/bin/env bash
# uipsec to uipsec over IKEv2 with IPv6 outer addresses, in the
# four-namespace topology (gwa 2001:db8::1, gwb 2001:db8::2 on eth1):
# uipsecd on gwa initiates, uipsecd on gwb responds. Cases: IPv6 inside
# IPv6 (hosta fd01::2 pings hostb fd02::2), IPv4 inside IPv6 (10.1.0.2 ->
# 10.2.0.2), both families in one CHILD_SA, IKE SA rekeying over IPv6, and
# gwa initiating with local_addrs = %any over IPv6 and over IPv4 (uipsecd
# must pick the source address the routing uses to reach gwb). ESP goes
# in UDP 4500 (uipsecd's default, raw_esp = no: a faked NAT), except in
# the case "IPv6 in IPv6, raw ESP" (uipsecd.conf raw_esp = yes on both),
# where it is IP protocol 50 and IKE stays on port 500.
# Exit 77: not root.
set -u

TOPO_PREFIX=${TOPO_PREFIX:-i6$$}
# shellcheck source-path=SCRIPTDIR source=ike_lib.sh
source "$(dirname "$0")/ike_lib.sh"
ike_lib_init ike-uipsec6 uipsec

PSK=$(psk_random)

# outer addresses of gwa and gwb
GWA=2001:db8::1 GWB=2001:db8::2
# the encapsulation the next start negotiates: udp (default) or esp
ENC=udp
# start TS_A TS_B [EXTRA] [LOCAL_ADDRS_A]
start() {
	local n
	stop_all
	rm -rf "$W/gwa" "$W/gwb"
	for n in gwa gwb; do
		mkdir -p "$W/$n"
		if [ "$ENC" = esp ]; then
			printf 'uipsecd {\n    raw_esp = yes\n}\n' >"$W/$n/uipsecd.conf"
		else
			: >"$W/$n/uipsecd.conf"
		fi
	done
	write_conf "$W/gwa" "${4-$GWA}" $GWB gwa.example.org gwb.example.org "$1" "$2" \
		aes256gcm16-prfsha256-x25519 aes128gcm16 "$PSK" "${3:-}"
	write_conf "$W/gwb" $GWB $GWA gwb.example.org gwa.example.org "$2" "$1" \
		aes256gcm16-prfsha256-x25519 aes128gcm16 "$PSK" "${3:-}"
	UIPSECD_ARGS="--settings $W/gwa/uipsecd.conf" uipsecd_start gwa &&
		UIPSECD_ARGS="--settings $W/gwb/uipsecd.conf" uipsecd_start gwb || fail "uipsecd did not start"
}
# the outer IKE port for ENC
port() { if [ "$ENC" = esp ]; then echo 500; else echo 4500; fi; }

# ESP between the gateways' IPv6 addresses carries the pings (PING: a
# ping function); nothing of the sites' traffic leaves gwa in clear
esp6_carries() {
	local cap=$W/eth1.pcap cpid n_esp n_clear
	ip netns exec "$(topo_name gwb)" tcpdump -i eth1 -n -U --immediate-mode -w "$cap" \
		>/dev/null 2>&1 &
	cpid=$!
	sleep 1
	"$1"
	local rc=$?
	sleep 0.3
	kill "$cpid" 2>/dev/null
	wait "$cpid" 2>/dev/null
	[ $rc = 0 ] || return 1
	# ESP in UDP: a non-zero SPI after the UDP header (no extension headers)
	local f='udp dst port 4500 and ip6[48:4] != 0'
	[ "$ENC" = esp ] && f='ip6 proto 50'
	n_esp=$(tcpdump -r "$cap" -n "ip6 and src 2001:db8::1 and dst 2001:db8::2 and $f" 2>/dev/null | wc -l)
	n_clear=$(tcpdump -r "$cap" -n '(icmp and (net 10.1.0.0/24 or net 10.2.0.0/24)) or
		(icmp6 and (net fd01::/64 or net fd02::/64))' 2>/dev/null | wc -l)
	echo "    $1: $n_esp ESP packets ($ENC) 2001:db8::1 -> 2001:db8::2, $n_clear in clear"
	[ "$n_esp" -ge 2 ] && [ "$n_clear" = 0 ]
}
# the IKE SA and the ESP states use the IPv6 outer addresses
outer6() {
	u gwa list-sas | grep -q "local .*@ $GWA\[$(port)\]" &&
		u gwa list-sas | grep -q "remote .*@ $GWB\[$(port)\]" &&
		u gwb list-sas | grep -q "remote .*@ $GWA\[$(port)\]"
}

topo_up >/dev/null 2>&1 || { echo "FAIL: topology did not come up"; exit 1; }
# without a tunnel the sites do not reach each other
if ip netns exec "$(topo_name hosta)" ping -6 -c 1 -W 1 fd02::2 >/dev/null 2>&1; then
	echo "FAIL: fd01::/64 reaches fd02::/64 without a tunnel"
	exit 1
fi

# v6in6 NAME WIRE: the IPv6-in-IPv6 case with ENC as it is set
v6in6() {
	CASE=$1
	start fd01::/64 fd02::/64 || return
	u gwa initiate --child net >/dev/null || fail "initiate refused"
	if ! established; then
		fail "not established"
	elif ! outer6; then
		fail "IKE SA not on the IPv6 outer addresses"
	elif ! ping6_through; then
		fail "no ping6 fd01::2 <-> fd02::2 through the tunnel"
	elif ! esp6_carries ping6_through; then
		fail "the pings were not $2 over IPv6 on the wire"
	elif ! u gwa list-sas | grep -q "local  fd01::/64" ||
	     ! u gwa list-sas | grep -q "remote fd02::/64"; then
		fail "traffic selectors not fd01::/64 === fd02::/64"
	else
		echo "ok [$CASE]"
	fi
}
v6in6 "IPv6 in IPv6" ESP
ENC=esp
v6in6 "IPv6 in IPv6, raw ESP" "raw ESP"
ENC=udp

CASE="IPv4 in IPv6"
if start 10.1.0.0/24 10.2.0.0/24; then
	u gwa initiate --child net >/dev/null || fail "initiate refused"
	if ! established; then
		fail "not established"
	elif ! outer6; then
		fail "IKE SA not on the IPv6 outer addresses"
	elif ! ping4_through; then
		fail "no ping 10.1.0.2 <-> 10.2.0.2 through the tunnel"
	elif ! esp6_carries ping4_through; then
		fail "the pings were not ESP over IPv6 on the wire"
	else
		echo "ok [$CASE]"
	fi
fi

CASE="IPv4 and IPv6 in one CHILD_SA, IKE rekey"
if start "10.1.0.0/24,fd01::/64" "10.2.0.0/24,fd02::/64" "rekey_time = 3s"; then
	u gwa initiate --child net >/dev/null || fail "initiate refused"
	if ! established; then
		fail "not established"
	elif ! ping4_through || ! ping6_through; then
		fail "no ping of both families through the tunnel"
	else
		old=$(u gwa list-sas | head -n 1)
		sleep 5
		new=$(u gwa list-sas | grep -m 1 ESTABLISHED)
		if ! grep -q "IKE_SA rekeyed" "$W/gwa/uipsecd.log"; then
			fail "the IKE SA was not rekeyed"
		elif [ "$old" = "$new" ] || [ "$(u gwa list-sas | grep -c 'IKEv2')" -gt 2 ]; then
			fail "IKE SPIs did not change or old SAs remain ($old -> $new)"
		elif ! ping4_through || ! ping6_through; then
			fail "no ping after the IKE rekey"
		else
			echo "ok [$CASE]"
		fi
	fi
fi

# local_addrs = %any on the initiator: uipsecd picks the address the
# routing uses to reach remote_addrs, for either family.
for fam in 6 4; do
	CASE="initiator with local_addrs = %any, IPv$fam"
	[ $fam = 4 ] && { GWA=192.0.2.1 GWB=192.0.2.2; }
	if start fd01::/64 fd02::/64 "" %any; then
		u gwa initiate --child net >/dev/null || fail "initiate refused"
		if ! established; then
			fail "not established"
		elif ! outer6; then
			fail "IKE SA not between $GWA and $GWB"
		elif ! grep -q "local_addrs %any, reaching $GWB from $GWA" "$W/gwa/uipsecd.log"; then
			fail "the chosen source address was not logged"
		elif ! ping6_through; then
			fail "no ping6 through the tunnel"
		else
			echo "ok [$CASE]"
		fi
	fi
done

finish
