#!/usr/bin/env bash
# The VPN peers `make bench` compares, each brought up between gwa and gwb of
# the four-namespace topology (scripts/topo.sh). Sourced by scripts/bench.sh.
#
# Each peer_up_KIND function, called with the topology up and $W a fresh
# work directory, sets up forwarding between 10.1.0.0/24 and 10.2.0.0/24 and
# fills:
#   DAEMON_PIDS   the PIDs of the VPN daemons (their CPU time is measured)
#   BG_PIDS       every process it started (killed by PID on teardown)
# It returns non-zero with a one-line reason in PEER_ERR when the peer does
# not come up. Nothing here measures; bench.sh does.
#
# Peers:
#   plain           the gateways route the two sites directly (the ceiling)
#   wireguard-go    Debian's wireguard-go, configured with wg(8)
#   strongswan      Debian's charon 5.9.8 with kernel-libipsec (its userspace
#                   ESP; 5.9.8 always sends ESP in UDP), IKEv2 with a PSK,
#                   started by scripts/charon.sh
#   uipsec-default  uipsecd on each gateway with the swanctl.conf the
#                   strongswan peer gets (a plain site-to-site
#                   configuration, no encap option), IKEv2 with a PSK:
#                   what a user who copies a strongSwan configuration gets
#   uipsec-encap    the same with encap = yes in the connection
#   uipsec-rawesp   the same as uipsec-default with raw_esp = yes in
#                   uipsecd.conf (ESP without UDP, as a peer may insist on)
#   uipsec-chacha   the same as uipsec-default with esp_proposals =
#                   chacha20poly1305 in the child (beside wireguard-go)
#   strongswan-chacha  the strongswan peer with the same esp_proposals
#   uipsec-*        (the others) uipsecd on each gateway, manually keyed
#                   with `uipsec xfrm state/policy add`

BG_PIDS=() DAEMON_PIDS=() TOPO_ACTIVE=0

# peer_start PEER: with TOPO_PREFIX and the work directory $W set, bring up
# the topology and PEER, and wait until hosta pings hostb through it.
# Returns non-zero with the reason in PEER_ERR; call peer_stop either way.
peer_start() {
	local p
	PEER_ERR=""
	mkdir -p "$W"
	TOPO_ACTIVE=1
	# topo_up stops at the first error with set -e, but not when called
	# from a condition (as peer_start usually is): check what it built.
	(topo_up) >"$W/topo.log" 2>&1
	if [ $? != 0 ] || ! peer_topo_ok; then
		PEER_ERR="topology did not come up: $(peer_log_tail "$W/topo.log")"
	elif ! "peer_up_$1" >>"$W/peer.log" 2>&1; then
		[ -n "$PEER_ERR" ] || PEER_ERR="peer_up_$1 failed: $(peer_log_tail "$W/peer.log")"
	elif ! peer_wait 150 ns hosta ping -n -c 1 -W 1 10.2.0.2; then
		PEER_ERR="no ping from hosta to hostb through the tunnel within 15 s"
	fi
	for p in "${DAEMON_PIDS[@]}"; do
		[ -n "$PEER_ERR" ] && break
		alive "$p" || PEER_ERR="daemon PID $p exited"
	done
	[ -z "$PEER_ERR" ]
}

peer_topo_ok() {
	ns hosta ip -4 addr show dev eth0 2>/dev/null | grep -q 10.1.0.2/ &&
	ns gwa ip -4 addr show dev eth0 2>/dev/null | grep -q 10.1.0.1/ &&
	ns gwa ip -4 addr show dev eth1 2>/dev/null | grep -q 192.0.2.1/ &&
	ns gwb ip -4 addr show dev eth1 2>/dev/null | grep -q 192.0.2.2/ &&
	ns gwb ip -4 addr show dev eth0 2>/dev/null | grep -q 10.2.0.1/ &&
	ns hostb ip -4 addr show dev eth0 2>/dev/null | grep -q 10.2.0.2/
}

# peer_stop: stop what peer_start started, by PID (TERM, then KILL after
# 2 s), then delete the namespaces (topo_down kills what is left in them).
peer_stop() {
	local p i
	for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${BG_PIDS[@]}"; do
		for ((i = 0; i < 20; i++)); do
			alive "$p" || break
			sleep 0.1
		done
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	BG_PIDS=() DAEMON_PIDS=()
	# charon.sh's bookkeeping (the processes are gone by now).
	declare -F charon_stop_all >/dev/null && charon_stop_all
	if [ "$TOPO_ACTIVE" = 1 ]; then
		topo_down
		TOPO_ACTIVE=0
	fi
}

# Start "$@" in namespace NS in the background, output to LOG; the PID (of
# the command itself: ip netns exec, env and unshare all exec) goes to
# BG_PIDS and LAST_PID.
peer_bg() {
	local n=$1 log=$2
	shift 2
	ip netns exec "$(topo_name "$n")" "$@" >"$log" 2>&1 </dev/null &
	LAST_PID=$!
	BG_PIDS+=("$LAST_PID")
}

# Wait up to $1 tenths of a second for the command "${@:2}" to succeed.
peer_wait() {
	local tenths=$1 i
	shift
	for ((i = 0; i < tenths; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# For failure reasons: the last line of a log that reads like an error,
# else its last line.
peer_log_tail() {
	local l
	[ -s "$1" ] || return 0
	l=$(grep -iE 'error|invalid|refus|denied|cannot|unable|unknown|usage' "$1" | tail -n 1)
	[ -n "$l" ] || l=$(grep -i 'fail' "$1" | grep -v '^opening directory' | tail -n 1)
	[ -n "$l" ] || l=$(tail -n 1 "$1")
	printf '%s' "$l" | tr -d '\r' | cut -c1-200
}

alive() { kill -0 "$1" 2>/dev/null; }

# Random key material as 0x-prefixed hex, $1 bytes.
peer_hexkey() { printf '0x%s' "$(od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n')"; }

# --- plain forwarding --------------------------------------------------------

peer_up_plain() {
	ns gwa ip route add 10.2.0.0/24 via 192.0.2.2 &&
		ns gwb ip route add 10.1.0.0/24 via 192.0.2.1 ||
		{ PEER_ERR="could not add routes"; return 1; }
}

# --- wireguard-go -----------------------------------------------------------

peer_up_wireguard-go() {
	local s ifn port=51820 key pub other
	command -v wireguard-go >/dev/null && command -v wg >/dev/null ||
		{ PEER_ERR="wireguard-go or wg not installed (scripts/deps.sh)"; return 1; }
	# The UAPI socket is /var/run/wireguard/IFNAME.sock, shared by all
	# namespaces: the interface names must be unique on the machine.
	WG_IF_a="wg${BENCH_ID}a" WG_IF_b="wg${BENCH_ID}b"
	(umask 077; for s in a b; do wg genkey >"$W/$s.key" && wg pubkey <"$W/$s.key" >"$W/$s.pub"; done) ||
		{ PEER_ERR="wg genkey failed"; return 1; }
	for s in a b; do
		ifn=WG_IF_$s
		# Foreground, so that the PID we hold is the daemon itself.
		peer_bg gw$s "$W/wireguard-go-$s.log" env WG_PROCESS_FOREGROUND=1 wireguard-go "${!ifn}"
		DAEMON_PIDS+=("$LAST_PID")
	done
	for s in a b; do
		ifn=WG_IF_$s
		peer_wait 50 test -S "/var/run/wireguard/${!ifn}.sock" ||
			{ PEER_ERR="wireguard-go did not create ${!ifn}: $(peer_log_tail "$W/wireguard-go-$s.log")"; return 1; }
	done
	ns gwa wg set "$WG_IF_a" private-key "$W/a.key" listen-port $port \
		peer "$(cat "$W/b.pub")" endpoint 192.0.2.2:$port allowed-ips 10.2.0.0/24 &&
	ns gwb wg set "$WG_IF_b" private-key "$W/b.key" listen-port $port \
		peer "$(cat "$W/a.pub")" endpoint 192.0.2.1:$port allowed-ips 10.1.0.0/24 ||
		{ PEER_ERR="wg set failed"; return 1; }
	# 1420 is wireguard-go's own default MTU; said explicitly.
	ns gwa ip link set "$WG_IF_a" mtu 1420 up && ns gwb ip link set "$WG_IF_b" mtu 1420 up &&
	ns gwa ip route add 10.2.0.0/24 dev "$WG_IF_a" &&
	ns gwb ip route add 10.1.0.0/24 dev "$WG_IF_b" ||
		{ PEER_ERR="could not configure the wireguard interfaces"; return 1; }
}

# --- strongSwan charon with kernel-libipsec ----------------------------------
# charon runs through scripts/charon.sh (the interop tests' launcher: own
# mount namespace with a private /run, own strongswan.conf with
# kernel-libipsec before kernel-netlink, own VICI socket and log).

# Writes DIR/swanctl.conf for gateway $1 (a or b).
peer_swanctl_conf() {
	local s=$1 me peer lts rts other d="$W/gw$1"
	if [ "$s" = a ]; then
		me=192.0.2.1 peer=192.0.2.2 lts=10.1.0.0/24 rts=10.2.0.0/24 other=b
	else
		me=192.0.2.2 peer=192.0.2.1 lts=10.2.0.0/24 rts=10.1.0.0/24 other=a
	fi
	mkdir -p "$d"
	cat >"$d/swanctl.conf" <<-EOF
	connections {
	  bench {
	    version = 2
	    local_addrs = $me
	    remote_addrs = $peer
	    proposals = aes128gcm16-prfsha256-x25519
	    ${SWANCTL_CONN_EXTRA:-}
	    local {
	      auth = psk
	      id = gw$s
	    }
	    remote {
	      auth = psk
	      id = gw$other
	    }
	    children {
	      net {
	        local_ts = $lts
	        remote_ts = $rts
	        esp_proposals = ${STRONGSWAN_ESP:-aes128gcm16}
	      }
	    }
	  }
	}
	secrets {
	  ike-bench {
	    id-a = gwa
	    id-b = gwb
	    secret = $PSK
	  }
	}
	EOF
}

# The PID of charon itself: charon.sh records the PID of the shell it
# starts charon from (a function run with &), whose child charon is.
peer_charon_pid() {
	local p=$1 c
	[ "$(cat "/proc/$p/comm" 2>/dev/null)" = charon ] && { echo "$p"; return 0; }
	for c in $(cat "/proc/$p/task/$p/children" 2>/dev/null); do
		[ "$(cat "/proc/$c/comm" 2>/dev/null)" = charon ] && { echo "$c"; return 0; }
	done
	return 1
}

# peer_up_strongswan [ESP]: ESP the child's esp_proposals (default
# $STRONGSWAN_ESP, else aes128gcm16).
peer_up_strongswan() {
	local s d pid esp=${1:-${STRONGSWAN_ESP:-aes128gcm16}}
	declare -F charon_start >/dev/null ||
		{ PEER_ERR="scripts/charon.sh not loaded"; return 1; }
	charon_available || { PEER_ERR=$CHARON_MISSING; return 1; }
	PSK=$(peer_hexkey 24)
	# Log at level 1 only: nothing per packet, whatever charon.sh's default.
	CHARON_LOGLEVEL="default = 1"
	for s in a b; do
		d="$W/gw$s"
		STRONGSWAN_ESP=$esp peer_swanctl_conf $s
		if ! charon_start gw$s "$d" >>"$W/charon-start.log" 2>&1; then
			pid=${CHARON_PID[gw$s]:-}
			[ -n "$pid" ] && BG_PIDS+=("$pid")
			PEER_ERR="charon on gw$s: $(peer_log_tail "$W/charon-start.log")"
			return 1
		fi
		BG_PIDS+=("${CHARON_PID[gw$s]}")
		pid=$(peer_charon_pid "${CHARON_PID[gw$s]}") ||
			{ PEER_ERR="cannot find the PID of charon on gw$s"; return 1; }
		BG_PIDS+=("$pid")
		DAEMON_PIDS+=("$pid")
	done
	charon_swanctl gwa --initiate --child net --timeout 20 >"$W/initiate.log" 2>&1 ||
		{ PEER_ERR="CHILD_SA not established: $(peer_log_tail "$W/initiate.log")"; return 1; }
	# The IPsec backend must be libipsec, never the kernel's XFRM.
	if [ -n "$(ns gwa ip xfrm state 2>/dev/null)" ]; then
		PEER_ERR="charon installed kernel XFRM states: not the kernel-libipsec path"
		return 1
	fi
}

# --- uipsec -------------------------------------------------------------------

# uipsec_available: whether uipsecd and uipsec are built; if not, why in
# UIPSEC_MISSING.
uipsec_available() {
	UIPSEC_MISSING=
	if [ ! -x "$UIPSEC_BUILD/uipsecd" ]; then
		UIPSEC_MISSING="uipsecd missing"
	elif [ ! -x "$UIPSEC_BUILD/uipsec" ]; then
		UIPSEC_MISSING="the uipsec command missing"
	fi
	[ -z "$UIPSEC_MISSING" ]
}

# peer_up_uipsec ALG ENCAP [WORKERS]: ALG gcm|chacha, ENCAP esp|udp;
# WORKERS: uipsecd --workers (default 1, the data path on the main loop).
peer_up_uipsec() {
	local alg=$1 encap=$2 workers=${3:-1} s d a_ key_ab key_ba aead encap_kw=() ctl
	uipsec_available || { PEER_ERR="$UIPSEC_MISSING"; return 1; }
	case $alg in
	gcm)    aead="rfc4106(gcm(aes))" key_ab=$(peer_hexkey 20) key_ba=$(peer_hexkey 20) ;;
	chacha) aead="rfc7539esp(chacha20,poly1305)" key_ab=$(peer_hexkey 36) key_ba=$(peer_hexkey 36) ;;
	*)      PEER_ERR="unknown algorithm $alg"; return 1 ;;
	esac
	[ "$encap" = udp ] && encap_kw=(encap espinudp 4500 4500 0.0.0.0)
	: >"$W/empty.conf"
	for s in a b; do
		d="$W/gw$s"
		mkdir -p "$d"
		peer_bg gw$s "$d/uipsecd.log" "$UIPSEC_BUILD/uipsecd" -c "$W/empty.conf" \
			--control "$d/uipsecd.sock" --tun ipsec0 --foreground --workers "$workers"
		DAEMON_PIDS+=("$LAST_PID")
	done
	for s in a b; do
		d="$W/gw$s"
		ctl=("$UIPSEC_BUILD/uipsec" --control "$d/uipsecd.sock")
		# The socket file appears before uipsecd accepts on it: wait
		# until it answers (as tests/netns/lib.sh's gw_start does).
		peer_wait 50 "${ctl[@]}" stats ||
			{ PEER_ERR="uipsecd on gw$s does not answer on its control socket: $(peer_log_tail "$d/uipsecd.log")"; return 1; }
		# The same two SAs on both gateways, as with `ip xfrm`: 0x1001
		# carries gwa -> gwb, 0x1002 gwb -> gwa.
		{
		"${ctl[@]}" xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1001 reqid 1 \
			mode tunnel replay-window 128 aead "$aead" "$key_ab" 128 "${encap_kw[@]}" &&
		"${ctl[@]}" xfrm state add src 192.0.2.2 dst 192.0.2.1 proto esp spi 0x1002 reqid 2 \
			mode tunnel replay-window 128 aead "$aead" "$key_ba" 128 "${encap_kw[@]}"
		} >"$d/xfrm.log" 2>&1 ||
			{ PEER_ERR="uipsec xfrm state add on gw$s: $(peer_log_tail "$d/xfrm.log")"; return 1; }
		if [ $s = a ]; then
			set -- 10.1.0.0/24 10.2.0.0/24 192.0.2.1 192.0.2.2 1 2
		else
			set -- 10.2.0.0/24 10.1.0.0/24 192.0.2.2 192.0.2.1 2 1
		fi
		# $1 local site, $2 remote site, $3 local gateway, $4 remote
		# gateway, $5 outbound reqid, $6 inbound reqid.
		{
		"${ctl[@]}" xfrm policy add src "$1" dst "$2" dir out \
			tmpl src "$3" dst "$4" proto esp reqid "$5" mode tunnel &&
		"${ctl[@]}" xfrm policy add src "$2" dst "$1" dir fwd \
			tmpl src "$4" dst "$3" proto esp reqid "$6" mode tunnel &&
		"${ctl[@]}" xfrm policy add src "$2" dst "$1" dir in \
			tmpl src "$4" dst "$3" proto esp reqid "$6" mode tunnel
		} >>"$d/xfrm.log" 2>&1 ||
			{ PEER_ERR="uipsec xfrm policy add on gw$s: $(peer_log_tail "$d/xfrm.log")"; return 1; }
		peer_wait 50 ns gw$s ip link show ipsec0 ||
			{ PEER_ERR="uipsecd on gw$s has no ipsec0 TUN device"; return 1; }
		# uipsecd routes the outbound policies' destinations via its TUN
		# itself; add the route only if it did not.
		if [ -z "$(ns gw$s ip route show "$2" 2>/dev/null)" ]; then
			ns gw$s ip link set ipsec0 up && ns gw$s ip route add "$2" dev ipsec0 ||
				{ PEER_ERR="could not route $2 via ipsec0 on gw$s"; return 1; }
		fi
	done
}

# peer_up_uipsec_ike ENCAP RAW_ESP [ESP]: uipsecd on both gateways with the
# swanctl.conf of the strongswan peer (peer_swanctl_conf), ENCAP yes|no
# adds encap = yes to the connection, RAW_ESP yes|no writes raw_esp into
# a uipsecd.conf (no: an empty uipsecd.conf, uipsecd's defaults), ESP the
# child's esp_proposals (default aes128gcm16, as the strongswan peer);
# gwa initiates the CHILD_SA "net".
peer_up_uipsec_ike() {
	local encap=$1 raw=$2 esp=${3:-aes128gcm16} s d ctl settings=()
	uipsec_available || { PEER_ERR="$UIPSEC_MISSING"; return 1; }
	PSK=$(peer_hexkey 24)
	SWANCTL_CONN_EXTRA=
	[ "$encap" = yes ] && SWANCTL_CONN_EXTRA="encap = yes"
	for s in a b; do
		d="$W/gw$s"
		STRONGSWAN_ESP=$esp peer_swanctl_conf $s
		settings=(--settings "$d/uipsecd.conf")
		if [ "$raw" = yes ]; then
			printf 'uipsecd {
  raw_esp = yes
}
' >"$d/uipsecd.conf"
		else
			: >"$d/uipsecd.conf"
		fi
		peer_bg gw$s "$d/uipsecd.log" "$UIPSEC_BUILD/uipsecd" -c "$d/swanctl.conf" \
			--control "$d/uipsecd.sock" --foreground "${settings[@]}"
		DAEMON_PIDS+=("$LAST_PID")
	done
	SWANCTL_CONN_EXTRA=
	for s in a b; do
		d="$W/gw$s"
		peer_wait 50 "$UIPSEC_BUILD/uipsec" --control "$d/uipsecd.sock" stats ||
			{ PEER_ERR="uipsecd on gw$s does not answer on its control socket: $(peer_log_tail "$d/uipsecd.log")"; return 1; }
	done
	ctl=("$UIPSEC_BUILD/uipsec" --control "$W/gwa/uipsecd.sock")
	"${ctl[@]}" initiate --child net >"$W/initiate.log" 2>&1 ||
		{ PEER_ERR="uipsec initiate: $(peer_log_tail "$W/initiate.log")"; return 1; }
	peer_wait 100 sh -c '"$@" list-sas | grep -q "net: INSTALLED"' sh "${ctl[@]}" ||
		{ PEER_ERR="CHILD_SA not established: $(peer_log_tail "$W/gwa/uipsecd.log")"; return 1; }
	# Which encapsulation was negotiated goes into the log.
	"${ctl[@]}" list-sas >"$W/list-sas.txt" 2>&1
}

# Counters after a run (bench.sh keeps them in the run's log folder).
peer_counters_uipsec() {
	local s
	for s in a b; do
		echo "== gw$s: uipsec stats"
		"$UIPSEC_BUILD/uipsec" --control "$W/gw$s/uipsecd.sock" stats
		# the TUN device's own counters (its queue drops when uipsecd
		# does not read fast enough)
		ns gw$s ip -s link show ipsec0
	done
}
peer_counters_wireguard-go() {
	ns gwa wg show "$WG_IF_a"
	ns gwb wg show "$WG_IF_b"
}
peer_counters_strongswan() {
	local s
	for s in a b; do
		echo "== gw$s: swanctl --list-sas"
		charon_swanctl gw$s --list-sas
	done
}
peer_counters_uipsec-gcm-esp()    { peer_counters_uipsec; }
peer_counters_uipsec-gcm-udp()    { peer_counters_uipsec; }
peer_counters_uipsec-chacha-esp() { peer_counters_uipsec; }
peer_counters_uipsec-chacha-udp() { peer_counters_uipsec; }
peer_counters_uipsec-gcm-udp-w2() { peer_counters_uipsec; }
peer_counters_uipsec-default()    { peer_counters_uipsec; "$UIPSEC_BUILD/uipsec" --control "$W/gwa/uipsecd.sock" list-sas; }
peer_counters_uipsec-encap()      { peer_counters_uipsec-default; }
peer_counters_uipsec-rawesp()     { peer_counters_uipsec-default; }
peer_counters_uipsec-chacha()     { peer_counters_uipsec-default; }
peer_counters_strongswan-chacha() { peer_counters_strongswan; }

peer_up_uipsec-gcm-esp()    { peer_up_uipsec gcm esp; }
peer_up_uipsec-gcm-udp()    { peer_up_uipsec gcm udp; }
peer_up_uipsec-chacha-esp() { peer_up_uipsec chacha esp; }
peer_up_uipsec-chacha-udp() { peer_up_uipsec chacha udp; }
peer_up_uipsec-gcm-udp-w2() { peer_up_uipsec gcm udp 2; }
peer_up_uipsec-default()    { peer_up_uipsec_ike no no; }
peer_up_uipsec-encap()      { peer_up_uipsec_ike yes no; }
peer_up_uipsec-rawesp()     { peer_up_uipsec_ike no yes; }
peer_up_uipsec-chacha()     { peer_up_uipsec_ike no no chacha20poly1305; }
peer_up_strongswan-chacha() { peer_up_strongswan chacha20poly1305; }

# The tests a peer runs (of BENCH_TESTS): the ChaCha20-Poly1305 peers are
# there for one TCP stream beside wireguard-go, raw ESP for its ratio to
# ESP in UDP; the others run every test.
peer_tests() {
	case $1 in
	uipsec-chacha | strongswan-chacha) echo tcp1 ;;
	uipsec-rawesp) echo tcp1 udp64 ;;
	*) echo "ping tcp1 tcp4 udp64 udp64buf" ;;
	esac
}
