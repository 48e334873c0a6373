#!/usr/bin/env bash
# swanctl.conf permissions (issue 15 item 9): uipsecd warns, at start,
# on SIGHUP and on `uipsec load`, when a file with secrets is readable by
# every user or by a group other than root's and the daemon's, and when
# any configuration file can be changed by another user (group- or
# world-writable, owned by someone other than root or the daemon). It
# still starts (strongSwan does not check; refusing would break a working
# charon setup on the way to uipsec). 0600 and root:uipsec 0640 are fine.
source "$(dirname "$0")/lib.sh"
gw_lib_init
getent passwd uipsec >/dev/null || { echo "SKIP: no user uipsec (scripts/deps.sh creates it)"; exit 77; }
C=$GW_RUN/conf
mkdir -p "$C"
chmod 711 "$GW_RUN" "$C"          # the daemon (uid uipsec) must reach the files to reread them
cat >"$C/swanctl.conf" <<-'CONF'
connections {
    site {
        remote_addrs = 192.0.2.2
        local { auth = psk }
        remote { auth = psk }
        children {
            net {
                local_ts = 10.1.0.0/24
                remote_ts = 10.2.0.0/24
            }
        }
    }
}
include conf.d/*.conf
CONF
mkdir -p "$C/conf.d"
chgrp uipsec "$C/conf.d"
chmod 750 "$C/conf.d"      # root:uipsec 0750: the include glob must list it as uid uipsec
cat >"$C/conf.d/secrets.conf" <<-'CONF'
secrets { ike-site { secret = 0x00112233445566778899aabbccddeeff } }
CONF
chown root:uipsec "$C/swanctl.conf" "$C/conf.d/secrets.conf"
chmod 644 "$C/swanctl.conf" "$C/conf.d/secrets.conf"

warnings() { grep -c "holds secrets\|writable by\|is owned by uid" "$GW_RUN/gwa.log"; }
expect_warn() { # expect_warn N WHAT: N more warnings than before, each naming WHAT
	local now; now=$(warnings)
	[ "$now" = $((seen + $1)) ] || fail "$2: $((now - seen)) warnings, want $1: $(tail -4 "$GW_RUN/gwa.log")"
	[ "$1" = 0 ] || tail -n "$1" <(grep "holds secrets\|writable by\|is owned by uid" "$GW_RUN/gwa.log") |
		grep -q -- "$3" || fail "$2: warning does not say '$3'"
	seen=$now
	note "$2: $1 warning(s)"
}
reload() { kill -HUP "${GW_PID[gwa]}"; sleep 0.4; }

seen=0
gw_start gwa -c "$C/swanctl.conf"
# both files world-readable and the configuration holds secrets: one each
expect_warn 2 "start, 0644" "readable by every user"
grep -q "loaded 1 connection" "$GW_RUN/gwa.log" || fail "the connection was not loaded (the warning must not refuse)"

chmod 640 "$C/swanctl.conf" "$C/conf.d/secrets.conf"   # root:uipsec 0640: the recommended reread setup
reload
expect_warn 0 "SIGHUP, root:uipsec 0640"
grep -c "loaded 1 connection" "$GW_RUN/gwa.log" | grep -q 2 || fail "the reload as uid uipsec failed: $(tail -3 "$GW_RUN/gwa.log")"

chmod 660 "$C/swanctl.conf"
ux gwa load >/dev/null || fail "uipsec load"
expect_warn 1 "uipsec load, group-writable swanctl.conf" "writable by its group"

chmod 640 "$C/swanctl.conf"
chown nobody "$C/conf.d/secrets.conf"
reload
expect_warn 1 "SIGHUP, secrets owned by nobody" "owned by uid $(id -u nobody)"
chown root "$C/conf.d/secrets.conf"
chmod 600 "$C/conf.d/secrets.conf"
reload
expect_warn 0 "SIGHUP, 0600 again"

# no secrets: world-readable is fine, world-writable is not
rm "$C/conf.d/secrets.conf"
chmod 644 "$C/swanctl.conf"
reload
expect_warn 0 "no secrets, 0644"
chmod 666 "$C/swanctl.conf"
reload
expect_warn 1 "no secrets, 0666" "writable by every user"

# Secrets readable by a group other than root's and the daemon's: the
# dropped daemon could not even reread it, so check at a start as root.
gw_stop gwa
chmod 644 "$C/swanctl.conf"
echo 'secrets { ike-site { secret = 0x00112233445566778899aabbccddeeff } }' >"$C/conf.d/secrets.conf"
chown root:users "$C/conf.d/secrets.conf"
chmod 640 "$C/conf.d/secrets.conf"
gw_start gwb -c "$C/swanctl.conf" --user root
grep -q "secrets.conf holds secrets and is readable by group $(getent group users | cut -d: -f3)" "$GW_RUN/gwb.log" ||
	fail "group-readable secrets: no warning: $(grep -c warn "$GW_RUN/gwb.log")"
note "start, secrets root:users 0640: warned"
echo PASS
