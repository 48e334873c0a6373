#!/bin/sh
# uipsec-swanctl.conf(5), the swanctl.conf options uipsec supports, from
# the option table that the parser itself uses (so page and parser cannot
# disagree): `uipsecd --list-options --format man` prints the page.
# Run by the build (cmake/install.cmake): gen_swanctl_man.sh UIPSECD OUT.
# A uipsecd without --list-options writes no page (make install then
# installs none); one that has it and fails is an error.
set -eu
daemon=$1
out=$2
mkdir -p "$(dirname "$out")"
if ! "$daemon" --help 2>/dev/null | grep -q -- '--list-options'; then
	rm -f "$out"
	echo "uipsec-swanctl.conf(5): uipsecd has no --list-options yet: page not generated"
	exit 0
fi
"$daemon" --list-options --format man >"$out.tmp"
[ -s "$out.tmp" ] || { echo "uipsecd --list-options --format man printed nothing" >&2; exit 1; }
mv "$out.tmp" "$out"
