#!/usr/bin/env bash
# Debian's own swanctl binary, unchanged, against uipsecd's control socket
# (VICI): two uipsecd gateways start without connections, swanctl
# --load-all --file loads a PSK site-to-site swanctl.conf into each, then
# --list-conns, --initiate (with its control-log), --list-sas, --list-pols,
# --stats, --counters, --rekey, --log, --terminate, each checked for its
# content, --load-pools and --list-pools, a bad load-conn answered with
# an error naming the option (the same parser as swanctl.conf files), and
# --load-all of a pools section and a remote-access connection on gwb
# that a client (gwa, vips) gets its address and DNS server from. Then, where charon (kernel-libipsec) is installed,
# side by side: gwb runs charon, uipsec's gwa initiates to it through
# swanctl, and what swanctl prints for the one IKE_SA and CHILD_SA on both
# ends (--list-sas, --list-conns, --stats) names the same things: states,
# algorithms, the SPIs (each side's in is the other's out), the traffic
# selectors, byte and packet counts after a ping.
# Exit 77: not root or no swanctl.
set -u

TOPO_PREFIX=${TOPO_PREFIX:-vs$$}
# shellcheck source-path=SCRIPTDIR source=ike_lib.sh
source "$(dirname "$0")/ike_lib.sh"
ike_lib_init vici-swanctl uipsec
command -v swanctl >/dev/null || { echo "SKIP: no swanctl"; exit 77; }

PSK=$(psk_random)
# swanctl wants the command first, then its options
sw() { local n=$1 c=$2; shift 2; ns "$n" swanctl "$c" --uri "unix://$W/$n/ctl" "$@"; }

topo_up >/dev/null 2>&1 || { echo "FAIL: topology did not come up"; exit 1; }

for n in gwa gwb; do mkdir -p "$W/$n"; done
write_conf "$W/gwa/conf" 192.0.2.1 192.0.2.2 gwa.example.org gwb.example.org 10.1.0.0/24 \
	10.2.0.0/24 aes256-sha256-x25519 aes128gcm16 "$PSK" "rekey_time = 3h" "rekey_time = 50m"
write_conf "$W/gwb/conf" 192.0.2.2 192.0.2.1 gwb.example.org gwa.example.org 10.2.0.0/24 \
	10.1.0.0/24 aes256-sha256-x25519 aes128gcm16 "$PSK" "rekey_time = 3h" "rekey_time = 50m"
# the daemons' own file holds nothing: everything comes through VICI
for n in gwa gwb; do printf 'connections {\n}\n' >"$W/$n/swanctl.conf"; done
uipsecd_start gwa gwb || { fail "uipsecd did not start"; finish; }

CASE="version"
sw gwa --version --daemon >"$W/out" 2>&1 || fail "--version failed: $(cat "$W/out")"
grep -q "uipsecd" "$W/out" || fail "--version does not name uipsecd: $(cat "$W/out")"

CASE="load-all"
for n in gwa gwb; do
	sw "$n" --load-all --noprompt --file "$W/$n/conf/swanctl.conf" >"$W/$n/load.out" 2>&1 ||
		fail "$n: --load-all failed: $(cat "$W/$n/load.out")"
done
grep -q "loaded ike secret 'ike-site'" "$W/gwa/load.out" || fail "secret not loaded: $(cat "$W/gwa/load.out")"
grep -q "loaded connection 'site'" "$W/gwa/load.out" || fail "connection not loaded: $(cat "$W/gwa/load.out")"
grep -q "successfully loaded 1 connections, 0 unloaded" "$W/gwa/load.out" ||
	fail "load summary: $(cat "$W/gwa/load.out")"

CASE="list-conns"
sw gwa --list-conns >"$W/out" 2>&1 || fail "--list-conns failed"
grep -q "^site: IKEv2, no reauthentication, rekeying every 10800s" "$W/out" || fail "list-conns head: $(cat "$W/out")"
grep -q "  local:  192.0.2.1" "$W/out" || fail "list-conns local: $(cat "$W/out")"
grep -q "  remote: 192.0.2.2" "$W/out" || fail "list-conns remote: $(cat "$W/out")"
grep -q "  local pre-shared key authentication:" "$W/out" || fail "list-conns auth: $(cat "$W/out")"
grep -q "    id: gwa.example.org" "$W/out" || fail "list-conns id: $(cat "$W/out")"
grep -q "  net: TUNNEL, rekeying every 3000s" "$W/out" || fail "list-conns child: $(cat "$W/out")"
grep -qi "invalid\|error\|failed" "$W/out" && fail "swanctl complained about list-conns: $(cat "$W/out")"
grep -q "    local:  10.1.0.0/24" "$W/out" || fail "list-conns local_ts: $(cat "$W/out")"
grep -q "    remote: 10.2.0.0/24" "$W/out" || fail "list-conns remote_ts: $(cat "$W/out")"

CASE="initiate"
# ike-updown / child-updown events as swanctl --monitor-sa prints them
ip netns exec "$(topo_name gwa)" stdbuf -oL swanctl --monitor-sa --uri "unix://$W/gwa/ctl" >"$W/mon.out" 2>&1 &
MONPID=$!
sleep 0.3
sw gwa --initiate --child net >"$W/init.out" 2>&1 || fail "--initiate failed: $(cat "$W/init.out")"
grep -q "initiate completed successfully" "$W/init.out" || fail "no success line: $(cat "$W/init.out")"
grep -q "\[IKE\] .*established" "$W/init.out" || fail "no control-log of the IKE SA: $(cat "$W/init.out")"
established || fail "not established"
ping4_through || fail "no ping through the tunnel"

sleep 0.5
grep -Eq "^site: #1, ESTABLISHED, IKEv2" "$W/mon.out" || fail "--monitor-sa saw no IKE_SA up: $(cat "$W/mon.out")"
grep -Eq "^  net: #[0-9]+, reqid [0-9]+, INSTALLED, TUNNEL" "$W/mon.out" ||
	fail "--monitor-sa saw no CHILD_SA up: $(cat "$W/mon.out")"

CASE="list-sas"
sw gwa --list-sas >"$W/sas" 2>&1 || fail "--list-sas failed"
grep -Eq "^site: #1, ESTABLISHED, IKEv2, [0-9a-f]{16}_i\* [0-9a-f]{16}_r$" "$W/sas" || fail "IKE line: $(cat "$W/sas")"
# ports: 4500 once NAT-T moved there (uipsecd's default, ESP in UDP, as charon's kernel-libipsec)
grep -Eq "  local  'gwa.example.org' @ 192.0.2.1\[(500|4500)\]" "$W/sas" || fail "local line: $(cat "$W/sas")"
grep -Eq "  remote 'gwb.example.org' @ 192.0.2.2\[(500|4500)\]" "$W/sas" || fail "remote line: $(cat "$W/sas")"
grep -q "  AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519" "$W/sas" || fail "IKE algorithms: $(cat "$W/sas")"
grep -Eq "  established [0-9]+s ago, rekeying in [0-9]+s" "$W/sas" || fail "IKE times: $(cat "$W/sas")"
grep -Eq "  net: #[0-9]+, reqid [0-9]+, INSTALLED, TUNNEL(-in-UDP)?, ESP:AES_GCM_16-128" "$W/sas" || fail "child line: $(cat "$W/sas")"
grep -Eq "    installed [0-9]+s ago, rekeying in [0-9]+s, expires in [0-9]+s" "$W/sas" || fail "child times: $(cat "$W/sas")"
grep -Eq "    in  [0-9a-f]{8}, +[1-9][0-9]* bytes, +[1-9][0-9]* packets" "$W/sas" || fail "inbound counters: $(cat "$W/sas")"
grep -Eq "    out [0-9a-f]{8}, +[1-9][0-9]* bytes, +[1-9][0-9]* packets" "$W/sas" || fail "outbound counters: $(cat "$W/sas")"
grep -q "    local  10.1.0.0/24" "$W/sas" || fail "child local ts: $(cat "$W/sas")"
grep -q "    remote 10.2.0.0/24" "$W/sas" || fail "child remote ts: $(cat "$W/sas")"
# the SPIs swanctl shows are the ones uipsec's own listing shows
spi_in=$(awk '/^    in  /{sub(",","",$2); print $2; exit}' "$W/sas")
u gwa list-sas | grep -q "$spi_in" || fail "SPI $spi_in not in uipsec list-sas"

CASE="list-pols"
sw gwa --list-pols >"$W/out" 2>&1 || fail "--list-pols failed: $(cat "$W/out")"

CASE="stats"
sw gwa --stats >"$W/out" 2>&1 || fail "--stats failed"
grep -q "^uptime: .*, since " "$W/out" || fail "stats uptime: $(cat "$W/out")"
grep -q "^IKE_SAs: 1 total, 0 half-open" "$W/out" || fail "stats IKE_SAs: $(cat "$W/out")"

CASE="counters"
sw gwa --counters >"$W/out" 2>&1 || fail "--counters failed"
grep -q "^global:" "$W/out" || fail "counters head: $(cat "$W/out")"
grep -Eq "^  ike-established +: 1$" "$W/out" || fail "counters ike-established: $(cat "$W/out")"
sw gwa --counters --reset >"$W/out" 2>&1 || fail "--counters --reset failed"
grep -q "reset-counters completed successfully" "$W/out" || fail "reset: $(cat "$W/out")"
sw gwa --counters | grep -Eq "^  ike-established +: 0$" || fail "counters not reset"
sw gwa --counters --name site >"$W/out" 2>&1
grep -q "get-counters failed: uipsec keeps IKE counters for the whole daemon only" "$W/out" ||
	fail "per-connection counters not refused clearly: $(cat "$W/out")"

CASE="rekey"
old=$(awk '/^    in  /{sub(",","",$2); print $2; exit}' "$W/sas")
sw gwa --rekey --child net >"$W/out" 2>&1 || fail "--rekey failed: $(cat "$W/out")"
grep -q "rekey completed successfully" "$W/out" || fail "rekey answer: $(cat "$W/out")"
for _ in $(seq 50); do
	sw gwa --list-sas | grep -q "in  $old" || break
	sleep 0.1
done
sw gwa --list-sas | grep -q "in  $old" && fail "CHILD_SA $old not replaced by the rekey"
ping4_through || fail "no ping after the rekey"

CASE="log"
# line-buffered: swanctl is stopped before it would flush a pipe's buffer
ip netns exec "$(topo_name gwa)" stdbuf -oL swanctl --log --uri "unix://$W/gwa/ctl" >"$W/log.out" 2>&1 &
LOGPID=$!
sleep 0.5
sw gwa --rekey --ike site >/dev/null 2>&1
sleep 1.5
kill $LOGPID 2>/dev/null
wait $LOGPID 2>/dev/null
grep -Eq "^[0-9]+\[IKE\] .*rekeying IKE_SA" "$W/log.out" ||
	fail "--log streamed no IKE line: $(head -5 "$W/log.out")"

CASE="load-pools"
printf 'pools {\n p { addrs = 10.9.0.0/24 }\n}\n' >"$W/pools.conf"
sw gwa --load-pools --file "$W/pools.conf" >"$W/out" 2>&1 || fail "load-pools failed: $(cat "$W/out")"
grep -q "loaded pool 'p'" "$W/out" || fail "load-pools answer: $(cat "$W/out")"
sw gwa --list-pools >"$W/out" 2>&1 || fail "--list-pools failed"
grep -Eq "^p +10\.9\.0\.1 +0 / +0 / +254" "$W/out" || fail "--list-pools: $(cat "$W/out")"
printf 'pools {\n}\n' >"$W/nopools.conf"
sw gwa --load-pools --file "$W/nopools.conf" >"$W/out" 2>&1 || fail "load-pools (unload) failed: $(cat "$W/out")"
sw gwa --list-pools | grep -q "^p " && fail "pool p still loaded after --load-pools of an empty file"

CASE="terminate"
sw gwa --terminate --ike site >"$W/out" 2>&1 || fail "--terminate failed: $(cat "$W/out")"
grep -q "terminate completed successfully" "$W/out" || fail "terminate answer: $(cat "$W/out")"
sw gwa --list-sas | grep -q "^site:" && fail "IKE SA still listed after terminate"
sw gwa --terminate --ike site >"$W/out" 2>&1 && fail "terminating nothing succeeded"
sleep 0.3
kill $MONPID 2>/dev/null
wait $MONPID 2>/dev/null
grep -Eq "^site: #[0-9]+, DELETING, IKEv2" "$W/mon.out" || fail "--monitor-sa saw no IKE_SA down: $(cat "$W/mon.out")"
grep -q "(null)" "$W/mon.out" && fail "--monitor-sa printed fields uipsec left out: $(cat "$W/mon.out")"

CASE="bad load-conn"
printf 'connections {\n bad {\n  remote_addrs = 192.0.2.9\n  inactivity = 5m\n  children { c { } }\n }\n}\n' >"$W/bad.conf"
sw gwa --load-conns --file "$W/bad.conf" >"$W/out" 2>&1 && fail "bad connection accepted"
grep -q "connections.bad.inactivity" "$W/out" || fail "load-conn error does not name the option: $(cat "$W/out")"

CASE="unload"
sw gwa --load-conns --file "$W/nopools.conf" >"$W/out" 2>&1   # no connections: unloads site
sw gwa --list-conns | grep -q "^site:" && fail "connection still loaded after --load-conns of an empty file"

CASE="pools over VICI: a client gets an address"
# gwb: --load-all of a pools section and a remote-access connection;
# gwa: a client with vips = 0.0.0.0; its DNS server goes to the fake
# resolvconf (ike_lib.sh)
cat >"$W/gwb/ra.conf" <<EOF
pools {
    rw { addrs = 10.3.0.0/24
         dns = 10.2.0.53 }
}
connections {
    rw { local_addrs = 192.0.2.2
         remote_addrs = %any
         pools = rw
         local { auth = psk
                 id = gwb.example.org }
         remote { auth = psk }
         children { net { local_ts = 10.2.0.0/24 } } }
}
secrets { ike-rw { id = gwb.example.org
                   secret = $PSK } }
EOF
cat >"$W/gwa/ra.conf" <<EOF
connections {
    rw { local_addrs = 192.0.2.1
         remote_addrs = 192.0.2.2
         vips = 0.0.0.0
         local { auth = psk
                 id = carol@example.org }
         remote { auth = psk
                  id = gwb.example.org }
         children { net { remote_ts = 10.2.0.0/24 } } }
}
secrets { ike-rw { id = carol@example.org
                   secret = $PSK } }
EOF
rm -f "$W/gwa/resolvconf.log"
sw gwb --load-all --noprompt --file "$W/gwb/ra.conf" >"$W/out" 2>&1 ||
	fail "gwb: --load-all with a pools section failed: $(cat "$W/out")"
grep -q "loaded pool 'rw'" "$W/out" || fail "gwb: pool not loaded: $(cat "$W/out")"
sw gwa --load-all --noprompt --file "$W/gwa/ra.conf" >"$W/out" 2>&1 ||
	fail "gwa: --load-all failed: $(cat "$W/out")"
sw gwa --initiate --child net --timeout 10000 >"$W/out" 2>&1 || fail "initiate rw: $(cat "$W/out")"
u gwa list-sas | grep -q "local  vip 10.3.0.1" || fail "gwa did not get 10.3.0.1: $(u gwa list-sas)"
sw gwb --list-pools --leases >"$W/out" 2>&1 || fail "--list-pools --leases failed"
grep -Eq "^rw +10\.3\.0\.1 +1 / +0 / +254" "$W/out" || fail "--list-pools with the lease: $(cat "$W/out")"
grep -Eq "10\.3\.0\.1 +online +'carol@example.org'" "$W/out" || fail "--leases: $(cat "$W/out")"
ns gwa ping -c 1 -W 2 -I 10.3.0.1 10.2.0.2 >/dev/null 2>&1 || fail "no ping from the virtual IP"
for _ in $(seq 30); do grep -q "nameserver 10.2.0.53" "$W/gwa/resolvconf.log" 2>/dev/null && break; sleep 0.1; done
grep -Eq "^-a .+\.uipsec$" "$W/gwa/resolvconf.log" 2>/dev/null &&
	grep -q "^  nameserver 10.2.0.53$" "$W/gwa/resolvconf.log" ||
	fail "resolvconf -a with the pool's DNS server: $(cat "$W/gwa/resolvconf.log" 2>&1)"
# a pool with an online lease stays (charon: "leases online")
# (swanctl reports a failed unload, yet exits 0)
sw gwb --load-pools --file "$W/nopools.conf" >"$W/out" 2>&1
grep -q "leases online" "$W/out" || fail "unload refusal: $(cat "$W/out")"
sw gwb --list-pools | grep -q "^rw " || fail "pool with an online lease unloaded"
sw gwa --terminate --ike rw >/dev/null 2>&1
sleep 0.5
sw gwb --load-pools --file "$W/nopools.conf" >"$W/out" 2>&1 || fail "unload after terminate: $(cat "$W/out")"
sw gwb --list-pools | grep -q "^rw " && fail "pool rw still loaded"

# ---- credentials over VICI: swanctl --load-creds sends load-cert and
# load-key from a swanctl directory uipsecd never reads itself
CASE="load-creds"
if command -v openssl >/dev/null; then
	C="$W/vicicreds"
	mkdir -p "$C/x509ca" "$C/x509" "$C/private"
	printf 'connections {\n}\n' >"$C/swanctl.conf"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$C/ca.key" -out "$C/x509ca/ca.pem" \
		-days 30 -subj "/C=CH/O=uipsec test/CN=VICI Test CA" \
		-addext "basicConstraints=critical,CA:TRUE" >/dev/null 2>&1 &&
	openssl req -newkey rsa:2048 -nodes -keyout "$C/private/gwa.key" -out "$C/gwa.csr" \
		-subj "/C=CH/O=uipsec test/CN=gwa.vici.example" >/dev/null 2>&1 &&
	openssl x509 -req -in "$C/gwa.csr" -CA "$C/x509ca/ca.pem" -CAkey "$C/ca.key" \
		-CAcreateserial -CAserial "$C/ca.srl" -days 30 -out "$C/x509/gwa.pem" >/dev/null 2>&1 ||
		fail "openssl could not make the test certificates"
	rm -f "$C/ca.key"
	sw gwa --load-creds --noprompt --file "$C/swanctl.conf" >"$W/out" 2>&1 ||
		fail "--load-creds: $(cat "$W/out")"
	grep -q "loaded certificate from '$C/x509ca/ca.pem'" "$W/out" &&
		grep -q "loaded certificate from '$C/x509/gwa.pem'" "$W/out" &&
		grep -q "loaded private key from '$C/private/gwa.key'" "$W/out" ||
		fail "--load-creds did not load all three: $(cat "$W/out")"
	sw gwa --list-certs >"$W/out" 2>&1 || fail "--list-certs: $(cat "$W/out")"
	grep -q 'subject:  "C=CH, O=uipsec test, CN=gwa.vici.example"' "$W/out" ||
		fail "--list-certs lacks the loaded certificate: $(cat "$W/out")"
	grep -q 'subject:  "C=CH, O=uipsec test, CN=VICI Test CA"' "$W/out" ||
		fail "--list-certs lacks the loaded CA: $(cat "$W/out")"
	grep -q "has private key" "$W/out" || fail "--list-certs: the key is not matched: $(cat "$W/out")"
	# uipsec's own listing shows the same store
	u gwa list-certs | grep -q "CN=gwa.vici.example" || fail "uipsec list-certs lacks it"
	# a reload of uipsecd's swanctl.conf keeps what came over VICI (as charon)
	u gwa load >/dev/null 2>&1
	sw gwa --list-certs | grep -q "CN=gwa.vici.example" || fail "load dropped the VICI certificate"
	# with the key file gone, --load-creds unloads it (get-keys, unload-key)
	rm "$C/private/gwa.key"
	sw gwa --load-creds --noprompt --file "$C/swanctl.conf" >"$W/out" 2>&1 ||
		fail "--load-creds again: $(cat "$W/out")"
	sw gwa --list-certs | grep -q "has private key" && fail "unload-key left the key: $(cat "$W/out")"
	# what uipsec refuses, it says: an OCSP signer, garbage data
	mkdir -p "$C/x509ocsp"
	cp "$C/x509/gwa.pem" "$C/x509ocsp/"
	printf 'not a certificate\n' >"$C/x509/bad.pem"
	sw gwa --load-creds --noprompt --file "$C/swanctl.conf" >"$W/out" 2>&1
	grep -q "OCSP" "$W/out" || fail "load-cert flag OCSP not refused with the reason: $(cat "$W/out")"
	grep -q "loading '$C/x509/bad.pem' failed" "$W/out" ||
		fail "garbage certificate not refused: $(cat "$W/out")"
	# clear-creds drops what came over VICI (swanctl --load-creds --clear)
	sw gwa --load-creds --clear --noprompt --file "$W/gwa/swanctl.conf" >/dev/null 2>&1
	sw gwa --list-certs | grep -q "CN=gwa.vici.example" && fail "clear-creds kept the VICI certificate"
fi

# ---- side by side with charon
CASE="charon"
# shellcheck source-path=SCRIPTDIR source=../../scripts/charon.sh
source "$SRC/scripts/charon.sh"
if ! charon_available; then
	echo "charon part skipped: $CHARON_MISSING"
	finish
fi
stop gwb
cp "$W/gwb/conf/swanctl.conf" "$W/gwb/swanctl.conf"
charon_start gwb "$W/gwb" || { fail "charon did not start"; finish; }
sw gwa --load-all --noprompt --file "$W/gwa/conf/swanctl.conf" >"$W/out" 2>&1 ||
	fail "reload on gwa: $(cat "$W/out")"
sw gwa --initiate --child net --timeout 20000 >"$W/init.out" 2>&1 ||
	fail "initiate to charon: $(cat "$W/init.out")"
ping4_through || fail "no ping through the tunnel to charon"
sw gwa --list-sas >"$W/u.sas" 2>&1
charon_swanctl gwb --list-sas >"$W/c.sas" 2>&1
# shape of a listing: digits and SPIs out, the words kept
shape() { sed -E 's/[0-9a-f]{16}/SPI/g; s/\b[0-9a-f]{8}\b/spi/g; s/[0-9]+/N/g; s/ +/ /g' "$1"; }
for pat in "^site: #N, ESTABLISHED, IKEvN, SPI_i\\*? SPI_r\\*?$" \
	"^ AES_CBC-N/HMAC_SHAN_N_N/PRF_HMAC_SHAN_N/CURVE_N$" \
	"^ established Ns ago, rekeying in Ns" \
	"^ net: #N, reqid N, INSTALLED, TUNNEL-in-UDP, ESP:AES_GCM_N-N$" \
	"^ installed Ns ago, rekeying in Ns, expires in Ns$"; do
	shape "$W/u.sas" | grep -Eq "$pat" || fail "uipsec's --list-sas lacks /$pat/: $(cat "$W/u.sas")"
	shape "$W/c.sas" | grep -Eq "$pat" || fail "charon's --list-sas lacks /$pat/: $(cat "$W/c.sas")"
done
grep -q "AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519" "$W/u.sas" ||
	fail "uipsec's IKE algorithms differ: $(cat "$W/u.sas")"
grep -q "AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519" "$W/c.sas" ||
	fail "charon's IKE algorithms differ: $(cat "$W/c.sas")"
u_in=$(awk '/^    in  /{sub(",","",$2); print $2; exit}' "$W/u.sas")
u_out=$(awk '/^    out /{sub(",","",$2); print $2; exit}' "$W/u.sas")
c_in=$(awk '/^    in  /{sub(",","",$2); print $2; exit}' "$W/c.sas")
c_out=$(awk '/^    out /{sub(",","",$2); print $2; exit}' "$W/c.sas")
[ -n "$u_in" ] && [ "$u_in" = "$c_out" ] && [ "$u_out" = "$c_in" ] ||
	fail "SPIs do not pair up: uipsec in $u_in out $u_out, charon in $c_in out $c_out"
u_spis=$(grep -Eo "[0-9a-f]{16}_i\*? [0-9a-f]{16}_r" "$W/u.sas" | tr -d '*')
c_spis=$(grep -Eo "[0-9a-f]{16}_i\*? [0-9a-f]{16}_r" "$W/c.sas" | tr -d '*')
[ -n "$u_spis" ] && [ "$u_spis" = "$c_spis" ] || fail "IKE SPIs differ: '$u_spis' vs '$c_spis'"
# the ping's packets: what one side sent, the other received
pkts() { grep -m1 "^    $1 " "$2" | sed -E 's/.* ([0-9]+) packets.*/\1/'; }
u_outp=$(pkts out "$W/u.sas")
c_inp=$(pkts "in " "$W/c.sas")
[ "${u_outp:-0}" -gt 0 ] && [ "$u_outp" = "$c_inp" ] ||
	fail "packets out on uipsec ($u_outp) != in on charon ($c_inp)"
for f in u c; do grep -q "    local  10\.[12]\.0\.0/24" "$W/$f.sas" || fail "$f: local ts"; done
sw gwa --list-conns >"$W/u.conns" 2>&1
charon_swanctl gwb --list-conns >"$W/c.conns" 2>&1
for pat in "^site: IKEv2, no reauthentication, rekeying every 10800s" \
	"^  local pre-shared key authentication:" "^  remote pre-shared key authentication:" \
	"^  net: TUNNEL, rekeying every 3000s"; do
	grep -Eq "$pat" "$W/u.conns" || fail "uipsec's --list-conns lacks /$pat/: $(cat "$W/u.conns")"
	grep -Eq "$pat" "$W/c.conns" || fail "charon's --list-conns lacks /$pat/: $(cat "$W/c.conns")"
done
for f in u; do sw gwa --stats >"$W/$f.stats" 2>&1; done
charon_swanctl gwb --stats >"$W/c.stats" 2>&1
for f in u c; do
	grep -q "^IKE_SAs: 1 total, 0 half-open" "$W/$f.stats" || fail "$f: --stats IKE_SAs: $(cat "$W/$f.stats")"
done
sw gwa --terminate --ike site >"$W/out" 2>&1 || fail "terminate toward charon: $(cat "$W/out")"
for _ in $(seq 30); do
	charon_swanctl gwb --list-sas | grep -q "^site:" || break
	sleep 0.1
done
charon_swanctl gwb --list-sas | grep -q "^site:" && fail "charon kept the IKE_SA after uipsec's terminate"
charon_stop gwb

finish
