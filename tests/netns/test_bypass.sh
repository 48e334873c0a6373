#!/usr/bin/env bash
# Bypass policies, the strongSwan way: uipsecd's routes live in routing
# table 220 behind the rule "pref 220 not fwmark 0x220 lookup 220"; a
# packet an outbound bypass policy (allow, no template) lets through goes
# back to the kernel in clear on a raw socket marked 0x220, which takes the
# main table. With 10.2.0.0/24 protected and a bypass policy of higher
# precedence for TCP to hostb's port 5201 (iperf3): iperf3 arrives in clear
# (seen on gwa eth1), ping still goes as ESP; the same with IPv6 inside. A protected prefix holding
# the peer's own address does not swallow the ESP packets (marked
# sockets). Rules and routes go away on SIGTERM; the rule a killed daemon
# left behind does not stop the next start; --no-routes adds no rule.
TOPO_PREFIX=byp$$
source "$(dirname "$0")/lib.sh"
gw_lib_init
command -v iperf3 >/dev/null || { echo "SKIP: no iperf3"; exit 77; }

rules() { ns "$1" ip "${2:--4}" rule show | grep -c "^220:.*fwmark 0x220 lookup 220" || true; }

# The tunnel (priority 100) and, above it (priority 10), bypass policies
# for TCP port 5201 between the sites, both ways on both gateways.
setup_policies() {
	GW_PRIO=100 gw_tunnel gcm128 raw 4 4
	ux gwa xfrm policy add src 10.1.0.0/24 dst 10.2.0.2/32 proto tcp dport 5201 dir out priority 10 || fail "bypass policy gwa"
	ux gwb xfrm policy add src 10.2.0.2/32 dst 10.1.0.0/24 proto tcp sport 5201 dir out priority 10 || fail "bypass policy gwb"
}

gw_start gwa
gw_start gwb
for n in gwa gwb; do
	[ "$(rules $n -4)" = 1 ] || { ns $n ip rule show >&2; fail "$n: no IPv4 rule for table 220"; }
	[ "$(rules $n -6)" = 1 ] || { ns $n ip -6 rule show >&2; fail "$n: no IPv6 rule for table 220"; }
done
note "gwa rules: $(ns gwa ip rule show | grep 'lookup 220')"
# A plain route between the sites for the clear packets (main table).
ns gwa ip route add 10.2.0.0/24 via 192.0.2.2
ns gwb ip route add 10.1.0.0/24 via 192.0.2.1
setup_policies
ns gwa ip route show table 220 | grep -q "^10.2.0.0/24 dev ipsec0" || fail "gwa: no route in table 220"
ns gwa ip route show table main | grep -q "dev ipsec0" && fail "gwa: a route via ipsec0 in the main table"

# Capture on gwa eth1 while iperf3 runs and ping goes through the tunnel.
bg gwa tcpdump -i eth1 -n -s 96 -U --immediate-mode -w "$GW_RUN/eth1.pcap" 2>/dev/null
cap=$BG_PID
bg hostb sh -c "exec iperf3 -s -1 -p 5201 >/dev/null"
srv=$BG_PID
sleep 1
ns hosta iperf3 -c 10.2.0.2 -p 5201 -t 2 -b 40M -J >"$GW_RUN/iperf.json" || fail "iperf3 over the bypass policy"
wait $srv
ping_ok 4 3 || fail "ping through the tunnel"
sleep 0.5
kill $cap; wait $cap 2>/dev/null
rcv=$($PY -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bytes"]))' "$GW_RUN/iperf.json")
[ "$rcv" -gt 100000 ] || fail "hostb received only $rcv bytes"
clear_tcp=$(tcpdump -r "$GW_RUN/eth1.pcap" -n 'tcp port 5201' 2>/dev/null | wc -l)
esp=$(tcpdump -r "$GW_RUN/eth1.pcap" -n esp 2>/dev/null | wc -l)
clear_icmp=$(tcpdump -r "$GW_RUN/eth1.pcap" -n icmp 2>/dev/null | wc -l)
note "gwa eth1: $clear_tcp TCP 5201 packets in clear, $esp ESP, $clear_icmp ICMP in clear; hostb got $rcv bytes"
[ "$clear_tcp" -gt 100 ] || fail "iperf3 not seen in clear on gwa eth1"
[ "$esp" -ge 6 ] || fail "ping not seen as ESP on gwa eth1"
[ "$clear_icmp" = 0 ] || fail "ICMP seen in clear on gwa eth1"
tcpdump -r "$GW_RUN/eth1.pcap" -n 'tcp port 5201' 2>/dev/null | grep -q "10.1.0.2.* > 10.2.0.2.5201" || fail "no clear hosta -> hostb:5201"
tcpdump -r "$GW_RUN/eth1.pcap" -n 'tcp port 5201' 2>/dev/null | grep -q "10.2.0.2.5201 > 10.1.0.2" || fail "no clear hostb:5201 -> hosta"
for n in gwa gwb; do
	b=$(stat_of $n Bypassed)
	[ "$b" -gt 100 ] || fail "$n: Bypassed is $b"
	note "$n: Bypassed $b, SendErrors $(stat_of $n SendErrors)"
done

# IPv6 inside (IPv4 outside): the clear path's IPv6 raw socket.
ns gwa ip -6 route add fd02::/64 via 2001:db8::2
ns gwb ip -6 route add fd01::/64 via 2001:db8::1
GW_PRIO=100 gw_tunnel gcm128 raw 4 6
ux gwa xfrm policy add src fd01::/64 dst fd02::2/128 proto tcp dport 5201 dir out priority 10 || fail "IPv6 bypass policy gwa"
ux gwb xfrm policy add src fd02::2/128 dst fd01::/64 proto tcp sport 5201 dir out priority 10 || fail "IPv6 bypass policy gwb"
ns gwa ip -6 route show table 220 | grep -q "^fd02::/64 dev ipsec0" || fail "gwa: no IPv6 route in table 220"
bg gwa tcpdump -i eth1 -n -s 96 -U --immediate-mode -w "$GW_RUN/eth1v6.pcap" 2>/dev/null
cap=$BG_PID
bg hostb sh -c "exec iperf3 -s -1 -p 5201 >/dev/null"
srv=$BG_PID
sleep 1
ns hosta iperf3 -6 -c fd02::2 -p 5201 -t 1 -b 20M >/dev/null || fail "IPv6 iperf3 over the bypass policy"
wait $srv
ping_ok 6 3 || fail "IPv6 ping through the tunnel"
sleep 0.5
kill $cap; wait $cap 2>/dev/null
clear6=$(tcpdump -r "$GW_RUN/eth1v6.pcap" -n 'ip6 and tcp port 5201' 2>/dev/null | wc -l)
esp6=$(tcpdump -r "$GW_RUN/eth1v6.pcap" -n esp 2>/dev/null | wc -l)
icmp6clear=$(tcpdump -r "$GW_RUN/eth1v6.pcap" -n 'icmp6 and (ip6[40] == 128 or ip6[40] == 129)' 2>/dev/null | wc -l)
note "IPv6 inside: gwa eth1: $clear6 TCP 5201 packets in clear, $esp6 ESP, $icmp6clear echo in clear"
[ "$clear6" -gt 50 ] || fail "IPv6 iperf3 not seen in clear on gwa eth1"
[ "$esp6" -ge 6 ] || fail "IPv6 ping not seen as ESP"
[ "$icmp6clear" = 0 ] || fail "IPv6 echo seen in clear on gwa eth1"
setup_policies

# A protected prefix that holds the peer (192.0.2.2): its route goes into
# table 220 too, yet the daemon's ESP packets (marked) still reach gwb.
ux gwa xfrm policy add src 10.1.0.0/24 dst 192.0.2.0/24 dir out priority 100 tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 1 mode tunnel || fail "policy to the peer's prefix"
ns gwa ip route show table 220 | grep -q "^192.0.2.0/24 dev ipsec0" || fail "gwa: no route for the peer's prefix"
ping_ok 4 3 || fail "ping with the peer inside a protected prefix"

# Clean shutdown: no rule, no route left.
gw_stop gwa
[ "$(rules gwa -4)" = 0 ] && [ "$(rules gwa -6)" = 0 ] || fail "gwa: rule left after SIGTERM"
[ -z "$(ns gwa ip route show table 220)" ] || fail "gwa: routes left in table 220"

# A daemon that dies leaves its rule; the next one starts and works.
gw_start gwa
kill -9 "${GW_PID[gwa]}"; wait "${GW_PID[gwa]}" 2>/dev/null; unset "GW_PID[gwa]"
[ "$(rules gwa -4)" = 1 ] || fail "gwa: the killed daemon's rule is not there (test assumption)"
gw_start gwa
[ "$(rules gwa -4)" = 1 ] || fail "gwa: $(rules gwa -4) IPv4 rules after a restart over a stale one"
grep -q "stale" "$GW_RUN/gwa.log" || fail "gwa: stale rule not reported"
setup_policies
ping_ok 4 3 || fail "ping after restarting over a stale rule"
bg hostb sh -c "exec iperf3 -s -1 -p 5201 >/dev/null"
srv=$BG_PID
sleep 0.5
ns hosta iperf3 -c 10.2.0.2 -p 5201 -t 1 -b 40M >/dev/null || fail "iperf3 after the restart"
wait $srv
gw_stop gwa

# --no-routes: no rule, no routes.
gw_start gwa --no-routes
[ "$(rules gwa -4)" = 0 ] || fail "gwa --no-routes: a rule was added"
setup_policies
[ -z "$(ns gwa ip route show table 220)" ] || fail "gwa --no-routes: routes added"
gw_stop gwa
echo "PASS"
