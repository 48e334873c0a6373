#!/usr/bin/env bash
# Least privilege by default (issue 15, src/cmd/uipsecd/sandbox.c): after
# start-up uipsecd runs as the user uipsec with CAP_NET_ADMIN only (none
# with --no-routes), empty bounding and ambient sets, no_new_privs,
# non-dumpable and a seccomp filter; the tunnel still works. A call
# outside the allow-list kills it with SIGSYS after a log line; unlink
# fails with EPERM. Signals from a process of the user it runs as (another
# "nobody") are ignored and logged; root's are obeyed. A process of the
# same uid cannot ptrace it.
source "$(dirname "$0")/lib.sh"
gw_lib_init
getent passwd uipsec >/dev/null || { echo "SKIP: no user uipsec (scripts/deps.sh creates it)"; exit 77; }
command -v setpriv >/dev/null || { echo "SKIP: no setpriv"; exit 77; }
UID_U=$(id -u uipsec)

status_of() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

gw_start gwa
gw_start gwb --no-routes
pa=${GW_PID[gwa]} pb=${GW_PID[gwb]}

# gwa: the default. Uid, capabilities, no_new_privs, seccomp mode 2 (filter).
[ "$(status_of "$pa" Uid)" = "$UID_U" ] || fail "gwa runs as uid $(status_of "$pa" Uid), want uipsec ($UID_U)"
[ "$(status_of "$pa" CapEff)" = 0000000000001000 ] || fail "gwa CapEff $(status_of "$pa" CapEff)"
[ "$(status_of "$pa" CapPrm)" = 0000000000001000 ] || fail "gwa CapPrm $(status_of "$pa" CapPrm)"
[ "$(status_of "$pa" CapInh)" = 0000000000000000 ] || fail "gwa CapInh $(status_of "$pa" CapInh)"
[ "$(status_of "$pa" CapBnd)" = 0000000000000000 ] || fail "gwa CapBnd $(status_of "$pa" CapBnd)"
[ "$(status_of "$pa" CapAmb)" = 0000000000000000 ] || fail "gwa CapAmb $(status_of "$pa" CapAmb)"
[ "$(status_of "$pa" NoNewPrivs)" = 1 ] || fail "gwa NoNewPrivs $(status_of "$pa" NoNewPrivs)"
[ "$(status_of "$pa" Seccomp)" = 2 ] || fail "gwa Seccomp $(status_of "$pa" Seccomp)"
grep -q "sandbox: uipsec (uid $UID_U .*capabilities: CAP_NET_ADMIN (routes); no_new_privs; seccomp allow-list (kill)" \
	"$GW_RUN/gwa.log" || fail "no sandbox line: $(grep sandbox "$GW_RUN/gwa.log")"
note "gwa: $(grep -o 'sandbox: .*' "$GW_RUN/gwa.log")"
# gwb: --no-routes keeps no capability at all
[ "$(status_of "$pb" CapEff)" = 0000000000000000 ] || fail "gwb CapEff $(status_of "$pb" CapEff)"
[ "$(status_of "$pb" CapPrm)" = 0000000000000000 ] || fail "gwb CapPrm $(status_of "$pb" CapPrm)"

# The tunnel works through all of it (routes added by the dropped gwa).
gw_tunnel gcm128 udp 4 4
ns gwb ip route add 10.1.0.0/24 dev ipsec0
ping_ok 4 3 || fail "ping through the sandboxed daemons"
ux gwa xfrm state list >/dev/null || fail "control socket after the drop"

# Signals: a uipsec-uid process may send them (kill(2) allows it), the
# daemon ignores them; root's HUP reloads.
ns gwa setpriv --reuid uipsec --regid uipsec --clear-groups kill -HUP "$pa" || fail "kill as uipsec refused by the kernel?"
ns gwa setpriv --reuid uipsec --regid uipsec --clear-groups kill -TERM "$pa"
sleep 0.3
kill -0 "$pa" || fail "a SIGTERM from uid uipsec stopped the daemon"
grep -q "ignoring Hangup from pid [0-9]* uid $UID_U" "$GW_RUN/gwa.log" || fail "ignored HUP not logged"
grep -q "reloading" "$GW_RUN/gwa.log" && fail "a HUP from uid uipsec reloaded"
kill -HUP "$pa"
sleep 0.3
grep -q "SIGHUP: reloading" "$GW_RUN/gwa.log" || fail "root's HUP did not reload"
note "signals: uid uipsec ignored, root obeyed"

# Same-uid ptrace is refused (non-dumpable).
out=$(ns gwa setpriv --reuid uipsec --regid uipsec --clear-groups /usr/bin/python3 -c '
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
r = libc.ptrace(16, int(sys.argv[1]), 0, 0)   # PTRACE_ATTACH
print(r, ctypes.get_errno())' "$pa")
[ "${out%% *}" = -1 ] || fail "ptrace by uid uipsec: $out"
note "ptrace attach as uid uipsec: refused (errno ${out##* })"

# The filter: forbidden calls after the sandbox.
selftest() { # selftest WHAT WANT-STATUS
	local rc
	ns hosta "$UIPSECD" --foreground --control "$GW_RUN/st.sock" --tun ipsec8 -c "$GW_RUN/empty.conf" \
		--no-routes --sandbox-selftest "$1" >"$GW_RUN/st.log" 2>&1
	rc=$?
	[ "$rc" = "$2" ] || fail "selftest $1: exit $rc, want $2: $(tail -3 "$GW_RUN/st.log")"
}
selftest exec 159
grep -q "seccomp: system call 59 is not on the allow-list" "$GW_RUN/st.log" || fail "no seccomp line for execve: $(tail -2 "$GW_RUN/st.log")"
note "execve: $(grep -o 'seccomp: .*allow-list' "$GW_RUN/st.log"), killed by SIGSYS"
selftest socket-raw 159
selftest open-write 159
selftest unlink 0
grep -q "unlink .* refused: Operation not permitted" "$GW_RUN/st.log" || fail "unlink not refused with EPERM"
# --seccomp off: no filter, the call is made (exec would replace the daemon)
ns hosta "$UIPSECD" --foreground --control "$GW_RUN/st.sock" --tun ipsec8 -c "$GW_RUN/empty.conf" \
	--no-routes --seccomp off --sandbox-selftest open-write >"$GW_RUN/st.log" 2>&1 && fail "open for writing refused without a filter"
grep -q "seccomp off" "$GW_RUN/st.log" || fail "--seccomp off not said"
note "filter: execve, AF_PACKET, open for writing killed; unlink EPERM; off: allowed"

# --user root: uid 0 stays, capabilities do not
gw_stop gwb
gw_start gwb --user root
pb=${GW_PID[gwb]}
[ "$(status_of "$pb" Uid)" = 0 ] && [ "$(status_of "$pb" CapEff)" = 0000000000001000 ] ||
	fail "--user root: uid $(status_of "$pb" Uid) CapEff $(status_of "$pb" CapEff)"
# a user that does not exist is an error
out=$(ns gwb "$UIPSECD" --foreground --control "$GW_RUN/x.sock" --tun ipsec7 --user no-such-user-here 2>&1) \
	&& fail "--user of a missing user started"
echo "$out" | grep -q "no such user" || fail "unclear: $out"
echo PASS
