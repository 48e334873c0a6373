#!/usr/bin/env bash
# The IKE daemons `make bench-reliability` compares (scripts/bench_reliability.sh),
# driven the same way whichever runs on a gateway: uipsecd, or strongSwan's
# charon 5.9.8 with kernel-libipsec (scripts/charon.sh). Both read the same
# swanctl.conf, written here. Sourced after topo.sh, charon.sh and
# bench_peers.sh (peer_wait, peer_charon_pid, peer_log_tail).
#
# A peer of the benchmark names what runs on gwa and gwb:
#   uipsec      uipsecd on both gateways
#   strongswan  charon on both
#   mixed       uipsecd on gwa, charon on gwb (not in the default run)
#
# Per gateway (NS is gwa or gwb of the current TOPO_PREFIX):
#   d_start NS KIND DIR   start KIND (uipsec|charon) with DIR/swanctl.conf;
#                         0 up, 1 failed, 2 the configuration was refused
#                         (D_ERR holds the daemon's own message either way)
#   d_stop NS             SIGTERM, wait (SIGKILL after 5 s)
#   d_kill9 NS            SIGKILL, wait
#   d_sas NS              the SAs, one per line, the same for both daemons:
#                         "ike CONN SPI_I STATE" and "child NAME SPI_IN STATE"
#   d_initiate NS CHILD   start CHILD (returns at once; d_initiate_wait
#                         waits for charon's swanctl calls)
#   d_setup NS CONN CHILD CAP POLL
#                         initiate CHILD and wait for it: SETUP is
#                         "ok SECONDS", "gaveup SECONDS" (the daemon gave up)
#                         or "timeout CAP"
#   d_terminate NS CONN   delete the IKE_SA of CONN (and its CHILD_SAs)
#   d_rss NS, d_ticks NS  resident memory (KiB), CPU time (clock ticks)
#   d_log NS              the daemon's log file

declare -gA D_KIND D_PID D_DIR
D_ERR=

rel_kinds() { # rel_kinds PEER: "KIND_GWA KIND_GWB"
	case $1 in
	uipsec) echo "uipsec uipsec" ;;
	strongswan) echo "charon charon" ;;
	mixed) echo "uipsec charon" ;;
	*) return 1 ;;
	esac
}

# --- configuration --------------------------------------------------------

# rel_conf_site SIDE DIR [CONN_EXTRA] [CHILD_EXTRA] [CHILDREN]: DIR/swanctl.conf
# for gw SIDE (a|b): connection "site" between the gateways, child "net"
# for the two sites, PSK authentication with FQDN identities; everything
# else is left at its default unless the extras (swanctl.conf lines) set
# it. CHILDREN, if given, replaces child "net" (the children's sections).
# REL_CONN_EXTRA and REL_CHILD_EXTRA (environment) are added to connection
# "site" and child "net" in every scenario that uses them.
rel_conf_site() {
	local s=$1 d=$2 me peer lts rts id oid children=${5:-}
	if [ "$s" = a ]; then
		me=192.0.2.1 peer=192.0.2.2 lts=10.1.0.0/24 rts=10.2.0.0/24 id=gwa oid=gwb
	else
		me=192.0.2.2 peer=192.0.2.1 lts=10.2.0.0/24 rts=10.1.0.0/24 id=gwb oid=gwa
	fi
	if [ -z "$children" ]; then
		children="net {
  local_ts = $lts
  remote_ts = $rts
$(rel_indent "  " "${4:-}")
$(rel_indent "  " "${REL_CHILD_EXTRA:-}")
}"
	fi
	mkdir -p "$d"
	{
		cat <<-EOF
		connections {
		  site {
		    local_addrs = $me
		    remote_addrs = $peer
		EOF
		rel_indent "    " "${3:-}"
		rel_indent "    " "${REL_CONN_EXTRA:-}"
		cat <<-EOF
		    local {
		      auth = psk
		      id = $id.example.org
		    }
		    remote {
		      auth = psk
		      id = $oid.example.org
		    }
		    children {
		EOF
		rel_indent "      " "$children"
		cat <<-EOF
		    }
		  }
		}
		secrets {
		  ike-site {
		    id-a = gwa.example.org
		    id-b = gwb.example.org
		    secret = $REL_PSK
		  }
		}
		EOF
	} >"$d/swanctl.conf"
}

# rel_conf_children SIDE DIR N: connection "site" with N children c0..cN-1,
# each its own pair of subnets (10.100+i/200.i%200.0/24 on gwa's side,
# 10.200+... on gwb's): N CHILD_SAs under one IKE_SA.
rel_conf_children() {
	local s=$1 d=$2 n=$3 i a b lts rts children=""
	for ((i = 0; i < n; i++)); do
		a="10.$((100 + i / 200)).$((i % 200)).0/24" b="10.$((200 + i / 200)).$((i % 200)).0/24"
		if [ "$s" = a ]; then lts=$a rts=$b; else lts=$b rts=$a; fi
		children+="c$i {
  local_ts = $lts
  remote_ts = $rts
}
"
	done
	rel_conf_site "$s" "$d" "" "" "$children"
}

rel_mem_ip() { echo "192.0.2.$((10 + $1))"; }   # initiator i's own address (i < 240)
rel_mem_ts() { echo "10.3.$(($1 / 250)).$(($1 % 250 + 1))/32"; }

# rel_many_addrs N: gwa owns the addresses of rel_conf_many's N initiators:
# the outer ones on eth1, the inner ones on lo (charon routes a CHILD_SA's
# remote subnet from its local address, and refuses the policy without it).
rel_many_addrs() {
	local i
	for ((i = 0; i < $1; i++)); do
		ns gwa ip addr add "$(rel_mem_ip $i)/24" dev eth1 &&
			ns gwa ip addr add "$(rel_mem_ts $i)" dev lo || return 1
	done
}

# rel_conf_many DIR N [CHILD_EXTRA]: gwa as N initiators in one daemon:
# connections c0..cN-1, each from its own address (rel_mem_ip, which the
# caller adds to eth1) with its own identity ci.example.org and one child
# "ni" for its own inner address (rel_mem_ts) to gwb's site.
rel_conf_many() {
	local d=$1 n=$2 i
	mkdir -p "$d"
	{
		echo "connections {"
		for ((i = 0; i < n; i++)); do
			cat <<-EOF
			  c$i {
			    local_addrs = $(rel_mem_ip $i)
			    remote_addrs = 192.0.2.2
			    local {
			      auth = psk
			      id = c$i.example.org
			    }
			    remote {
			      auth = psk
			      id = gwb.example.org
			    }
			    children {
			      n$i {
			        local_ts = $(rel_mem_ts $i)
			        remote_ts = 10.2.0.0/24
			EOF
			rel_indent "        " "${3:-}"
			cat <<-EOF
			      }
			    }
			  }
			EOF
		done
		echo "}"
		rel_conf_many_secret "$n"
	} >"$d/swanctl.conf"
}

# rel_conf_rw DIR N: gwb as the responder for rel_conf_many's initiators:
# one connection from any address and any identity, the inner addresses
# narrowed to what each initiator proposes.
rel_conf_rw() {
	local d=$1
	mkdir -p "$d"
	{
		cat <<-EOF
		connections {
		  rw {
		    local_addrs = 192.0.2.2
		    remote_addrs = %any
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
		        remote_ts = 10.3.0.0/16
		      }
		    }
		  }
		}
		EOF
		rel_conf_many_secret "$2"
	} >"$d/swanctl.conf"
}

rel_conf_many_secret() {
	local i
	echo "secrets {"
	echo "  ike-many {"
	echo "    id-gwb = gwb.example.org"
	for ((i = 0; i < $1; i++)); do echo "    id-c$i = c$i.example.org"; done
	echo "    secret = $REL_PSK"
	echo "  }"
	echo "}"
}

# rel_indent PREFIX TEXT: TEXT's lines, each after PREFIX (nothing if empty).
rel_indent() {
	[ -n "$2" ] || return 0
	local l
	while IFS= read -r l; do printf '%s%s\n' "$1" "$l"; done <<<"$2"
}

# --- daemons ----------------------------------------------------------------

d_start() {
	local n=$1 k=$2 d=$3 pid i
	d=$(cd "$d" && pwd) || return 1
	D_KIND[$n]=$k D_DIR[$n]=$d D_ERR=
	case $k in
	uipsec)
		rm -f "$d/ctl"
		ip netns exec "$(topo_name "$n")" "$UIPSEC_BUILD/uipsecd" -c "$d/swanctl.conf" \
			--control "$d/ctl" --foreground >>"$d/daemon.log" 2>&1 </dev/null &
		pid=$!
		D_PID[$n]=$pid
		for ((i = 0; i < 100; i++)); do
			if ! kill -0 "$pid" 2>/dev/null; then
				wait "$pid" 2>/dev/null
				unset "D_PID[$n]"
				D_ERR=$(grep -m1 '\[err\]' "$d/daemon.log" | sed -E 's/^uipsecd\[err\]: (\[[A-Z]+\] )?//')
				[ -n "$D_ERR" ] || D_ERR="uipsecd exited: $(peer_log_tail "$d/daemon.log")"
				# A refused configuration names its file and line.
				[[ $D_ERR == *swanctl.conf:[0-9]* ]] && return 2
				return 1
			fi
			[ -S "$d/ctl" ] && "$UIPSEC_BUILD/uipsec" --control "$d/ctl" stats >/dev/null 2>&1 && return 0
			sleep 0.05
		done
		D_ERR="uipsecd on $n does not answer on its control socket"
		return 1
		;;
	charon)
		# charon.sh truncates charon.log at each start: keep the
		# previous one (a restart scenario reads both).
		[ -f "$d/charon.log" ] && cat "$d/charon.log" >>"$d/charon.log.old"
		unset "CHARON_PID[$n]"
		if ! charon_start "$n" "$d" >"$d/start.log" 2>&1; then
			if grep -q 'loading connection .* failed' "$d/load.log" 2>/dev/null; then
				D_ERR=$(grep -m1 -iE 'invalid|unknown|failed' "$d/load.log" | tr -d '\r')
				d_stop "$n"
				return 2
			fi
			D_ERR="charon on $n: $(peer_log_tail "$d/start.log")"
			d_stop "$n"
			return 1
		fi
		pid=$(peer_charon_pid "${CHARON_PID[$n]}") || { D_ERR="no charon PID on $n"; return 1; }
		D_PID[$n]=$pid
		return 0
		;;
	esac
	D_ERR="unknown daemon kind $k"
	return 1
}

d_stop() {
	local n=$1 pid i
	if [ "${D_KIND[$n]:-}" = charon ]; then
		charon_stop "$n"
		unset "D_PID[$n]"
		return 0
	fi
	pid=${D_PID[$n]:-}
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	unset "D_PID[$n]"
}

d_kill9() {
	local n=$1 pid=${D_PID[$1]:-} top
	[ -n "$pid" ] || return 0
	if [ "${D_KIND[$n]}" = charon ]; then
		# CHARON_PID may be the shell charon was started from.
		top=${CHARON_PID[$n]:-}
		kill -KILL "$pid" 2>/dev/null
		[ -n "$top" ] && wait "$top" 2>/dev/null
		unset "CHARON_PID[$n]"
	else
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	unset "D_PID[$n]"
}

d_stop_all() {
	local n
	for n in "${!D_PID[@]}"; do d_stop "$n"; done
}

# d_counters: each running daemon's counters and SAs, for the logs.
d_counters() {
	local n
	for n in "${!D_PID[@]}"; do
		echo "== $n (${D_KIND[$n]})"
		if [ "${D_KIND[$n]}" = charon ]; then
			charon_swanctl "$n" --stats
			charon_swanctl "$n" --list-sas
		else
			d_ctl "$n" stats
			d_ctl "$n" ike-stats
			d_ctl "$n" list-sas
		fi
	done
}

d_log() {
	if [ "${D_KIND[$1]}" = charon ]; then echo "${D_DIR[$1]}/charon.log"; else echo "${D_DIR[$1]}/daemon.log"; fi
}

d_ctl() { # d_ctl NS ARGS...: uipsec ARGS against NS's uipsecd
	local n=$1
	shift
	"$UIPSEC_BUILD/uipsec" --control "${D_DIR[$n]}/ctl" "$@"
}

# Both daemons print their SAs as "CONN: [#N, ]STATE, IKEv2, SPI_i[*] SPI_r"
# then per child "  NAME: [#N, ]..., STATE, ..." and "    in  SPI, ...".
D_SAS_AWK='
/^[^ \t][^:]*: / {
	name = $1; sub(/:$/, "", name); st = ""; spi = ""
	for (i = 2; i <= NF; i++) {
		f = $i; gsub(/,/, "", f)
		if (st == "" && f ~ /^[A-Z_]+$/) st = f
		if (f ~ /_i\*?$/) { spi = f; sub(/_i\*?$/, "", spi) }
	}
	print "ike", name, spi, st
	next
}
/^  [^ ][^:]*: / {
	cname = $1; sub(/:$/, "", cname); cst = ""
	for (i = 2; i <= NF; i++) {
		f = $i; gsub(/,/, "", f)
		if (f ~ /^(INSTALLED|INSTALLING|REKEYING|REKEYED|DELETING|DELETED|CREATED|ROUTED|UPDATING|RETRYING|DESTROYING)$/) { cst = f; break }
	}
	next
}
/^    in  / { s = $2; gsub(/,/, "", s); print "child", cname, s, cst }'

d_sas() {
	local n=$1
	if [ "${D_KIND[$n]}" = charon ]; then
		charon_swanctl "$n" --list-sas 2>/dev/null | awk "$D_SAS_AWK"
	else
		d_ctl "$n" list-sas 2>/dev/null | awk "$D_SAS_AWK"
	fi
}

# d_count NS WHAT STATE: how many SAs of WHAT (ike|child) are in STATE.
d_count() { d_sas "$1" | awk -v w="$2" -v s="$3" '$1 == w && $4 == s' | grep -c .; }

INIT_PIDS=()
d_initiate() {
	local n=$1 child=$2
	if [ "${D_KIND[$n]}" = charon ]; then
		# swanctl waits for the result; not here (d_initiate_wait).
		charon_swanctl "$n" --initiate --child "$child" --timeout 300 >>"${D_DIR[$n]}/initiate.log" 2>&1 &
		INIT_PIDS+=($!)
	else
		d_ctl "$n" initiate --child "$child" >>"${D_DIR[$n]}/initiate.log" 2>&1
	fi
}

# d_initiate_wait: wait for the swanctl calls d_initiate left running.
d_initiate_wait() {
	local p
	for p in "${INIT_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	INIT_PIDS=()
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.3f", b - a}'; }

d_setup() {
	local n=$1 conn=$2 child=$3 cap=$4 poll=${5:-0.05} t0 rc seen=0 st
	t0=$(now)
	if [ "${D_KIND[$n]}" = charon ]; then
		# swanctl --initiate returns when the CHILD_SA is up or charon
		# has given up (its retransmissions exhausted).
		timeout "$((cap + 5))" swanctl --initiate --child "$child" --timeout "$cap" \
			--uri "$(charon_uri "$n")" >>"${D_DIR[$n]}/initiate.log" 2>&1
		rc=$?
		st=$(elapsed "$t0")
		if [ $rc = 0 ]; then SETUP="ok $st"
		elif awk -v e="$st" -v c="$cap" 'BEGIN {exit !(e < c - 0.5)}'; then SETUP="gaveup $st"
		else SETUP="timeout $cap"
		fi
		return 0
	fi
	d_ctl "$n" initiate --child "$child" >>"${D_DIR[$n]}/initiate.log" 2>&1
	while :; do
		st=$(d_sas "$n" | awk -v c="$conn" -v ch="$child" '
			$1 == "ike" { cur = $2; if (cur == c) ike = 1 }
			$1 == "child" && cur == c && $2 == ch && $4 == "INSTALLED" { up = 1 }
			END { print up ? "up" : ike ? "ike" : "none" }')
		case $st in
		up) SETUP="ok $(elapsed "$t0")"; return 0 ;;
		ike) seen=1 ;;
		none)
			# No IKE_SA of CONN any more: uipsecd gave up.
			if [ $seen = 1 ]; then SETUP="gaveup $(elapsed "$t0")"; return 0; fi ;;
		esac
		if ! awk -v e="$(elapsed "$t0")" -v c="$cap" 'BEGIN {exit !(e < c)}'; then
			SETUP="timeout $cap"
			return 0
		fi
		sleep "$poll"
	done
}

d_terminate() {
	local n=$1 conn=$2
	if [ "${D_KIND[$n]}" = charon ]; then
		charon_swanctl "$n" --terminate --ike "$conn" --timeout 10 >>"${D_DIR[$n]}/terminate.log" 2>&1
	else
		d_ctl "$n" terminate --ike "$conn" >>"${D_DIR[$n]}/terminate.log" 2>&1
	fi
}

d_rss() { awk '/^VmRSS:/ {print $2}' "/proc/${D_PID[$1]}/status" 2>/dev/null; }

d_ticks() {
	local line f
	read -r line <"/proc/${D_PID[$1]}/stat" 2>/dev/null || { echo 0; return; }
	read -ra f <<<"${line##*) }"
	echo $((f[11] + f[12]))
}

# --- topology additions ---------------------------------------------------------

# rel_ns_add NAME: one more namespace of this run (deleted by rel_topo_down).
rel_ns_add() {
	ip netns add "$(topo_name "$1")" && ns "$1" ip link set lo up &&
		ns "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
}

# rel_topo_down: kill what runs in the extra namespaces, delete them, then
# topo_down (which does the same for the four of topo.sh).
rel_topo_down() {
	local n name pids
	for n in relay flood; do
		name=$(topo_name $n)
		[ -e "/run/netns/$name" ] || continue
		pids=$(ip netns pids "$name" 2>/dev/null)
		[ -n "$pids" ] && kill -9 $pids 2>/dev/null
		ip netns del "$name" 2>/dev/null
	done
	topo_down >/dev/null 2>&1
}

# rel_flood_ns: namespace "flood" on a second link of gwb (gwb eth2
# 198.51.100.1 - flood eth0 198.51.100.2). gwb routes the flood's spoofed
# sources (REL_FLOOD_SRC) back to it, where they are dropped: the
# namespace does not forward, so the daemon's answers go nowhere.
rel_flood_ns() {
	rel_ns_add flood && topo_veth flood eth0 gwb eth2 &&
		ns flood ip addr add 198.51.100.2/24 dev eth0 &&
		ns gwb ip addr add 198.51.100.1/24 dev eth2 &&
		ns flood ip route add 192.0.2.0/24 via 198.51.100.1 &&
		ns gwb ip route add "$REL_FLOOD_SRC" via 198.51.100.2 &&
		ns flood sysctl -qw net.ipv4.ip_forward=0 &&
		ns gwb sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.eth2.rp_filter=0
}

# rel_relay_link: the public link through namespace "relay": gwa eth1 -
# relay r0 | relay r1 - gwb eth1, same addresses as before; nothing passes
# until bench_rel_relay.py bridges r0 and r1.
rel_relay_link() {
	rel_ns_add relay &&
		ns gwa ip link del eth1 &&
		topo_veth gwa eth1 relay r0 && topo_veth relay r1 gwb eth1 &&
		ns gwa ip addr add 192.0.2.1/24 dev eth1 &&
		ns gwb ip addr add 192.0.2.2/24 dev eth1 &&
		ns relay ip link set dev r0 promisc on && ns relay ip link set dev r1 promisc on &&
		rel_relay_no_gso
}

# The gateways' UDP GSO trains (ESP in UDP) leave a veth unsegmented, and
# the relay's packet socket would read and forward one train as one frame
# (a NIC or a kernel route segments them): gso_max_segs 1 makes the kernel
# cut them before the veth, as it would for a device without GSO.
rel_relay_no_gso() {
	ns gwa ip link set dev eth1 gso_max_segs 1 && ns gwb ip link set dev eth1 gso_max_segs 1
}

# rel_loss_link PERCENT: drop PERCENT% of the packets on gwa's public
# interface, each way (nftables numgen; the kernel here has no netem).
rel_loss_link() {
	ns gwa nft -f - <<-EOF
	table inet rel_loss {
		chain in {
			type filter hook input priority -10; policy accept;
			iifname "eth1" numgen random mod 100 < $1 drop
		}
		chain out {
			type filter hook output priority -10; policy accept;
			oifname "eth1" numgen random mod 100 < $1 drop
		}
	}
	EOF
}

# --- ping -----------------------------------------------------------------------

# rel_ping_stats FILE: over the output of scripts/bench_rel_ping.py:
# "sent received lost dups longest_gap", the longest gap being the longest
# run of unanswered requests.
rel_ping_stats() {
	awk '
	$1 == "R" { got[$3] = 1 }
	$1 == "D" { dups++ }
	$1 == "END" { tx = $2 }
	END {
		rx = 0; gap = 0; run = 0
		for (i = 1; i <= tx; i++) {
			if ((i % 65536) in got) { rx++; run = 0 } else { run++; if (run > gap) gap = run }
		}
		printf "%d %d %d %d %d\n", tx, rx, tx - rx, dups, gap
	}' "$1"
}
