#!/usr/bin/env bash
# uipsecd --workers N (docs/workers.md): several data-path threads, each
# with its own TUN queue and UDP 4500 socket, over one SAD and SPD.
#  - the daemons run N worker threads and `uipsec stats` lists them;
#  - raw ESP and ESP in UDP, IPv4 and IPv6: ping, and iperf3 with 8 TCP
#    streams, which the multi-queue TUN device spreads over the workers
#    (at least two of gwa's workers read from TUN);
#  - the SAD and SPD change under load (states updated, policies added
#    and deleted many times while iperf3 runs): the transfer completes and
#    nothing is dropped as a replay;
#  - both daemons stop cleanly on SIGTERM (threads joined, device gone);
#  - --workers out of range is refused; a second daemon cannot join the
#    first one's SO_REUSEPORT group.
# test_visibility/test_drops with GW_ARGS="--workers 2" and
# test_ike_uipsec_workers.sh cover traces, captures, acquires and IKE
# through the workers' relays.
source "$(dirname "$0")/lib.sh"
gw_lib_init
IPERF_SECONDS=${IPERF_SECONDS:-3}

gw_start gwa --workers 2
gw_start gwb --workers 3

for n in gwa gwb; do
	want=$([ $n = gwa ] && echo 2 || echo 3)
	threads=$(ls "/proc/${GW_PID[$n]}/task" | wc -l)
	[ "$threads" -ge $((want + 1)) ] || fail "$n: $threads threads, want $want workers + the main loop"
	lines=$(ux $n stats | grep -c '^Worker[0-9]')
	[ "$lines" = "$want" ] || fail "$n: stats lists $lines workers, want $want"
	queues=$(ns $n ls /sys/class/net/ipsec0/queues | grep -c '^tx-')
	[ "$queues" = "$want" ] || fail "$n: ipsec0 has $queues TX queues, want $want"
done
note "threads, stats and TUN queues: gwa 2 workers, gwb 3"

# Bad counts are refused before anything is opened.
for bad in 0 17 -1 two 2x ""; do
	out=$("$UIPSECD" --foreground --workers "$bad" --control "$GW_RUN/bad.sock" 2>&1) &&
		fail "--workers '$bad' accepted"
	echo "$out" | grep -q "workers must be a number from 1 to 16" || fail "--workers '$bad': $out"
done
# A second daemon with workers must not join the first one's SO_REUSEPORT
# group on UDP 4500: it fails on UDP 500 first, and the first one is fine.
out=$(ns gwa "$UIPSECD" --foreground --workers 2 --tun ipsec9 --control "$GW_RUN/other.sock" \
	-c "$GW_RUN/empty.conf" 2>&1) && fail "a second daemon with workers started on gwa"
echo "$out" | grep -q "UDP 500 IPv4 socket.*another IKE daemon" || fail "second daemon: $out"
ux gwa stats >/dev/null || fail "the first daemon was hurt by the second"
note "bad --workers values refused; a second daemon cannot join the UDP 4500 group"

iperf() { # iperf INNER STREAMS SECONDS: hosta -> hostb, receiver Mbit/s on stdout
	local dst pid out rc
	dst=$(host_b "$1")
	bg hostb iperf3 -s -1 -B "$dst" >/dev/null 2>&1
	pid=$BG_PID
	sleep 0.3
	out=$(ns hosta timeout $(($3 + 15)) iperf3 -c "$dst" -P "$2" -t "$3" -f m 2>&1)
	rc=$?
	kill $pid 2>/dev/null; wait $pid 2>/dev/null
	[ $rc = 0 ] || { echo "$out" | tail -3 >&2; return 1; }
	echo "$out" | awk '/SUM.*receiver/ { print $6 " " $7 } /^\[ *5\].*receiver/ { print $7 " " $8 }' | tail -1
}

# workers_busy NS: how many workers read packets from their TUN queue
workers_busy() { ux "$1" stats | awk '/^Worker[0-9]/ && $4 > 0 { n++ } END { print n + 0 }'; }

case_no=0
for encap in raw udp; do
	for fam in 4 6; do
		case_no=$((case_no + 1))
		gw_tunnel gcm128 "$encap" "$fam" "$fam" "$(printf 0x%x $((0x1000 + case_no)))" \
			"$(printf 0x%x $((0x2000 + case_no)))"
		ping_ok "$fam" || fail "ping $encap IPv$fam"
		before=$(stat_of gwb XfrmInStateSeqError)
		r=$(iperf "$fam" 8 "$IPERF_SECONDS") || fail "iperf3 -P 8 $encap IPv$fam"
		note "$encap IPv$fam: ping ok, iperf3 8 streams $r"
		after=$(stat_of gwb XfrmInStateSeqError)
		[ "$after" = "$before" ] || fail "$encap IPv$fam: $((after - before)) packets dropped as replays"
	done
done
busy=$(workers_busy gwa)
ux gwa stats | grep '^Worker' | sed 's/^/    /'
[ "$busy" -ge 2 ] || fail "only $busy of gwa's workers read from the TUN device"
note "gwa: $busy workers read from TUN"

note "the SAD and SPD change while 4 streams run"
gw_tunnel gcm128 udp 4 4 0x3001 0x3002
bg hostb iperf3 -s -1 -B 10.2.0.2 >/dev/null 2>&1; srv=$BG_PID
sleep 0.3
bg hosta iperf3 -c 10.2.0.2 -P 4 -t 4 -f m >"$GW_RUN/iperf-churn.txt" 2>&1; cli=$BG_PID
sleep 0.5
for i in $(seq 40); do
	for n in gwa gwb; do
		# the live state is updated in place, with a new crypto context
		# (same key) and new lifetimes (sad_update under the write lock);
		# an unrelated policy comes and goes
		# shellcheck disable=SC2046
		ux $n xfrm state update src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x3001 reqid 1 \
			mode tunnel $(alg_args gcm128 a c) encap espinudp 4500 4500 0.0.0.0 \
			replay-window 128 limit time-soft $((3600 + i)) >/dev/null || fail "state update $i on $n"
		ux $n xfrm policy add src 10.77.$i.0/24 dst 10.78.$i.0/24 dir out action block \
			>/dev/null || fail "policy add $i on $n"
		ux $n xfrm policy delete src 10.77.$i.0/24 dst 10.78.$i.0/24 dir out \
			>/dev/null || fail "policy delete $i on $n"
	done
done
wait $cli || { cat "$GW_RUN/iperf-churn.txt" >&2; fail "iperf3 under SAD/SPD changes"; }
kill $srv 2>/dev/null; wait $srv 2>/dev/null
note "$(awk '/SUM.*receiver/ { print "iperf3 4 streams: " $6 " " $7 }' "$GW_RUN/iperf-churn.txt"), 240 changes on each gateway"

for n in gwa gwb; do
	pid=${GW_PID[$n]}
	gw_stop $n
	grep -qi "worker.*fail\|cannot" "$GW_RUN/$n.log" && { cat "$GW_RUN/$n.log" >&2; fail "$n logged a worker error"; }
	ns $n ip link show ipsec0 >/dev/null 2>&1 && fail "$n: ipsec0 still there after stop"
	note "$n (pid $pid) stopped cleanly"
done
echo PASS
