#!/usr/bin/env bash
# Remote access, uipsec to uipsec, in the four-namespace topology: uipsecd
# on gwa is a road warrior (vips = 0.0.0.0, local_ts dynamic), uipsecd on
# gwb the gateway (remote_addrs = %any, remote_ts dynamic, pools = rw from
# 10.3.0.0/24 with a DNS server). gwa gets 10.3.0.1 on its TUN device and
# pings hostb (10.2.0.2) from it; gwb's list-pools shows the lease online;
# the DNS server is logged and listed; after terminate the address is off
# gwa's TUN device and the lease offline; a reconnect gets the same
# address. Then a pool of one address: gwa dials in as dave (gets it)
# and, on a second connection, as carol, who is refused with
# INTERNAL_ADDRESS_FAILURE (logged, counted) while dave's tunnel stays.
# A client that asks for an address outside the pool (vips = 10.99.0.5)
# gets a pool address instead, as from charon, and uses it.
# And two clients at once (gwa and hosta) on the gateway's one connection:
# two IKE_SAs, two addresses, both ping.
# DNS: the client's uipsecd finds the fake resolvconf (ike_lib.sh) first
# on its PATH: `resolvconf -a TUN.uipsec` with "nameserver 10.2.0.53" on
# stdin once the IKE_SA is up, `resolvconf -d TUN.uipsec` when it goes;
# with uipsecd.resolve.enable = no, no call.
# Exit 77: not root.
set -u

TOPO_PREFIX=${TOPO_PREFIX:-ra$$}
TOPO_NAT=0
# shellcheck source-path=SCRIPTDIR source=ike_lib.sh
source "$(dirname "$0")/ike_lib.sh"
ike_lib_init ike-ra uipsec

PSK=$(psk_random)

# client and gateway configurations; $1: the pool's addrs
write_ra() {
	mkdir -p "$W/gwa" "$W/gwb"
	ra_client_conf carol@example.org 192.0.2.1 "$PSK" >"$W/gwa/swanctl.conf"
	{
		ra_gateway_conf "$1"
		cat <<-EOF
		secrets { ike-rw { id = gwb.example.org
		                   secret = $PSK } }
		EOF
	} >"$W/gwb/swanctl.conf"
}

fail_logs() {
	local n
	for n in gwa gwb; do
		echo "--- $n uipsecd.log (tail)"
		tail -n 25 "$W/$n/uipsecd.log" 2>/dev/null
	done
}

topo_up >/dev/null 2>&1 || { echo "FAIL: topology did not come up"; exit 1; }
TUN=$(ns gwa "$BUILD/uipsecd" --help 2>&1 | grep -o 'default ipsec[0-9]*' | head -n 1 | cut -d' ' -f2)
TUN=${TUN:-ipsec0}

vip_on_tun() { ns gwa ip -4 addr show dev "$TUN" 2>/dev/null | grep -q "inet $1/32"; }

# 0 once $W/gwa/resolvconf.log is exactly $1 (3 s at most: the helper
# runs the tool after the daemon has moved on)
resolv_log_is() {
	for _ in $(seq 30); do
		[ "$(cat "$W/gwa/resolvconf.log" 2>/dev/null)" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

CASE="lease, ping from the virtual IP, release"
write_ra 10.3.0.0/24
if uipsecd_start gwa gwb; then
	u gwa initiate --child net >/dev/null
	if ! established; then
		fail "not established"
	elif ! u gwa list-sas | grep -q "local  vip 10.3.0.1"; then
		fail "gwa has no virtual IP 10.3.0.1"
	elif ! vip_on_tun 10.3.0.1; then
		fail "10.3.0.1 is not on gwa's $TUN"
	elif ! u gwa list-sas | grep -q "dns 10.2.0.53" ||
	     ! grep -q "received DNS server 10.2.0.53" "$W/gwa/uipsecd.log"; then
		fail "the DNS server was not reported"
	elif ! resolv_log_is "-a $TUN.uipsec
  nameserver 10.2.0.53"; then
		fail "resolvconf -a $TUN.uipsec with the pool's DNS server not run: $(cat "$W/gwa/resolvconf.log" 2>&1)"
	elif ! u gwa list-sas | grep -q "local  10.3.0.1/32"; then
		fail "the local traffic selector is not the virtual IP"
	elif ! u gwb list-pools | grep -q "10.3.0.1 .*online .*'carol@example.org'"; then
		fail "gwb's list-pools does not show the online lease"
	elif ! ns gwa ping -c 2 -i 0.2 -W 2 -I 10.3.0.1 10.2.0.2 >/dev/null 2>&1; then
		fail "no ping from the virtual IP to hostb"
	elif ! ns gwa ping -c 1 -W 2 10.2.0.2 >/dev/null 2>&1; then
		fail "no ping to hostb with the source the routing picks"
	else
		u gwa terminate --ike rw >/dev/null
		sleep 1
		if u gwb list-sas | grep -q ESTABLISHED; then
			fail "the gateway kept the IKE_SA"
		elif ! u gwb list-pools | grep -q "10.3.0.1 .*offline .*'carol@example.org'"; then
			fail "the lease is not offline after terminate"
		elif vip_on_tun 10.3.0.1; then
			fail "10.3.0.1 is still on gwa's $TUN"
		elif ! resolv_log_is "-a $TUN.uipsec
  nameserver 10.2.0.53
-d $TUN.uipsec"; then
			fail "resolvconf -d $TUN.uipsec not run after terminate: $(cat "$W/gwa/resolvconf.log" 2>&1)"
		else
			u gwa initiate --child net >/dev/null
			if ! established || ! u gwa list-sas | grep -q "local  vip 10.3.0.1"; then
				fail "a reconnect did not get 10.3.0.1 back"
			elif ! ns gwa ping -c 1 -W 2 -I 10.3.0.1 10.2.0.2 >/dev/null 2>&1; then
				fail "no ping after the reconnect"
			else
				echo "ok [$CASE]"
			fi
		fi
	fi
fi
stop_all

CASE="a requested address outside the pool"
# the client asks for 10.99.0.5 (vips = 10.99.0.5), not in 10.3.0.0/24:
# as charon, the gateway assigns a pool address instead, and the client
# takes it (its TUN device, its traffic selector) and the tunnel works
write_ra 10.3.0.0/24
sed -i 's/vips = 0.0.0.0/vips = 10.99.0.5/' "$W/gwa/swanctl.conf"
if uipsecd_start gwa gwb; then
	u gwa initiate --child net >/dev/null
	if ! established; then
		fail "not established"
	elif ! grep -q "peer requested virtual IP 10.99.0.5" "$W/gwb/uipsecd.log"; then
		fail "the gateway did not see the request for 10.99.0.5"
	elif ! grep -q "assigning virtual IP 10.3.0.1 to peer 'carol@example.org'" "$W/gwb/uipsecd.log"; then
		fail "the gateway did not assign 10.3.0.1 instead"
	elif ! u gwa list-sas | grep -q "local  vip 10.3.0.1"; then
		fail "gwa did not take 10.3.0.1: $(u gwa list-sas)"
	elif ! vip_on_tun 10.3.0.1 || vip_on_tun 10.99.0.5; then
		fail "gwa's $TUN does not have 10.3.0.1 (alone)"
	elif ! u gwa list-sas | grep -q "local  10.3.0.1/32"; then
		fail "the local traffic selector is not the assigned address"
	elif ! ns gwa ping -c 2 -i 0.2 -W 2 -I 10.3.0.1 10.2.0.2 >/dev/null 2>&1; then
		fail "no ping from the assigned address"
	else
		echo "ok [$CASE]"
	fi
	u gwa terminate --ike rw >/dev/null
fi
stop_all

CASE="two clients at once on one connection"
# gwa as carol and hosta (behind gwa, routed) as dave, both against the
# one connection of gwb with remote_addrs = %any
stop_all
# hosta dials in from "anywhere": the gateway reaches it through gwa
ns gwb ip route replace 10.1.0.2/32 via 192.0.2.1
write_ra 10.3.0.0/24
mkdir -p "$W/hosta"
sed 's/carol@example.org/dave@example.org/; s/local_addrs = 192.0.2.1/local_addrs = 10.1.0.2/' \
	"$W/gwa/swanctl.conf" >"$W/hosta/swanctl.conf"
rm -f "$W/gwa/ctl" "$W/gwb/ctl" "$W/hosta/ctl"
if uipsecd_start gwa hosta gwb; then
	initiate_both gwa hosta
	if ! established gwa hosta; then
		fail "not both established"
	elif [ "$(u gwb list-sas | grep -c '^rw: ESTABLISHED')" != 2 ]; then
		fail "gwb does not have two IKE_SAs on rw"
	else
		va=$(u gwa list-sas | awk '/local  vip/ {print $3}')
		vh=$(u hosta list-sas | awk '/local  vip/ {print $3}')
		if [ -z "$va" ] || [ -z "$vh" ] || [ "$va" = "$vh" ]; then
			fail "not two distinct virtual IPs ($va, $vh)"
		elif ! ns gwa ping -c 2 -i 0.2 -W 2 -I "$va" 10.2.0.2 >/dev/null 2>&1 ||
		     ! ns hosta ping -c 2 -i 0.2 -W 2 -I "$vh" 10.2.0.2 >/dev/null 2>&1; then
			fail "no ping from both clients"
		elif [ "$(u gwb list-pools | grep -c ' online ')" != 2 ]; then
			fail "gwb's pool does not show two online leases"
		else
			echo "ok [$CASE]"
		fi
	fi
fi
stop_all

CASE="pool exhausted"
# a pool of one address; gwa dials in twice, as dave (who gets it) and
# as carol (a second connection, a second IKE_SA): carol is refused
write_ra 10.3.0.7-10.3.0.7
sed -i 's/carol@example.org/dave@example.org/' "$W/gwa/swanctl.conf"
cat >>"$W/gwa/swanctl.conf" <<EOF
connections {
    rw2 {
        local_addrs = 192.0.2.1
        remote_addrs = 192.0.2.2
        vips = 0.0.0.0
        local { auth = psk
                id = carol@example.org }
        remote { auth = psk
                 id = gwb.example.org }
        children {
            net2 { remote_ts = 10.2.0.0/24 }
        }
    }
}
secrets { ike-rw2 { id = carol@example.org
                    secret = $PSK } }
EOF
rm -f "$W/gwa/ctl" "$W/gwb/ctl" "$W/gwa/resolvconf.log"
# and the resolve plugin turned off: the DNS servers are only logged
printf 'uipsecd {\n resolve {\n  enable = no\n }\n}\n' >"$W/nodns.conf"
if UIPSECD_ARGS="${UIPSECD_ARGS:-} --settings $W/nodns.conf" uipsecd_start gwa gwb; then
	u gwa initiate --child net >/dev/null
	if ! established; then
		fail "dave did not get the one address"
	elif sleep 0.5 && [ -e "$W/gwa/resolvconf.log" ]; then
		fail "resolvconf run with uipsecd.resolve.enable = no"
	else
		u gwa initiate --child net2 >/dev/null 2>&1
		sleep 2
		if ! grep -q "pool 'rw' is exhausted" "$W/gwb/uipsecd.log"; then
			fail "no log line for the exhausted pool"
		elif ! grep -q "sending INTERNAL_ADDRESS_FAILURE" "$W/gwb/uipsecd.log" ||
		     ! grep -q "gateway sent INTERNAL_ADDRESS_FAILURE" "$W/gwa/uipsecd.log"; then
			fail "INTERNAL_ADDRESS_FAILURE not sent and seen"
		elif ! u gwb ike-stats | grep -q "vip_failures *1$"; then
			fail "vip_failures not counted"
		elif ! u gwb list-pools | grep -q "10.3.0.7 .*online .*'dave@example.org'"; then
			fail "dave's lease was touched"
		elif ! ns gwa ping -c 1 -W 2 -I 10.3.0.7 10.2.0.2 >/dev/null 2>&1; then
			fail "dave's tunnel broke"
		else
			echo "ok [$CASE]"
		fi
	fi
else
	fail "uipsecd did not start"
fi

finish
