#!/usr/bin/env bash
# make bench-ike: IKE as a load. IKE_SA + CHILD_SA setups per second on one
# responder, and its memory with N IKE_SAs up: uipsecd beside strongSwan's
# charon 5.9.8 (kernel-libipsec), interleaved, in the same run.
#
# Two namespaces joined by a veth pair: "ini" (192.0.2.1) runs the test
# initiator tests/tools/ike_load, "rsp" (192.0.2.2) the responder. ike_load
# sets up N IKE_SAs (x25519, PSK, aes128gcm16/aes256gcm16-prfsha256, one
# CHILD_SA each, for the inner address 10.64.0.0/10 + i to 10.200.0.0/16),
# each from its own address in 198.18.0.0/15 with that address as its
# identity, WINDOW setups outstanding at once; ini has the whole prefix as
# local addresses (`ip route add local ... dev lo`), rsp routes it to ini.
# rsp has 10.200.0.1 (on lo): charon installs a route for each CHILD_SA
# with a source address inside its local_ts, and refuses the CHILD_SA
# without one. The responder has one road-warrior connection (remote_addrs = %any, a PSK
# for any identity), the same swanctl.conf for both daemons.
#
# Per round and responder: a fresh responder; RSS (VmRSS of
# /proc/PID/status) before; ike_load; once every setup has ended, 2 s to
# settle and RSS again while ike_load holds the SAs up; the responder's own
# count of IKE_SAs; then both stop. Per IKE_SA = (RSS after - before) /
# established. Rounds interleave the responders (u c u c ...), N = each of
# BENCH_IKE_N in turn.
#
# Environment:
#   ROUNDS=3                 rounds per N
#   BENCH_IKE_N="1000 10000" numbers of IKE_SAs
#   WINDOW=32                setups outstanding at once
#   RETRANSMIT=1             ike_load's first retransmission after (s; 4 = charon's)
#   PEERS="uipsec charon"    responders, in order
#   BENCH_IKE_QUICK=1        quick mode (the netns test): N=100, 1 round
#   BUILD=build              build directory (uipsecd, uipsec, tests/ike_load)
#   BENCH_IKE_OUT=$BUILD/bench-ike.tsv   machine-readable results
#   BENCH_IKE_LOGS=$BUILD/bench-ike-logs logs of every run (emptied first)
# Needs root. Exit status: 0, 1 if a run failed to start or was incomplete
# (reported), 77 if something needed is missing.
set -uo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD="$SRC/$BUILD" ;; esac
UIPSEC_BUILD=${UIPSEC_BUILD:-$BUILD}
if [ "${BENCH_IKE_QUICK:-0}" = 1 ]; then
	ROUNDS=${ROUNDS:-1}
	BENCH_IKE_N=${BENCH_IKE_N:-100}
else
	ROUNDS=${ROUNDS:-3}
	BENCH_IKE_N=${BENCH_IKE_N:-1000 10000}
fi
WINDOW=${WINDOW:-32}
RETRANSMIT=${RETRANSMIT:-1}
PEERS=${PEERS:-uipsec charon}
OUT=${BENCH_IKE_OUT:-$BUILD/bench-ike.tsv}
LOGS=${BENCH_IKE_LOGS:-$BUILD/bench-ike-logs}
LOAD=$UIPSEC_BUILD/tests/ike_load
PY=/usr/bin/python3
PSK=bench-ike-psk-0123456789
SETTLE=${SETTLE:-2}
ID=$(($$ % 100000))

# charon: quiet logs (as a loaded gateway would run), and an IKE_SA table
# sized for many SAs (charon's default is one bucket: strongSwan's docs
# say to raise charon.ikesa_table_size for many SAs, so the baseline is
# charon as its docs tune it). Its other defaults stay: 16 threads,
# cookie_threshold 10, block_threshold 5 (half-open SAs per peer address).
CHARON_LOGLEVEL=${CHARON_LOGLEVEL:-"default = 0"}
CHARON_EXTRA=${CHARON_EXTRA:-"ikesa_table_size = 4096
    ikesa_table_segments = 16"}

# shellcheck source=scripts/topo.sh
source "$SRC/scripts/topo.sh"
# shellcheck source=scripts/charon.sh
source "$SRC/scripts/charon.sh"

say() { printf '%s\n' "$*" >&2; }

[ "$(id -u)" = 0 ] || { say "bench-ike: needs root"; exit 77; }
[ -x "$UIPSEC_BUILD/uipsecd" ] && [ -x "$LOAD" ] || { say "bench-ike: build first (uipsecd, tests/ike_load)"; exit 77; }
[ -c /dev/net/tun ] || { say "bench-ike: no /dev/net/tun"; exit 77; }
case " $PEERS " in *" charon "*)
	charon_available || { say "bench-ike: $CHARON_MISSING"; exit 77; } ;;
esac

LOAD_PID=
RSP_PID=
NS_UP=
cleanup() {
	[ -z "$LOAD_PID" ] || { kill "$LOAD_PID" 2>/dev/null; wait "$LOAD_PID" 2>/dev/null; }
	LOAD_PID=
	charon_stop_all
	if [ -n "$RSP_PID" ]; then
		kill "$RSP_PID" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$RSP_PID" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$RSP_PID" 2>/dev/null
		wait "$RSP_PID" 2>/dev/null
	fi
	RSP_PID=
	if [ -n "$NS_UP" ]; then
		ip netns del "$(topo_name ini)" 2>/dev/null
		ip netns del "$(topo_name rsp)" 2>/dev/null
	fi
	NS_UP=
}
trap 'cleanup; exit 130' INT TERM
trap cleanup EXIT

net_up() {
	TOPO_PREFIX=$1
	NS_UP=1
	local a=i${TOPO_PREFIX} b=r${TOPO_PREFIX}
	ip netns add "$(topo_name ini)" && ip netns add "$(topo_name rsp)" &&
	ip link add "$a" type veth peer name "$b" &&
	ip link set "$a" netns "$(topo_name ini)" && ip link set "$b" netns "$(topo_name rsp)" &&
	ns ini ip link set "$a" name eth0 && ns rsp ip link set "$b" name eth0 &&
	ns ini ip link set lo up && ns rsp ip link set lo up &&
	ns ini ip link set eth0 up && ns rsp ip link set eth0 up &&
	ns ini ip addr add 192.0.2.1/24 dev eth0 && ns rsp ip addr add 192.0.2.2/24 dev eth0 &&
	ns ini ip route add local 198.18.0.0/15 dev lo &&
	ns rsp ip addr add 10.200.0.1/32 dev lo &&
	ns rsp ip route add 198.18.0.0/15 via 192.0.2.1
}

write_conf() {
	cat >"$1/swanctl.conf" <<-EOF
	# bench-ike responder: one connection for any road warrior
	connections {
	  rw {
	    local_addrs = 192.0.2.2
	    remote_addrs = %any
	    proposals = aes128gcm16-aes256gcm16-prfsha256-x25519
	    local {
	      auth = psk
	    }
	    remote {
	      auth = psk
	    }
	    children {
	      net {
	        local_ts = 10.200.0.0/16
	        remote_ts = 10.64.0.0/10
	        esp_proposals = aes128gcm16-aes256gcm16
	      }
	    }
	  }
	}
	secrets {
	  ike-any {
	    secret = $PSK
	  }
	}
	EOF
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# rsp_start PEER DIR: start the responder; RSP_PID
rsp_start() {
	local p=$1 d=$2 i
	case $p in
	uipsec)
		ip netns exec "$(topo_name rsp)" "$UIPSEC_BUILD/uipsecd" -c "$d/swanctl.conf" \
			--control "$d/ctl" --foreground >"$d/daemon.log" 2>&1 </dev/null &
		RSP_PID=$!
		for ((i = 0; i < 100; i++)); do
			kill -0 "$RSP_PID" 2>/dev/null || { cat "$d/daemon.log" >&2; RSP_PID=; return 1; }
			[ -S "$d/ctl" ] && "$UIPSEC_BUILD/uipsec" --control "$d/ctl" stats >/dev/null 2>&1 && return 0
			sleep 0.05
		done
		return 1
		;;
	charon)
		charon_start rsp "$d" >"$d/start.log" 2>&1 || { cat "$d/start.log" >&2; return 1; }
		RSP_PID=${CHARON_PID[rsp]}
		;;
	esac
}

# rsp_count PEER DIR: IKE_SAs the responder says it has (uipsecd: established
# minus deleted, from its IKE counters; charon: swanctl --stats)
rsp_count() {
	case $1 in
	uipsec) "$UIPSEC_BUILD/uipsec" --control "$2/ctl" ike-stats 2>/dev/null |
		awk '$1 == "ike_established" { e = $2 } $1 == "ike_deleted" { d = $2 }
		     END { if (e != "") print e - d }' ;;
	charon) charon_swanctl rsp --stats 2>/dev/null |
		sed -n 's/^IKE_SAs: \([0-9]*\) total.*/\1/p' ;;
	esac
}

rsp_stop() {
	case $1 in
	charon) charon_stop rsp; RSP_PID= ;;
	uipsec)
		kill "$RSP_PID" 2>/dev/null
		for _ in $(seq 100); do kill -0 "$RSP_PID" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$RSP_PID" 2>/dev/null
		wait "$RSP_PID" 2>/dev/null
		RSP_PID= ;;
	esac
}

FAILED=0
# run ROUND PEER N
run() {
	local round=$1 p=$2 n=$3 d res rss0 rss1 cnt i cpu0 cpu1
	RUN_NO=$((RUN_NO + 1))
	d="$LOGS/r$round-n$n-$p"
	mkdir -p "$d"
	net_up "k$ID-$RUN_NO" || { say "bench-ike: namespaces did not come up"; cleanup; FAILED=1; return; }
	write_conf "$d"
	if ! rsp_start "$p" "$d"; then
		say "bench-ike: $p did not start (logs in $d)"
		printf '%s\t%s\t%s\tstart-failed\t\t\t\t\t\t\n' "$round" "$p" "$n" >>"$OUT"
		cleanup; FAILED=1; return
	fi
	sleep 0.5
	rss0=$(rss_kb "$RSP_PID")
	cpu0=$(awk '{ print $14 + $15 }' "/proc/$RSP_PID/stat")
	ip netns exec "$(topo_name ini)" "$LOAD" --dst 192.0.2.2 --src 198.18.0.1 -n "$n" \
		--window "$WINDOW" --psk "$PSK" --ike aes128gcm16-prfsha256-x25519 --esp aes128gcm16 \
		--timeout $((n / 10 + 120)) --retransmit-timeout "$RETRANSMIT" --hold >"$d/load.out" 2>"$d/load.err" </dev/null &
	LOAD_PID=$!
	echo "$RSP_PID $LOAD_PID" >"$d/pids"   # for the test: all gone afterwards
	for ((i = 0; ; i++)); do
		grep -q '^HOLDING' "$d/load.out" 2>/dev/null && break
		kill -0 "$LOAD_PID" 2>/dev/null || break
		sleep 0.2
	done
	cpu1=$(awk '{ print $14 + $15 }' "/proc/$RSP_PID/stat" 2>/dev/null || echo 0)
	sleep "$SETTLE"
	rss1=$(rss_kb "$RSP_PID")
	cnt=$(rsp_count "$p" "$d")
	case $p in   # the responder's counters (cookies sent, ...) for the log
	uipsec) "$UIPSEC_BUILD/uipsec" --control "$d/ctl" ike-stats >"$d/counters.txt" 2>&1 ;;
	charon) charon_swanctl rsp --stats >"$d/counters.txt" 2>&1 ;;
	esac
	[ -r "/proc/$RSP_PID/smaps_rollup" ] && cp "/proc/$RSP_PID/smaps_rollup" "$d/smaps_rollup"
	kill "$LOAD_PID" 2>/dev/null
	wait "$LOAD_PID" 2>/dev/null
	LOAD_PID=
	res=$(grep '^RESULT' "$d/load.out")
	if [ -z "$res" ]; then
		say "bench-ike: ike_load gave no result against $p (see $d/load.err)"
		FAILED=1
	fi
	# round peer n established failed(+ IKE_SAs without CHILD_SA) seconds rate
	# rss0 rss1 responder_count cpu_s (responder CPU, user+system, during the setups)
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$p" "$n" \
		"$(sed -n 's/.* established=\([0-9]*\).*/\1/p' <<<"$res")" \
		"$(sed -n 's/.* failed=\([0-9]*\).* no_child=\([0-9]*\).*/\1 \2/p' <<<"$res" | awk '{ print $1 + $2 }')" \
		"$(sed -n 's/.* seconds=\([0-9.]*\).*/\1/p' <<<"$res")" \
		"$(sed -n 's/.* rate=\([0-9.]*\).*/\1/p' <<<"$res")" \
		"$rss0" "$rss1" "${cnt:-?}" \
		"$(awk -v a="$cpu0" -v b="$cpu1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) / hz }')" >>"$OUT"
	say "  round $round $p n=$n: $res; RSS ${rss0} -> ${rss1} kB; responder counts ${cnt:-?} IKE_SAs"
	grep '^FAILED' "$d/load.out" | sed 's/^/    /' >&2
	rsp_stop "$p"
	cleanup
}

rm -rf "$LOGS"
mkdir -p "$LOGS"
{
	printf '# bench-ike %s\n' "$(date -u +%FT%TZ)"
	printf '# rounds %s, N %s, window %s, first retransmission %s s, responders %s\n' "$ROUNDS" "$BENCH_IKE_N" "$WINDOW" "$RETRANSMIT" "$PEERS"
	printf '# load average at start: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
	printf '# namespaces k%s-RUN\n' "$ID"
	printf 'round\tpeer\tn\testablished\tfailed\tseconds\trate\trss0_kb\trss1_kb\tresponder_sas\tcpu_s\n'
} >"$OUT"
RUN_NO=0
for n in $BENCH_IKE_N; do
	for ((r = 1; r <= ROUNDS; r++)); do
		for p in $PEERS; do
			run "$r" "$p" "$n"
		done
	done
done
printf '# load average at end: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT"
"$PY" "$SRC/scripts/bench_ike_report.py" "$OUT"
say "bench-ike: results in $OUT, logs in $LOGS"
exit "$FAILED"
