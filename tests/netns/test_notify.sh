#!/usr/bin/env bash
# uipsecd under a real notify socket, as systemd runs it (Type=notify):
# READY=1 only once the configuration is loaded and the sockets are open
# (checked at that moment by tests/tools/sd_listen.py: the log says the
# connection is loaded, the control socket accepts, UDP 500 is bound,
# list-conns lists the connection),
# STATUS= with the SA counts, WATCHDOG=1 at half of WATCHDOG_USEC (and
# none when WATCHDOG_PID names another process), RELOADING=1 then READY=1
# on SIGHUP (a broken file keeps what runs and says so in STATUS=),
# STOPPING=1 on SIGTERM, an abstract socket name, and no READY=1 when the
# start fails. Then bash completion against the running daemon.
# One private network namespace (unshare), about 10 seconds.
set -uo pipefail
: "${UIPSEC_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${UIPSEC_BUILD:=$UIPSEC_SRC/build}"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -x "$UIPSEC_BUILD/uipsecd" ] || { echo "SKIP: build uipsecd first"; exit 77; }
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
if [ -z "${UIPSEC_IN_NS:-}" ]; then
	exec unshare --net -- env UIPSEC_IN_NS=1 bash "$0" "$@"
fi
ip link set lo up

UIPSECD=$UIPSEC_BUILD/uipsecd
UIPSEC=$UIPSEC_BUILD/uipsec
PY=/usr/bin/python3
W=$(mktemp -d /tmp/uipsec-notify.XXXXXX)
DPID= LPID=
cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null
	[ -n "$LPID" ] && kill "$LPID" 2>/dev/null
	wait 2>/dev/null
	if [ "${KEEP_LOGS:-0}" = 1 ]; then echo "logs in $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	echo "--- events"; cat "$W/events" 2>/dev/null
	echo "--- uipsecd log"; tail -n 20 "$W/uipsecd.log" 2>/dev/null
	exit 1
}

conn() {   # NAME: a connection that loads (nothing starts it)
	cat <<-EOF
	    $1 {
	        local_addrs = 192.0.2.1
	        remote_addrs = 192.0.2.2
	        local { auth = psk
	            id = a.example.org }
	        remote { auth = psk
	            id = b.example.org }
	        children { $1-net { local_ts = 10.1.0.0/24
	            remote_ts = 10.2.0.0/24 } }
	    }
	EOF
}
secret='secrets { ike-1 { id = b.example.org
    secret = 0x0123456789abcdef0123456789abcdef } }'
{ echo "connections {"; conn gw; echo "}"; echo "$secret"; } >"$W/swanctl.conf"
: >"$W/uipsecd.conf"
# uipsecd rereads the files as the user it dropped to (uipsec)
chmod 711 "$W"

listen() {   # NOTIFY_ADDR: a fresh listener writing $W/events
	: >"$W/events"
	$PY "$UIPSEC_SRC/tests/tools/sd_listen.py" --notify "$1" --events "$W/events" \
		--ready-check "$W/ctl" "$UIPSEC" gw --ready-log "$W/uipsecd.log" "loaded 1 connection" \
		>"$W/listen.out" 2>&1 &
	LPID=$!
	for _ in $(seq 50); do grep -q listening "$W/listen.out" && return 0; sleep 0.1; done
	fail "sd_listen.py did not start: $(cat "$W/listen.out")"
}
# the notify messages as one line each (newlines inside shown as |)
notes() { $PY -c 'import json,sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["src"] == "notify": print(e["msg"].replace("\n", "|"))
    elif e["src"] == "ready-check": print("CHECK", e["ok"], e["why"])' "$W/events"; }
count() { notes | grep -c -- "$1"; }
wait_count() {   # N PATTERN [TENTHS]: until PATTERN is seen N times
	for _ in $(seq "${3:-50}"); do [ "$(count "$2")" -ge "$1" ] && return 0; sleep 0.1; done
	return 1
}
start() {   # ENV... -- start uipsecd with these extra environment words
	env "$@" "$UIPSECD" --foreground -c "$W/swanctl.conf" --control "$W/ctl" \
		--settings "$W/uipsecd.conf" >"$W/uipsecd.log" 2>&1 &
	DPID=$!
}
stop_daemon() {
	kill -TERM "$DPID"
	wait "$DPID"
	RC=$?
	DPID=
}

# ---- start: READY=1 after configuration and sockets, with STATUS=
listen "$W/notify"
start NOTIFY_SOCKET="$W/notify" WATCHDOG_USEC=200000
wait_count 1 "^READY=1" || fail "no READY=1"
notes | grep -q "^CHECK True" || fail "at READY=1: $(notes | grep CHECK)"
# the status travels in READY=1's own datagram: the connection was loaded
# when READY=1 was written, whatever the timing
notes | grep -q "^READY=1|STATUS=0 IKE_SAs, 0 CHILD_SAs, 1 connection$" ||
	fail "READY=1 without STATUS= of the loaded connection"
[ "$(count '^READY=1')" = 1 ] || fail "more than one READY=1"
grep -q "loaded 1 connection from" "$W/uipsecd.log" || fail "connection not loaded"
echo "--- READY=1 after load and bind: $(notes | grep CHECK)"

# ---- WATCHDOG=1 every 100 ms (half of 200 ms), from the loop
sleep 1.2
n=$(count "^WATCHDOG=1$")
[ "$n" -ge 6 ] && [ "$n" -le 16 ] || fail "$n WATCHDOG=1 in 1.2 s (want about 12)"
echo "--- $n WATCHDOG=1 in 1.2 s"

# ---- SIGHUP: RELOADING=1 (with MONOTONIC_USEC), the new file, READY=1
{ echo "connections {"; conn gw; conn second; echo "}"; echo "$secret"; } >"$W/swanctl.conf"
kill -HUP "$DPID"
wait_count 2 "^READY=1" || fail "no READY=1 after SIGHUP"
notes | grep "^READY=1" | sed -n 2p | grep -q "STATUS=0 IKE_SAs, 0 CHILD_SAs, 2 connections$" ||
	fail "READY=1 after the reload does not count 2 connections"
notes | grep -q "^RELOADING=1|MONOTONIC_USEC=[0-9]*$" || fail "no RELOADING=1 with MONOTONIC_USEC"
[ "$(notes | grep -n "RELOADING=1" | head -1 | cut -d: -f1)" -lt \
  "$(notes | grep -n "^READY=1" | sed -n 2p | cut -d: -f1)" ] || fail "READY=1 before RELOADING=1"
"$UIPSEC" --control "$W/ctl" list-conns | grep -q "^second:" || fail "reload did not load 'second'"
echo "--- SIGHUP: RELOADING=1, READY=1, 'second' loaded"

# ---- a broken reload keeps what runs and says so
echo "connections { broken { bogus_option = 1 } }" >"$W/swanctl.conf"
kill -HUP "$DPID"
wait_count 3 "^READY=1" || fail "no READY=1 after the broken reload"
notes | grep "^READY=1" | tail -1 | grep -q "the last reload failed" ||
	fail "STATUS= does not say the reload failed"
kill -0 "$DPID" 2>/dev/null || fail "uipsecd died on a broken reload"
"$UIPSEC" --control "$W/ctl" list-conns | grep -q "^gw:" || fail "broken reload unloaded gw"
echo "--- broken reload: still serving, STATUS= says so"

# ---- completion against the running daemon
(
	# shellcheck source=../../dist/uipsec.bash-completion
	source "$UIPSEC_SRC/dist/uipsec.bash-completion"
	PATH=$UIPSEC_BUILD:$PATH
	COMP_WORDS=(uipsec --control "$W/ctl" initiate --ike "")
	COMP_CWORD=5
	_uipsec
	got=$(printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ')
	[ "$got" = "gw second " ] || { echo "completion: '$got'"; exit 1; }
	COMP_WORDS=(uipsec --control "$W/ctl" terminate --child s)
	_uipsec
	[ "${COMPREPLY[*]}" = "second-net" ] || { echo "completion: '${COMPREPLY[*]}'"; exit 1; }
) || fail "bash completion of the daemon's names"
echo "--- completion: the daemon's connection and child names"

# ---- SIGTERM: STOPPING=1, clean exit
stop_daemon
[ "$RC" = 0 ] || fail "uipsecd exited $RC on SIGTERM"
wait_count 1 "^STOPPING=1$" 10 || fail "no STOPPING=1"
grep -q "stopped" "$W/uipsecd.log" || fail "no clean stop logged"
echo "--- SIGTERM: STOPPING=1, exit 0"
kill "$LPID"; wait "$LPID" 2>/dev/null; LPID=

# ---- an abstract socket; WATCHDOG_PID of another process: no pings
{ echo "connections {"; conn gw; echo "}"; echo "$secret"; } >"$W/swanctl.conf"
listen "@uipsec-notify-$$"
start NOTIFY_SOCKET="@uipsec-notify-$$" WATCHDOG_USEC=100000 WATCHDOG_PID=1
wait_count 1 "^READY=1" || fail "no READY=1 on an abstract socket"
sleep 0.5
[ "$(count "^WATCHDOG=1$")" = 0 ] || fail "WATCHDOG=1 although WATCHDOG_PID is another process"
stop_daemon
echo "--- abstract socket: READY=1; another process's watchdog: no pings"
kill "$LPID"; wait "$LPID" 2>/dev/null; LPID=

# ---- a start that fails: no READY=1, exit 1, STATUS= says it failed
echo "connections { broken { bogus_option = 1 } }" >"$W/swanctl.conf"
listen "$W/notify"
start NOTIFY_SOCKET="$W/notify"
wait "$DPID"
RC=$?
DPID=
sleep 0.2
[ "$RC" = 1 ] || fail "a broken configuration exited $RC, not 1"
[ "$(count "^READY=1")" = 0 ] || fail "READY=1 although the start failed"
notes | grep -q "^STATUS=uipsecd failed" || fail "no STATUS= on a failed start"
echo "--- failed start: exit 1, no READY=1, STATUS=uipsecd failed"

echo "PASS: notify protocol"
