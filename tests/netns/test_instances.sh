#!/usr/bin/env bash
# Daemon life cycle: a second daemon on the same TUN name or the same
# control socket fails with a clear message; a stale socket file is
# replaced; --user drops to an unprivileged user keeping only
# CAP_NET_ADMIN (routes still follow policies); --no-routes leaves routing
# alone; SIGTERM removes routes and the TUN device.
source "$(dirname "$0")/lib.sh"
gw_lib_init

gw_start gwa
gw_start gwb --user nobody

# Same TUN name in the same namespace.
out=$(ns gwa "$UIPSECD" --foreground --control "$GW_RUN/other.sock" -c "$GW_RUN/empty.conf" 2>&1) \
	&& fail "second daemon with TUN ipsec0 started"
echo "$out" | grep -q "interface ipsec0 already exists" || fail "unclear message: $out"
note "same TUN: $(echo "$out" | grep ipsec0)"
[ -e "$GW_RUN/other.sock" ] && fail "failed daemon left its socket behind"

# Same control socket from another namespace (another TUN).
out=$(ns hosta "$UIPSECD" --foreground --control "$(ctl_of gwa)" --tun ipsec9 -c "$GW_RUN/empty.conf" 2>&1) \
	&& fail "second daemon on the same control socket started"
echo "$out" | grep -q "another uipsecd is already running on control socket" || fail "unclear message: $out"
note "same socket: $(echo "$out" | grep socket)"
ux gwa stats >/dev/null || fail "first daemon hurt by the second"

# Control socket mode.
[ "$(stat -c %a "$(ctl_of gwa)")" = 600 ] || fail "control socket mode $(stat -c %a "$(ctl_of gwa)")"

# Privilege drop on gwb: uid nobody, only CAP_NET_ADMIN left, and it works.
pid=${GW_PID[gwb]}
uid=$(awk '/^Uid:/ { print $2 }' /proc/$pid/status)
capeff=$(awk '/^CapEff:/ { print $2 }' /proc/$pid/status)
[ "$uid" = "$(id -u nobody)" ] || fail "gwb runs as uid $uid"
[ "$capeff" = 0000000000001000 ] || fail "gwb capabilities $capeff (want CAP_NET_ADMIN only)"
note "gwb: uid $uid CapEff $capeff"
gw_tunnel gcm128 raw 4 4
ns gwb ip route show table all dev ipsec0 | grep -q 10.1.0.0/24 || fail "unprivileged gwb did not add its route"
ping_ok 4 2 || fail "ping with an unprivileged gwb"
ux gwb xfrm policy flush || fail "policy flush"
ns gwb ip route show table all dev ipsec0 | grep -q 10.1.0.0/24 && fail "route stayed after policy flush"
gw_tunnel gcm128 raw 4 4
ping_ok 4 2 || fail "ping after re-adding policies"

# Clean shutdown: routes and TUN go, keys with the process.
gw_stop gwa
ns gwa ip link show ipsec0 >/dev/null 2>&1 && fail "ipsec0 left behind on gwa"
ns gwa ip route show table all | grep -q 10.2.0.0/24 && fail "route left behind on gwa"
ns gwa ip rule show | grep -q "lookup 220" && fail "rule left behind on gwa"
grep -q "stopped" "$GW_RUN/gwa.log" || fail "gwa did not log a clean stop"
note "gwa stopped: TUN and routes gone"

# Stale socket: kill gwb hard, its socket file stays; a new daemon replaces it.
kill -9 "${GW_PID[gwb]}"; wait "${GW_PID[gwb]}" 2>/dev/null; unset "GW_PID[gwb]"
[ -S "$(ctl_of gwb)" ] || fail "expected a stale socket file"
gw_start gwb --no-routes
grep -q "removed stale control socket" "$GW_RUN/gwb.log" || fail "stale socket not reported"
gw_start gwa
gw_tunnel gcm128 raw 4 4
ns gwb ip route show table 220 | grep -q "10.1.0.0/24 dev ipsec0" && fail "--no-routes added a route"
ns gwb ip route add 10.1.0.0/24 dev ipsec0
ping_ok 4 2 || fail "ping with routes set by hand"
note "stale socket replaced; --no-routes honoured"
echo PASS
