#!/usr/bin/env bash
# Instructions per packet of the ESP cipher contexts, counted by callgrind
# (repeatable on a shared machine, unlike packets per second). Runs
# bench_esp_count under valgrind --tool=callgrind for each algorithm and
# size and prints, per packet, the instructions of crypto_esp_seal,
# crypto_esp_open and crypto_esp_iv_next (inclusive), of all three, and
# the part of them spent in OpenSSL's OSSL_PARAM_locate (the strcmp search
# of parameter arrays that OpenSSL 3.0 does inside EVP calls).
#
#   scripts/bench_esp_insn.sh [LABEL...]
#
# LABELs are bench_esp_count's (default: aes128gcm chacha20poly1305
# aes128cbc-sha256). SIZES (default "64 1420") and BENCH_ESP_COUNT_N
# (default 2000) can be set. Builds nothing: run after cmake --build.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD="$SRC/$BUILD" ;; esac
BIN="$BUILD/bench/bench_esp_count"
N=${BENCH_ESP_COUNT_N:-2000}
export BENCH_ESP_COUNT_N=$N
SIZES=${SIZES:-64 1420}
[ $# -gt 0 ] || set -- aes128gcm chacha20poly1305 aes128cbc-sha256
command -v valgrind >/dev/null || { echo "bench_esp_insn: needs valgrind" >&2; exit 1; }
[ -x "$BIN" ] || { echo "bench_esp_insn: no $BIN (build first)" >&2; exit 1; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# inclusive instructions of function $2 in callgrind output $1, per packet
per_packet() {
	callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null |
		awk -v fn="$2" -v n="$N" '
			$0 ~ ":" fn "([ .]|$)" {
				gsub(",", "", $1); printf "%.0f", $1 / n; found = 1; exit
			}
			END { if (!found) printf "-" }'
}

printf "instructions per packet (callgrind, %s packets, %s)\n" "$N" \
	"$(openssl version 2>/dev/null | cut -d' ' -f1-2)"
printf "%-18s %5s  %9s %9s %9s %9s %9s\n" algorithm bytes seal open iv_next total \
	param_lookup
for label in "$@"; do
	for size in $SIZES; do
		out="$TMP/cg.$label.$size"
		valgrind --tool=callgrind --toggle-collect='packets*' \
			--callgrind-out-file="$out" "$BIN" "$label" "$size" \
			>/dev/null 2>"$TMP/log" || { cat "$TMP/log" >&2; exit 1; }
		printf "%-18s %5s  %9s %9s %9s %9s %9s\n" "$label" "$size" \
			"$(per_packet "$out" crypto_esp_seal)" \
			"$(per_packet "$out" crypto_esp_open)" \
			"$(per_packet "$out" crypto_esp_iv_next)" \
			"$(per_packet "$out" packets)" \
			"$(per_packet "$out" OSSL_PARAM_locate)"
	done
done
