#!/usr/bin/env bash
# Line and function coverage of each libFuzzer target over a fixed-length
# run, with clang's source-based coverage (the numbers in docs/fuzzing.md).
#
#   scripts/fuzz_coverage.sh [TARGET...]     all targets if none is named
#
# For each target: fuzz for COV_SECONDS (default 60) with the ASan fuzz
# build (build-fuzz/, as make check-fuzz builds it), starting from its seed
# corpus (tests/fuzz/corpus/TARGET) into a scratch corpus; then run seeds
# and scratch corpus once through a build with -fprofile-instr-generate
# -fcoverage-mapping and no sanitizer (build-cov/), merge the profile
# (llvm-profdata) and report (llvm-cov) the files the target is meant to
# cover, as listed below. Prints one table row per target; the reports
# and corpora stay in build-cov/coverage/. Needs clang, llvm-profdata and
# llvm-cov (Debian: clang, llvm). Fuzzing is random: a rerun lands within
# a few points of the published numbers, not on them.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
SECS=${COV_SECONDS:-60}
JOBS=${JOBS:-$(nproc)}
FUZZ=$SRC/build-fuzz
COV=$SRC/build-cov
OUT=$COV/coverage
PROFDATA=${LLVM_PROFDATA:-llvm-profdata}
LLVMCOV=${LLVM_COV:-llvm-cov}

for t in clang "$PROFDATA" "$LLVMCOV"; do
	command -v "$t" >/dev/null || { echo "$t not found (Debian: apt-get install clang llvm)" >&2; exit 1; }
done

# the files each target is meant to cover (relative to the source tree)
declare -A FILES=(
	[fuzz_ike_msg]="src/ike/ike_msg.c src/ike/ike_pld.c src/ike/ike_proposal.c src/ike/ike_init.c"
	[fuzz_ike_stateful]="src/ike/ike_mgr.c src/ike/ike_task.c src/ike/ike_auth.c src/ike/ike_authn_psk.c src/ike/ike_create.c src/ike/ike_rekey.c src/ike/ike_info.c src/ike/ike_child.c src/ike/ike_msg.c src/ike/ike_pld.c src/ike/ike_proposal.c src/ike/ike_sa.c src/ike/ike_timers.c"
	[fuzz_esp_input]="src/esp/esp_in.c src/esp/esp.c src/xfrm/replay.c"
	[fuzz_dp]="src/dp/input.c src/dp/output.c src/esp/udp_encap.c"
	[fuzz_gso]="src/net/gso.c src/net/csum.c"
	[fuzz_conf]="src/conf/conf.c src/conf/conf_value.c src/ctl/ctl_conf.c"
	[fuzz_vici]="src/ctl/vici.c"
	[fuzz_spd]="src/xfrm/spd.c src/xfrm/selector.c"
	[fuzz_xfrm_grammar]="src/ctl/xfrm_parse.c src/ctl/xfrm_cmd.c src/ctl/xfrm_print.c"
	[fuzz_pcap]="src/dp/pcap.c src/dp/offline.c"
	[fuzz_x509]="src/crypto/x509.c src/crypto/x509_crl.c src/crypto/x509_verify.c"
	[fuzz_sig]="src/crypto/sig.c"
	[fuzz_ident]="src/crypto/ident.c"
	[fuzz_conf_daemon]="src/conf/conf_daemon.c"
)

if [ $# -gt 0 ]; then
	TARGETS=("$@")
else
	mapfile -t TARGETS < <(cd "$SRC/tests/fuzz" && ls fuzz_*.c | sed 's/\.c$//')
fi

echo "building the fuzz tree ($FUZZ) and the coverage tree ($COV)" >&2
CC=clang cmake -S "$SRC" -B "$FUZZ" -DCMAKE_BUILD_TYPE=Debug -DUIPSEC_SANITIZE=ON -DUIPSEC_FUZZ=ON \
	>/dev/null
CC=clang cmake -S "$SRC" -B "$COV" -DCMAKE_BUILD_TYPE=Debug -DUIPSEC_FUZZ=ON \
	-DCMAKE_C_FLAGS="-fprofile-instr-generate -fcoverage-mapping" \
	-DCMAKE_EXE_LINKER_FLAGS="-fprofile-instr-generate" >/dev/null
cmake --build "$FUZZ" -j "$JOBS" --target "${TARGETS[@]}" >/dev/null
cmake --build "$COV" -j "$JOBS" --target "${TARGETS[@]}" >/dev/null

mkdir -p "$OUT"
printf '%-20s %7s %10s %10s  %s\n' target seconds lines functions files
for t in "${TARGETS[@]}"; do
	[ -n "${FILES[$t]:-}" ] || { echo "$t: no file list in $0" >&2; exit 1; }
	work=$OUT/$t.corpus
	rm -rf "$work" "$OUT/$t".prof*
	mkdir -p "$work"
	seeds=$SRC/tests/fuzz/corpus/$t
	mkdir -p "$seeds"
	"$FUZZ/tests/$t" -max_total_time="$SECS" -timeout=5 -rss_limit_mb=1024 "$work" "$seeds" \
		>"$OUT/$t.fuzz.log" 2>&1 || { echo "$t: the fuzzer stopped (see $OUT/$t.fuzz.log)" >&2; exit 1; }
	LLVM_PROFILE_FILE="$OUT/$t.profraw" "$COV/tests/$t" -runs=0 "$work" "$seeds" \
		>"$OUT/$t.replay.log" 2>&1
	"$PROFDATA" merge -sparse "$OUT/$t.profraw" -o "$OUT/$t.profdata"
	# shellcheck disable=SC2086
	(cd "$SRC" && "$LLVMCOV" report "$COV/tests/$t" -instr-profile="$OUT/$t.profdata" ${FILES[$t]}) \
		>"$OUT/$t.report.txt"
	# TOTAL  regions missed cover  functions missed executed  lines missed cover  [branches...]
	read -r lines funcs < <(awk '$1 == "TOTAL" { print $10, $7 }' "$OUT/$t.report.txt")
	printf '%-20s %7s %10s %10s  %s\n' "$t" "$SECS" "$lines" "$funcs" "${FILES[$t]//src\//}"
done
