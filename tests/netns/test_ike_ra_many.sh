#!/usr/bin/env bash
# Many road warriors at once on one gateway connection: RA_CLIENTS (10 in
# make check; `make bench-ra` runs 50) namespaces c1..cN, each with its
# own uipsecd as a client (vips = 0.0.0.0, identity cI@example.org, a
# PSK of its own that the gateway finds by that identity),
# behind a bridge on gwb's side (198.51.100.0/24), all dialling in at
# once to gwb's one connection rw (remote_addrs = %any, pools = rw from
# 10.3.0.0/24). Asserts: N IKE_SAs on rw, N distinct virtual IPs (each
# client's own, as the gateway's list-pools has it), every client pings
# hostb from its virtual IP at the same time; then all leave: no IKE_SA or
# CHILD_SA left on the gateway, every lease offline, and the gateway's
# memory back near where it started (RSS from /proc, and the heap in use
# as glibc counts it: mallinfo in `swanctl --stats`). Prints the figures,
# per client, on lines starting with "figure:".
# Exit 77: not root.
set -u

TOPO_PREFIX=${TOPO_PREFIX:-rm$$}
TOPO_NAT=0
N=${RA_CLIENTS:-10}
# shellcheck source-path=SCRIPTDIR source=ike_lib.sh
source "$(dirname "$0")/ike_lib.sh"
ike_lib_init ike-ra-many uipsec

PSK=$(psk_random)
CLIENTS=()
for ((i = 1; i <= N; i++)); do CLIENTS+=("c$i"); done

# the clients' namespaces go with the topology, whatever happens
many_down() {
	local c
	stop_all
	for c in "${CLIENTS[@]}"; do ip netns del "$(topo_name "$c")" 2>/dev/null; done
}
trap 'many_down; cleanup' EXIT

fail_logs() {
	echo "--- gwb uipsecd.log (tail)"
	tail -n 25 "$W/gwb/uipsecd.log" 2>/dev/null
	echo "--- c1 uipsecd.log (tail)"
	tail -n 10 "$W/c1/uipsecd.log" 2>/dev/null
}

# One client: its namespace on gwb's bridge (198.51.100.(I+1)), its
# swanctl.conf. $1: the index.
client_setup() {
	local i=$1 c=c$1 name
	name=$(topo_name "$c")
	ip netns add "$name" || return 1
	ip -n "$name" link set lo up
	ip -n "$(topo_name gwb)" link add "rw$i" type veth peer name eth0 netns "$name" || return 1
	ip -n "$(topo_name gwb)" link set "rw$i" master rwbr up
	ip -n "$name" addr add "198.51.100.$((i + 1))/24" dev eth0
	ip -n "$name" link set eth0 up
	ip -n "$name" route add 192.0.2.0/24 via 198.51.100.1
	mkdir -p "$W/$c"
	ra_client_conf "$c@example.org" "198.51.100.$((i + 1))" "$PSK$(printf %02x "$i")" >"$W/$c/swanctl.conf"
	# the gateway has a secret per client, found by its identity at
	# IKE_AUTH (none names the gateway: the connection has no remote id)
	printf 'secrets { ike-%s { id = %s@example.org\n secret = %s%s } }\n' \
		"$c" "$c" "$PSK" "$(printf %02x "$i")" >>"$W/gwb/swanctl.conf"
}

gateway_setup() {
	ns gwb ip link add rwbr type bridge || return 1
	ns gwb ip addr add 198.51.100.1/24 dev rwbr
	ns gwb ip link set rwbr up
	mkdir -p "$W/gwb"
	ra_gateway_conf 10.3.0.0/24 >"$W/gwb/swanctl.conf"
}

# the gateway's resident set (kB) and glibc's heap in use (bytes)
gw_rss() { awk '/^VmRSS:/ { print $2 }' "/proc/${IKE_PID[gwb]}/status"; }
# (glibc's mallinfo2 "used" in VICI's stats, as charon reports it)
gw_heap() {
	command -v swanctl >/dev/null || { echo 0; return; }
	ns gwb swanctl --stats --raw --uri "unix://$W/gwb/ctl" 2>/dev/null |
		grep -o 'used=[0-9]*' | head -n 1 | cut -d= -f2
}

# every client's virtual IP, one a line ("cI ADDR")
client_vips() {
	local c
	for c in "${CLIENTS[@]}"; do
		echo "$c $(u "$c" list-sas 2>/dev/null | awk '/local  vip/ { print $3; exit }')"
	done
}

# wait until the gateway has no IKE_SA left (10 s at most)
gw_empty() {
	for _ in $(seq 100); do
		[ "$(u gwb list-sas | grep -c 'ESTABLISHED\|CONNECTING')" = 0 ] && return 0
		sleep 0.1
	done
	return 1
}

topo_up >/dev/null 2>&1 || { echo "FAIL: topology did not come up"; exit 1; }
gateway_setup || { echo "FAIL: the clients' bridge on gwb did not come up"; exit 1; }
for ((i = 1; i <= N; i++)); do
	client_setup "$i" || { echo "FAIL: client c$i's namespace did not come up"; exit 1; }
done

# One round: every client dials in at once; asserts the IKE_SAs, distinct
# virtual IPs (the clients' own leases) and the simultaneous pings; sets
# T_UP (seconds to bring all up), RSS_UP and HEAP_UP. $1: the round.
round_up() {
	local c v p ok=1 t0 n_sas n_online vips n_vips n_distinct n_match n_ping pids=()
	CASE="round $1: $N clients at once on one connection"
	t0=$(date +%s.%N)
	for c in "${CLIENTS[@]}"; do
		u "$c" initiate --child net >/dev/null 2>&1 &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	established "${CLIENTS[@]}" || true
	T_UP=$(echo "$(date +%s.%N) - $t0" | bc)
	sleep 1.5   # a tick of the gateway
	RSS_UP=$(gw_rss)
	HEAP_UP=$(gw_heap)
	n_sas=$(u gwb list-sas | grep -c '^rw: ESTABLISHED')
	n_online=$(u gwb list-pools | grep -c ' online ')
	vips=$(client_vips)
	n_vips=$(echo "$vips" | awk 'NF == 2' | wc -l)
	n_distinct=$(echo "$vips" | awk 'NF == 2 { print $2 }' | sort -u | wc -l)
	# each client's address as the gateway leased it to its identity
	n_match=0
	while read -r c v; do
		[ -n "${v:-}" ] || continue
		u gwb list-pools | grep -q "^  $v .*online .*'$c@example.org'" && n_match=$((n_match + 1))
	done <<<"$vips"
	if [ "$n_sas" != "$N" ]; then
		fail "gwb has $n_sas IKE_SAs on rw, not $N"; return 1
	elif [ "$n_vips" != "$N" ] || [ "$n_distinct" != "$N" ]; then
		fail "$n_vips clients have a virtual IP, $n_distinct distinct, not $N"; return 1
	elif [ "$n_online" != "$N" ] || [ "$n_match" != "$N" ]; then
		fail "gwb's pool has $n_online online leases, $n_match of them the clients' own, not $N"
		return 1
	fi
	# every client pings hostb from its virtual IP, all at the same time
	pids=()
	while read -r c v; do
		ns "$c" ping -c 3 -i 0.2 -W 2 -I "$v" 10.2.0.2 >"$W/$c/ping" 2>&1 &
		pids+=($!)
	done <<<"$vips"
	n_ping=0
	for p in "${pids[@]}"; do wait "$p" && n_ping=$((n_ping + 1)); done
	if [ "$n_ping" != "$N" ]; then
		fail "only $n_ping of $N clients could ping hostb at once"; return 1
	fi
	# a reconnect gets the address back (round 2 against round 1)
	if [ -n "${VIPS1:-}" ] && [ "$vips" != "$VIPS1" ]; then
		fail "the clients did not get their addresses back"; return 1
	fi
	VIPS1=$vips
	echo "ok [$CASE]"
}

# All clients leave at once: no IKE_SA or CHILD_SA left on the gateway,
# every lease offline; sets RSS_DOWN and HEAP_DOWN after the next ticks.
round_down() {
	local c p pids=()
	CASE="round $1: all $N leave, leases released, SAs gone"
	for c in "${CLIENTS[@]}"; do
		u "$c" terminate --ike rw >/dev/null 2>&1 &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	if ! gw_empty; then
		fail "gwb still has IKE_SAs: $(u gwb list-sas | grep -c ESTABLISHED)"; return 1
	elif u gwb list-sas | grep -q 'INSTALLED'; then
		fail "gwb still has CHILD_SAs"; return 1
	elif [ "$(u gwb list-pools | grep -c ' online ')" != 0 ] ||
	     [ "$(u gwb list-pools | grep -c ' offline ')" != "$N" ]; then
		fail "the leases are not all offline: $(u gwb list-pools | head -n 1)"; return 1
	fi
	# the SAs are gone: the next tick trims the heap (malloc_trim)
	sleep 2.5
	RSS_DOWN=$(gw_rss)
	HEAP_DOWN=$(gw_heap)
	echo "ok [$CASE]"
}

if ! uipsecd_start gwb; then
	fail "the gateway did not start"
	finish
fi
# the clients' daemons, started before the gateway's first figures
for c in "${CLIENTS[@]}"; do uipsecd_start "$c" >/dev/null || true; done
sleep 1   # past the gateway's start-up allocations and a first tick
RSS0=$(gw_rss)
HEAP0=$(gw_heap)

round_up 1 && round_down 1 || finish
RSS1=$RSS_UP HEAP1=$HEAP_UP RSS2=$RSS_DOWN HEAP2=$HEAP_DOWN T1=$T_UP
round_up 2 && round_down 2 || finish
RSS3=$RSS_DOWN HEAP3=$HEAP_DOWN

echo "figure: clients $N, all established ${T1} s after they started (round 2: ${T_UP} s)"
echo "figure: gateway RSS kB: start $RSS0, with $N clients $RSS1, after they left $RSS2, after round 2 $RSS3"
echo "figure: gateway RSS per client: $(((RSS1 - RSS0) * 1024 / N)) bytes"
echo "figure: gateway heap used (mallinfo) bytes: start $HEAP0, with $N clients $HEAP1, after they left $HEAP2, after round 2 $HEAP3"
echo "figure: gateway heap per client: $(((HEAP1 - HEAP0) / N)) bytes, kept after they left: $(((HEAP2 - HEAP0) / N)) bytes"

CASE="memory back after the clients left"
# What stays after the first round is what the gateway keeps by design
# (an offline lease per identity, tables grown once): a second round of
# the same clients must leave the heap where the first one did, and the
# RSS near it (glibc gives trimmed pages back, but not every page of a
# fragmented heap).
if [ "$HEAP0" != 0 ] && [ $((HEAP3 - HEAP2)) -gt 16384 ]; then
	fail "the heap grew from round to round: $HEAP0 -> $HEAP2 -> $HEAP3"
elif [ "$HEAP0" != 0 ] && [ $((HEAP2 - HEAP0)) -gt $((N * 6144 + 131072)) ]; then
	fail "the heap did not come back: $HEAP0 -> $HEAP1 -> $HEAP2"
elif [ $((RSS3 - RSS2)) -gt 256 ]; then
	fail "the RSS grew from round to round: $RSS0 -> $RSS2 -> $RSS3 kB"
elif [ $((RSS2 - RSS0)) -gt $(((RSS1 - RSS0) / 2 > 1024 ? (RSS1 - RSS0) / 2 : 1024)) ]; then
	fail "the RSS did not come back: $RSS0 -> $RSS1 -> $RSS2 kB"
else
	echo "ok [$CASE]"
fi

finish
