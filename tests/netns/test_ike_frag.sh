#!/usr/bin/env bash
# IKE fragmentation (RFC 7383) uipsec to uipsec, over a public link whose
# MTU is 1,280 and which drops IP fragments (tests/netns/frag_lib.sh):
# the IKE_AUTH request (about 1,500 bytes) can only cross in IKE fragments,
# and with fragment_size = 576 (uipsecd.conf) the response goes in
# fragments too.
#
#   - fragmentation = yes (the default) on both: established, ping through
#     the tunnel; the capture on gwa eth1 holds Encrypted Fragment
#     datagrams from both gateways, no IKE datagram above 576 bytes and no
#     IP fragment; the counters say a message went in fragments and one was
#     reassembled on each side;
#   - fragmentation = no on the initiator: it announces nothing, the
#     request goes whole, the link drops its IP fragments, and nothing is
#     established (the fragments were needed);
#   - fragmentation = accept on the initiator: it sends the request whole
#     (dropped as above) although the responder would fragment: not
#     established either;
#   - fragment_size = 1280 (the default) and fragmentation = accept on the
#     responder: the initiator's request goes in fragments, the responder
#     answers whole (it fits one datagram).
# Exit 77: not root.
set -u

TOPO_PREFIX=${TOPO_PREFIX:-if$$}
TOPO_NAT=0
# shellcheck source-path=SCRIPTDIR source=ike_lib.sh
source "$(dirname "$0")/ike_lib.sh"
ike_lib_init ike-frag uipsec
# shellcheck source-path=SCRIPTDIR source=frag_lib.sh
source "$(dirname "$0")/frag_lib.sh"
command -v tcpdump >/dev/null || { echo "SKIP: tcpdump not installed"; exit 77; }

PSK=$(psk_random)

# start FRAGMENT_SIZE [GWA_EXTRA] [GWB_EXTRA]
start() {
	stop_all
	rm -rf "$W/gwa" "$W/gwb"
	printf 'uipsecd {\n    fragment_size = %s\n}\n' "$1" >"$W/uipsecd.conf"
	frag_conf "$W/gwa" 192.0.2.1 192.0.2.2 "$ID_A" "$ID_B" "$TS_A" "$TS_B" "${2:-}"
	frag_conf "$W/gwb" 192.0.2.2 192.0.2.1 "$ID_B" "$ID_A" "$TS_B" "$TS_A" "${3:-}"
	UIPSECD_ARGS="--settings $W/uipsecd.conf" uipsecd_start gwa gwb || { fail "uipsecd did not start"; return 1; }
}

topo_up >/dev/null 2>&1 || { echo "FAIL: topology did not come up"; exit 1; }
frag_link_up || { echo "FAIL: cannot set up the link (MTU, nft)"; exit 1; }

CASE="fragmentation = yes both ways"
if start 576; then
	frag_capture_start
	u gwa initiate --child net >/dev/null || fail "initiate refused"
	if established; then
		ping4_through || fail "no ping through the tunnel"
		frag_capture_stop
		a=$(skf_count 192.0.2.1) b=$(skf_count 192.0.2.2)
		[ "$a" -ge 3 ] || fail "gwa sent $a Encrypted Fragment datagrams (want 3 or more)"
		[ "$b" -ge 2 ] || fail "gwb sent $b Encrypted Fragment datagrams (want 2 or more)"
		[ "$(ike_big_count)" = 0 ] || fail "an IKE datagram above 576 bytes crossed"
		[ "$(ipfrag_count)" = 0 ] || fail "IP fragments crossed"
		for n in gwa gwb; do
			[ "$(ike_stat $n frag_msgs_tx)" -ge 1 ] || fail "$n sent nothing in fragments"
			[ "$(ike_stat $n frag_reassembled)" -ge 1 ] || fail "$n reassembled nothing"
			[ "$(ike_stat $n frag_bytes)" = 0 ] || fail "$n still holds fragments"
		done
		grep -q "splitting IKE message" "$W/gwa/uipsecd.log" || fail "gwa did not log the split"
		grep -q "reassembled fragmented IKE message" "$W/gwb/uipsecd.log" ||
			fail "gwb did not log the reassembly"
		echo "ok [$CASE: $a fragments from gwa, $b from gwb]"
	else
		frag_capture_stop
		fail "not established"
	fi
fi

CASE="fragmentation = no on the initiator"
if start 576 "fragmentation = no"; then
	drops=$(frag_ip_drops gwb)
	u gwa initiate --child net >/dev/null
	sleep 3
	if u gwa list-sas | grep -q "net: INSTALLED"; then
		fail "established although the whole IKE_AUTH request cannot cross"
	elif [ "$(frag_ip_drops gwb)" -le "$drops" ]; then
		fail "gwb's link dropped no IP fragment: the request did not go whole"
	elif [ "$(ike_stat gwa frag_tx)" != 0 ]; then
		fail "gwa sent fragments with fragmentation = no"
	else
		echo "ok [$CASE: whole, lost in IP fragments]"
	fi
fi

CASE="fragmentation = accept on the initiator"
if start 576 "fragmentation = accept"; then
	u gwa initiate --child net >/dev/null
	sleep 3
	if u gwa list-sas | grep -q "net: INSTALLED"; then
		fail "established although accept sends the IKE_AUTH request whole"
	elif [ "$(ike_stat gwa frag_tx)" != 0 ]; then
		fail "gwa sent fragments with fragmentation = accept"
	else
		echo "ok [$CASE]"
	fi
fi

CASE="fragment_size 1280, responder fragmentation = accept"
if start 1280 "" "fragmentation = accept"; then
	frag_capture_start
	u gwa initiate --child net >/dev/null
	if established; then
		ping4_through || fail "no ping through the tunnel"
		frag_capture_stop
		[ "$(skf_count 192.0.2.1)" -ge 2 ] || fail "gwa's request did not go in fragments"
		[ "$(skf_count 192.0.2.2)" = 0 ] || fail "gwb sent fragments with fragmentation = accept"
		[ "$(ike_stat gwb frag_reassembled)" -ge 1 ] || fail "gwb reassembled nothing"
		echo "ok [$CASE]"
	else
		frag_capture_stop
		fail "not established"
	fi
fi

finish
