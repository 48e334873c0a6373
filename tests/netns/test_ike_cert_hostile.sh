#!/usr/bin/env bash
# Hostile CERT payloads against a live uipsecd (issue 11's bad input), while
# another tunnel through it keeps carrying traffic: uipsecd on gwa and gwb
# authenticate with certificates (a tunnel 10.1.0.0/24 <-> 10.2.0.0/24 with
# a ping running through it all along); a Python initiator on gwa
# (tests/netns/ike_cert_peer.py, its own IKEv2 over ike_peer.py, port 5500)
# then sends gwb IKE_AUTH requests, correctly protected and signed, whose
# CERT payloads are:
#   huge (40,000 bytes), malformed DER, DER with trailing bytes, a loop of
#   two CAs, 10 deep (9 intermediates), 20 deep (19 CERT payloads)
# each answered AUTHENTICATION_FAILED, counted (cert_malformed or
# cert_refused), logged with its reason; uipsecd's memory stays within
# 4 MiB of what it was after the first round, the tunnel loses no ping, and
# a good certificate from the same peer is still accepted afterwards.
# Exit 77: not root, no python3-cryptography or pki.
set -u

TOPO_PREFIX=${TOPO_PREFIX:-ich$$}
TOPO_NAT=0
# shellcheck source-path=SCRIPTDIR source=ike_lib.sh
source "$(dirname "$0")/ike_lib.sh"
ike_lib_init ike-cert-hostile uipsec
PY=/usr/bin/python3
$PY -c "import cryptography.x509" 2>/dev/null || { echo "SKIP: python3-cryptography missing"; exit 77; }
command -v pki >/dev/null || { echo "SKIP: pki not found (strongswan-pki)"; exit 77; }
PEER="$SRC/tests/netns/ike_cert_peer.py"
DN="C=CH, O=uipsec test"
P=$W/pki

stat_of() { u gwb ike-stats | awk -v k="$1" '$1 == k { print $2 }'; }
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/${IKE_PID[gwb]}/status"; }

# the PKI: an ECDSA root (the Python peer signs with it too), a certificate each
mkdir -p "$P"
pki --gen --type ecdsa --size 256 --outform pem >"$P/ca.key" 2>/dev/null
pki --self --ca --lifetime 30 --in "$P/ca.key" --dn "$DN, CN=Root CA" --outform pem >"$P/ca.pem" 2>/dev/null
for g in gwa gwb; do
	pki --gen --type ecdsa --size 256 --outform pem >"$P/$g.key" 2>/dev/null
	pki --pub --in "$P/$g.key" 2>/dev/null | pki --issue --cacert "$P/ca.pem" --cakey "$P/ca.key" \
		--dn "$DN, CN=$g.example.org" --san "$g.example.org" --outform pem >"$P/$g.pem" 2>/dev/null
done

# conf G LADDR RADDR LTS RTS PEER_DN: pubkey both ways; gwb also takes any
# certificate of the CA on a second connection (the hostile peer's)
conf() {
	local d=$W/$1
	mkdir -p "$d/x509" "$d/x509ca" "$d/private"
	cp "$P/ca.pem" "$d/x509ca/"
	cp "$P/$1.pem" "$d/x509/me.pem"
	cp "$P/$1.key" "$d/private/me.key"
	cat >"$d/swanctl.conf" <<-EOF
	connections {
	    site {
	        local_addrs = $2
	        remote_addrs = $3
	        proposals = aes256gcm16-prfsha256-x25519
	        local { auth = pubkey
	                certs = me.pem }
	        remote { auth = pubkey
	                 id = "$DN, CN=$6" }
	        children { net { local_ts = $4
	                         remote_ts = $5
	                         esp_proposals = aes128gcm16
	                         start_action = ${7:-none} } }
	    }
	    $8
	}
	EOF
}
conf gwa 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 gwb.example.org start ""
conf gwb 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 gwa.example.org none "any {
        local_addrs = 192.0.2.2
        proposals = aes256gcm16-prfsha256-x25519
        local { auth = pubkey
                certs = me.pem }
        remote { auth = pubkey }
        children { other { local_ts = 10.2.9.0/24
                           remote_ts = 10.9.0.0/24
                           esp_proposals = aes128gcm16 } }
    }"

topo_up >/dev/null 2>&1 || { echo "FAIL: topology did not come up"; exit 1; }
uipsecd_start gwb gwa || { fail "uipsecd did not start"; finish; }
established || { CASE=setup; fail "the certificate tunnel did not come up"; finish; }

# a ping through the tunnel for the whole test
ip netns exec "$(topo_name hosta)" ping -i 0.2 -W 1 10.2.0.2 >"$W/ping.log" 2>&1 &
PING=$!

run() {
	CASE=$1
	ns gwa env IKE_PEER_PORT=5500 "$PY" "$PEER" "$1" "$P" ||
		{ fail "the peer says no"; return 1; }
}

declare -A WHY=(
	[huge]="CERT payload 2 holds 40000 bytes, more than the 32768 accepted"
	[malformed]="CERT payload 1 is not a certificate we accept"
	[garbage]="CERT payload 1 is not a certificate we accept"
	[loop]="not trusted: unknown CA"
	[deep10]="not trusted: path too long"
	[deep20]="more than 16 CERT payloads"
)
rss0=
for round in 1 2 3; do
	for c in huge malformed garbage loop deep10 deep20; do
		bad=$(( $(stat_of cert_malformed) + $(stat_of cert_refused) ))
		run "$c" || continue
		now=$(( $(stat_of cert_malformed) + $(stat_of cert_refused) ))
		[ "$now" -gt "$bad" ] || fail "not counted (cert_malformed + cert_refused stays $now)"
		grep -qF -- "${WHY[$c]}" "$W/gwb/uipsecd.log" || fail "no log line with '${WHY[$c]}'"
		[ "$round" = 1 ] && echo "ok [$c]"
	done
	[ -n "$rss0" ] || rss0=$(rss_kb)
done
CASE=after
kill -0 "${IKE_PID[gwb]}" 2>/dev/null || fail "uipsecd on gwb died"
rss1=$(rss_kb)
[ $((rss1 - rss0)) -lt 4096 ] || fail "uipsecd grew from $rss0 to $rss1 KiB over two more rounds"
echo "ok [memory: $rss0 KiB after one round, $rss1 KiB after three]"
u gwb list-sas | grep -q "site: ESTABLISHED" || fail "the other tunnel's IKE_SA is gone"
run good && echo "ok [a good certificate is still accepted]"
kill -INT "$PING"
wait "$PING"
lost=$(awk '/packet loss/ { for (i = 1; i <= NF; i++) if ($i ~ /%$/) print $i }' "$W/ping.log")
sent=$(awk '/packets transmitted/ { print $1 }' "$W/ping.log")
[ "${lost:-100%}" = "0%" ] || fail "the tunnel lost pings meanwhile: $lost of $sent"
echo "ok [the other tunnel: $sent pings, $lost lost]"
finish
