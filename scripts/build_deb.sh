#!/usr/bin/env bash
# Build the Debian package from this tree: build_deb.sh [OUTDIR]
# (default build-deb/). The tree (files git tracks or would add; a copy
# without build folders where there is no git) is staged in
# OUTDIR/uipsec-VERSION/, where dpkg-buildpackage -us -uc -b runs; the
# .deb lands in OUTDIR. DEB_BUILD_OPTIONS passes through (nocheck: no
# tests, only what is installed gets built).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$src/build-deb}
command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null ||
	{ echo "build_deb: needs dpkg-dev and debhelper (scripts/deps.sh)" >&2; exit 1; }
ver=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
mkdir -p "$out"
out=$(cd "$out" && pwd)
stage=$out/uipsec-$ver
rm -rf "$stage" "$out"/uipsec_"$ver"_*.deb "$out"/uipsec-dbgsym_"$ver"_*.deb \
	"$out"/uipsec_"$ver"_*.buildinfo "$out"/uipsec_"$ver"_*.changes
mkdir -p "$stage"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$src" && git ls-files -z --cached --others --exclude-standard) |
		(cd "$src" && while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done) |
		(cd "$src" && tar --null -T - -cf -) | tar -C "$stage" -xf -
else
	tar -C "$src" --exclude='./build*' -cf - . | tar -C "$stage" -xf -
fi
(cd "$stage" && dpkg-buildpackage -us -uc -b -j"${JOBS:-$(nproc)}")
rm -rf "$stage"
ls "$out"/uipsec_"$ver"_*.deb
