#!/usr/bin/env bash
# Bad packets and bad commands: a replayed ESP packet, one with a flipped
# bit, one for an unknown SPI, one whose state does not match the policy's
# template, and inner traffic hitting a block policy each bump the right
# xfrm_stat counter, and the tunnel keeps working. Malformed control
# commands get one line of error and change nothing. `uipsec trace` shows
# the stages of an echo request and reply, and the stage that dropped.
source "$(dirname "$0")/lib.sh"
gw_lib_init
$PY -c 'import scapy.layers.ipsec' 2>/dev/null || { echo "SKIP: no scapy"; exit 77; }
INJECT="$PY $(dirname "$0")/inject.py"

gw_start gwa
gw_start gwb

# ip xfrm monitor: the events of adding and deleting states and policies.
bg gwa timeout 15 "$UIPSEC" --control "$(ctl_of gwa)" xfrm monitor >"$GW_RUN/monitor.txt"
mon=$BG_PID
sleep 0.3
GW_PRIO=100 gw_tunnel gcm128 raw 4 4
ux gwa xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x7007 reqid 7 mode tunnel \
	aead 'rfc4106(gcm(aes))' "$(hexkey 7 20)" 128 || fail "monitor: state add"
ux gwa xfrm state delete src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x7007 || fail "monitor: state delete"
sleep 0.3
kill $mon 2>/dev/null; wait $mon 2>/dev/null
note "uipsec xfrm monitor (excerpt)"
grep -E "^(Deleted |Flushed |src |acquire)" "$GW_RUN/monitor.txt" | head -8 | sed 's/^/    /'
grep -q "^Flushed state" "$GW_RUN/monitor.txt" || fail "monitor: no state flush"
grep -q "^src 10.1.0.0/24 dst 10.2.0.0/24" "$GW_RUN/monitor.txt" || fail "monitor: no policy add"
grep -q "^Deleted src 192.0.2.1 dst 192.0.2.2" "$GW_RUN/monitor.txt" || fail "monitor: no state delete"
grep -q "spi 0x00007007" "$GW_RUN/monitor.txt" || fail "monitor: state 0x7007 not shown"

expect_bump() { # expect_bump NS COUNTER BEFORE WHAT
	local now; now=$(stat_of "$1" "$2")
	[ "$now" -gt "$3" ] || fail "$4: $1 $2 stayed at $3"
	note "$4: $1 $2 $3 -> $now"
	ping_ok 4 2 || fail "$4: the tunnel stopped working"
}

# One captured packet to replay and corrupt.
bg gwa tcpdump -i eth1 -n -U --immediate-mode -c 2 -w "$GW_RUN/one.pcap" esp 2>/dev/null
cap=$BG_PID
sleep 1
ping_ok 4 1 || fail "first ping"
wait $cap

b=$(stat_of gwb XfrmInStateSeqError)
ns gwa $INJECT replay "$GW_RUN/one.pcap"; sleep 0.3
expect_bump gwb XfrmInStateSeqError "$b" "replayed packet"

b=$(stat_of gwb XfrmInStateProtoError)
ns gwa $INJECT flip "$GW_RUN/one.pcap"; sleep 0.3
expect_bump gwb XfrmInStateProtoError "$b" "flipped bit"

b=$(stat_of gwb XfrmInNoStates)
ns gwa $INJECT spi 0xdead0001; sleep 0.3
expect_bump gwb XfrmInNoStates "$b" "unknown SPI"

# A state gwb knows (reqid 9), whose packets no policy template asks for.
ux gwb xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x3001 reqid 9 mode tunnel \
	aead 'rfc4106(gcm(aes))' "$(hexkey e 20)" 128 || fail "state add reqid 9"
b=$(stat_of gwb XfrmInTmplMismatch)
ns gwa $INJECT seal 0x3001 "$(hexkey e 20)" 10.1.0.2 10.2.0.2; sleep 0.3
expect_bump gwb XfrmInTmplMismatch "$b" "template mismatch"

# Block policy for one host behind gwb, ahead of the tunnel's policies.
ux gwa xfrm policy add src 10.1.0.0/24 dst 10.2.0.99/32 dir out priority 10 action block \
	|| fail "block policy add"
b=$(stat_of gwa XfrmOutPolBlock)
ns hosta ping -c 1 -W 1 10.2.0.99 >/dev/null 2>&1 && fail "ping through a block policy answered"
expect_bump gwa XfrmOutPolBlock "$b" "block policy"

# Malformed control commands: one line on stderr, non-zero status, no change.
before=$(ux gwa xfrm state list; ux gwa xfrm policy list)
for cmd in "state add src 192.0.2.1" \
	"state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x10 mode tunnel aead rfc4106(gcm(aes)) 0x00 128" \
	"state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1001 reqid 1 mode tunnel aead rfc4106(gcm(aes)) $(hexkey a 20) 128" \
	"policy add src 10.1.0.0/24 dst nonsense dir out" \
	"state frobnicate" "bogus"; do
	# shellcheck disable=SC2086
	err=$(ux gwa xfrm $cmd 2>&1 >/dev/null) && fail "'xfrm $cmd' succeeded"
	[ "$(echo "$err" | wc -l)" = 1 ] || fail "'xfrm $cmd': error is not one line: $err"
	note "xfrm ${cmd:0:40}...: $err"
done
err=$(ux gwa trace spi 2>&1 >/dev/null) && fail "trace with a bad filter succeeded"
note "trace spi: $err"
# garbage on the socket: the daemon drops that client and keeps serving
ns gwa $PY -c "
import socket; s = socket.socket(socket.AF_UNIX); s.connect('$(ctl_of gwa)')
s.sendall(b'\x00\x00\x00\x03\x00\x05ab'); s.sendall(b'\xff\xff\xff\xff'); s.close()"
after=$(ux gwa xfrm state list; ux gwa xfrm policy list)
[ "$before" = "$after" ] || fail "a malformed command changed the SAD or SPD"
ping_ok 4 2 || fail "tunnel after bad commands"

# Trace: one echo request and its reply through both gateways.
trace_bg() { # trace_bg NS FILE ARGS...
	local n=$1 f=$2; shift 2
	bg "$n" timeout 10 "$UIPSEC" --control "$(ctl_of "$n")" trace "$@" >"$f"
}
trace_bg gwa "$GW_RUN/trace-gwa.txt" -n 2 proto icmp host 10.2.0.2; ta=$BG_PID
trace_bg gwb "$GW_RUN/trace-gwb.txt" -n 2 proto icmp; tb=$BG_PID
sleep 0.5
ns hosta ping -c 1 -W 2 10.2.0.2 >/dev/null || fail "traced ping"
wait $ta $tb
for n in gwa gwb; do
	note "uipsec trace on $n"
	sed 's/^/    /' "$GW_RUN/trace-$n.txt"
	for st in tun_read xfrm_lookup xfrm_state_find esp_output xfrm_output \
		xfrm_input xfrm_state_lookup xfrm_replay_check esp_input xfrm_replay_advance \
		xfrm_policy_check tun_write; do
		grep -q " $st " "$GW_RUN/trace-$n.txt" || fail "trace on $n lacks stage $st"
	done
	grep -q "echo\|type 8\|type 0" "$GW_RUN/trace-$n.txt" || fail "trace on $n shows no ICMP"
done
grep -q "xfrm_policy_check.*dir fwd.*ok" "$GW_RUN/trace-gwb.txt" || fail "gwb: no fwd policy check"

# ... and a drop, with its reason and counter.
trace_bg gwb "$GW_RUN/trace-drop.txt" -n 1 spi 0xdead0002; tb=$BG_PID
sleep 0.5
ns gwa $INJECT spi 0xdead0002
wait $tb
sed 's/^/    /' "$GW_RUN/trace-drop.txt"
grep -q "xfrm_state_lookup.*drop no-state (XfrmInNoStates)" "$GW_RUN/trace-drop.txt" \
	|| fail "trace does not show the unknown SPI drop"
# Acquire: a protect policy with no state holds the packets for the SA
# its acquire asks for (HoldQueued, dp/hold.h) or, past the hold queue's
# bounds, drops them (XfrmOutNoStates), and raises one acquire event,
# which xfrm monitor shows.
bg gwa timeout 6 "$UIPSEC" --control "$(ctl_of gwa)" xfrm monitor >"$GW_RUN/acquire.txt"
mon=$BG_PID
sleep 0.3
ux gwa xfrm policy add src 10.1.0.0/24 dst 10.2.0.77/32 dir out priority 10 tmpl src 192.0.2.1 \
	dst 192.0.2.2 proto esp reqid 77 mode tunnel || fail "policy without state"
b=$(stat_of gwa XfrmOutNoStates)
bq=$(stat_of gwa HoldQueued)
ns hosta ping -c 3 -i 0.2 -W 1 10.2.0.77 >/dev/null 2>&1
sleep 0.3
kill $mon 2>/dev/null; wait $mon 2>/dev/null
n=$(( $(stat_of gwa XfrmOutNoStates) - b + $(stat_of gwa HoldQueued) - bq ))
[ "$n" -ge 3 ] || fail "XfrmOutNoStates + HoldQueued did not count 3 packets ($n)"
[ "$(grep -c "^acquire" "$GW_RUN/acquire.txt")" = 1 ] || fail "expected one acquire event: $(cat "$GW_RUN/acquire.txt")"
note "acquire: $(grep -A1 "^acquire" "$GW_RUN/acquire.txt" | tr -s '\n\t' '  ')"

# Sequence numbers never wrap: without ESN, a state at 2^32 - 2 sends two
# more packets and then drops (XfrmOutStateSeqError).
ux gwa xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x7777 reqid 77 mode tunnel \
	aead 'rfc4106(gcm(aes))' "$(hexkey 7 20)" 128 replay-oseq 0xfffffffd || fail "state near the end"
b=$(stat_of gwa XfrmOutStateSeqError)
ns hosta ping -c 4 -i 0.2 -W 1 10.2.0.77 >/dev/null 2>&1
a=$(stat_of gwa XfrmOutStateSeqError)
[ "$a" -ge $((b + 2)) ] || fail "XfrmOutStateSeqError $b -> $a after the sequence space ran out"
ux gwa xfrm state get src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x7777 | grep -q "oseq 0xffffffff" \
	|| fail "oseq did not stop at 0xffffffff"
note "sequence space exhausted: XfrmOutStateSeqError $b -> $a, oseq stays 0xffffffff"

# Lifetimes: a state with a 1 s soft and 2 s hard limit raises a soft
# expire, then goes (monitor shows both).
bg gwa timeout 8 "$UIPSEC" --control "$(ctl_of gwa)" xfrm monitor >"$GW_RUN/expire.txt"
mon=$BG_PID
sleep 0.3
ux gwa xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x8008 reqid 8 mode tunnel \
	aead 'rfc4106(gcm(aes))' "$(hexkey 8 20)" 128 limit time-soft 1 limit time-hard 2 \
	|| fail "state with lifetimes"
ux gwa xfrm state get src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x8008 >/dev/null || fail "state 0x8008 missing"
sleep 3.5
ux gwa xfrm state get src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x8008 >/dev/null 2>&1 \
	&& fail "state 0x8008 outlived its hard lifetime"
kill $mon 2>/dev/null; wait $mon 2>/dev/null
grep -q "^Expired src 192.0.2.1 dst 192.0.2.2" "$GW_RUN/expire.txt" || fail "no expire event"
grep -q "hard 0" "$GW_RUN/expire.txt" && grep -q "hard 1" "$GW_RUN/expire.txt" \
	|| fail "expected a soft and a hard expire"
note "lifetimes: soft and hard expire seen, state removed"
ping_ok 4 2 || fail "tunnel after the expiry"
echo PASS
