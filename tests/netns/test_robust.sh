#!/usr/bin/env bash
# Garbage from the network: 100,000 random datagrams to gwb's UDP 4500 and
# 100,000 to its raw ESP socket (a quarter of them carrying the SPI of a
# real state, so they reach the ICV check). The daemon must survive, its
# memory stay flat, the drops be counted, and the tunnel carry traffic
# afterwards.
source "$(dirname "$0")/lib.sh"
gw_lib_init
N=${FLOOD_PACKETS:-100000}

gw_start gwa
gw_start gwb
gw_tunnel gcm128 udp 4 4
ping_ok 4 2 || fail "tunnel before the flood"
# raw-ESP states too, so that the raw socket's garbage meets real SPIs
for n in gwa gwb; do
	ux $n xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x5001 reqid 5 mode tunnel \
		aead 'rfc4106(gcm(aes))' "$(hexkey f 20)" 128 || fail "raw state on $n"
done

rss() { awk '/VmRSS/ { print $2 }' "/proc/${GW_PID[gwb]}/status"; }
rss0=$(rss)
b_nostate=$(stat_of gwb XfrmInNoStates)
b_proto=$(stat_of gwb XfrmInStateProtoError)
t0=$(date +%s)
ns gwa $PY - "$N" <<'PY'
import random, socket, sys
n = int(sys.argv[1])
rnd = random.Random(20261127)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50)
for i in range(n):
    for s, spi, dst in ((u, 0x1001, ("192.0.2.2", 4500)), (r, 0x5001, ("192.0.2.2", 0))):
        ln = rnd.choice((0, 1, 3, 4, 7, 8, 9, 16, 24, 40, 64)) if i % 3 else rnd.randrange(0, 1480)
        b = bytearray(rnd.randbytes(ln))
        if ln >= 8 and i % 4 == 0:
            b[0:4] = spi.to_bytes(4, "big")
        try:
            s.sendto(bytes(b), dst)
        except OSError:
            pass
PY
note "sent $N datagrams to UDP 4500 and $N to raw ESP in $(( $(date +%s) - t0 )) s"
sleep 1
kill -0 "${GW_PID[gwb]}" 2>/dev/null || { tail "$GW_RUN/gwb.log" >&2; fail "uipsecd on gwb died"; }
rss1=$(rss)
note "gwb RSS ${rss0} kB -> ${rss1} kB"
[ $((rss1 - rss0)) -lt 20000 ] || fail "gwb grew by $((rss1 - rss0)) kB"
ux gwb stats | grep -E "XfrmIn(HdrError|NoStates|StateProtoError|StateSeqError|StateMismatch)" | sed 's/^/    /'
[ "$(stat_of gwb XfrmInNoStates)" -gt "$b_nostate" ] || fail "no XfrmInNoStates counted"
[ "$(stat_of gwb XfrmInStateProtoError)" -gt "$b_proto" ] || fail "no XfrmInStateProtoError counted"
ping_ok 4 3 || fail "tunnel after the flood"

# A listing larger than one VICI packet (512 KiB) comes in several.
note "adding 2200 states"
for i in $(seq 2200); do
	echo "state add src 192.0.2.1 dst 192.0.2.2 proto esp spi $((0x100000 + i)) reqid 3 mode tunnel aead rfc4106(gcm(aes)) $(hexkey 3 20) 128"
done | while read -r line; do
	# shellcheck disable=SC2086
	ux gwb xfrm $line || exit 1
done || fail "adding many states"
bytes=$(ux gwb -k xfrm state list | wc -c)
n=$(ux gwb -k xfrm state list | grep -c "^src 192.0.2.1 dst 192.0.2.2")
note "xfrm state list: $n states, $bytes bytes"
[ "$n" -ge 2200 ] || fail "listing shows $n of 2200+ states"
[ "$bytes" -gt 524288 ] || fail "listing only $bytes bytes: not a multi-packet answer"
echo PASS
