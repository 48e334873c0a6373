#!/usr/bin/env bash
# uipsecd on gwa and gwb with manual SAs for site A <-> site B: ping and a
# short iperf3 TCP run from hosta to hostb for every algorithm, raw ESP and
# UDP encapsulation, IPv4 and IPv6 outer and inner packets.
#
# iperf3 runs IPERF_SECONDS (default 10, as issue 3 asks) per case; set it
# lower for a quick local run.
source "$(dirname "$0")/lib.sh"
gw_lib_init
IPERF_SECONDS=${IPERF_SECONDS:-10}

gw_start gwa --tun ipsec0
gw_start gwb --tun ipsec0

# The TUN device uipsecd creates gets its longer transmit queue (TUN_TXQLEN
# in src/io/tun.h), not the kernel's 500.
qlen=$(ns gwa cat /sys/class/net/ipsec0/tx_queue_len 2>/dev/null)
[ "$qlen" = 4096 ] || { echo "FAIL: ipsec0 tx_queue_len is '$qlen', not 4096" >&2; exit 1; }

iperf_ok() { # iperf_ok INNER
	local dst pid out
	dst=$(host_b "$1")
	bg hostb iperf3 -s -1 -B "$dst" >/dev/null 2>&1
	pid=$BG_PID
	sleep 0.3
	out=$(ns hosta timeout $((IPERF_SECONDS + 10)) iperf3 -c "$dst" -t "$IPERF_SECONDS" -f m 2>&1)
	local rc=$?
	kill $pid 2>/dev/null; wait $pid 2>/dev/null
	[ $rc = 0 ] || { echo "$out" | tail -3 >&2; return 1; }
	echo "$out" | awk '/receiver/ { print "    iperf3: " $7 " " $8 }'
}

failed=0
case_no=0
next_spis() { case_no=$((case_no + 1)); SPI_AB=$(printf 0x%x $((0x1000 + case_no))); SPI_BA=$(printf 0x%x $((0x2000 + case_no))); }
for alg in gcm128 gcm256 chacha cbcsha256; do
	for encap in raw udp; do
		for fam in "4 4" "6 6"; do
			set -- $fam
			next_spis
			gw_tunnel "$alg" "$encap" "$1" "$2" "$SPI_AB" "$SPI_BA"
			note "$alg $encap outer IPv$1 inner IPv$2"
			if ! ping_ok "$2"; then
				echo "FAIL: ping $alg $encap v$1/v$2" >&2; failed=1; continue
			fi
			iperf_ok "$2" || { echo "FAIL: iperf3 $alg $encap v$1/v$2" >&2; failed=1; }
		done
	done
done
# Mixed families: IPv6 inside IPv4 and the reverse.
for fam in "4 6" "6 4"; do
	set -- $fam
	for encap in raw udp; do
		next_spis
		gw_tunnel gcm128 "$encap" "$1" "$2" "$SPI_AB" "$SPI_BA"
		note "gcm128 $encap outer IPv$1 inner IPv$2"
		ping_ok "$2" || { echo "FAIL: ping gcm128 $encap v$1/v$2" >&2; failed=1; }
	done
done

# Extended sequence numbers (RFC 4303 appendix A), starting just below
# the 2^32 boundary so that the run crosses it.
for encap in raw udp; do
	next_spis
	GW_STATE_EXTRA="flag esn replay-oseq 0xfffffff0 replay-seq 0xfffffff0" \
		gw_tunnel gcm128 "$encap" 4 4 "$SPI_AB" "$SPI_BA"
	note "gcm128 $encap ESN across 2^32"
	ping_ok 4 3 || { echo "FAIL: ping ESN $encap" >&2; failed=1; continue; }
	iperf_ok 4 || { echo "FAIL: iperf3 ESN $encap" >&2; failed=1; }
	oseq=$(ux gwa stats | awk '/oseq/ { print $NF; exit }')
	[ "${oseq:-0}" -gt 4294967295 ] || { echo "FAIL: ESN run did not cross 2^32 (oseq $oseq)" >&2; failed=1; }
done

# The counters of a clean run show no errors on either side (stray
# packets of a previous case may only meet "no state": new SPIs each case).
for n in gwa gwb; do
	for c in XfrmInStateProtoError XfrmInStateSeqError XfrmInTmplMismatch XfrmInNoPols; do
		v=$(stat_of $n $c)
		[ "$v" = 0 ] || { echo "FAIL: $n $c = $v after clean traffic" >&2; failed=1; }
	done
done
[ $failed = 0 ] || { tail -20 "$GW_RUN"/gw*.log >&2; exit 1; }
echo PASS
