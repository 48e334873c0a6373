#!/usr/bin/env bash
# Rootless operation (issue 15, docs/containers.md): on gwa, uipsec-launch
# (as root, like a container runtime or an init container) creates the TUN
# device with a route through it and binds UDP 500 and 4500, then gives up
# every privilege and execs uipsecd as uid 4242, which has no passwd entry,
# owns nothing but its own directory, and holds no capability in any set
# (effective, permitted, inheritable, ambient, bounding), with no_new_privs
# and the seccomp filter: no privilege at all, in any namespace. No raw ESP
# socket: ESP goes in UDP 4500 (encap = yes). gwb runs a normal uipsecd.
# The tunnel must come up and carry pings both ways; the launched daemon
# says once that routes are left to whoever set up the namespace.
export TOPO_PREFIX=rl$$
source "$(dirname "$0")/ike_lib.sh"
ike_lib_init uipsec-rootless uipsec
[ -x "$BUILD/uipsec-launch" ] || { echo "SKIP: no uipsec-launch"; exit 77; }
topo_up || { echo "FAIL: topology"; exit 1; }
RUID=4242
PSK=$(psk_random)
write_conf "$W/gwa" 192.0.2.1 192.0.2.2 gwa.example.org gwb.example.org 10.1.0.0/24 10.2.0.0/24 \
	aes256gcm16-prfsha256-x25519 aes128gcm16 "$PSK" "encap = yes"
write_conf "$W/gwb" 192.0.2.2 192.0.2.1 gwb.example.org gwa.example.org 10.2.0.0/24 10.1.0.0/24 \
	aes256gcm16-prfsha256-x25519 aes128gcm16 "$PSK" "encap = yes"
chmod 711 "$W"
chown -R $RUID:$RUID "$W/gwa"
chmod 600 "$W/gwa/swanctl.conf"

CASE=rootless
UIPSECD_ARGS="" uipsecd_start gwb || fail "gwb did not start"
ip netns exec "$(topo_name gwa)" "$BUILD/uipsec-launch" --tun ipsec0 --route 10.2.0.0/24 \
	--user $RUID:$RUID -- "$BUILD/uipsecd" --foreground -c "$W/gwa/swanctl.conf" \
	--control "$W/gwa/ctl" >"$W/gwa/uipsecd.log" 2>&1 &
track gwa $!
for _ in $(seq 50); do [ -S "$W/gwa/ctl" ] && break; sleep 0.1; done
[ -S "$W/gwa/ctl" ] || fail "the launched uipsecd did not start"
pid=${IKE_PID[gwa]}
st() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$pid/status"; }
[ "$(st Uid)" = $RUID ] || fail "runs as uid $(st Uid)"
for k in CapEff CapPrm CapInh CapAmb CapBnd; do
	[ "$(st $k)" = 0000000000000000 ] || fail "$k $(st $k)"
done
[ "$(st NoNewPrivs)" = 1 ] || fail "NoNewPrivs $(st NoNewPrivs)"
[ "$(st Seccomp)" = 2 ] || fail "Seccomp $(st Seccomp)"
tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "^$BUILD/uipsecd" || fail "pid $pid is not uipsecd"
echo "ok: uipsecd pid $pid: uid $(st Uid), no capability in any set, no_new_privs, seccomp"
grep -q "left to whoever set up the network namespace" "$W/gwa/uipsecd.log" || fail "routes: not said"
grep -q "no raw ESP socket" "$W/gwa/uipsecd.log" || fail "raw ESP: not said"
ns gwa ip route show dev ipsec0 | grep -q 10.2.0.0/24 || fail "the launcher's route is missing"

# The control socket is the launched daemon's own (uid 4242, 0600): root
# talks to it, as does uid 4242; nobody else.
[ "$(stat -c %u:%a "$W/gwa/ctl")" = "$RUID:600" ] || fail "control socket $(stat -c %u:%a "$W/gwa/ctl")"
u gwa initiate --child net >/dev/null || fail "initiate refused"
established || fail "not established"
u gwa list-sas | grep -q "TUNNEL-in-UDP" || fail "ESP not in UDP"
ping4_through || fail "no ping through the tunnel of the unprivileged daemon"
echo "ok: IKE up, pings both ways through the rootless gwa"
# SIGTERM from its own uid stops it (it was started as that uid)
ns gwa setpriv --reuid $RUID --regid $RUID --clear-groups kill -TERM "$pid"
for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "SIGTERM from uid $RUID ignored"
grep -q "stopped" "$W/gwa/uipsecd.log" || fail "no clean stop"
ns gwa ip link show ipsec0 >/dev/null 2>&1 && fail "TUN device left behind"
finish
