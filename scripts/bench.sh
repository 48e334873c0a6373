#!/usr/bin/env bash
# make bench: runs every benchmark that exists so far and says what is missing.
set -euo pipefail
B=${BUILD:-build}
ran=0
for b in "$B"/bench/bench_*; do
	[ -x "$b" ] || continue
	echo "== $(basename "$b")"
	"$b"
	ran=1
done
[ $ran = 1 ] || echo "make bench: no benchmarks built yet." >&2
echo "make bench: the side-by-side network benchmark against strongSwan and wireguard-go is not built yet." >&2
