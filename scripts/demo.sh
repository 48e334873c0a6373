#!/usr/bin/env bash
# make demo: two sites in network namespaces joined by an IKEv2 tunnel
# between two uipsecd gateways, and a tour of what each packet goes through.
#
#   hosta 10.1.0.2 -- gwa 10.1.0.1 | 192.0.2.1 ==== 192.0.2.2 | 10.2.0.1 gwb -- 10.2.0.2 hostb
#
# Steps: install missing packages (scripts/deps.sh), build, bring up the
# four namespaces (scripts/topo.sh), start uipsecd on both gateways with
# the swanctl.conf below (PSK, AES-GCM, X25519), establish IKEv2, ping
# hosta -> hostb, then show: the SAs, states and policies; tcpdump on the
# public interface and on ipsec0; uipsec trace of one echo request and its
# reply through both gateways; the kernel's netfilter view (nft monitor
# trace); the counters. Then everything is torn down.
#
# Environment:
#   KEEP=1          leave the namespaces and daemons up and print how to explore
#   DEMO_PAUSE=0    do not wait for Enter between screens (default: wait if
#                   stdin and stdout are a terminal)
#   DEMO_PREFIX=P   namespace prefix (default "demo"); namespaces are P-hosta, ...
#   DEMO_DIR=D      where the configuration, sockets, logs and captures go
#                   (default /tmp/uipsec-demo-PREFIX)
#   UIPSEC_BUILD=B  build directory (default build/)
# Needs root (namespaces, TUN devices). Exit status 0 only if every step worked.
set -uo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${UIPSEC_BUILD:-$SRC/build}
KEEP=${KEEP:-0}
TOPO_PREFIX=${DEMO_PREFIX:-demo}
RUN=${DEMO_DIR:-/tmp/uipsec-demo-$TOPO_PREFIX}
if [ -z "${DEMO_PAUSE:-}" ]; then
	if [ -t 0 ] && [ -t 1 ]; then DEMO_PAUSE=1; else DEMO_PAUSE=0; fi
fi
# shellcheck source=topo.sh
source "$SRC/scripts/topo.sh"

if [ -t 1 ]; then B=$'\e[1m'; D=$'\e[2m'; R=$'\e[31m'; G=$'\e[32m'; N=$'\e[0m'; else B= D= R= G= N=; fi

STEP="start"
HINT=""
step() { # step NAME HINT: what we do now, and what to check if it fails
	STEP=$1
	HINT=$2
	printf '%s==> %s%s\n' "$B" "$1" "$N"
}
die() {
	printf '\n%sdemo failed at step "%s": %s%s\n' "$R" "$STEP" "$*" "$N" >&2
	[ -n "$HINT" ] && printf 'check: %s\n' "$HINT" >&2
	exit 1
}
screen() { # screen TITLE: a new screen, after Enter if interactive
	STEP="screen $1"
	HINT="the output above; logs in $RUN"
	if [ "$DEMO_PAUSE" = 1 ]; then
		printf '\n%s[Enter for the next screen: %s]%s' "$D" "$1" "$N"
		read -r _
	fi
	printf '\n%s======== %s ========%s\n' "$B" "$1" "$N"
}
say() { printf '%s\n' "$*" | fold -s -w "${COLUMNS:-100}"; }
run() { # run NS CMD...: show the command as a prompt line, then its output
	local n=$1; shift
	printf '%s%s# %s%s\n' "$D" "$n" "$*" "$N"
	ns "$n" "$@"
}
ux() { local n=$1; shift; ns "$n" "$BUILD/uipsec" --control "$RUN/$n.sock" "$@"; }
# bgx NS CMD...: CMD in NS in the background, BG = its own PID (ip netns
# exec execs it), so that it can be stopped with SIGTERM by PID.
bgx() { local n=$1; shift; ip netns exec "$(topo_name "$n")" "$@" & BG=$!; }
uxr() { # like run, for uipsec commands
	local n=$1; shift
	printf '%s%s# uipsec %s%s\n' "$D" "$n" "$*" "$N"
	ux "$n" "$@"
}

declare -A PID
cleanup() {
	local rc=$?
	if [ "$KEEP" = 1 ] && [ "$rc" = 0 ]; then
		explore
		return
	fi
	for n in "${!PID[@]}"; do kill "${PID[$n]}" 2>/dev/null; done
	sleep 0.3
	for n in "${!PID[@]}"; do kill -9 "${PID[$n]}" 2>/dev/null; done
	topo_down
	if [ "$rc" = 0 ]; then
		rm -rf "$RUN"
		printf '%sdemo done; namespaces and daemons removed (KEEP=1 leaves them up).%s\n' "$G" "$N"
	else
		printf 'logs kept in %s\n' "$RUN" >&2
	fi
}

explore() {
	cat <<-EOT

	${B}The demo is still up (KEEP=1).${N} Try:
	  ip netns exec $TOPO_PREFIX-hosta ping 10.2.0.2
	  ip netns exec $TOPO_PREFIX-gwa $BUILD/uipsec --control $RUN/gwa.sock list-sas
	  ip netns exec $TOPO_PREFIX-gwa $BUILD/uipsec --control $RUN/gwa.sock trace
	  ip netns exec $TOPO_PREFIX-gwa $BUILD/uipsec --control $RUN/gwa.sock capture --point esp-in,inner-in -w /tmp/gwa.pcapng
	  ip netns exec $TOPO_PREFIX-gwa $BUILD/uipsec --control $RUN/gwa.sock keys --wireshark
	  ip netns exec $TOPO_PREFIX-gwa $BUILD/uipsec --control $RUN/gwa.sock explain 10.1.0.2 10.2.0.2 icmp
	  ip netns exec $TOPO_PREFIX-gwa $BUILD/uipsec --control $RUN/gwa.sock --json stats
	  ip netns exec $TOPO_PREFIX-gwa tcpdump -ni eth1
	  (metrics: ip netns exec $TOPO_PREFIX-gwa curl -s http://127.0.0.1:9101/metrics)
	Logs: $RUN/gwa.log $RUN/gwb.log
	Tear down: kill ${PID[gwa]:-} ${PID[gwb]:-}; $SRC/scripts/topo.sh down $TOPO_PREFIX; rm -rf $RUN
	EOT
}

# ---------------------------------------------------------------- config

# swanctl.conf for gateway $1 (gwa or gwb): PSK, AES-GCM, X25519.
write_conf() {
	local me=$1 peer local_ts remote_ts la ra
	if [ "$me" = gwa ]; then
		peer=gwb la=192.0.2.1 ra=192.0.2.2 local_ts=10.1.0.0/24 remote_ts=10.2.0.0/24
	else
		peer=gwa la=192.0.2.2 ra=192.0.2.1 local_ts=10.2.0.0/24 remote_ts=10.1.0.0/24
	fi
	cat >"$RUN/$me.conf" <<-EOC
	# uipsec demo: $me, site-to-site with $peer
	connections {
	   site {
	      version = 2
	      local_addrs  = $la
	      remote_addrs = $ra
	      proposals = aes128gcm16-prfsha256-x25519
	      encap = yes    # ESP in UDP 4500 (RFC 3948), as behind a NAT
	      local {
	         auth = psk
	         id = $me.demo.example
	      }
	      remote {
	         auth = psk
	         id = $peer.demo.example
	      }
	      children {
	         net {
	            local_ts  = $local_ts
	            remote_ts = $remote_ts
	            esp_proposals = aes128gcm16-x25519
	            start_action = trap
	         }
	      }
	   }
	}
	secrets {
	   ike-demo {
	      id-a = gwa.demo.example
	      id-b = gwb.demo.example
	      secret = "uipsec demo pre-shared key, not for real use"
	   }
	}
	EOC
	chmod 600 "$RUN/$me.conf"
}

start_gw() { # start_gw NS [ARGS...]
	local n=$1 i; shift
	ip netns exec "$(topo_name "$n")" "$BUILD/uipsecd" --foreground -c "$RUN/$n.conf" \
		--control "$RUN/$n.sock" "$@" >"$RUN/$n.log" 2>&1 &
	PID[$n]=$!
	for i in $(seq 50); do
		[ -S "$RUN/$n.sock" ] && ux "$n" stats >/dev/null 2>&1 && return 0
		kill -0 "${PID[$n]}" 2>/dev/null || break
		sleep 0.1
	done
	sed 's/^/    /' "$RUN/$n.log" >&2
	return 1
}

# ---------------------------------------------------------------- steps

[ "$(id -u)" = 0 ] || { echo "make demo needs root (network namespaces, TUN devices)" >&2; exit 1; }
[ -c /dev/net/tun ] || { echo "make demo needs /dev/net/tun" >&2; exit 1; }

step "packages" "scripts/deps.sh output above; apt-get must reach the Debian mirrors"
"$SRC/scripts/deps.sh" || die "scripts/deps.sh failed"

step "build" "cmake output above; 'make' in $SRC"
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
	cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || die "cmake configure"
fi
cmake --build "$BUILD" -j "$(nproc)" --target uipsecd uipsec >"$RUN.build.log" 2>&1 \
	|| { tail -20 "$RUN.build.log" >&2; die "cmake build (log: $RUN.build.log)"; }
rm -f "$RUN.build.log"
echo "    $BUILD/uipsecd, $BUILD/uipsec"

step "topology" "a leftover run? 'scripts/topo.sh down $TOPO_PREFIX'; 'ip netns list'"
if [ -e "/run/netns/$TOPO_PREFIX-gwa" ]; then
	echo "    removing a leftover demo ($TOPO_PREFIX-*)"
	topo_down
fi
rm -rf "$RUN"
mkdir -p "$RUN" && chmod 700 "$RUN"
trap cleanup EXIT
topo_up || die "scripts/topo.sh could not create the namespaces"
echo "    hosta 10.1.0.2 -- gwa 10.1.0.1 | 192.0.2.1 ==== 192.0.2.2 | 10.2.0.1 gwb -- 10.2.0.2 hostb"

step "uipsecd" "$RUN/gwa.log and $RUN/gwb.log"
write_conf gwa
write_conf gwb
start_gw gwa --metrics 127.0.0.1:9101 || die "uipsecd did not start on gwa"
start_gw gwb || die "uipsecd did not start on gwb"
echo "    uipsecd running on gwa (pid ${PID[gwa]}) and gwb (pid ${PID[gwb]}), configuration:"
sed -n '/connections/,/^}/p' "$RUN/gwa.conf" | sed 's/^/      /'

step "IKEv2" "$RUN/gwa.log (IKE_SA_INIT/IKE_AUTH lines); 'uipsec list-sas' on gwa"
ux gwa initiate --child net >/dev/null 2>&1 || ux gwa initiate --ike site >/dev/null 2>&1 \
	|| die "uipsec initiate failed"
ok=0
for i in $(seq 50); do
	if [ "$(ux gwa xfrm state count 2>/dev/null | grep -o '[0-9]\+' | head -1)" -ge 2 ] 2>/dev/null &&
	   [ "$(ux gwb xfrm state count 2>/dev/null | grep -o '[0-9]\+' | head -1)" -ge 2 ] 2>/dev/null; then
		ok=1; break
	fi
	sleep 0.2
done
[ "$ok" = 1 ] || { sed 's/^/    /' "$RUN/gwa.log" | tail -20 >&2; die "no CHILD_SA after 10 s"; }
echo "    IKE_SA and CHILD_SA established"

step "ping" "'uipsec explain 10.1.0.2 10.2.0.2 icmp' on gwa; 'uipsec stats'"
ns hosta ping -c 3 -i 0.2 -W 2 10.2.0.2 | sed 's/^/    /'
[ "${PIPESTATUS[0]}" = 0 ] || die "hosta cannot ping hostb through the tunnel"

# ---------------------------------------------------------------- screens

screen "1/6 the SAs"
say "gwa's IKE and CHILD SAs, as uipsec list-sas shows them (swanctl --list-sas style):"
uxr gwa list-sas
echo
say "The CHILD_SA as ESP states and policies, printed like 'ip xfrm state' and 'ip xfrm policy' print Linux's (keys are hidden unless -k asks for them; this is a demo):"
uxr gwa -k xfrm state
uxr gwa xfrm policy

screen "2/6 what each interface shows"
ETH1_FILTER="not arp and not icmp6 and not ip6 multicast"
TUN_FILTER="not ip6 multicast"   # the TUN's link-local MLD reports
say "tcpdump on gwa's public interface eth1 and on its TUN device ipsec0 while hosta pings hostb once:"
bgx gwa tcpdump -ni eth1 -U --immediate-mode -w "$RUN/eth1.pcap" 2>/dev/null; T1=$BG
bgx gwa tcpdump -ni ipsec0 -U --immediate-mode -w "$RUN/ipsec0.pcap" 2>/dev/null; T2=$BG
sleep 1
ns hosta ping -c 1 -W 2 10.2.0.2 >/dev/null || die "ping during the captures"
sleep 0.5
kill -TERM $T1 $T2 2>/dev/null; wait $T1 $T2 2>/dev/null
# Hide each link's own chatter (ARP, IPv6 neighbour discovery, MLD reports
# to multicast groups), not what crosses it: every other packet, IPv4 or
# IPv6, is shown.
printf '%sgwa# tcpdump -ni eth1 %s%s\n' "$D" "'$ETH1_FILTER'" "$N"
tcpdump -nr "$RUN/eth1.pcap" "$ETH1_FILTER" 2>/dev/null
printf '%sgwa# tcpdump -ni ipsec0 %s%s\n' "$D" "'$TUN_FILTER'" "$N"
tcpdump -nr "$RUN/ipsec0.pcap" "$TUN_FILTER" 2>/dev/null
[ "$(tcpdump -nr "$RUN/eth1.pcap" icmp 2>/dev/null | wc -l)" = 0 ] || die "clear ICMP on eth1"
[ "$(tcpdump -nr "$RUN/eth1.pcap" udp port 4500 2>/dev/null | wc -l)" -ge 2 ] || die "no ESP-in-UDP on eth1"
[ "$(tcpdump -nr "$RUN/ipsec0.pcap" icmp 2>/dev/null | wc -l)" -ge 2 ] || die "no ICMP on ipsec0"
say "eth1 carries only ESP (in UDP 4500: encap = yes); the decrypted ICMP appears on ipsec0 only. On a Linux XFRM gateway 'tcpdump -i eth1' would show both: the kernel re-injects the decrypted packet on the device it came in on."

screen "3/6 one echo request and its reply, stage by stage"
say "uipsec trace on both gateways while hosta pings hostb once. Each line is a stage, named after the Linux function it stands for:"
bgx gwa "$BUILD/uipsec" --control "$RUN/gwa.sock" trace -n 2 proto icmp >"$RUN/trace-gwa" 2>&1; TA=$BG
bgx gwb "$BUILD/uipsec" --control "$RUN/gwb.sock" trace -n 2 proto icmp >"$RUN/trace-gwb" 2>&1; TB=$BG
sleep 0.5
ns hosta ping -c 1 -W 2 10.2.0.2 >/dev/null || die "ping during the trace"
for i in $(seq 20); do kill -0 $TA 2>/dev/null || kill -0 $TB 2>/dev/null || break; sleep 0.1; done
kill $TA $TB 2>/dev/null; wait $TA $TB 2>/dev/null
printf '%sgwa# uipsec trace -n 2 proto icmp%s\n' "$D" "$N"
cat "$RUN/trace-gwa"
printf '%sgwb# uipsec trace -n 2 proto icmp%s\n' "$D" "$N"
cat "$RUN/trace-gwb"
grep -q xfrm_output "$RUN/trace-gwa" && grep -q xfrm_input "$RUN/trace-gwb" \
	|| die "the traces do not show the request leaving gwa and arriving at gwb"

screen "4/6 the kernel's view: netfilter on gwb"
say "nftables rules with 'meta nftrace set 1' in gwb mark the ESP-in-UDP packet from gwa and the ICMP that uipsecd writes to ipsec0; 'nft monitor trace' prints every chain they pass:"
ns gwb nft -f - <<-'NFT' || die "nft rules in gwb"
	table inet demo {
		chain PREROUTING { type filter hook prerouting priority -300; udp dport 4500 meta nftrace set 1; iifname "ipsec0" icmp type echo-request meta nftrace set 1; }
		chain INPUT { type filter hook input priority 0; }
		chain FORWARD { type filter hook forward priority 0; }
	}
NFT
bgx gwb nft monitor trace >"$RUN/nft-trace" 2>&1; NM=$BG
sleep 0.5
ns hosta ping -c 1 -W 2 10.2.0.2 >/dev/null || die "ping during nft monitor trace"
sleep 0.5
kill $NM 2>/dev/null; wait $NM 2>/dev/null
ns gwb nft delete table inet demo
printf '%sgwb# nft monitor trace%s\n' "$D" "$N"
grep -E "^trace id [0-9a-f]+ inet demo (PREROUTING|INPUT|FORWARD) (packet|verdict|policy)" "$RUN/nft-trace" \
	| sed -E 's/ (ether|ip6?) (saddr|daddr|hoplimit|dscp|ecn|ttl|id|length|flowlabel|nexthdr|protocol) [^ ]+//g; s/ (udp|icmp) (checksum|length|sequence|id|code) [^ ]+//g; s/ @th,[0-9,]+ 0x[0-9a-f]+//g' \
	| head -20
grep -q 'inet demo INPUT packet: iif "eth1".*udp dport 4500' "$RUN/nft-trace" \
	|| die "nft trace: the ESP-in-UDP packet did not reach INPUT"
grep -q 'inet demo FORWARD packet: iif "ipsec0".*icmp' "$RUN/nft-trace" \
	|| die "nft trace: the inner ICMP did not pass FORWARD from ipsec0"
say "The ESP-in-UDP packet passes PREROUTING and INPUT on eth1: it is addressed to gwb, and uipsecd reads it from its UDP socket. uipsecd decrypts it in userspace and writes the inner packet to ipsec0, where the kernel sees it arrive: PREROUTING and FORWARD with iif ipsec0, on to hostb."
say "Linux's own XFRM path differs: after xfrm_input decrypts, the kernel re-injects the inner packet on eth1 itself, so it passes PREROUTING and FORWARD a second time with iif eth1 (that is why 'tcpdump -i eth1' and eth1 firewall rules see clear text there, and why rules match with 'meta ipsec exists'). With uipsec the clear-text packet only ever exists on ipsec0; an XFRM interface (xfrmi) gives Linux the same honesty."

screen "5/6 the counters"
uxr gwa stats
echo
printf '%sgwa# curl http://127.0.0.1:9101/metrics | grep -E "ike_sa|child_sa|established"%s\n' "$D" "$N"
ns gwa /usr/bin/python3 -c 'import urllib.request;print(urllib.request.urlopen("http://127.0.0.1:9101/metrics",timeout=3).read().decode())' \
	| grep -E '^uipsec_(child_sa_packets_total|ike_sas|child_sas|ike_sa_info)|kind="(ike|child)-established"' \
	|| die "metrics endpoint"

screen "6/6 asking instead of sending"
say "uipsec explain says, without sending anything, which policy, SA and route a packet would get:"
uxr gwa explain 10.1.0.2 10.2.0.2 icmp
echo
uxr gwa explain 10.1.0.2 10.3.0.7 tcp 443
echo
say "And uipsec keys --wireshark exports the ESP and IKE SAs for Wireshark's ESP SA and IKEv2 decryption tables (see 'uipsec capture --help' for captures at each stage of the path)."
printf '\n%sdemo: all steps passed%s\n' "$G" "$N"
