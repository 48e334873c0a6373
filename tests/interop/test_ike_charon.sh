#!/usr/bin/env bash
# uipsec's IKE against strongSwan 5.9.8 (charon + kernel-libipsec, see
# docs/interop.md), PSK site-to-site 10.1.0.0/24 <-> 10.2.0.0/24:
#
#   - uipsec as initiator (gwa) and as responder (gwb) for each IKE and ESP
#     proposal of issue 4; after each, hosta pings hostb through the tunnel
#     and a 2-second iperf3 TCP run passes;
#   - PFS: a second CHILD_SA created by uipsec with CREATE_CHILD_SA and a
#     KE payload, and a rekeying of the CHILD_SA started by charon;
#   - a CHILD_SA rekey collision, both rekeying at once (uipsec initiator);
#   - failures on both sides with the right notify: wrong PSK
#     (AUTHENTICATION_FAILED), no common proposal (NO_PROPOSAL_CHOSEN),
#     non-matching traffic selectors (TS_UNACCEPTABLE);
#   - with TOPO_NAT=1 (test_ike_charon_nat.sh) gwa sits behind a NAT.
#
# charon's kernel-libipsec always encapsulates ESP in UDP 4500 (it fakes
# NAT detection), so uipsec follows it there in every case.
# QUICK=1 runs one proposal per role. Exit 77: not root / no charon.
set -u

TOPO_PREFIX=${TOPO_PREFIX:-ic$$}
TOPO_NAT=${TOPO_NAT:-0}
# shellcheck source-path=SCRIPTDIR source=../netns/ike_lib.sh
source "$(dirname "$0")/../netns/ike_lib.sh"
ike_lib_init ike-charon charon uipsec

U='' C='' UDIR='' CDIR=''
fail_logs() {
	echo "--- uipsecd log (tail)"; tail -n 25 "$UDIR/uipsecd.log" 2>/dev/null
	echo "--- charon log (tail)"; tail -n 25 "$CDIR/charon.log" 2>/dev/null
}

PSK=$(psk_random)

uipsec() { u "$U" "$@"; }

# setup ROLE IKE ESP [PSK_UIPSEC] [RTS_UIPSEC] [IKE_CHARON] [ESP_CHARON]:
# ROLE init: uipsec on gwa, charon on gwb; resp: charon on gwa, uipsec on gwb.
setup() {
	local role=$1 ike=$2 esp=$3 upsk=${4:-$PSK} urts=${5:-} cike=${6:-$2} cesp=${7:-$3}
	local aaddr=192.0.2.1 braddr=192.0.2.1
	if [ "$TOPO_NAT" = 1 ]; then aaddr=192.168.0.2; braddr=%any; fi
	stop_all
	charon_stop_all
	rm -rf "$W/gwa" "$W/gwb"
	if [ "$role" = init ]; then U=gwa C=gwb; else U=gwb C=gwa; fi
	UDIR=$W/$U CDIR=$W/$C
	local a_ike=$cike a_esp=$cesp a_psk=$PSK b_ike=$ike b_esp=$esp b_psk=$upsk b_rts=${urts:-10.1.0.0/24} a_rts=10.2.0.0/24
	if [ "$role" = init ]; then
		a_ike=$ike a_esp=$esp a_psk=$upsk a_rts=${urts:-10.2.0.0/24}
		b_ike=$cike b_esp=$cesp b_psk=$PSK b_rts=10.1.0.0/24
	fi
	local a_extra='' b_extra=''
	if [ "$U" = gwa ]; then a_extra=${UEXTRA:-}; else b_extra=${UEXTRA:-}; fi
	write_conf "$W/gwa" "$aaddr" 192.0.2.2 gwa.example.org gwb.example.org 10.1.0.0/24 "$a_rts" "$a_ike" "$a_esp" "$a_psk" "$a_extra"
	write_conf "$W/gwb" 192.0.2.2 "$braddr" gwb.example.org gwa.example.org 10.2.0.0/24 "$b_rts" "$b_ike" "$b_esp" "$b_psk" "$b_extra"
	charon_start "$C" "$CDIR" || { fail "charon did not start"; return 1; }
	uipsecd_start "$U" || { fail "uipsecd did not start"; return 1; }
}

initiate() {
	if [ "$U" = gwa ]; then
		uipsec initiate --child net >/dev/null && established "$U"
		return
	fi
	charon_swanctl "$C" --initiate --child net --timeout 10 >"$CDIR/initiate.log" 2>&1
}

# The proposal matrix (issue 4): IKE and ESP proposals paired up so that
# every one is used in each role.
IKE_PROPS=(aes256gcm16-prfsha256-x25519 aes128gcm16-prfsha256-ecp256 aes256-sha256-modp2048
           aes128-sha384-modp3072 chacha20poly1305-prfsha256-ecp384 aes256-sha512-x25519
           aes128-sha256-ecp256)
ESP_PROPS=(aes128gcm16 aes256gcm16 chacha20poly1305 aes128-sha256 aes256-sha256 aes128gcm16 aes256-sha256)
[ "${QUICK:-0}" = 1 ] && { IKE_PROPS=(aes256gcm16-prfsha256-x25519); ESP_PROPS=(aes128gcm16); }

topo_up >/dev/null 2>&1 || { echo "FAIL: topology did not come up"; exit 1; }

for role in init resp; do
	for i in "${!IKE_PROPS[@]}"; do
		CASE="$role ${IKE_PROPS[$i]} / esp ${ESP_PROPS[$i]}"
		setup "$role" "${IKE_PROPS[$i]}" "${ESP_PROPS[$i]}" || continue
		initiate || { fail "not established"; continue; }
		ping4_through || { fail "no ping through the tunnel"; continue; }
		iperf3_through || { fail "iperf3 through the tunnel failed"; continue; }
		uipsec list-sas | grep -q "TUNNEL-in-UDP" || { fail "ESP not UDP-encapsulated"; continue; }
		if [ "$TOPO_NAT" = 1 ]; then
			# gwa is really behind the NAT: uipsec must see it from both ends
			want="remote .*behind NAT"
			[ "$role" = init ] && want="local .*behind NAT"
			uipsec list-sas | grep -q "$want" || { fail "NAT not detected ($want)"; continue; }
		fi
		echo "ok [$CASE]"
	done

	# PFS: uipsec creates a second CHILD_SA with KE (when initiator), charon
	# rekeys the first one with KE (both roles).
	PFS_PROPS=(aes128gcm16-modp2048 aes256-sha256-x25519 aes256gcm16-ecp256 chacha20poly1305-ecp384
	           aes128-sha256-modp3072)
	[ "${QUICK:-0}" = 1 ] && PFS_PROPS=(aes128gcm16-modp2048 aes256-sha256-x25519)
	for esp in "${PFS_PROPS[@]}"; do
		CASE="$role PFS esp $esp"
		setup "$role" aes256gcm16-prfsha256-x25519 "$esp" || continue
		initiate || { fail "not established"; continue; }
		if [ "$role" = init ]; then
			uipsec initiate --child net >/dev/null
			sleep 1
			[ "$(uipsec list-sas | grep -c 'net: INSTALLED')" = 2 ] ||
				{ fail "no second CHILD_SA with PFS"; continue; }
		fi
		old=$(uipsec list-sas | awk '/^    in /{print $2}' | tr -d , | sort)
		charon_swanctl "$C" --rekey --child net >/dev/null 2>&1
		sleep 1.5
		new=$(uipsec list-sas | awk '/^    in /{print $2}' | tr -d , | sort)
		if [ -z "$new" ] || [ "$old" = "$new" ]; then fail "CHILD_SA not rekeyed ($old -> $new)"; continue; fi
		grep -q "CHILD_SA net established" "$UDIR/uipsecd.log" || { fail "no child log"; continue; }
		ping4_through || { fail "no ping after PFS rekey"; continue; }
		echo "ok [$CASE]"
	done

	# IKE_SA rekeying, started by charon and by uipsec (rekey_time).
	for who in charon uipsec; do
		CASE="$role IKE_SA rekey by $who"
		UEXTRA=
		[ "$who" = uipsec ] && UEXTRA="rekey_time = 4s"
		setup "$role" aes128-sha256-ecp256 aes128gcm16 || continue
		UEXTRA=
		initiate || { fail "not established"; continue; }
		old=$(uipsec list-sas | head -1)
		if [ "$who" = charon ]; then
			charon_swanctl "$C" --rekey --ike site >/dev/null 2>&1
			sleep 1.5
		else
			sleep 6
		fi
		new=$(uipsec list-sas | grep -c "ESTABLISHED")
		cur=$(uipsec list-sas | head -1)
		if [ "$new" != 1 ] || [ "$cur" = "$old" ]; then fail "IKE_SA not rekeyed ($old -> $cur, $new SAs)"; continue; fi
		grep -q "IKE_SA rekeyed" "$UDIR/uipsecd.log" || { fail "no rekey logged"; continue; }
		[ "$(charon_swanctl "$C" --list-sas | grep -c ESTABLISHED)" = 1 ] ||
			{ fail "charon does not have exactly one IKE_SA"; continue; }
		ping4_through || { fail "no ping after the IKE_SA rekey"; continue; }
		echo "ok [$CASE]"
	done

	# Both rekey the CHILD_SA at once (RFC 7296 2.8.1): told to while IKE
	# between them is held up for a moment (nftables drops IKE on UDP 4500,
	# the non-ESP-marked datagrams, at gwa), so that the two requests cross
	# when it flows again; one CHILD_SA each is left and traffic flows.
	if [ "$role" = init ]; then
		CASE="$role CHILD_SA rekey collision with charon"
		if setup "$role" aes256gcm16-prfsha256-x25519 aes128gcm16 && initiate; then
			old=$(uipsec list-sas | awk '/^    in /{print $2}' | tr -d ,)
			ns gwa nft -f - <<-EOF
			table inet hold {
			    chain in { type filter hook input priority 0; udp dport 4500 @th,64,32 0 drop; }
			    chain out { type filter hook output priority 0; udp dport 4500 @th,64,32 0 drop; }
			}
			EOF
			uipsec rekey --child net >/dev/null &
			rp=$!
			charon_swanctl "$C" --rekey --child net >/dev/null 2>&1
			wait $rp
			sleep 0.3
			ns gwa nft delete table inet hold
			sleep 6   # charon retransmits after 4 s
			n_u=$(uipsec list-sas | grep -c "net: INSTALLED")
			n_c=$(charon_swanctl "$C" --list-sas | grep -c "net: #.*INSTALLED")
			new=$(uipsec list-sas | awk '/^    in /{print $2}' | tr -d ,)
			if [ "$n_u" != 1 ] || [ "$n_c" != 1 ]; then
				fail "CHILD_SAs left: uipsec $n_u, charon $n_c"
			elif [ "$new" = "$old" ]; then
				fail "the CHILD_SA was not rekeyed"
			elif ! grep -q "rekey collision\|CHILD_SA_NOT_FOUND" "$UDIR/uipsecd.log" &&
			     ! grep -qi "collision" "$CDIR/charon.log"; then
				fail "no collision seen by either side"
			elif ! ping4_through; then
				fail "no ping after the collision"
			else
				echo "ok [$CASE]"
			fi
		fi
	fi

	# Failures: both sides must fail with the right notify.
	CASE="$role wrong PSK"
	if setup "$role" aes256gcm16-prfsha256-x25519 aes128gcm16 0xdeadbeefdeadbeef; then
		initiate
		sleep 1
		grep -q "AUTHENTICATION_FAILED" "$UDIR/uipsecd.log" || fail "uipsec did not report AUTHENTICATION_FAILED"
		grep -Eq "AUTHENTICATION_FAILED|AUTH_FAILED|MAC mismatch|authentication .* failed" "$CDIR/charon.log" ||
			fail "charon did not report the authentication failure"
		uipsec list-sas | grep -q ESTABLISHED && fail "uipsec kept an IKE_SA"
		charon_swanctl "$C" --list-sas | grep -q ESTABLISHED && fail "charon kept an IKE_SA"
		ns hosta ping -c 1 -W 1 10.2.0.2 >/dev/null 2>&1 && fail "traffic flows without a tunnel"
		echo "done [$CASE]"
	fi

	CASE="$role no common proposal"
	if setup "$role" aes256gcm16-prfsha256-x25519 aes128gcm16 "" "" aes128-sha256-modp2048; then
		initiate
		sleep 1
		grep -q "NO_PROPOSAL_CHOSEN" "$UDIR/uipsecd.log" || fail "uipsec did not report NO_PROPOSAL_CHOSEN"
		grep -Eq "NO_PROPOSAL_CHOSEN|no acceptable proposal|received proposals" "$CDIR/charon.log" ||
			fail "charon did not report the proposal mismatch"
		uipsec list-sas | grep -q ESTABLISHED && fail "uipsec kept an IKE_SA"
		echo "done [$CASE]"
	fi

	CASE="$role traffic selectors do not match"
	if setup "$role" aes256gcm16-prfsha256-x25519 aes128gcm16 "" 10.9.0.0/24; then
		initiate
		sleep 1
		grep -q "TS_UNACCEPTABLE" "$UDIR/uipsecd.log" || fail "uipsec did not report TS_UNACCEPTABLE"
		grep -Eq "TS_UNACCEPTABLE|traffic selectors .* unacceptable|no matching CHILD_SA config" "$CDIR/charon.log" ||
			fail "charon did not report the selector mismatch"
		uipsec list-sas | grep -q "INSTALLED" && fail "uipsec installed a CHILD_SA"
		echo "done [$CASE]"
	fi
done

finish
