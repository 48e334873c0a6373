#!/usr/bin/env bash
# IKE fragmentation (RFC 7383) between uipsec and strongSwan 5.9.8 charon
# (kernel-libipsec), over a public link whose MTU is 1,280 and which drops
# IP fragments (tests/netns/frag_lib.sh): with long identities, eight
# traffic selectors each way and eight ESP proposals, the IKE_AUTH request
# is larger than one datagram; with fragment_size = 576 on both ends
# (charon.fragment_size in its strongswan.conf, uipsecd.fragment_size in
# uipsecd.conf) IKE_AUTH goes in fragments both ways.
#
# uipsec as initiator (gwa) and as responder (gwb); each time: established,
# a ping through the tunnel, Encrypted Fragment datagrams from both
# gateways in the capture on gwa eth1 (behind the non-ESP marker on 4500,
# where kernel-libipsec's faked NAT moves IKE) and none above 576 bytes,
# uipsec's counters (a message sent in fragments, one reassembled, nothing
# left held), and charon's log saying it split and reassembled. Then
# uipsec with fragmentation = no as initiator: charon sees no
# FRAGMENTATION_SUPPORTED and uipsec sends the request whole, which the
# link loses: not established. Exit 77: not root / no charon.
set -u

TOPO_PREFIX=${TOPO_PREFIX:-icf$$}
TOPO_NAT=0
# shellcheck source-path=SCRIPTDIR source=../netns/ike_lib.sh
source "$(dirname "$0")/../netns/ike_lib.sh"
ike_lib_init ike-charon-frag charon uipsec
# shellcheck source-path=SCRIPTDIR source=../netns/frag_lib.sh
source "$(dirname "$0")/../netns/frag_lib.sh"
command -v tcpdump >/dev/null || { echo "SKIP: tcpdump not installed"; exit 77; }

U='' C='' UDIR='' CDIR=''
fail_logs() {
	echo "--- uipsecd log (tail)"; tail -n 25 "$UDIR/uipsecd.log" 2>/dev/null
	echo "--- charon log (tail)"; tail -n 25 "$CDIR/charon.log" 2>/dev/null
}

PSK=$(psk_random)
uipsec() { u "$U" "$@"; }

# setup ROLE [UIPSEC_EXTRA]: ROLE init: uipsec on gwa, charon on gwb; resp:
# charon on gwa, uipsec on gwb.
setup() {
	local role=$1 a_extra='' b_extra=''
	stop_all
	charon_stop_all
	rm -rf "$W/gwa" "$W/gwb"
	if [ "$role" = init ]; then U=gwa C=gwb a_extra=${2:-}; else U=gwb C=gwa b_extra=${2:-}; fi
	UDIR=$W/$U CDIR=$W/$C
	frag_conf "$W/gwa" 192.0.2.1 192.0.2.2 "$ID_A" "$ID_B" "$TS_A" "$TS_B" "$a_extra"
	frag_conf "$W/gwb" 192.0.2.2 192.0.2.1 "$ID_B" "$ID_A" "$TS_B" "$TS_A" "$b_extra"
	printf 'uipsecd {\n    fragment_size = 576\n}\n' >"$W/uipsecd.conf"
	CHARON_EXTRA="fragment_size = 576" charon_start "$C" "$CDIR" || { fail "charon did not start"; return 1; }
	UIPSECD_ARGS="--settings $W/uipsecd.conf" uipsecd_start "$U" || { fail "uipsecd did not start"; return 1; }
}

initiate() {
	if [ "$U" = gwa ]; then
		uipsec initiate --child net >/dev/null && established "$U"
		return
	fi
	charon_swanctl "$C" --initiate --child net --timeout 15 >"$CDIR/initiate.log" 2>&1 &&
		established "$U"
}

topo_up >/dev/null 2>&1 || { echo "FAIL: topology did not come up"; exit 1; }
frag_link_up || { echo "FAIL: cannot set up the link (MTU, nft)"; exit 1; }

for role in init resp; do
	CASE="$role: IKE_AUTH in fragments both ways"
	setup "$role" || continue
	frag_capture_start
	if ! initiate; then
		frag_capture_stop
		fail "not established"
		continue
	fi
	ping4_through || { frag_capture_stop; fail "no ping through the tunnel"; continue; }
	frag_capture_stop
	a=$(skf_count 192.0.2.1) b=$(skf_count 192.0.2.2)
	[ "$a" -ge 2 ] || { fail "gwa sent $a Encrypted Fragment datagrams"; continue; }
	[ "$b" -ge 2 ] || { fail "gwb sent $b Encrypted Fragment datagrams"; continue; }
	[ "$(ike_big_count)" = 0 ] || { fail "an IKE datagram above 576 bytes crossed"; continue; }
	[ "$(ipfrag_count)" = 0 ] || { fail "IP fragments crossed"; continue; }
	[ "$(ike_stat "$U" frag_msgs_tx)" -ge 1 ] || { fail "uipsec sent nothing in fragments"; continue; }
	[ "$(ike_stat "$U" frag_reassembled)" -ge 1 ] || { fail "uipsec reassembled nothing"; continue; }
	[ "$(ike_stat "$U" frag_bytes)" = 0 ] || { fail "uipsec still holds fragments"; continue; }
	[ "$(ike_stat "$U" drop_icv)" = 0 ] || { fail "a fragment failed its ICV at uipsec"; continue; }
	grep -q "splitting IKE message" "$CDIR/charon.log" || { fail "charon did not split"; continue; }
	grep -q "reassembled fragmented IKE message" "$CDIR/charon.log" ||
		{ fail "charon did not reassemble"; continue; }
	echo "ok [$CASE: $a fragments from gwa, $b from gwb]"
done

CASE="init: uipsec with fragmentation = no"
if setup init "fragmentation = no"; then
	drops=$(frag_ip_drops gwb)
	uipsec initiate --child net >/dev/null
	sleep 3
	if uipsec list-sas | grep -q "net: INSTALLED"; then
		fail "established although the whole IKE_AUTH request cannot cross"
	elif [ "$(frag_ip_drops gwb)" -le "$drops" ]; then
		fail "the link dropped no IP fragment: the request did not go whole"
	elif [ "$(ike_stat gwa frag_tx)" != 0 ]; then
		fail "uipsec sent fragments with fragmentation = no"
	else
		echo "ok [$CASE: whole, lost in IP fragments]"
	fi
fi

finish
