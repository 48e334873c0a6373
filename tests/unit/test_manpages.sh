#!/usr/bin/env bash
# The man pages render without groff warnings, and say what the programs
# say: every option of uipsecd --help is in uipsecd.8, every command and
# global option of uipsec --help in uipsec.8, every uipsecd.conf option
# the parser knows in uipsecd.conf.5. A new option without its page fails
# here.
set -euo pipefail
: "${UIPSEC_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${UIPSEC_BUILD:=$UIPSEC_SRC/build}"
[ -x "$UIPSEC_BUILD/uipsecd" ] && [ -x "$UIPSEC_BUILD/uipsec" ] ||
	{ echo "SKIP: build uipsecd and uipsec first"; exit 77; }
M=$UIPSEC_SRC/docs/man
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

if command -v groff >/dev/null; then
	for p in "$M"/*.[1-8]; do
		out=$(groff -man -ww -z "$p" 2>&1) || fail "groff failed on $p"
		[ -z "$out" ] || fail "groff warns on $(basename "$p"): $out"
	done
fi

# the page's text with roff escapes for '-' undone
page() { sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$M/$1"; }

d=$(page uipsecd.8)
for o in $("$UIPSEC_BUILD/uipsecd" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
	grep -qF -- "$o" <<<"$d" || fail "uipsecd.8 does not mention $o"
done
grep -qF -- "-c" <<<"$d" || fail "uipsecd.8 does not mention -c"

u=$(page uipsec.8)
help=$("$UIPSEC_BUILD/uipsec" --help)
for o in $(grep -oE -- '(^| )--?[a-z][a-z-]*' <<<"$help" | tr -d ' ' | sort -u); do
	grep -qF -- "$o" <<<"$u" || fail "uipsec.8 does not mention $o"
done
for c in $(sed -n '/^Commands:/,$p' <<<"$help" | awk 'NR > 1 { print $1 }'); do
	grep -qE -- "^\.B $c( |$)" <<<"$u" || fail "uipsec.8 has no entry for the command $c"
done

# uipsecd.conf(5): the options of src/conf/conf_daemon.c
c=$(page uipsecd.conf.5)
for o in default append flush_line ike_name log_level path time_format time_add_ms \
         identifier map_level filelog syslog journal retransmit_tries retransmit_timeout \
         retransmit_base retransmit_jitter retransmit_limit fragment_size; do
	grep -qF -- "$o" <<<"$c" || fail "uipsecd.conf.5 does not mention $o"
done
for s in dmn mgr ike chd job cfg knl net asn enc tnc imc imv pts tls app esp lib; do
	grep -qE -- "(^|[ ,])$s([ ,]|$)" <<<"$c" || fail "uipsecd.conf.5 does not name subsystem $s"
	grep -qF -- "$s" <<<"$d" || fail "uipsecd.8 does not name subsystem $s"
done

[ "$fails" = 0 ] || exit 1
echo "PASS: man pages"
