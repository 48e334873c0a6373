#!/usr/bin/env bash
# The `make bench-reliability` harness itself (scripts/bench_reliability.sh,
# bench_reliability_report.py, bench_rel_peers.sh, bench_rel_relay.py,
# tests/tools/ike_flood), so that it cannot rot silently:
#  1. the report on a results file with known numbers: medians, ranges,
#     "never" and "gave up" counted, refusals with their message, the
#     issue 17 targets judged (met / NOT met);
#  2. a quick real run of two scenarios against uipsec and strongSwan:
#     the flood (extra namespace, spoofed requests, RSS/CPU/socket drops)
#     for both; the reorder relay (its swanctl.conf has dpd_action =
#     restart, which uipsec refused until the reliability work) for both;
#     the numbers are sane and nothing (namespaces, processes) is left
#     behind. Refusals are reported with their message (part 1).
# Root only; needs charon, iperf3 and a built uipsec (exit 77 = skipped).
set -uo pipefail
SRC=${UIPSEC_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${UIPSEC_BUILD:-$SRC/build}
[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
[ -x /usr/lib/ipsec/charon ] && command -v swanctl >/dev/null || { echo "skip: strongSwan not installed"; exit 77; }
[ -x "$BUILD/uipsecd" ] && [ -x "$BUILD/uipsec" ] && [ -x "$BUILD/tests/ike_flood" ] ||
	{ echo "skip: uipsecd, uipsec or tests/ike_flood not built in $BUILD"; exit 77; }

T=$(mktemp -d /tmp/test_bench_rel.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
check() { # check DESCRIPTION COMMAND...
	if "${@:2}"; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails + 1)); fi
}
REPORT="/usr/bin/python3 $SRC/scripts/bench_reliability_report.py"

# --- 1. the report on known numbers ------------------------------------------------
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@"; }
{
	printf '# synthetic\nscenario\tpeer\tmetric\ttry\tvalue\tnote\n'
	row restart '*' config 1 '' 'kill -9 of gwb'
	row restart uipsec recovery_s.start 1 0.1 ''
	row restart uipsec recovery_s.start 2 0.3 ''
	row restart uipsec recovery_s.start 3 0.2 ''
	row restart uipsec recovery_s.trap 1 '' 'never (no reply within 200 s)'
	row restart strongswan recovery_s.start 1 0.12 ''
	row restart strongswan recovery_s.dpd 1 170 ''
	row restart uipsec recovery_s.dpd 1 '' 'refused: gwb (uipsec): x.conf:3: dpd_action: no'
	for k in 1 2 3; do row loss uipsec setup_s $k "$k.5" ''; done
	row loss uipsec setup_s 4 '' 'gave up'
	row loss uipsec setup_s 5 '' 'gave up'
	for k in 1 2 3; do row loss strongswan setup_s $k 2 ''; done
	row flood uipsec setup_s 1 0.4 ''
	row flood uipsec setup_s 2 0.9 ''
	row memory uipsec child_refused 1 '' 'refused: gwa (uipsec): f.conf:2: connections.site.children: more than 8 children'
	row memory uipsec child_sas 1 8 'the cap: 8 children'
	row memory uipsec child_kib_gwa 1 12.5 ''
	row memory uipsec child_kib_gwb 1 13.0 ''
	row memory uipsec ike_kib_gwa 1 7.5 ''
	row memory uipsec ike_kib_gwb 1 6.0 ''
	row memory uipsec status 1 refused 'gwa (uipsec): f.conf:2: connections.site.children: more than 8 children'
	row memory uipsec status 1 ok ''
	row reorder strongswan status 1 failed 'the relay link did not come up'
	row reorder uipsec pings_lost 1 0 ''
	row reorder uipsec ping_dups 1 0 ''
	row reorder uipsec replay_drops 1 10 ''
	row reorder uipsec esp_duplicated 1 10 ''
	row restart '*' scenario_seconds 1 12 ''
} >"$T/known.tsv"
$REPORT "$T/known.tsv" >"$T/known.out" 2>&1
has() { grep -qF -- "$1" "$T/known.out"; }
hasre() { grep -qE -- "$1" "$T/known.out"; }
check "report: median [min..max] n"          has "0.200 [0.100..0.300] n=3"
check "report: never as a tag, cap as note"  hasre "start_action = trap on both \(s\) +never \[[0-9]\] +-"
check "report: the note in full below"       has "never (no reply within 200 s)"
check "report: gave up counted"              has "2.50 [1.50..3.50] n=3 gave up x2"
check "report: refusal with its message"     hasre "dpd_delay only \(s\) +refused \[[0-9]\] +170.0"
check "report: ... the message itself"       hasre "\[[0-9]\] gwb \(uipsec\): x.conf:3: dpd_action: no"
check "report: run status, refused then ok"  hasre "run +refused \[[0-9]\], ok"
check "report: failed run with its reason"   hasre "run .*failed \[[0-9]\]"
check "report: scenario duration"            has "-- restart: restart recovery: kill -9 of gwb's daemon, time to the first ping reply (12 s)"
check "target: restart start met at 0.2"     hasre "uipsec +met +0.200 s"
check "target: trap never -> NOT met"        hasre "uipsec +NOT met +never/gave up"
check "target: loss median with give-ups"    hasre "uipsec +NOT met +3.50 s \(5 tries, 2 never or gave up\)"
check "target: strongSwan loss met"          hasre "strongswan +met +2.00 s \(3 tries"
check "target: flood worst try"              hasre "uipsec +met +0.900 s \(2 tries"
check "target: children refused, at the cap" has "refused; 13.0 KiB (gwa 12.5, gwb 13.0) at the cap of 8"
check "target: IKE_SA memory met"            hasre "uipsec +met +7.5 KiB"
check "target: reorder"                      hasre "uipsec +met +0 pings lost, 0 duplicates delivered, 10 of 10"
$REPORT --markdown "$T/known.tsv" >"$T/known.md" 2>&1
check "markdown: a table per scenario"       grep -q '^| start_action = start on both (s) | ' "$T/known.md"
check "markdown: targets table"              grep -q '^| target | uipsec | strongswan |' "$T/known.md"

# --- 2. a quick real run ------------------------------------------------------------
RID_FILE="$T/run.tsv"
REL_QUICK=1 REL_SCENARIOS="flood reorder" REL_PEERS="uipsec strongswan" \
	REL_FLOOD_SECONDS=6 REL_REORDER_PINGS=300 REL_CHILD_EXTRA="dpd_action = restart" \
	BUILD="$BUILD" UIPSEC_BUILD="$BUILD" REL_OUT="$RID_FILE" REL_LOGS="$T/logs" \
	bash "$SRC/scripts/bench_reliability.sh" >"$T/run.out" 2>&1
rc=$?
check "bench_reliability.sh exits 0 although a peer refused" [ $rc = 0 ]
val() { awk -F'\t' -v s="$1" -v p="$2" -v m="$3" '$1 == s && $2 == p && $3 == m && $5 != "" {print $5; exit}' "$RID_FILE"; }
vals() { awk -F'\t' -v s="$1" -v p="$2" -v m="$3" '$1 == s && $2 == p && $3 == m {print $5}' "$RID_FILE"; }
between() { awk -v v="$1" -v a="$2" -v b="$3" 'BEGIN {exit !(v != "" && v + 0 >= a && v + 0 <= b)}'; }
for p in uipsec strongswan; do
	check "flood $p: ok"                         [ "$(val flood $p status)" = ok ]
	check "flood $p: sent > 5000/s"              between "$(val flood $p flood_sent_per_s)" 5000 1000000
	check "flood $p: received at gwb > 1000/s"   between "$(val flood $p flood_received_per_s)" 1000 1000000
	check "flood $p: setup without flood < 5 s"  between "$(val flood $p setup_noflood_s)" 0.0001 5
	# Each try either has a time (0 .. the cap) or says why not.
	n=$(awk -F'\t' -v p=$p '$1 == "flood" && $2 == p && $3 == "setup_s" && ($5 != "" || $6 != "")' "$RID_FILE" | grep -c .)
	check "flood $p: 2 legitimate tries reported" [ "$n" = 2 ]
	for v in $(vals flood $p setup_s); do
		check "flood $p: a try's time in 0..60 s"  between "$v" 0.0001 60
	done
	check "flood $p: RSS before, in KiB"         between "$(val flood $p rss_before_kib)" 1000 1000000
	check "flood $p: RSS max >= before"          between "$(val flood $p rss_max_kib)" "$(val flood $p rss_before_kib)" 1000000
	check "flood $p: CPU percent"                between "$(val flood $p cpu_pct)" 0 400
	check "flood $p: socket drop share"          between "$(val flood $p rcvbuf_drop_pct)" 0 100
done
# Both peers take the reorder case's swanctl.conf (dpd_action = restart
# among its options) and carry the pings through the relay.
for p in uipsec strongswan; do
	check "reorder $p: ok"                     [ "$(val reorder $p status)" = ok ]
	check "reorder $p: pings sent"             between "$(val reorder $p pings_sent)" 250 300
	check "reorder $p: ESP through relay"      between "$(val reorder $p esp_relayed)" 500 2000
	check "reorder $p: some reordered"         between "$(val reorder $p esp_reordered)" 1 300
	check "reorder $p: some duplicated"        between "$(val reorder $p esp_duplicated)" 1 300
	check "reorder $p: replay drops <= dup"    between "$(val reorder $p replay_drops)" 0 "$(val reorder $p esp_duplicated)"
	check "reorder $p: losses <= sent"         between "$(val reorder $p pings_lost)" 0 "$(val reorder $p pings_sent)"
done
check "the report has both tables"             grep -q -- "-- reorder: ESP reordered and duplicated" "$T/run.out"
check "... side by side"                       grep -qE '^ +uipsec +strongswan *$' "$T/run.out"
check "... and the targets"                    grep -q -- "-- issue 17 targets" "$T/run.out"
check "the run records the load and duration"  grep -q '^# duration: [0-9.]* s' "$RID_FILE"
id=$(sed -n 's/^# namespaces r\([0-9]*\)-.*/\1/p' "$RID_FILE")
check "run id recorded"                        [ -n "$id" ]
check "no namespaces left"                     [ -z "$(ip netns list | grep "^r$id-")" ]
check "no flooder or relay left"               [ -z "$(pgrep -f "$BUILD/tests/ike_flood|bench_rel_relay.py r0 r1 $T" || true)" ]

if [ $fails != 0 ]; then
	echo "--- report (known numbers)"; cat "$T/known.out"
	echo "--- run output"; cat "$T/run.out"; echo "--- results"; cat "$RID_FILE"
fi
exit $((fails != 0))
