#!/usr/bin/env bash
# Which encapsulation uipsec to uipsec negotiates over IKEv2 without a NAT,
# with a plain site-to-site swanctl.conf (no encap option), seen on the
# wire (a capture on gwb's public side while hosta and hostb ping):
#
#   - default uipsecd.conf (raw_esp = no, as charon's kernel-libipsec): the
#     NAT detection is faked, IKE moves to 4500, ESP in UDP 4500 and no
#     ESP (IP protocol 50) packet;
#   - raw_esp = yes on both: IKE stays on 500, raw ESP and no UDP 4500;
#   - raw_esp = yes on gwa only: gwb's faked NAT still moves both to UDP
#     (charon's kernel-libipsec does the same to a raw-ESP peer);
#   - raw_esp = yes on both and encap = yes on gwa: ESP in UDP;
#   - raw_esp switched from no to yes by SIGHUP on both: the IKE_SA set up
#     after the reload uses raw ESP.
# Exit 77: not root.
set -u

TOPO_PREFIX=${TOPO_PREFIX:-ie$$}
TOPO_NAT=0
# shellcheck source-path=SCRIPTDIR source=ike_lib.sh
source "$(dirname "$0")/ike_lib.sh"
ike_lib_init ike-encap uipsec
command -v tcpdump >/dev/null || { echo "SKIP: no tcpdump"; exit 77; }

PSK=$(psk_random)
PROP=aes256gcm16-prfsha256-x25519 ESP=aes128gcm16

# settings NS yes|no|default: NS's uipsecd.conf
settings() {
	mkdir -p "$W/$1"
	case $2 in
	default) : >"$W/$1/uipsecd.conf" ;;
	*) printf 'uipsecd {\n    raw_esp = %s\n}\n' "$2" >"$W/$1/uipsecd.conf" ;;
	esac
}

# start RAW_A RAW_B [CONN_EXTRA_A]: both uipsecd with these uipsecd.conf
# settings, gwa initiates, tunnel established.
start() {
	stop_all
	rm -rf "$W/gwa" "$W/gwb"
	write_conf "$W/gwa" 192.0.2.1 192.0.2.2 gwa.example.org gwb.example.org 10.1.0.0/24 10.2.0.0/24 \
		"$PROP" "$ESP" "$PSK" "${3:-}"
	write_conf "$W/gwb" 192.0.2.2 192.0.2.1 gwb.example.org gwa.example.org 10.2.0.0/24 10.1.0.0/24 \
		"$PROP" "$ESP" "$PSK"
	settings gwa "$1"
	settings gwb "$2"
	UIPSECD_ARGS="--settings $W/gwa/uipsecd.conf" uipsecd_start gwa || { fail "uipsecd did not start on gwa"; return 1; }
	UIPSECD_ARGS="--settings $W/gwb/uipsecd.conf" uipsecd_start gwb || { fail "uipsecd did not start on gwb"; return 1; }
	u gwa initiate --child net >/dev/null && established || { fail "not established"; return 1; }
}

# wire udp|esp: capture on gwb eth1 during pings both ways; pass if the
# ESP went as WANT (ESP in UDP 4500, or IP protocol 50) and none the other
# way, and list-sas on both says so.
wire() {
	local want=$1 pid udp raw ike4500 n
	ip netns exec "$(topo_name gwb)" tcpdump -n -i eth1 --immediate-mode -U -w "$W/wire.pcap" \
		'not arp' >"$W/tcpdump.out" 2>&1 &
	pid=$!
	sleep 1
	ns hosta ping -c 5 -i 0.2 -W 2 10.2.0.2 >/dev/null 2>&1 &&
		ns hostb ping -c 3 -i 0.2 -W 2 10.1.0.2 >/dev/null 2>&1 || { kill $pid; wait $pid; fail "no ping through"; return 1; }
	sleep 0.5
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null
	udp=$(tcpdump -n -r "$W/wire.pcap" 'udp port 4500 and udp[8:4] != 0' 2>/dev/null | wc -l)
	raw=$(tcpdump -n -r "$W/wire.pcap" 'ip proto 50' 2>/dev/null | wc -l)
	echo "  wire: $udp ESP-in-UDP, $raw raw ESP packets"
	if [ "$want" = udp ]; then
		((udp >= 16 && raw == 0)) || { fail "wanted ESP in UDP 4500: $udp in UDP, $raw raw"; return 1; }
	else
		((raw >= 16 && udp == 0)) || { fail "wanted raw ESP: $udp in UDP, $raw raw"; return 1; }
		ike4500=$(tcpdump -n -r "$W/wire.pcap" 'udp port 4500' 2>/dev/null | wc -l)
		((ike4500 == 0)) || { fail "raw ESP, yet $ike4500 datagrams on port 4500"; return 1; }
	fi
	for n in gwa gwb; do
		if [ "$want" = udp ]; then
			u $n list-sas | grep -q "TUNNEL-in-UDP" || { fail "$n: CHILD_SA not TUNNEL-in-UDP"; return 1; }
			u $n list-sas | grep -q "\[4500\]" || { fail "$n: IKE_SA not on 4500"; return 1; }
		else
			u $n list-sas | grep -q "TUNNEL-in-UDP" && { fail "$n: CHILD_SA in UDP"; return 1; }
			u $n list-sas | grep -q "\[4500\]" && { fail "$n: IKE_SA on 4500"; return 1; }
		fi
	done
	return 0
}

topo_up >/dev/null 2>&1 || { echo "FAIL: topology did not come up"; exit 1; }

CASE="default uipsecd.conf on both"
start default default && wire udp && echo "ok [$CASE]"

CASE="raw_esp = yes on both"
start yes yes && wire esp && echo "ok [$CASE]"

CASE="raw_esp = yes on gwa only"
start yes default && wire udp && echo "ok [$CASE]"

CASE="raw_esp = yes on both, encap = yes on gwa"
start yes yes "encap = yes" && wire udp && echo "ok [$CASE]"

CASE="raw_esp = no -> yes by SIGHUP"
if start no no && wire udp; then
	# uipsecd rereads its files as uid uipsec: let it in
	chmod 711 "$W" "$W/gwa" "$W/gwb"
	chgrp uipsec "$W/gwa/swanctl.conf" "$W/gwb/swanctl.conf"
	chmod 640 "$W/gwa/swanctl.conf" "$W/gwb/swanctl.conf"
	settings gwa yes
	settings gwb yes
	chmod 644 "$W/gwa/uipsecd.conf" "$W/gwb/uipsecd.conf"
	kill -HUP "${IKE_PID[gwa]}" "${IKE_PID[gwb]}"
	sleep 0.5
	u gwa terminate --ike site >/dev/null 2>&1
	sleep 0.5
	if u gwa initiate --child net >/dev/null && established; then
		wire esp && echo "ok [$CASE]"
	else
		fail "not re-established after the reload"
	fi
fi

finish
