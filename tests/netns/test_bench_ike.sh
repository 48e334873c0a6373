#!/usr/bin/env bash
# The IKE load benchmark (scripts/bench_ike.sh, tests/tools/ike_load,
# scripts/bench_ike_report.py):
#  1. the report computes medians, min/max, per-IKE_SA memory and the
#     ratios right on a results file with known numbers;
#  2. the quick mode (100 IKE_SAs) against uipsecd and charon: every setup
#     succeeds, each responder counts 100 IKE_SAs, the rate and the memory
#     per IKE_SA are sane (positive, under bounds no real run comes near),
#     and nothing is left behind: no namespace of the run, no process of
#     the run (by the PIDs it recorded).
# Root only (namespaces); exit 77 = skipped (charon missing: uipsecd only).
set -uo pipefail
SRC=${UIPSEC_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${UIPSEC_BUILD:-$SRC/build}
[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
[ -x "$BUILD/tests/ike_load" ] || { echo "skip: build tests/ike_load first"; exit 77; }

T=$(mktemp -d /tmp/test_bench_ike.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
check() { # check DESCRIPTION COMMAND...
	if "${@:2}"; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails + 1)); fi
}

# --- 1. the report on known numbers -----------------------------------------
{
	printf '# synthetic\n'
	printf 'round\tpeer\tn\testablished\tfailed\tseconds\trate\trss0_kb\trss1_kb\tresponder_sas\tcpu_s\n'
	printf '1\tuipsec\t1000\t1000\t0\t1\t3000\t1000\t6000\t1000\t1\n'
	printf '1\tcharon\t1000\t1000\t0\t1\t1000\t1000\t31000\t1000\t2\n'
	printf '2\tuipsec\t1000\t1000\t0\t1\t2000\t1000\t5000\t1000\t1\n'
	printf '2\tcharon\t1000\t1000\t0\t1\t500\t1000\t21000\t1000\t2\n'
	printf '3\tuipsec\t1000\t990\t10\t1\t4000\t1000\t7000\t990\t1\n'
	printf '3\tcharon\t1000\t1000\t0\t1\t2000\t1000\t41000\t1000\t2\n'
} >"$T/syn.tsv"
/usr/bin/python3 "$SRC/scripts/bench_ike_report.py" "$T/syn.tsv" >"$T/syn.out" 2>&1
cat "$T/syn.out"
check "report: uipsec median rate and range" grep -Eq '^1000 +uipsec +3000 \[2000\.\.4000\]' "$T/syn.out"
check "report: failures summed" grep -Eq '^1000 +uipsec .* 10/3000 ' "$T/syn.out"
check "report: charon memory per IKE_SA (median of 30, 20, 40 kB)" grep -Eq '^1000 +charon .* 30\.0 ' "$T/syn.out"
check "report: ratios (3000/1000, 5/30)" grep -q 'N=1000: rate uipsec/charon 3.00x (target >= 2); memory per IKE_SA uipsec/charon 0.17' "$T/syn.out"

# --- 2. a quick real run ------------------------------------------------------
peers="uipsec charon"
if ! command -v swanctl >/dev/null || [ ! -x /usr/lib/ipsec/charon ]; then
	echo "note: charon not installed, uipsecd only"
	peers=uipsec
fi
BUILD=$BUILD BENCH_IKE_QUICK=1 PEERS=$peers BENCH_IKE_OUT="$T/run.tsv" BENCH_IKE_LOGS="$T/logs" \
	bash "$SRC/scripts/bench_ike.sh" >"$T/run.out" 2>&1 &
pid=$!
wait $pid
rc=$?
cat "$T/run.out"
check "quick run exits 0" [ "$rc" = 0 ]
ns_prefix=$(sed -n 's/^# namespaces \(.*\)-RUN$/\1/p' "$T/run.tsv")
check "the run names its namespaces" [ -n "$ns_prefix" ]
for p in $peers; do
	row=$(awk -F'\t' -v p="$p" '$2 == p' "$T/run.tsv")
	IFS=$'\t' read -r _ _ n est failed _ rate rss0 rss1 sas _ <<<"$row"
	check "$p: 100 of 100 established" [ "${est:-0}" = 100 ]
	check "$p: none failed" [ "${failed:-x}" = 0 ]
	check "$p: the responder counts 100 IKE_SAs" [ "${sas:-0}" = 100 ]
	check "$p: rate positive and below 10^6/s" \
		awk -v r="${rate:-0}" 'BEGIN { exit !(r > 0 && r < 1000000) }'
	check "$p: RSS grew, by less than 1 MB per IKE_SA" \
		awk -v a="${rss0:-0}" -v b="${rss1:-0}" 'BEGIN { exit !(a > 0 && b > a && (b - a) / 100 < 1024) }'
	check "$p: ike_load left no failures listed" bash -c "! grep -q '^FAILED' '$T/logs/r1-n100-$p/load.out'"
done
# nothing left: the namespaces of the run, the processes it started
check "no namespace of the run left" bash -c "! ip netns list | grep -q '^$ns_prefix-'"
for f in "$T"/logs/*/pids; do
	[ -f "$f" ] || continue
	for p in $(cat "$f"); do
		check "process $p of the run gone" bash -c "! kill -0 $p 2>/dev/null"
	done
done
check "the run recorded its PIDs" bash -c "[ \$(cat '$T'/logs/*/pids 2>/dev/null | wc -w) -ge 2 ]"

[ "$fails" = 0 ] && echo "PASS" || { echo "$fails check(s) failed"; exit 1; }
