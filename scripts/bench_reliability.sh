#!/usr/bin/env bash
# make bench-reliability: do tunnels stay up? uipsec beside strongSwan 5.9.8
# (charon with kernel-libipsec), both configured by the same swanctl.conf a
# user would write, on the four-namespace topology (scripts/topo.sh),
# gwa - gwb, hosta behind gwa and hostb behind gwb. Issue 17; the method is
# in docs/reliability.md.
#
# Scenarios (REL_SCENARIOS, in this order by default):
#   rekey    pings at 100/s through N CHILD_SA and M IKE_SA rekeys, both
#            gateways with the same short rekey_time and rand_time = 0 (so
#            both initiate and collisions happen); then iperf3 TCP through
#            more rekeys, counting seconds without throughput
#   restart  kill -9 of gwb's daemon and a restart, with start_action =
#            start on both, trap on both, the defaults, DPD only: time from
#            the restart to the first ping reply (pings every 10 ms)
#   loss     IKE setup time with 30% loss each way on the public link
#   flood    a spoofed IKE_SA_INIT flood at gwb (tests/tools/ike_flood.c):
#            a legitimate peer's setup time during it, gwb's RSS, CPU and
#            UDP receive-buffer drops
#   memory   memory per CHILD_SA (N under one IKE_SA) and per IKE_SA (N
#            initiators in one daemon on gwa against gwb), and whether it is
#            given back when the SAs go
#   reorder  a relay in the middle of the public link reorders ESP packets
#            within the replay window and duplicates some
#
# Environment:
#   REL_QUICK=1          a quick pass (fewer rekeys and tries, shorter caps;
#                        a few minutes) instead of the full run (~30 min)
#   REL_SCENARIOS="..."  scenarios to run (default: all, as above)
#   REL_PEERS="..."      uipsec strongswan (default); also: mixed (uipsecd
#                        on gwa, charon on gwb)
#   BUILD=build          where uipsecd, uipsec and tests/ike_flood are
#   REL_OUT=$BUILD/bench-reliability.tsv    results, one row a measurement
#   REL_LOGS=$BUILD/bench-reliability-logs  every run's logs (emptied first)
#   Sizes and times (defaults full / quick): REL_CHILD_REKEYS 50/5,
#   REL_IKE_REKEYS 10/1, REL_CHILD_REKEY_TIME 3, REL_IKE_REKEY_TIME 14,
#   REL_IPERF_SECONDS 20/8, REL_RESTART_CAP 200/20, REL_RESTART_TRIES 3/1,
#   REL_DPD_DELAY 10, REL_LOSS_PCT 30, REL_LOSS_TRIES 20/4,
#   REL_LOSS_LANES 5/2, REL_LOSS_CAP 200/30, REL_FLOOD_RATE 100000,
#   REL_FLOOD_SECONDS 30/8, REL_FLOOD_TRIES 5/2, REL_MEM_SAS 200/20,
#   REL_REORDER_PINGS 3000/600.
#   REL_CONN_EXTRA, REL_CHILD_EXTRA: swanctl.conf lines added to connection
#   "site" and its child "net" (rekey, restart, loss, reorder), e.g. to see
#   how each peer takes an option.
# Needs root (namespaces). A peer that refuses its configuration is
# reported as "refused: <its message>" and the run goes on.
set -uo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD="$SRC/$BUILD" ;; esac
UIPSEC_BUILD=${UIPSEC_BUILD:-$BUILD}
REL_QUICK=${REL_QUICK:-0}
ALL_SCENARIOS="rekey restart loss flood memory reorder"
REL_SCENARIOS=${REL_SCENARIOS:-$ALL_SCENARIOS}
REL_PEERS=${REL_PEERS:-"uipsec strongswan"}
REL_OUT=${REL_OUT:-$BUILD/bench-reliability.tsv}
LOGS=${REL_LOGS:-$BUILD/bench-reliability-logs}
FLOOD_TOOL=${REL_FLOOD_TOOL:-$BUILD/tests/ike_flood}
PY=/usr/bin/python3

q() { if [ "$REL_QUICK" = 1 ]; then echo "$2"; else echo "$1"; fi; }
REL_CHILD_REKEYS=${REL_CHILD_REKEYS:-$(q 50 5)}
REL_IKE_REKEYS=${REL_IKE_REKEYS:-$(q 10 1)}
REL_CHILD_REKEY_TIME=${REL_CHILD_REKEY_TIME:-3}
REL_IKE_REKEY_TIME=${REL_IKE_REKEY_TIME:-14}
REL_IPERF_SECONDS=${REL_IPERF_SECONDS:-$(q 20 8)}
REL_RESTART_CAP=${REL_RESTART_CAP:-$(q 200 20)}
REL_RESTART_TRIES=${REL_RESTART_TRIES:-$(q 3 1)}
REL_RESTART_CONFIGS=${REL_RESTART_CONFIGS:-"start trap default dpd dpdrestart"}
REL_RESTART_STAGGER=${REL_RESTART_STAGGER:-$(q 8 4)}
REL_DPD_DELAY=${REL_DPD_DELAY:-10}
REL_LOSS_PCT=${REL_LOSS_PCT:-30}
REL_LOSS_TRIES=${REL_LOSS_TRIES:-$(q 20 4)}
REL_LOSS_LANES=${REL_LOSS_LANES:-$(q 5 2)}
REL_LOSS_CAP=${REL_LOSS_CAP:-$(q 200 30)}
REL_FLOOD_RATE=${REL_FLOOD_RATE:-100000}
REL_FLOOD_SECONDS=${REL_FLOOD_SECONDS:-$(q 30 8)}
REL_FLOOD_TRIES=${REL_FLOOD_TRIES:-$(q 5 2)}
REL_FLOOD_CAP=${REL_FLOOD_CAP:-60}
REL_FLOOD_SRC=${REL_FLOOD_SRC:-198.18.0.0/15}
REL_MEM_SAS=${REL_MEM_SAS:-$(q 200 20)}
REL_REORDER_PINGS=${REL_REORDER_PINGS:-$(q 3000 600)}
REL_PSK=${REL_PSK:-}
# Short: topo.sh names veth ends "tmp${TOPO_PREFIX}a" (15 characters at most).
RID=$(($$ % 100000))

# shellcheck source=scripts/topo.sh
source "$SRC/scripts/topo.sh"
# shellcheck source=scripts/charon.sh
source "$SRC/scripts/charon.sh"
# shellcheck source=scripts/bench_peers.sh
source "$SRC/scripts/bench_peers.sh"
# shellcheck source=scripts/bench_rel_peers.sh
source "$SRC/scripts/bench_rel_peers.sh"
# Level 1: what a user's log shows, and what the harness counts (rekeys,
# collisions, replay failures), nothing per packet.
CHARON_LOGLEVEL="default = 1"

say() { printf '%s\n' "$*" >&2; }

# --- bookkeeping ----------------------------------------------------------------

# record METRIC VALUE [NOTE]: one row (SCEN, PEER and TRY from the caller).
record() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$SCEN" "$PEER" "$1" "${TRY:-1}" "$2" "${3:-}" >>"$REL_OUT"
}
# config TEXT: what the scenario sets, once per scenario (peer "*").
config() { printf '%s\t*\tconfig\t1\t\t%s\n' "$SCEN" "$1" >>"$REL_OUT"; }

# Every topology gets its own prefix, listed so that an interrupted run
# can remove them all.
PREFIX_NO=0
LANE_PIDS=()
new_prefix() {
	PREFIX_NO=$((PREFIX_NO + 1))
	NEWP="r$RID-$PREFIX_NO"
	echo "$NEWP" >>"$LOGS/prefixes"
}

cleanup() {
	local p
	for p in "${LANE_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${LANE_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	if [ -f "$LOGS/prefixes" ]; then
		while read -r p; do TOPO_PREFIX=$p rel_topo_down; done <"$LOGS/prefixes"
	fi
}

# lane DIR FN ARGS...: in the background, a fresh topology (prefix from
# new_prefix, called before) with the work directory DIR, then FN ARGS;
# everything it started is stopped and the namespaces deleted when it
# ends, however it ends. Its PID goes to LANE_PIDS.
lane() {
	local dir=$1 prefix=$NEWP
	shift
	mkdir -p "$dir"
	(
		TOPO_PREFIX=$prefix W=$dir
		lane_end() { d_counters >"$W/counters.txt" 2>&1; d_stop_all; charon_stop_all; rel_topo_down; }
		trap lane_end EXIT
		trap 'exit 130' INT TERM
		if ! (topo_up) >"$W/topo.log" 2>&1 || ! peer_topo_ok; then
			record status failed "topology did not come up: $(peer_log_tail "$W/topo.log")"
			exit 1
		fi
		"$@"
	) &
	LANE_PIDS+=($!)
}

wait_lanes() {
	local p
	for p in "${LANE_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	LANE_PIDS=()
}

# start_pair: both daemons of $PEER with $W/gwa and $W/gwb. Returns 0, or
# 1 after recording why (status refused|failed).
start_pair() {
	local n k rc kinds
	START_ERR=
	read -ra kinds <<<"$(rel_kinds "$PEER")"
	for n in gwa gwb; do
		[ $n = gwa ] && k=${kinds[0]} || k=${kinds[1]}
		d_start $n "$k" "$W/$n"
		rc=$?
		if [ $rc = 2 ]; then
			START_ERR="refused: $n ($k): $D_ERR"
			record status refused "$n ($k): $D_ERR"
			say "reliability: $SCEN $PEER: $n refused its configuration: $D_ERR"
			return 1
		elif [ $rc != 0 ]; then
			START_ERR="failed: $n ($k): $D_ERR"
			record status failed "$n ($k): $D_ERR"
			say "reliability: $SCEN $PEER: $n did not start: $D_ERR"
			return 1
		fi
	done
	return 0
}

# ping_through [SECONDS]: 0 once hosta gets a reply from hostb (within
# SECONDS, default 30, of wall time).
ping_through() {
	local t0
	t0=$(now)
	while ! gt "$(elapsed "$t0")" "${1:-30}"; do
		ns hosta ping -n -c 1 -W 1 10.2.0.2 >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

alive_check() {
	local n
	for n in gwa gwb; do
		kill -0 "${D_PID[$n]:-0}" 2>/dev/null || record status failed "the daemon on $n exited during the run"
	done
}

# pinger FILE [ARGS]: in the background, hosta pings hostb every 10 ms
# (scripts/bench_rel_ping.py; ARGS: --count N, --seconds S), replies to
# FILE; its PID in $!. Stop it with SIGTERM (it waits 1 s for the last
# replies). rel_ping_stats reads FILE.
pinger() {
	local f=$1
	shift
	ip netns exec "$(topo_name hosta)" "$PY" "$SRC/scripts/bench_rel_ping.py" 10.2.0.2 "$f" "$@" \
		>>"$W/pinger.log" 2>&1 &
}

# poller FILE: every 0.5 s, a "T time" line and gwa's SAs (d_sas), until
# FILE.stop exists. Its PID in POLLER.
poller() {
	local f=$1
	rm -f "$f.stop"
	(while [ ! -e "$f.stop" ]; do echo "T $(now)"; d_sas gwa; sleep 0.5; done >"$f") &
	POLLER=$!
}
poller_stop() { touch "$1.stop"; wait "$POLLER" 2>/dev/null; }

# rekeys_seen FILE: "CHILD IKE": how many times the installed CHILD_SA and
# the established IKE_SA of gwa were replaced, from poller's listing: the
# SPIs seen in at least two polls (a collision's redundant SA, deleted at
# once, is not counted), less the first.
rekeys_seen() {
	awk '
	/^T / { poll++; next }
	($1 == "child" && $4 == "INSTALLED") || ($1 == "ike" && $4 == "ESTABLISHED") {
		k = $1 " " $3
		if (last[k] != poll) { seen[k]++; last[k] = poll }
	}
	END {
		for (k in seen) if (seen[k] >= 2) { if (k ~ /^child/) c++; else i++ }
		printf "%d %d\n", (c > 0 ? c - 1 : 0), (i > 0 ? i - 1 : 0)
	}' "$1"
}

# wait_until SECONDS CMD...: 0 once CMD succeeds, 1 after SECONDS of wall
# time (peer_wait counts tries, and a try may take long).
wait_until() {
	local t0 lim=$1
	shift
	t0=$(now)
	until "$@" >/dev/null 2>&1; do
		gt "$(elapsed "$t0")" "$lim" && return 1
		sleep 0.1
	done
}

# count_ge NS WHAT STATE N, count_eq ...: d_count compared, for wait_until.
count_ge() { [ "$(d_count "$1" "$2" "$3")" -ge "$4" ]; }
count_eq() { [ "$(d_count "$1" "$2" "$3")" -eq "$4" ]; }

# gt A B: A > B (decimals)
gt() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a > b)}'; }

# --- rekey --------------------------------------------------------------------------

scen_rekey() {
	local conn_x child_x n pid t0 c i log out want_c=$REL_CHILD_REKEYS want_i=$REL_IKE_REKEYS cap
	conn_x="rekey_time = ${REL_IKE_REKEY_TIME}s
over_time = 60s
rand_time = 0"
	child_x="rekey_time = ${REL_CHILD_REKEY_TIME}s
life_time = $((REL_CHILD_REKEY_TIME + 60))s
rand_time = 0"
	rel_conf_site a "$W/gwa" "$conn_x" "$child_x"
	rel_conf_site b "$W/gwb" "$conn_x" "$child_x"
	start_pair || return
	d_setup gwa site net 30
	[[ $SETUP == ok* ]] || { record status failed "CHILD_SA not established ($SETUP)"; return; }
	ping_through 30 || { record status failed "no ping through the tunnel"; return; }

	# Phase 1: pings at 100/s until enough rekeys were seen (or twice
	# the time they should take).
	cap=$((want_c * REL_CHILD_REKEY_TIME))
	[ $((want_i * REL_IKE_REKEY_TIME)) -gt $cap ] && cap=$((want_i * REL_IKE_REKEY_TIME))
	cap=$((2 * cap + 10))
	poller "$W/poll-ping"
	pinger "$W/ping.txt"
	pid=$!
	t0=$(now)
	while :; do
		sleep 2
		read -r c i < <(rekeys_seen "$W/poll-ping")
		[ "$c" -ge "$want_c" ] && [ "$i" -ge "$want_i" ] && break
		gt "$(elapsed "$t0")" "$cap" && break
	done
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null
	poller_stop "$W/poll-ping"
	read -r c i < <(rekeys_seen "$W/poll-ping")
	record ping_seconds "$(elapsed "$t0")"
	record child_rekeys "$c"
	record ike_rekeys "$i"
	set -- $(rel_ping_stats "$W/ping.txt")
	record pings_sent "$1"
	record pings_lost "$3"
	record ping_dups "$4"
	record ping_longest_gap_ms "$(($5 * 10))"

	# Phase 2: iperf3 TCP through more rekeys.
	ip netns exec "$(topo_name hostb)" iperf3 -s -1 >"$W/iperf3-server.log" 2>&1 &
	peer_wait 50 ns hostb sh -c 'ss -ltn | grep -q ":5201 "'
	poller "$W/poll-iperf"
	timeout $((REL_IPERF_SECONDS + 30)) ip netns exec "$(topo_name hosta)" \
		iperf3 -c 10.2.0.2 -t "$REL_IPERF_SECONDS" -i 1 -J --get-server-output >"$W/iperf3.json" 2>&1
	poller_stop "$W/poll-iperf"
	read -r c i < <(rekeys_seen "$W/poll-iperf")
	record iperf_child_rekeys "$c"
	record iperf_ike_rekeys "$i"
	if out=$("$PY" - "$W/iperf3.json" <<-'PY'
	import json, sys
	d = json.load(open(sys.argv[1]))
	ivs = d.get("server_output_json", {}).get("intervals") or d["intervals"]
	secs = [iv["sum"] for iv in ivs if iv["sum"]["seconds"] > 0.5]
	print(len(secs), sum(1 for s in secs if s["bytes"] == 0),
	      "%.3f" % (d["end"]["sum_received"]["bits_per_second"] / 1e9))
	PY
	); then
		set -- $out
		record iperf_seconds "$1"
		record iperf_stalled_s "$2"
		record iperf_gbps "$3"
	else
		record iperf_stalled_s "" "iperf3 failed: $(tail -n 1 "$W/iperf3.json" | cut -c1-120)"
	fi

	# Who started the rekeys, and the collisions, from both logs.
	for n in gwa gwb; do
		log=$(d_log $n)
		if [ "${D_KIND[$n]}" = charon ]; then
			record "child_rekeys_started_$n" "$(grep -c 'generating CREATE_CHILD_SA request [0-9]* \[ N(REKEY_SA)' "$log")"
			record "ike_rekeys_started_$n" "$(grep -c 'generating CREATE_CHILD_SA request [0-9]* \[ SA No KE \]' "$log")"
			record "collisions_logged_$n" "$(grep -ci 'collision' "$log")"
		else
			record "child_rekeys_started_$n" "$(grep -c 'rekeying CHILD_SA' "$log")"
			record "ike_rekeys_started_$n" "$(grep -c 'rekeying IKE_SA' "$log")"
			record "collisions_logged_$n" "$(grep -ci 'collision' "$log")"
		fi
	done
	alive_check
	record status ok
}

# --- restart ------------------------------------------------------------------------

# stale_gone SPIS: none of the IKE_SAs SPIS (SPIi, one a line) is listed
# on gwa any more.
stale_gone() {
	local cur
	cur=$(d_sas gwa | awk '$1 == "ike" {print $3}')
	[ -z "$(comm -12 <(sort <<<"$1") <(sort <<<"$cur") | grep .)" ]
}

# scen_restart_lane CONFIG DELAY: one configuration, in its own topology;
# waits DELAY seconds before its first kill (the lanes of one peer run
# together, their kills apart).
scen_restart_lane() {
	local cfg=$1 delay=$2 conn_x="" child_x="" m="recovery_s.$1" pid t0 r i old gone
	case $cfg in
	start) child_x="start_action = start" ;;
	trap) child_x="start_action = trap" ;;
	default) ;;
	dpd) conn_x="dpd_delay = ${REL_DPD_DELAY}s" ;;
	dpdrestart) conn_x="dpd_delay = ${REL_DPD_DELAY}s"; child_x="dpd_action = restart" ;;
	esac
	rel_conf_site a "$W/gwa" "$conn_x" "$child_x"
	rel_conf_site b "$W/gwb" "$conn_x" "$child_x"
	if ! start_pair; then
		record "$m" "" "$START_ERR"
		return
	fi
	case $cfg in
	start) wait_until 30 count_ge gwa child INSTALLED 1 ;;
	trap)
		# Does traffic bring the tunnel up, and is its first packet
		# answered (held while IKE runs) or dropped?
		pinger "$W/trap-ping.txt" --seconds 5
		wait $!
		r=$(awk '$1 == "START" { t0 = $2 } $1 == "R" { printf "%.3f", $2 - t0; exit }' "$W/trap-ping.txt")
		if [ -n "$r" ]; then
			record trap_first_reply_s "$r"
			record trap_first_ping_answered "$(awk '$1 == "R" && $3 == 1' "$W/trap-ping.txt" | grep -c .)"
		else
			record trap_first_reply_s "" "never: no reply within 5 s of traffic (the tunnel was then initiated by hand)"
			d_setup gwa site net 30
		fi ;;
	*) d_setup gwa site net 30 ;;
	esac
	if ! ping_through 30; then
		record "$m" "" "failed: no tunnel before the kill"
		return
	fi
	sleep "$delay"
	for ((TRY = 1; TRY <= REL_RESTART_TRIES; TRY++)); do
		pinger "$W/ping.$TRY"
		pid=$!
		sleep 1
		# The surviving side's established IKE_SAs: when does it let go
		# of them?
		old=$(d_sas gwa | awk '$1 == "ike" && $4 == "ESTABLISHED" {print $3}')
		gone=""
		d_kill9 gwb
		sleep 1
		t0=$(now)
		if ! d_start gwb "${D_KIND[gwb]}" "$W/gwb"; then
			record "$m" "" "failed: the restart did not start: $D_ERR"
			kill -TERM "$pid"; wait "$pid" 2>/dev/null
			return
		fi
		r="" i=0
		while :; do
			r=$(tail -n 300 "$W/ping.$TRY" | awk -v t0="$t0" '
				$1 == "R" && $2 + 0 > t0 + 0 { printf "%.3f", $2 - t0; exit }')
			[ -n "$r" ] && break
			gt "$(elapsed "$t0")" "$REL_RESTART_CAP" && break
			if [ -z "$gone" ] && [ $((i++ % 10)) = 0 ] && stale_gone "$old"; then gone=$(elapsed "$t0"); fi
			sleep 0.1
		done
		# A few seconds more for it (after a quick recovery, the old
		# IKE_SA may go once the new one is up).
		for ((i = 0; i < 10 && ${#gone} == 0; i++)); do
			stale_gone "$old" && gone=$(elapsed "$t0") && break
			sleep 0.5
		done
		if [ -n "$gone" ]; then
			record "stale_gone_s.$cfg" "$gone"
		else
			record "stale_gone_s.$cfg" "" "still there after $(elapsed "$t0" | cut -d. -f1) s"
		fi
		kill -TERM "$pid"
		wait "$pid" 2>/dev/null
		if [ -n "$r" ]; then
			record "$m" "$r"
		else
			record "$m" "" "never (no reply within $REL_RESTART_CAP s)"
		fi
		# A slow configuration is measured once: its next tries would
		# only make the run longer.
		if [ -z "$r" ] || gt "$r" 30; then break; fi
		ping_through 30 || break
		sleep 2
	done
	TRY=1
	alive_check
	record status ok
}

# --- loss -------------------------------------------------------------------------------

scen_loss_lane() {
	local lane=$1 k out
	rel_loss_link "$REL_LOSS_PCT" || { record status failed "nft: cannot set up the loss"; return; }
	if [ "$lane" = 1 ]; then
		# The loss itself, measured: pings between the gateways lose
		# 1 - (1 - p)^2 of the round trips (51% at 30%).
		out=$(ns gwa ping -n -q -c 400 -i 0.005 -W 1 192.0.2.2 2>/dev/null | sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p')
		record link_roundtrip_loss_pct "$out"
	fi
	rel_conf_site a "$W/gwa"
	rel_conf_site b "$W/gwb"
	for ((k = 1; k <= REL_LOSS_TRIES; k++)); do
		mkdir "$W/../claims/$k" 2>/dev/null || continue
		TRY=$k
		start_pair || return
		d_setup gwa site net "$REL_LOSS_CAP" 0.1
		case $SETUP in
		ok*) record setup_s "${SETUP#ok }" ;;
		gaveup*) record setup_s "" "gave up"; record gaveup_after_s "${SETUP#gaveup }" ;;
		*) record setup_s "" "no result within $REL_LOSS_CAP s" ;;
		esac
		d_stop gwa
		d_stop gwb
	done
	TRY=1
	record status ok
}

# --- flood ---------------------------------------------------------------------------------

udp_counters() { # "InDatagrams RcvbufErrors InErrors" in namespace $1
	ns "$1" awk '/^Udp:/ && !h { for (i = 2; i <= NF; i++) c[$i] = i; h = 1; next }
		/^Udp:/ { print $c["InDatagrams"], $c["RcvbufErrors"], $c["InErrors"] }' /proc/net/snmp
}

scen_flood() {
	local n=$REL_FLOOD_TRIES k gap fpid spid t0 tend u0 u1 c0 c1 r0 rmax line s under=0
	[ -x "$FLOOD_TOOL" ] || { record status failed "$FLOOD_TOOL not built"; return; }
	rel_flood_ns || { record status failed "the flood namespace did not come up"; return; }
	rel_many_addrs "$n" || { record status failed "cannot add the initiators' addresses"; return; }
	rel_conf_many "$W/gwa" "$n"
	rel_conf_rw "$W/gwb" "$n"
	start_pair || return
	# Once without the flood, for comparison.
	d_setup gwa c0 n0 30 0.02
	[[ $SETUP == ok* ]] || { record status failed "no IKE_SA without the flood ($SETUP)"; return; }
	record setup_noflood_s "${SETUP#ok }"
	d_terminate gwa c0
	sleep 2
	r0=$(d_rss gwb)
	c0=$(d_ticks gwb)
	u0=$(udp_counters gwb)
	ip netns exec "$(topo_name flood)" "$FLOOD_TOOL" --dst 192.0.2.2 --src "$REL_FLOOD_SRC" \
		--rate "$REL_FLOOD_RATE" --seconds "$REL_FLOOD_SECONDS" >"$W/flood.out" 2>&1 &
	fpid=$!
	t0=$(now)
	(while kill -0 "$fpid" 2>/dev/null; do d_rss gwb; sleep 0.5; done >"$W/rss.txt") &
	spid=$!
	# The legitimate peer: n initiators of gwa, started evenly over the
	# flood, each once.
	gap=$(awk -v s="$REL_FLOOD_SECONDS" -v n="$n" 'BEGIN {printf "%.2f", (s - 2) / n}')
	for ((k = 0; k < n; k++)); do
		(
			sleep "$(awk -v g="$gap" -v k="$k" 'BEGIN {print 1 + g * k}')"
			d_setup gwa "c$k" "n$k" "$REL_FLOOD_CAP" 0.05
			echo "$SETUP $(now)" >"$W/try.$k"
		) &
	done
	wait "$fpid"
	tend=$(now)
	c1=$(d_ticks gwb)
	u1=$(udp_counters gwb)
	wait "$spid"
	for ((k = 0; k < n; k++)); do
		while [ ! -s "$W/try.$k" ]; do sleep 0.2; done
	done
	rmax=$(sort -n "$W/rss.txt" | tail -n 1)
	record flood_seconds "$(awk -v a="$t0" -v b="$tend" 'BEGIN {printf "%.1f", b - a}')"
	line=$(grep -m1 '^sent ' "$W/flood.out")
	record flood_sent_per_s "$(sed -n 's/.*: \([0-9]*\) requests\/s.*/\1/p' <<<"$line")" "$line"
	set -- $u0 $u1   # in0 buf0 err0 in1 buf1 err1
	s=$(awk -v a="$t0" -v b="$tend" 'BEGIN {print b - a}')
	record flood_received_per_s "$(awk -v i=$(($4 - $1)) -v d=$(($5 - $2)) -v s="$s" 'BEGIN {printf "%.0f", (i + d) / s}')"
	record rcvbuf_errors "$(($5 - $2))"
	record rcvbuf_drop_pct "$(awk -v i=$(($4 - $1)) -v d=$(($5 - $2)) 'BEGIN {printf "%.1f", (i + d) ? 100 * d / (i + d) : 0}')"
	record cpu_pct "$(awk -v t=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v s="$s" 'BEGIN {printf "%.0f", 100 * t / hz / s}')"
	record rss_before_kib "$r0"
	record rss_max_kib "$rmax"
	record rss_after_kib "$(d_rss gwb)"
	for ((k = 0; k < n; k++)); do
		TRY=$((k + 1))
		read -r st v tdone <"$W/try.$k"
		case $st in
		ok)
			if gt "$tdone" "$tend"; then
				record setup_s "$v" "finished after the flood ended"
			else
				record setup_s "$v"
				under=$((under + 1))
			fi ;;
		gaveup) record setup_s "" "gave up" ;;
		*) record setup_s "" "no result within $REL_FLOOD_CAP s" ;;
		esac
	done
	TRY=1
	record tries "$n"
	record tries_done_under_flood "$under"
	alive_check
	record status ok
}

# --- memory -----------------------------------------------------------------------------------

# kib_per DELTA_KIB COUNT
kib_per() { awk -v d="$1" -v n="$2" 'BEGIN {if (n > 0) printf "%.1f", d / n}'; }
returned_pct() { # BEFORE WITH AFTER
	awk -v b="$1" -v w="$2" -v a="$3" 'BEGIN {if (w > b) printf "%.0f", 100 * (w - a) / (w - b); else print 0}'
}

scen_memory() {
	local n=$REL_MEM_SAS cap i k cnt ra0 rb0 ra1 rb1 ra2 rb2 ra3 rb3 t0
	# 1. n CHILD_SAs under one IKE_SA. Each side owns an address in each
	# of its subnets (charon routes a CHILD_SA's remote subnet from it).
	for ((i = 0; i < n; i++)); do
		ns gwa ip addr add "10.$((100 + i / 200)).$((i % 200)).1/32" dev lo &&
			ns gwb ip addr add "10.$((200 + i / 200)).$((i % 200)).1/32" dev lo ||
			{ record status failed "cannot add the subnets' addresses"; return; }
	done
	record child_asked "$n"
	rel_conf_children a "$W/gwa" "$n"
	rel_conf_children b "$W/gwb" "$n"
	if ! start_pair; then
		# A cap: say so, then measure at it.
		record child_refused "" "$START_ERR"
		cap=$(sed -n 's/.*more than \([0-9]*\) children.*/\1/p' <<<"$START_ERR")
		[ -n "$cap" ] && [ "$cap" -ge 2 ] || return
		n=$cap
		d_stop_all
		rel_conf_children a "$W/gwa" "$n"
		rel_conf_children b "$W/gwb" "$n"
		start_pair || return
	fi
	sleep 1
	d_setup gwa site c0 30
	[[ $SETUP == ok* ]] || { record status failed "first CHILD_SA not established ($SETUP)"; return; }
	sleep 1
	ra1=$(d_rss gwa) rb1=$(d_rss gwb)
	t0=$(now)
	for ((i = 1; i < n; i++)); do
		if [ "${D_KIND[gwa]}" = charon ]; then
			charon_swanctl gwa --initiate --child "c$i" --timeout 30 >>"$W/initiate.log" 2>&1
		else
			d_initiate gwa "c$i"
		fi
	done
	wait_until 120 count_ge gwb child INSTALLED "$n"
	record child_setup_all_s "$(elapsed "$t0")"
	sleep 2
	cnt=$(d_count gwb child INSTALLED)
	ra2=$(d_rss gwa) rb2=$(d_rss gwb)
	record child_sas "$cnt" "${cap:+the cap: $cap children}"
	record child_kib_gwb "$(kib_per $((rb2 - rb1)) $((cnt - 1)))"
	record child_kib_gwa "$(kib_per $((ra2 - ra1)) $((cnt - 1)))"
	d_terminate gwa site
	wait_until 30 count_eq gwb child INSTALLED 0
	sleep 3
	ra3=$(d_rss gwa) rb3=$(d_rss gwb)
	record child_rss_one_gwb "$rb1"
	record child_rss_all_gwb "$rb2"
	record child_rss_gone_gwb "$rb3"
	record child_returned_pct_gwb "$(returned_pct "$rb1" "$rb2" "$rb3")"
	record child_returned_pct_gwa "$(returned_pct "$ra1" "$ra2" "$ra3")"
	d_stop_all

	# 2. n IKE_SAs (each with one CHILD_SA): n initiators in gwa's daemon,
	# each from its own address, against one responder connection on gwb.
	n=$REL_MEM_SAS
	rel_many_addrs "$n" || { record status failed "cannot add the initiators' addresses"; return; }
	rel_conf_many "$W/gwa" "$n"
	rel_conf_rw "$W/gwb" "$n"
	start_pair || { record ike_refused "" "$START_ERR"; return; }
	sleep 2
	ra0=$(d_rss gwa) rb0=$(d_rss gwb)
	t0=$(now)
	# In batches, each batch up before the next (no cookie storm). Of
	# charon's 16 worker threads each swanctl --initiate holds one until
	# its CHILD_SA is up: more than a few at once starve it.
	local batch=10
	[ "${D_KIND[gwa]}" = charon ] && batch=4
	for ((i = 0; i < n; i += batch)); do
		for ((k = i; k < i + batch && k < n; k++)); do d_initiate gwa "n$k"; done
		if [ "${D_KIND[gwa]}" = charon ]; then d_initiate_wait; else wait_until 60 count_ge gwa child INSTALLED "$k"; fi
	done
	record ike_setup_all_s "$(elapsed "$t0")"
	sleep 2
	cnt=$(d_count gwb ike ESTABLISHED)
	ra2=$(d_rss gwa) rb2=$(d_rss gwb)
	record ike_sas "$cnt"
	record ike_kib_gwb "$(kib_per $((rb2 - rb0)) "$cnt")"
	record ike_kib_gwa "$(kib_per $((ra2 - ra0)) "$cnt")"
	for ((i = 0; i < n; i++)); do d_terminate gwa "c$i"; done
	wait_until 120 count_eq gwb ike ESTABLISHED 0
	sleep 3
	ra3=$(d_rss gwa) rb3=$(d_rss gwb)
	record ike_rss_none_gwb "$rb0"
	record ike_rss_all_gwb "$rb2"
	record ike_rss_gone_gwb "$rb3"
	record ike_returned_pct_gwb "$(returned_pct "$rb0" "$rb2" "$rb3")"
	record ike_returned_pct_gwa "$(returned_pct "$ra0" "$ra2" "$ra3")"
	alive_check
	record status ok
}

# --- reorder and duplicate ---------------------------------------------------------------

# replay_drops NS: packets NS's daemon dropped by its replay check so far.
replay_drops() {
	if [ "${D_KIND[$1]}" = charon ]; then
		grep -c 'ESP sequence number verification failed' "$(d_log "$1")"
	else
		d_ctl "$1" stats | awk '$1 == "XfrmInStateSeqError" {print $2}'
	fi
}

scen_reorder() {
	local rpid a0 b0 a1 b1
	rel_relay_link || { record status failed "the relay link did not come up"; return; }
	ip netns exec "$(topo_name relay)" "$PY" "$SRC/scripts/bench_rel_relay.py" r0 r1 "$W/relay.stats" \
		>"$W/relay.log" 2>&1 &
	rpid=$!
	peer_wait 50 ns gwa ping -n -c 1 -W 1 192.0.2.2 ||
		{ record status failed "no ping across the relay: $(peer_log_tail "$W/relay.log")"; return; }
	rel_conf_site a "$W/gwa"
	rel_conf_site b "$W/gwb"
	start_pair || return
	d_setup gwa site net 30
	[[ $SETUP == ok* ]] || { record status failed "CHILD_SA not established ($SETUP)"; return; }
	ping_through 30 || { record status failed "no ping through the tunnel"; return; }
	sleep 0.5
	a0=$(replay_drops gwa) b0=$(replay_drops gwb)
	kill -USR1 "$rpid"
	pinger "$W/ping.txt" --count "$REL_REORDER_PINGS"
	wait $!
	sleep 0.5
	a1=$(replay_drops gwa) b1=$(replay_drops gwb)
	kill -TERM "$rpid"
	wait "$rpid" 2>/dev/null
	[ -s "$W/relay.stats" ] || { record status failed "the relay wrote no counters"; return; }
	rs() { awk -v k="$1" '$1 == k {print $2}' "$W/relay.stats"; }
	set -- $(rel_ping_stats "$W/ping.txt")
	record pings_sent "$1"
	record pings_lost "$3"
	record ping_dups "$4"
	record esp_relayed "$(rs esp)"
	record esp_reordered "$(rs reordered)"
	record esp_duplicated "$(rs duplicated)"
	record replay_drops "$(( (a1 - a0) + (b1 - b0) ))"
	# Each ESP packet carries one ping or reply: a reordered packet that
	# was dropped is a lost ping.
	record reordered_accepted "$(awk -v r="$(rs reordered)" -v l="$3" 'BEGIN {print (r > l) ? r - l : 0}')"
	alive_check
	record status ok
}

# --- main --------------------------------------------------------------------------------------

for s in $REL_SCENARIOS; do
	[[ " $ALL_SCENARIOS " == *" $s "* ]] || { say "reliability: unknown scenario $s (known: $ALL_SCENARIOS)"; exit 2; }
done
for PEER in $REL_PEERS; do
	rel_kinds "$PEER" >/dev/null || { say "reliability: unknown peer $PEER (uipsec strongswan mixed)"; exit 2; }
done
if [ "$(id -u)" != 0 ]; then
	say "make bench-reliability: needs root (network namespaces)."
	exit 1
fi
[ -n "$REL_PSK" ] || REL_PSK=$(peer_hexkey 24)
mkdir -p "$(dirname "$REL_OUT")"
rm -rf "$LOGS"
mkdir -p "$LOGS"
trap cleanup EXIT
trap 'say "reliability: interrupted, cleaning up"; exit 130' INT TERM HUP

START=$(now)
{
	printf '# uipsec make bench-reliability, %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	printf '# host %s, %s CPUs, kernel %s, %s\n' "$(hostname)" "$(nproc)" "$(uname -r)" \
		"$(/usr/lib/ipsec/charon --version 2>/dev/null | head -n 1 || echo 'no strongSwan')"
	printf '# pass: %s; scenarios: %s; peers: %s\n' "$([ "$REL_QUICK" = 1 ] && echo quick || echo full)" \
		"$REL_SCENARIOS" "$REL_PEERS"
	printf '# namespaces r%s-*\n' "$RID"
	printf '# load average at start: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
	printf 'scenario\tpeer\tmetric\ttry\tvalue\tnote\n'
} >"$REL_OUT"

peer_ok() { # the peer's daemons are there
	local k
	for k in $(rel_kinds "$PEER"); do
		case $k in
		uipsec) uipsec_available || { record status unavailable "uipsec: $UIPSEC_MISSING"; return 1; } ;;
		charon) charon_available || { record status unavailable "strongSwan: $CHARON_MISSING"; return 1; } ;;
		esac
	done
}

for SCEN in $REL_SCENARIOS; do
	t_scen=$(now)
	case $SCEN in
	rekey)
		config "CHILD_SA rekey_time = ${REL_CHILD_REKEY_TIME}s, life_time = $((REL_CHILD_REKEY_TIME + 60))s; IKE_SA rekey_time = ${REL_IKE_REKEY_TIME}s, over_time = 60s; rand_time = 0 on both; the same on both gateways (both initiate rekeys: collisions); pings hosta -> hostb every 10 ms (scripts/bench_rel_ping.py) until $REL_CHILD_REKEYS CHILD and $REL_IKE_REKEYS IKE rekeys were seen on gwa; then iperf3 TCP for $REL_IPERF_SECONDS s"
		for PEER in $REL_PEERS; do
			peer_ok || continue
			say "reliability: rekey: $PEER"
			new_prefix; lane "$LOGS/rekey-$PEER" scen_rekey; wait_lanes
		done ;;
	restart)
		config "kill -9 of gwb's daemon, 1 s down, restart (daemon + configuration load); time from the restart to the first reply to hosta's pings (every 10 ms); cap $REL_RESTART_CAP s; start: start_action = start on both; trap: start_action = trap on both; default: nothing set (gwa initiated by hand); dpd: dpd_delay = ${REL_DPD_DELAY}s (dpd_action left at its default, clear: neither daemon is asked to bring the tunnel back); dpdrestart: dpd_delay = ${REL_DPD_DELAY}s and dpd_action = restart on both; up to $REL_RESTART_TRIES tries, one if a try takes over 30 s"
		for PEER in $REL_PEERS; do
			peer_ok || continue
			say "reliability: restart: $PEER ($REL_RESTART_CONFIGS, in parallel, kills ${REL_RESTART_STAGGER} s apart)"
			k=0
			for c in $REL_RESTART_CONFIGS; do
				new_prefix; lane "$LOGS/restart-$PEER-$c" scen_restart_lane "$c" $((REL_RESTART_STAGGER * k))
				k=$((k + 1))
			done
			wait_lanes
		done ;;
	loss)
		config "${REL_LOSS_PCT}% of the packets dropped each way on gwa's public interface (nftables numgen random); defaults; fresh daemons for each of $REL_LOSS_TRIES tries; gwa initiates; time until its CHILD_SA is installed (or the daemon gives up); cap $REL_LOSS_CAP s; $REL_LOSS_LANES topologies in parallel"
		for PEER in $REL_PEERS; do
			peer_ok || continue
			say "reliability: loss: $PEER"
			mkdir -p "$LOGS/loss-$PEER/claims"
			for ((l = 1; l <= REL_LOSS_LANES; l++)); do
				new_prefix; lane "$LOGS/loss-$PEER/lane$l" scen_loss_lane "$l"
			done
			wait_lanes
		done ;;
	flood)
		config "spoofed IKE_SA_INIT requests at $REL_FLOOD_RATE/s for $REL_FLOOD_SECONDS s to gwb:500 (tests/tools/ike_flood, sources $REL_FLOOD_SRC, random ports) on a second link of gwb; $REL_FLOOD_TRIES legitimate initiators on gwa (own addresses and identities, one connection each) start evenly over the flood; gwb responds with one connection for any peer"
		for PEER in $REL_PEERS; do
			peer_ok || continue
			say "reliability: flood: $PEER"
			new_prefix; lane "$LOGS/flood-$PEER" scen_flood; wait_lanes
		done ;;
	memory)
		config "$REL_MEM_SAS CHILD_SAs under one IKE_SA (one connection with $REL_MEM_SAS children, each its own subnet pair, initiated one by one); then $REL_MEM_SAS IKE_SAs with one CHILD_SA each ($REL_MEM_SAS connections in gwa's daemon, each from its own address and identity, against one connection on gwb); RSS (VmRSS) of both daemons before, with, and 3 s after deleting them"
		for PEER in $REL_PEERS; do
			peer_ok || continue
			say "reliability: memory: $PEER"
			new_prefix; lane "$LOGS/memory-$PEER" scen_memory; wait_lanes
		done ;;
	reorder)
		config "a relay (scripts/bench_rel_relay.py) bridges gwa and gwb: of the ESP packets each way, every 10th is sent after the next 3, every 7th is sent twice; defaults (replay_window 32); $REL_REORDER_PINGS pings hosta -> hostb every 10 ms"
		for PEER in $REL_PEERS; do
			peer_ok || continue
			say "reliability: reorder: $PEER"
			new_prefix; lane "$LOGS/reorder-$PEER" scen_reorder; wait_lanes
		done ;;
	esac
	printf '%s\t*\tscenario_seconds\t1\t%s\t\n' "$SCEN" "$(elapsed "$t_scen")" >>"$REL_OUT"
done
{
	printf '# load average at end: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
	printf '# duration: %s s\n' "$(elapsed "$START")"
} >>"$REL_OUT"

"$PY" "$SRC/scripts/bench_reliability_report.py" "$REL_OUT"
say "reliability: results in $REL_OUT, logs in $LOGS"
