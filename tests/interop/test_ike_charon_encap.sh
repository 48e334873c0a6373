#!/usr/bin/env bash
# uipsec's default encapsulation and raw_esp = yes against strongSwan 5.9.8
# (charon + kernel-libipsec), without a NAT, with a plain site-to-site
# swanctl.conf (no encap option) on both, uipsec as initiator (gwa) and as
# responder (gwb):
#
#   - default uipsecd.conf (raw_esp = no): uipsec fakes the NAT detection,
#     charon logs the peer behind a NAT; ESP in UDP 4500 on the wire;
#   - raw_esp = yes: uipsec's NAT detection is true (charon sees no NAT on
#     its peer's side and logs its own fake), but 5.9.8's kernel-libipsec
#     fakes a NAT (it has no raw ESP), so uipsec follows it to UDP 4500
#     all the same.
#
# Raw ESP on the wire against charon would need charon with kernel ESP or
# kernel-libipsec's raw_esp (not in 5.9.8's plugin); the test kernels have no
# ESP and Debian 12 has 5.9.8, so raw ESP is checked uipsec to uipsec
# (tests/netns/test_ike_encap.sh). Exit 77: not root / no charon.
set -u

TOPO_PREFIX=${TOPO_PREFIX:-ce$$}
TOPO_NAT=0
# shellcheck source-path=SCRIPTDIR source=../netns/ike_lib.sh
source "$(dirname "$0")/../netns/ike_lib.sh"
ike_lib_init ike-charon-encap charon uipsec
command -v tcpdump >/dev/null || { echo "SKIP: no tcpdump"; exit 77; }

U='' C='' UDIR='' CDIR=''
fail_logs() {
	echo "--- uipsecd log (tail)"; tail -n 20 "$UDIR/uipsecd.log" 2>/dev/null
	echo "--- charon log (tail)"; tail -n 20 "$CDIR/charon.log" 2>/dev/null
}

PSK=$(psk_random)
PROP=aes256gcm16-prfsha256-x25519 ESP=aes128gcm16

# setup ROLE RAW: ROLE init: uipsec on gwa, charon on gwb; resp: the other
# way round. RAW: uipsec's raw_esp (yes|default).
setup() {
	local role=$1 raw=$2
	stop_all
	charon_stop_all
	rm -rf "$W/gwa" "$W/gwb"
	if [ "$role" = init ]; then U=gwa C=gwb; else U=gwb C=gwa; fi
	UDIR=$W/$U CDIR=$W/$C
	write_conf "$W/gwa" 192.0.2.1 192.0.2.2 gwa.example.org gwb.example.org 10.1.0.0/24 10.2.0.0/24 \
		"$PROP" "$ESP" "$PSK"
	write_conf "$W/gwb" 192.0.2.2 192.0.2.1 gwb.example.org gwa.example.org 10.2.0.0/24 10.1.0.0/24 \
		"$PROP" "$ESP" "$PSK"
	if [ "$raw" = yes ]; then
		printf 'uipsecd {\n    raw_esp = yes\n}\n' >"$UDIR/uipsecd.conf"
	else
		: >"$UDIR/uipsecd.conf"
	fi
	charon_start "$C" "$CDIR" || { fail "charon did not start"; return 1; }
	UIPSECD_ARGS="--settings $UDIR/uipsecd.conf" uipsecd_start "$U" || { fail "uipsecd did not start"; return 1; }
}

initiate() {
	if [ "$U" = gwa ]; then
		u "$U" initiate --child net >/dev/null && established "$U"
		return
	fi
	charon_swanctl "$C" --initiate --child net --timeout 10 >"$CDIR/initiate.log" 2>&1
}

# the pings go as ESP in UDP 4500 (none as IP protocol 50), on gwb eth1
wire_udp() {
	local pid udp raw
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
	((udp >= 16 && raw == 0)) || { fail "wanted ESP in UDP 4500: $udp in UDP, $raw raw"; return 1; }
	u "$U" list-sas | grep -q "TUNNEL-in-UDP" || { fail "uipsec's CHILD_SA not TUNNEL-in-UDP"; return 1; }
	charon_swanctl "$C" --list-sas --raw 2>&1 | grep -q "encap=yes" || { fail "charon's CHILD_SA not encap=yes"; return 1; }
}

topo_up >/dev/null 2>&1 || { echo "FAIL: topology did not come up"; exit 1; }

for role in init resp; do
	for raw in default yes; do
		CASE="$role, raw_esp = $raw"
		setup "$role" "$raw" || continue
		initiate || { fail "not established"; continue; }
		wire_udp || continue
		# who faked: charon always; uipsec unless raw_esp = yes (charon
		# logs its own fake only when it sees no NAT, i.e. a true peer)
		if [ "$raw" = yes ]; then
			grep -q "remote host is behind NAT" "$CDIR/charon.log" &&
				{ fail "raw_esp = yes, yet charon saw uipsec behind a NAT"; continue; }
			grep -q "faking NAT situation" "$CDIR/charon.log" ||
				{ fail "charon did not fake the NAT detection"; continue; }
		else
			grep -q "remote host is behind NAT" "$CDIR/charon.log" ||
				{ fail "charon did not see uipsec's faked NAT"; continue; }
		fi
		grep -q "the peer is behind a NAT (or fakes it)" "$UDIR/uipsecd.log" ||
			{ fail "uipsec did not see charon's faked NAT"; continue; }
		echo "ok [$CASE]"
	done
done

finish
