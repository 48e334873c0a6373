#!/usr/bin/env bash
# Certificates and private keys over VICI (issue 16): Debian's own swanctl,
# unchanged, runs --load-creds against uipsecd's control socket, which
# sends load-cert (x509/, x509ca/) and load-key (private/) from a swanctl
# directory of its own. gwa holds its credentials in the folders beside
# its swanctl.conf; gwb's swanctl.conf has a certificate-authenticated
# connection but its folders are empty, so IKE_AUTH fails (no private key
# for gwb.example.org) until swanctl --load-creds has loaded gwb's
# certificate, key and CA over VICI; then the tunnel comes up and carries
# a ping, swanctl --list-certs lists the certificates (the end entity with
# "has private key"), a reload of gwb's configuration keeps what VICI loaded, and a
# load-cert of a type uipsec does not do (an attribute certificate
# folder, x509ac/) is refused by name.
# Exit 77: not root, no swanctl or openssl.
set -u

TOPO_PREFIX=${TOPO_PREFIX:-vc$$}
# shellcheck source-path=SCRIPTDIR source=ike_lib.sh
source "$(dirname "$0")/ike_lib.sh"
ike_lib_init vici-creds uipsec
command -v swanctl >/dev/null || { echo "SKIP: no swanctl"; exit 77; }
command -v openssl >/dev/null || { echo "SKIP: no openssl"; exit 77; }

sw() { local n=$1 c=$2; shift 2; ns "$n" swanctl "$c" --uri "unix://$W/$n/ctl" "$@"; }

topo_up >/dev/null 2>&1 || { echo "FAIL: topology did not come up"; exit 1; }

P=$W/pki
mkdir -p "$P"
DN="/C=CH/O=uipsec test"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$P/ca.key" \
	-out "$P/ca.pem" -subj "$DN/CN=Root CA" -days 30 \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
	>/dev/null 2>&1 || { echo "FAIL: openssl made no CA"; exit 1; }
for g in gwa gwb; do
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$P/$g.key" \
		-out "$P/$g.csr" -subj "$DN/CN=$g.example.org" >/dev/null 2>&1
	printf 'subjectAltName=DNS:%s.example.org\n' "$g" >"$P/$g.ext"
	openssl x509 -req -in "$P/$g.csr" -CA "$P/ca.pem" -CAkey "$P/ca.key" -CAcreateserial \
		-days 30 -extfile "$P/$g.ext" -out "$P/$g.pem" >/dev/null 2>&1 ||
		{ echo "FAIL: openssl made no certificate for $g"; exit 1; }
done

# write_cert_conf DIR LOCAL REMOTE ME PEER LTS RTS
write_cert_conf() {
	mkdir -p "$1"
	cat >"$1/swanctl.conf" <<-EOF
	connections {
	    site {
	        version = 2
	        local_addrs = $2
	        remote_addrs = $3
	        proposals = aes256-sha256-x25519
	        local {
	            auth = pubkey
	            id = $4
	        }
	        remote {
	            auth = pubkey
	            id = $5
	        }
	        children {
	            net {
	                local_ts = $6
	                remote_ts = $7
	                esp_proposals = aes128gcm16
	            }
	        }
	    }
	}
	EOF
}
write_cert_conf "$W/gwa" 192.0.2.1 192.0.2.2 gwa.example.org gwb.example.org 10.1.0.0/24 10.2.0.0/24
write_cert_conf "$W/gwb" 192.0.2.2 192.0.2.1 gwb.example.org gwa.example.org 10.2.0.0/24 10.1.0.0/24
# gwa: the folders; gwb: nothing beside its swanctl.conf
mkdir -p "$W/gwa/x509" "$W/gwa/x509ca" "$W/gwa/private" "$W/gwb/x509" "$W/gwb/x509ca" "$W/gwb/private"
cp "$P/gwa.pem" "$W/gwa/x509/"
cp "$P/ca.pem" "$W/gwa/x509ca/"
cp "$P/gwa.key" "$W/gwa/private/"
# gwb's credentials in a swanctl directory of their own, for swanctl only
V=$W/gwb-swanctl
mkdir -p "$V/x509" "$V/x509ca" "$V/private"
printf 'connections {\n}\n' >"$V/swanctl.conf"
cp "$P/gwb.pem" "$V/x509/"
cp "$P/ca.pem" "$V/x509ca/"
cp "$P/gwb.key" "$V/private/"
chmod 600 "$V/private/gwb.key"

uipsecd_start gwa gwb || { fail "uipsecd did not start"; finish; }

CASE="no credentials yet"
u gwa initiate --child net >"$W/out" 2>&1
established gwa gwb && fail "up although gwb holds no certificate or key"
grep -q "failed pubkey authentication" "$W/gwb/uipsecd.log" || fail "gwb logged no failed IKE_AUTH"
u gwa terminate site >/dev/null 2>&1

CASE="load-creds"
sw gwb --load-creds --noprompt --file "$V/swanctl.conf" >"$W/load.out" 2>&1 ||
	fail "--load-creds failed: $(cat "$W/load.out")"
grep -q "loaded certificate from '$V/x509/gwb.pem'" "$W/load.out" || fail "x509: $(cat "$W/load.out")"
grep -q "loaded certificate from '$V/x509ca/ca.pem'" "$W/load.out" || fail "x509ca: $(cat "$W/load.out")"
grep -q "loaded private key from '$V/private/gwb.key'" "$W/load.out" || fail "private: $(cat "$W/load.out")"
grep -i "failed\|error" "$W/load.out" | grep -qv "opening directory" && fail "swanctl reported a failure: $(cat "$W/load.out")"

CASE="list-certs"
sw gwb --list-certs >"$W/certs.out" 2>&1 || fail "--list-certs failed: $(cat "$W/certs.out")"
grep -q "subject:  \"C=CH, O=uipsec test, CN=gwb.example.org\"" "$W/certs.out" || fail "no gwb certificate: $(cat "$W/certs.out")"
grep -q "subject:  \"C=CH, O=uipsec test, CN=Root CA\"" "$W/certs.out" || fail "no CA certificate: $(cat "$W/certs.out")"
grep -q "has private key" "$W/certs.out" || fail "gwb's key not shown as held: $(cat "$W/certs.out")"
grep -q "List of X.509 CA Certificates" "$W/certs.out" || fail "CA list head: $(cat "$W/certs.out")"

CASE="initiate"
u gwa initiate --child net >"$W/out" 2>&1
established gwa gwb || fail "not established after --load-creds: $(cat "$W/out")"
ping4_through || fail "no ping through the tunnel"

CASE="reload keeps VICI credentials"
u gwa terminate site >/dev/null 2>&1
# the daemon reads its file again after dropping privileges
chmod o+x "$W" "$W/gwb"
chmod o+r "$W/gwb/swanctl.conf"
u gwb load >"$W/out" 2>&1 || fail "gwb load failed: $(cat "$W/out")"
sw gwb --list-certs | grep -q "CN=gwb.example.org" || fail "reload dropped the VICI certificate"
u gwa initiate --child net >"$W/out" 2>&1
established gwa gwb || fail "not established after a reload: $(cat "$W/out")"

CASE="refused types"
A=$W/ac-swanctl
mkdir -p "$A/x509ac"
printf 'connections {\n}\n' >"$A/swanctl.conf"
cp "$P/gwb.pem" "$A/x509ac/"
sw gwb --load-creds --noprompt --file "$A/swanctl.conf" >"$W/ac.out" 2>&1
grep -q "X509_AC" "$W/ac.out" || fail "an attribute certificate not refused by type: $(cat "$W/ac.out")"

CASE="clear-creds"
sw gwb --load-creds --clear --noprompt --file "$A/swanctl.conf" >/dev/null 2>&1
sw gwb --list-certs | grep -q "CN=gwb.example.org" && fail "clear-creds left the VICI certificate"

stop_all
finish
