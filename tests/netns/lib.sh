#!/usr/bin/env bash
# Shared helpers of the uipsecd namespace tests (sourced; not a test).
#
#   gw_lib_init             checks (root, binaries), topology up, cleanup trap
#   gw_start NS [ARGS...]   start uipsecd in gateway NS, record its PID
#                           (GW_ARGS: options for every daemon, e.g. --workers 2)
#   gw_stop NS              SIGTERM it and wait
#   ux NS ARGS...           uipsec against NS's daemon
#   gw_tunnel ALG ENCAP OUTER INNER   flush and install the manual SAs and
#                           policies on both gateways (ALG: gcm128 gcm256
#                           chacha cbcsha256; ENCAP: raw|udp; OUTER/INNER: 4|6;
#                           GW_PRIO: policy priority, GW_STATE_EXTRA: more
#                           state words, e.g. "flag esn")
#   stat_of NS COUNTER      one xfrm_stat counter of NS's daemon
#   fail MSG                print and exit 1
#
# Daemons are killed by PID on exit; the topology is removed whatever
# happens.

: "${UIPSEC_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${UIPSEC_BUILD:=$UIPSEC_SRC/build}"
UIPSECD=$UIPSEC_BUILD/uipsecd
UIPSEC=$UIPSEC_BUILD/uipsec
PY=/usr/bin/python3
# shellcheck source=../../scripts/topo.sh
source "$UIPSEC_SRC/scripts/topo.sh"

declare -A GW_PID
GW_RUN=""

fail() { echo "FAIL: $*" >&2; exit 1; }
# bg NS CMD...: start CMD in NS in the background; its PID in BG_PID
bg() { local n=$1; shift; ip netns exec "$(topo_name "$n")" "$@" & BG_PID=$!; }
note() { echo "--- $*"; }

gw_cleanup() {
	local n
	for n in "${!GW_PID[@]}"; do
		kill "${GW_PID[$n]}" 2>/dev/null
	done
	sleep 0.2
	for n in "${!GW_PID[@]}"; do
		kill -9 "${GW_PID[$n]}" 2>/dev/null
	done
	topo_down
	[ -n "$GW_RUN" ] && rm -rf "$GW_RUN"
}

gw_lib_init() {
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
	[ -x "$UIPSECD" ] && [ -x "$UIPSEC" ] || { echo "SKIP: build uipsecd and uipsec first"; exit 77; }
	[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
	TOPO_PREFIX=${TOPO_PREFIX:-ut$$}
	GW_RUN=$(mktemp -d /tmp/uipsec-netns.XXXXXX)
	: >"$GW_RUN/empty.conf"   # an empty swanctl.conf: manual keying only
	trap gw_cleanup EXIT
	topo_up || fail "topology did not come up"
}

ctl_of() { echo "$GW_RUN/$1.sock"; }

gw_start() {
	local n=$1; shift
	# ip netns exec execs the daemon: $! is the daemon's own PID
	# shellcheck disable=SC2086
	ip netns exec "$(topo_name "$n")" "$UIPSECD" --foreground --control "$(ctl_of "$n")" \
		-c "$GW_RUN/empty.conf" ${GW_ARGS:-} "$@" >"$GW_RUN/$n.log" 2>&1 &
	GW_PID[$n]=$!
	local i
	for i in $(seq 50); do
		[ -S "$(ctl_of "$n")" ] && ux "$n" stats >/dev/null 2>&1 && return 0
		kill -0 "${GW_PID[$n]}" 2>/dev/null || break
		sleep 0.1
	done
	cat "$GW_RUN/$n.log" >&2
	fail "uipsecd on $n did not start"
}

gw_stop() {
	local n=$1 i
	kill -TERM "${GW_PID[$n]}" 2>/dev/null
	for i in $(seq 50); do
		kill -0 "${GW_PID[$n]}" 2>/dev/null || { wait "${GW_PID[$n]}" 2>/dev/null; unset "GW_PID[$n]"; return 0; }
		sleep 0.1
	done
	fail "uipsecd on $n did not stop on SIGTERM"
}

ux() { local n=$1; shift; ns "$n" "$UIPSEC" --control "$(ctl_of "$n")" "$@"; }

stat_of() { ux "$1" stats | awk -v k="$2" '$1 == k { print $2 }'; }

# hexkey C N: N bytes of key, each 0xCC
hexkey() { local i k=""; for ((i = 0; i < $2; i++)); do k+="$1$1"; done; echo "0x$k"; }

# Algorithm arguments for "ip xfrm state add"; $2/$3 pick distinct keys.
alg_args() {
	case "$1" in
	gcm128) echo "aead rfc4106(gcm(aes)) $(hexkey "$2" 20) 128" ;;
	gcm256) echo "aead rfc4106(gcm(aes)) $(hexkey "$2" 36) 128" ;;
	chacha) echo "aead rfc7539esp(chacha20,poly1305) $(hexkey "$2" 36) 128" ;;
	cbcsha256) echo "enc cbc(aes) $(hexkey "$2" 16) auth-trunc hmac(sha256) $(hexkey "$3" 32) 128" ;;
	*) fail "unknown algorithm $1" ;;
	esac
}

# Outer and inner addresses by family.
outer_a() { [ "$1" = 6 ] && echo 2001:db8::1 || echo 192.0.2.1; }
outer_b() { [ "$1" = 6 ] && echo 2001:db8::2 || echo 192.0.2.2; }
site_a() { [ "$1" = 6 ] && echo fd01::/64 || echo 10.1.0.0/24; }
site_b() { [ "$1" = 6 ] && echo fd02::/64 || echo 10.2.0.0/24; }
host_b() { [ "$1" = 6 ] && echo fd02::2 || echo 10.2.0.2; }

# gw_tunnel ALG ENCAP OUTER INNER [SPI_AB SPI_BA]
gw_tunnel() {
	local alg=$1 encap=$2 of=$3 inf=$4 spi_ab=${5:-0x1001} spi_ba=${6:-0x2001}
	local a b sa sb e="" n
	a=$(outer_a "$of"); b=$(outer_b "$of"); sa=$(site_a "$inf"); sb=$(site_b "$inf")
	[ "$encap" = udp ] && e="encap espinudp 4500 4500 0.0.0.0"
	# Another family inside: as in Linux, the state's selector (which
	# defaults to the outer family) must name the inner one.
	if [ "$of" != "$inf" ]; then
		[ "$inf" = 6 ] && e="$e sel src ::/0 dst ::/0" || e="$e sel src 0.0.0.0/0 dst 0.0.0.0/0"
	fi
	# shellcheck disable=SC2046
	for n in gwa gwb; do
		ux $n xfrm policy flush || fail "policy flush on $n"
		ux $n xfrm state flush || fail "state flush on $n"
		ux $n xfrm state add src "$a" dst "$b" proto esp spi "$spi_ab" reqid 1 mode tunnel \
			$(alg_args "$alg" a c) $e replay-window 128 ${GW_STATE_EXTRA:-} || fail "state add a->b on $n"
		ux $n xfrm state add src "$b" dst "$a" proto esp spi "$spi_ba" reqid 2 mode tunnel \
			$(alg_args "$alg" b d) $e replay-window 128 ${GW_STATE_EXTRA:-} || fail "state add b->a on $n"
	done
	local pr="priority ${GW_PRIO:-0}"
	ux gwa xfrm policy add src "$sa" dst "$sb" dir out $pr tmpl src "$a" dst "$b" proto esp reqid 1 mode tunnel || fail "policy gwa out"
	ux gwa xfrm policy add src "$sb" dst "$sa" dir fwd $pr tmpl src "$b" dst "$a" proto esp reqid 2 mode tunnel || fail "policy gwa fwd"
	ux gwa xfrm policy add src "$sb" dst "$sa" dir in $pr tmpl src "$b" dst "$a" proto esp reqid 2 mode tunnel || fail "policy gwa in"
	ux gwb xfrm policy add src "$sb" dst "$sa" dir out $pr tmpl src "$b" dst "$a" proto esp reqid 2 mode tunnel || fail "policy gwb out"
	ux gwb xfrm policy add src "$sa" dst "$sb" dir fwd $pr tmpl src "$a" dst "$b" proto esp reqid 1 mode tunnel || fail "policy gwb fwd"
	ux gwb xfrm policy add src "$sa" dst "$sb" dir in $pr tmpl src "$a" dst "$b" proto esp reqid 1 mode tunnel || fail "policy gwb in"
}

# ping_ok INNER [COUNT]: hosta pings hostb through the tunnel
ping_ok() {
	local dst; dst=$(host_b "$1")
	ns hosta ping -q -c "${2:-3}" -i 0.2 -W 2 "$dst" >/dev/null
}
