#!/usr/bin/env bash
# Configurations people really have: tests/interop/realworld/*.conf, each
# shaped like a scenario of strongSwan's own test suite (site-to-site with
# PSK, certificates and raw keys, host-to-host, transport mode, several
# children, road warriors with pools and virtual IPs, IPv6, EAP, IKEv1,
# authorities, marks, XFRM interfaces, the kernel options written as
# no-ops, ...), loaded into charon (swanctl --load-all against charon in a
# namespace) and into uipsecd (started on the file, as a user would), and
# compared. Each file's first line says what must happen:
#   # expect: both                 both load it
#   # expect: uipsec-refuses OPT   charon loads it, uipsecd refuses it with
#                                  "not supported" at an option named OPT
#   # expect: uipsec-error TEXT    charon loads it, uipsecd refuses it with
#                                  an error holding TEXT (a known difference)
# so the test fails when either side's behaviour changes. It prints the
# table of what each accepts.
set -u
TOPO_PREFIX=${TOPO_PREFIX:-rw$$}
# shellcheck source-path=SCRIPTDIR source=../netns/ike_lib.sh
source "$(dirname "$0")/../netns/ike_lib.sh"
conf_interop_init conf-realworld
UPID=
trap '[ -n "$UPID" ] && kill "$UPID" 2>/dev/null; cleanup' EXIT
rc=0

# the credentials the scenarios name, as strongSwan's tests name them
C=$W/creds
mkdir -p "$C"/{x509,x509ca,private,pubkey}
(
	cd "$C" || exit 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout ca.key -out x509ca/strongswanCert.pem -days 30 \
		-subj "/C=CH/O=strongSwan Project/CN=strongSwan Root CA" 2>/dev/null &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout private/moonKey.pem -out moon.csr \
		-subj "/C=CH/O=strongSwan Project/CN=moon.strongswan.org" 2>/dev/null &&
	printf 'subjectAltName=DNS:moon.strongswan.org\n' >ext &&
	openssl x509 -req -in moon.csr -CA x509ca/strongswanCert.pem -CAkey ca.key \
		-CAcreateserial -CAserial ca.srl -days 30 -extfile ext -out x509/moonCert.pem 2>/dev/null &&
	openssl pkey -in private/moonKey.pem -pubout -out pubkey/moonPub.pem &&
	openssl genpkey -algorithm ed25519 -out sun.key 2>/dev/null &&
	openssl pkey -in sun.key -pubout -out pubkey/sunPub.pem
) || { echo "FAIL: cannot make the credentials"; exit 1; }

topo_up >/dev/null 2>&1 || { echo "FAIL: topology"; exit 1; }
mkdir -p "$W/charon"
echo 'connections { }' >"$W/charon/swanctl.conf"
charon_start gwa "$W/charon" || { echo "FAIL: charon did not start"; exit 1; }

# charon_verdict DIR: "ok" or the first complaint of swanctl --load-all
charon_verdict() {
	local out
	out=$(charon_swanctl gwa --load-all --noprompt --file "$1/swanctl.conf" 2>&1 |
	      grep -v "opening directory")
	if echo "$out" | grep -Eqi "failed|invalid|unknown|syntax error|error"; then
		echo "$out" | grep -Ei "failed|invalid|unknown|syntax error|error" | head -n 1
	else
		echo ok
	fi
}

# uipsec_verdict DIR: "ok" once uipsecd runs on the file, else its refusals
uipsec_verdict() {
	local d=$1
	rm -f "$d/ctl"
	ip netns exec "$(topo_name gwb)" "$BUILD/uipsecd" -c "$d/swanctl.conf" --control "$d/ctl" \
		--foreground --no-routes --tun rw0 >"$d/uipsecd.log" 2>&1 &
	UPID=$!
	for _ in $(seq 50); do
		if ! kill -0 "$UPID" 2>/dev/null; then
			wait "$UPID" 2>/dev/null
			UPID=
			grep -E ': not supported: |: unknown option|error|\[err\]' "$d/uipsecd.log" | sed "s|$d/||" |
				tr '\n' '\t'
			echo
			return
		fi
		if [ -S "$d/ctl" ] && grep -q "running: tun" "$d/uipsecd.log"; then
			kill "$UPID" 2>/dev/null
			wait "$UPID" 2>/dev/null
			UPID=
			echo ok
			return
		fi
		sleep 0.1
	done
	kill "$UPID" 2>/dev/null
	wait "$UPID" 2>/dev/null
	UPID=
	echo "no answer in 5 s"
}

printf '%-34s %-8s %-8s %s\n' file charon uipsec "uipsec's first refusal"
n=0
both=0
cok=0
for f in "$SRC"/tests/interop/realworld/*.conf; do
	name=$(basename "$f" .conf)
	d=$W/$name
	mkdir -p "$d"
	cp -r "$C"/x509 "$C"/x509ca "$C"/private "$C"/pubkey "$d/"
	cp "$f" "$d/swanctl.conf"
	chmod 600 "$d/swanctl.conf"
	expect=$(sed -n '1s/^# expect: //p' "$f")
	cv=$(charon_verdict "$d")
	uv=$(uipsec_verdict "$d")
	n=$((n + 1))
	printf '%-34s %-8s %-8s %s\n' "$name" "$([ "$cv" = ok ] && echo loads || echo REFUSES)" \
		"$([ "$uv" = ok ] && echo loads || echo refuses)" \
		"$([ "$uv" = ok ] || echo "${uv%%$'\t'*}" | sed -E 's/^[^ ]*: //' | cut -c1-110)"
	[ "$cv" = ok ] && cok=$((cok + 1))
	if [ "$cv" != ok ]; then
		echo "FAIL: charon refuses $name: $cv"
		rc=1
		continue
	fi
	case "$expect" in
	both)
		if [ "$uv" != ok ]; then
			echo "FAIL: uipsecd refuses $name: $uv"
			rc=1
		else
			both=$((both + 1))
		fi
		;;
	uipsec-refuses\ *)
		opt=${expect#uipsec-refuses }
		if [ "$uv" = ok ]; then
			echo "FAIL: uipsecd loads $name, expected to refuse $opt"
			rc=1
		elif ! echo "$uv" | tr '\t' '\n' | grep -E "[ .]$opt(\\.[^ :]*)?: not supported: " | grep -q .; then
			echo "FAIL: uipsecd refuses $name, but not with $opt not supported: $uv"
			rc=1
		fi
		;;
	uipsec-error\ *)
		text=${expect#uipsec-error }
		if [ "$uv" = ok ]; then
			echo "FAIL: uipsecd loads $name, expected to refuse it with '$text'"
			rc=1
		elif ! echo "$uv" | grep -qF "$text"; then
			echo "FAIL: uipsecd refuses $name, but not with '$text': $uv"
			rc=1
		fi
		;;
	*)
		echo "FAIL: $name has no '# expect:' line"
		rc=1
		;;
	esac
done
echo "$n files: charon loads $cok, uipsecd loads $both"
[ $rc = 0 ] && echo "PASS: each file loads or is refused as its expect line says"
exit $rc
