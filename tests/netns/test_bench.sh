#!/usr/bin/env bash
# The `make bench` harness itself (scripts/bench.sh, bench_report.py):
#  1. the report computes medians, min/max, ratios, raw ESP's ratio to ESP
#     in UDP and the targets of issues 6 and 13 right on a results file
#     with known numbers;
#  2. a short real run of plain forwarding and wireguard-go gives numbers,
#     a peer that cannot come up (charon with a bad ESP proposal) is
#     reported as failed with its reason while the others still run, and
#     nothing (processes, namespaces) is left behind.
# Root only (namespaces); exit 77 = skipped.
set -uo pipefail
SRC=${UIPSEC_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${UIPSEC_BUILD:-$SRC/build}
[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
for c in iperf3 wireguard-go wg swanctl; do
	command -v $c >/dev/null || { echo "skip: $c not installed"; exit 77; }
done

T=$(mktemp -d /tmp/test_bench.XXXXXX)
RMEM_MAX=$(cat /proc/sys/net/core/rmem_max)
trap 'echo "$RMEM_MAX" >/proc/sys/net/core/rmem_max; rm -rf "$T"' EXIT
fails=0
check() { # check DESCRIPTION COMMAND...
	if "${@:2}"; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails + 1)); fi
}

# --- 1. the report on known numbers ----------------------------------------
{
	printf '# synthetic\nround\tpeer\tmetric\tvalue\tnote\n'
	for r in 1 2 3; do
		printf '%s\tplain\tping_rtt_ms\t0.05\t\n' $r
		printf '%s\tplain\tstatus\tok\t\n' $r
	done
	printf '1\tuipsec-gcm-esp\ttcp1_gbps\t4\t\n2\tuipsec-gcm-esp\ttcp1_gbps\t6\t\n3\tuipsec-gcm-esp\ttcp1_gbps\t5\t\n'
	printf '1\tstrongswan\ttcp1_gbps\t0.4\t\n2\tstrongswan\ttcp1_gbps\t0.5\t\n3\tstrongswan\ttcp1_gbps\t0.6\t\n'
	printf '1\twireguard-go\ttcp1_gbps\t1.0\t\n'
	printf '1\tuipsec-gcm-esp\tudp64buf_kpps\t200\t\n1\twireguard-go\tudp64buf_kpps\t50\t\n'
	printf '1\tuipsec-gcm-esp\tudp64_kpps\t100\t\n1\twireguard-go\tudp64_kpps\t40\t\n'
	printf '2\twireguard-go\ttcp1_gbps\t\tiperf3 failed: test\n'
	for r in 1 2 3; do
		printf '%s\tuipsec-gcm-esp\tping_rtt_ms\t0.15\t\n' $r
		printf '%s\tstrongswan\tping_rtt_ms\t0.75\t\n' $r
		printf '%s\twireguard-go\tping_rtt_ms\t0.45\t\n' $r
		printf '%s\tuipsec-gcm-esp\tstatus\tok\t\n%s\tstrongswan\tstatus\tok\t\n' $r $r
	done
	printf '1\twireguard-go\tstatus\tok\t\n2\twireguard-go\tstatus\tok\t\n'
	printf '3\twireguard-go\tstatus\tfailed\tdaemon PID 1 exited\n'
	printf '1\tuipsec-chacha-udp\tstatus\tunavailable\tuipsec: not available yet (uipsecd missing)\n'
	printf '1\tuipsec-gcm-esp\tcpu_s_per_gb\t3.0\t\n'
	printf '1\tuipsec-default\ttcp1_gbps\t3\t\n1\tuipsec-default\tcpu_s_per_gb\t2.5\t\n'
	printf '1\tuipsec-rawesp\ttcp1_gbps\t1.2\t\n1\tuipsec-rawesp\tcpu_s_per_gb\t7.5\t\n'
	printf '1\tuipsec-chacha\ttcp1_gbps\t2.1\t\n1\tstrongswan-chacha\ttcp1_gbps\t0.3\t\n'
} >"$T/known.tsv"
/usr/bin/python3 "$SRC/scripts/bench_report.py" "$T/known.tsv" >"$T/known.out" 2>&1
has() { grep -qF -- "$1" "$T/known.out"; }
check "report: median [min .. max]"          has "5.000 [4.000 .. 6.000]  (3 of 3 runs)"
check "report: runs without a value counted" has "1.000 [1.000 .. 1.000]  (1 of 3 runs)"
check "report: added latency per round"      has "0.100 [0.100 .. 0.100]"
check "report: ratio to strongSwan"          has "strongswan 10.00x"
check "report: ratio to wireguard-go"        has "wireguard-go 5.00x"
check "report: target met"                   has "tcp1_gbps vs strongswan: 10.00x (target >= 8.0x, issue 6): met"
check "report: target not met"               has "tcp1_gbps vs wireguard-go: 5.00x (target >= 6.0x, issue 6): NOT met"
check "report: latency target vs best peer"  has "added_ms vs best of strongswan/wireguard-go: 0.25x (target <= 0.4x, issue 13): met"
check "report: small packets, 2 MiB buffers" has "udp64buf_kpps vs wireguard-go: 4.00x (target >= 3.0x, issue 6): met"
check "report: small packets, default buffers" has "udp64_kpps vs wireguard-go: 2.50x (target >= 3.0x, issue 13): NOT met"
check "report: default buffers, ratio"       has "udp64_kpps      strongswan n/a   wireguard-go 2.50x"
check "report: CPU per GB, absolute target"  has "cpu_s_per_gb 3.00 (target <= 2.7, issue 13): NOT met"
check "report: CPU per GB, met"              has "cpu_s_per_gb 2.50 (target <= 2.7, issue 13): met"
check "report: raw ESP / ESP in UDP"         has "tcp1_gbps       uipsec-default 0.40x   uipsec-encap n/a"
check "report: raw ESP CPU ratio"            has "cpu_s_per_gb    uipsec-default 3.00x"
check "report: ChaCha20 vs strongSwan's"     has "tcp1_gbps       strongswan-chacha 7.00x   wireguard-go 2.10x"
check "report: ChaCha20 target vs wg-go"     has "tcp1_gbps vs wireguard-go: 2.10x (target >= 2.0x, issue 13): met"
check "report: ChaCha20 has no AES targets"  bash -c "! grep -qE 'uipsec-chacha +udp64.*target' '$T/known.out'"
check "report: what each variant is"      has "the strongswan peer's swanctl.conf, defaults left alone"
check "report: failure with reason"          has "round 3 wireguard-go: daemon PID 1 exited"
check "report: failed metric with reason"    has "round 2 wireguard-go tcp1_gbps: iperf3 failed: test"
check "report: unavailable peer"             has "uipsec-chacha-udp  uipsec: not available yet (uipsecd missing)"

# --- 2. a short real run -----------------------------------------------------
# uipsec too when it is built (manual keys through the uipsec command).
peers="strongswan plain wireguard-go"
[ -x "$BUILD/uipsecd" ] && [ -x "$BUILD/uipsec" ] && peers+=" uipsec-gcm-udp"
# A low net.core.rmem_max (older kernels' default): bench.sh must raise it
# for the 2 MiB UDP test and put it back.
echo 212992 >/proc/sys/net/core/rmem_max
STRONGSWAN_ESP=aes999 BENCH_MICRO=0 BENCH_IKE=0 ROUNDS=1 BENCH_SECONDS=1 PING_COUNT=10 \
	PEERS="$peers" BUILD="$BUILD" UIPSEC_BUILD="$BUILD" \
	BENCH_OUT="$T/run.tsv" BENCH_LOGS="$T/logs" \
	bash "$SRC/scripts/bench.sh" >"$T/run.out" 2>&1
rc=$?
check "bench.sh exits 0 although a peer failed" [ $rc = 0 ]
row() { awk -F'\t' -v p="$1" -v m="$2" '$2 == p && $3 == m {print $4; exit}' "$T/run.tsv"; }
positive() { awk -v v="$1" 'BEGIN {exit !(v > 0)}'; }
check "strongswan with a bad proposal: failed" [ "$(row strongswan status)" = failed ]
check "... with the reason"                  grep -q $'strongswan\tstatus\tfailed\tcharon on gwa: .*invalid value for: esp_proposals' "$T/run.tsv"
check "plain: ok"                            [ "$(row plain status)" = ok ]
check "wireguard-go: ok"                     [ "$(row wireguard-go status)" = ok ]
for m in tcp1_gbps tcp4_gbps udp64_kpps udp64buf_kpps ping_rtt_ms; do
	check "plain $m > 0"        positive "$(row plain $m)"
	check "wireguard-go $m > 0" positive "$(row wireguard-go $m)"
done
nonneg() { awk -v v="$1" 'BEGIN {exit !(v != "" && v >= 0 && v <= 100)}'; }
check "wireguard-go: socket drops at hostb, percent" nonneg "$(row wireguard-go udp64buf_sockdrop_pct)"
check "the results say which UDP buffers"    grep -q '^# UDP tests: iperf3 default socket buffers (rmem_default [0-9]*), then -w 2097152 bytes (rmem_max 2097152)' "$T/run.tsv"
check "rmem_max raised for the run"          grep -q 'net.core.rmem_max raised from 212992 to 2097152' "$T/run.out"
check "... and put back"                     [ "$(cat /proc/sys/net/core/rmem_max)" = 212992 ]
check "wireguard-go CPU per GB > 0"          positive "$(row wireguard-go cpu_s_per_gb)"
if [[ $peers == *uipsec* ]]; then
	check "uipsec-gcm-udp: ok"                 [ "$(row uipsec-gcm-udp status)" = ok ]
	check "uipsec-gcm-udp tcp1_gbps > 0"       positive "$(row uipsec-gcm-udp tcp1_gbps)"
	check "uipsec-gcm-udp CPU per GB > 0"      positive "$(row uipsec-gcm-udp cpu_s_per_gb)"
fi
check "summary printed"                      grep -q -- "-- targets (issues 6 and 13" "$T/run.out"
id=$(sed -n 's/^# namespaces b\([0-9]*\)-.*/\1/p' "$T/run.tsv")
check "run id recorded"                      [ -n "$id" ]
check "no namespaces left"                   [ -z "$(ip netns list | grep "^b$id-")" ]
check "no wireguard-go left"                 [ -z "$(ls /var/run/wireguard/ 2>/dev/null | grep "^wg${id}")" ]
# --- 3. uipsec not built: said so, no numbers --------------------------------
BENCH_MICRO=0 BENCH_IKE=0 ROUNDS=1 PEERS="uipsec-gcm-esp" BUILD="$BUILD" UIPSEC_BUILD="$T/none" \
	BENCH_OUT="$T/none.tsv" BENCH_LOGS="$T/logs" bash "$SRC/scripts/bench.sh" >"$T/none.out" 2>&1
check "missing uipsecd: reported as not available" \
	grep -q "uipsec-gcm-esp  uipsec: not available yet (uipsecd missing)" "$T/none.out"
check "missing uipsecd: no numbers" \
	[ -z "$(awk -F'\t' '$2 == "uipsec-gcm-esp" && $3 != "status"' "$T/none.tsv")" ]

if [ $fails != 0 ]; then
	echo "--- bench output"; cat "$T/run.out"; echo "--- results"; cat "$T/run.tsv"
fi
exit $((fails != 0))
