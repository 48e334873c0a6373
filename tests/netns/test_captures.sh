#!/usr/bin/env bash
# What each interface shows: tcpdump on gwa's public veth (eth1) sees only
# ESP (or UDP 4500), on ipsec0 only the inner packets; and scapy, an
# independent ESP implementation given the same keys, decrypts what was
# captured on eth1 back to the inner ICMP packets.
source "$(dirname "$0")/lib.sh"
gw_lib_init
$PY -c 'import scapy.layers.ipsec' 2>/dev/null || { echo "SKIP: no scapy"; exit 77; }

gw_start gwa
gw_start gwb
for n in gwa gwb; do
	if ns "$n" ip -6 addr show dev ipsec0 | grep -q 'inet6'; then
		fail "$n: ipsec0 has an IPv6 address: $(ns "$n" ip -6 addr show dev ipsec0)"
	fi
done

capture() { # capture IFACE FILE: start tcpdump in gwa, PID in CAP_PID
	bg gwa tcpdump -i "$1" -n -U --immediate-mode -w "$2" 2>/dev/null
	CAP_PID=$BG_PID
}

check_case() { # check_case ALG ENCAP SCAPY_ARGS...
	local alg=$1 encap=$2 e1="$GW_RUN/eth1-$1-$2.pcap" t0="$GW_RUN/tun-$1-$2.pcap" p1 p2 n
	shift 2
	gw_tunnel "$alg" "$encap" 4 4
	capture eth1 "$e1"; p1=$CAP_PID
	capture ipsec0 "$t0"; p2=$CAP_PID
	sleep 1
	ping_ok 4 3 || fail "$alg $encap: ping"
	sleep 0.3
	kill -INT $p1 $p2; wait $p1 $p2 2>/dev/null
	note "$alg $encap: eth1"
	tcpdump -r "$e1" -n 2>/dev/null | sed 's/^/    /' | head -4
	# IP on eth1: only ESP or ESP-in-UDP, never the inner ICMP
	n=$(tcpdump -r "$e1" -n 'icmp' 2>/dev/null | wc -l)
	[ "$n" = 0 ] || fail "$alg $encap: $n clear ICMP packets on eth1"
	if [ "$encap" = raw ]; then
		n=$(tcpdump -r "$e1" -n 'ip and not esp' 2>/dev/null | wc -l)
		[ "$n" = 0 ] || fail "$alg $encap: $n IPv4 packets other than ESP on eth1"
		n=$(tcpdump -r "$e1" -n 'esp' 2>/dev/null | wc -l)
	else
		n=$(tcpdump -r "$e1" -n 'ip and not (udp port 4500)' 2>/dev/null | wc -l)
		[ "$n" = 0 ] || fail "$alg $encap: $n IPv4 packets other than UDP 4500 on eth1"
		n=$(tcpdump -r "$e1" -n 'udp port 4500' 2>/dev/null | wc -l)
	fi
	[ "$n" -ge 6 ] || { tcpdump -r "$e1" -n; fail "$alg $encap: only $n ESP packets on eth1 (want 6)"; }
	note "$alg $encap: ipsec0"
	tcpdump -r "$t0" -n 2>/dev/null | sed 's/^/    /' | head -2
	n=$(tcpdump -r "$t0" -n 'icmp' 2>/dev/null | wc -l)
	[ "$n" -ge 6 ] || fail "$alg $encap: only $n ICMP packets on ipsec0 (want 6)"
	n=$(tcpdump -r "$t0" -n 'esp or udp port 4500' 2>/dev/null | wc -l)
	[ "$n" = 0 ] || fail "$alg $encap: ESP on ipsec0"
	# uipsecd turns off IPv6 address generation on its TUN: no
	# link-local address, so no MLD reports or router solicitations.
	n=$(tcpdump -r "$t0" -n 'icmp6' 2>/dev/null | wc -l)
	[ "$n" = 0 ] || { tcpdump -r "$t0" -n 'icmp6'; fail "$alg $encap: $n ICMPv6 packets on ipsec0"; }
	note "$alg $encap: scapy decrypts eth1"
	$PY "$(dirname "$0")/scapy_decrypt.py" "$e1" "$@" || fail "$alg $encap: scapy could not decrypt"
}

check_case gcm128 raw --crypt AES-GCM --key-ab "$(hexkey a 20)" --key-ba "$(hexkey b 20)"
check_case gcm128 udp --crypt AES-GCM --key-ab "$(hexkey a 20)" --key-ba "$(hexkey b 20)" --udp
check_case cbcsha256 raw --crypt AES-CBC --key-ab "$(hexkey a 16)" --key-ba "$(hexkey b 16)" \
	--auth SHA2-256-128 --akey-ab "$(hexkey c 32)" --akey-ba "$(hexkey d 32)"
echo PASS
