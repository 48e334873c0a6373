#!/usr/bin/env bash
# MOBIKE (RFC 4555), uipsec to uipsec, in the four-namespace topology:
# uipsecd on gwa is a road warrior (local_addrs = %any, vips = 0.0.0.0),
# uipsecd on gwb the gateway (remote_addrs = %any, a pool). During a
# continuous ping from the virtual IP to hostb, gwa's address changes
# (192.0.2.11 is added, 192.0.2.1 removed). With mobike = yes (the
# default) the client sends UPDATE_SA_ADDRESSES, both ends move their SAs
# in place: the pings resume within 1 s, the CHILD_SA SPIs are the ones
# from before (no rekeying), the gateway sees the client at 192.0.2.11 and
# the virtual IP stays. With mobike = no on the client: no MOBIKE
# exchange at all, nothing moves.
#
# MOBIKE_PEER=charon runs the same against charon 5.9.8 (kernel-libipsec)
# as the gateway (tests/interop/test_ike_charon_mobike.sh).
# Exit 77: not root (or no charon with MOBIKE_PEER=charon).
set -u

TOPO_PREFIX=${TOPO_PREFIX:-mo$$}
TOPO_NAT=0
PEER=${MOBIKE_PEER:-uipsec}
# shellcheck source-path=SCRIPTDIR source=ike_lib.sh
source "$(dirname "$0")/ike_lib.sh"
if [ "$PEER" = charon ]; then
	ike_lib_init ike-mobike-charon charon uipsec
else
	ike_lib_init ike-mobike uipsec
fi

PSK=$(psk_random)

fail_logs() {
	local n
	for n in gwa gwb; do
		[ -f "$W/$n/uipsecd.log" ] && { echo "--- $n uipsecd.log (tail)"; tail -n 30 "$W/$n/uipsecd.log"; }
		[ -f "$W/$n/charon.log" ] && { echo "--- $n charon.log (tail)"; tail -n 40 "$W/$n/charon.log"; }
	done
	return 0
}

topo_up >/dev/null 2>&1 || { echo "FAIL: topology did not come up"; exit 1; }
# the new address is a secondary one in the same subnet: when the old
# primary goes, it takes its place (and the subnet's route stays)
ns gwa sysctl -qw net.ipv4.conf.eth1.promote_secondaries=1

gateway_start() {
	if [ "$PEER" = charon ]; then
		charon_start gwb "$W/gwb"
	else
		uipsecd_start gwb
	fi
}

# the gateway's view of the client: its address, and the SPIs
gw_remote() {
	if [ "$PEER" = charon ]; then
		charon_swanctl gwb --list-sas 2>/dev/null | awk '/remote/ && /@/ {print $0; exit}'
	else
		u gwb list-sas | awk '/^  remote/ {print $0; exit}'
	fi
}

# ping from the virtual IP every 0.1 s for $1 seconds into $W/ping.log
# (with receive times), in the background: PING_PID
ping_start() {
	ns gwa ping -D -n -i 0.1 -W 1 -w "$1" -I 10.3.0.1 10.2.0.2 >"$W/ping.log" 2>&1 &
	PING_PID=$!
}

# the longest time between two answers in $W/ping.log, and the time of
# the last one (seconds since the epoch)
ping_gap() {
	awk -F'[][]' '/bytes from/ { t = $2; if (p) { d = t - p; if (d > m) m = d }; p = t }
	              END { printf "%.3f %.3f\n", m, p }' "$W/ping.log"
}

move_address() {
	ns gwa ip addr add 192.0.2.11/24 dev eth1
	ns gwa ip addr del 192.0.2.1/24 dev eth1
}

restore_address() {
	ns gwa ip addr add 192.0.2.1/24 dev eth1 2>/dev/null
	ns gwa ip addr del 192.0.2.11/24 dev eth1 2>/dev/null
	ns gwa ip route replace 192.0.2.0/24 dev eth1 src 192.0.2.1 2>/dev/null
	return 0
}

CASE="mobike = yes: the tunnel moves, no rekeying"
rm -rf "$W/gwa" "$W/gwb"
write_rw_client "$W/gwa" carol@example.org %any
write_rw_gateway "$W/gwb" 10.3.0.0/24
if ! gateway_start || ! uipsecd_start gwa; then
	fail "the daemons did not start"
else
	u gwa initiate --child net >/dev/null
	if ! established gwa; then
		fail "not established"
	elif ! u gwa list-sas | grep -q "^  MOBIKE"; then
		fail "MOBIKE was not negotiated"
	elif ! ns gwa ping -c 1 -W 2 -I 10.3.0.1 10.2.0.2 >/dev/null 2>&1; then
		fail "no ping before the move"
	else
		before=$(child_spis gwa)
		ping_start 6
		sleep 2
		moved_at=$(date +%s.%N)
		move_address
		wait $PING_PID
		read -r gap last < <(ping_gap)
		after=$(child_spis gwa)
		if ! grep -q "sending UPDATE_SA_ADDRESSES: 192.0.2.11" "$W/gwa/uipsecd.log"; then
			fail "gwa sent no UPDATE_SA_ADDRESSES from 192.0.2.11"
		elif ! gw_remote | grep -q "192.0.2.11"; then
			fail "the gateway does not see the client at 192.0.2.11 ($(gw_remote))"
		elif [ "$before" != "$after" ]; then
			fail "the CHILD_SA SPIs changed ($before -> $after): rekeyed, not moved"
		elif awk -v l="$last" -v m="$moved_at" 'BEGIN { exit !(l < m + 2) }'; then
			fail "the pings did not resume after the move (last answer $last, moved at $moved_at)"
		elif awk -v g="$gap" 'BEGIN { exit !(g > 1.0) }'; then
			fail "the pings stopped for ${gap}s (more than 1 s)"
		elif ! u gwa list-sas | grep -q "local  vip 10.3.0.1"; then
			fail "the client lost its virtual IP"
		elif [ "$PEER" = uipsec ] && ! u gwb ike-stats | grep -q "mobike_moves *1$"; then
			fail "the gateway did not count one move"
		else
			echo "ok [$CASE] (longest gap ${gap}s)"
		fi
	fi
fi
stop_all
if declare -F charon_stop_all >/dev/null; then charon_stop_all; fi
restore_address

CASE="mobike = no: no MOBIKE exchange"
write_rw_client "$W/gwa" carol@example.org %any "mobike = no"
rm -f "$W/gwa/ctl" "$W/gwb/ctl"
if ! gateway_start || ! uipsecd_start gwa; then
	fail "the daemons did not start"
else
	u gwa initiate --child net >/dev/null
	if ! established gwa; then
		fail "not established"
	elif u gwa list-sas | grep -q "^  MOBIKE"; then
		fail "MOBIKE negotiated with mobike = no"
	else
		move_address
		sleep 2
		if grep -q "UPDATE_SA_ADDRESSES" "$W/gwa/uipsecd.log"; then
			fail "gwa sent UPDATE_SA_ADDRESSES with mobike = no"
		elif [ "$PEER" = uipsec ] && ! u gwb ike-stats | grep -q "mobike_moves *0$"; then
			fail "the gateway moved an SA"
		elif gw_remote | grep -q "192.0.2.11"; then
			fail "the gateway follows the client without MOBIKE"
		else
			echo "ok [$CASE]"
		fi
	fi
fi

finish
