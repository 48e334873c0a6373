#!/usr/bin/env bash
# IKE messages larger than a packet buffer (issue 15 item 1). RFC 7296
# section 2: implementations MUST accept 1,280 bytes and SHOULD accept
# 3,000; IKE_AUTH with certificates and big KE payloads need more. uipsecd
# on gwb gets IKE_SA_INIT requests of 2,049, 3,000, 9,000, 60,000 bytes
# and the largest a UDP/IPv4 datagram holds, on UDP 500 and on UDP 4500
# behind the non-ESP marker, and must answer each; with the UDP 4500 socket
# read by recvmmsg (--offload none: no UDP GRO) and by data-path workers
# too. Then with --max-packet 10000 (strongSwan's default limit), 10,000
# bytes are answered and 10,001 refused: a warning names the size and the
# limit, and IkeTooBig counts it. ESP is unchanged: a big datagram that
# does not start with the marker is still a bad ESP packet.
export TOPO_PREFIX=ib$$
source "$(dirname "$0")/ike_lib.sh"
ike_lib_init uipsec-ike-big uipsec
topo_up || { echo "FAIL: topology"; exit 1; }
SENDER=$SRC/tests/tools/ike_big.py

write_conf "$W/gwb" 192.0.2.2 192.0.2.1 gwb.example.org gwa.example.org \
	10.2.0.0/24 10.1.0.0/24 aes256gcm16-prfsha256-x25519 aes128gcm16 "$(psk_random)"

# expect PORT WANT SIZE...: gwa sends; each SIZE must be WANT (answered|unanswered)
expect() {
	local port=$1 want=$2 out size got
	shift 2
	out=$(ns gwa python3 "$SENDER" 192.0.2.2 "$port" "$@") || { fail "sender failed: $out"; return 1; }
	for size in "$@"; do
		got=$(echo "$out" | awk -v s="$size" '$1 == s { print $2 }')
		[ "$got" = "$want" ] || { fail "port $port, $size bytes: $got, want $want"; return 1; }
	done
	echo "ok: port $port: $* bytes $want"
}

counter() { u gwb stats | awk -v k="$1" '$1 == k { print $2 }'; }

run_case() { # run_case NAME [UIPSECD OPTIONS...]
	CASE=$1
	shift
	UIPSECD_ARGS="$*" uipsecd_start gwb || { fail "uipsecd did not start"; return 1; }
	# 65,507: the largest UDP/IPv4 payload; 65,503 behind the 4-byte marker
	expect 500 answered 2049 3000 9000 60000 65507
	expect 4500 answered 2049 3000 9000 60000 65503
	[ "$(counter IkeTooBig)" = 0 ] || fail "IkeTooBig $(counter IkeTooBig) with the default limit"
	big=$(counter UdpBigPackets)
	[ "${big:-0}" -ge 8 ] || fail "UdpBigPackets ${big:-none}, want 8 or more"
	[ "$(counter UdpBigLost)" = 0 ] || fail "UdpBigLost $(counter UdpBigLost)"
	stop gwb
}

run_case default
run_case recvmmsg --offload none
run_case workers --workers 2

CASE=limit
UIPSECD_ARGS="--max-packet 10000" uipsecd_start gwb || fail "uipsecd did not start"
expect 500 answered 2049 10000
expect 500 unanswered 10001
expect 4500 answered 10000
expect 4500 unanswered 10001 60000
[ "$(counter IkeTooBig)" = 3 ] || fail "IkeTooBig $(counter IkeTooBig), want 3"
grep -q "IKE message of 10001 bytes from 192.0.2.1 port 500 refused: larger than the limit of 10000" \
	"$W/gwb/uipsecd.log" || fail "no warning for the refused message"
grep "refused: larger than the limit" "$W/gwb/uipsecd.log" | head -1

# A 3,000-byte datagram on 4500 without the marker is ESP: it is not
# taken whole (counted as a header error), and IKE never sees it.
before=$(counter IkePackets)
ns gwa python3 -c '
import socket, os
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 4500))
s.sendto(b"\x00\x00\x10\x01" + os.urandom(2996), ("192.0.2.2", 4500))'
sleep 0.3
[ "$(counter IkePackets)" = "$before" ] || fail "an unmarked big datagram reached IKE"
[ "$(u gwb stats | awk '$1 == "XfrmInHdrError" { print $2 }')" -ge 1 ] || fail "big ESP not counted as a header error"
stop gwb
finish
