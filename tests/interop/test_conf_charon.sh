#!/usr/bin/env bash
# The same swanctl.conf files in uipsec and in charon: every seed file of
# the conf fuzz target that uipsec's parser accepts (test_conf.c,
# test_seed_files) must also load into strongSwan's charon without a
# failed connection or secret, so that what uipsec reads is strongSwan's
# syntax and not a dialect. (uipsec is stricter on purpose: error_loop.conf
# and error_unsupported.conf load in charon but are refused by uipsec.)
set -u
SRC=${UIPSEC_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
TOPO_PREFIX=${TOPO_PREFIX:-cc$$}
source "$SRC/scripts/topo.sh"
source "$SRC/scripts/charon.sh"

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
charon_available || { echo "SKIP: $CHARON_MISSING"; exit 77; }

W=$(mktemp -d /tmp/conf-charon.XXXXXX)
trap 'charon_stop_all; topo_down; rm -rf "$W"' EXIT
trap 'exit 1' INT TERM
topo_up || { echo "FAIL: topology"; exit 1; }
echo 'connections { }' >"$W/swanctl.conf"
charon_start gwa "$W" || { echo "FAIL: charon did not start"; exit 1; }

rc=0
for f in site_to_site every_option references syntax; do
	file="$SRC/tests/fuzz/corpus/fuzz_conf/$f.conf"
	out=$(charon_swanctl gwa --load-conns --file "$file" 2>&1;
	      charon_swanctl gwa --load-creds --noprompt --file "$file" 2>&1)
	out=$(echo "$out" | grep -v "opening directory")
	if echo "$out" | grep -Eqi "failed|invalid|syntax error|error"; then
		echo "FAIL: charon refuses $f.conf:"
		echo "$out" | sed 's/^/    /'
		rc=1
	else
		echo "ok: charon loads $f.conf ($(echo "$out" | grep -c '^loaded') items)"
	fi
done
# A file both refuse.
out=$(charon_swanctl gwa --load-conns --file "$SRC/tests/fuzz/corpus/fuzz_conf/error_unclosed.conf" 2>&1)
echo "$out" | grep -q "syntax error" || { echo "FAIL: charon accepted error_unclosed.conf"; rc=1; }
[ $rc = 0 ] && echo "PASS: charon accepts the files uipsec accepts"
exit $rc
