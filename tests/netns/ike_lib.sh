#!/usr/bin/env bash
# Shared helpers of the IKE tests (sourced; not a test): uipsec against
# uipsec (tests/netns/test_ike_uipsec*.sh) and against strongSwan's charon
# (tests/interop/test_ike_charon.sh, test_charon_baseline.sh). Set
# TOPO_PREFIX and TOPO_NAT first; sourcing sets SRC and BUILD (from
# UIPSEC_SRC, UIPSEC_BUILD) and sources scripts/topo.sh.
#
#   ike_lib_init NAME [charon] [uipsec]
#                       skip (exit 77) unless root, charon installed (with
#                       "charon": also sources scripts/charon.sh), uipsecd
#                       and uipsec built (with "uipsec"); W = a new
#                       /tmp/NAME.XXXXXX; on exit, cleanup
#   conf_interop_init NAME
#                       ike_lib_init NAME charon; skip without the openssl
#                       command, fail without uipsecd (the test_conf_* tests)
#   cleanup             stop_all, charon_stop_all, topo_down, remove $W
#                       (kept with KEEP_LOGS=1)
#   track NAME PID      stop_all (and exit) kill PID and wait for it
#   stop NAME           kill and wait for the PID tracked as NAME
#   stop_all            stop every tracked PID
#   psk_random          a random 24-byte PSK, 0x...
#   write_conf DIR LOCAL REMOTE ME PEER LTS RTS IKE ESP PSK [CONN_EXTRA] [CHILD_EXTRA]
#                       DIR/swanctl.conf with connection "site", child "net"
#                       and the secret "ike-site" for gwa/gwb.example.org
#   write_rw_client DIR ID LOCAL [CONN_EXTRA]
#                       DIR/swanctl.conf: road warrior "rw" (vips = 0.0.0.0,
#                       PSK $PSK as ID, child "net" to 10.2.0.0/24) from
#                       LOCAL (%any: the routing picks it) to gwb 192.0.2.2
#   gw_rw_conn_open     print the opening of a gateway's swanctl.conf
#                       connections: "rw", version 2, 192.0.2.2 for %any,
#                       pools = rw (for a heredoc; the caller closes it)
#   write_rw_gateway DIR POOL [CONN_EXTRA]
#                       DIR/swanctl.conf: gateway "rw" on 192.0.2.2 for
#                       remote_addrs = %any, pool "rw" = POOL, child "net"
#                       with local_ts 10.2.0.0/24, any PSK client ($PSK)
#   ra_client_conf ID LOCAL SECRET
#                       print a swanctl.conf: road warrior "rw" as ID from
#                       LOCAL to gwb 192.0.2.2 (vips = 0.0.0.0, PSK SECRET,
#                       child "net" to 10.2.0.0/24)
#   ra_gateway_conf POOL
#                       print pools and connections of a swanctl.conf:
#                       gateway "rw" on 192.0.2.2 for %any, pool "rw" =
#                       POOL with DNS 10.2.0.53, child "net" 10.2.0.0/24
#                       (the secrets are the caller's)
#   initiate_both NS1 NS2
#                       NS1 and NS2 initiate child "net" at the same time
#   child_spis NS       the SPIs of NS's CHILD_SAs, one line, sorted
#   uipsecd_start NS... uipsecd in each NS with $W/NS/swanctl.conf, control
#                       socket $W/NS/ctl, log $W/NS/uipsecd.log and the
#                       options of UIPSECD_ARGS, tracked as NS; 0 once all
#                       control sockets exist (5 s at most). Its PATH starts
#                       with $W/NS/bin, which holds a fake resolvconf: the
#                       DNS servers a client receives never reach the
#                       host's resolver; each call appends "ARGS..." and
#                       its stdin lines ("  nameserver X") to
#                       $W/NS/resolvconf.log
#   u NS ARGS...        uipsec against NS's uipsecd
#   established [NS...] 0 once CHILD_SA "net" is INSTALLED on each NS (gwa
#                       and gwb by default; 5 s at most)
#   ping4_through       hosta and hostb ping each other (10.x) through the tunnel
#   ping6_through       the same over IPv6 (fdxx::2)
#   iperf3_through      a 2-second iperf3 TCP run hosta -> hostb (fails without
#                       iperf3: make check installs it)
#   charon_rw_start TIMEOUT
#                       charon road warrior on gwa ($W/gwa) against uipsecd
#                       on gwb: start both, initiate child "net" (swanctl
#                       --timeout TIMEOUT, output in $W/gwa/initiate.log);
#                       fail and return 1 if either does not start
#   uipsec_rw_start     uipsecd road warrior on gwa against charon on gwb
#                       ($W/gwb): start both, initiate child "net"; fail
#                       and return 1 if either does not start
#   fail_logs_both [N]  the tails of gwa's and gwb's uipsecd.log (N lines,
#                       25 by default) and charon.log (40), those that exist
#   fail MSG            "FAIL [$CASE]: MSG", fail_logs, count it in FAILS,
#                       return 1
#   fail_logs           the tails of gwa's and gwb's uipsecd.log (a test may
#                       redefine it)
#   finish              exit 1 if a case failed, else print PASS

SRC=${UIPSEC_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${UIPSEC_BUILD:-$SRC/build}
# shellcheck source-path=SCRIPTDIR source=../../scripts/topo.sh
source "$SRC/scripts/topo.sh"

W=
FAILS=0
CASE=
declare -A IKE_PID

ike_lib_init() {
	local name=$1 need
	shift
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
	for need in "$@"; do
		case $need in
		charon)
			# shellcheck source-path=SCRIPTDIR source=../../scripts/charon.sh
			source "$SRC/scripts/charon.sh"
			charon_available || { echo "SKIP: $CHARON_MISSING"; exit 77; }
			;;
		uipsec)
			if [ ! -x "$BUILD/uipsecd" ] || [ ! -x "$BUILD/uipsec" ]; then
				echo "SKIP: no uipsecd/uipsec in $BUILD"
				exit 77
			fi
			;;
		esac
	done
	W=$(mktemp -d "/tmp/$name.XXXXXX")
	trap cleanup EXIT
	trap 'exit 1' INT TERM
}

conf_interop_init() {
	ike_lib_init "$1" charon
	command -v openssl >/dev/null || { echo "SKIP: openssl (the command) not found"; exit 77; }
	[ -x "$BUILD/uipsecd" ] || { echo "FAIL: $BUILD/uipsecd not built"; exit 1; }
}

cleanup() {
	stop_all
	if declare -F charon_stop_all >/dev/null; then charon_stop_all; fi
	topo_down
	if [ "${KEEP_LOGS:-0}" = 1 ]; then echo "logs kept in $W"; else rm -rf "$W"; fi
}

track() { IKE_PID[$1]=$2; }

stop() {
	[ -n "${IKE_PID[$1]:-}" ] || return 0
	kill "${IKE_PID[$1]}" 2>/dev/null && wait "${IKE_PID[$1]}" 2>/dev/null
	unset "IKE_PID[$1]"
}

stop_all() {
	local n
	for n in "${!IKE_PID[@]}"; do stop "$n"; done
}

psk_random() { echo "0x$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')"; }

write_conf() {
	mkdir -p "$1"
	cat >"$1/swanctl.conf" <<-EOF
	connections {
	    site {
	        version = 2
	        local_addrs = $2
	        remote_addrs = $3
	        proposals = $8
	        ${11:-}
	        local {
	            auth = psk
	            id = $4
	        }
	        remote {
	            auth = psk
	            id = $5
	        }
	        children {
	            net {
	                local_ts = $6
	                remote_ts = $7
	                esp_proposals = $9
	                ${12:-}
	            }
	        }
	    }
	}
	secrets {
	    ike-site {
	        id-a = gwa.example.org
	        id-b = gwb.example.org
	        secret = ${10}
	    }
	}
	EOF
}

write_rw_client() {
	mkdir -p "$1"
	cat >"$1/swanctl.conf" <<-EOF
	connections {
	    rw {
	        version = 2
	        local_addrs = $3
	        remote_addrs = 192.0.2.2
	        vips = 0.0.0.0
	        ${4:-}
	        local {
	            auth = psk
	            id = $2
	        }
	        remote {
	            auth = psk
	            id = gwb.example.org
	        }
	        children {
	            net {
	                remote_ts = 10.2.0.0/24
	            }
	        }
	    }
	}
	secrets {
	    ike-rw {
	        id-a = $2
	        id-b = gwb.example.org
	        secret = $PSK
	    }
	}
	EOF
}

gw_rw_conn_open() {
	cat <<-EOF
	connections {
	    rw {
	        version = 2
	        local_addrs = 192.0.2.2
	        remote_addrs = %any
	        pools = rw
	EOF
}

write_rw_gateway() {
	mkdir -p "$1"
	cat >"$1/swanctl.conf" <<-EOF
	pools {
	    rw {
	        addrs = $2
	    }
	}
	$(gw_rw_conn_open)
	        ${3:-}
	        local {
	            auth = psk
	            id = gwb.example.org
	        }
	        remote {
	            auth = psk
	        }
	        children {
	            net {
	                local_ts = 10.2.0.0/24
	            }
	        }
	    }
	}
	secrets {
	    ike-rw {
	        id = gwb.example.org
	        secret = $PSK
	    }
	}
	EOF
}

ra_client_conf() {
	cat <<-EOF
	connections {
	    rw {
	        local_addrs = $2
	        remote_addrs = 192.0.2.2
	        vips = 0.0.0.0
	        local { auth = psk
	                id = $1 }
	        remote { auth = psk
	                 id = gwb.example.org }
	        children {
	            net { remote_ts = 10.2.0.0/24 }
	        }
	    }
	}
	secrets { ike-rw { id = $1
	                   secret = $3 } }
	EOF
}

ra_gateway_conf() {
	cat <<-EOF
	pools {
	    rw {
	        addrs = $1
	        dns = 10.2.0.53
	    }
	}
	connections {
	    rw {
	        local_addrs = 192.0.2.2
	        remote_addrs = %any
	        pools = rw
	        local { auth = psk
	                id = gwb.example.org }
	        remote { auth = psk }
	        children {
	            net { local_ts = 10.2.0.0/24 }
	        }
	    }
	}
	EOF
}

initiate_both() {
	local pid
	u "$1" initiate --child net >/dev/null &
	pid=$!
	u "$2" initiate --child net >/dev/null
	wait "$pid"
}

child_spis() {
	u "$1" list-sas 2>/dev/null | awk '$1 == "in" || $1 == "out" {print $2}' | sort | tr '\n' ' '
}

uipsecd_start() {
	local n up
	for n in "$@"; do
		# a socket left by the daemon before (it cannot unlink it after
		# dropping privileges) would look like this one being up
		rm -f "$W/$n/ctl"
		mkdir -p "$W/$n/bin"
		cat >"$W/$n/bin/resolvconf" <<-EOF
		#!/bin/sh
		{ echo "\$*"; sed 's/^/  /'; } >>"$W/$n/resolvconf.log"
		EOF
		chmod 755 "$W/$n/bin/resolvconf"
		# not through ns(): ip netns exec execs, so $! is uipsecd itself
		# shellcheck disable=SC2086
		PATH="$W/$n/bin:$PATH" ip netns exec "$(topo_name "$n")" "$BUILD/uipsecd" -c "$W/$n/swanctl.conf" \
			--control "$W/$n/ctl" --foreground ${UIPSECD_ARGS:-} >"$W/$n/uipsecd.log" 2>&1 &
		track "$n" $!
	done
	for _ in $(seq 50); do
		up=0
		for n in "$@"; do [ -S "$W/$n/ctl" ] && up=$((up + 1)); done
		[ $up = $# ] && return 0
		sleep 0.1
	done
	return 1
}

u() { local n=$1; shift; ns "$n" "$BUILD/uipsec" --control "$W/$n/ctl" "$@"; }

established() {
	local n ok
	[ $# -gt 0 ] || set -- gwa gwb
	for _ in $(seq 50); do
		ok=1
		for n in "$@"; do
			u "$n" list-sas 2>/dev/null | grep -q "net: INSTALLED" || { ok=0; break; }
		done
		[ $ok = 1 ] && return 0
		sleep 0.1
	done
	return 1
}

ping4_through() {
	ns hosta ping -c 2 -i 0.2 -W 2 10.2.0.2 >/dev/null 2>&1 &&
		ns hostb ping -c 2 -i 0.2 -W 2 10.1.0.2 >/dev/null 2>&1
}

ping6_through() {
	ns hosta ping -6 -c 2 -i 0.2 -W 2 fd02::2 >/dev/null 2>&1 &&
		ns hostb ping -6 -c 2 -i 0.2 -W 2 fd01::2 >/dev/null 2>&1
}

iperf3_through() { # [SECONDS]: 2 unless given
	local ipid
	command -v iperf3 >/dev/null || {
		echo "iperf3 missing (scripts/deps.sh installs it)" >"$W/iperf3.log"
		return 1
	}
	ip netns exec "$(topo_name hostb)" iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
	ipid=$!
	sleep 0.5
	if ! ns hosta iperf3 -c 10.2.0.2 -p 5201 -t "${1:-2}" >"$W/iperf3.log" 2>&1; then
		kill $ipid 2>/dev/null
		wait $ipid 2>/dev/null
		return 1
	fi
	wait $ipid 2>/dev/null
}

fail_logs() {
	local n
	for n in gwa gwb; do
		echo "--- $n uipsecd.log (tail)"
		tail -n 15 "$W/$n/uipsecd.log" 2>/dev/null
	done
}

fail_logs_both() {
	local n
	for n in gwa gwb; do
		[ -f "$W/$n/uipsecd.log" ] && { echo "--- $n uipsecd.log (tail)"; tail -n "${1:-25}" "$W/$n/uipsecd.log"; }
		[ -f "$W/$n/charon.log" ] && { echo "--- $n charon.log (tail)"; tail -n 40 "$W/$n/charon.log"; }
	done
	return 0
}

charon_rw_start() {
	if ! uipsecd_start gwb; then
		fail "uipsecd did not start"
	elif ! charon_start gwa "$W/gwa"; then
		fail "charon did not start"
	else
		charon_swanctl gwa --initiate --child net --timeout "$1" >"$W/gwa/initiate.log" 2>&1
		return 0
	fi
}

uipsec_rw_start() {
	if ! charon_start gwb "$W/gwb"; then
		fail "charon did not start"
	elif ! uipsecd_start gwa; then
		fail "uipsecd did not start"
	else
		u gwa initiate --child net >/dev/null
		return 0
	fi
}

fail() {
	echo "FAIL [$CASE]: $*"
	fail_logs
	FAILS=$((FAILS + 1))
	return 1
}

finish() {
	if [ "$FAILS" -gt 0 ]; then
		echo "FAIL: $FAILS case(s) failed"
		exit 1
	fi
	echo "PASS"
}
