#!/usr/bin/env bash
# The four-namespace test topology of DESIGN.md, used by tests, the demo and
# the benchmarks:
#
#   hosta            gwa                          gwb            hostb
#   eth0 10.1.0.2 -- eth0 10.1.0.1  eth1 192.0.2.1 -- 192.0.2.2 eth1  eth0 10.2.0.1 -- eth0 10.2.0.2
#        fd01::2        fd01::1        2001:db8::1 -- 2001:db8::2       fd02::1           fd02::2
#
# The gateways forward but have no route between the two sites: only a VPN
# (a route via its TUN device) connects 10.1.0.0/24 and 10.2.0.0/24.
#
# Namespace names carry a per-run prefix (TOPO_PREFIX, default "u$$") so
# that runs never collide. Use as a library:
#   source scripts/topo.sh; topo_up; trap topo_down EXIT; ns gwa ip addr
# or as a command: scripts/topo.sh up|down [PREFIX]
#
# With TOPO_NAT=1 a fifth namespace "nat" sits between gwa and gwb and
# masquerades gwa's traffic (gwa eth1 192.168.0.2 -> nat 192.168.0.1 |
# 192.0.2.3 -> gwb 192.0.2.2), so gwa is behind a NAT as seen by gwb.

TOPO_PREFIX=${TOPO_PREFIX:-u$$}
TOPO_NAT=${TOPO_NAT:-0}

topo_name() { echo "${TOPO_PREFIX}-$1"; }
ns() { local n=$1; shift; ip netns exec "$(topo_name "$n")" "$@"; }


topo_veth() { # topo_veth NS1 IF1 NS2 IF2: a veth pair between two namespaces
	local a=tmp${TOPO_PREFIX}a b=tmp${TOPO_PREFIX}b
	ip link add "$a" type veth peer name "$b" || return 1
	ip link set "$a" netns "$(topo_name "$1")" || return 1
	ip link set "$b" netns "$(topo_name "$3")" || return 1
	ns "$1" ip link set "$a" name "$2" || return 1
	ns "$3" ip link set "$b" name "$4" || return 1
	ns "$1" ip link set "$2" up && ns "$3" ip link set "$4" up
}

# Build the topology. The steps run in a bash of their own with set -e, so
# that a failing step stops the build even when topo_up is called inside a
# condition (where bash ignores set -e); a half-built topology is removed.
topo_up() {
	if [ ${#TOPO_PREFIX} -gt 11 ]; then
		echo "topo: TOPO_PREFIX '$TOPO_PREFIX' is longer than 11 characters (veth names must fit in 15)" >&2
		return 1
	fi
	if ! TOPO_PREFIX=$TOPO_PREFIX TOPO_NAT=$TOPO_NAT bash -ec "source '${BASH_SOURCE[0]}'; topo_build"; then
		echo "topo: building the topology '$TOPO_PREFIX' failed (see the error above)" >&2
		topo_down
		return 1
	fi
}

topo_build() {
	local n
	for n in hosta gwa gwb hostb; do
		ip netns add "$(topo_name $n)"
		ns $n ip link set lo up
		ns $n sysctl -qw net.ipv6.conf.all.disable_ipv6=0
		ns $n sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	done
	topo_veth hosta eth0 gwa eth0
	topo_veth gwb eth0 hostb eth0
	if [ "$TOPO_NAT" = 1 ]; then
		ip netns add "$(topo_name nat)"
		ns nat ip link set lo up
		topo_veth gwa eth1 nat eth0
		topo_veth nat eth1 gwb eth1
		ns gwa ip addr add 192.168.0.2/24 dev eth1
		ns nat ip addr add 192.168.0.1/24 dev eth0
		ns nat ip addr add 192.0.2.3/24 dev eth1
		ns gwb ip addr add 192.0.2.2/24 dev eth1
		ns gwa ip route add 192.0.2.0/24 via 192.168.0.1
		ns nat sysctl -qw net.ipv4.ip_forward=1
		ns nat nft -f - <<-NFT
		table ip nat {
			chain postrouting {
				type nat hook postrouting priority srcnat; policy accept;
				oifname "eth1" masquerade
			}
		}
		NFT
	else
		topo_veth gwa eth1 gwb eth1
		ns gwa ip addr add 192.0.2.1/24 dev eth1
		ns gwb ip addr add 192.0.2.2/24 dev eth1
		ns gwa ip addr add 2001:db8::1/64 dev eth1 nodad
		ns gwb ip addr add 2001:db8::2/64 dev eth1 nodad
	fi
	ns hosta ip addr add 10.1.0.2/24 dev eth0
	ns gwa   ip addr add 10.1.0.1/24 dev eth0
	ns gwb   ip addr add 10.2.0.1/24 dev eth0
	ns hostb ip addr add 10.2.0.2/24 dev eth0
	ns hosta ip addr add fd01::2/64 dev eth0 nodad
	ns gwa   ip addr add fd01::1/64 dev eth0 nodad
	ns gwb   ip addr add fd02::1/64 dev eth0 nodad
	ns hostb ip addr add fd02::2/64 dev eth0 nodad
	ns hosta ip route add default via 10.1.0.1
	ns hostb ip route add default via 10.2.0.1
	ns hosta ip -6 route add default via fd01::1
	ns hostb ip -6 route add default via fd02::1
	for n in gwa gwb; do
		ns $n sysctl -qw net.ipv4.ip_forward=1
		ns $n sysctl -qw net.ipv6.conf.all.forwarding=1
	done
}

# Kill every process still running in our namespaces, then delete them.
topo_down() {
	local n name pids
	for n in hosta gwa gwb hostb nat; do
		name=$(topo_name $n)
		[ -e "/run/netns/$name" ] || continue
		pids=$(ip netns pids "$name" 2>/dev/null)
		[ -n "$pids" ] && kill $pids 2>/dev/null
	done
	sleep 0.2
	for n in hosta gwa gwb hostb nat; do
		name=$(topo_name $n)
		[ -e "/run/netns/$name" ] || continue
		pids=$(ip netns pids "$name" 2>/dev/null)
		[ -n "$pids" ] && kill -9 $pids 2>/dev/null
		ip netns del "$name" 2>/dev/null
	done
	return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case "${1:-}" in
	up)   TOPO_PREFIX=${2:-$TOPO_PREFIX}; topo_up; echo "topology up: prefix $TOPO_PREFIX" ;;
	down) TOPO_PREFIX=${2:?prefix}; topo_down ;;
	*)    echo "usage: $0 up|down [PREFIX]" >&2; exit 2 ;;
	esac
fi
