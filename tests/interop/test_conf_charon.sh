#!/usr/bin/env bash
# uipsec's swanctl.conf against strongSwan's own, so that what uipsec reads
# is strongSwan's syntax and option set and not a dialect:
#  1. the option table (src/conf/conf_options.c) names every option of
#     swanctl.conf(5) (uipsecd --list-options --format names beside the man page of
#     the installed strongswan-swanctl);
#  2. the example file the table writes (uipsecd --list-options --format example:
#     every option it knows, supported or refused, with a value) loads into
#     charon without an unknown option or a failed connection, secret, pool
#     or authority, so every row of the table is a real strongSwan option;
#     the same file with one misspelt option must fail in charon (the check
#     can fail), and uipsecd --check-config refuses the example, every
#     refusal a "not supported" (test_conf_options checks the count);
#  3. every seed file of the conf fuzz target that uipsec's parser accepts
#     (test_conf.c, test_seed_files) loads into charon too. (uipsec is
#     stricter on purpose: error_loop.conf and error_unsupported.conf load
#     in charon but are refused by uipsec.)
set -u
TOPO_PREFIX=${TOPO_PREFIX:-cc$$}
# shellcheck source-path=SCRIPTDIR source=../netns/ike_lib.sh
source "$(dirname "$0")/../netns/ike_lib.sh"
conf_interop_init conf-charon
rc=0

# 1. every option of the man page is in the table
MAN=/usr/share/man/man5/swanctl.conf.5.gz
if [ -r "$MAN" ]; then
	zcat "$MAN" | awk '/^\.TP/ { getline; print }' | sed -nE 's/^\.BR? ([^ ]+).*/\1/p' |
		sort -u >"$W/man.txt"
	"$BUILD/uipsecd" --list-options --format names | sort -u >"$W/table.txt"
	missing=$(comm -23 "$W/man.txt" "$W/table.txt")
	if [ -n "$missing" ]; then
		echo "FAIL: options of swanctl.conf(5) missing from the option table:"
		echo "$missing" | sed 's/^/    /'
		rc=1
	else
		echo "ok: the table has all $(wc -l <"$W/man.txt") options and sections of swanctl.conf(5)"
	fi
else
	echo "note: $MAN not installed; the names check is skipped"
fi

topo_up || { echo "FAIL: topology"; exit 1; }
echo 'connections { }' >"$W/swanctl.conf"
charon_start gwa "$W" || { echo "FAIL: charon did not start"; exit 1; }

# 2. the example file: every option of the table, in charon. swanctl reads
# credentials relative to the file's directory (x509/, private/, ...);
# cert<suffix>.file is read by charon itself, so the example writes it under
# /etc/swanctl/, which is rewritten to that directory here.
E=$W/example
mkdir -p "$E"/{x509,x509ca,pubkey,private,rsa,ecdsa,pkcs8,pkcs12}
(
	cd "$E" || exit 1
	openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa/uipsec-example-key.pem \
		-out x509/uipsec-example.pem -days 30 -subj "/CN=gw-a.example.org" \
		-addext "subjectAltName=DNS:gw-a.example.org" 2>/dev/null &&
	cp x509/uipsec-example.pem x509ca/ &&
	cp rsa/uipsec-example-key.pem private/ &&
	openssl pkey -in rsa/uipsec-example-key.pem -pubout -out pubkey/uipsec-example-pub.pem &&
	openssl ecparam -name prime256v1 -genkey -noout -out ecdsa/uipsec-example-ec.pem &&
	openssl pkcs8 -topk8 -nocrypt -in rsa/uipsec-example-key.pem -out pkcs8/uipsec-example.p8 &&
	openssl pkcs12 -export -in x509/uipsec-example.pem -inkey rsa/uipsec-example-key.pem \
		-passout pass:example -out pkcs12/uipsec-example.p12
) || { echo "FAIL: cannot make the example's certificate and keys"; exit 1; }
"$BUILD/uipsecd" --list-options --format example | sed "s|/etc/swanctl/|$E/|" >"$E/swanctl.conf"
sed 's|^        version = 2$|        version = 2\n        rekey_tme = 1h|' "$E/swanctl.conf" >"$E/typo.conf"

load_all() { # load_all FILE: swanctl's output for every kind of section
	local f=$1
	charon_swanctl gwa --load-conns --file "$f" 2>&1
	charon_swanctl gwa --load-creds --noprompt --file "$f" 2>&1
	charon_swanctl gwa --load-pools --file "$f" 2>&1
	charon_swanctl gwa --load-authorities --file "$f" 2>&1
}
out=$(load_all "$E/swanctl.conf" | grep -v "opening directory")
n=$(grep -c '^ *[a-z_]* = ' "$E/swanctl.conf")
if echo "$out" | grep -Eqi "failed|invalid|unknown|syntax error|error"; then
	echo "FAIL: charon refuses the example file of the option table:"
	echo "$out" | sed 's/^/    /'
	rc=1
elif ! echo "$out" | grep -q "loaded connection 'example'"; then
	echo "FAIL: charon did not load the example connection:"
	echo "$out" | sed 's/^/    /'
	rc=1
else
	echo "ok: charon loads the table's example file ($n options written)"
fi
out=$(charon_swanctl gwa --load-conns --file "$E/typo.conf" 2>&1)
if echo "$out" | grep -q "unknown option: rekey_tme"; then
	echo "ok: charon refuses a misspelt option as uipsec does"
else
	echo "FAIL: charon accepted the misspelt option (the cross-check cannot fail):"
	echo "$out" | sed 's/^/    /'
	rc=1
fi
if "$BUILD/uipsecd" -c "$E/swanctl.conf" --check-config >"$W/check.out" 2>&1; then
	echo "FAIL: uipsecd accepted the example file, which holds what it does not support"
	rc=1
elif grep -E '^/' "$W/check.out" | grep -v ': not supported: ' | grep -q .; then
	echo "FAIL: uipsecd refuses the example for other reasons than 'not supported':"
	grep -E '^/' "$W/check.out" | grep -v ': not supported: ' | sed 's/^/    /'
	rc=1
else
	echo "ok: uipsecd refuses the example's $(grep -c ': not supported: ' "$W/check.out") unsupported options at their lines"
fi
if "$BUILD/uipsecd" -c "$E/typo.conf" --check-config 2>&1 | grep -q "rekey_tme: unknown option"; then
	echo "ok: uipsecd calls the misspelt one an unknown option"
else
	echo "FAIL: uipsecd does not call rekey_tme an unknown option"
	rc=1
fi

# 3. the seed files of the fuzz target
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
[ $rc = 0 ] && echo "PASS: charon knows every option uipsec's table has, and accepts the files uipsec accepts"
exit $rc
