#!/usr/bin/env bash
# Visibility tools against two uipsecd gateways with manual SAs:
#  - uipsec capture: every point into one pcapng, read back by tshark
#    (interfaces named after the points, drop reasons as comments) and a
#    classic pcap read by tcpdump;
#  - uipsec keys --wireshark: tcpdump on gwa's public interface, tshark
#    decrypts it with the exported lines and sees the inner ICMP;
#  - uipsec explain: SA in use, selector mismatch, no SA yet (acquire),
#    block policy, a route that bypasses the TUN device;
#  - --json on xfrm state/policy list and stats (parsed by python);
#  - uipsecd --metrics: the endpoint's counters match the traffic, and a
#    non-loopback address is refused.
source "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || { echo "SKIP: no tshark"; exit 77; }
gw_lib_init

: >"$GW_RUN/empty.conf"      # manual keys only
gw_start gwa -c "$GW_RUN/empty.conf" --metrics 127.0.0.1:9101
gw_start gwb -c "$GW_RUN/empty.conf"
GW_PRIO=100 gw_tunnel gcm128 udp 4 4   # priority 100: a block policy of priority 1 wins
T=$GW_RUN
TS="tshark -n -o esp.enable_encryption_decode:TRUE"

note "capture: all points on gwa while hosta pings hostb"
# bg: ip netns exec execs uipsec, so $BG_PID is uipsec itself
bg gwa "$UIPSEC" --control "$(ctl_of gwa)" capture --point esp-in,inner-in,inner-out,esp-out,drop \
	-w "$T/all.pcapng" 2>"$T/cap.err"; CAP=$BG_PID
sleep 0.5
ping_ok 4 3 || fail "ping through the tunnel"
# a drop: hosta -> 10.9.0.2 is routed into ipsec0 on gwa, no policy covers it
ns gwa ip route add 10.9.0.0/24 dev ipsec0
ns hosta ping -c 3 -i 0.2 -W 1 10.9.0.2 >/dev/null 2>&1
sleep 0.5
kill -TERM $CAP; wait $CAP || fail "capture did not end cleanly on SIGTERM"
cat "$T/cap.err"
tshark -r "$T/all.pcapng" -T fields -e frame.interface_name -e ip.src -e ip.dst -e frame.comment \
	2>/dev/null | sed 's/^/    /' | head -14
for p in esp-in inner-in inner-out esp-out; do
	n=$(tshark -r "$T/all.pcapng" -Y "frame.interface_name == \"$p\"" 2>/dev/null | wc -l)
	[ "$n" -ge 2 ] || fail "capture: only $n packets at $p"
done
n=$(tshark -r "$T/all.pcapng" -Y 'frame.interface_name == "esp-out" && udp.port == 4500 && esp' 2>/dev/null | wc -l)
[ "$n" -ge 2 ] || fail "capture: esp-out is not ESP-in-UDP ($n)"
n=$(tshark -r "$T/all.pcapng" -Y 'frame.interface_name == "inner-in" && icmp.type == 0' 2>/dev/null | wc -l)
[ "$n" -ge 2 ] || fail "capture: no echo replies at inner-in ($n)"
tshark -r "$T/all.pcapng" -T fields -e frame.comment 2>/dev/null | grep -q "no-policy-out (XfrmOutPolError)" \
	|| fail "capture: the drop's reason is not in the pcapng comment"
grep -q "no-policy-out" "$T/cap.err" || fail "capture: the drop was not reported on stderr"
tcpdump -r "$T/all.pcapng" -n 2>/dev/null | grep -q "10.9.0.2" || fail "tcpdump cannot read the pcapng"

note "capture: classic pcap with a filter"
ux gwa capture --point inner-out --format pcap --filter host 10.2.0.2 proto icmp -w "$T/f.pcap" -c 2 & CAP=$!
sleep 0.3
ping_ok 4 2
ns hosta ping -c 1 -W 1 10.9.0.2 >/dev/null 2>&1
wait $CAP || fail "capture -c 2 did not finish"
[ "$(tcpdump -r "$T/f.pcap" -n 2>/dev/null | grep -c '10.1.0.2 > 10.2.0.2: ICMP echo request')" = 2 ] \
	|| fail "filtered capture: want exactly the 2 echo requests"
ux gwa capture --point nowhere -w "$T/x.pcap" 2>&1 | grep -q "unknown point 'nowhere'" \
	|| fail "capture accepts an unknown point"

note "keys --wireshark: tshark decrypts tcpdump's capture of gwa eth1"
ux gwa keys --wireshark --esp >"$T/esp_sa" || fail "keys --wireshark"
sed 's/0x[0-9a-f]\{16,\}/0x<key>/g; s/^/    /' "$T/esp_sa"
[ "$(grep -c '^"IPv4","192.0.2.[12]","192.0.2.[12]","0x0000[12]001","AES-GCM with 16 octet ICV \[RFC4106\]","0x[0-9a-f]\{40\}","NULL",""$' "$T/esp_sa")" = 2 ] \
	|| fail "keys: want two AES-GCM lines"
bg gwa tcpdump -i eth1 -n -U --immediate-mode -w "$T/eth1.pcap" udp port 4500; TD=$BG_PID
sleep 1
ping_ok 4 3 || fail "ping for the eth1 capture"
sleep 0.5; kill -INT $TD; wait $TD 2>/dev/null
uat=()
while IFS= read -r l; do [ "${l#\#}" = "$l" ] && uat+=(-o "uat:esp_sa:$l"); done <"$T/esp_sa"
n=$($TS "${uat[@]}" -r "$T/eth1.pcap" -Y 'icmp.type == 8 && ip.src == 10.1.0.2 && ip.dst == 10.2.0.2' 2>/dev/null | wc -l)
[ "$n" -ge 3 ] || fail "tshark decrypted only $n echo requests with the exported keys"
n=$($TS "${uat[@]}" -r "$T/eth1.pcap" -Y 'icmp.type == 0 && ip.src == 10.2.0.2' 2>/dev/null | wc -l)
[ "$n" -ge 3 ] || fail "tshark decrypted only $n echo replies"
$TS "${uat[@]}" -r "$T/eth1.pcap" 2>/dev/null | head -2 | sed 's/^/    /'
n=$($TS -r "$T/eth1.pcap" -Y icmp 2>/dev/null | wc -l)
[ "$n" = 0 ] || fail "tshark sees ICMP without keys?"

note "explain"
ux gwa explain 10.1.0.2 10.2.0.2 icmp >"$T/ex1" || fail "explain"
sed 's/^/    /' "$T/ex1"
grep -q "SA spi 0x00001001 (192.0.2.1 -> 192.0.2.2" "$T/ex1" || fail "explain: outbound SA"
grep -q "SA spi 0x00002001 (192.0.2.2 -> 192.0.2.1" "$T/ex1" || fail "explain: inbound SA of the reply"
grep -q "dev ipsec0" "$T/ex1" || fail "explain: route into ipsec0"
grep -q "nothing in uipsec stops this traffic" "$T/ex1" || fail "explain: verdict"
ux gwa explain 10.1.0.2 10.9.0.2 >"$T/ex2"
grep -q "destination 10.9.0.2 is outside 10.2.0.0/24" "$T/ex2" || fail "explain: selector mismatch"
ns gwa ip route del 10.9.0.0/24 dev ipsec0
ux gwa explain 10.1.0.2 10.9.0.2 | grep -q "the kernel has no route to 10.9.0.2" || fail "explain: no route"
ux gwb xfrm state delete src 192.0.2.2 dst 192.0.2.1 proto esp spi 0x2001
ux gwb explain 10.2.0.2 10.1.0.2 tcp 22 >"$T/ex3"
grep -q "no SA yet for reqid 2: the first packet raises an acquire" "$T/ex3" || { cat "$T/ex3"; fail "explain: no SA"; }
ux gwb xfrm policy add src 10.2.0.5/32 dst 10.1.0.0/24 dir out priority 1 action block
ux gwb explain 10.2.0.5 10.1.0.2 | grep -q "blocks it: dropped (policy-block, XfrmOutPolBlock)" \
	|| fail "explain: block policy"
ux gwa explain 10.1.0.2 nonsense 2>&1 | grep -q "'nonsense' is not an IPv4 or IPv6 address" \
	|| fail "explain: bad address"
# it changed nothing: the block policy was never hit
ux gwb xfrm policy list -s | grep -A3 "10.2.0.5/32" | grep -q "0(packets)" || true

note "--json"
ux gwa --json xfrm state list | $PY -c '
import json,sys; s=json.load(sys.stdin)
assert len(s)==2, s
assert {x["spi"] for x in s}=={"0x00001001","0x00002001"}
assert all("key" not in json.dumps(x) or "key_bits" in json.dumps(x) for x in s)
assert s[0]["aead"]["name"]=="rfc4106(gcm(aes))" and s[0]["encap"]["dport"]==4500
' || fail "json: state list"
ux gwa xfrm state list spi 0x1001 --json | $PY -c '
import json,sys; s=json.load(sys.stdin); assert len(s)==1 and s[0]["spi"]=="0x00001001", s' \
	|| fail "json: state list with a filter"
ux gwa -j xfrm policy list | $PY -c '
import json,sys; p=json.load(sys.stdin)
assert {x["dir"] for x in p}=={"out","fwd","in"}, p
o=[x for x in p if x["dir"]=="out"][0]
assert o["sel"]["dst"]=="10.2.0.0/24" and o["tmpl"][0]["reqid"]==1 and o["hits"]>0, o
' || fail "json: policy list"
ux gwa --json stats | $PY -c '
import json,sys; s=json.load(sys.stdin)
assert s["xfrm_stat"]["XfrmOutPolError"]>=3, s["xfrm_stat"]
assert s["datapath"]["OutPackets"]>=6
assert len(s["states"])==2
' || fail "json: stats"
ux gwa --json trace 2>&1 | grep -q "json is for" || fail "json: trace should refuse"

note "metrics"
ns gwa $PY -c '
import urllib.request
r=urllib.request.urlopen("http://127.0.0.1:9101/metrics", timeout=3)
t=r.read().decode(); assert r.status==200
v={}
for l in t.splitlines():
    if l and not l.startswith("#"):
        k,x=l.rsplit(" ",1); v[k]=float(x)
assert v["uipsec_sas"]==2, v.get("uipsec_sas")
assert v["uipsec_xfrm_stat_total{name=\"XfrmOutPolError\"}"]>=3
assert v["uipsec_sa_packets_total{spi=\"0x00001001\",src=\"192.0.2.1\",dst=\"192.0.2.2\",reqid=\"1\",dir=\"out\"}"]>=6
r=urllib.request.Request("http://127.0.0.1:9101/metrics", headers={"Accept":"application/openmetrics-text"})
t=urllib.request.urlopen(r, timeout=3).read().decode(); assert t.endswith("# EOF\n")
try:
    urllib.request.urlopen("http://127.0.0.1:9101/other", timeout=3); assert False
except urllib.error.HTTPError as e: assert e.code==404
# bounded: an oversized request is closed without an answer, idle
# connections beyond the limit are turned away, and the server still serves
import socket, time
c=socket.create_connection(("127.0.0.1",9101)); c.sendall(b"GET /metrics HTTP/1.0\r\nX: "+b"a"*5000)
c.settimeout(3)
try: assert c.recv(100)==b""
except ConnectionResetError: pass
idle=[socket.create_connection(("127.0.0.1",9101)) for _ in range(12)]
time.sleep(0.2)
for x in idle: x.close()
assert urllib.request.urlopen("http://127.0.0.1:9101/metrics", timeout=3).status==200
print("    uipsec_sas", v["uipsec_sas"])
' || fail "metrics endpoint"
ns hosta "$UIPSECD" --foreground --control "$T/x.sock" -c "$T/empty.conf" --metrics 10.1.0.2:9101 2>&1 \
	| grep -q "only loopback addresses" || fail "metrics on a public address was not refused"
echo PASS
