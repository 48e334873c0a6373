#!/usr/bin/env bash
# The Debian package, end to end: dpkg-buildpackage -us -uc -b of this
# tree (scripts/build_deb.sh, nocheck: make check runs the unit tests),
# then, in a throwaway root (an overlay of / in private mount, network and
# PID namespaces: nothing reaches the host's files, network or processes):
#   dpkg -i        the uipsec system user and group, /etc/uipsec's modes
#                  (swanctl.conf root:uipsec 0640, private folders 0750),
#                  conffiles, the unit enabled, man pages found by man;
#                  systemd-analyze verify of the installed unit;
#   the service    its ExecStart= as the unit has it (--foreground
#                  --log-target journal --user uipsec) under a notify
#                  socket and a journal socket of our own
#                  (tests/tools/sd_listen.py): READY=1 with the site's
#                  connection loaded, uipsec stats and list-conns on the
#                  default socket, privileges dropped to uipsec (seccomp
#                  on), its ExecReload= (RELOADING=1, READY=1, swanctl.conf
#                  reread as uipsec), SIGTERM (STOPPING=1, exit 0);
#   dpkg -r, -P    the files gone (conffiles stay until the purge), then
#                  /etc/uipsec, the user, the group and the unit's links.
# About half a minute, most of it the build. Exit 77 without root,
# debhelper or overlayfs.
set -uo pipefail
: "${UIPSEC_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null ||
	{ echo "SKIP: needs dpkg-dev and debhelper (scripts/deps.sh installs them)"; exit 77; }
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
PY=/usr/bin/python3

if [ -z "${UIPSEC_DEB_STAGE:-}" ]; then
	W=$(mktemp -d /tmp/uipsec-deb.XXXXXX)
	trap '[ "${KEEP_LOGS:-0}" = 1 ] && echo "logs in $W" || rm -rf "$W"' EXIT
	echo "--- building the package"
	t0=$(date +%s)
	if ! DEB_BUILD_OPTIONS=nocheck JOBS=${JOBS:-2} "$UIPSEC_SRC/scripts/build_deb.sh" "$W/deb" \
		>"$W/build.log" 2>&1; then
		tail -n 30 "$W/build.log"
		echo "FAIL: dpkg-buildpackage"
		exit 1
	fi
	echo "--- built in $(($(date +%s) - t0)) s: $(cd "$W/deb" && ls ./*.deb | tr '\n' ' ')"
	# the rest as PID 1 of its own namespaces: everything it starts dies with it
	UIPSEC_DEB_STAGE=$W unshare --mount --net --pid --fork --mount-proc --propagation private \
		bash "$0"
	exit $?
fi

W=$UIPSEC_DEB_STAGE
R=$W/root
fail() { echo "FAIL: $*"; [ -f "$R/run/uipsecd.log" ] && tail -n 15 "$R/run/uipsecd.log"; exit 1; }
ip link set lo up

# ---- a root of our own: / underneath, every write into a tmpfs
mkdir -p "$W/ovl"
mount -t tmpfs tmpfs "$W/ovl" || fail "tmpfs"
mkdir -p "$W/ovl/up" "$W/ovl/work" "$R"
mount -t overlay overlay -o "lowerdir=/,upperdir=$W/ovl/up,workdir=$W/ovl/work" "$R" ||
	{ echo "SKIP: cannot mount an overlay of / (overlayfs)"; exit 77; }
mount --rbind /dev "$R/dev"
mount -t proc proc "$R/proc"
mount --rbind /sys "$R/sys"
mount -t tmpfs tmpfs "$R/run"
mount -t tmpfs tmpfs "$R/tmp"
cp "$W"/deb/uipsec_*_*.deb "$R/tmp/"
cp "$UIPSEC_SRC/tests/tools/sd_listen.py" "$R/tmp/"
in_root() { chroot "$R" "$@"; }
deb=$(cd "$R/tmp" && ls uipsec_*_*.deb | grep -v dbgsym | head -1)

in_root dpkg -s uipsec >/dev/null 2>&1 && { echo "SKIP: uipsec is installed on this host"; exit 77; }
# a uipsec user the host has (another test's --user uipsec) goes, in this
# root only, so that postinst's adduser is what creates it
if in_root getent passwd uipsec >/dev/null; then
	in_root deluser --system --quiet uipsec >/dev/null 2>&1
	in_root getent group uipsec >/dev/null && in_root delgroup --system --quiet uipsec >/dev/null 2>&1
	in_root getent passwd uipsec >/dev/null && fail "cannot remove the host's uipsec user in the overlay"
fi

# ---- dpkg -i
echo "--- dpkg -i $deb"
in_root env DEBIAN_FRONTEND=noninteractive dpkg -i "/tmp/$deb" >"$W/install.log" 2>&1 ||
	{ cat "$W/install.log"; fail "dpkg -i"; }
in_root dpkg -L uipsec >"$W/files"
uid=$(in_root id -u uipsec) || fail "no uipsec user"
in_root getent passwd uipsec | grep -q ":uipsec VPN daemon" || fail "uipsec was not created by postinst"
[ "$uid" -lt 1000 ] || fail "uipsec is not a system user (uid $uid)"
in_root getent group uipsec >/dev/null || fail "no uipsec group"
[ "$(in_root stat -c '%U:%G %a' "/etc/uipsec/swanctl.conf")" = "root:uipsec 640" ] ||
	fail "swanctl.conf is $(in_root stat -c '%U:%G %a' "/etc/uipsec/swanctl.conf")"
for d in private rsa ecdsa pkcs8; do
	[ "$(in_root stat -c '%U:%G %a' "/etc/uipsec/$d")" = "root:uipsec 750" ] ||
		fail "/etc/uipsec/$d is $(in_root stat -c '%U:%G %a' "/etc/uipsec/$d")"
done
[ "$(stat -c %a "$R/etc/uipsec/x509ca")" = 755 ] || fail "x509ca mode"
in_root dpkg-query -W -f='${Conffiles}\n' uipsec | grep -q "/etc/uipsec/swanctl.conf" ||
	fail "swanctl.conf is not a conffile"
in_root dpkg-query -W -f='${Conffiles}\n' uipsec | grep -q "/etc/uipsec/uipsecd.conf" ||
	fail "uipsecd.conf is not a conffile"
[ -L "$R/etc/systemd/system/multi-user.target.wants/uipsecd.service" ] || fail "the unit is not enabled"
for p in uipsecd uipsec uipsecd.conf; do
	in_root man -w "$p" >/dev/null 2>&1 || fail "man $p: no page"
done
[ -f "$R/usr/share/bash-completion/completions/uipsec" ] || fail "no bash completion"
if command -v systemd-analyze >/dev/null; then
	in_root systemd-analyze verify /lib/systemd/system/uipsecd.service >"$W/verify.log" 2>&1 ||
		{ cat "$W/verify.log"; fail "systemd-analyze verify of the installed unit"; }
fi
echo "--- installed: user uipsec ($uid), /etc/uipsec modes, conffiles, unit enabled, man pages"

# ---- the service, as the unit starts it
cat >"$R/etc/uipsec/swanctl.conf" <<'EOF'
connections {
    site {
        local_addrs = 192.0.2.1
        remote_addrs = 192.0.2.2
        local { auth = psk
            id = gwa.example.org }
        remote { auth = psk
            id = gwb.example.org }
        children { net { local_ts = 10.1.0.0/24
            remote_ts = 10.2.0.0/24 } }
    }
}
secrets { ike-site { id = gwb.example.org
    secret = 0x00112233445566778899aabbccddeeff } }
EOF
unit=$R/lib/systemd/system/uipsecd.service
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
exec_reload=$(sed -n 's/^ExecReload=//p' "$unit")
[ -n "$exec_start" ] && [ -n "$exec_reload" ] || fail "no ExecStart=/ExecReload= in the unit"
in_root /usr/bin/python3 /tmp/sd_listen.py --notify /run/notify \
	--journal /run/systemd/journal/socket --events /run/events >"$W/listen.out" 2>&1 &
LPID=$!
for _ in $(seq 50); do grep -q listening "$W/listen.out" && break; sleep 0.1; done
grep -q listening "$W/listen.out" || fail "sd_listen.py: $(cat "$W/listen.out")"
notes() { $PY -c 'import json,sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["src"] == sys.argv[2]: print(e["msg"].replace("\n", "|"))' "$R/run/events" "$1"; }
wait_note() { for _ in $(seq 50); do [ "$(notes notify | grep -c -- "$2")" -ge "$1" ] && return 0; sleep 0.1; done; return 1; }

echo "--- starting: $exec_start"
# shellcheck disable=SC2086
chroot "$R" env NOTIFY_SOCKET=/run/notify $exec_start >"$R/run/uipsecd.log" 2>&1 &
DPID=$!
wait_note 1 "^READY=1" || fail "no READY=1 from the installed service"
notes notify | grep -q "^READY=1|STATUS=0 IKE_SAs, 0 CHILD_SAs, 1 connection$" ||
	fail "READY=1 without the site's connection: $(notes notify | head -1)"
in_root /usr/sbin/uipsec stats >"$W/stats" 2>&1 || { cat "$W/stats"; fail "uipsec stats"; }
grep -q "XfrmInNoStates" "$W/stats" || fail "uipsec stats: no xfrm_stat counters"
in_root /usr/sbin/uipsec list-conns | grep -q "^site:" || fail "list-conns does not list site"
[ "$(awk '/^Uid:/ { print $2 }' "/proc/$DPID/status")" = "$uid" ] ||
	fail "uipsecd runs as uid $(awk '/^Uid:/ { print $2 }' "/proc/$DPID/status"), not uipsec's"
notes journal | grep -q "^MESSAGE=sandbox: uipsec (uid $uid .*seccomp allow-list.*|SYSLOG_IDENTIFIER=uipsecd|GROUP=DMN|" ||
	fail "the journal has no sandbox entry (uipsec, seccomp) from uipsecd"
echo "--- running: READY=1, uipsec stats and list-conns, uid $uid, journal entries"

MAINPID=$DPID
eval "reload=(${exec_reload//\$MAINPID/$MAINPID})"
"${reload[@]}" || fail "ExecReload= ${reload[*]}"
wait_note 2 "^READY=1" || fail "no READY=1 after ExecReload="
notes notify | grep -q "^RELOADING=1" || fail "no RELOADING=1"
# the reload read swanctl.conf as uipsec: root:uipsec 0640 is enough
notes notify | grep "^READY=1" | sed -n 2p | grep -q "1 connection$" ||
	fail "the reload as uipsec failed: $(notes notify | grep "^READY=1" | sed -n 2p)"
kill -TERM "$DPID"
wait "$DPID"
rc=$?
[ "$rc" = 0 ] || fail "uipsecd exited $rc on SIGTERM"
wait_note 1 "^STOPPING=1" || fail "no STOPPING=1"
kill "$LPID"; wait "$LPID" 2>/dev/null
echo "--- ExecReload=: RELOADING=1, READY=1; SIGTERM: STOPPING=1, exit 0"

# ---- dpkg -r: the files go, the conffiles stay; dpkg -P: everything goes
in_root dpkg -r uipsec >"$W/remove.log" 2>&1 || { cat "$W/remove.log"; fail "dpkg -r"; }
for f in /usr/sbin/uipsecd /usr/sbin/uipsec /usr/sbin/uipsec-launch /lib/systemd/system/uipsecd.service \
         /usr/share/man/man8/uipsecd.8.gz /usr/share/bash-completion/completions/uipsec; do
	[ -e "$R$f" ] && fail "$f left after dpkg -r"
done
[ -f "$R/etc/uipsec/swanctl.conf" ] || fail "dpkg -r removed the conffile swanctl.conf"
in_root dpkg -P uipsec >"$W/purge.log" 2>&1 || { cat "$W/purge.log"; fail "dpkg -P"; }
[ -e "$R/etc/uipsec" ] && fail "/etc/uipsec left after the purge: $(find "$R/etc/uipsec")"
in_root getent passwd uipsec >/dev/null && fail "user uipsec left after the purge"
in_root getent group uipsec >/dev/null && fail "group uipsec left after the purge"
[ -e "$R/etc/systemd/system/multi-user.target.wants/uipsecd.service" ] && fail "unit still enabled"
[ -e "$R/etc/systemd/system/uipsecd.service" ] && fail "unit left masked"
while IFS= read -r f; do
	[ -f "$R$f" ] && fail "$f left after the purge"
done <"$W/files"
in_root dpkg -s uipsec >/dev/null 2>&1 && fail "dpkg still knows uipsec"
echo "--- dpkg -r: files gone, conffiles kept; dpkg -P: /etc/uipsec, user, group, unit links gone"

echo "PASS: Debian package"
