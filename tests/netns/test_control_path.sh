#!/usr/bin/env bash
# --control PATH (issue 15 item 3): uipsecd replaces only a stale socket
# (a socket file nobody answers on). A regular file, a symbolic link or a
# directory at PATH, and a socket a live daemon answers on, make it refuse
# to start with a message, leaving what is there untouched. At a clean
# stop it removes its own socket only.
source "$(dirname "$0")/lib.sh"
gw_lib_init

start_fails() { # start_fails PATH EXPECTED-MESSAGE: uipsecd must refuse PATH
	local out
	out=$(ns gwa "$UIPSECD" --foreground --control "$1" -c "$GW_RUN/empty.conf" 2>&1) \
		&& fail "uipsecd started on $1"
	echo "$out" | grep -q "$2" || fail "unclear message for $1: $out"
	note "refused: $(echo "$out" | grep -m1 "$2")"
}

# A regular file (think --control /etc/passwd): kept, byte for byte.
echo "precious" >"$GW_RUN/file"
start_fails "$GW_RUN/file" "not a socket"
[ "$(cat "$GW_RUN/file")" = precious ] || fail "the regular file was changed"

# A symbolic link to a regular file: neither is touched.
ln -s "$GW_RUN/file" "$GW_RUN/link"
start_fails "$GW_RUN/link" "not a socket"
[ -L "$GW_RUN/link" ] && [ "$(cat "$GW_RUN/file")" = precious ] || fail "the link or its file was changed"

# A directory.
mkdir "$GW_RUN/dir"
start_fails "$GW_RUN/dir" "not a socket"
[ -d "$GW_RUN/dir" ] || fail "the directory went"

# A live daemon's socket: refused, the first daemon keeps serving.
gw_start gwa
ns hosta "$UIPSECD" --foreground --control "$(ctl_of gwa)" --tun ipsec9 -c "$GW_RUN/empty.conf" \
	>"$GW_RUN/second.log" 2>&1 && fail "a second daemon started on a live socket"
grep -q "another uipsecd is already running on control socket" "$GW_RUN/second.log" ||
	fail "unclear message: $(cat "$GW_RUN/second.log")"
ux gwa stats >/dev/null || fail "the first daemon lost its socket"
note "live socket: refused, first daemon still answers"

# A stale socket (its daemon killed hard): removed, the new daemon starts.
kill -9 "${GW_PID[gwa]}"; wait "${GW_PID[gwa]}" 2>/dev/null; unset "GW_PID[gwa]"
[ -S "$(ctl_of gwa)" ] || fail "expected a stale socket file"
gw_start gwa
grep -q "removed stale control socket" "$GW_RUN/gwa.log" || fail "stale socket not reported"
note "stale socket replaced"

# A start that fails after the socket is bound (the TUN name is taken)
# removes only its own socket.
out=$(ns gwa "$UIPSECD" --foreground --control "$GW_RUN/other.sock" -c "$GW_RUN/empty.conf" 2>&1) \
	&& fail "second daemon with TUN ipsec0 started"
[ -e "$GW_RUN/other.sock" ] && fail "failed daemon left its socket behind"

# A clean stop removes the socket it bound; a file put in its place
# meanwhile would stay (checked through the same inode test).
gw_stop gwa
[ -e "$(ctl_of gwa)" ] && note "socket left after stop (privileges dropped; next start replaces it)"
echo PASS
