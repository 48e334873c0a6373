#!/usr/bin/env bash
# make bench: the micro-benchmarks (bench/bench_*), then uipsec side by side
# with plain forwarding, strongSwan (charon + kernel-libipsec) and
# wireguard-go on the four-namespace topology (scripts/topo.sh).
#
# Method (docs/performance.md): ROUNDS rounds; each round runs every peer once,
# in the same order (A B C A B C ...), each in a fresh topology; within a run:
# ping (idle tunnel), iperf3 TCP 1 stream, TCP 4 streams, UDP 64-byte
# payloads with iperf3's default socket buffers and with 2 MiB. The summary
# gives median [min..max] over the rounds, and the ratios of the medians.
#
# Environment:
#   ROUNDS=3           rounds (at least 3 for the report the issue asks for)
#   BENCH_SECONDS=5    seconds per iperf3 test
#   PING_COUNT=100     pings per run (10 ms apart)
#   PEERS="..."        peers to run, in order (default: DEFAULT_PEERS below;
#                      "all" for every one)
#   BENCH_TESTS="..."  tests of each run, of: ping tcp1 tcp4 udp64 udp64buf
#                      (default: all; a subset for a quicker A/B); a peer
#                      runs those of its own (peer_tests) that are in it
#   BENCH_IKE=1        then run scripts/bench_ike.sh (0: skip), with
#                      BENCH_IKE_PEERS, BENCH_IKE_N, BENCH_IKE_QUICK
#   BENCH_MICRO=1      run the micro-benchmarks first (0: skip)
#   BUILD=build        build directory (uipsecd, uipsec, bench/)
#   BENCH_OUT=$BUILD/bench-results.tsv   machine-readable results
#   BENCH_LOGS=$BUILD/bench-logs         logs of every run (emptied first)
# Needs root (namespaces).
set -uo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD="$SRC/$BUILD" ;; esac
UIPSEC_BUILD=${UIPSEC_BUILD:-$BUILD}
ROUNDS=${ROUNDS:-3}
BENCH_SECONDS=${BENCH_SECONDS:-5}
PING_COUNT=${PING_COUNT:-100}
BENCH_MICRO=${BENCH_MICRO:-1}
BENCH_TESTS=${BENCH_TESTS:-ping tcp1 tcp4 udp64 udp64buf}
# The default set (issue 13): what a user gets from a swanctl.conf (default,
# encap = yes, raw_esp = yes, ChaCha20-Poly1305) beside the peers. The
# manually keyed uipsec variants and the tuned one (--workers 2) run with
# PEERS=all or by name.
DEFAULT_PEERS="plain uipsec-default uipsec-encap uipsec-rawesp uipsec-chacha strongswan strongswan-chacha wireguard-go"
ALL_PEERS="$DEFAULT_PEERS uipsec-gcm-esp uipsec-gcm-udp uipsec-gcm-udp-w2 uipsec-chacha-esp uipsec-chacha-udp"
PEERS=${PEERS:-$DEFAULT_PEERS}
[ "$PEERS" = all ] && PEERS=$ALL_PEERS
# make bench then runs scripts/bench_ike.sh (IKE setups/s and memory per
# IKE_SA beside charon) and prints its table: BENCH_IKE=0 skips it,
# BENCH_IKE_PEERS its responders (PEERS above is this script's).
BENCH_IKE=${BENCH_IKE:-1}
BENCH_OUT=${BENCH_OUT:-$BUILD/bench-results.tsv}
LOGS=${BENCH_LOGS:-$BUILD/bench-logs}
PY=/usr/bin/python3
# Short: topo.sh names veth ends "tmp${TOPO_PREFIX}a", and interface names
# have at most 15 characters.
BENCH_ID=$(($$ % 100000))
# Socket buffer iperf3 asks for in the second UDP test (-w, both ends).
UDP_BUF=$((2 * 1024 * 1024))

# shellcheck source=scripts/topo.sh
source "$SRC/scripts/topo.sh"
# shellcheck source=scripts/charon.sh
source "$SRC/scripts/charon.sh"
# shellcheck source=scripts/bench_peers.sh
source "$SRC/scripts/bench_peers.sh"

say() { printf '%s\n' "$*" >&2; }

# net.core.rmem_max before this run raised it (see below), if it did.
RMEM_MAX_WAS=
cleanup() {
	peer_stop
	[ -z "$RMEM_MAX_WAS" ] || echo "$RMEM_MAX_WAS" >/proc/sys/net/core/rmem_max
}
trap cleanup EXIT
trap 'say "bench: interrupted, cleaning up"; exit 130' INT TERM HUP

# --- measurements ------------------------------------------------------------

# "utime stime" summed over the given PIDs (whole thread groups), in clock
# ticks.
cpu_ticks() {
	local p line f u=0 s=0
	for p in "$@"; do
		read -r line <"/proc/$p/stat" 2>/dev/null || continue
		read -ra f <<<"${line##*) }"   # f[0] is field 3 (state)
		u=$((u + f[11])) s=$((s + f[12]))
	done
	echo "$u $s"
}
CLK_TCK=$(getconf CLK_TCK)

# record METRIC VALUE [NOTE]: one row of the results file.
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$ROUND" "$PEER" "$1" "$2" "${3:-}" >>"$BENCH_OUT"; }

# iperf3 from hosta to hostb; JSON to $1, remaining args to iperf3.
run_iperf() {
	local out=$1
	shift
	# In the background and waited for, so that a signal to this script
	# is acted on at once, not after iperf3 ends.
	timeout $((BENCH_SECONDS + 20)) ip netns exec "$(topo_name hosta)" \
		iperf3 -c 10.2.0.2 -t "$BENCH_SECONDS" -J "$@" >"$out" 2>&1 &
	wait $!
}

# json_get FILE EXPR: evaluate a Python expression over iperf3's JSON (d).
json_get() {
	"$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$1" "$2" 2>>"$W/json.err"
}

# Why an iperf3 run failed: its own error, else the last line it printed.
iperf_err() {
	json_get "$1" 'd["error"]' 2>/dev/null || { tail -n 1 "$1" | cut -c1-160; }
}

measure_ping() {
	local rtts med n
	rtts=$(ip netns exec "$(topo_name hosta)" ping -n -c "$PING_COUNT" -i 0.01 -W 1 10.2.0.2 2>/dev/null |
	       sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' | sort -g)
	n=$(grep -c . <<<"$rtts")
	if [ "$n" -lt $((PING_COUNT / 2)) ]; then
		record ping_rtt_ms "" "only $n of $PING_COUNT replies"
		return
	fi
	med=$(awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}' <<<"$rtts")
	record ping_rtt_ms "$med"
}

measure_tcp() { # measure_tcp STREAMS METRIC
	local j="$W/tcp$1.json" c0 c1 bytes gbps
	c0=$(cpu_ticks "${DAEMON_PIDS[@]}")
	if ! run_iperf "$j" -P "$1"; then
		record "$2" "" "iperf3 failed: $(iperf_err "$j")"
		return
	fi
	c1=$(cpu_ticks "${DAEMON_PIDS[@]}")
	bytes=$(json_get "$j" 'd["end"]["sum_received"]["bytes"]')
	gbps=$(json_get "$j" '"%.4f" % (d["end"]["sum_received"]["bits_per_second"] / 1e9)')
	record "$2" "$gbps"
	# The daemons' CPU time per GB, from the one-stream test only, and
	# the share of it spent in the kernel (system calls).
	if [ "$1" = 1 ] && [ ${#DAEMON_PIDS[@]} -gt 0 ] && [ "${bytes:-0}" -gt 0 ]; then
		set -- $c0 $c1   # user0 sys0 user1 sys1
		record cpu_s_per_gb "$(awk -v t=$(($3 + $4 - $1 - $2)) -v hz="$CLK_TCK" -v b="$bytes" \
			'BEGIN {printf "%.3f", t / hz / (b / 1e9)}')"
		[ $(($3 + $4 - $1 - $2)) -gt 0 ] &&
			record cpu_sys_pct "$(awk -v s=$(($4 - $2)) -v t=$(($3 + $4 - $1 - $2)) \
				'BEGIN {printf "%.1f", 100 * s / t}')"
	fi
}

# hostb's UDP counters: "InDatagrams RcvbufErrors" (packets iperf3's socket
# took, and packets that reached it but found its receive buffer full).
hostb_udp() {
	ip netns exec "$(topo_name hostb)" awk '
		/^Udp:/ && !h { for (i = 2; i <= NF; i++) c[$i] = i; h = 1; next }
		/^Udp:/ { print $c["InDatagrams"], $c["RcvbufErrors"] }' /proc/net/snmp
}

# measure_udp PREFIX [IPERF3 ARGS...]: 64-byte UDP payloads, as fast as the
# client can send them; PREFIX_kpps, PREFIX_loss_pct, PREFIX_sockdrop_pct.
measure_udp() {
	local m=$1 j="$W/$1.json" u0 u1
	shift
	u0=$(hostb_udp)
	if ! run_iperf "$j" -u -l 64 -b 0 "$@"; then
		record "${m}_kpps" "" "iperf3 failed: $(iperf_err "$j")"
		return
	fi
	u1=$(hostb_udp)
	# Packets that arrived: iperf3 counts loss from gaps in its sequence
	# numbers, so received = highest sequence seen - lost.
	local r='d["end"]["sum_received"]'
	record "${m}_kpps" "$(json_get "$j" "'%.1f' % (($r['packets'] - $r['lost_packets']) / $r['seconds'] / 1e3)")"
	record "${m}_loss_pct" "$(json_get "$j" "'%.2f' % $r['lost_percent']")"
	# Of the packets the path delivered to hostb, the share that iperf3's
	# socket dropped because its receive buffer was full: loss that is
	# the receiver's, not the VPN's.
	set -- $u0 $u1   # in0 drop0 in1 drop1
	[ $(($3 - $1 + $4 - $2)) -gt 0 ] &&
		record "${m}_sockdrop_pct" "$(awk -v i=$(($3 - $1)) -v d=$(($4 - $2)) \
			'BEGIN {printf "%.1f", 100 * d / (i + d)}')"
}

# want TEST: whether BENCH_TESTS holds TEST
# want TEST: whether BENCH_TESTS and the peer's own tests (PEER_TESTS) hold TEST
want() {
	case " $BENCH_TESTS " in *" $1 "*) ;; *) return 1 ;; esac
	case " ${PEER_TESTS:-$1} " in *" $1 "*) return 0 ;; esac
	return 1
}

# --- one run: one peer, one round, its own topology --------------------------

run_peer() {
	local p
	W="$LOGS/r$ROUND-$PEER"
	TOPO_PREFIX="b$BENCH_ID-$RUN_NO"
	say "bench: round $ROUND/$ROUNDS: $PEER"
	if ! peer_start "$PEER"; then
		say "bench: $PEER FAILED: $PEER_ERR"
		record status failed "$PEER_ERR"
		peer_stop
		return
	fi
	peer_bg hostb "$W/iperf3-server.log" iperf3 -s
	if ! peer_wait 50 ns hostb sh -c 'ss -ltn | grep -q ":5201 "'; then
		record status failed "iperf3 server did not start"
		peer_stop
		return
	fi
	PEER_TESTS=$(peer_tests "$PEER")
	want ping && measure_ping
	want tcp1 && measure_tcp 1 tcp1_gbps
	want tcp4 && measure_tcp 4 tcp4_gbps
	# Twice: with iperf3's default socket buffers, then with 2 MiB asked
	# for (-w; the kernel doubles it), so that a burst the VPN delivers
	# while hostb's iperf3 waits for a CPU is not lost at its socket
	# (docs/performance.md, "The UDP test and the receiver's buffer").
	want udp64 && measure_udp udp64
	want udp64buf && measure_udp udp64buf -w "$UDP_BUF"
	# The daemons' own counters (drops, batches, ...) go with the logs.
	declare -F "peer_counters_$PEER" >/dev/null && "peer_counters_$PEER" >"$W/counters.txt" 2>&1
	for p in "${DAEMON_PIDS[@]}"; do
		alive "$p" || PEER_ERR="daemon PID $p exited during the run"
	done
	if [ -n "$PEER_ERR" ]; then
		say "bench: $PEER FAILED: $PEER_ERR"
		record status failed "$PEER_ERR"
	else
		record status ok
	fi
	peer_stop
}

# --- main ----------------------------------------------------------------------

case $ROUNDS in ''|*[!0-9]*|0) say "bench: ROUNDS must be a positive integer"; exit 2 ;; esac
case $BENCH_SECONDS in ''|*[!0-9]*|0) say "bench: BENCH_SECONDS must be a positive integer"; exit 2 ;; esac
for PEER in $PEERS; do
	declare -F "peer_up_$PEER" >/dev/null || { say "bench: unknown peer $PEER (known: $ALL_PEERS)"; exit 2; }
done
for t in $BENCH_TESTS; do
	case $t in ping|tcp1|tcp4|udp64|udp64buf) ;; *) say "bench: unknown test $t (known: ping tcp1 tcp4 udp64 udp64buf)"; exit 2 ;; esac
done

if [ "$BENCH_MICRO" = 1 ]; then
	ran=0
	for b in "$BUILD"/bench/bench_*; do
		[ -x "$b" ] || continue
		say "== $(basename "$b")"
		"$b" || say "bench: $(basename "$b") failed (status $?)"
		ran=1
	done
	[ $ran = 1 ] || say "bench: no micro-benchmarks built yet (bench/bench_*.c)."
fi

if [ "$(id -u)" != 0 ]; then
	say "make bench: the network benchmark needs root (network namespaces)."
	exit 1
fi
# SO_RCVBUF is capped at net.core.rmem_max (212992 bytes on older kernels
# such as Debian 12's 6.1): raise it for the run if needed; cleanup puts it
# back.
rmem_max=$(cat /proc/sys/net/core/rmem_max)
if [ "$rmem_max" -lt "$UDP_BUF" ]; then
	if echo "$UDP_BUF" >/proc/sys/net/core/rmem_max; then
		RMEM_MAX_WAS=$rmem_max
		say "bench: net.core.rmem_max raised from $rmem_max to $UDP_BUF for the run"
	else
		say "bench: cannot raise net.core.rmem_max ($rmem_max): the 2 MiB UDP test gets less"
	fi
fi
mkdir -p "$BUILD"
rm -rf "$LOGS"/r[0-9]*-*
mkdir -p "$LOGS"

{
	printf '# uipsec make bench, %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	printf '# host %s, %s CPUs, kernel %s\n' "$(hostname)" "$(nproc)" "$(uname -r)"
	printf '# rounds %s, seconds per iperf3 test %s, pings per run %s, tests %s\n' "$ROUNDS" "$BENCH_SECONDS" "$PING_COUNT" "$BENCH_TESTS"
	printf '# namespaces b%s-RUN-*\n' "$BENCH_ID"
	printf '# UDP tests: iperf3 default socket buffers (rmem_default %s), then -w %s bytes (rmem_max %s)\n' \
		"$(cat /proc/sys/net/core/rmem_default)" "$UDP_BUF" "$(cat /proc/sys/net/core/rmem_max)"
	printf '# load average at start: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
	printf 'round\tpeer\tmetric\tvalue\tnote\n'
} >"$BENCH_OUT"

RUN_NO=0
for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
	for PEER in $PEERS; do
		RUN_NO=$((RUN_NO + 1))
		if [[ $PEER == uipsec-* ]] && ! uipsec_available; then
			[ "$ROUND" = 1 ] && say "bench: $PEER: uipsec: not available yet ($UIPSEC_MISSING)"
			record status unavailable "uipsec: not available yet ($UIPSEC_MISSING)"
			continue
		fi
		run_peer
	done
done
printf '# load average at end: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$BENCH_OUT"

"$PY" "$SRC/scripts/bench_report.py" "$BENCH_OUT"
say "bench: results in $BENCH_OUT, logs in $LOGS"
status=0
if [ "$BENCH_IKE" != 0 ]; then
	# Its own two namespaces; the same ROUNDS, its own responders.
	echo
	echo "== IKE as a load (scripts/bench_ike.sh)"
	PEERS=${BENCH_IKE_PEERS:-uipsec charon} BUILD=$BUILD ROUNDS=$ROUNDS "$SRC/scripts/bench_ike.sh" || status=$?
fi
exit $status
