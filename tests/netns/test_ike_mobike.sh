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
# as the gateway, MOBIKE_PEER=charon-client with charon as the client
# (tests/interop/test_ike_charon_mobike*.sh).
# Exit 77: not root (or no charon with MOBIKE_PEER=charon).
set -u

TOPO_PREFIX=${TOPO_PREFIX:-mo$$}
TOPO_NAT=0
PEER=${MOBIKE_PEER:-uipsec}
# shellcheck source-path=SCRIPTDIR source=ike_lib.sh
source "$(dirname "$0")/ike_lib.sh"
if [ "$PEER" != uipsec ]; then
	ike_lib_init ike-mobike-charon charon uipsec
else
	ike_lib_init ike-mobike uipsec
fi

PSK=$(psk_random)

fail_logs() { fail_logs_both 30; }

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

# uipsec's end: the client's unless charon is the client
UNS=gwa
[ "$PEER" = charon-client ] && UNS=gwb

client_start() {
	if [ "$PEER" = charon-client ]; then
		charon_start gwa "$W/gwa"
	else
		uipsecd_start gwa
	fi
}

client_initiate() {
	if [ "$PEER" = charon-client ]; then
		charon_swanctl gwa --initiate --child net --timeout 10 >"$W/gwa/initiate.log" 2>&1
	else
		u gwa initiate --child net >/dev/null
	fi
}

# the client's log, and what it logs when it sends UPDATE_SA_ADDRESSES
client_log() { if [ "$PEER" = charon-client ]; then echo "$W/gwa/charon.log"; else echo "$W/gwa/uipsecd.log"; fi; }
client_sent_update() {
	if [ "$PEER" = charon-client ]; then
		grep -q "INFORMATIONAL request .*N(UPD_SA_ADDR)" "$(client_log)"
	else
		grep -q "sending UPDATE_SA_ADDRESSES${1:+: $1}" "$(client_log)"
	fi
}

# the IKE_SA's SPIs at uipsec's end (the first line of list-sas)
ike_spis() { u "$UNS" list-sas | awk 'NR == 1 {print $4, $5}'; }

# the gateway's view of the client: its address
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
if ! gateway_start || ! client_start; then
	fail "the daemons did not start"
else
	client_initiate
	if ! established "$UNS"; then
		fail "not established"
	elif ! u "$UNS" list-sas | grep -q "^  MOBIKE"; then
		fail "MOBIKE was not negotiated"
	elif ! ns gwa ping -c 1 -W 2 -I 10.3.0.1 10.2.0.2 >/dev/null 2>&1; then
		fail "no ping before the move"
	else
		before=$(child_spis "$UNS")
		ike_before=$(ike_spis)
		ping_start 6
		sleep 2
		moved_at=$(date +%s.%N)
		move_address
		wait $PING_PID
		read -r gap last < <(ping_gap)
		after=$(child_spis "$UNS")
		ike_after=$(ike_spis)
		# charon over kernel-libipsec cannot update an SA's addresses in
		# place: as gateway or client it rekeys its CHILD_SA right after
		# the move (CREATE_CHILD_SA with REKEY_SA), so there only the
		# IKE_SA stays the same (uipsec's end moves in place: its log)
		if [ "$PEER" != uipsec ]; then
			grep -q "moved to .*192.0.2.11" "$W/$UNS/uipsecd.log" || before="not moved in place"
			[ "$before" = "not moved in place" ] || before=$after
		fi
		if ! client_sent_update 192.0.2.11; then
			fail "the client sent no UPDATE_SA_ADDRESSES from 192.0.2.11"
		elif ! gw_remote | grep -q "192.0.2.11"; then
			fail "the gateway does not see the client at 192.0.2.11 ($(gw_remote))"
		elif [ "$ike_before" != "$ike_after" ]; then
			fail "the IKE_SA changed ($ike_before -> $ike_after)"
		elif [ "$before" != "$after" ]; then
			fail "the CHILD_SA SPIs changed ($before -> $after): rekeyed, not moved"
		elif awk -v l="$last" -v m="$moved_at" 'BEGIN { exit !(l < m + 2) }'; then
			fail "the pings did not resume after the move (last answer $last, moved at $moved_at)"
		elif awk -v g="$gap" 'BEGIN { exit !(g > 1.0) }'; then
			fail "the pings stopped for ${gap}s (more than 1 s)"
		elif [ "$PEER" != charon-client ] && ! u gwa list-sas | grep -q "local  vip 10.3.0.1"; then
			fail "the client lost its virtual IP"
		elif [ "$PEER" != charon ] && ! u gwb ike-stats | grep -q "mobike_moves *1$"; then
			fail "the gateway did not count one move"
		else
			echo "ok [$CASE] (longest gap ${gap}s)"
		fi
	fi
fi
stop_all
if declare -F charon_stop_all >/dev/null; then charon_stop_all; fi
for n in gwa gwb; do
	[ -f "$W/$n/charon.log" ] && mv "$W/$n/charon.log" "$W/$n/charon-move.log"
	[ -f "$W/$n/uipsecd.log" ] && mv "$W/$n/uipsecd.log" "$W/$n/uipsecd-move.log"
done
restore_address

CASE="mobike = no: no MOBIKE exchange"
write_rw_client "$W/gwa" carol@example.org %any "mobike = no"
rm -f "$W/gwa/ctl" "$W/gwb/ctl"
if ! gateway_start || ! client_start; then
	fail "the daemons did not start"
else
	client_initiate
	if ! established "$UNS"; then
		fail "not established"
	elif u "$UNS" list-sas | grep -q "^  MOBIKE"; then
		fail "MOBIKE negotiated with mobike = no"
	else
		move_address
		sleep 2
		if client_sent_update; then
			fail "the client sent UPDATE_SA_ADDRESSES with mobike = no"
		elif [ "$PEER" != charon ] && ! u gwb ike-stats | grep -q "mobike_moves *0$"; then
			fail "the gateway moved an SA"
		elif [ "$PEER" = charon-client ] &&
		     ! grep -q "reauthenticating IKE_SA due to address change" "$(client_log)"; then
			fail "charon did not reauthenticate (what it does without MOBIKE)"
		elif [ "$PEER" != charon-client ] && gw_remote | grep -q "192.0.2.11"; then
			fail "the gateway follows the client without MOBIKE"
		else
			echo "ok [$CASE]"
		fi
	fi
fi

finish
