#!/usr/bin/env bash
# Where does a VPN daemon's time go? Brings up one peer of `make bench` on
# the four-namespace topology, loads it with iperf3 (hosta -> hostb), and
# samples both gateway daemons with perf (call graphs). Writes the perf data
# and text reports to $BUILD/bench-profile/PEER/ and prints the
# summaries.
#
#   scripts/bench_profile.sh PEER [tcp|tcp4|udp64]
#
# PEER is a name from scripts/bench.sh (uipsec-gcm-esp, strongswan,
# wireguard-go, ...). PROFILE_SECONDS (default 5) is how long perf samples;
# iperf3 runs 2 s longer, so that perf sees steady state. PERF_CALLGRAPH
# (default fp) is passed to perf record --call-graph: "dwarf" unwinds code
# built without frame pointers, at a higher cost. Needs root.
set -uo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD="$SRC/$BUILD" ;; esac
UIPSEC_BUILD=${UIPSEC_BUILD:-$BUILD}
PEER=${1:?usage: $0 PEER [tcp|tcp4|udp64]}
LOAD=${2:-tcp}
SECS=${PROFILE_SECONDS:-5}
BENCH_ID=$(($$ % 100000))
W="$BUILD/bench-profile/$PEER"
TOPO_PREFIX="p$BENCH_ID"

source "$SRC/scripts/topo.sh"
source "$SRC/scripts/charon.sh"
source "$SRC/scripts/bench_peers.sh"

say() { printf '%s\n' "$*" >&2; }
trap peer_stop EXIT
trap 'say "profile: interrupted"; exit 130' INT TERM HUP

[ "$(id -u)" = 0 ] || { say "profile: needs root"; exit 1; }
command -v perf >/dev/null || { say "profile: perf is not installed"; exit 1; }
declare -F "peer_up_$PEER" >/dev/null || { say "profile: unknown peer $PEER"; exit 2; }
case $LOAD in
tcp)   load_args=() ;;
tcp4)  load_args=(-P 4) ;;
udp64) load_args=(-u -l 64 -b 0) ;;
*)     say "profile: load is tcp, tcp4 or udp64"; exit 2 ;;
esac

rm -rf "$W"
if ! peer_start "$PEER"; then
	say "profile: $PEER did not come up: $PEER_ERR"
	exit 1
fi
[ ${#DAEMON_PIDS[@]} -gt 0 ] || { say "profile: $PEER has no daemon to profile"; exit 1; }
peer_bg hostb "$W/iperf3-server.log" iperf3 -s
peer_wait 50 ns hostb sh -c 'ss -ltn | grep -q ":5201 "' || { say "profile: iperf3 server did not start"; exit 1; }

ip netns exec "$(topo_name hosta)" iperf3 -c 10.2.0.2 -t $((SECS + 2)) "${load_args[@]}" >"$W/iperf3.log" 2>&1 &
client=$!
sleep 1
pids=$(IFS=,; echo "${DAEMON_PIDS[*]}")
# cpu-clock: a VM has no hardware counters; 999 Hz keeps the overhead low.
perf record -q -F 999 --call-graph "${PERF_CALLGRAPH:-fp}" -e cpu-clock -p "$pids" -o "$W/perf.data" -- sleep "$SECS" 2>"$W/perf-record.log"
wait "$client"
tail -n 4 "$W/iperf3.log" | sed 's/^/iperf3: /'

perf report -i "$W/perf.data" --stdio --no-children --sort dso -g none \
	>"$W/by-dso.txt" 2>/dev/null
perf report -i "$W/perf.data" --stdio --no-children --sort sym -g none --percent-limit 0.5 \
	>"$W/by-symbol.txt" 2>/dev/null
perf report -i "$W/perf.data" --stdio --children --sort sym -g none --percent-limit 2 \
	>"$W/by-symbol-children.txt" 2>/dev/null
perf report -i "$W/perf.data" --stdio --no-children --sort sym -g caller,0.5,callee --percent-limit 2 \
	>"$W/call-graph.txt" 2>/dev/null

echo "== $PEER under iperf3 $LOAD: samples by object (self)"
grep -v '^#' "$W/by-dso.txt" | grep -v '^$' | head -n 12
echo "== top symbols (self)"
grep -v '^#' "$W/by-symbol.txt" | grep -v '^$' | head -n 30
echo "== top symbols (with callees)"
grep -v '^#' "$W/by-symbol-children.txt" | grep -v '^$' | head -n 30
say "profile: full reports in $W"
