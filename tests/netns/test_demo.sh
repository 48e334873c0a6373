#!/usr/bin/env bash
# make demo, non-interactively (DEMO_PAUSE=0, its own namespace prefix),
# checked for its key outputs: IKEv2 up, ESP-in-UDP only on eth1 and the
# inner ICMP on ipsec0, the trace stages on both gateways, the kernel's
# netfilter view (INPUT for the UDP packet, FORWARD from ipsec0 for the
# inner one), the counters, explain; and nothing left behind.
: "${UIPSEC_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${UIPSEC_BUILD:=$UIPSEC_SRC/build}"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
command -v nft >/dev/null && command -v tcpdump >/dev/null || { echo "SKIP: nft/tcpdump missing"; exit 77; }
P=dt$$
OUT=$(mktemp /tmp/uipsec-demo-test.XXXXXX)
trap 'rm -f "$OUT"' EXIT
fail() { echo "FAIL: $*" >&2; sed 's/^/    /' "$OUT" | tail -60 >&2; exit 1; }

DEMO_PAUSE=0 DEMO_PREFIX=$P UIPSEC_BUILD=$UIPSEC_BUILD timeout 300 \
	bash "$UIPSEC_SRC/scripts/demo.sh" </dev/null >"$OUT" 2>&1
rc=$?
[ $rc = 0 ] || fail "demo exited with $rc"
want() { grep -qE -- "$1" "$OUT" || fail "demo output lacks: $2 (/$1/)"; }
want '^==> IKEv2' "the IKEv2 step"
want 'site: ESTABLISHED, IKEv2' "an established IKE_SA in list-sas"
want 'net: INSTALLED, reqid [0-9]+, TUNNEL(-in-UDP)?, ESP:aes128gcm16' "the CHILD_SA in list-sas"
want 'aead rfc4106\(gcm\(aes\)\) 0x[0-9a-f]{40} 128' "the AES-GCM state"
want 'dir out priority [0-9]+' "the outbound policy"
want '192\.0\.2\.1\.4500 > 192\.0\.2\.2\.4500: UDP-encap: ESP' "ESP-in-UDP on eth1"
want 'IP 10\.1\.0\.2 > 10\.2\.0\.2: ICMP echo request' "the inner ICMP on ipsec0"
want '^#1 out xfrm_output +esp-in-udp 192\.0\.2\.1 > 192\.0\.2\.2' "gwa's trace of the request"
want '^#[0-9] in +xfrm_policy_check +policy index [0-9]+ dir fwd 10\.1\.0\.0/24' "gwb's inbound policy check"
want '^#[0-9] in +tun_write +icmp 10\.1\.0\.2 > 10\.2\.0\.2 type 8' "gwb writing the request to ipsec0"
want '^#[0-9] in +tun_write +icmp 10\.2\.0\.2 > 10\.1\.0\.2 type 0' "gwa writing the reply to ipsec0"
want 'inet demo INPUT packet: iif "eth1" udp sport 4500 udp dport 4500' "nft: ESP-in-UDP in INPUT"
want 'inet demo FORWARD packet: iif "ipsec0" oif "eth0" icmp type echo-request' "nft: inner packet in FORWARD"
want '^XfrmInNoStates[[:space:]]+0' "the xfrm_stat counters"
want '^InPackets[[:space:]]+[1-9]' "the data-path counters"
want '^uipsec_ike_sas 1$' "the IKE gauge in the metrics"
want 'uipsec_ike_events_total\{kind="child-established"\} [1-9]' "the IKE counters in the metrics"
want 'uipsec_child_sa_packets_total\{conn="site",child="net",spi_in="[0-9a-f]{8}",spi_out="[0-9a-f]{8}",dir="out"\} [1-9]' "per-CHILD_SA metrics"
want 'nothing in uipsec stops this traffic' "explain"
want 'demo: all steps passed' "the final line"
ETH1=$(sed -n '/tcpdump -ni eth1/,/tcpdump -ni ipsec0/p' "$OUT" | grep -v 'gwa#')
if grep -qi "icmp" <<<"$ETH1"; then
	fail "clear ICMP (or ICMPv6 noise) on the eth1 screen"
fi
# every packet shown on eth1 is ESP in UDP 4500 (or a NAT-T keepalive)
if grep -E '^[0-9]{2}:[0-9]{2}:' <<<"$ETH1" | grep -vq '\.4500 '; then
	fail "a packet other than ESP in UDP 4500 on the eth1 screen: $ETH1"
fi
grep -q 'ESP' <<<"$ETH1" || fail "no ESP on the eth1 screen"
for n in hosta gwa gwb hostb; do
	[ -e "/run/netns/$P-$n" ] && fail "namespace $P-$n left behind"
done
[ -e "/tmp/uipsec-demo-$P" ] && fail "run directory left behind"
echo PASS
