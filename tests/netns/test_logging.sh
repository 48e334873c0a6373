#!/usr/bin/env bash
# uipsecd's log as a charon user reads it, over a real IKEv2 tunnel (gwa
# initiates, gwb responds) in the four-namespace topology, with every
# target at once:
#   stderr    --log-target stderr --debug-ike 2 --debug-knl 0: IKE lines
#             carry [IKE] and <site|N>, IKE debug shows, KNL info does not;
#   a file    uipsecd.conf filelog: time stamps, [IKE1] tags, no context
#             (ike_name = no), level 1 only; SIGHUP with ike = 2 adds the
#             debug lines; a new file logger waits for the next start
#             (the sandbox opens no files); a broken uipsecd.conf keeps
#             the loggers;
#   syslog    syslog(3) to /dev/log: <30> (daemon.info) lines from
#             uipsecd[PID], and an auth logger (default -1, ike 1) with
#             IKE lines only;
#   journal   the native protocol: charon-systemd's GROUP, LEVEL,
#             IKE_SA_NAME, IKE_SA_UNIQUE_ID fields, PRIORITY by severity.
# /dev/log and /run/systemd/journal/socket are this test's own
# (tests/tools/sd_listen.py) in a private mount namespace: /dev gets an
# overlay, /run/systemd a tmpfs; the host's are untouched. About 15 s.
set -u
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
if [ -z "${UIPSEC_IN_MNTNS:-}" ]; then
	exec unshare --mount --propagation private -- env UIPSEC_IN_MNTNS=1 bash "$0" "$@"
fi

TOPO_PREFIX=${TOPO_PREFIX:-lg$$}
# shellcheck source-path=SCRIPTDIR source=ike_lib.sh
source "$(dirname "$0")/ike_lib.sh"
ike_lib_init uipsec-logging uipsec
PY=/usr/bin/python3
# the overlays go before $W does (cleanup removes it)
trap 'stop_all; umount -l /dev "$W/devov" /run/systemd 2>/dev/null; cleanup' EXIT

# ---- our own /dev/log and journal socket
mkdir -p "$W/devov/up" "$W/devov/work"
mount -t tmpfs tmpfs "$W/devov" && mkdir -p "$W/devov/up" "$W/devov/work" &&
	mount -t overlay overlay -o "lowerdir=/dev,upperdir=$W/devov/up,workdir=$W/devov/work" /dev ||
	{ echo "SKIP: cannot overlay /dev (overlayfs)"; exit 77; }
[ -d /run/systemd ] || { echo "SKIP: no /run/systemd to cover"; exit 77; }
mount -t tmpfs tmpfs /run/systemd || { echo "SKIP: cannot mount a tmpfs on /run/systemd"; exit 77; }
$PY "$SRC/tests/tools/sd_listen.py" --syslog /dev/log --journal /run/systemd/journal/socket \
	--events "$W/events" >"$W/listen.out" 2>&1 &
track listener $!
for _ in $(seq 50); do grep -q listening "$W/listen.out" && break; sleep 0.1; done
grep -q listening "$W/listen.out" || { echo "FAIL: sd_listen.py: $(cat "$W/listen.out")"; exit 1; }

# the entries of one source, one per line, for grep (newlines as |)
entries() { $PY -c 'import json,sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["src"] == sys.argv[2]: print(e["msg"].replace("\n", "|"))' "$W/events" "$1"; }

topo_up >/dev/null 2>&1 || { echo "FAIL: topology did not come up"; exit 1; }
PSK=$(psk_random)
write_conf "$W/gwa" 192.0.2.1 192.0.2.2 gwa.example.org gwb.example.org 10.1.0.0/24 10.2.0.0/24 \
	aes256gcm16-prfsha256-x25519 aes256gcm16 "$PSK"
write_conf "$W/gwb" 192.0.2.2 192.0.2.1 gwb.example.org gwa.example.org 10.2.0.0/24 10.1.0.0/24 \
	aes256gcm16-prfsha256-x25519 aes256gcm16 "$PSK"
settings() {   # IKE_LEVEL_OF_THE_FILE: gwa's uipsecd.conf
	cat >"$W/gwa/uipsecd.conf" <<-EOF
	uipsecd {
	    filelog {
	        gwa {
	            path = $W/gwa/file.log
	            time_format = %b %e %T
	            ike_name = no
	            log_level = yes
	            ike = $1
	        }
	    }
	    syslog {
	        auth {
	            default = -1
	            ike = 1
	        }
	    }
	}
	EOF
}
settings 1
: >"$W/gwb/uipsecd.conf"
# uipsecd rereads both files as the user it dropped to (uipsec)
chmod 711 "$W" "$W/gwa" "$W/gwb"
CASE=start
for n in gwa gwb; do
	ip netns exec "$(topo_name "$n")" "$BUILD/uipsecd" -c "$W/$n/swanctl.conf" \
		--control "$W/$n/ctl" --foreground --settings "$W/$n/uipsecd.conf" \
		--log-target stderr,syslog,journal --debug-ike 2 --debug-knl 0 \
		>"$W/$n/uipsecd.log" 2>&1 &
	track "$n" $!
done
for _ in $(seq 50); do [ -S "$W/gwa/ctl" ] && [ -S "$W/gwb/ctl" ] && break; sleep 0.1; done
GWA_PID=${IKE_PID[gwa]}

CASE=tunnel
u gwa initiate --child net >/dev/null || fail "initiate refused"
established || fail "not established"
ping4_through || fail "no ping through the tunnel"
sleep 0.3

CASE=stderr
L=$W/gwa/uipsecd.log
grep -Eq '^uipsecd\[info\]: \[IKE\] <site\|1> [0-9a-f]{16}_i [0-9a-f]{16}_r: IKE_SA established' "$L" ||
	fail "no '[IKE] <site|1> ... IKE_SA established' line"
grep -Eq '^uipsecd\[info\]: \[CHD\] <site\|1> .*CHILD_SA net established' "$L" ||
	fail "CHILD_SA line not under [CHD] with <site|1>"
grep -Eq '^uipsecd\[debug\]: \[IKE\] <site\|1> ' "$L" || fail "no IKE debug lines at --debug-ike 2"
grep -q '\[KNL\]' "$L" && fail "KNL lines at --debug-knl 0 (info is level 1)"
grep -q '\[debug\]: \[DMN\]' "$L" && fail "DMN debug lines at the default level 1"
grep -Eq '^uipsecd\[info\]: \[IKE\] <site\|1> ' "$W/gwb/uipsecd.log" ||
	fail "gwb (responder) has no <site|1> lines"

CASE=file
F=$W/gwa/file.log
grep -Eq '^[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} uipsecd\[info\]: \[IKE1\] [0-9a-f]{16}_i [0-9a-f]{16}_r: IKE_SA established' "$F" ||
	fail "file: no time-stamped '[IKE1] ... IKE_SA established' line"
grep -q '<site|' "$F" && fail "file: context although ike_name = no"
grep -q '\[debug\]' "$F" && fail "file: debug lines at level 1"
grep -q '\[KNL1\] route: 10.2.0.0/24' "$F" || fail "file: the KNL route line (level 1 there)"

CASE=syslog
entries syslog >"$W/syslog.txt"
grep -Eq "^<30>.* uipsecd\[$GWA_PID\]: \[IKE\] <site\|1> .*IKE_SA established" "$W/syslog.txt" ||
	fail "syslog: no daemon.info (<30>) IKE_SA established line from uipsecd[$GWA_PID]"
grep -Eq "^<31>.* uipsecd\[[0-9]+\]: \[IKE\] <site\|1> " "$W/syslog.txt" ||
	fail "syslog: no daemon.debug (<31>) IKE lines"
grep -Eq "^<38>.* uipsecd\[$GWA_PID\]: \[IKE\] <site\|1> .*IKE_SA established" "$W/syslog.txt" ||
	fail "syslog: no auth.info (<38>) line of the auth logger"
grep -E "^<3[2-9]>" "$W/syslog.txt" | grep -vq '\[IKE\]' &&
	fail "syslog: the auth logger wrote other subsystems than ike"

CASE=journal
entries journal >"$W/journal.txt"
grep -Eq '^MESSAGE=<site\|1> [0-9a-f]{16}_i [0-9a-f]{16}_r: IKE_SA established[^|]*\|PRIORITY=6\|SYSLOG_IDENTIFIER=uipsecd\|GROUP=IKE\|LEVEL=1\|IKE_SA_UNIQUE_ID=1\|IKE_SA_NAME=site\|$' "$W/journal.txt" ||
	fail "journal: IKE_SA established without charon-systemd's fields"
grep -Eq '\|PRIORITY=7\|SYSLOG_IDENTIFIER=uipsecd\|GROUP=IKE\|LEVEL=2\|' "$W/journal.txt" ||
	fail "journal: no IKE debug entries (PRIORITY=7, LEVEL=2)"
grep -Eq '\|GROUP=CHD\|LEVEL=1\|IKE_SA_UNIQUE_ID=1\|IKE_SA_NAME=site\|$' "$W/journal.txt" ||
	fail "journal: no CHD entry of the IKE_SA"
grep -q 'GROUP=KNL' "$W/journal.txt" && fail "journal: KNL entries at --debug-knl 0"

CASE=reload
settings 2
kill -HUP "$GWA_PID"
sleep 0.5
u gwa terminate --ike site >/dev/null
sleep 0.5
grep -q 'uipsecd\[debug\]: \[IKE2\]' "$F" || fail "SIGHUP: the file logger's ike = 2 shows no debug"
# a new file logger waits for the next start: the sandbox lets the
# running daemon open no file
cat >"$W/gwa/uipsecd.conf" <<EOF
uipsecd { filelog { gwa { path = $W/gwa/file.log
    ike = 2 }
  other { path = $W/gwa/other.log } } }
EOF
kill -HUP "$GWA_PID"
sleep 0.5
kill -0 "$GWA_PID" || fail "a new file logger on reload killed the daemon (sandbox)"
grep -q "the file logger $W/gwa/other.log is new: it starts with the daemon" "$L" ||
	fail "a new file logger on reload is not refused with its reason"
[ -e "$W/gwa/other.log" ] && fail "a reload opened a new log file"
echo "uipsecd { filelog { x { default = 9 } } }" >"$W/gwa/uipsecd.conf"
kill -HUP "$GWA_PID"
sleep 0.5
kill -0 "$GWA_PID" || fail "a broken uipsecd.conf on reload killed the daemon"
grep -q "uipsecd.filelog.x.default: '9' is not a number from -1 to 4" "$L" ||
	fail "the broken uipsecd.conf is not reported with file, line and option"
grep -q "keeping the previous loggers" "$L" || fail "no 'keeping the previous loggers'"
u gwa list-conns >/dev/null || fail "uipsecd does not answer after the broken reload"

finish
