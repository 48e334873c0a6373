#!/usr/bin/env bash
# strongSwan's charon as a test peer, one per network namespace of
# scripts/topo.sh: Debian's 5.9.8 charon with the kernel-libipsec backend
# (ESP in userspace, decrypted traffic on a TUN device, since the test
# kernels have no ESP). Source it after topo.sh:
#
#   source scripts/topo.sh; source scripts/charon.sh
#   topo_up; trap 'charon_stop_all; topo_down' EXIT
#   charon_available || exit 77            # reason in $CHARON_MISSING
#   write DIR/swanctl.conf, then
#   charon_start gwa DIR                   # strongswan.conf, start, --load-all
#   charon_swanctl gwa --initiate --child net --timeout 30
#   charon_stop gwa
#
# Per instance, everything lives in DIR: strongswan.conf (written here),
# swanctl.conf (yours), charon.vici (the VICI socket), charon.log (file
# log), charon.out (stdout/stderr), load.log (swanctl --load-all).
#
# Why it looks like this (docs/interop.md has more):
# - charon 5.9.8 writes a fixed /var/run/charon.pid (/var/run is /run) and
#   refuses to start if it exists, so each charon runs under
#   `unshare --mount` with a private tmpfs on /run;
# - STRONGSWAN_CONF points charon at its own strongswan.conf, which sets
#   its own VICI socket (charon.plugins.vici.socket) and log file;
# - swanctl takes --uri after the command (swanctl --load-all --uri ...);
# - kernel-libipsec is loaded before kernel-netlink: libipsec is then the
#   IPsec backend, kernel-netlink only does addresses, routes and rules.
#   It creates a TUN device ipsec0 (the name is fixed in 5.9.8, but it is
#   per namespace) and routes the remote traffic selectors into it in
#   table 220; it always uses UDP-encapsulated ESP on port 4500.
#
# Knobs (environment): CHARON_BIN, CHARON_PLUGINS, CHARON_LOGLEVEL
# (default "default = 1  ike = 2  knl = 2  cfg = 2"), CHARON_EXTRA (lines
# added inside the charon { } section, e.g. "retransmit_tries = 2").

CHARON_BIN=${CHARON_BIN:-/usr/lib/ipsec/charon}
CHARON_PLUGIN_DIR=${CHARON_PLUGIN_DIR:-/usr/lib/ipsec/plugins}
# openssl: AES-CBC/GCM, SHA-2, ECP and MODP groups, X25519; gcm and
# chapoly: strongSwan's own AEAD code (libstrongswan-standard-plugins and
# -extra-plugins); curve25519 as a fallback for X25519; pem/pkcs1/x509/
# pubkey are harmless with PSK and keep charon quiet about credentials.
CHARON_PLUGINS=${CHARON_PLUGINS:-"random nonce openssl aes gcm chapoly sha1 sha2 hmac kdf curve25519 pem pkcs1 x509 pubkey kernel-libipsec kernel-netlink socket-default vici"}
CHARON_LOGLEVEL=${CHARON_LOGLEVEL:-"default = 1
        ike = 2
        knl = 2
        cfg = 2"}
CHARON_EXTRA=${CHARON_EXTRA:-}

declare -gA CHARON_PID CHARON_DIR

# charon_available: 0 if charon, swanctl and the plugins are installed;
# otherwise 1 with the reason in CHARON_MISSING.
charon_available() {
	local p
	CHARON_MISSING=
	[ -x "$CHARON_BIN" ] || { CHARON_MISSING="$CHARON_BIN not found (strongswan-charon)"; return 1; }
	command -v swanctl >/dev/null || { CHARON_MISSING="swanctl not found (strongswan-swanctl)"; return 1; }
	command -v unshare >/dev/null || { CHARON_MISSING="unshare not found (util-linux)"; return 1; }
	for p in kernel-libipsec openssl gcm chapoly vici socket-default kernel-netlink; do
		[ -e "$CHARON_PLUGIN_DIR/libstrongswan-$p.so" ] ||
			{ CHARON_MISSING="charon plugin $p missing (libcharon-extra-plugins, libstrongswan-standard-plugins, libstrongswan-extra-plugins)"; return 1; }
	done
	return 0
}

# charon_uri NS: the VICI URI of the charon in namespace NS.
charon_uri() { echo "unix://${CHARON_DIR[$1]}/charon.vici"; }

# charon_write_conf DIR: strongswan.conf for one instance.
charon_write_conf() {
	local d=$1
	cat >"$d/strongswan.conf" <<-EOF
	# written by scripts/charon.sh
	charon {
	    load = $CHARON_PLUGINS
	    install_routes = yes
	    filelog {
	        log {
	            path = $d/charon.log
	            time_format = %T
	            ike_name = yes
	            append = no
	            flush_line = yes
	            $CHARON_LOGLEVEL
	        }
	    }
	    plugins {
	        vici {
	            socket = unix://$d/charon.vici
	        }
	    }
	    $CHARON_EXTRA
	}
	swanctl {
	    socket = unix://$d/charon.vici
	}
	EOF
}

# charon_start NS DIR: start charon in namespace NS with its files in DIR
# (DIR/swanctl.conf must exist), wait for its VICI socket and load
# DIR/swanctl.conf. Returns non-zero (and prints the log tail) on failure.
charon_start() {
	local n=$1 d i pid
	d=$(cd "$2" && pwd) || return 1
	[ -f "$d/swanctl.conf" ] || { echo "charon_start: $d/swanctl.conf missing" >&2; return 1; }
	[ -z "${CHARON_PID[$n]:-}" ] || { echo "charon_start: charon already runs in $n" >&2; return 1; }
	charon_write_conf "$d"
	rm -f "$d/charon.vici"
	# ip netns exec, env, unshare and sh all exec, so $! ends up being
	# charon itself. The tmpfs on /run hides the host's /run/charon.pid.
	# Not through the ns() function: a backgrounded shell function runs in
	# a subshell, and $! would be that subshell rather than charon.
	ip netns exec "$(topo_name "$n")" env STRONGSWAN_CONF="$d/strongswan.conf" \
		unshare --mount --propagation private \
		sh -c 'mount -t tmpfs -o mode=0755 tmpfs /run && exec "$0"' "$CHARON_BIN" \
		>"$d/charon.out" 2>&1 </dev/null &
	pid=$!
	CHARON_PID[$n]=$pid
	CHARON_DIR[$n]=$d
	echo "$pid" >"$d/charon.harness-pid"
	for ((i = 0; i < 100; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "charon_start: charon in $n exited:" >&2
			tail -n 20 "$d/charon.out" "$d/charon.log" >&2 2>/dev/null
			unset "CHARON_PID[$n]"
			return 1
		fi
		[ -S "$d/charon.vici" ] && swanctl --stats --uri "unix://$d/charon.vici" >/dev/null 2>&1 && break
		sleep 0.1
	done
	if ((i == 100)); then
		echo "charon_start: no VICI socket from charon in $n after 10 s" >&2
		tail -n 20 "$d/charon.log" >&2 2>/dev/null
		return 1
	fi
	if ! swanctl --load-all --file "$d/swanctl.conf" --uri "unix://$d/charon.vici" >"$d/load.log" 2>&1; then
		echo "charon_start: swanctl --load-all failed in $n:" >&2
		cat "$d/load.log" >&2
		return 1
	fi
	return 0
}

# charon_swanctl NS ARGS...: swanctl ARGS against the charon in NS
# (--uri is appended: swanctl wants the command first).
charon_swanctl() {
	local n=$1
	shift
	[ -n "${CHARON_DIR[$n]:-}" ] || { echo "charon_swanctl: no charon in $n" >&2; return 1; }
	swanctl "$@" --uri "$(charon_uri "$n")"
}

# charon_stop NS: stop the charon in NS by its PID (TERM, then KILL after
# 5 s).
charon_stop() {
	local n=$1 pid i
	pid=${CHARON_PID[$n]:-}
	[ -n "$pid" ] || return 0
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	unset "CHARON_PID[$n]"
	return 0
}

charon_stop_all() {
	local n
	for n in "${!CHARON_PID[@]}"; do
		charon_stop "$n"
	done
}

# charon_log NS: path of the charon log of NS.
charon_log() { echo "${CHARON_DIR[$1]}/charon.log"; }
