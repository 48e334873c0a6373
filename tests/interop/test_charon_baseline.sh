#!/usr/bin/env bash
# Baseline for the interop tests: strongSwan's charon (kernel-libipsec) on
# BOTH gateways, PSK site-to-site 10.1.0.0/24 <-> 10.2.0.0/24 with
# aes256gcm16-prfsha256-x25519 / esp aes128gcm16. gwa initiates, hosta
# pings hostb through the tunnel, and the wire between the gateways must
# carry ESP in UDP 4500 only. This proves the harness (scripts/charon.sh)
# before uipsec's IKE replaces one of the two charons.
#
# TOPO_NAT=1 puts gwa behind the masquerading "nat" namespace of topo.sh
# (test_charon_nat.sh runs that); then both sides must also report NAT.
#
# Exit 77 (skipped) when not root or when charon is not installed.
set -u

TOPO_PREFIX=${TOPO_PREFIX:-cb$$}
TOPO_NAT=${TOPO_NAT:-0}
# shellcheck source-path=SCRIPTDIR source=../netns/ike_lib.sh
source "$(dirname "$0")/../netns/ike_lib.sh"
ike_lib_init charon-baseline charon

# the first failure ends the test
fail() {
	echo "FAIL: $*"
	for s in gwa gwb; do
		echo "--- $s charon.log (tail)"
		tail -n 40 "$W/$s/charon.log" 2>/dev/null
	done
	exit 1
}

PSK=$(psk_random)

# write_swanctl DIR LOCAL_ADDR REMOTE_ADDRS MY_ID PEER_ID LOCAL_TS REMOTE_TS
write_swanctl() { write_conf "$@" aes256gcm16-prfsha256-x25519 aes128gcm16 "$PSK"; }

topo_up || fail "topology did not come up"

if [ "$TOPO_NAT" = 1 ]; then
	# gwa sits behind the NAT; gwb sees it as 192.0.2.3 and accepts any.
	write_swanctl "$W/gwa" 192.168.0.2 192.0.2.2 gwa.example.org gwb.example.org 10.1.0.0/24 10.2.0.0/24
	write_swanctl "$W/gwb" 192.0.2.2 %any gwb.example.org gwa.example.org 10.2.0.0/24 10.1.0.0/24
else
	write_swanctl "$W/gwa" 192.0.2.1 192.0.2.2 gwa.example.org gwb.example.org 10.1.0.0/24 10.2.0.0/24
	write_swanctl "$W/gwb" 192.0.2.2 192.0.2.1 gwb.example.org gwa.example.org 10.2.0.0/24 10.1.0.0/24
fi

# Without a tunnel the sites cannot reach each other.
ns hosta ping -c 1 -W 1 10.2.0.2 >/dev/null 2>&1 && fail "hostb reachable before any tunnel"

charon_start gwb "$W/gwb" || fail "charon did not start on gwb"
charon_start gwa "$W/gwa" || fail "charon did not start on gwa"

# Watch the wire on gwb's public side while the tunnel is used (not
# through ns(): ip netns exec execs, so $! is tcpdump itself).
ip netns exec "$(topo_name gwb)" tcpdump -n -i eth1 --immediate-mode -U -w "$W/wire.pcap" 'not arp' >"$W/tcpdump.out" 2>&1 &
track tcpdump $!
sleep 1

charon_swanctl gwa --initiate --child net --timeout 30 >"$W/initiate.log" 2>&1 ||
	{ cat "$W/initiate.log"; fail "swanctl --initiate failed"; }
grep -Eq "CHILD_SA net\{[0-9]+\} established" "$W/initiate.log" ||
	{ cat "$W/initiate.log"; fail "no CHILD_SA established"; }

# kernel-libipsec, not the kernel: no XFRM states, a TUN device, a route.
[ -z "$(ns gwa ip xfrm state 2>/dev/null)" ] || fail "charon installed kernel XFRM states"
ns gwa ip link show ipsec0 >/dev/null 2>&1 || fail "no ipsec0 TUN device on gwa"
ns gwa ip route show table all | grep -q "10.2.0.0/24 .*dev ipsec0" ||
	{ ns gwa ip route show table all; fail "no route to 10.2.0.0/24 via ipsec0 on gwa"; }

ns hosta ping -c 5 -i 0.2 -W 2 10.2.0.2 >"$W/ping.log" 2>&1 ||
	{ cat "$W/ping.log"; fail "hosta cannot ping hostb through the tunnel"; }
ns hostb ping -c 3 -i 0.2 -W 2 10.1.0.2 >>"$W/ping.log" 2>&1 ||
	{ cat "$W/ping.log"; fail "hostb cannot ping hosta through the tunnel"; }

sleep 0.5
stop tcpdump
esp_udp=$(tcpdump -n -r "$W/wire.pcap" 'udp port 4500 and udp[8:4] != 0' 2>/dev/null | wc -l)
plain=$(tcpdump -n -r "$W/wire.pcap" 'icmp and (net 10.1.0.0/24 or net 10.2.0.0/24)' 2>/dev/null | wc -l)
echo "wire (gwb eth1): $esp_udp ESP-in-UDP packets, $plain plaintext ICMP between the sites"
((esp_udp >= 16)) || fail "expected >= 16 ESP-in-UDP packets for 8 pings, saw $esp_udp"
((plain == 0)) || fail "plaintext site traffic on the wire"

# Both sides see the CHILD_SA with traffic on it.
for s in gwa gwb; do
	charon_swanctl $s --list-sas --raw >"$W/$s.sas" 2>&1 || fail "list-sas on $s"
	grep -q "state=ESTABLISHED" "$W/$s.sas" || fail "$s: IKE_SA not ESTABLISHED"
	grep -q "state=INSTALLED" "$W/$s.sas" || fail "$s: CHILD_SA not INSTALLED"
	grep -q "encap=yes" "$W/$s.sas" || fail "$s: CHILD_SA not UDP-encapsulated"
	grep -Eq "packets-in=[1-9]" "$W/$s.sas" || fail "$s: no packets counted on the CHILD_SA"
done
if [ "$TOPO_NAT" = 1 ]; then
	grep -q "nat-local=yes" "$W/gwa.sas" || fail "gwa did not detect that it is behind a NAT"
	grep -q "nat-remote=yes" "$W/gwb.sas" || fail "gwb did not detect the NAT in front of gwa"
	grep -q "remote-host=192.0.2.3" "$W/gwb.sas" || fail "gwb does not see gwa as 192.0.2.3"
fi

# Orderly teardown: the initiator deletes the IKE_SA, the responder sees it.
charon_swanctl gwa --terminate --ike site --timeout 10 >"$W/terminate.log" 2>&1 ||
	{ cat "$W/terminate.log"; fail "terminate failed"; }
sleep 0.5
charon_swanctl gwb --list-sas --raw 2>&1 | grep -q "state=ESTABLISHED" && fail "gwb still has the IKE_SA"

echo "PASS: charon <-> charon$([ "$TOPO_NAT" = 1 ] && echo " behind NAT"): tunnel up, ping through, ESP in UDP 4500 on the wire"
exit 0
